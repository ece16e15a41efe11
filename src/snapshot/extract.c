/* Verified layer extraction (see extract.h): the blob is decompressed (gzip, zstd or plain
 * tar) and digested on one thread while libarchive applies it on another. */
#include "snapshot/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <zlib.h>
#include <zstd.h>

#include "layer/apply.h"
#include "layer/inroot.h"
#include "lazy/lazy.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/log.h"

/* --- the pipe, decompressed (gzip, zstd or plain tar) and digested on the way to libarchive:
 * the diffID is checked against the config's, so the tree is the layer the image says --- */
enum { DEC_UNKNOWN, DEC_NONE, DEC_GZIP, DEC_ZSTD };
#define DEC_IN  (64 * 1024)
#define DEC_OUT (256 * 1024)

#define DEC_NBUF 4 /* decompressed buffers between the two threads */

/* The decompressing (and digesting) thread fills a ring of buffers that libarchive, in the
 * extracting thread, reads: inflate overlaps with file creation. */
struct dec {
    int fd, kind;
    bool in_eof, done, zinit;
    unsigned char *in, *scratch;
    size_t in_len, in_pos;
    z_stream z;
    ZSTD_DStream *zs;
    xb_sha256_t h;
    const char *why; /* a decompression error */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *buf[DEC_NBUF];
    size_t blen[DEC_NBUF];
    size_t head, count; /* filled: [head, head + count); the slot before head is libarchive's */
    bool end, failed, discard;
};

static bool dec_fill(struct dec *d)
{
    if (d->in_pos < d->in_len)
        return true;
    if (d->in_eof)
        return false;
    for (;;) {
        ssize_t n = read(d->fd, d->in, DEC_IN);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            d->in_eof = true;
            return false;
        }
        d->in_len = (size_t)n;
        d->in_pos = 0;
        return true;
    }
}

/* The next decompressed bytes into out (DEC_OUT bytes): their count, 0 at the end, -1 on
 * error. Everything produced is digested. */
static ssize_t dec_next(struct dec *d, unsigned char *out)
{
    if (d->done)
        return 0;
    if (d->kind == DEC_UNKNOWN) {
        if (!dec_fill(d)) {
            d->done = true;
            return 0;
        }
        const unsigned char *p = d->in + d->in_pos;
        size_t n = d->in_len - d->in_pos;
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
            d->kind = DEC_GZIP;
            if (inflateInit2(&d->z, 15 + 16) != Z_OK)
                return d->why = "inflateInit2 failed", -1;
            d->zinit = true;
        } else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
            d->kind = DEC_ZSTD;
            if ((d->zs = ZSTD_createDStream()) == NULL)
                return d->why = "ZSTD_createDStream failed", -1;
        } else
            d->kind = DEC_NONE;
    }
    for (;;) {
        if (!dec_fill(d)) {
            d->done = true;
            return 0;
        }
        size_t produced = 0;
        if (d->kind == DEC_NONE) {
            produced = d->in_len - d->in_pos;
            if (produced > DEC_OUT)
                produced = DEC_OUT;
            memcpy(out, d->in + d->in_pos, produced);
            d->in_pos += produced;
        } else if (d->kind == DEC_GZIP) {
            d->z.next_in = d->in + d->in_pos;
            d->z.avail_in = (uInt)(d->in_len - d->in_pos);
            d->z.next_out = out;
            d->z.avail_out = DEC_OUT;
            int zr = inflate(&d->z, Z_NO_FLUSH);
            d->in_pos = d->in_len - d->z.avail_in;
            produced = DEC_OUT - d->z.avail_out;
            if (zr == Z_STREAM_END)
                inflateReset(&d->z); /* a next member may follow */
            else if (zr != Z_OK && zr != Z_BUF_ERROR)
                return d->why = "corrupt gzip data", -1;
        } else {
            ZSTD_inBuffer ib = {d->in, d->in_len, d->in_pos};
            ZSTD_outBuffer ob = {out, DEC_OUT, 0};
            size_t zr = ZSTD_decompressStream(d->zs, &ob, &ib);
            if (ZSTD_isError(zr))
                return d->why = "corrupt zstd data", -1;
            d->in_pos = ib.pos;
            produced = ob.pos;
        }
        if (produced > 0) {
            xb_sha256_update(&d->h, out, produced);
            return (ssize_t)produced;
        }
    }
}

/* The decompressing thread: to the end of the input, whatever the reader does (the digest
 * covers every byte); buffers are handed over until the reader says it is done. */
static void *dec_main(void *ud)
{
    struct dec *d = ud;
    for (;;) {
        pthread_mutex_lock(&d->mu);
        while (!d->discard && d->count >= DEC_NBUF - 1)
            pthread_cond_wait(&d->cv, &d->mu);
        bool discard = d->discard;
        size_t slot = (d->head + d->count) % DEC_NBUF;
        pthread_mutex_unlock(&d->mu);
        unsigned char *out = discard ? d->scratch : d->buf[slot];
        ssize_t n = dec_next(d, out);
        pthread_mutex_lock(&d->mu);
        if (n <= 0) {
            d->failed = n < 0;
            d->end = true;
        } else if (!d->discard && !discard) {
            d->blen[slot] = (size_t)n;
            d->count++;
        }
        pthread_cond_broadcast(&d->cv);
        bool end = d->end;
        pthread_mutex_unlock(&d->mu);
        if (end)
            return NULL;
    }
}

static la_ssize_t dec_read(struct archive *a, void *ud, const void **buf)
{
    struct dec *d = ud;
    (void)a;
    pthread_mutex_lock(&d->mu);
    while (d->count == 0 && !d->end)
        pthread_cond_wait(&d->cv, &d->mu);
    la_ssize_t n;
    if (d->count == 0) {
        n = d->failed ? -1 : 0; /* d->why says what; added to the error after the apply */
    } else {
        size_t slot = d->head;
        d->head = (d->head + 1) % DEC_NBUF; /* slot stays ours until the next call */
        d->count--;
        *buf = d->buf[slot];
        n = (la_ssize_t)d->blen[slot];
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return n;
}

int xb_snapshot_extract_verified(int root, int fd, const char *diff_id, uint64_t max_size,
                                 xb_error_t *err)
{
    struct dec d = {.fd = fd};
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.cv, NULL);
    bool mem = (d.in = malloc(DEC_IN)) != NULL && (d.scratch = malloc(DEC_OUT)) != NULL;
    for (size_t i = 0; i < DEC_NBUF && mem; i++)
        mem = (d.buf[i] = malloc(DEC_OUT)) != NULL;
    struct archive *a = NULL;
    pthread_t th;
    bool started = false;
    int rc = -1;
    if (!mem || xb_lazy_load(XB_LAZY_ARCHIVE, err) < 0 || xb_sha256_init(&d.h, err) < 0 ||
        (a = archive_read_new()) == NULL) {
        if (err->code == 0)
            xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    } else if (pthread_create(&th, NULL, dec_main, &d) != 0) {
        xb_error_set(err, XB_ERR_INTERNAL, "cannot start the decompression thread");
    } else {
        started = true;
        archive_read_support_filter_none(a);
        archive_read_support_format_tar(a);
        int ar = archive_read_open(a, &d, NULL, dec_read, NULL) != ARCHIVE_OK ? -1 : 0;
        if (ar < 0)
            xb_error_set(err, XB_ERR_PARSE, "layer: %s", archive_error_string(a));
        else
            ar = xb_layer_apply_archive(root, a, XB_APPLY_OVERLAY, max_size, NULL, err);
        /* the rest of the stream (tar padding after the end marker) still counts for the
         * diffID: the decompressing thread goes on to the end of the input on its own */
        pthread_mutex_lock(&d.mu);
        d.discard = true;
        pthread_cond_broadcast(&d.cv);
        pthread_mutex_unlock(&d.mu);
        pthread_join(th, NULL);
        started = false;
        if (ar == 0) {
            char got[XB_DIGEST_LEN];
            xb_sha256_final(&d.h, got);
            if (d.failed)
                xb_error_set(err, XB_ERR_PARSE, "layer: %s", d.why ? d.why : "read error");
            else if (strcmp(got, diff_id) != 0)
                xb_error_set(err, XB_ERR_DIGEST,
                             "the layer's content has diffID %s, the image config says %s", got,
                             diff_id);
            else
                rc = 0;
        } else if (d.why != NULL)
            xb_error_wrap(err, "%s", d.why);
    }
    if (started)
        pthread_join(th, NULL);
    if (a != NULL)
        archive_read_free(a);
    if (d.zinit)
        inflateEnd(&d.z);
    ZSTD_freeDStream(d.zs);
    xb_sha256_free(&d.h);
    free(d.in);
    free(d.scratch);
    for (size_t i = 0; i < DEC_NBUF; i++)
        free(d.buf[i]);
    pthread_cond_destroy(&d.cv);
    pthread_mutex_destroy(&d.mu);
    return rc;
}
