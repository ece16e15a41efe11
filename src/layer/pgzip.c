/* Parallel gzip: fixed blocks deflated on worker threads (libdeflate, or zlib with the previous
 * 32 KiB as dictionary), joined into one member; combined CRC. */
#include "layer/pgzip.h"
#include "util/sys.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DICT 32768u

struct job {
    uint64_t seq;
    bool last, done, failed;
    unsigned char *in; /* DICT bytes of dictionary, then the block */
    size_t dict_len, len;
    unsigned char *out;
    size_t out_len, out_cap;
    uLong crc;
    struct job *next; /* work queue / free list */
};

/* A worker's compressors, set up by the creating thread: workers allocate nothing, so glibc
 * gives them no arenas of their own (about 0.7 MB of resident memory each). zlib engine: s (with
 * dictionary). libdeflate engine: ld (the level), ld0 (stored blocks) and scan, a raw inflate
 * stream that finds where the last deflate block of a chunk starts and ends. */
struct wctx {
    struct xb_pgzip *z;
    z_stream s, probe, scan;
    bool ok, pok;
    bool s_init, scan_init;
    struct libdeflate_compressor *ld, *ld0;
};

struct xb_pgzip {
    int level, threads;
    xb_pgzip_engine_t engine;
    struct wctx *w;
    xb_sink_fn sink;
    void *ud;

    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    pthread_t *tids;
    int nthreads_started;
    bool stop;
    struct job *queue_head, *queue_tail; /* waiting for a worker */

    struct job **inflight; /* ring in sequence order */
    size_t max_inflight, nin, ring_head;
    struct job *free_jobs;

    struct job *cur; /* block being filled */
    unsigned char dict[DICT];
    size_t dict_len;
    uint64_t next_seq;
    uLong crc;
    uint64_t total;
    bool header_done, finished;
    struct wctx single; /* used when threads == 1 */
};

static void job_free(struct job *j)
{
    if (j == NULL)
        return;
    free(j->in);
    free(j->out);
    free(j);
}

/* Incompressible bytes (compressed archives, media, random data) cost deflate the most time for
 * nothing: a block whose sampled bytes look random (near-uniform byte histogram) and whose first
 * PROBE bytes do not shrink at level 1 is stored (level 0) instead. The decision depends on the
 * block's content only, so the output is still the same whatever the thread count. */
#define PROBE (16 * 1024)

static bool incompressible(z_stream *probe, const unsigned char *p, size_t len)
{
    if (probe == NULL || len < PROBE)
        return false;
    /* 64 samples of 64 bytes spread over the block */
    unsigned count[256] = {0};
    size_t n = 0, step = len / 64;
    for (size_t k = 0; k < 64; k++)
        for (size_t i = 0; i < 64 && k * step + i < len; i++, n++)
            count[p[k * step + i]]++;
    /* collision entropy: n^2 / sum(count^2) is the "effective alphabet"; random bytes give
     * about 240 of 256, text under 40 */
    uint64_t sq = 0;
    for (int b = 0; b < 256; b++)
        sq += (uint64_t)count[b] * count[b];
    if (sq == 0 || (uint64_t)n * n / sq < 160)
        return false;
    unsigned char out[PROBE + 256];
    if (deflateReset(probe) != Z_OK)
        return false;
    probe->next_in = (unsigned char *)p;
    probe->avail_in = PROBE;
    probe->next_out = out;
    probe->avail_out = sizeof out;
    if (deflate(probe, Z_FINISH) != Z_STREAM_END)
        return false;
    return sizeof out - probe->avail_out >= PROBE - PROBE / 64; /* saves under 1.6 % */
}

static int compress_zlib(struct wctx *w, int level, bool stored, struct job *j)
{
    z_stream *s = &w->s;
    if (deflateReset(s) != Z_OK)
        return -1;
    /* right after a reset this only sets the level (nothing is flushed) */
    if (deflateParams(s, stored ? 0 : level, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    if (j->dict_len > 0 &&
        deflateSetDictionary(s, j->in + DICT - j->dict_len, (uInt)j->dict_len) != Z_OK)
        return -1;
    size_t need = deflateBound(s, j->len) + 64;
    if (j->out_cap < need) {
        unsigned char *n = realloc(j->out, need);
        if (n == NULL)
            return -1;
        j->out = n;
        j->out_cap = need;
    }
    s->next_in = j->in + DICT;
    s->avail_in = (uInt)j->len;
    j->out_len = 0;
    int flush = j->last ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
        s->next_out = j->out + j->out_len;
        s->avail_out = (uInt)(j->out_cap - j->out_len);
        int r = deflate(s, flush);
        j->out_len = j->out_cap - s->avail_out;
        if (r == Z_STREAM_ERROR)
            return -1;
        if (j->last ? r == Z_STREAM_END : (s->avail_in == 0 && s->avail_out != 0))
            return 0;
        unsigned char *n = realloc(j->out, j->out_cap * 2);
        if (n == NULL)
            return -1;
        j->out = n;
        j->out_cap *= 2;
    }
}

/* libdeflate writes a complete deflate stream: its last block is marked final and padded to a
 * byte. For a chunk that more chunks follow, inflate (Z_BLOCK) finds where that block starts
 * and ends; its final bit is cleared and an empty stored block (what Z_SYNC_FLUSH writes) ends
 * the chunk on a byte boundary, so the next chunk's blocks continue the same stream. Decoding
 * the chunk also proves it is a valid deflate stream of exactly len bytes. */
static int make_nonfinal(struct wctx *w, struct job *j)
{
    z_stream *s = &w->scan;
    if (inflateReset(s) != Z_OK)
        return -1;
    unsigned char buf[16384];
    s->next_in = j->out;
    s->avail_in = (uInt)j->out_len;
    uint64_t final_at = 0, end_at = 0;
    int r;
    do {
        s->next_out = buf;
        s->avail_out = sizeof buf;
        r = inflate(s, Z_BLOCK);
        if (r != Z_OK && r != Z_STREAM_END)
            return -1;
        /* at the end of a block (data_type & 128; & 64: it was the last): the bit position
         * then is exact (at Z_STREAM_END the padding has been read too) */
        uint64_t at = (uint64_t)s->total_in * 8 - (unsigned)(s->data_type & 7);
        if ((s->data_type & 128) && !(s->data_type & 64))
            final_at = at; /* the next block starts here */
        else if ((s->data_type & 128) && end_at == 0)
            end_at = at;
    } while (r != Z_STREAM_END);
    if (s->total_in != j->out_len || s->total_out != j->len || end_at <= final_at ||
        end_at + 8 <= (uint64_t)j->out_len * 8)
        return -1;
    j->out[final_at / 8] &= (unsigned char)~(1u << (final_at % 8));
    size_t n = j->out_len;
    unsigned used = (unsigned)(end_at % 8); /* bits of the last byte in use (0: all 8) */
    if (used != 0)
        j->out[n - 1] &= (unsigned char)((1u << used) - 1); /* padding: zero */
    if (used == 0 || used > 5)
        j->out[n++] = 0; /* the stored block's 3 header bits need a byte of their own */
    static const unsigned char len0[4] = {0, 0, 0xff, 0xff};
    memcpy(j->out + n, len0, sizeof len0);
    j->out_len = n + sizeof len0;
    return 0;
}

static int compress_libdeflate(struct wctx *w, bool stored, struct job *j)
{
    /* job buffers hold any chunk's bound plus the 5 bytes of the stored block */
    j->out_len = libdeflate_deflate_compress(stored ? w->ld0 : w->ld, j->in + DICT, j->len, j->out,
                                             j->out_cap - 8);
    if (j->out_len == 0)
        return -1;
    return j->last ? 0 : make_nonfinal(w, j);
}

static int compress_job(struct wctx *w, int level, xb_pgzip_engine_t engine, struct job *j)
{
    if (!w->ok)
        return -1;
    j->crc = (uLong)libdeflate_crc32(0, j->in + DICT, j->len);
    bool stored = level == 0 || incompressible(w->pok ? &w->probe : NULL, j->in + DICT, j->len);
    return engine == XB_PGZIP_ZLIB ? compress_zlib(w, level, stored, j)
                                   : compress_libdeflate(w, stored, j);
}

/* The probe only deflates PROBE bytes: a 16 KiB window and a smaller hash are enough, and keep
 * its state at about a third of a full stream's. */
static int probe_init(z_stream *s)
{
    memset(s, 0, sizeof(*s));
    return deflateInit2(s, 1, Z_DEFLATED, -14, 6, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

static int stream_init(z_stream *s, int level)
{
    memset(s, 0, sizeof(*s));
    return deflateInit2(s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* A raw inflate stream whose window is already allocated (zlib allocates it on first use,
 * which would be in the worker): one empty stored block is decoded. */
static int scan_init(z_stream *s)
{
    memset(s, 0, sizeof(*s));
    if (inflateInit2(s, -15) != Z_OK)
        return -1;
    static const unsigned char empty[] = {1, 0, 0, 0xff, 0xff};
    unsigned char out[1];
    s->next_in = (unsigned char *)empty;
    s->avail_in = sizeof empty;
    s->next_out = out;
    s->avail_out = sizeof out;
    if (inflate(s, Z_FINISH) != Z_STREAM_END) {
        inflateEnd(s);
        return -1;
    }
    return 0;
}

static void wctx_init(struct wctx *w, xb_pgzip_t *z)
{
    w->z = z;
    if (z->engine == XB_PGZIP_ZLIB) {
        w->ok = w->s_init = stream_init(&w->s, z->level) == 0;
    } else {
        w->ld = libdeflate_alloc_compressor(z->level);
        w->ld0 = libdeflate_alloc_compressor(0);
        w->scan_init = scan_init(&w->scan) == 0;
        w->ok = w->ld && w->ld0 && w->scan_init;
    }
    w->pok = w->ok && z->level > 0 && probe_init(&w->probe) == 0;
}

static void wctx_free(struct wctx *w)
{
    if (w->s_init)
        deflateEnd(&w->s);
    if (w->pok)
        deflateEnd(&w->probe);
    if (w->scan_init)
        inflateEnd(&w->scan);
    libdeflate_free_compressor(w->ld);
    libdeflate_free_compressor(w->ld0);
}

static void *worker(void *arg)
{
    struct wctx *w = arg;
    xb_pgzip_t *z = w->z;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        while (!z->stop && z->queue_head == NULL)
            pthread_cond_wait(&z->cv_work, &z->mu);
        if (z->stop)
            break;
        struct job *j = z->queue_head;
        z->queue_head = j->next;
        if (z->queue_head == NULL)
            z->queue_tail = NULL;
        pthread_mutex_unlock(&z->mu);
        bool failed = compress_job(w, z->level, z->engine, j) < 0;
        pthread_mutex_lock(&z->mu);
        j->failed = failed;
        j->done = true;
        pthread_cond_broadcast(&z->cv_done);
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

int xb_pgzip_engine_parse(const char *e, const char *what, xb_pgzip_engine_t *engine,
                          xb_error_t *err)
{
    if (e == NULL || *e == '\0' || strcmp(e, "libdeflate") == 0)
        *engine = XB_PGZIP_LIBDEFLATE;
    else if (strcmp(e, "zlib") == 0)
        *engine = XB_PGZIP_ZLIB;
    else
        return xb_error_set(err, XB_ERR_INVALID, "%s=%s: unknown gzip engine (libdeflate, zlib)",
                            what, e);
    return 0;
}

int xb_pgzip_new_engine(xb_pgzip_engine_t engine, int level, int threads, xb_sink_fn sink,
                        void *userdata, xb_pgzip_t **out, xb_error_t *err)
{
    *out = NULL;
    if (level < 0)
        level = 6;
    if (level > 9)
        return xb_error_set(err, XB_ERR_INVALID, "gzip level %d out of range 0-9", level);
    if (threads <= 0)
        threads = xb_cpu_count();
    if (threads > 256)
        threads = 256;
    xb_pgzip_t *z = calloc(1, sizeof(*z));
    if (z == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    z->level = level;
    z->engine = engine;
    z->threads = threads;
    z->sink = sink;
    z->ud = userdata;
    z->max_inflight = threads > 1 ? (size_t)threads * 2 + 1 : 1; /* all busy, one waiting each */
    pthread_mutex_init(&z->mu, NULL);
    pthread_cond_init(&z->cv_work, NULL);
    pthread_cond_init(&z->cv_done, NULL);
    z->inflight = calloc(z->max_inflight, sizeof(*z->inflight));
    if (z->inflight == NULL) {
        xb_pgzip_free(z);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (threads == 1) {
        wctx_init(&z->single, z);
        if (!z->single.ok) {
            xb_pgzip_free(z);
            return xb_error_set(err, XB_ERR_INTERNAL, "cannot set up the gzip compressor");
        }
    } else {
        z->tids = calloc((unsigned)threads & 0x1ffu, sizeof(*z->tids));
        if (z->tids == NULL) {
            xb_pgzip_free(z);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        z->w = calloc((unsigned)threads & 0x1ffu, sizeof(*z->w));
        if (z->w == NULL) {
            xb_pgzip_free(z);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        for (int i = 0; i < threads; i++) {
            struct wctx *w = &z->w[i];
            wctx_init(w, z);
            if (pthread_create(&z->tids[i], NULL, worker, w) != 0) {
                xb_pgzip_free(z);
                return xb_error_set(err, XB_ERR_INTERNAL, "cannot start compression threads");
            }
            z->nthreads_started++;
        }
    }
    *out = z;
    return 0;
}

static struct job *job_get(xb_pgzip_t *z)
{
    struct job *j = z->free_jobs;
    if (j != NULL) {
        z->free_jobs = j->next;
    } else {
        j = calloc(1, sizeof(*j));
        /* out sized for any level and engine (the bounds cover the worst case, all stored
         * blocks, plus the 5-byte stored block that ends a chunk) so that workers need not grow
         * it; libdeflate's bound does not look at its compressor */
        size_t cap = compressBound(XB_PGZIP_BLOCK);
        size_t ld = libdeflate_deflate_compress_bound(NULL, XB_PGZIP_BLOCK);
        cap = (cap > ld ? cap : ld) + 64;
        if (j == NULL || (j->in = malloc(DICT + XB_PGZIP_BLOCK)) == NULL ||
            (j->out = malloc(cap)) == NULL) {
            if (j)
                free(j->in);
            free(j);
            return NULL;
        }
        j->out_cap = cap;
    }
    j->next = NULL;
    j->len = 0;
    j->done = j->failed = j->last = false;
    memcpy(j->in + DICT - z->dict_len, z->dict, z->dict_len);
    j->dict_len = z->dict_len;
    return j;
}

static int emit(xb_pgzip_t *z, const void *d, size_t n, xb_error_t *err)
{
    return n == 0 ? 0 : z->sink(z->ud, d, n, err);
}

static int write_header(xb_pgzip_t *z, xb_error_t *err)
{
    unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
    h[8] = z->level == 9 ? 2 : (z->level == 1 ? 4 : 0);
    z->header_done = true;
    return emit(z, h, sizeof(h), err);
}

/* Waits for the oldest in-flight job, writes it, recycles it. */
static int drain_one(xb_pgzip_t *z, xb_error_t *err)
{
    struct job *j = z->inflight[z->ring_head];
    if (z->threads > 1) {
        pthread_mutex_lock(&z->mu);
        while (!j->done)
            pthread_cond_wait(&z->cv_done, &z->mu);
        pthread_mutex_unlock(&z->mu);
    }
    z->inflight[z->ring_head] = NULL;
    z->ring_head = (z->ring_head + 1) % z->max_inflight;
    z->nin--;
    int r = 0;
    if (j->failed)
        r = xb_error_set(err, XB_ERR_INTERNAL, "deflate failed (out of memory?)");
    else
        r = emit(z, j->out, j->out_len, err);
    if (r >= 0)
        z->crc = crc32_combine(z->crc, j->crc, (z_off_t)j->len);
    j->next = z->free_jobs;
    z->free_jobs = j;
    return r;
}

static int submit(xb_pgzip_t *z, struct job *j, xb_error_t *err)
{
    /* the tail of this block is the next block's dictionary */
    size_t d = j->len < DICT ? j->len : DICT;
    if (d < DICT) {
        /* short block (only the last one is): keep the older dictionary bytes before it */
        size_t keep = z->dict_len + d > DICT ? DICT - d : z->dict_len;
        memmove(z->dict, z->dict + z->dict_len - keep, keep);
        memcpy(z->dict + keep, j->in + DICT + j->len - d, d);
        z->dict_len = keep + d;
    } else {
        memcpy(z->dict, j->in + DICT + j->len - DICT, DICT);
        z->dict_len = DICT;
    }
    j->seq = z->next_seq++;
    if (!z->header_done && write_header(z, err) < 0) {
        job_free(j);
        return -1;
    }
    while (z->nin == z->max_inflight)
        if (drain_one(z, err) < 0) {
            job_free(j);
            return -1;
        }
    z->inflight[(z->ring_head + z->nin) % z->max_inflight] = j;
    z->nin++;
    if (z->threads > 1) {
        pthread_mutex_lock(&z->mu);
        if (z->queue_tail)
            z->queue_tail->next = j;
        else
            z->queue_head = j;
        z->queue_tail = j;
        pthread_cond_signal(&z->cv_work);
        pthread_mutex_unlock(&z->mu);
    } else {
        j->failed = compress_job(&z->single, z->level, z->engine, j) < 0;
        j->done = true;
    }
    return 0;
}

int xb_pgzip_write(xb_pgzip_t *z, const void *data, size_t len, xb_error_t *err)
{
    const unsigned char *p = data;
    if (z->finished)
        return xb_error_set(err, XB_ERR_INTERNAL, "pgzip: write after finish");
    z->total += len;
    while (len > 0) {
        if (z->cur != NULL && z->cur->len == XB_PGZIP_BLOCK) {
            /* a full block goes out only once more data follows: the last block is never
             * full-and-empty-after, so block boundaries depend on the input alone */
            struct job *j = z->cur;
            z->cur = NULL;
            if (submit(z, j, err) < 0)
                return -1;
        }
        if (z->cur == NULL && (z->cur = job_get(z)) == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        size_t n = XB_PGZIP_BLOCK - z->cur->len;
        if (n > len)
            n = len;
        memcpy(z->cur->in + DICT + z->cur->len, p, n);
        z->cur->len += n;
        p += n;
        len -= n;
    }
    return 0;
}

int xb_pgzip_finish(xb_pgzip_t *z, xb_error_t *err)
{
    if (z->finished)
        return xb_error_set(err, XB_ERR_INTERNAL, "pgzip: finished twice");
    z->finished = true;
    if (z->cur == NULL && (z->cur = job_get(z)) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    struct job *j = z->cur;
    z->cur = NULL;
    j->last = true;
    if (submit(z, j, err) < 0)
        return -1;
    while (z->nin > 0)
        if (drain_one(z, err) < 0)
            return -1;
    unsigned char t[8];
    uint32_t crc = (uint32_t)z->crc, isize = (uint32_t)(z->total & 0xffffffffu);
    for (int i = 0; i < 4; i++) {
        t[i] = (unsigned char)(crc >> (8 * i));
        t[4 + i] = (unsigned char)(isize >> (8 * i));
    }
    return emit(z, t, sizeof(t), err);
}

void xb_pgzip_free(xb_pgzip_t *z)
{
    if (z == NULL)
        return;
    pthread_mutex_lock(&z->mu);
    z->stop = true;
    pthread_cond_broadcast(&z->cv_work);
    pthread_mutex_unlock(&z->mu);
    for (int i = 0; i < z->nthreads_started; i++)
        pthread_join(z->tids[i], NULL);
    /* jobs still queued were never started; in-flight ones are in the ring */
    for (size_t i = 0; z->inflight && i < z->max_inflight; i++)
        job_free(z->inflight[i]);
    for (struct job *j = z->free_jobs, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    job_free(z->cur);
    for (int i = 0; z->w && i < z->threads; i++)
        wctx_free(&z->w[i]);
    free(z->w);
    wctx_free(&z->single);
    free(z->inflight);
    free(z->tids);
    pthread_cond_destroy(&z->cv_work);
    pthread_cond_destroy(&z->cv_done);
    pthread_mutex_destroy(&z->mu);
    free(z);
}
