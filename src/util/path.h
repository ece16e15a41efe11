/* The one lexical path cleaner. Every place that turns a path from untrusted input (a
 * Dockerfile, a .dockerignore, a tar entry, a symlink target, a mount spec) into a clean path
 * calls this with the policy it needs; the in-root *resolution* of a cleaned path (symlinks)
 * is layer/inroot.c's job. */
#ifndef XB_UTIL_PATH_H
#define XB_UTIL_PATH_H

#include "util/error.h"

typedef enum {
    /* Relative result, "" for the root; ".." that would climb above the root is an error. */
    XB_PATH_IN_ROOT,
    /* Relative result, "" for the root; ".." at the root stays at the root (how the kernel
     * resolves under RESOLVE_IN_ROOT, and how BuildKit treats paths in an image). */
    XB_PATH_CLAMP,
    /* A tar entry name: relative, no ".." component at all, not empty. */
    XB_PATH_ENTRY,
    /* Go's path.Clean: a leading "/" is kept ("/.." is "/"), leading ".." of a relative path
     * are kept, "." for an empty result (.dockerignore patterns, as BuildKit cleans them). */
    XB_PATH_GO,
} xb_path_mode_t;

/* Drops empty and "." components, resolves "a/.." pairs, and handles ".." at the top as mode
 * says. Returns a malloc'd path, or NULL with *err set (err may be NULL) for a path the mode
 * refuses or one longer than PATH_MAX (XB_PATH_GO has no length limit). */
char *xb_path_clean(const char *path, xb_path_mode_t mode, xb_error_t *err);

#endif
