/* Which snapshotter gives a RUN step its root filesystem (docs/design/run.md, "Snapshots"). */
#ifndef XB_SNAPSHOT_KIND_H
#define XB_SNAPSHOT_KIND_H

typedef enum xb_snapshotter {
    XB_SNAP_AUTO = 0, /* kernel overlayfs, else fuse-overlayfs, else copy (probed) */
    XB_SNAP_OVERLAY,  /* kernel overlayfs */
    XB_SNAP_FUSE,     /* fuse-overlayfs (its daemon serves the mount; whiteout/opaque forms of
                         its own in the upper dir, read by xb_diff_overlay) */
    XB_SNAP_COPY,     /* the layers applied into one directory, diffed against a capture */
} xb_snapshotter_t;

/* "auto", "overlay", "fuse-overlayfs" or "copy" (static string). */
static inline const char *xb_snapshotter_name(xb_snapshotter_t k)
{
    return k == XB_SNAP_OVERLAY ? "overlay"
           : k == XB_SNAP_FUSE  ? "fuse-overlayfs"
           : k == XB_SNAP_COPY  ? "copy"
                                : "auto";
}

#endif
