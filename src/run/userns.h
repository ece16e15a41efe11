/* Rootless mode: the user namespace an ordinary user's xbuild runs in.
 *
 * main calls xb_userns_plan then xb_userns_enter while the process is still single-threaded:
 * the process unshares a user and a mount namespace, and its ids are mapped as buildah and
 * podman map them: 0 -> the caller, 1..N -> the caller's subordinate range from /etc/subuid and
 * /etc/subgid (written by the setuid newuidmap/newgidmap helpers, Debian's `uidmap`), or, with
 * no range, only 0 -> the caller (written by the process itself, setgroups denied). Inside,
 * the process is root of its namespace: it can chown to mapped ids, mount overlayfs
 * (userxattr), tmpfs, proc and binds, and create the sandbox's namespaces. See
 * docs/design/run.md, "Rootless". */
#ifndef XB_RUN_USERNS_H
#define XB_RUN_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* One line of a uid_map/gid_map: ids inside..inside+count-1 are outside..outside+count-1. */
typedef struct xb_idmap {
    unsigned long inside, outside, count;
} xb_idmap_t;

typedef struct xb_userns_plan {
    uid_t uid; /* the caller's (host) uid and gid */
    gid_t gid;
    char user[64];      /* its login name ("" when it has none) */
    xb_idmap_t uids[2]; /* [0]: 0 -> uid; [1]: 1.. -> the subordinate range (when nuids == 2) */
    xb_idmap_t gids[2];
    int nuids, ngids;
} xb_userns_plan_t;

/* Fills *plan for uid/gid from the subordinate id files (NULL: /etc/subuid, /etc/subgid): the
 * first line naming the user (by name or number). A missing file or no line is no range (single
 * id mode); an unreadable or malformed line is an error naming the file and line. */
int xb_userns_plan(uid_t uid, gid_t gid, const char *subuid, const char *subgid,
                   xb_userns_plan_t *plan, xb_error_t *err);

/* Enters the user + mount namespace of plan. Must be called while single-threaded. Fails at
 * once, naming the cause (user.max_user_namespaces, kernel.unprivileged_userns_clone, the
 * AppArmor restriction, a container's seccomp profile) and the ways out, when no user
 * namespace can be created, or when newuidmap/newgidmap refuse the range. */
int xb_userns_enter(const xb_userns_plan_t *plan, xb_error_t *err);

/* Reads this process's /proc/self/{uid,gid}_map (up to 8 lines each). Returns 0. */
int xb_userns_current(xb_idmap_t uids[8], int *nuids, xb_idmap_t gids[8], int *ngids,
                      xb_error_t *err);

#endif
