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

#define XB_CENTRY_MAX_XATTRS 256
#define XB_CENTRY_MAX_XATTR  65536 /* bytes of one value (Linux XATTR_SIZE_MAX) */

/* One extended attribute of an entry (owned strings/bytes). */
typedef struct xb_cxattr {
    char *name;
    void *value;
    size_t len;
} xb_cxattr_t;

typedef struct xb_centry {
    char *path;  /* owned */
    mode_t mode; /* S_IFMT type + permission bits */
    uid_t uid;
    gid_t gid;
    int64_t mtime;
    char *link;     /* owned: symlink target, or hardlink target (image path) when hardlink */
    bool hardlink;  /* link names another entry of the same layer */
    char *src;      /* owned: host file holding the content of a regular file, or NULL */
    size_t src_rel; /* > 0: src is "<root>/<rel>" in an untrusted tree (the build context, a Git
                       checkout), rel starting at src + src_rel: xb_centry_open resolves rel
                       inside root, so a directory swapped for a symlink since the scan
                       cannot redirect it */
    char *data;     /* owned: inline content when src == NULL (may be NULL for empty) */
    size_t len;     /* size of the content */
    dev_t rdev;
    /* Identity of the content's inode when it has several names in the source tree (hard
     * links: nlink > 1 in the context, a tar hardlink in an archive or stage layer), else
     * ino == 0. The names of one identity that one COPY/ADD plans become one file plus tar
     * hard links to it (xb_copy_plan). */
    dev_t dev;
    ino_t ino;
    xb_cxattr_t *xattrs; /* owned: extended attributes kept from an archive or stage layer */
    size_t nxattrs;      /* (context files: security.capability is read when writing) */
} xb_centry_t;

typedef struct xb_centries {
    xb_centry_t *v;
    size_t n, cap;
    json_t *index; /* path -> position in v (owned) */
} xb_centries_t;

/* Frees the strings and xattrs of e and zeroes it. */
void xb_centry_clear(xb_centry_t *e);
/* Adds a copy of the xattr (name, value, len) to e unless it is one xbuild never carries
 * (overlayfs' own trusted./user.overlay.*, security.selinux labels). Returns 0, -1 when out of
 * memory, -2 when e already has XB_CENTRY_MAX_XATTRS (nothing is dropped silently). */
int xb_centry_add_xattr(xb_centry_t *e, const char *name, const void *value, size_t len);
/* Copies the xattrs of src to dst (which has none). -1 when out of memory. */
int xb_centry_copy_xattrs(xb_centry_t *dst, const xb_centry_t *src);

struct archive_entry;
/* Copies the xattrs of a tar entry (SCHILY.xattr / LIBARCHIVE.xattr records) to e, through
 * xb_centry_add_xattr. An entry with a value over XB_CENTRY_MAX_XATTR bytes (Linux cannot set
 * it) or more than XB_CENTRY_MAX_XATTRS of them is an error naming the entry. */
int xb_centry_archive_xattrs(xb_centry_t *e, struct archive_entry *ae, xb_error_t *err);
/* Gives e (a regular file whose content is the host file e->src, spilled from a tar) an
 * identity for the hard links to it: that file's own dev:ino, which no other content has.
 * No-op when e has one (or no src). */
void xb_centry_identify(xb_centry_t *e);
/* The root directory xb_centry_open resolved the last entry in, kept open for the next one
 * (a COPY of a context opens thousands of files under one root). Zero-initialise with
 * XB_CENTRY_OPENER_INIT; xb_centry_opener_close releases it. */
typedef struct xb_centry_opener {
    char *root; /* owned: the root's path, or NULL */
    int fd;     /* O_PATH fd of root, or -1 */
} xb_centry_opener_t;
#define XB_CENTRY_OPENER_INIT                                                                      \
    {                                                                                              \
        NULL, -1                                                                                   \
    }
void xb_centry_opener_close(xb_centry_opener_t *o);
/* Opens the content of a regular-file entry (e->src) for reading: inside its root when
 * e->src_rel is set (layer/inroot.h), its last component never followed, and only when it is
 * still a regular file. o (may be NULL) keeps the root open between calls. Returns the fd
 * (caller closes) or negative with *err naming e->src. */
int xb_centry_open(const xb_centry_t *e, xb_centry_opener_t *o, xb_error_t *err);

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
