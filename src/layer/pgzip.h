/* Parallel gzip (pigz-style): the input is cut into fixed blocks (XB_PGZIP_BLOCK bytes), each
 * compressed as raw deflate on a worker thread; all blocks but the last end byte-aligned with an
 * empty stored block (what zlib's Z_SYNC_FLUSH writes), the last one is final; CRC-32s are
 * combined. The result is ONE standard gzip member (header: no name, mtime 0, OS 255).
 * Two engines: libdeflate (the default: about 3x zlib's speed at level 6 and smaller output,
 * but it has no preset dictionary, so each block is deflated on its own; its final-block bit is
 * found by inflating the block and cleared), and zlib (each block primed with the previous
 * 32 KiB as dictionary, Z_SYNC_FLUSH / Z_FINISH; `XBUILD_GZIP_ENGINE=zlib` in the CLI). Blocks that
 * look incompressible are stored. The output depends only on the input and the level — never on the
 * thread count (block boundaries are fixed and each block's compression is deterministic). Memory
 * stays bounded: at most 2 * threads + 3 blocks are in flight; the caller's thread writes finished
 * blocks to the sink in order. */
#ifndef XB_LAYER_PGZIP_H
#define XB_LAYER_PGZIP_H

#include <stddef.h>

#include "util/error.h"

#define XB_PGZIP_BLOCK (128u * 1024)

/* Receives compressed output; returns < 0 with *err set to stop. */
typedef int (*xb_sink_fn)(void *userdata, const void *data, size_t len, xb_error_t *err);

typedef struct xb_pgzip xb_pgzip_t;

typedef enum { XB_PGZIP_LIBDEFLATE, XB_PGZIP_ZLIB } xb_pgzip_engine_t;

/* The engine name names ("libdeflate", "zlib"; NULL or "": libdeflate); an unknown name is an
 * error naming what (e.g. "XBUILD_GZIP_ENGINE") and the choices. */
int xb_pgzip_engine_parse(const char *name, const char *what, xb_pgzip_engine_t *engine,
                          xb_error_t *err);

/* level 0-9 (-1: 6); threads <= 0: all online cores, 1: no worker threads. Caller frees with
 * xb_pgzip_free(). */
int xb_pgzip_new_engine(xb_pgzip_engine_t engine, int level, int threads, xb_sink_fn sink,
                        void *userdata, xb_pgzip_t **out, xb_error_t *err);
int xb_pgzip_write(xb_pgzip_t *z, const void *data, size_t len, xb_error_t *err);
/* Compresses what is left and writes the trailer. */
int xb_pgzip_finish(xb_pgzip_t *z, xb_error_t *err);
/* Stops the workers and frees everything (after finish or to abort). NULL is fine. */
void xb_pgzip_free(xb_pgzip_t *z);

#endif
