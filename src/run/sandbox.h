/* The RUN sandbox: a process in new mount, PID, IPC and UTS namespaces (and a new network
 * namespace for network=none) whose root is the step's rootfs (an overlay mounted inside the
 * child's own mount namespace, or a bind of a copied rootfs), with /proc, a minimal /dev,
 * read-only /sys, the host's resolv.conf/hosts and a hostname file bind-mounted from copies,
 * and the RUN --mount mounts. Every mount target is resolved inside the rootfs.
 * Mount points that had to be created are listed in STATE/stubs and removed again from the
 * writable tree by xb_sandbox_cleanup_stubs() so they never reach a layer. */
#ifndef XB_RUN_SANDBOX_H
#define XB_RUN_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "run/mounts.h"
#include "run/policy.h"
#include "run/runopts.h"
#include "util/error.h"

typedef struct xb_sandbox {
    /* root filesystem */
    const char *rootfs;     /* directory that becomes "/" (overlay mount point or copied tree) */
    const char *layers_dir; /* overlay: lowerdir names are relative to it */
    const char *lowerdir;   /* overlay: "top:...:bottom" ("" = no layers); NULL: bind rootfs */
    const char *upper;      /* overlay upperdir */
    const char *work;       /* overlay workdir */
    const char *fuse_bin;   /* fuse-overlayfs: every overlay of the step (rootfs, rw binds,
                               stages) is mounted with this binary; NULL: kernel overlayfs */
    const char *state_dir;  /* private scratch dir (copies of hosts files, stubs list, ...) */
    /* process */
    char *const *argv; /* NULL-terminated */
    char *const *env;  /* NULL-terminated KEY=VALUE */
    const char *cwd;   /* absolute; created when missing; NULL = "/" */
    const char *user;  /* "" / NULL = root */
    const char *hostname;
    bool network_none;
    bool linux32; /* 32-bit personality (386 on amd64): uname -m says i686, as in Docker */
    xb_run_mount_t *mounts;
    size_t nmounts;
    const xb_sandbox_policy_t *policy; /* NULL = the default policy (run/policy.h) */
    const struct xb_run_opts *opts;    /* --add-host, --ulimit, --cap-*, --security-opt; may be NULL
                                          (run/runopts.h; volumes arrive as mounts) */
} xb_sandbox_t;

/* Runs argv in the sandbox, in a new session without a controlling terminal; its stdout and
 * stderr are pipes that this call copies to the caller's fd 1 and 2 (stdin /dev/null; a pty
 * and/or stdin relay with policy->tty / interactive). *status: exit code
 * of the command (128+N when killed by signal N). Setup failures (mounts, user, exec) are
 * errors (XB_ERR_RUN) with the reason; SIGINT/SIGTERM/SIGHUP while it runs kill the whole PID
 * namespace and return XB_ERR_INTERRUPTED. */
int xb_sandbox_run(const xb_sandbox_t *sb, int *status, xb_error_t *err);

/* Removes the mount points the sandbox created (listed in state_dir/stubs) from tree (the
 * overlay upper dir or the copied rootfs) when they are still empty (fuse: tree was written by
 * fuse-overlayfs, whose opaque markers do not count), and restores their parent directories'
 * mtimes when nothing else changed them. */
int xb_sandbox_cleanup_stubs(const char *state_dir, const char *tree, bool fuse, xb_error_t *err);

/* Whether the kernel has Landlock, which keeps a step from writing any file outside its tree
 * (e.g. the host's emulator behind /proc/PID/exe). */
bool xb_sandbox_write_guard_available(void);

/* Probes (once per process) whether overlayfs mounts work under dir (a store tmp dir): 0, or
 * the errno of the failed probe mount. */
int xb_sandbox_overlay_probe(const char *dir);

/* Probes whether bin (fuse-overlayfs) can mount an overlay under dir here, in a child with its
 * own mount namespace: 0, or -1 with the reason (its stderr) in msg. */
int xb_sandbox_fuse_probe(const char *bin, const char *dir, char *msg, size_t len);

#endif
