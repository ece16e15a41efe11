/* --chmod values: octal ("755") or chmod(1) symbolic clauses ("u=rwX,go=rX", "+x", "g=u"). */
#ifndef XB_BUILD_CHMOD_H
#define XB_BUILD_CHMOD_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* Checks spec; *octal true with *perm set for an octal mode, false for a symbolic one. */
int xb_chmod_parse(const char *spec, bool *octal, mode_t *perm, xb_error_t *err);
/* Applies a symbolic spec (already checked) to mode (type bits kept; X applies to directories
 * and to files with an execute bit). Returns the new mode. */
mode_t xb_chmod_apply(const char *spec, mode_t mode);

#endif
