/* Streaming compressors behind one interface: the layer writer pushes tar bytes in, compressed
 * bytes come out through a sink callback, in order. Internal to src/layer (and its tests). */
#ifndef XB_LAYER_COMPRESS_H
#define XB_LAYER_COMPRESS_H

#include <stddef.h>

#include "layer/pgzip.h"
#include "layer/writer.h"
#include "util/error.h"

typedef struct xb_compressor xb_compressor_t;

/* level -1: default (gzip 6, zstd 3). threads 0: all online cores. Output does not depend on
 * threads. engine: gzip's (ignored for zstd and none). Caller frees with xb_compressor_free(). */
int xb_compressor_new(xb_compression_t c, int level, int threads, xb_pgzip_engine_t engine,
                      xb_sink_fn sink, void *userdata, xb_compressor_t **out, xb_error_t *err);
int xb_compressor_write(xb_compressor_t *z, const void *data, size_t len, xb_error_t *err);
/* Flushes everything to the sink (gzip trailer, zstd epilogue). */
int xb_compressor_finish(xb_compressor_t *z, xb_error_t *err);
void xb_compressor_free(xb_compressor_t *z);

#endif
