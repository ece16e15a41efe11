/* The overlay mounts of the sandbox: mount(2) of an overlay (volatile when the kernel has it,
 * userxattr in a user namespace) and the probe for whether overlayfs works here at all. Below
 * both sandbox.c (the probe, through step.c) and sandbox_child.c (the rootfs and rw binds), so
 * calls run one way. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/sandbox-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sys.h"

int xb_sandbox_mount_overlay(const char *target, unsigned long flags, const char *opts)
{
    char v[8192], u[8192];
    /* in a user namespace overlayfs keeps its own xattrs as user.overlay.* (userxattr) */
    if ((size_t)snprintf(u, sizeof u, "%s%s", opts, xb_sys_in_userns() ? ",userxattr" : "") >=
        sizeof u) {
        errno = E2BIG;
        return -1;
    }
    if ((size_t)snprintf(v, sizeof v, "%s,volatile", u) < sizeof v &&
        mount("overlay", target, "overlay", flags, v) == 0)
        return 0;
    return mount("overlay", target, "overlay", flags, u);
}

int xb_sandbox_overlay_probe(const char *dir)
{
    static int cached = -1; /* 0: works; else the errno of the probe mount */
    if (cached >= 0)
        return cached;
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%s/ovl-probe-XXXXXX", dir);
    if (mkdtemp(base) == NULL)
        return errno;
    static const char *const sub[] = {"l", "u", "w", "m"};
    char p[4][PATH_MAX + 8];
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s/%s", base, sub[i]);
        mkdir(p[i], 0755);
    }
    pid_t pid = fork();
    if (pid == 0) {
        char opts[3 * PATH_MAX + 64];
        snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", p[0], p[1], p[2]);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            xb_sandbox_mount_overlay(p[3], 0, opts) < 0)
            _exit(errno > 0 && errno < 256 ? errno : EPERM);
        _exit(0);
    }
    int st = 1;
    if (pid > 0)
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    xb_rm_rf(base, &e);
    cached = pid < 0 ? EAGAIN : WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
    return cached;
}
