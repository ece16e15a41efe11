/* USER resolution against a rootfs' /etc/passwd and /etc/group (read through the process's
 * current root: call after pivot_root). */
#ifndef XB_RUN_USER_H
#define XB_RUN_USER_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

#define XB_USER_MAX_GROUPS 64

typedef struct xb_user {
    uid_t uid;
    gid_t gid;
    gid_t groups[XB_USER_MAX_GROUPS]; /* supplementary groups (incl. gid) */
    size_t ngroups;
    char home[256]; /* "" when unknown */
} xb_user_t;

/* spec: "" (root), "name", "uid", "name:group", "uid:gid" (group by name or number).
 * passwd/group: file paths (e.g. "/etc/passwd"). */
int xb_user_resolve(const char *spec, const char *passwd, const char *group, xb_user_t *u,
                    xb_error_t *err);

#endif
