/* In-root path resolution (openat2 RESOLVE_IN_ROOT, O_NOFOLLOW walk fallback). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "layer/inroot.h"
#include "util/cleanup.h"
#include "util/path.h"

char *xb_inroot_clean(const char *path, xb_error_t *err)
{
    return xb_path_clean(path, XB_PATH_IN_ROOT, err);
}

char *xb_inroot_clean_clamp(const char *path)
{
    return xb_path_clean(path, XB_PATH_CLAMP, NULL);
}

static int openat2_supported = -1;

static int walk_nofollow(int rootfd, const char *path, int flags, unsigned mode)
{
    /* Fallback: every component opened with O_NOFOLLOW; symlinks on the way are refused. */
    cleanup_close int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return -errno;
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    char *save = NULL;
    char *comp = strtok_r(buf, "/", &save);
    if (comp == NULL) {
        int fd = openat(rootfd, ".", flags | O_CLOEXEC, mode);
        return fd < 0 ? -errno : fd;
    }
    for (;;) {
        char *next = strtok_r(NULL, "/", &save);
        if (next == NULL) {
            int fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
            return fd < 0 ? -errno : fd;
        }
        int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        close(cur);
        cur = fd;
        comp = next;
    }
}

int xb_inroot_open(int rootfd, const char *path, int flags, unsigned mode)
{
    const char *p = *path ? path : ".";
    if (openat2_supported != 0) {
        struct open_how how = {0};
        how.flags = (unsigned long long)(flags | O_CLOEXEC);
        if (flags & O_CREAT)
            how.mode = mode;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof how);
        if (fd >= 0) {
            openat2_supported = 1;
            return (int)fd;
        }
        if (errno != ENOSYS)
            return -errno;
        openat2_supported = 0;
    }
    return walk_nofollow(rootfd, p, flags, mode);
}

int xb_inroot_mkdir_p(int rootfd, const char *path, unsigned mode, xb_error_t *err)
{
    int fd = xb_inroot_open(rootfd, path, O_PATH | O_DIRECTORY, 0);
    if (fd >= 0 || fd != -ENOENT) {
        if (fd < 0)
            return xb_error_errno(err, -fd, "cannot open directory '/%s'", path);
        return fd;
    }
    /* walk prefixes, creating what is missing */
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return xb_error_set(err, XB_ERR_INVALID, "path too long");
    memcpy(buf, path, n + 1);
    cleanup_close int cur = xb_inroot_open(rootfd, "", O_PATH | O_DIRECTORY, 0);
    if (cur < 0)
        return xb_error_errno(err, -cur, "cannot open root");
    size_t start = 0;
    while (start <= n) {
        size_t end = start;
        while (end < n && buf[end] != '/')
            end++;
        char save = buf[end];
        buf[end] = '\0';
        int fd2 = xb_inroot_open(rootfd, buf, O_PATH | O_DIRECTORY, 0);
        if (fd2 == -ENOENT) {
            const char *comp = buf + start;
            if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
                return xb_error_errno(err, errno, "cannot create directory '/%s'", buf);
            fd2 = xb_inroot_open(rootfd, buf, O_PATH | O_DIRECTORY, 0);
        }
        if (fd2 < 0)
            return xb_error_errno(err, -fd2, "cannot open directory '/%s'", buf);
        close(cur);
        cur = fd2;
        buf[end] = save;
        start = end + 1;
    }
    return steal_fd(&cur);
}

int xb_inroot_parent(int rootfd, const char *path, bool mkdirs, const char **leaf, xb_error_t *err)
{
    const char *slash = strrchr(path, '/');
    *leaf = slash ? slash + 1 : path;
    if (**leaf == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "empty path component in '%s'", path);
    char dir[PATH_MAX];
    size_t dl = slash ? (size_t)(slash - path) : 0;
    if (dl >= sizeof dir)
        return xb_error_set(err, XB_ERR_INVALID, "path too long");
    memcpy(dir, path, dl);
    dir[dl] = '\0';
    if (mkdirs)
        return xb_inroot_mkdir_p(rootfd, dir, 0755, err);
    int fd = xb_inroot_open(rootfd, dir, O_PATH | O_DIRECTORY, 0);
    if (fd < 0)
        return xb_error_errno(err, -fd, "cannot open directory '/%s'", dir);
    return fd;
}

int xb_rm_rf_at(int pfd, const char *name, xb_error_t *err)
{
    if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return xb_error_errno(err, errno, "cannot remove '%s'", name);
    int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "cannot open '%s' for removal", name);
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return xb_error_errno(err, errno, "cannot read '%s'", name);
    }
    struct dirent *de;
    int r = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (xb_rm_rf_at(dirfd(d), de->d_name, err) < 0) {
            r = -1;
            break;
        }
    }
    closedir(d);
    if (r < 0)
        return r;
    if (unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return xb_error_errno(err, errno, "cannot remove directory '%s'", name);
    return 0;
}

int xb_inroot_open_root(const char *dir, xb_error_t *err)
{
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "cannot open %s", dir);
    return fd;
}
