/* The HTTP layer of the registry client (libcurl): one attempt (xb_http_perform), errors from
 * responses, URLs and backoff. The loop around an attempt, with credentials, is request.c;
 * auth.c (token requests) uses this file only, so calls go one way: request -> auth -> http. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"

void xb_http_resp_free(xb_http_resp_t *resp)
{
    xb_buf_free(&resp->body);
    free(resp->location);
    free(resp->content_type);
    free(resp->docker_digest);
    free(resp->range);
    free(resp->www_auth);
    free(resp->url);
    memset(resp, 0, sizeof(*resp));
}

static void resp_init(xb_http_resp_t *resp)
{
    xb_http_resp_free(resp);
    resp->content_length = -1;
    resp->last_modified = -1;
    resp->retry_after = -1;
}

struct xfer {
    const xb_http_req_t *rq;
    xb_http_resp_t *resp;
    int64_t sent;
    bool sink_failed;
    bool body_too_big;
};

static char *header_value(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    const char *v = line + n + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    return strndup(v, (size_t)(end - v));
}

static void set_hdr(char **slot, char *v)
{
    if (v) {
        free(*slot);
        *slot = v;
    }
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;
    xb_http_resp_t *resp = x->resp;
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue): forget earlier headers */
        const char *sp = memchr(data, ' ', len);
        resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        free(resp->location);
        resp->location = NULL;
        free(resp->www_auth);
        resp->www_auth = NULL;
        return len;
    }
    char *v;
    set_hdr(&resp->location, header_value(data, len, "Location"));
    set_hdr(&resp->content_type, header_value(data, len, "Content-Type"));
    set_hdr(&resp->docker_digest, header_value(data, len, "Docker-Content-Digest"));
    set_hdr(&resp->range, header_value(data, len, "Range"));
    if ((v = header_value(data, len, "WWW-Authenticate")) != NULL) {
        /* keep the first Bearer/Basic challenge */
        if (resp->www_auth == NULL)
            resp->www_auth = v;
        else
            free(v);
    }
    if ((v = header_value(data, len, "Content-Length")) != NULL) {
        resp->content_length = strtoll(v, NULL, 10);
        free(v);
    }
    if ((v = header_value(data, len, "Last-Modified")) != NULL) {
        struct tm tm = {0}; /* RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        resp->last_modified = end ? (int64_t)timegm(&tm) : -1;
        free(v);
    }
    if ((v = header_value(data, len, "Retry-After")) != NULL) {
        char *end;
        long s = strtol(v, &end, 10);
        resp->retry_after = (end != v && s >= 0) ? s : 1;
        free(v);
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;
    xb_http_resp_t *resp = x->resp;
    if (resp->status >= 200 && resp->status < 300 && x->rq->sink) {
        if (x->rq->sink->write(data, len, x->rq->sink->ud) != len) {
            x->sink_failed = true;
            return 0;
        }
        return len;
    }
    size_t max = resp->status >= 200 && resp->status < 300 && x->rq->max_body
                     ? x->rq->max_body
                     : XB_HTTP_ERROR_BODY_MAX;
    if (resp->body.len + len > max) {
        x->body_too_big = true;
        return 0;
    }
    if (xb_buf_append(&resp->body, data, len) < 0)
        return 0;
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    const xb_http_req_t *rq = x->rq;
    size_t want = size * n;
    int64_t left = (int64_t)rq->body_len - x->sent;
    if (left <= 0)
        return 0;
    if ((int64_t)want > left)
        want = (size_t)left;
    if (rq->body_fd >= 0) {
        ssize_t got;
        do
            got = pread(rq->body_fd, buf, want, rq->body_off + x->sent);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)got;
    } else {
        memcpy(buf, (const char *)rq->body + x->sent, want);
    }
    x->sent += (int64_t)want;
    if (rq->sent)
        rq->sent(x->sent, rq->sent_ud);
    return want;
}

/* curl rewinds the body when it re-sends a request (e.g. on a dead reused connection). */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
    struct xfer *x = ud;
    if (origin != SEEK_SET || offset < 0 || offset > (curl_off_t)x->rq->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    x->sent = (int64_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* --debug: headers only, with credentials redacted: Authorization values, and the query strings
 * of requests to other hosts and of redirect Locations (pre-signed storage URLs carry
 * signatures there). */
struct debug_state {
    bool foreign;
    long status;
};

static void debug_line(const char *dir, const char *p, size_t l, bool hide_query)
{
    const char *q = hide_query ? memchr(p, '?', l) : NULL;
    if (l > 512)
        l = 512;
    if (q) {
        const char *sp = memchr(q, ' ', l - (size_t)(q - p)); /* " HTTP/1.1" of a request line */
        xb_debug("%s %.*s?<redacted>%.*s", dir, (int)(q - p), p,
                 sp ? (int)(l - (size_t)(sp - p)) : 0, sp ? sp : "");
    } else {
        xb_debug("%s %.*s", dir, (int)l, p);
    }
}

static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)c;
    struct debug_state *st = ud;
    if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN)
        return 0;
    const char *dir = type == CURLINFO_HEADER_OUT ? ">" : "<";
    const char *p = data, *end = data + size;
    bool first = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t l = len;
        while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == '\n'))
            l--;
        if (l > 0) {
            if (type == CURLINFO_HEADER_IN && l > 9 && strncmp(p, "HTTP/", 5) == 0) {
                const char *sp = memchr(p, ' ', l);
                st->status = sp ? strtol(sp + 1, NULL, 10) : 0;
            }
            if ((l > 14 && strncasecmp(p, "Authorization:", 14) == 0) ||
                (l > 20 && strncasecmp(p, "Proxy-Authorization:", 20) == 0)) {
                const char *colon = memchr(p, ':', l);
                xb_debug("%s %.*s: <redacted>", dir, (int)(colon - p), p);
            } else if (type == CURLINFO_HEADER_OUT && first) {
                debug_line(dir, p, l, st->foreign);
            } else if (type == CURLINFO_HEADER_IN && l > 9 && strncasecmp(p, "Location:", 9) == 0) {
                debug_line(dir, p, l, st->status >= 300 && st->status < 400);
            } else {
                debug_line(dir, p, l, false);
            }
        }
        first = false;
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

static bool is_transient_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_READ_ERROR:
    case CURLE_SEND_FAIL_REWIND:
        return true;
    default:
        return false;
    }
}

int xb_http_perform(xb_registry_t *r, const xb_http_req_t *rq, const char *url,
                    const char *auth_header, xb_http_resp_t *resp, xb_error_t *err)
{
    resp_init(resp);
    CURL *c = curl_easy_init();
    if (c == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "curl_easy_init failed");
    struct xfer x = {rq, resp, 0, false, false};
    struct curl_slist *hl = NULL;
    cleanup_free char *auth = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    if (auth_header && asprintf(&auth, "Authorization: %s", auth_header) >= 0)
        hl = curl_slist_append(hl, auth);
    for (const char *const *h = rq->headers; h && *h; h++)
        hl = curl_slist_append(hl, *h);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "xbuild/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
    if (r->share)
        curl_easy_setopt(c, CURLOPT_SHARE, r->share);
    struct debug_state dbg = {!xb_http_same_origin(url, r->base), 0};
    if (xb_log_level() >= XB_LOG_DEBUG) {
        curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(c, CURLOPT_DEBUGDATA, &dbg);
        curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    }
    if (r->opts.tls_verify == 0) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
#if LIBCURL_VERSION_NUM >= 0x074d00
    if (r->ca_blob) {
        struct curl_blob blob = {r->ca_blob, r->ca_blob_len, CURL_BLOB_NOCOPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
#endif
    if (r->client_cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, r->client_cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY, r->client_key);
    }
    if (strcmp(rq->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (rq->has_body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &x);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, &x);
        /* A body goes on a fresh connection: on a stale reused one curl would silently re-send
         * a PATCH the registry may have partly stored; resuming is upload.c's job. */
        if (rq->body_len > 0)
            curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    } else if (strcmp(rq->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    if (rq->sink && rq->sink->reset)
        rq->sink->reset(rq->sink->ud);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    resp->status = status;
    resp->url = strdup(url);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    if (x.sink_failed)
        return xb_error_set(err, XB_ERR_IO, "%s: writing the response failed", rq->op);
    if (x.body_too_big)
        return xb_error_set(err, XB_ERR_INVALID, "%s: response body larger than allowed", rq->op);
    if (cc != CURLE_OK) {
        resp->transient = is_transient_curl(cc);
        resp->curl_code = (int)cc;
        resp->status = 0;
        return xb_error_set(err, XB_ERR_NETWORK, "%s: %s", rq->op,
                            errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    return 0;
}

char *xb_http_origin(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        if (asprintf(&out, "%s://%s:%s", scheme, host, port) < 0)
            out = NULL;
        for (char *p = out; p && *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return out;
}

char *xb_http_resolve(const char *base, const char *location)
{
    CURLU *u = curl_url();
    char *s = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = strdup(s);
    curl_free(s);
    curl_url_cleanup(u);
    return out;
}

void xb_http_backoff(int attempt, long retry_after)
{
    double secs;
    if (retry_after >= 0) {
        secs = retry_after > 30 ? 30 : (double)retry_after;
    } else {
        secs = 0.25 * (double)(1u << (attempt > 6 ? 6 : attempt));
        if (secs > 8)
            secs = 8;
        /* full jitter on top: 50..100% of the step */
        secs = secs * (0.5 + 0.5 * ((double)(rand() % 1000) / 1000.0));
    }
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int xb_http_error(const xb_http_resp_t *resp, const char *op, xb_error_t *err)
{
    int code = resp->status == 401 || resp->status == 403 ? XB_ERR_AUTH
               : resp->status == 404                      ? XB_ERR_NOT_FOUND
                                                          : XB_ERR_REGISTRY;
    cleanup_json json_t *j = NULL;
    if (resp->body.len > 0) {
        j = json_loadb(resp->body.data, resp->body.len, 0, NULL);
    }
    json_t *errors = j ? json_object_get(j, "errors") : NULL;
    if (json_is_array(errors) && json_array_size(errors) > 0) {
        xb_buf_t b = XB_BUF_INIT;
        size_t i;
        json_t *e;
        json_array_foreach(errors, i, e)
        {
            const char *c = xb_json_str(e, "code"), *m = xb_json_str(e, "message");
            if (i > 0)
                xb_buf_puts(&b, "; ");
            xb_buf_printf(&b, "%s: %s", c ? c : "UNKNOWN", m ? m : "");
            if (i >= 4)
                break;
        }
        int rc = xb_error_set(err, code, "%s: %s", op, b.data ? b.data : "");
        xb_buf_free(&b);
        return rc;
    }
    const char *hint = resp->status == 401   ? " (authentication required or credentials rejected)"
                       : resp->status == 403 ? " (access denied)"
                       : resp->status == 404 ? " (not found)"
                       : resp->status == 429 ? " (too many requests)"
                                             : "";
    return xb_error_set(err, code, "%s: HTTP %ld%s", op, resp->status, hint);
}

bool xb_http_same_origin(const char *a, const char *b)
{
    cleanup_free char *oa = xb_http_origin(a), *ob = xb_http_origin(b);
    return oa && ob && strcmp(oa, ob) == 0;
}
