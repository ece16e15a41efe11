/* Extracted layers: STORE/xbuild/layers/<diffid-hex>/ holds a layer unpacked for use as an
 * overlayfs lowerdir (whiteouts as 0/0 char devices, opaque dirs with trusted.overlay.opaque,
 * or, in a store whose filesystem refuses those, fuse-overlayfs' ".wh." files: layer/whiteout.h).
 * Created once (temp dir + rename), never modified afterwards, shared between builds and
 * platforms. */
#ifndef XB_SNAPSHOT_LAYERS_H
#define XB_SNAPSHOT_LAYERS_H

#include <jansson.h>

#include "store/store.h"
#include "util/error.h"

/* "<root>/xbuild/layers"; caller frees. */
char *xb_snapshot_layers_dir(xb_store_t *s);
/* Makes sure the layer with this diffID (blob digest of its descriptor) is extracted and
 * returns its directory name relative to xb_snapshot_layers_dir() (the diffID hex; caller
 * frees). */
int xb_snapshot_layer_ensure(xb_store_t *s, const char *diff_id, const char *blob_digest,
                             char **name, xb_error_t *err);
/* Adopts dir, the overlay upper dir of a finished RUN step whose diff became the layer with
 * this diffID, as that layer's extracted directory (instead of extracting the tarball again
 * for the next step). The upper dir is already in overlay form; its timestamps are truncated
 * to whole seconds, as the layer stores them, so later steps see what an extraction would
 * give. Not adopted (0) when the layer is extracted already, when the tree holds something a
 * layer does not carry (sockets), or on any error; 1 when adopted (dir is gone then). */
int xb_snapshot_layer_adopt(xb_store_t *s, const char *diff_id, const char *dir);
/* For a parent chain (layer descriptors and diff_ids, bottom first): extracts all and returns
 * the overlay lowerdir option value "top:...:bottom" with names relative to the layers dir.
 * "" when there are no layers. Caller frees. */
int xb_snapshot_lowerdir(xb_store_t *s, const json_t *layers, const json_t *diff_ids,
                         char **lowerdir, xb_error_t *err);

#endif
