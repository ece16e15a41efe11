/* Rootless mode, inside src/run: keeping a user namespace for later commands (userns_keep.c),
 * called by xb_userns_enter (userns.c). */
#ifndef XB_RUN_USERNS_INTERNAL_H
#define XB_RUN_USERNS_INTERNAL_H

#include "run/userns.h"

/* The rlimits the kernel caps in a new user namespace at its creator's soft values
 * (create_user_ns): RLIMIT_NPROC, MSGQUEUE, SIGPENDING, MEMLOCK. */
#define XB_USERNS_NCEIL 4
extern const int xb_userns_ceil_res[XB_USERNS_NCEIL];

/* Joins the user namespace of the holder keep->record names, when it is this boot's, still
 * that process, and maps exactly plan's ids; touches the record (the holder lives on). Returns
 * 0 joined (out->joined), -1 not (out->why says why, "" when there was no record). Only the
 * user namespace is joined: the caller makes its own mount namespace. */
int xb_userns_join(const xb_userns_plan_t *plan, const xb_userns_keep_t *keep,
                   xb_userns_entry_t *out);

/* Starts a holder of the current user namespace and records it in keep->record (out->holder;
 * out->why when it could not). Called single-threaded, as root of the namespace. */
void xb_userns_start_holder(const xb_userns_keep_t *keep, xb_userns_entry_t *out);

#endif
