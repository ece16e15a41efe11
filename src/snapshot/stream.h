/* Extraction of a layer while it downloads: the bytes a pull writes into the store are also fed
 * (through a pipe) to a thread that applies them in overlay form to a temp directory next to
 * STORE/xbuild/layers/<diffid>. The directory takes its final name only when the caller says the
 * blob was verified (xb_snapshot_stream_finish after the blob's digest checked out); on any
 * failure it is removed and the layer is extracted from the stored blob later, as usual. A
 * failed extraction never fails the download. */
#ifndef XB_SNAPSHOT_STREAM_H
#define XB_SNAPSHOT_STREAM_H

#include <stddef.h>

#include "store/store.h"
#include "util/error.h"

typedef struct xb_snapshot_stream xb_snapshot_stream_t;

/* Applies the layer read from fd (gzip, zstd or plain tar, by its magic) in overlay form onto
 * the directory root, digesting the tar stream: the diffID must be diff_id (XB_ERR_DIGEST
 * otherwise; the caller discards the directory). max_size: xb_layer_apply_archive's. */
int xb_snapshot_extract_verified(int root, int fd, const char *diff_id, uint64_t max_size,
                                 xb_error_t *err);

/* Starts extracting the layer with this diffID. *out is NULL (and 0 returned) when the layer
 * is already extracted or when streaming is disabled (XBUILD_SNAPSHOTTER=copy). */
int xb_snapshot_stream_begin(xb_store_t *s, const char *diff_id, xb_snapshot_stream_t **out,
                             xb_error_t *err);
/* Feeds the next bytes of the blob (as stored: compressed). Never fails: when the extraction
 * has failed the bytes are dropped. NULL st is fine. */
void xb_snapshot_stream_write(xb_snapshot_stream_t *st, const void *data, size_t len);
/* The download restarted from the beginning: this extraction is abandoned. */
void xb_snapshot_stream_break(xb_snapshot_stream_t *st);
/* The blob is complete and verified: waits for the extraction and, when it succeeded, gives the
 * directory its final name. Returns 1 when the layer is now extracted, 0 when not (the reason is
 * logged at debug level). Frees st. */
int xb_snapshot_stream_finish(xb_snapshot_stream_t *st);
/* Abandons the extraction (download failed); frees st. NULL is fine. */
void xb_snapshot_stream_abort(xb_snapshot_stream_t *st);

#endif
