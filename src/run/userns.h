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

/* Keeping the namespace for the next commands (as podman's pause process does): entering a
 * new namespace with a subordinate range costs two setuid helpers (newuidmap, newgidmap), about
 * 20 ms, more than a whole cached build. So the first command leaves a holder: a process that
 * only sleeps in the namespace (re-executed as "xbuild-userns-holder", no fds, cwd /, its own
 * session). Its pid, start time, boot id and the namespace's rlimit ceilings are recorded in
 * record; later commands join its namespace with setns when the record still names that
 * process, its id maps equal the plan's and no ceiling is below the caller's hard limit, and
 * otherwise enter a new one (and leave a new holder). The holder exits once no command has
 * started for seconds (each join touches the record), or within 10 s once the record names
 * another process; a namespace lives on while any command is still in it. */
typedef struct xb_userns_keep {
    const char *record; /* STORE/xbuild/userns (its directory is made); NULL: no keeping */
    unsigned seconds;   /* the holder's idle lifetime; 0: no keeping (neither join nor start) */
    const char *self;   /* the program the holder runs ("/proc/self/exe") */
} xb_userns_keep_t;

/* What xb_userns_enter did. */
typedef struct xb_userns_entry {
    int joined;    /* the holder whose namespace was joined; 0: a new one was entered */
    int holder;    /* the holder started for later commands; 0: none */
    char why[200]; /* why no kept namespace was joined, or no holder started ("": nothing to say) */
} xb_userns_entry_t;

/* Enters the user + mount namespace of plan: joins the one keep's holder keeps (with a
 * subordinate range only; keep may be NULL), else unshares a new one, maps its ids and starts
 * a holder. Must be called while single-threaded. Fails at once,
 * naming the cause (user.max_user_namespaces, kernel.unprivileged_userns_clone, the AppArmor
 * restriction, a container's seccomp profile) and the ways out, when no user namespace can be
 * created, or when newuidmap/newgidmap refuse the range. A holder that cannot be joined or
 * started is never an error (out->why says why). */
int xb_userns_enter(const xb_userns_plan_t *plan, const xb_userns_keep_t *keep,
                    xb_userns_entry_t *out, xb_error_t *err);

/* The argv[1] main recognises to run xb_userns_hold (argv[2] record, argv[3] seconds). */
#define XB_USERNS_HOLDER_CMD "__userns-holder"

/* The holder's life: sleeps until record is seconds old or names another process, then
 * removes it (when still its own) and returns 0 (main exits). */
int xb_userns_hold(const char *record, unsigned seconds);

/* The pid of the live holder record names, or 0 (none, gone, or from another boot). */
int xb_userns_holder_pid(const char *record);

/* Reads this process's /proc/self/{uid,gid}_map (up to 8 lines each). Returns 0. */
int xb_userns_current(xb_idmap_t uids[8], int *nuids, xb_idmap_t gids[8], int *ngids,
                      xb_error_t *err);

#endif
