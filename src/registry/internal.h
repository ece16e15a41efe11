/* Private to src/registry: the client object, the HTTP layer (http.c), auth (auth.c). */
#ifndef XB_REGISTRY_INTERNAL_H
#define XB_REGISTRY_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "registry/client.h"
#include "util/buf.h"

#define XB_HTTP_ERROR_BODY_MAX (64u * 1024)
#define XB_TOKEN_BODY_MAX      (256u * 1024)
#define XB_MANIFEST_MAX        (4u * 1024 * 1024)

enum xb_auth_kind { XB_AUTH_NONE = 0, XB_AUTH_BASIC, XB_AUTH_BEARER };

struct xb_token {
    char *scope; /* cache key: the scope string asked for */
    char *token;
    int64_t expires_ms; /* CLOCK_MONOTONIC ms: used until then (a little before it expires) */
    struct xb_token *next;
};

struct xb_registry {
    xb_registry_opts_t opts;
    char *host;     /* as in the reference: docker.io, localhost:5000 */
    char *api_host; /* registry-1.docker.io for docker.io */
    char *repo;
    char *name;  /* host/repo, for messages */
    char *base;  /* "https://api_host" or "http://api_host" */
    char *scope; /* "repository:<repo>:pull" or ":pull,push" */
    bool push;
    /* TLS material */
    char *ca_blob; /* system CAs + cert dir's *.crt, or NULL (defaults) */
    size_t ca_blob_len;
    char *client_cert, *client_key;
    /* auth (under lock) */
    pthread_mutex_t lock;
    int auth_kind;
    char *realm, *service;
    char *user, *pass;      /* NULL: anonymous */
    bool warned_http_realm; /* told once that an http:// realm gets no credentials */
    struct xb_token *tokens;
    /* shared DNS / TLS sessions / connections */
    CURLSH *share;
    pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
};

/* A client for host (TLS material from opts' cert_dir or containers-certs.d, retries,
 * shared connections) that is not yet bound to a repository, a base URL or credentials.
 * xb_registry_open builds on it; caller frees with xb_registry_close(). */
int xb_registry_client_new(const char *host, const xb_registry_opts_t *opts, xb_registry_t **out,
                           xb_error_t *err);

/* Body sink for 2xx responses; reset is called before a retry re-sends the request. */
typedef struct xb_http_sink {
    size_t (*write)(const void *data, size_t len, void *ud); /* returns len, or 0 to abort */
    void (*reset)(void *ud);
    void *ud;
} xb_http_sink_t;

typedef struct xb_http_req {
    const char *method;         /* GET HEAD PUT POST PATCH DELETE */
    const char *url;            /* absolute, or a path starting with "/" relative to r->base */
    const char *op;             /* "GET manifest localhost:5000/x:1", used in errors */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, may be NULL */
    const void *body;           /* request body from memory */
    size_t body_len;
    int body_fd; /* >= 0: body from fd at body_off, body_len bytes (pread) */
    int64_t body_off;
    bool has_body;                         /* send a body (possibly empty) */
    const xb_http_sink_t *sink;            /* NULL: 2xx body buffered up to max_body */
    size_t max_body;                       /* 0: XB_HTTP_ERROR_BODY_MAX */
    const char *scope;                     /* token scope; NULL: r->scope */
    bool no_retry;                         /* one attempt only (bodies that cannot be re-sent) */
    bool follow;                           /* follow redirects (GET/HEAD) */
    void (*sent)(int64_t bytes, void *ud); /* body bytes handed to curl so far (progress) */
    void *sent_ud;
} xb_http_req_t;

typedef struct xb_http_resp {
    long status;
    xb_buf_t body; /* error bodies, and 2xx bodies without a sink */
    char *location;
    char *content_type;
    char *docker_digest;
    char *range;
    char *www_auth;
    int64_t last_modified;  /* Last-Modified as Unix seconds, -1 when absent */
    int64_t content_length; /* -1 when unknown */
    long retry_after;       /* seconds, -1 when absent */
    char *url;              /* URL the response came from (after redirects) */
    bool transient;         /* transport failure worth retrying (reset, timeout, ...) */
    int curl_code;          /* CURLcode of a transport failure */
} xb_http_resp_t;

void xb_http_resp_free(xb_http_resp_t *resp);
#define cleanup_resp __attribute__((cleanup(xb_http_resp_free)))

/* Performs the request with auth, redirects and retries (request.c). Returns 0 when a response
 * arrived (any status: check resp->status), negative on a transport failure after all retries. */
int xb_http_do(xb_registry_t *r, const xb_http_req_t *rq, xb_http_resp_t *resp, xb_error_t *err);
/* One attempt, no auth handling or retries; auth_header may be NULL. */
int xb_http_perform(xb_registry_t *r, const xb_http_req_t *rq, const char *url,
                    const char *auth_header, xb_http_resp_t *resp, xb_error_t *err);
/* Sets *err from an unexpected response: "<op>: <CODE>: <message>" from the registry's error
 * body (verbatim), else "<op>: HTTP <status>". 401/403 -> XB_ERR_AUTH, 404 ->
 * XB_ERR_NOT_FOUND, else XB_ERR_REGISTRY. */
int xb_http_error(const xb_http_resp_t *resp, const char *op, xb_error_t *err);
/* xb_http_error plus, for 401/403, whether credentials were used (never which) (request.c). */
int xb_registry_fail(xb_registry_t *r, const xb_http_resp_t *resp, const char *op, xb_error_t *err);
/* Absolute URL of location relative to base; caller frees. */
char *xb_http_resolve(const char *base, const char *location);
/* "scheme://host:port" of an URL, lowercase; caller frees. NULL on a bad URL. */
char *xb_http_origin(const char *url);
/* True when both URLs have the same scheme, host and port. */
bool xb_http_same_origin(const char *a, const char *b);
/* Sleeps the backoff for attempt n (0-based), or retry_after seconds when >= 0. */
void xb_http_backoff(int attempt, long retry_after);

/* --- auth.c --- */
/* Parses a WWW-Authenticate value: kind and realm/service/scope params (caller frees each). */
int xb_auth_parse_challenge(const char *h, int *kind, char **realm, char **service, char **scope);
/* Authorization header value for scope ("Bearer ..." / "Basic ..."), fetching a token when
 * none is cached or the cached one is about to expire; *out NULL when no auth applies.
 * rejected: the value the registry just answered 401 to (NULL: none): a cached token equal to
 * it is replaced, one another thread has already refreshed is used. Caller frees. */
int xb_auth_header(xb_registry_t *r, const char *scope, const char *rejected, char **out,
                   xb_error_t *err);
/* Records a 401 challenge (thread-safe). */
void xb_auth_challenge(xb_registry_t *r, const char *www_auth);
void xb_auth_free_tokens(xb_registry_t *r);
/* Standard base64 of a string; caller frees. */
char *xb_registry_b64(const char *s);

/* --- upload.c --- */
/* POST /v2/<repo>/blobs/uploads/: *loc the absolute session URL (caller frees). */
int xb_upload_session(xb_registry_t *r, const char *op, char **loc, xb_error_t *err);
/* loc with "digest=<digest>" added to its query; caller frees (NULL: out of memory). */
char *xb_upload_url_with_digest(const char *loc, const char *digest);
/* "0-1234" (a Range header) -> 1235, the bytes the registry holds; -1 when absent/malformed. */
int64_t xb_upload_range_next(const char *range);

/* --- parallel.c --- */
typedef int (*xb_parallel_fn)(size_t i, void *ud, xb_error_t *err);
/* Runs fn for 0..n-1 on up to jobs threads (the caller's included); stops at the first
 * failure and returns it. */
int xb_parallel(int jobs, size_t n, xb_parallel_fn fn, void *ud, xb_error_t *err);

/* "1.2 MiB"; buf of at least 32 bytes. */
const char *xb_registry_human_size(int64_t n, char *buf, size_t len);

#endif
