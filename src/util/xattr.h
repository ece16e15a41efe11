/* Reading a file's extended attributes, all of them or an error. */
#ifndef XB_UTIL_XATTR_H
#define XB_UTIL_XATTR_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Called per attribute; a negative return stops the walk with that result. */
typedef int (*xb_xattr_fn)(void *ud, const char *name, const void *value, size_t len,
                           xb_error_t *err);

/* Calls fn for every xattr of path (a symlink's own, not its target's). A filesystem without
 * xattrs has none, an attribute removed meanwhile is skipped, a list or value that grew
 * meanwhile is read again; any other failure is an error naming shown (what the user knows the
 * file as) — never a silently shorter list. */
int xb_xattrs_each(const char *path, const char *shown, xb_xattr_fn fn, void *ud, xb_error_t *err);

/* True for the xattrs xbuild never carries into a layer (nor applies from one): overlayfs' own
 * (trusted.overlay.*, user.overlay.*), fuse-overlayfs' own (user.fuseoverlayfs.*: its opaque
 * marker and copy-up origin) and SELinux labels. */
bool xb_xattr_skipped(const char *name);

#endif
