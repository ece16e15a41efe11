/* The two forms of whiteouts in an extracted layer's tree (see whiteout.h). */
#include "layer/whiteout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"

static bool is_device_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

bool xb_wh_is_marker(const char *name)
{
    return strcmp(name, XB_WH_OPAQUE) == 0;
}

const char *xb_wh_victim(const char *name, const struct stat *st)
{
    if (strncmp(name, XB_WH_PREFIX, strlen(XB_WH_PREFIX)) == 0) {
        const char *v = name + strlen(XB_WH_PREFIX);
        return *v && !xb_wh_is_marker(name) && !S_ISDIR(st->st_mode) ? v : NULL;
    }
    return is_device_whiteout(st) ? name : NULL;
}

bool xb_wh_hides(int dfd, const char *name)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return is_device_whiteout(&st);
    char wh[NAME_MAX + 8];
    if (snprintf(wh, sizeof wh, XB_WH_PREFIX "%s", name) >= (int)sizeof wh)
        return false;
    return fstatat(dfd, wh, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode);
}

bool xb_wh_opaque(int dirfd, const char *xattr)
{
    char v[4];
    if (fgetxattr(dirfd, xattr, v, sizeof v) == 1 && v[0] == 'y')
        return true;
    struct stat st;
    return fstatat(dirfd, XB_WH_OPAQUE, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* The filesystem refuses what the device form needs (overlayfs: EPERM for a 0/0 device,
 * EOPNOTSUPP for its own xattrs; some FUSE filesystems: EPERM, ENOSYS). */
static bool refused(int e)
{
    return e == EPERM || e == EOPNOTSUPP || e == ENOSYS;
}

/* An empty file name in dfd (kept when it exists), owned by whoever extracts (root of the
 * namespace). */
static int make_empty(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? 0 : -errno;
    close(fd);
    return 0;
}

int xb_wh_make(int dfd, const char *name, xb_wh_form_t *form, const char *shown, xb_error_t *err)
{
    int dev_errno = 0;
    if (!form->files) {
        if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) == 0 || errno == EEXIST)
            return 0;
        if (!refused(errno))
            return xb_error_errno(err, errno, "cannot create the whiteout of %s", shown);
        dev_errno = errno;
        form->files = true;
    }
    char wh[NAME_MAX + 8];
    if (snprintf(wh, sizeof wh, XB_WH_PREFIX "%s", name) >= (int)sizeof wh)
        return xb_error_set(err, XB_ERR_INVALID,
                            "cannot create the whiteout of %s: the store's filesystem refuses "
                            "whiteout devices and the name is too long for a .wh. file",
                            shown);
    int r = make_empty(dfd, wh);
    if (r < 0)
        return xb_error_errno(err, -r,
                              "cannot create the whiteout of %s: the store's filesystem "
                              "refuses whiteout devices%s%s and .wh. files (put the store on "
                              "another filesystem with --root, or set XBUILD_SNAPSHOTTER=copy)",
                              shown, dev_errno ? " (" : "", dev_errno ? strerror(dev_errno) : "");
    return 0;
}

int xb_wh_make_opaque(int dirfd, const char *xattr, xb_wh_form_t *form, const char *shown,
                      xb_error_t *err)
{
    if (!form->opq_files) {
        if (fsetxattr(dirfd, xattr, "y", 1, 0) == 0)
            return 0;
        if (!refused(errno))
            return xb_error_errno(err, errno, "cannot mark %s opaque", shown);
        form->opq_files = true;
    }
    int r = make_empty(dirfd, XB_WH_OPAQUE);
    if (r < 0)
        return xb_error_errno(err, -r,
                              "cannot mark %s opaque: the store's filesystem refuses the %s "
                              "xattr and a " XB_WH_OPAQUE " file (put the store on another "
                              "filesystem with --root, or set XBUILD_SNAPSHOTTER=copy)",
                              shown, xattr);
    return 0;
}

int xb_wh_unhide(int dfd, const char *name, const xb_wh_form_t *form, const char *shown,
                 xb_error_t *err)
{
    if (!form->files)
        return 0;
    char wh[NAME_MAX + 8];
    if (snprintf(wh, sizeof wh, XB_WH_PREFIX "%s", name) >= (int)sizeof wh)
        return 0;
    if (unlinkat(dfd, wh, 0) < 0 && errno != ENOENT)
        return xb_error_errno(err, errno, "cannot remove the whiteout of %s", shown);
    return 0;
}

bool xb_wh_devices_refused(int dfd)
{
    char name[64];
    snprintf(name, sizeof name, ".xb-whiteout-probe-%d", (int)getpid());
    if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) == 0) {
        (void)unlinkat(dfd, name, 0);
        return false;
    }
    return refused(errno);
}
