/* Registry to registry blob copies without the local store: the GET from the source feeds an
 * upload session on the destination in chunks of the destination's chunk size (PATCH with
 * Content-Range), the last chunk goes with the closing PUT ?digest=. Memory: one chunk. The
 * bytes are hashed as they are sent, and the destination verifies the digest as well. A GET the
 * HTTP layer retries after a reset starts again from byte 0: the bytes already sent are skipped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/cleanup.h"

struct copy {
    xb_registry_t *dst;
    const char *digest;
    const char *op;
    char *loc;        /* upload session URL (updated after every PATCH) */
    xb_buf_t chunk;   /* bytes received, not sent yet */
    int64_t sent;     /* bytes the destination holds */
    int64_t got;      /* bytes of the current GET attempt */
    int64_t size;     /* expected, or -1 */
    xb_sha256_t hash; /* over the bytes sent */
    xb_error_t err;
    bool failed;
};

/* METHOD url with the buffered chunk as the body (not retried: the upload's state is the
 * registry's); the response in *resp. */
static int upload(struct copy *c, const char *method, const char *url, const char *const *hdrs,
                  xb_http_resp_t *resp, xb_error_t *err)
{
    xb_http_req_t rq = {.method = method,
                        .url = url,
                        .op = c->op,
                        .headers = hdrs,
                        .body = c->chunk.data ? c->chunk.data : "",
                        .body_len = c->chunk.len,
                        .body_fd = -1,
                        .has_body = true,
                        .no_retry = true};
    return xb_http_do(c->dst, &rq, resp, err);
}

static int send_chunk(struct copy *c, xb_error_t *err)
{
    char range[80];
    snprintf(range, sizeof(range), "Content-Range: %" PRId64 "-%" PRId64, c->sent,
             c->sent + (int64_t)c->chunk.len - 1);
    const char *hdrs[] = {"Content-Type: application/octet-stream", range, NULL};
    cleanup_resp xb_http_resp_t resp = {0};
    if (upload(c, "PATCH", c->loc, hdrs, &resp, err) < 0)
        return -err->code;
    if (resp.status != 202)
        return xb_registry_fail(c->dst, &resp, c->op, err);
    if (resp.location != NULL) {
        char *nl = xb_http_resolve(resp.url, resp.location);
        if (nl != NULL) {
            free(c->loc);
            c->loc = nl;
        }
    }
    xb_sha256_update(&c->hash, c->chunk.data, c->chunk.len);
    c->sent += (int64_t)c->chunk.len;
    xb_buf_reset(&c->chunk);
    return 0;
}

static size_t copy_write(const void *data, size_t len, void *ud)
{
    struct copy *c = ud;
    if (c->failed)
        return 0;
    const char *p = data;
    size_t n = len;
    int64_t start = c->got;
    c->got += (int64_t)len;
    if (c->size >= 0 && c->got > c->size) {
        c->failed = true;
        xb_error_set(&c->err, XB_ERR_DIGEST, "the source sent more than the %lld bytes expected",
                     (long long)c->size);
        return 0;
    }
    int64_t have = c->sent + (int64_t)c->chunk.len; /* bytes already taken */
    if (start < have) {                             /* a retried GET: skip what we have */
        int64_t skip = have - start;
        if (skip >= (int64_t)n)
            return len;
        p += skip;
        n -= (size_t)skip;
    }
    size_t limit = (size_t)c->dst->opts.chunk_size;
    while (n > 0) {
        /* a full chunk goes once more bytes follow: the last one travels with the PUT */
        if (c->chunk.len >= limit && send_chunk(c, &c->err) < 0) {
            c->failed = true;
            return 0;
        }
        size_t room = limit - c->chunk.len;
        size_t take = n < room ? n : room;
        if (xb_buf_append(&c->chunk, p, take) < 0) {
            c->failed = true;
            xb_error_set(&c->err, XB_ERR_INTERNAL, "out of memory");
            return 0;
        }
        p += take;
        n -= take;
    }
    return len;
}

static void copy_reset(void *ud)
{
    struct copy *c = ud;
    c->got = 0; /* the retry starts at byte 0: copy_write skips the bytes taken */
}

/* The closing PUT ?digest= with the last (possibly empty) chunk. */
static int finish(struct copy *c, xb_error_t *err)
{
    xb_sha256_update(&c->hash, c->chunk.data, c->chunk.len);
    char got[XB_DIGEST_LEN];
    xb_sha256_final(&c->hash, got);
    if (strcmp(got, c->digest) != 0)
        return xb_error_set(err, XB_ERR_DIGEST, "%s: the source sent content with digest %s", c->op,
                            got);
    cleanup_free char *url = xb_upload_url_with_digest(c->loc, c->digest);
    if (url == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    const char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
    cleanup_resp xb_http_resp_t resp = {0};
    if (upload(c, "PUT", url, hdrs, &resp, err) < 0)
        return -err->code;
    if (resp.status != 201 && resp.status != 204)
        return xb_registry_fail(c->dst, &resp, c->op, err);
    return 0;
}

static int copy_once(xb_registry_t *src, struct copy *c, xb_error_t *err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "/v2/%s/blobs/%s", src->repo, c->digest) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_upload_session(c->dst, c->op, &c->loc, err) < 0)
        return -err->code;
    if (xb_sha256_init(&c->hash, err) < 0)
        return -err->code;
    xb_http_sink_t sink = {copy_write, copy_reset, c};
    xb_http_req_t rq = {
        .method = "GET", .url = path, .op = c->op, .body_fd = -1, .sink = &sink, .follow = true};
    cleanup_resp xb_http_resp_t resp = {0};
    int rc = xb_http_do(src, &rq, &resp, err);
    if (c->failed) {
        xb_error_move(err, &c->err);
        return xb_error_wrap(err, "%s", c->op);
    }
    if (rc < 0)
        return rc;
    if (resp.status != 200)
        return xb_registry_fail(src, &resp, c->op, err);
    int64_t total = c->sent + (int64_t)c->chunk.len;
    if (c->size >= 0 && total != c->size)
        return xb_error_set(err, XB_ERR_DIGEST, "%s: got %lld bytes, expected %lld", c->op,
                            (long long)total, (long long)c->size);
    return finish(c, err);
}

int xb_registry_copy_blob(xb_registry_t *src, xb_registry_t *dst, const char *digest, int64_t size,
                          xb_error_t *err)
{
    if (!xb_digest_valid(digest))
        return xb_error_set(err, XB_ERR_INVALID, "invalid blob digest \"%s\"", digest);
    cleanup_free char *op = NULL;
    if (asprintf(&op, "copy blob %s from %s to %s", digest, src->name, dst->name) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    struct copy c = {.dst = dst, .digest = digest, .op = op, .chunk = XB_BUF_INIT, .size = size};
    int rc = copy_once(src, &c, err);
    xb_sha256_free(&c.hash);
    xb_error_clear(&c.err);
    xb_buf_free(&c.chunk);
    free(c.loc);
    return rc;
}
