/* Blob downloads: into the store through its verifying writer, or into memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "snapshot/stream.h"
#include "util/log.h"
#include "util/cleanup.h"

/* --- blob downloads --- */
struct blob_sink {
    xb_registry_t *r;
    const char *digest;
    xb_store_t *store;
    xb_blob_writer_t *w;
    xb_buf_t *mem;
    size_t max;
    int64_t size; /* expected, or -1 */
    int64_t got;
    xb_snapshot_stream_t *tee; /* extraction fed by the download, or NULL */
    xb_error_t err;
    bool failed;
};

static size_t blob_write(const void *data, size_t len, void *ud)
{
    struct blob_sink *b = ud;
    if (b->failed)
        return 0;
    b->got += (int64_t)len;
    if (b->size >= 0 && b->got > b->size) {
        b->failed = true;
        xb_error_set(&b->err, XB_ERR_DIGEST, "the registry sent more than the %lld bytes expected",
                     (long long)b->size);
        return 0;
    }
    if (b->mem) {
        if (b->mem->len + len > b->max || xb_buf_append(b->mem, data, len) < 0) {
            b->failed = true;
            xb_error_set(&b->err, XB_ERR_INVALID, "blob larger than %zu bytes", b->max);
            return 0;
        }
        return len;
    }
    if (b->w == NULL && xb_store_blob_begin(b->store, &b->w, &b->err) < 0) {
        b->failed = true;
        return 0;
    }
    if (xb_blob_write(b->w, data, len, &b->err) < 0) {
        b->failed = true;
        return 0;
    }
    xb_snapshot_stream_write(b->tee, data, len);
    if (b->r->opts.progress)
        b->r->opts.progress(b->digest, "Copying", b->got, b->size, XB_PROGRESS_UPDATE,
                            b->r->opts.progress_ud);
    return len;
}

static void blob_reset(void *ud)
{
    struct blob_sink *b = ud;
    if (b->got > 0) /* an attempt fed the extraction part of the blob: abandon it */
        xb_snapshot_stream_break(b->tee);
    xb_blob_abort(b->w);
    b->w = NULL;
    b->got = 0;
    if (b->mem)
        xb_buf_reset(b->mem);
}

static int fetch(xb_registry_t *r, struct blob_sink *b, const char *digest, xb_error_t *err)
{
    cleanup_free char *op = NULL, *path = NULL;
    if (asprintf(&op, "GET blob %s@%s", r->name, digest) < 0 ||
        asprintf(&path, "/v2/%s/blobs/%s", r->repo, digest) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_http_sink_t sink = {blob_write, blob_reset, b};
    xb_http_req_t rq = {
        .method = "GET", .url = path, .op = op, .body_fd = -1, .sink = &sink, .follow = true};
    cleanup_resp xb_http_resp_t resp = {0};
    int rc = xb_http_do(r, &rq, &resp, err);
    if (b->failed) {
        xb_error_move(err, &b->err);
        return xb_error_wrap(err, "%s", op);
    }
    if (rc < 0)
        return rc;
    if (resp.status != 200)
        return xb_registry_fail(r, &resp, op, err);
    if (b->size >= 0 && b->got != b->size)
        return xb_error_set(err, XB_ERR_DIGEST, "%s: got %lld bytes, expected %lld", op,
                            (long long)b->got, (long long)b->size);
    return 0;
}

int xb_registry_fetch_layer(xb_registry_t *r, xb_store_t *s, const char *digest, int64_t size,
                            const char *diff_id, xb_error_t *err)
{
    if (!xb_digest_valid(digest))
        return xb_error_set(err, XB_ERR_INVALID, "invalid blob digest \"%s\"", digest);
    struct blob_sink b = {.r = r, .digest = digest, .store = s, .size = size};
    if (diff_id != NULL) {
        xb_error_t e = XB_ERROR_INIT;
        if (xb_snapshot_stream_begin(s, diff_id, &b.tee, &e) < 0)
            xb_debug("%s: not extracting while downloading: %s", digest, e.msg);
        xb_error_clear(&e);
    }
    int rc = fetch(r, &b, digest, err);
    xb_error_clear(&b.err);
    if (rc < 0) {
        xb_snapshot_stream_abort(b.tee);
        xb_blob_abort(b.w);
        return rc;
    }
    if (b.w == NULL && xb_store_blob_begin(s, &b.w, err) < 0) { /* empty blob */
        xb_snapshot_stream_abort(b.tee);
        return -err->code;
    }
    if (xb_blob_commit(b.w, digest, NULL, NULL, err) < 0) {
        /* not what the manifest names: the extracted tree must not be used either */
        xb_snapshot_stream_abort(b.tee);
        return xb_error_wrap(err, "blob %s from %s", digest, r->name);
    }
    /* verified: the tree extracted meanwhile becomes the layer's snapshot */
    xb_snapshot_stream_finish(b.tee);
    return 0;
}

int xb_registry_fetch_blob(xb_registry_t *r, xb_store_t *s, const char *digest, int64_t size,
                           xb_error_t *err)
{
    return xb_registry_fetch_layer(r, s, digest, size, NULL, err);
}

int xb_registry_fetch_blob_mem(xb_registry_t *r, const char *digest, size_t max, char **data,
                               size_t *len, xb_error_t *err)
{
    *data = NULL;
    if (!xb_digest_valid(digest))
        return xb_error_set(err, XB_ERR_INVALID, "invalid blob digest \"%s\"", digest);
    xb_buf_t mem = XB_BUF_INIT;
    struct blob_sink b = {.r = r, .digest = digest, .mem = &mem, .max = max, .size = -1};
    int rc = fetch(r, &b, digest, err);
    xb_error_clear(&b.err);
    if (rc < 0) {
        xb_buf_free(&mem);
        return rc;
    }
    char got[XB_DIGEST_LEN];
    xb_digest_buf(mem.data ? mem.data : "", mem.len, got);
    if (strcmp(got, digest) != 0) {
        xb_buf_free(&mem);
        return xb_error_set(err, XB_ERR_DIGEST, "GET blob %s@%s: content has digest %s", r->name,
                            digest, got);
    }
    *len = mem.len;
    *data = xb_buf_steal(&mem);
    return 0;
}
