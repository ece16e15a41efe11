/* Registry authentication: WWW-Authenticate challenges, Bearer tokens from the realm (anonymous
 * or with Basic credentials), cached per scope until they expire, and Basic auth. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registry/internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"

#define CHALLENGE_MAX 4096

/* Parses one auth-param list: key=value or key="quoted". */
int xb_auth_parse_challenge(const char *h, int *kind, char **realm, char **service, char **scope)
{
    *kind = XB_AUTH_NONE;
    *realm = *service = *scope = NULL;
    if (h == NULL || strlen(h) > CHALLENGE_MAX)
        return -1;
    while (*h == ' ')
        h++;
    if (strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || h[6] == '\0')) {
        *kind = XB_AUTH_BEARER;
        h += 6;
    } else if (strncasecmp(h, "Basic", 5) == 0 && (h[5] == ' ' || h[5] == '\0')) {
        *kind = XB_AUTH_BASIC;
        return 0;
    } else {
        return -1;
    }
    while (*h) {
        while (*h == ' ' || *h == ',')
            h++;
        const char *k = h;
        while (*h && *h != '=' && *h != ',' && *h != ' ')
            h++;
        size_t kl = (size_t)(h - k);
        if (*h != '=')
            continue;
        h++;
        xb_buf_t v = XB_BUF_INIT;
        if (*h == '"') {
            h++;
            while (*h && *h != '"') {
                if (*h == '\\' && h[1])
                    h++;
                xb_buf_putc(&v, *h++);
            }
            if (*h == '"')
                h++;
        } else {
            while (*h && *h != ',' && *h != ' ')
                xb_buf_putc(&v, *h++);
        }
        char **slot = kl == 5 && strncasecmp(k, "realm", 5) == 0     ? realm
                      : kl == 7 && strncasecmp(k, "service", 7) == 0 ? service
                      : kl == 5 && strncasecmp(k, "scope", 5) == 0   ? scope
                                                                     : NULL;
        if (slot && *slot == NULL)
            *slot = xb_buf_steal(&v);
        xb_buf_free(&v);
    }
    return 0;
}

void xb_auth_challenge(xb_registry_t *r, const char *www_auth)
{
    int kind;
    char *realm, *service, *scope;
    if (xb_auth_parse_challenge(www_auth, &kind, &realm, &service, &scope) < 0)
        return;
    pthread_mutex_lock(&r->lock);
    if (kind == XB_AUTH_BEARER && realm) {
        free(r->realm);
        free(r->service);
        r->realm = realm;
        r->service = service;
        realm = service = NULL;
    }
    if (kind != XB_AUTH_NONE)
        r->auth_kind = kind;
    pthread_mutex_unlock(&r->lock);
    free(realm);
    free(service);
    free(scope);
}

void xb_auth_free_tokens(xb_registry_t *r)
{
    for (struct xb_token *t = r->tokens, *n; t; t = n) {
        n = t->next;
        free(t->scope);
        if (t->token)
            explicit_bzero(t->token, strlen(t->token));
        free(t->token);
        free(t);
    }
    r->tokens = NULL;
}

char *xb_registry_b64(const char *s)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *o = malloc(4 * ((n + 2) / 3) + 1), *p = o;
    if (o == NULL)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)u[i] << 16 | (i + 1 < n ? (unsigned)u[i + 1] << 8 : 0) |
                     (i + 2 < n ? u[i + 2] : 0);
        *p++ = tbl[(v >> 18) & 63];
        *p++ = tbl[(v >> 12) & 63];
        *p++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *p++ = i + 2 < n ? tbl[v & 63] : '=';
    }
    *p = '\0';
    return o;
}

static char *basic_value(const char *user, const char *pass)
{
    cleanup_free char *up = NULL;
    if (asprintf(&up, "%s:%s", user, pass ? pass : "") < 0)
        return NULL;
    cleanup_free char *enc = xb_registry_b64(up);
    explicit_bzero(up, strlen(up));
    char *out = NULL;
    if (enc == NULL || asprintf(&out, "Basic %s", enc) < 0)
        return NULL;
    explicit_bzero(enc, strlen(enc));
    return out;
}

static char *url_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *o = e ? strdup(e) : NULL;
    curl_free(e);
    return o;
}

/* GET realm?service=..&scope=.. (one scope param per space-separated scope). */
static int fetch_token(xb_registry_t *r, const char *realm, const char *service, const char *scope,
                       char **token, long *expires_in, xb_error_t *err)
{
    xb_buf_t url = XB_BUF_INIT;
    xb_buf_puts(&url, realm);
    char sep = strchr(realm, '?') ? '&' : '?';
    if (service) {
        cleanup_free char *e = url_escape(service);
        xb_buf_printf(&url, "%cservice=%s", sep, e ? e : "");
        sep = '&';
    }
    cleanup_free char *scopes = strdup(scope ? scope : "");
    char *save = NULL;
    for (char *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        cleanup_free char *e = url_escape(s);
        xb_buf_printf(&url, "%cscope=%s", sep, e ? e : "");
        sep = '&';
    }
    cleanup_free char *u = xb_buf_steal(&url);
    cleanup_free char *op = NULL;
    if (asprintf(&op, "GET token for %s from %s", r->host, realm) < 0)
        op = NULL;
    cleanup_free char *auth = NULL;
    /* credentials never travel over plain HTTP to a realm of an HTTPS registry: anonymous */
    bool plain = strncasecmp(realm, "http://", 7) == 0 && strncasecmp(r->base, "http://", 7) != 0;
    if (r->user && plain && !r->warned_http_realm) {
        r->warned_http_realm = true;
        xb_warn("%s: the token server %s is plain HTTP while the registry is HTTPS: asking it "
                "for an anonymous token (credentials are never sent over plain HTTP)",
                r->host, realm);
    }
    if (r->user && !plain) {
        auth = basic_value(r->user, r->pass);
        if (auth == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    xb_http_req_t rq = {.method = "GET",
                        .url = u,
                        .op = op ? op : "GET token",
                        .body_fd = -1,
                        .max_body = XB_TOKEN_BODY_MAX};
    cleanup_resp xb_http_resp_t resp = {0};
    int rc = -1;
    int retries = r->opts.retries < 0 ? 3 : r->opts.retries;
    for (int attempt = 0;; attempt++) {
        rc = xb_http_perform(r, &rq, u, auth, &resp, err);
        bool transient = rc < 0 ? resp.transient : (resp.status >= 500 || resp.status == 429);
        if (!transient || attempt >= retries)
            break;
        if (rc < 0)
            xb_error_clear(err);
        xb_http_backoff(attempt, resp.status == 429 ? resp.retry_after : -1);
    }
    if (auth)
        explicit_bzero(auth, strlen(auth));
    if (rc < 0)
        return rc;
    if (resp.status == 401 || resp.status == 403)
        return xb_error_set(err, XB_ERR_AUTH,
                            "authentication to %s failed: %s (HTTP %ld from the token server)",
                            r->host,
                            r->user ? "invalid username or password"
                                    : "credentials required (use --creds or 'xbuild login')",
                            resp.status);
    if (resp.status != 200)
        return xb_http_error(&resp, op, err);
    cleanup_json json_t *j = NULL;
    if (xb_json_parse(resp.body.data, resp.body.len, "token response", &j, err) < 0)
        return -err->code;
    const char *t = xb_json_str(j, "token");
    if (t == NULL || *t == '\0')
        t = xb_json_str(j, "access_token");
    if (t == NULL || *t == '\0')
        return xb_error_set(err, XB_ERR_AUTH, "%s: the response has no token", op);
    *token = strdup(t);
    /* honoured as given, even below the spec's "should never be less than 60": a server that
     * issues shorter tokens enforces them; absent (or nonsense: <= 0) means 60 */
    long long ex = xb_json_int(j, "expires_in", 60);
    *expires_in = ex <= 0 ? 60 : ex > 86400 ? 86400 : (long)ex;
    /* wipe the body holding the token */
    explicit_bzero(resp.body.data, resp.body.len);
    return *token ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A token is used until a little before it expires (counted from when it was asked for): 5 s
 * early for long-lived ones, a quarter of the lifetime early for short ones (so a 1 s token is
 * still used for 750 ms instead of never). */
static int64_t usable_ms(long expires_in)
{
    int64_t life = (int64_t)expires_in * 1000, margin = life / 4;
    return life - (margin > 5000 ? 5000 : margin);
}

static bool same_header(const char *rejected, const char *token)
{
    return rejected != NULL && strncmp(rejected, "Bearer ", 7) == 0 &&
           strcmp(rejected + 7, token) == 0;
}

int xb_auth_header(xb_registry_t *r, const char *scope, const char *rejected, char **out,
                   xb_error_t *err)
{
    *out = NULL;
    pthread_mutex_lock(&r->lock);
    int kind = r->auth_kind;
    if (kind == XB_AUTH_BASIC) {
        char *v = r->user ? basic_value(r->user, r->pass) : NULL;
        pthread_mutex_unlock(&r->lock);
        *out = v;
        return 0;
    }
    if (kind != XB_AUTH_BEARER || r->realm == NULL) {
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    int64_t now = now_ms();
    struct xb_token **pp = &r->tokens;
    for (; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->scope, scope) != 0)
            continue;
        /* a token the registry refused is dropped; one another request already replaced it
         * is used */
        if (now < (*pp)->expires_ms && !same_header(rejected, (*pp)->token)) {
            int n = asprintf(out, "Bearer %s", (*pp)->token);
            pthread_mutex_unlock(&r->lock);
            return n < 0 ? xb_error_set(err, XB_ERR_INTERNAL, "out of memory") : 0;
        }
        break;
    }
    /* Fetch under the lock: parallel workers wait for one token instead of each asking. */
    char *token = NULL;
    long expires_in = 60;
    int rc = fetch_token(r, r->realm, r->service, scope, &token, &expires_in, err);
    if (rc < 0) {
        pthread_mutex_unlock(&r->lock);
        return rc;
    }
    struct xb_token *t = *pp;
    if (t == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL || (t->scope = strdup(scope)) == NULL) {
            free(t);
            free(token);
            pthread_mutex_unlock(&r->lock);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        t->next = r->tokens;
        r->tokens = t;
    } else {
        free(t->token);
    }
    t->token = token;
    t->expires_ms = now + usable_ms(expires_in);
    xb_debug("got a token for %s (scope %s, expires in %lds)", r->host, scope, expires_in);
    rc = asprintf(out, "Bearer %s", token);
    pthread_mutex_unlock(&r->lock);
    return rc < 0 ? xb_error_set(err, XB_ERR_INTERNAL, "out of memory") : 0;
}
