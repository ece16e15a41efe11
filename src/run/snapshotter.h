/* Choosing the snapshotter of RUN steps (docs/design/run.md, "Snapshots"): kernel overlayfs
 * when a probe mount works, else fuse-overlayfs when it is on the search path, /dev/fuse opens
 * and a probe mount with it works, else the copy snapshotter; or the one the user forced
 * (XBUILD_SNAPSHOTTER), which is an error when it cannot work here. */
#ifndef XB_RUN_SNAPSHOTTER_H
#define XB_RUN_SNAPSHOTTER_H

#include <limits.h>

#include "snapshot/kind.h"
#include "util/error.h"

typedef struct xb_snapshotter_choice {
    xb_snapshotter_t kind;   /* XB_SNAP_OVERLAY, XB_SNAP_FUSE or XB_SNAP_COPY */
    char fuse_bin[PATH_MAX]; /* absolute path of fuse-overlayfs (kind == XB_SNAP_FUSE) */
    char reason[1024];       /* why this one (for --debug and xbuild info) */
} xb_snapshotter_choice_t;

/* Resolves want (XB_SNAP_AUTO: probe) into *out. search_path: the PATH fuse-overlayfs is
 * looked up in (the CLI passes $PATH; NULL: none). dir: an existing scratch dir of the store
 * (probe mounts are made under it and removed). A forced snapshotter that cannot work is an
 * error saying why (XB_ERR_UNSUPPORTED). 0, or negative + err. */
int xb_snapshotter_select(xb_snapshotter_t want, const char *search_path, const char *dir,
                          xb_snapshotter_choice_t *out, xb_error_t *err);

/* Parses an XBUILD_SNAPSHOTTER value ("overlay", "fuse-overlayfs", "copy"; NULL or "" =
 * auto). -1 when it is none of them. */
int xb_snapshotter_parse(const char *s, xb_snapshotter_t *out);

#endif
