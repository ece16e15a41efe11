/* OCI distribution client: one xb_registry_t talks to one repository of one registry.
 * Thread-safe: after xb_registry_open() every function may be called from several threads at
 * once (each call uses its own connection; tokens are cached per scope under a lock).
 * Transport: HTTPS with the system CAs; plain HTTP only for loopback hosts (localhost,
 * 127.0.0.0/8, [::1]) or with tls_verify = 0. Retries transient failures (5xx, 429 honouring
 * Retry-After, resets, timeouts) with exponential backoff and jitter. Authentication: Bearer
 * tokens (anonymous or with credentials) and Basic, credentials from opts->creds or the usual
 * auth files (see creds.h). Secrets never appear in errors or logs. */
#ifndef XB_REGISTRY_CLIENT_H
#define XB_REGISTRY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/reference.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/error.h"

/* Pull policy (FROM, --pull, xb_registry_pull*): XB_PULL_MISSING uses a complete local image,
 * XB_PULL_ALWAYS pulls, XB_PULL_NEVER only looks locally; xb_registry_pull also takes
 * | XB_PULL_EXTRACT (a RUN will use the image: extract its layers while they download). */
enum { XB_PULL_MISSING = 0, XB_PULL_ALWAYS = 1, XB_PULL_NEVER = 2, XB_PULL_EXTRACT = 0x100 };

/* Blob progress for bars on a terminal. state: XB_PROGRESS_*; done/total in bytes (total -1 when
 * unknown). Called from transfer threads (the callee serialises); when set, pull/push print no
 * per-blob lines. */
enum { XB_PROGRESS_START = 0, XB_PROGRESS_UPDATE, XB_PROGRESS_DONE, XB_PROGRESS_SKIPPED };
typedef void (*xb_registry_progress_fn)(const char *digest, const char *what, int64_t done,
                                        int64_t total, int state, void *ud);

typedef struct xb_registry_opts {
    const char *creds;    /* "user[:password]" (--creds) or NULL */
    const char *authfile; /* --authfile or NULL (then REGISTRY_AUTH_FILE, ...) */
    const char *cert_dir; /* --cert-dir: ca.crt, *.crt, client.cert, client.key; NULL: default
                             /etc/containers/certs.d/<host> and /etc/docker/certs.d/<host> */
    int tls_verify;       /* -1 default (verify), 0 off (also allows plain HTTP), 1 on */
    int retries;          /* extra attempts after a transient failure; < 0: default 3 */
    int jobs;             /* parallel blob transfers; <= 0: default 4 */
    int64_t chunk_size;   /* push: blobs larger than this go up in PATCH chunks of this size;
                             <= 0: default 8 MiB (the CLI sets XBUILD_CHUNK_SIZE's) */
    bool quiet;           /* no progress lines */
    xb_registry_progress_fn progress; /* NULL: one xb_info line per blob */
    void *progress_ud;
    bool extract_layers;          /* pull: also extract each layer for RUN while it downloads
                                     (snapshot/stream.h) */
    const char *const *env;       /* the caller's environment (K=V, may be NULL): where auth files
                                     are looked for (registry/creds.h) */
    const char *const *creds_for; /* NULL: creds go to any registry this opens; else only to
                                     these registries (as in a reference: "docker.io",
                                     "localhost:5000"; NULL-terminated), the others use the
                                     auth files (bud: the -t names) */
} xb_registry_opts_t;

#define XB_REGISTRY_OPTS_INIT                                                                      \
    {                                                                                              \
        NULL, NULL, NULL, -1, -1, 0, 0, false, NULL, NULL, false, NULL, NULL                       \
    }

typedef struct xb_registry xb_registry_t;

/* Connects to ref's registry for ref's repository: picks the scheme (HTTPS, or HTTP for
 * loopback / tls_verify=0 when HTTPS fails), learns the auth challenge (GET /v2/) and loads
 * credentials. push=true asks for pull+push tokens. opts is copied. Caller frees with
 * xb_registry_close(). */
int xb_registry_open(const xb_reference_t *ref, const xb_registry_opts_t *opts, bool push,
                     xb_registry_t **out, xb_error_t *err);
void xb_registry_close(xb_registry_t *r);
/* "host/repository" for messages. Borrowed. */
const char *xb_registry_name(const xb_registry_t *r);
/* The registry as given in the reference ("docker.io", "localhost:5000"). Borrowed. */
const char *xb_registry_host(const xb_registry_t *r);
const char *xb_registry_repository(const xb_registry_t *r);
const xb_registry_opts_t *xb_registry_options(const xb_registry_t *r);

/* GET /v2/ with the credentials (login): 0 when accepted, XB_ERR_AUTH when refused. */
int xb_registry_check_auth(xb_registry_t *r, xb_error_t *err);

/* --- manifests --- */
/* Media types accepted by default: OCI index/manifest, Docker list/schema2. */
extern const char *const xb_registry_manifest_types[];
/* GET /v2/<repo>/manifests/<object> (tag or digest). accept: NULL-terminated list of media
 * types (NULL: xb_registry_manifest_types). Verifies the body against object when it is a
 * digest (and against Docker-Content-Digest when sent). At most 4 MiB.
 * *data (NUL-terminated), *media_type: caller frees. digest: sha256 of the bytes. */
int xb_registry_get_manifest(xb_registry_t *r, const char *object, const char *const *accept,
                             char **data, size_t *len, char **media_type,
                             char digest[XB_DIGEST_LEN], xb_error_t *err);
/* HEAD /v2/<repo>/manifests/<object>: 1 present (digest/media_type/size filled when not NULL,
 * *media_type caller frees), 0 absent. */
int xb_registry_head_manifest(xb_registry_t *r, const char *object, char digest[XB_DIGEST_LEN],
                              char **media_type, int64_t *size, xb_error_t *err);
/* PUT /v2/<repo>/manifests/<object> with Content-Type media_type and the raw bytes.
 * digest_out (may be NULL): sha256 of data. */
int xb_registry_put_manifest(xb_registry_t *r, const char *object, const char *media_type,
                             const void *data, size_t len, char digest_out[XB_DIGEST_LEN],
                             xb_error_t *err);

/* --- blobs --- */
/* HEAD /v2/<repo>/blobs/<digest>: 1 present (*size when not NULL), 0 absent. */
int xb_registry_blob_exists(xb_registry_t *r, const char *digest, int64_t *size, xb_error_t *err);
/* Cross-repository mount from another repository of the same registry: 1 mounted, 0 not
 * (the registry refused; upload instead). */
int xb_registry_blob_mount(xb_registry_t *r, const char *digest, const char *from_repo,
                           xb_error_t *err);
/* Uploads a blob whose digest is known (skips nothing: call blob_exists first). Monolithic
 * (POST + PUT) up to the chunk size, else chunked PATCHes resuming from the registry's Range
 * after a failure. */
int xb_registry_upload_mem(xb_registry_t *r, const char *digest, const void *data, size_t len,
                           xb_error_t *err);
/* Same from an fd (read with pread from offset 0; size bytes). */
int xb_registry_upload_fd(xb_registry_t *r, const char *digest, int fd, int64_t size,
                          xb_error_t *err);
/* GET a blob into the store, verified against digest (and size when >= 0) while streaming;
 * a mismatch is XB_ERR_DIGEST and nothing is stored. Redirects are followed without
 * credentials on other hosts. */
int xb_registry_fetch_blob(xb_registry_t *r, xb_store_t *s, const char *digest, int64_t size,
                           xb_error_t *err);
/* Same for a layer with this diffID (NULL: plain fetch): the layer is also extracted for RUN
 * while it downloads, and the tree kept only when the blob verifies (snapshot/stream.h). */
int xb_registry_fetch_layer(xb_registry_t *r, xb_store_t *s, const char *digest, int64_t size,
                            const char *diff_id, xb_error_t *err);
/* Copies a blob from src to dst (any two registries, or two repositories of one) without the
 * local store: streamed in dst's chunk size, verified against digest (and size when >= 0). Call
 * blob_exists/blob_mount on dst first. */
int xb_registry_copy_blob(xb_registry_t *src, xb_registry_t *dst, const char *digest, int64_t size,
                          xb_error_t *err);
/* GET a blob into memory (at most max bytes), verified; *data caller frees. */
int xb_registry_fetch_blob_mem(xb_registry_t *r, const char *digest, size_t max, char **data,
                               size_t *len, xb_error_t *err);

#define cleanup_registry __attribute__((cleanup(xb_registry_closep)))
static inline void xb_registry_closep(xb_registry_t **r)
{
    xb_registry_close(*r);
}

#endif
