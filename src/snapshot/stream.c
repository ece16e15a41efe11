/* Layer extraction fed by a download (see stream.h). */
#include "snapshot/stream.h"

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
#include "snapshot/layers.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/log.h"

struct xb_snapshot_stream {
    char *tmp, *final;
    char diff_id[XB_DIGEST_LEN];
    int pipe_w, pipe_r, root;
    pthread_t thread;
    bool started, broken;
    xb_error_t err;    /* the thread's */
    int rc;            /* the thread's result */
    uint64_t max_size; /* the store's layer size limit */
};

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
    if (!mem || xb_sha256_init(&d.h, err) < 0 || (a = archive_read_new()) == NULL) {
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

static void *extract_main(void *ud)
{
    xb_snapshot_stream_t *st = ud;
    st->rc =
        xb_snapshot_extract_verified(st->root, st->pipe_r, st->diff_id, st->max_size, &st->err);
    /* read to the end whatever is left (a failed stream): the writer never blocks on a full pipe
     * nobody reads */
    char buf[65536];
    for (;;) {
        ssize_t n = read(st->pipe_r, buf, sizeof buf);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        break;
    }
    return NULL;
}

static void stream_free(xb_snapshot_stream_t *st)
{
    if (st->pipe_w >= 0)
        close(st->pipe_w);
    if (st->started)
        pthread_join(st->thread, NULL);
    if (st->pipe_r >= 0)
        close(st->pipe_r);
    if (st->root >= 0)
        close(st->root);
    if (st->tmp != NULL) {
        cleanup_error xb_error_t e = XB_ERROR_INIT;
        xb_rm_rf(st->tmp, &e);
    }
    xb_error_clear(&st->err);
    free(st->tmp);
    free(st->final);
    free(st);
}

int xb_snapshot_stream_begin(xb_store_t *s, const char *diff_id, xb_snapshot_stream_t **out,
                             xb_error_t *err)
{
    *out = NULL;
    const char *snap = getenv("XBUILD_SNAPSHOTTER");
    if (snap != NULL && strcmp(snap, "copy") == 0)
        return 0;
    if (!xb_digest_valid(diff_id) || strncmp(diff_id, "sha256:", 7) != 0)
        return xb_error_set(err, XB_ERR_INVALID, "invalid diffID '%s'", diff_id);
    cleanup_free char *dir = xb_snapshot_layers_dir(s);
    if (dir == NULL || xb_mkdir_p(dir, 0700, err) < 0)
        return -1;
    (void)chmod(dir, 0700);
    xb_snapshot_stream_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    st->pipe_w = st->pipe_r = st->root = -1;
    snprintf(st->diff_id, sizeof st->diff_id, "%s", diff_id);
    st->max_size = xb_store_max_layer_size(s);
    st->final = xb_path_join(dir, diff_id + 7);
    if (st->final == NULL) {
        stream_free(st);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (xb_is_dir(st->final)) {
        stream_free(st);
        return 0;
    }
    if (asprintf(&st->tmp, "%s/.tmp-%.12s-%d-XXXXXX", dir, diff_id + 7, (int)getpid()) < 0) {
        st->tmp = NULL;
        stream_free(st);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (mkdtemp(st->tmp) == NULL) {
        int e = errno;
        free(st->tmp);
        st->tmp = NULL;
        stream_free(st);
        return xb_error_errno(err, e, "cannot create a directory in %s", dir);
    }
    (void)chmod(st->tmp, 0755);
    int p[2];
    if ((st->root = xb_inroot_open_root(st->tmp, err)) < 0) {
        stream_free(st);
        return -1;
    }
    if (pipe2(p, O_CLOEXEC) < 0) {
        int e = errno;
        stream_free(st);
        return xb_error_errno(err, e, "pipe");
    }
    st->pipe_r = p[0];
    st->pipe_w = p[1];
    (void)fcntl(st->pipe_w, F_SETPIPE_SZ, 1 << 20);
    int e = pthread_create(&st->thread, NULL, extract_main, st);
    if (e != 0) {
        stream_free(st);
        return xb_error_errno(err, e, "cannot start the extraction thread");
    }
    st->started = true;
    xb_debug("snapshot: extracting %s while it downloads", diff_id);
    *out = st;
    return 0;
}

void xb_snapshot_stream_write(xb_snapshot_stream_t *st, const void *data, size_t len)
{
    if (st == NULL || st->broken)
        return;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(st->pipe_w, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* the reader is gone: cannot happen while it drains, but be safe */
            st->broken = true;
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

void xb_snapshot_stream_break(xb_snapshot_stream_t *st)
{
    if (st != NULL)
        st->broken = true;
}

int xb_snapshot_stream_finish(xb_snapshot_stream_t *st)
{
    if (st == NULL)
        return 0;
    close(st->pipe_w);
    st->pipe_w = -1;
    pthread_join(st->thread, NULL);
    st->started = false;
    int done = 0;
    if (st->broken)
        xb_debug("snapshot: %s: download restarted; extracting from the blob later", st->diff_id);
    else if (st->rc < 0)
        xb_debug("snapshot: %s: extraction while downloading failed (%s); extracting from the "
                 "blob later",
                 st->diff_id, st->err.msg ? st->err.msg : "?");
    else if (rename(st->tmp, st->final) == 0 || xb_is_dir(st->final)) {
        done = 1; /* (or another build extracted it meanwhile: ours is removed below) */
        if (!xb_path_exists(st->tmp)) {
            free(st->tmp);
            st->tmp = NULL;
        }
    } else
        xb_debug("snapshot: %s: cannot rename %s: %s", st->diff_id, st->tmp, strerror(errno));
    stream_free(st);
    return done;
}

void xb_snapshot_stream_abort(xb_snapshot_stream_t *st)
{
    if (st == NULL)
        return;
    st->broken = true;
    stream_free(st);
}
