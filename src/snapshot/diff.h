/* Layer diffs of a RUN step, written with the layer writer in sorted tree order (bytewise
 * names, a directory before its children; a whiteout at the position of the name it deletes,
 * an opaque marker right after its directory).
 *   overlay: read the upper dir; 0/0 char devices -> ".wh.NAME", trusted.overlay.opaque=y ->
 *            ".wh..wh..opq"; copied-up directories whose metadata equals the lower one are
 *            left out.
 *   copy:    compare a tree with the state captured before the step: new/changed entries,
 *            whiteouts for deletions, an opaque directory for one removed and recreated.
 * Both write a directory left out (unchanged itself) right before the first entry below it, so
 * every entry and whiteout has its parents in the layer (containerd's ChangeWriter with parent
 * dirs, as BuildKit writes). Both give the same tar for the same changes. */
#ifndef XB_SNAPSHOT_DIFF_H
#define XB_SNAPSHOT_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "layer/writer.h"
#include "util/error.h"

typedef struct xb_tree_state xb_tree_state_t;

/* Records the metadata of every entry under root (never following symlinks). Caller frees
 * with xb_tree_state_free(). */
int xb_tree_state_capture(const char *root, xb_tree_state_t **out, xb_error_t *err);
void xb_tree_state_free(xb_tree_state_t *s);

/* upper: the overlay upper dir; layers_dir + lowerdir ("a:b:c", top first, names relative to
 * layers_dir; may be "") describe the lower stack. fuse: the upper dir was written by
 * fuse-overlayfs (".wh.NAME" files as whiteouts, its opaque markers and xattrs, every new
 * directory opaque): the layer gets exactly the entries kernel overlayfs would give.
 * *count: entries written. */
int xb_diff_overlay(xb_layer_writer_t *w, const char *upper, const char *layers_dir,
                    const char *lowerdir, bool fuse, size_t *count, xb_error_t *err);
/* Turns an upper dir written by fuse-overlayfs (after xb_diff_overlay with fuse) into the form
 * of an extracted layer (0/0 whiteouts, the overlay opaque xattr on really opaque dirs, or their
 * ".wh." file form where the store refuses those: layer/whiteout.h; no
 * fuse-overlayfs markers or xattrs, directory times kept) so it can be adopted as the layer's
 * tree. 0, or negative + err (the dir is then left unadopted). */
int xb_diff_fuse_normalize(const char *upper, const char *layers_dir, const char *lowerdir,
                           xb_error_t *err);
int xb_diff_copy(xb_layer_writer_t *w, const char *root, const xb_tree_state_t *before,
                 size_t *count, xb_error_t *err);

#endif
