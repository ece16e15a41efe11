/* Which snapshotter RUN steps use: kernel overlayfs, fuse-overlayfs or copies (run/snapshotter.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/sandbox.h"
#include "run/snapshotter.h"
#include "util/sys.h"

int xb_snapshotter_parse(const char *s, xb_snapshotter_t *out)
{
    if (s == NULL || *s == '\0')
        *out = XB_SNAP_AUTO;
    else if (strcmp(s, "overlay") == 0)
        *out = XB_SNAP_OVERLAY;
    else if (strcmp(s, "fuse-overlayfs") == 0)
        *out = XB_SNAP_FUSE;
    else if (strcmp(s, "copy") == 0)
        *out = XB_SNAP_COPY;
    else
        return -1;
    return 0;
}

/* The first executable fuse-overlayfs in search_path into bin. */
static bool find_fuse(const char *search_path, char *bin, size_t len)
{
    for (const char *p = search_path; p && *p;) {
        size_t n = strcspn(p, ":");
        if (n > 0 && p[0] == '/' &&
            (size_t)snprintf(bin, len, "%.*s/fuse-overlayfs", (int)n, p) < len) {
            struct stat st;
            if (stat(bin, &st) == 0 && S_ISREG(st.st_mode) && access(bin, X_OK) == 0)
                return true;
        }
        p += n;
        if (*p == ':')
            p++;
    }
    return false;
}

/* Whether fuse-overlayfs can work here: 0 (out->fuse_bin set), or -1 with why not in msg. */
static int fuse_usable(const char *search_path, const char *dir, xb_snapshotter_choice_t *out,
                       char *msg, size_t len)
{
    if (!find_fuse(search_path, out->fuse_bin, sizeof out->fuse_bin)) {
        snprintf(msg, len,
                 "fuse-overlayfs is not on PATH (%s): install it (Debian: apt-get install "
                 "fuse-overlayfs)",
                 search_path ? search_path : "unset");
        return -1;
    }
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        if (stat("/dev/fuse", &st) == 0)
            snprintf(msg, len,
                     "/dev/fuse is not accessible (mode %04o, owner %u:%u): %s; a stock "
                     "distribution has it 0666 (as root: chmod 0666 /dev/fuse)",
                     (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid,
                     strerror(e));
        else
            snprintf(msg, len, "/dev/fuse: %s (load the fuse module: modprobe fuse)", strerror(e));
        return -1;
    }
    close(fd);
    char m[768];
    if (xb_sandbox_fuse_probe(out->fuse_bin, dir, m, sizeof m) < 0) {
        if (snprintf(msg, len, "a probe mount with %s failed: %s", out->fuse_bin, m) >= (int)len)
            msg[len - 1] = '\0';
        return -1;
    }
    return 0;
}

int xb_snapshotter_select(xb_snapshotter_t want, const char *search_path, const char *dir,
                          xb_snapshotter_choice_t *out, xb_error_t *err)
{
    memset(out, 0, sizeof *out);
    char why[900];
    if (want == XB_SNAP_COPY) {
        out->kind = XB_SNAP_COPY;
        snprintf(out->reason, sizeof out->reason, "XBUILD_SNAPSHOTTER=copy");
        return 0;
    }
    if (want == XB_SNAP_FUSE) {
        if (fuse_usable(search_path, dir, out, why, sizeof why) < 0)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "XBUILD_SNAPSHOTTER=fuse-overlayfs cannot be used: %s", why);
        out->kind = XB_SNAP_FUSE;
        snprintf(out->reason, sizeof out->reason, "XBUILD_SNAPSHOTTER=fuse-overlayfs");
        return 0;
    }
    int oe = xb_sandbox_overlay_probe(dir);
    if (want == XB_SNAP_OVERLAY) {
        if (oe != 0)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "XBUILD_SNAPSHOTTER=overlay cannot be used: a probe mount of "
                                "overlayfs failed: %s",
                                strerror(oe));
        out->kind = XB_SNAP_OVERLAY;
        snprintf(out->reason, sizeof out->reason, "XBUILD_SNAPSHOTTER=overlay");
        return 0;
    }
    if (oe == 0) {
        out->kind = XB_SNAP_OVERLAY;
        snprintf(out->reason, sizeof out->reason, "kernel overlayfs mounts here%s",
                 xb_sys_in_userns() ? " (in the user namespace, userxattr)" : "");
        return 0;
    }
    if (fuse_usable(search_path, dir, out, why, sizeof why) == 0) {
        out->kind = XB_SNAP_FUSE;
        snprintf(out->reason, sizeof out->reason,
                 "kernel overlayfs cannot be mounted here (%s); fuse-overlayfs can", strerror(oe));
        return 0;
    }
    out->kind = XB_SNAP_COPY;
    out->fuse_bin[0] = '\0';
    snprintf(out->reason, sizeof out->reason, "kernel overlayfs cannot be mounted here (%s); %s",
             strerror(oe), why);
    return 0;
}
