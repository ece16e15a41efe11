/* A list of entries for one layer (what a COPY/ADD puts into the image), independent of where
 * the content comes from: a host file (context, extracted archive, downloaded URL, materialised
 * stage file), inline data (heredoc) or nothing (directories, symlinks, devices).
 * Paths are image paths without the leading slash ("usr/bin/app"); "" is never stored. */
#ifndef XB_BUILD_ENTRIES_H
#define XB_BUILD_ENTRIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

typedef struct xb_centry {
    char *path;  /* owned */
    mode_t mode; /* S_IFMT type + permission bits */
    uid_t uid;
    gid_t gid;
    int64_t mtime;
    char *link;    /* owned: symlink target, or hardlink target (image path) when hardlink */
    bool hardlink; /* link names another entry of the same layer */
    char *src;     /* owned: host file holding the content of a regular file, or NULL */
    char *data;    /* owned: inline content when src == NULL (may be NULL for empty) */
    size_t len;    /* size of the content */
    dev_t rdev;
} xb_centry_t;

typedef struct xb_centries {
    xb_centry_t *v;
    size_t n, cap;
    json_t *index; /* path -> position in v (owned) */
} xb_centries_t;

void xb_centries_init(xb_centries_t *l);
void xb_centries_free(xb_centries_t *l);
/* Adds (or replaces: last wins, as when files are copied over each other) an entry. Takes
 * ownership of the strings inside e (also on failure). Returns the entry slot. */
xb_centry_t *xb_centries_put(xb_centries_t *l, xb_centry_t *e);
xb_centry_t *xb_centries_get(const xb_centries_t *l, const char *path);
/* Removes path and everything below it (used when a file replaces a directory). */
void xb_centries_remove_tree(xb_centries_t *l, const char *path);
/* Sorts by path (byte order, so a directory precedes its contents). Invalidates the index. */
void xb_centries_sort(xb_centries_t *l);

/* Normalises an image path: collapses slashes and "." / "..", never escaping "/"; returns the
 * path without leading slash ("" for the root). Caller frees. */
char *xb_clean_image_path(const char *path);

#define cleanup_centries __attribute__((cleanup(xb_centries_free)))

#endif
