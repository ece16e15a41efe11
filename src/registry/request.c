/* A registry request (xb_http_do): one attempt after another (http.c) with credentials
 * (auth.c) for the registry's own origin only, 401 challenges answered once, redirects
 * followed without leaking Authorization to other hosts, transient failures retried; and the
 * error for a refused request (xb_registry_fail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define MAX_REDIRECTS 5

static bool transient_status(long s)
{
    return s == 429 || s == 500 || s == 502 || s == 503 || s == 504 || s == 408;
}

int xb_http_do(xb_registry_t *r, const xb_http_req_t *rq, xb_http_resp_t *resp, xb_error_t *err)
{
    int retries = r->opts.retries < 0 ? 3 : r->opts.retries;
    if (rq->no_retry)
        retries = 0;
    cleanup_free char *start =
        rq->url[0] == '/' ? xb_http_resolve(r->base, rq->url) : strdup(rq->url);
    if (start == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "%s: bad URL", rq->op);
    const char *scope = rq->scope ? rq->scope : r->scope;
    bool auth_retried = false;
    for (int attempt = 0;; attempt++) {
        cleanup_free char *url = strdup(start);
        int hops = 0;
        int rc;
        for (;;) {
            cleanup_free char *auth = NULL;
            /* credentials only ever go to the registry's own origin */
            if (xb_http_same_origin(url, r->base) && xb_auth_header(r, scope, NULL, &auth, err) < 0)
                return -err->code;
            if (xb_http_same_origin(url, r->base))
                xb_debug("%s %s", rq->method, url);
            else
                xb_debug("%s %.*s (another host: no credentials)", rq->method,
                         (int)strcspn(url, "?"), url);
            rc = xb_http_perform(r, rq, url, auth, resp, err);
            if (rc < 0)
                break;
            /* 401: no credentials sent yet, or the token expired or was revoked: learn the
             * challenge, get a fresh token (unless another request already did) and send the
             * request once more */
            if (resp->status == 401 && xb_http_same_origin(url, r->base) && !auth_retried &&
                resp->www_auth) {
                auth_retried = true;
                xb_auth_challenge(r, resp->www_auth);
                cleanup_free char *again = NULL;
                if (xb_auth_header(r, scope, auth, &again, err) < 0)
                    return -err->code;
                if (again == NULL)
                    return 0; /* nothing to offer: the caller reports the 401 */
                xb_debug("%s: HTTP 401, sending it once more with %s credentials", rq->op,
                         auth ? "new" : "the");
                continue;
            }
            if (rq->follow && resp->location &&
                (resp->status == 301 || resp->status == 302 || resp->status == 303 ||
                 resp->status == 307 || resp->status == 308)) {
                if (++hops > MAX_REDIRECTS)
                    return xb_error_set(err, XB_ERR_NETWORK, "%s: too many redirects", rq->op);
                char *next = xb_http_resolve(url, resp->location);
                if (next == NULL)
                    return xb_error_set(err, XB_ERR_NETWORK, "%s: bad redirect", rq->op);
                free(url);
                url = next;
                continue;
            }
            break;
        }
        bool transient = rc < 0 ? resp->transient : transient_status(resp->status);
        if (!transient || attempt >= retries)
            return rc < 0 ? rc : 0;
        long ra = rc == 0 && resp->status == 429 ? resp->retry_after : -1;
        if (rc == 0 && resp->status >= 500 && resp->retry_after >= 0)
            ra = resp->retry_after;
        xb_debug("%s: %s, retrying (attempt %d of %d)", rq->op,
                 rc < 0 ? (err->msg ? err->msg : "network error") : "transient HTTP status",
                 attempt + 2, retries + 1);
        if (rc < 0)
            xb_error_clear(err);
        xb_http_backoff(attempt, ra);
    }
}

int xb_registry_fail(xb_registry_t *r, const xb_http_resp_t *resp, const char *op, xb_error_t *err)
{
    int rc = xb_http_error(resp, op, err);
    if (resp->status == 401 || resp->status == 403) {
        if (r->user == NULL)
            xb_error_wrap(err, "no credentials for %s (use --creds, --authfile or 'xbuild login')",
                          r->host);
        else if (r->warned_http_realm)
            xb_error_wrap(err,
                          "%s: the credentials of user \"%s\" were not sent to its plain-HTTP "
                          "token server %s (the registry is HTTPS): the registry must use an "
                          "https:// realm",
                          r->host, r->user, r->realm ? r->realm : "");
        else if (resp->status == 401 && r->auth_kind == XB_AUTH_BEARER)
            /* the token server accepted the credentials: the registry refused its token */
            xb_error_wrap(err,
                          "%s refused the token issued for user \"%s\" even after a fresh one "
                          "(expired on arrival, clock skew, or a token server the registry does "
                          "not trust?)",
                          r->host, r->user);
        else if (resp->status == 401)
            xb_error_wrap(err,
                          "%s rejected the credentials of user \"%s\" (invalid username or "
                          "password?)",
                          r->host, r->user);
        else
            xb_error_wrap(err, "access denied for user \"%s\" at %s", r->user, r->host);
    }
    return rc;
}
