/* Safe application of a layer tarball (gzip, zstd or plain tar) onto a directory.
 * Every entry is resolved inside the target (layer/inroot.h): absolute paths are made
 * relative, ".." above the root is refused, symlinks are resolved as if the target were "/"
 * (an entry written "through" a symlink stays inside), hardlink targets must be inside too.
 * trusted.overlay.* xattrs from the tar are dropped. */
#ifndef XB_LAYER_APPLY_H
#define XB_LAYER_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct archive;

enum xb_apply_mode {
    /* Extract into a fresh directory that becomes an overlayfs lowerdir: ".wh.NAME" becomes
     * a 0/0 character device, ".wh..wh..opq" sets trusted.overlay.opaque=y on its dir; where
     * the filesystem refuses them (overlayfs), empty ".wh." files (layer/whiteout.h). */
    XB_APPLY_OVERLAY = 0,
    /* Apply onto a merged rootfs (copy snapshotter): whiteouts delete, opaque markers remove
     * the lower content of their directory. */
    XB_APPLY_MERGED = 1,
};

typedef struct xb_apply_stats {
    uint64_t entries, bytes, whiteouts;
} xb_apply_stats_t;

/* Limits for untrusted streams. */
#define XB_APPLY_MAX_ENTRIES (4u * 1024 * 1024)
#define XB_APPLY_MAX_XATTR   (64u * 1024)
/* The default limit of the sizes of one layer's files added up (apparent sizes: a sparse file
 * counts in full): --max-layer-size / XBUILD_MAX_LAYER_SIZE change it. */
#define XB_LAYER_MAX_SIZE_DEFAULT (64ull << 30)

/* Sets *err to the refusal of a layer (what: "layer sha256:..." / "archive x.tar") whose files
 * add up to more than max bytes, path being the entry that crossed it (size bytes). Returns
 * the negative error. */
int xb_layer_too_big(const char *what, const char *path, uint64_t size, uint64_t max,
                     xb_error_t *err);

/* Applies the (possibly compressed) tar read from fd onto the directory dirfd. max_size: the
 * limit of the layer's file sizes added up (0: XB_LAYER_MAX_SIZE_DEFAULT); the entry that
 * would cross it is refused before any of it is written (the caller discards the tree).
 * stats may be NULL. */
int xb_layer_apply_fd(int dirfd, int fd, enum xb_apply_mode mode, uint64_t max_size,
                      xb_apply_stats_t *stats, xb_error_t *err);
/* Same with host paths. */
int xb_layer_apply_path(const char *dir, const char *blob, enum xb_apply_mode mode,
                        uint64_t max_size, xb_apply_stats_t *stats, xb_error_t *err);
/* Same with an archive already opened for reading (any filter/format setup by the caller). */
int xb_layer_apply_archive(int dirfd, struct archive *a, enum xb_apply_mode mode, uint64_t max_size,
                           xb_apply_stats_t *stats, xb_error_t *err);

#endif
