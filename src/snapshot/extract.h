/* Verified extraction of one layer blob into a directory: used for layers extracted from the
 * store (layers.c) and for layers extracted while they download (stream.c). */
#ifndef XB_SNAPSHOT_EXTRACT_H
#define XB_SNAPSHOT_EXTRACT_H

#include <stdint.h>

#include "util/error.h"

/* Applies the layer read from fd (gzip, zstd or plain tar, by its magic) in overlay form onto
 * the directory root, digesting the tar stream: the diffID must be diff_id (XB_ERR_DIGEST
 * otherwise; the caller discards the directory). */
int xb_snapshot_extract_verified(int root, int fd, const char *diff_id, uint64_t max_size,
                                 xb_error_t *err);

#endif
