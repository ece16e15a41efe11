/* The build context as a tree index: every path below the context directory (relative, no
 * leading slash), with its metadata and the host path of its content, minus what the
 * .dockerignore excludes. Symlinks are recorded as symlinks; resolving them later (with
 * xb_rootfs_resolve) never leaves the context root. */
#ifndef XB_BUILD_CONTEXT_H
#define XB_BUILD_CONTEXT_H

#include <stdbool.h>

#include "builder/entries.h"
#include "util/error.h"

/* Returns true when relpath (no leading slash) is excluded. */
typedef bool (*xb_ignore_fn)(void *ud, const char *relpath, bool is_dir);

/* Scans dir into idx. ignored may be NULL. An ignored directory is still descended into when
 * descend_ignored is true (patterns with '!' exceptions), but its own entry is dropped unless a
 * child is kept. */
int xb_context_scan(const char *dir, xb_ignore_fn ignored, void *ud, bool descend_ignored,
                    xb_centries_t *idx, xb_error_t *err);

/* Makes mask (an existing empty directory) an overlayfs layer that hides from dir what idx
 * (a scan of dir) does not hold: a whiteout (char 0/0, or a ".wh." file where the filesystem
 * refuses those: layer/whiteout.h) for each such path, its parents as directories. *masked:
 * how many. */
int xb_context_mask(const char *dir, const xb_centries_t *idx, const char *mask, size_t *masked,
                    xb_error_t *err);

#endif
