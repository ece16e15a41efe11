/* Facts about the machine and the process that the caller passes down explicitly. */
#ifndef XB_UTIL_SYS_H
#define XB_UTIL_SYS_H

#include <stdbool.h>

/* Number of online CPUs (1..256). */
int xb_cpu_count(void);

/* The value of name in env (an environ-style "K=V" array, NULL-terminated; NULL: empty), or
 * NULL when absent. Borrowed from env. The library reads variables only from arrays its caller
 * hands it (main passes the process environment, see docs/environment.md), never getenv(). */
const char *xb_env_lookup(const char *const *env, const char *name);

/* Whether this process runs in a user namespace other than the initial one (its
 * /proc/self/uid_map is not the identity map of every id): xbuild's rootless mode, where
 * overlayfs uses user.overlay.* xattrs and only the mapped ids can own files. A fact of the
 * kernel, read on each call (no cached state). */
bool xb_sys_in_userns(void);
/* The xattr that marks an opaque directory for this process's overlayfs mounts:
 * "user.overlay.opaque" in a user namespace (overlayfs mounted with userxattr: unprivileged
 * processes cannot set trusted.* xattrs), "trusted.overlay.opaque" otherwise. Static. */
const char *xb_sys_overlay_opaque_xattr(void);
/* This boot's id (/proc/sys/kernel/random/boot_id, without the newline): what a record that
 * holds only until the next boot (a probe's answer, a process id) is tagged with. Malloc'd;
 * NULL when unreadable. */
char *xb_sys_boot_id(void);
/* Fields first..first+n-1 of /proc/PID/stat (numbered as in proc(5), first >= 4; pid 0: this
 * process) as numbers, and the state letter (field 3) in *state. 0, or -1 when the process is
 * gone or the line is shorter. */
int xb_sys_proc_stat(int pid, char *state, int first, int n, unsigned long long *out);

#endif
