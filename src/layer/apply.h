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
     * a 0/0 character device, ".wh..wh..opq" sets trusted.overlay.opaque=y on its dir. */
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

/* Applies the (possibly compressed) tar read from fd onto the directory dirfd.
 * stats may be NULL. */
int xb_layer_apply_fd(int dirfd, int fd, enum xb_apply_mode mode, xb_apply_stats_t *stats,
                      xb_error_t *err);
/* Same with host paths. */
int xb_layer_apply_path(const char *dir, const char *blob, enum xb_apply_mode mode,
                        xb_apply_stats_t *stats, xb_error_t *err);
/* Same with an archive already opened for reading (any filter/format setup by the caller). */
int xb_layer_apply_archive(int dirfd, struct archive *a, enum xb_apply_mode mode,
                           xb_apply_stats_t *stats, xb_error_t *err);

#endif
