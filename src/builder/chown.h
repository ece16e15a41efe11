/* --chown=user[:group] resolution against the image's /etc/passwd and /etc/group. */
#ifndef XB_BUILD_CHOWN_H
#define XB_BUILD_CHOWN_H

#include <jansson.h>
#include <sys/types.h>

#include "store/store.h"
#include "util/error.h"

/* Looks name up in passwd-format text (name:x:uid:gid:...). Returns 0 and sets uid/gid, or
 * XB_ERR_NOT_FOUND. */
int xb_passwd_lookup(const char *passwd, const char *name, uid_t *uid, gid_t *gid, xb_error_t *err);
/* Looks a group name up in group-format text (name:x:gid:...). */
int xb_group_lookup(const char *group, const char *name, gid_t *gid, xb_error_t *err);

/* Resolves spec ("user", "user:group", "uid:gid", ...) for the image made of layers (array of
 * descriptors). Numeric parts need no lookup; a name needs the file and must be listed there.
 * A user without a group gets the GID equal to the UID (as in Docker). */
int xb_chown_resolve(xb_store_t *s, const json_t *layers, const char *spec, uid_t *uid, gid_t *gid,
                     xb_error_t *err);

/* The same with BuildKit's rules for the owner of the directories WORKDIR creates (the USER):
 * a name the image does not list (or no /etc/passwd, /etc/group) is not an error: an unknown
 * user becomes 0 (group 0), an unknown group leaves the user's group. */
int xb_chown_resolve_lenient(xb_store_t *s, const json_t *layers, const char *spec, uid_t *uid,
                             gid_t *gid, xb_error_t *err);

#endif
