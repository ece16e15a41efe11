/* Streaming layer writer: one pass from tar entries to a committed, compressed store blob.
 *
 *   entries -> libarchive tar (PAX restricted) -> sha256 (diffID) -> compressor
 *           -> sha256 (digest) -> store blob writer
 *
 * Nothing is buffered beyond the compressor's window: no temp copy of the layer is made.
 * Reproducible: no atime/ctime, empty uname/gname (numeric ids only), mtimes clamped when
 * clamp_mtime >= 0, gzip header with mtime 0 and no name, zstd output independent of the thread
 * count. Two runs with the same entries and options give byte-identical blobs.
 * Entries are written in the order they are added (add_tree sorts its walk itself). */
#ifndef XB_LAYER_WRITER_H
#define XB_LAYER_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "layer/pgzip.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/error.h"

#define XB_MEDIATYPE_LAYER_TAR      "application/vnd.oci.image.layer.v1.tar"
#define XB_MEDIATYPE_LAYER_TAR_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define XB_MEDIATYPE_LAYER_TAR_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

typedef enum xb_layer_compression {
    XB_COMPRESSION_GZIP = 0,
    XB_COMPRESSION_ZSTD,
    XB_COMPRESSION_NONE,
} xb_compression_t;

typedef struct xb_layer_opts {
    xb_compression_t compression;
    int level;           /* -1: default (gzip 6, zstd 3); gzip 0..9, zstd 1..22 (0: 3) */
    int threads;         /* compression threads; 0 = all online cores */
    int64_t clamp_mtime; /* -1: none; else an entry mtime > clamp_mtime becomes clamp_mtime */
    xb_pgzip_engine_t gzip_engine; /* libdeflate (default) or zlib: gzip's bytes differ */
} xb_layer_opts_t;

/* compression GZIP, level -1, threads 0, clamp_mtime -1, libdeflate */
#define XB_LAYER_OPTS_INIT                                                                         \
    {                                                                                              \
        XB_COMPRESSION_GZIP, -1, 0, -1, XB_PGZIP_LIBDEFLATE                                        \
    }

typedef struct xb_layer_result {
    char diff_id[XB_DIGEST_LEN]; /* sha256 of the uncompressed tar */
    char digest[XB_DIGEST_LEN];  /* sha256 of the blob as stored */
    int64_t size;                /* blob size in bytes */
    int64_t tar_size;            /* uncompressed tar size in bytes */
    const char *media_type;      /* static string (XB_MEDIATYPE_LAYER_*) */
} xb_layer_result_t;

/* One extended attribute. Lists are arrays terminated by an element with name == NULL. */
typedef struct xb_xattr {
    const char *name; /* e.g. "security.capability" */
    const void *value;
    size_t len;
} xb_xattr_t;

typedef struct xb_layer_writer xb_layer_writer_t;

/* Parses "gzip", "zstd", "none" (also "uncompressed"). */
int xb_compression_parse(const char *s, xb_compression_t *out, xb_error_t *err);
const char *xb_compression_name(xb_compression_t c);
/* Media type of a layer with that compression (static string). */
const char *xb_compression_media_type(xb_compression_t c);

/* Starts a layer blob in the store. o may be NULL (defaults). Caller frees *out with
 * xb_layer_writer_free() (after xb_layer_writer_finish() or to abort). */
int xb_layer_writer_new(xb_store_t *s, const xb_layer_opts_t *o, xb_layer_writer_t **out,
                        xb_error_t *err);

/* Adds one entry.
 *   path: in-layer path, relative (a leading "/" or "./" is stripped; "." and ".." components
 *         are refused); directories may have a trailing "/" or not.
 *   st:   type (S_IFREG/DIR/LNK/CHR/BLK/FIFO), mode incl. setuid/setgid/sticky, uid, gid,
 *         mtime (whole seconds: nanoseconds are dropped for reproducibility), size,
 *         rdev.
 *   fd:   content of a regular file: exactly st->st_size bytes are read from its current
 *         offset (a file that is shorter is an error); -1 for other types.
 *   symlink:  target of a symlink (st type S_IFLNK), else NULL.
 *   hardlink: for a hard link, the in-layer path of the entry it links to (already added);
 *             pass st with S_IFREG, fd -1; else NULL.
 *   xattrs:   optional list (NULL-terminated by name), written as SCHILY.xattr PAX records. */
int xb_layer_writer_add(xb_layer_writer_t *w, const char *path, const struct stat *st, int fd,
                        const char *symlink, const char *hardlink, const xb_xattr_t *xattrs,
                        xb_error_t *err);

/* A regular file with generated content (heredocs, ADD <url>). mode: permission bits
 * (incl. setuid etc.; the type is S_IFREG regardless). */
int xb_layer_writer_add_data(xb_layer_writer_t *w, const char *path, const void *data, size_t len,
                             mode_t mode, uid_t uid, gid_t gid, int64_t mtime, xb_error_t *err);

/* A directory entry (mode: permission bits). */
int xb_layer_writer_add_dir(xb_layer_writer_t *w, const char *path, mode_t mode, uid_t uid,
                            gid_t gid, int64_t mtime, xb_error_t *err);

/* Whiteout for path ("a/b" -> "a/.wh.b"): an empty regular file, mode 0, uid/gid 0. */
int xb_layer_writer_add_whiteout(xb_layer_writer_t *w, const char *path, int64_t mtime,
                                 xb_error_t *err);
/* Opaque whiteout for directory dir ("a/b" -> "a/b/.wh..wh..opq"; "" or "/" for the root). */
int xb_layer_writer_add_opaque(xb_layer_writer_t *w, const char *dir, int64_t mtime,
                               xb_error_t *err);

/* add_tree filter: relpath is relative to the walked dir ("a/b", no leading "./"). Return true
 * to include. When a directory is excluded nothing below it is visited. */
typedef bool (*xb_tree_filter_fn)(const char *relpath, bool is_dir, void *userdata);

typedef struct xb_tree_opts {
    int64_t uid;              /* -1: keep the file's owner */
    int64_t gid;              /* -1: keep */
    int chmod;                /* -1: keep; else permission bits applied to every entry */
    bool include_root;        /* also add an entry for dest_prefix itself (the walked dir) */
    xb_tree_filter_fn filter; /* NULL: everything */
    void *userdata;
} xb_tree_opts_t;

#define XB_TREE_OPTS_INIT                                                                          \
    {                                                                                              \
        -1, -1, -1, false, NULL, NULL                                                              \
    }

/* Walks host directory dir (never following symlinks) in sorted order: bytewise by name,
 * a directory before its children. Everything under it is added below dest_prefix (in-layer,
 * "" = layer root), preserving type, mode, owner, symlinks, devices, fifos, mtimes and
 * security.capability; a second path of the same inode becomes a hardlink entry. Sockets are
 * skipped. o may be NULL. */
int xb_layer_writer_add_tree(xb_layer_writer_t *w, const char *dir, const char *dest_prefix,
                             const xb_tree_opts_t *o, xb_error_t *err);

/* Ends the tar, flushes the compressor, commits the blob into the store and fills *res.
 * After it (success or not) only xb_layer_writer_free() may be called. */
int xb_layer_writer_finish(xb_layer_writer_t *w, xb_layer_result_t *res, xb_error_t *err);

/* Frees; aborts the blob (temp file removed) when not finished. NULL is fine. */
void xb_layer_writer_free(xb_layer_writer_t *w);

#define cleanup_layer_writer __attribute__((cleanup(xb_layer_writer_freep)))
static inline void xb_layer_writer_freep(xb_layer_writer_t **w)
{
    xb_layer_writer_free(*w);
}

#endif
