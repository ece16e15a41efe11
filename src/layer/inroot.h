/* Path resolution that stays inside a root directory (an untrusted tree: a rootfs, a build
 * context, an extracted layer). Every lookup goes through openat2(RESOLVE_IN_ROOT) so
 * symlinks (absolute or with "..") resolve as if root were "/"; on kernels without openat2 a
 * component walk with O_NOFOLLOW refuses any symlink on the way. */
#ifndef XB_LAYER_INROOT_H
#define XB_LAYER_INROOT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Lexically cleans a path taken from untrusted input: drops leading "/" and "./", empty and
 * "." components, resolves "a/.." pairs. Returns a malloc'd relative path ("" for the root
 * itself), or NULL with *err set when ".." would climb above the root or the path is longer
 * than PATH_MAX. */
char *xb_inroot_clean(const char *path, xb_error_t *err);

/* Like xb_inroot_clean, but ".." at the root stays at the root (how the kernel resolves a
 * symlink target under RESOLVE_IN_ROOT). Never fails except for length/memory (NULL). */
char *xb_inroot_clean_clamp(const char *path);

/* Opens path (relative to rootfd, resolved inside it; "" = the root) with flags (O_CLOEXEC is
 * added). Returns the fd, or a negative errno value (no *err: callers decide, e.g. ENOENT). */
int xb_inroot_open(int rootfd, const char *path, int flags, unsigned mode);

/* Opens the parent directory of a cleaned path inside rootfd, creating missing directories
 * (mode 0755, owned by the caller) when mkdirs is set. *leaf points into path at the last
 * component (path must be non-empty). Returns the directory fd or negative with *err set. */
int xb_inroot_parent(int rootfd, const char *path, bool mkdirs, const char **leaf, xb_error_t *err);

/* mkdir -p of a cleaned path inside rootfd; returns an O_PATH|O_DIRECTORY fd of it or
 * negative with *err set. */
int xb_inroot_mkdir_p(int rootfd, const char *path, unsigned mode, xb_error_t *err);

/* Removes name in dirfd recursively, never following symlinks (missing is fine). */
int xb_rm_rf_at(int dirfd, const char *name, xb_error_t *err);

/* Opens a host directory for use as a root (O_PATH|O_DIRECTORY). */
int xb_inroot_open_root(const char *dir, xb_error_t *err);

#endif
