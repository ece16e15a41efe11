/* ADD <url> downloads on the registry module's HTTP client (see fetchurl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/fetchurl.h"
#include "registry/internal.h"
#include "util/cleanup.h"

struct dl {
    int fd;
    int64_t max, size;
    xb_sha256_t h;
    bool too_big, io_failed, hash_ok;
};

static size_t dl_write(const void *data, size_t len, void *ud)
{
    struct dl *d = ud;
    if (d->max > 0 && d->size + (int64_t)len > d->max) {
        d->too_big = true;
        return 0;
    }
    const char *p = data;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(d->fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            d->io_failed = true;
            return 0;
        }
        off += (size_t)w;
    }
    xb_sha256_update(&d->h, data, len);
    d->size += (int64_t)len;
    return len;
}

/* A retry starts the body again. */
static void dl_reset(void *ud)
{
    struct dl *d = ud;
    d->size = 0;
    if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
        d->io_failed = true;
    xb_sha256_free(&d->h);
    xb_error_t e = XB_ERROR_INIT;
    d->hash_ok = xb_sha256_init(&d->h, &e) == 0;
    xb_error_clear(&e);
}

/* "host[:port]" of an http(s) URL (for containers-certs.d); caller frees. */
static char *url_host(const char *url, xb_error_t *err)
{
    cleanup_free char *origin = xb_http_origin(url);
    const char *p = origin ? strstr(origin, "://") : NULL;
    if (p == NULL || (strncmp(origin, "http://", 7) != 0 && strncmp(origin, "https://", 8) != 0)) {
        xb_error_set(err, XB_ERR_INVALID, "%s: not an http or https URL", url);
        return NULL;
    }
    return strdup(p + 3);
}

int xb_registry_fetch_url(const char *url, const xb_registry_opts_t *opts, int fd, int64_t max,
                          xb_url_download_t *out, xb_error_t *err)
{
    memset(out, 0, sizeof *out);
    cleanup_free char *host = url_host(url, err);
    if (host == NULL)
        return -1;
    xb_registry_t *r = NULL;
    if (xb_registry_client_new(host, opts, &r, err) < 0)
        return -1;
    cleanup_registry xb_registry_t *guard = r;
    /* no user, no challenge: xb_http_do sends no credentials anywhere */
    if ((r->base = xb_http_origin(url)) == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "%s: bad URL", url);
    struct dl d = {.fd = fd, .max = max};
    dl_reset(&d);
    xb_http_sink_t sink = {dl_write, dl_reset, &d};
    cleanup_free char *op = NULL;
    if (asprintf(&op, "GET %s", url) < 0)
        op = NULL;
    xb_http_req_t rq = {.method = "GET",
                        .url = url,
                        .op = op ? op : url,
                        .body_fd = -1,
                        .sink = &sink,
                        .follow = true};
    cleanup_resp xb_http_resp_t resp = {0};
    int rc = xb_http_do(r, &rq, &resp, err);
    if (rc == 0 && (d.too_big || d.io_failed || !d.hash_ok))
        rc = d.too_big ? xb_error_set(err, XB_ERR_INVALID,
                                      "%s: larger than the limit of %lld bytes", op, (long long)max)
                       : xb_error_set(err, XB_ERR_IO, "%s: writing the download failed", op);
    if (rc == 0 && (resp.status < 200 || resp.status >= 300))
        rc = xb_http_error(&resp, op ? op : url, err);
    if (rc == 0) {
        xb_sha256_final(&d.h, out->digest);
        out->size = d.size;
        out->mtime = resp.last_modified;
    } else {
        xb_sha256_free(&d.h);
    }
    return rc < 0 ? -1 : 0;
}
