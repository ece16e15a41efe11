/* Compressor backends: gzip (parallel, pgzip.c), zstd (libzstd, multi-threaded), none. */
#include "layer/compress.h"

#include "layer/pgzip.h"
#include "util/sys.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define OUTBUF (128 * 1024)

struct xb_compressor {
    xb_compression_t kind;
    xb_sink_fn sink;
    void *ud;
    xb_pgzip_t *pg;
    ZSTD_CCtx *zc;
    unsigned char *out;
};

int xb_compressor_new(xb_compression_t c, int level, int threads, xb_pgzip_engine_t engine,
                      xb_sink_fn sink, void *userdata, xb_compressor_t **out, xb_error_t *err)
{
    xb_compressor_t *z = calloc(1, sizeof(*z));
    *out = NULL;
    if (z == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    z->kind = c;
    z->sink = sink;
    z->ud = userdata;
    if (threads <= 0)
        threads = xb_cpu_count();
    if (c == XB_COMPRESSION_ZSTD && (z->out = malloc(OUTBUF)) == NULL) {
        free(z);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    switch (c) {
    case XB_COMPRESSION_NONE:
        break;
    case XB_COMPRESSION_GZIP: {
        int r = xb_pgzip_new_engine(engine, level, threads, sink, userdata, &z->pg, err);
        if (r < 0) {
            xb_compressor_free(z);
            return r;
        }
        break;
    }
    case XB_COMPRESSION_ZSTD:
        if (level <= 0) /* 0 is zstd's own "default" */
            level = 3;
        if (level < 1 || level > ZSTD_maxCLevel()) {
            xb_compressor_free(z);
            return xb_error_set(err, XB_ERR_INVALID, "zstd level %d out of range 1-%d", level,
                                ZSTD_maxCLevel());
        }
        z->zc = ZSTD_createCCtx();
        if (z->zc == NULL) {
            xb_compressor_free(z);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        ZSTD_CCtx_setParameter(z->zc, ZSTD_c_compressionLevel, level);
        ZSTD_CCtx_setParameter(z->zc, ZSTD_c_checksumFlag, 1);
        /* nbWorkers >= 1 always: the output of the multi-threaded mode does not depend on the
         * number of workers, but differs from nbWorkers == 0. */
        if (ZSTD_isError(ZSTD_CCtx_setParameter(z->zc, ZSTD_c_nbWorkers, threads)))
            ZSTD_CCtx_setParameter(z->zc, ZSTD_c_nbWorkers, 0);
        break;
    default:
        xb_compressor_free(z);
        return xb_error_set(err, XB_ERR_INVALID, "unknown compression %d", (int)c);
    }
    *out = z;
    return 0;
}

static int zstd_run(xb_compressor_t *z, const void *data, size_t len, ZSTD_EndDirective mode,
                    xb_error_t *err)
{
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        ZSTD_outBuffer o = {z->out, OUTBUF, 0};
        size_t rem = ZSTD_compressStream2(z->zc, &o, &in, mode);
        if (ZSTD_isError(rem))
            return xb_error_set(err, XB_ERR_INTERNAL, "zstd: %s", ZSTD_getErrorName(rem));
        if (o.pos > 0 && z->sink(z->ud, z->out, o.pos, err) < 0)
            return -1;
        if (mode == ZSTD_e_end ? rem == 0 : in.pos == in.size)
            return 0;
    }
}

int xb_compressor_write(xb_compressor_t *z, const void *data, size_t len, xb_error_t *err)
{
    if (len == 0)
        return 0;
    switch (z->kind) {
    case XB_COMPRESSION_GZIP:
        return xb_pgzip_write(z->pg, data, len, err);
    case XB_COMPRESSION_ZSTD:
        return zstd_run(z, data, len, ZSTD_e_continue, err);
    default:
        return z->sink(z->ud, data, len, err);
    }
}

int xb_compressor_finish(xb_compressor_t *z, xb_error_t *err)
{
    switch (z->kind) {
    case XB_COMPRESSION_GZIP:
        return xb_pgzip_finish(z->pg, err);
    case XB_COMPRESSION_ZSTD:
        return zstd_run(z, NULL, 0, ZSTD_e_end, err);
    default:
        return 0;
    }
}

void xb_compressor_free(xb_compressor_t *z)
{
    if (z == NULL)
        return;
    xb_pgzip_free(z->pg);
    ZSTD_freeCCtx(z->zc);
    free(z->out);
    free(z);
}
