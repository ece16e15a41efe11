/* The registry client object: connection setup (scheme, TLS material, auth challenge,
 * credentials) and the manifest and blob-read operations of the distribution API. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/creds.h"
#include "lazy/lazy.h"
#include "registry/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

const char *const xb_registry_manifest_types[] = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    NULL,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ud)
{
    (void)h;
    (void)a;
    xb_registry_t *r = ud;
    pthread_mutex_lock(&r->share_lock[d]);
}
static void share_unlock(CURL *h, curl_lock_data d, void *ud)
{
    (void)h;
    xb_registry_t *r = ud;
    pthread_mutex_unlock(&r->share_lock[d]);
}

void xb_registry_close(xb_registry_t *r)
{
    if (r == NULL)
        return;
    if (r->share)
        curl_share_cleanup(r->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&r->share_lock[i]);
    pthread_mutex_destroy(&r->lock);
    xb_auth_free_tokens(r);
    free(r->host);
    free(r->api_host);
    free(r->repo);
    free(r->name);
    free(r->base);
    free(r->scope);
    free(r->ca_blob);
    free(r->client_cert);
    free(r->client_key);
    free(r->realm);
    free(r->service);
    free(r->user);
    if (r->pass)
        explicit_bzero(r->pass, strlen(r->pass));
    free(r->pass);
    free(r);
}

const char *xb_registry_name(const xb_registry_t *r)
{
    return r->name;
}
const char *xb_registry_host(const xb_registry_t *r)
{
    return r->host;
}
const char *xb_registry_repository(const xb_registry_t *r)
{
    return r->repo;
}
const xb_registry_opts_t *xb_registry_options(const xb_registry_t *r)
{
    return &r->opts;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* containers-certs.d: *.crt are CAs (added to the system ones), client.cert/.key a client
 * certificate. */
static int load_cert_dir(xb_registry_t *r, const char *dir, bool explicit_dir, xb_error_t *err)
{
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL) {
        if (explicit_dir)
            return xb_error_errno(err, errno, "--cert-dir %s", dir);
        return 0;
    }
    xb_buf_t cas = XB_BUF_INIT;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        cleanup_free char *p = xb_path_join(dir, e->d_name);
        if (ends_with(e->d_name, ".crt")) {
            cleanup_free char *data = NULL;
            size_t len = 0;
            if (xb_read_file(p, 1u << 20, &data, &len, err) < 0) {
                xb_buf_free(&cas);
                return -err->code;
            }
            xb_buf_append(&cas, data, len);
            xb_buf_putc(&cas, '\n');
        } else if (ends_with(e->d_name, ".cert")) {
            cleanup_free char *base = strndup(p, strlen(p) - 5);
            cleanup_free char *key = NULL;
            if (asprintf(&key, "%s.key", base) < 0)
                key = NULL;
            if (key == NULL || !xb_path_exists(key)) {
                xb_buf_free(&cas);
                return xb_error_set(err, XB_ERR_INVALID, "%s: client certificate without %s.key", p,
                                    base ? base : "");
            }
            free(r->client_cert);
            free(r->client_key);
            r->client_cert = steal_pointer(&p);
            r->client_key = steal_pointer(&key);
        }
    }
    if (cas.len > 0) {
        /* system CAs first so the registry's public chain keeps working */
        const char *bundles[] = {"/etc/ssl/certs/ca-certificates.crt",
                                 "/etc/pki/tls/certs/ca-bundle.crt", NULL};
        for (const char **b = bundles; *b; b++) {
            cleanup_free char *data = NULL;
            size_t len = 0;
            xb_error_t ignore = XB_ERROR_INIT;
            if (xb_read_file(*b, 16u << 20, &data, &len, &ignore) == 0) {
                xb_buf_append(&cas, data, len);
                break;
            }
            xb_error_clear(&ignore);
        }
        free(r->ca_blob);
        r->ca_blob_len = cas.len;
        r->ca_blob = xb_buf_steal(&cas);
    }
    xb_buf_free(&cas);
    return 0;
}

static int ping(xb_registry_t *r, xb_http_resp_t *resp, xb_error_t *err)
{
    cleanup_free char *op = NULL;
    if (asprintf(&op, "GET %s/v2/", r->base) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_http_req_t rq = {.method = "GET", .url = "/v2/", .op = op, .body_fd = -1};
    cleanup_free char *url = xb_http_resolve(r->base, "/v2/");
    int retries = r->opts.retries < 0 ? 3 : r->opts.retries;
    for (int attempt = 0;; attempt++) {
        int rc = xb_http_perform(r, &rq, url, NULL, resp, err);
        bool transient = rc < 0 ? resp->transient : resp->status >= 500 || resp->status == 429;
        if (!transient || attempt >= retries)
            return rc;
        xb_error_clear(err);
        xb_http_backoff(attempt, resp->status == 429 ? resp->retry_after : -1);
    }
}

/* The TLS material for r->host: --cert-dir, else containers-certs.d's directory of the host. */
static int load_tls(xb_registry_t *r, xb_error_t *err)
{
    if (r->opts.cert_dir)
        return load_cert_dir(r, r->opts.cert_dir, true, err);
    const char *roots[] = {"/etc/containers/certs.d", "/etc/docker/certs.d"};
    for (size_t i = 0; i < 2; i++) {
        cleanup_free char *d = xb_path_join(roots[i], r->host);
        if (d && xb_is_dir(d))
            return load_cert_dir(r, d, false, err);
    }
    return 0;
}

int xb_registry_client_new(const char *host, const xb_registry_opts_t *opts, xb_registry_t **out,
                           xb_error_t *err)
{
    *out = NULL;
    if (xb_lazy_load(XB_LAZY_CURL, err) < 0)
        return -1;
    pthread_once(&curl_once, curl_init_once);
    xb_registry_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_registry xb_registry_t *guard = r;
    pthread_mutex_init(&r->lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&r->share_lock[i], NULL);
    xb_registry_opts_t dflt = XB_REGISTRY_OPTS_INIT;
    r->opts = opts ? *opts : dflt;
    if (r->opts.retries < 0)
        r->opts.retries = 3;
    if (r->opts.jobs <= 0)
        r->opts.jobs = 4;
    if (r->opts.chunk_size <= 0)
        r->opts.chunk_size = 8 * 1024 * 1024;
    if ((r->host = strdup(host)) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    r->share = curl_share_init();
    if (r->share) {
        curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    }
    if (load_tls(r, err) < 0)
        return -err->code;
    *out = steal_pointer(&guard);
    return 0;
}

int xb_registry_open(const xb_reference_t *ref, const xb_registry_opts_t *opts, bool push,
                     xb_registry_t **out, xb_error_t *err)
{
    *out = NULL;
    xb_registry_t *r = NULL;
    if (xb_registry_client_new(ref->registry, opts, &r, err) < 0)
        return -1;
    cleanup_registry xb_registry_t *guard = r;
    r->api_host = strdup(xb_reference_api_host(ref));
    r->repo = strdup(ref->repository);
    r->push = push;
    if (asprintf(&r->name, "%s/%s", ref->registry, ref->repository) < 0)
        r->name = NULL;
    if (asprintf(&r->scope, "repository:%s:%s", ref->repository, push ? "pull,push" : "pull") < 0)
        r->scope = NULL;
    if (!r->api_host || !r->repo || !r->name || !r->scope)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    /* credentials: --creds only where they were given */
    const char *creds = r->opts.creds;
    if (creds != NULL && r->opts.creds_for != NULL) {
        bool named = false;
        for (size_t i = 0; r->opts.creds_for[i] != NULL; i++)
            named |= strcasecmp(r->opts.creds_for[i], r->host) == 0;
        if (!named) {
            xb_debug("%s: --creds are for the registries of -t only; using the auth files",
                     r->host);
            creds = NULL;
        }
    }
    if (xb_creds_lookup(r->host, r->repo, creds, r->opts.authfile, r->opts.env, &r->user, &r->pass,
                        err) < 0)
        return xb_error_wrap(err, "credentials for %s", r->host);
    /* scheme + challenge */
    bool loopback = xb_reference_host_is_loopback(r->api_host);
    if (asprintf(&r->base, "https://%s", r->api_host) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_resp xb_http_resp_t resp = {0};
    int rc = ping(r, &resp, err);
    /* plain HTTP only when the server does not speak TLS at all, never after a certificate
     * was refused */
    if (rc < 0 && (loopback || r->opts.tls_verify == 0) &&
        resp.curl_code != CURLE_PEER_FAILED_VERIFICATION &&
        resp.curl_code != CURLE_SSL_CERTPROBLEM && resp.curl_code != CURLE_SSL_CACERT_BADFILE) {
        xb_debug("%s: HTTPS failed (%s), trying plain HTTP", r->api_host, err->msg);
        xb_error_clear(err);
        free(r->base);
        if (asprintf(&r->base, "http://%s", r->api_host) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        rc = ping(r, &resp, err);
    }
    if (rc < 0)
        return xb_error_wrap(err, "cannot reach registry %s", r->host);
    if (resp.status == 401 && resp.www_auth) {
        xb_auth_challenge(r, resp.www_auth);
        if (r->auth_kind == XB_AUTH_NONE)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "registry %s asks for an unsupported authentication scheme",
                                r->host);
    } else if (resp.status != 200 && resp.status != 401) {
        cleanup_free char *op = NULL;
        if (asprintf(&op, "GET %s/v2/", r->base) < 0)
            op = NULL;
        xb_http_error(&resp, op ? op : "GET /v2/", err);
        return xb_error_wrap(err, "%s does not look like an OCI registry", r->host);
    }
    xb_debug("registry %s: %s, auth %s, credentials %s", r->host, r->base,
             r->auth_kind == XB_AUTH_BEARER  ? "bearer"
             : r->auth_kind == XB_AUTH_BASIC ? "basic"
                                             : "none",
             r->user ? "configured" : "none");
    *out = steal_pointer(&guard);
    return 0;
}

int xb_registry_check_auth(xb_registry_t *r, xb_error_t *err)
{
    cleanup_free char *op = NULL;
    if (asprintf(&op, "GET %s/v2/", r->host) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_http_req_t rq = {.method = "GET", .url = "/v2/", .op = op, .body_fd = -1, .scope = ""};
    cleanup_resp xb_http_resp_t resp = {0};
    if (xb_http_do(r, &rq, &resp, err) < 0)
        return -err->code;
    if (resp.status == 200)
        return 0;
    if (resp.status == 401 || resp.status == 403)
        return xb_error_set(err, XB_ERR_AUTH, "login to %s failed: %s", r->host,
                            r->user ? "invalid username or password" : "credentials required");
    return xb_registry_fail(r, &resp, op, err);
}

static char *base_type(const char *ct)
{
    if (ct == NULL)
        return NULL;
    size_t n = strcspn(ct, "; ");
    return strndup(ct, n);
}

static int make_op(char **op, const char *what, xb_registry_t *r, const char *object)
{
    bool dig = object && strncmp(object, "sha256:", 7) == 0;
    return asprintf(op, "%s %s%s%s", what, r->name, object ? (dig ? "@" : ":") : "",
                    object ? object : "");
}

int xb_registry_get_manifest(xb_registry_t *r, const char *object, const char *const *accept,
                             char **data, size_t *len, char **media_type,
                             char digest[XB_DIGEST_LEN], xb_error_t *err)
{
    *data = NULL;
    *media_type = NULL;
    cleanup_free char *op = NULL, *path = NULL, *acc = NULL;
    if (make_op(&op, "GET manifest", r, object) < 0 ||
        asprintf(&path, "/v2/%s/manifests/%s", r->repo, object) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_buf_t a = XB_BUF_INIT;
    xb_buf_puts(&a, "Accept: ");
    for (const char *const *t = accept ? accept : xb_registry_manifest_types; *t; t++)
        xb_buf_printf(&a, "%s%s", t == (accept ? accept : xb_registry_manifest_types) ? "" : ", ",
                      *t);
    acc = xb_buf_steal(&a);
    const char *hdrs[] = {acc, NULL};
    xb_http_req_t rq = {.method = "GET",
                        .url = path,
                        .op = op,
                        .headers = hdrs,
                        .body_fd = -1,
                        .max_body = XB_MANIFEST_MAX,
                        .follow = true};
    cleanup_resp xb_http_resp_t resp = {0};
    if (xb_http_do(r, &rq, &resp, err) < 0)
        return -err->code;
    if (resp.status != 200)
        return xb_registry_fail(r, &resp, op, err);
    xb_digest_buf(resp.body.data ? resp.body.data : "", resp.body.len, digest);
    if (strncmp(object, "sha256:", 7) == 0 && strcmp(object, digest) != 0)
        return xb_error_set(err, XB_ERR_DIGEST, "%s: content has digest %s, not %s", op, digest,
                            object);
    if (resp.docker_digest && strncmp(resp.docker_digest, "sha256:", 7) == 0 &&
        strcmp(resp.docker_digest, digest) != 0)
        return xb_error_set(err, XB_ERR_DIGEST,
                            "%s: content has digest %s but the registry says %s", op, digest,
                            resp.docker_digest);
    char *mt = base_type(resp.content_type);
    if (mt == NULL || strcmp(mt, "application/json") == 0 || strcmp(mt, "text/plain") == 0 ||
        *mt == '\0') {
        /* fall back to the document's own mediaType */
        json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
        const char *m = xb_json_str(j, "mediaType");
        if (m) {
            free(mt);
            mt = strdup(m);
        }
        json_decref(j);
    }
    *len = resp.body.len;
    *data = resp.body.data ? xb_buf_steal(&resp.body) : strdup("");
    *media_type = mt ? mt : strdup("");
    return 0;
}

/* HEAD PATH (redirects followed): 1 and *resp when the registry has it (200), 0 when not
 * (404), negative + err otherwise. */
static int head_request(xb_registry_t *r, const char *op, const char *path, const char *const *hdrs,
                        xb_http_resp_t *resp, xb_error_t *err)
{
    xb_http_req_t rq = {
        .method = "HEAD", .url = path, .op = op, .headers = hdrs, .body_fd = -1, .follow = true};
    if (xb_http_do(r, &rq, resp, err) < 0)
        return -err->code;
    if (resp->status == 404)
        return 0;
    if (resp->status != 200)
        return xb_registry_fail(r, resp, op, err);
    return 1;
}

int xb_registry_head_manifest(xb_registry_t *r, const char *object, char digest[XB_DIGEST_LEN],
                              char **media_type, int64_t *size, xb_error_t *err)
{
    cleanup_free char *op = NULL, *path = NULL, *acc = NULL;
    if (make_op(&op, "HEAD manifest", r, object) < 0 ||
        asprintf(&path, "/v2/%s/manifests/%s", r->repo, object) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_buf_t a = XB_BUF_INIT;
    xb_buf_puts(&a, "Accept: ");
    for (const char *const *t = xb_registry_manifest_types; *t; t++)
        xb_buf_printf(&a, "%s%s", t == xb_registry_manifest_types ? "" : ", ", *t);
    acc = xb_buf_steal(&a);
    const char *hdrs[] = {acc, NULL};
    cleanup_resp xb_http_resp_t resp = {0};
    int found = head_request(r, op, path, hdrs, &resp, err);
    if (found <= 0)
        return found;
    if (digest) {
        digest[0] = '\0';
        if (resp.docker_digest && xb_digest_valid(resp.docker_digest))
            snprintf(digest, XB_DIGEST_LEN, "%s", resp.docker_digest);
    }
    if (media_type)
        *media_type = base_type(resp.content_type);
    if (size)
        *size = resp.content_length;
    return 1;
}

int xb_registry_put_manifest(xb_registry_t *r, const char *object, const char *media_type,
                             const void *data, size_t len, char digest_out[XB_DIGEST_LEN],
                             xb_error_t *err)
{
    cleanup_free char *op = NULL, *path = NULL, *ct = NULL;
    if (make_op(&op, "PUT manifest", r, object) < 0 ||
        asprintf(&path, "/v2/%s/manifests/%s", r->repo, object) < 0 ||
        asprintf(&ct, "Content-Type: %s", media_type) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    const char *hdrs[] = {ct, NULL};
    xb_http_req_t rq = {.method = "PUT",
                        .url = path,
                        .op = op,
                        .headers = hdrs,
                        .body = data,
                        .body_len = len,
                        .body_fd = -1,
                        .has_body = true};
    cleanup_resp xb_http_resp_t resp = {0};
    if (xb_http_do(r, &rq, &resp, err) < 0)
        return -err->code;
    if (resp.status != 201 && resp.status != 200 && resp.status != 202)
        return xb_registry_fail(r, &resp, op, err);
    char dg[XB_DIGEST_LEN];
    xb_digest_buf(data, len, dg);
    if (resp.docker_digest && strncmp(resp.docker_digest, "sha256:", 7) == 0 &&
        strcmp(resp.docker_digest, dg) != 0)
        return xb_error_set(err, XB_ERR_DIGEST, "%s: the registry stored %s, not %s", op,
                            resp.docker_digest, dg);
    if (digest_out)
        memcpy(digest_out, dg, XB_DIGEST_LEN);
    return 0;
}

int xb_registry_blob_exists(xb_registry_t *r, const char *digest, int64_t *size, xb_error_t *err)
{
    cleanup_free char *op = NULL, *path = NULL;
    if (asprintf(&op, "HEAD blob %s@%s", r->name, digest) < 0 ||
        asprintf(&path, "/v2/%s/blobs/%s", r->repo, digest) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_resp xb_http_resp_t resp = {0};
    int found = head_request(r, op, path, NULL, &resp, err);
    if (found > 0 && size)
        *size = resp.content_length;
    return found;
}

int xb_registry_blob_mount(xb_registry_t *r, const char *digest, const char *from_repo,
                           xb_error_t *err)
{
    cleanup_free char *op = NULL, *path = NULL, *scope = NULL, *ed = NULL, *ef = NULL;
    char *e1 = curl_easy_escape(NULL, digest, 0), *e2 = curl_easy_escape(NULL, from_repo, 0);
    ed = e1 ? strdup(e1) : NULL;
    ef = e2 ? strdup(e2) : NULL;
    curl_free(e1);
    curl_free(e2);
    if (!ed || !ef ||
        asprintf(&op, "mount blob %s from %s into %s", digest, from_repo, r->name) < 0 ||
        asprintf(&path, "/v2/%s/blobs/uploads/?mount=%s&from=%s", r->repo, ed, ef) < 0 ||
        asprintf(&scope, "%s repository:%s:pull", r->scope, from_repo) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_http_req_t rq = {
        .method = "POST", .url = path, .op = op, .body_fd = -1, .has_body = true, .scope = scope};
    cleanup_resp xb_http_resp_t resp = {0};
    if (xb_http_do(r, &rq, &resp, err) < 0)
        return -err->code;
    if (resp.status == 201)
        return 1;
    if (resp.status == 202 || resp.status == 404 || resp.status == 401 || resp.status == 403)
        return 0; /* not mounted: upload instead (an opened session is left to expire) */
    return xb_registry_fail(r, &resp, op, err);
}
