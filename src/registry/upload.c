/* Blob uploads: POST a session, then one PUT (monolithic) or PATCH chunks with Content-Range,
 * always continuing at the newest Location; after a failed chunk the registry's Range (GET on
 * the session) says where to resume, and a lost session starts over. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

struct src {
    const void *mem;
    int fd;
    int64_t size;
};

struct progress {
    xb_registry_t *r;
    const char *digest;
    int64_t base, size;
};

static void on_sent(int64_t bytes, void *ud)
{
    struct progress *p = ud;
    p->r->opts.progress(p->digest, "Uploading", p->base + bytes, p->size, XB_PROGRESS_UPDATE,
                        p->r->opts.progress_ud);
}

int xb_upload_session(xb_registry_t *r, const char *op, char **loc, xb_error_t *err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "/v2/%s/blobs/uploads/", r->repo) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_http_req_t rq = {.method = "POST", .url = path, .op = op, .body_fd = -1, .has_body = true};
    cleanup_resp xb_http_resp_t resp = {0};
    if (xb_http_do(r, &rq, &resp, err) < 0)
        return -err->code;
    if (resp.status != 202)
        return xb_registry_fail(r, &resp, op, err);
    if (resp.location == NULL)
        return xb_error_set(err, XB_ERR_REGISTRY, "%s: the registry sent no upload Location", op);
    *loc = xb_http_resolve(resp.url, resp.location);
    if (*loc == NULL)
        return xb_error_set(err, XB_ERR_REGISTRY, "%s: bad upload Location", op);
    return 0;
}

char *xb_upload_url_with_digest(const char *loc, const char *digest)
{
    char *u = NULL;
    char *e = curl_easy_escape(NULL, digest, 0);
    if (e == NULL || asprintf(&u, "%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', e) < 0)
        u = NULL;
    curl_free(e);
    return u;
}

/* "0-1234" -> 1235 (bytes the registry holds); -1 when absent or malformed. */
int64_t xb_upload_range_next(const char *range)
{
    if (range == NULL)
        return -1;
    const char *p = range;
    if (strncmp(p, "bytes=", 6) == 0)
        p += 6;
    const char *dash = strchr(p, '-');
    if (dash == NULL)
        return -1;
    char *end;
    long long e = strtoll(dash + 1, &end, 10);
    if (end == dash + 1)
        return -1;
    return e + 1;
}

static void set_body(xb_http_req_t *rq, const struct src *s, int64_t off, int64_t len,
                     struct progress *pg)
{
    if (pg->r->opts.progress) {
        pg->base = off;
        rq->sent = on_sent;
        rq->sent_ud = pg;
    }
    rq->has_body = true;
    rq->body_len = (size_t)len;
    if (s->fd >= 0) {
        rq->body_fd = s->fd;
        rq->body_off = off;
    } else {
        rq->body_fd = -1;
        rq->body = (const char *)s->mem + off;
    }
}

/* Asks the registry how much of the session it holds. 0 with *next and *loc updated, or -1 when
 * the session is gone (start over). */
static int session_status(xb_registry_t *r, char **loc, int64_t acked, int64_t *next,
                          const char *op)
{
    xb_error_t e = XB_ERROR_INIT;
    xb_http_req_t rq = {.method = "GET", .url = *loc, .op = op, .body_fd = -1};
    cleanup_resp xb_http_resp_t resp = {0};
    int rc = xb_http_do(r, &rq, &resp, &e);
    xb_error_clear(&e);
    if (rc < 0 || resp.status != 204)
        return -1;
    int64_t n = xb_upload_range_next(resp.range);
    /* distribution says "0-0" for an empty session too: trust it only past what it acked */
    if (n == 1 && acked == 0 && resp.range && strstr(resp.range, "0-0"))
        n = 0;
    *next = n < 0 ? 0 : n;
    if (resp.location) {
        char *nl = xb_http_resolve(resp.url, resp.location);
        if (nl) {
            free(*loc);
            *loc = nl;
        }
    }
    return 0;
}

static bool transient(int rc, const xb_http_resp_t *resp)
{
    if (rc < 0)
        return resp->transient;
    return resp->status >= 500 || resp->status == 429 || resp->status == 408;
}

static int upload(xb_registry_t *r, const char *digest, const struct src *s, xb_error_t *err)
{
    cleanup_free char *op = NULL;
    if (asprintf(&op, "upload blob %s to %s", digest, r->name) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int failures = 0, max_failures = r->opts.retries;
    struct progress pg = {r, digest, 0, s->size};
    const char *oct = "Content-Type: application/octet-stream";
    for (;;) {
        cleanup_free char *loc = NULL;
        if (xb_upload_session(r, op, &loc, err) < 0)
            return -err->code;
        int64_t off = 0;
        bool restart = false;
        cleanup_resp xb_http_resp_t resp = {0};
        int rc = 0;
        if (s->size <= r->opts.chunk_size) {
            /* monolithic: PUT <location>?digest= with the whole body */
            cleanup_free char *url = xb_upload_url_with_digest(loc, digest);
            const char *hdrs[] = {oct, NULL};
            xb_http_req_t rq = {
                .method = "PUT", .url = url, .op = op, .headers = hdrs, .no_retry = true};
            set_body(&rq, s, 0, s->size, &pg);
            rc = xb_http_do(r, &rq, &resp, err);
            if (rc == 0 && (resp.status == 201 || resp.status == 204))
                return 0;
            if (!transient(rc, &resp) || ++failures > max_failures)
                return rc < 0 ? rc : xb_registry_fail(r, &resp, op, err);
            xb_debug("%s: %s; starting over (%d/%d)", op,
                     rc < 0 ? err->msg : "transient HTTP status", failures, max_failures);
            xb_error_clear(err);
            xb_http_backoff(failures - 1, resp.status == 429 ? resp.retry_after : -1);
            continue;
        }
        while (off < s->size && !restart) {
            int64_t n = s->size - off < r->opts.chunk_size ? s->size - off : r->opts.chunk_size;
            char range[80];
            snprintf(range, sizeof(range), "Content-Range: %" PRId64 "-%" PRId64, off, off + n - 1);
            const char *hdrs[] = {oct, range, NULL};
            xb_http_req_t rq = {
                .method = "PATCH", .url = loc, .op = op, .headers = hdrs, .no_retry = true};
            set_body(&rq, s, off, n, &pg);
            rc = xb_http_do(r, &rq, &resp, err);
            if (rc == 0 && resp.status == 202) {
                int64_t next = xb_upload_range_next(resp.range);
                off = next >= 0 ? next : off + n;
                if (resp.location) {
                    char *nl = xb_http_resolve(resp.url, resp.location);
                    if (nl) {
                        free(loc);
                        loc = nl;
                    }
                }
                continue;
            }
            if (!(transient(rc, &resp) || (rc == 0 && resp.status == 416)) ||
                ++failures > max_failures)
                return rc < 0 ? rc : xb_registry_fail(r, &resp, op, err);
            xb_debug("%s: chunk at %" PRId64 " failed (%s); asking where to resume", op, off,
                     rc < 0 ? err->msg : "HTTP status");
            xb_error_clear(err);
            xb_http_backoff(failures - 1, resp.status == 429 ? resp.retry_after : -1);
            if (session_status(r, &loc, off, &off, op) < 0 || off > s->size)
                restart = true;
            else
                xb_debug("%s: resuming at byte %" PRId64, op, off);
        }
        if (restart)
            continue;
        cleanup_free char *url = xb_upload_url_with_digest(loc, digest);
        xb_http_req_t rq = {.method = "PUT", .url = url, .op = op, .body_fd = -1};
        rq.has_body = true;
        rc = xb_http_do(r, &rq, &resp, err);
        if (rc == 0 && (resp.status == 201 || resp.status == 204))
            return 0;
        if (!transient(rc, &resp) || ++failures > max_failures)
            return rc < 0 ? rc : xb_registry_fail(r, &resp, op, err);
        xb_error_clear(err);
        xb_http_backoff(failures - 1, -1);
    }
}

int xb_registry_upload_mem(xb_registry_t *r, const char *digest, const void *data, size_t len,
                           xb_error_t *err)
{
    struct src s = {data ? data : "", -1, (int64_t)len};
    return upload(r, digest, &s, err);
}

int xb_registry_upload_fd(xb_registry_t *r, const char *digest, int fd, int64_t size,
                          xb_error_t *err)
{
    struct src s = {NULL, fd, size};
    return upload(r, digest, &s, err);
}
