/* Plain HTTP(S) downloads (ADD <url>) through the registry module's one HTTP client. */
#ifndef XB_REGISTRY_FETCHURL_H
#define XB_REGISTRY_FETCHURL_H

#include <stdint.h>

#include "registry/client.h"
#include "util/digest.h"
#include "util/error.h"

typedef struct xb_url_download {
    char digest[XB_DIGEST_LEN]; /* sha256 of the body */
    int64_t size;               /* bytes written */
    int64_t mtime;              /* Last-Modified as Unix seconds, -1 when the server sent none */
} xb_url_download_t;

/* GETs url (http or https) into fd (truncated first, and again before a retry) with opts' TLS
 * rules (tls_verify 0 skips verification; cert_dir, else /etc/containers/certs.d/<host> or
 * /etc/docker/certs.d/<host>, adds CAs and a client certificate), libcurl's proxy variables,
 * redirects (http/https only) and retries on transient failures (opts->retries). Never sends
 * credentials. max: the largest body accepted (0: no limit). */
int xb_registry_fetch_url(const char *url, const xb_registry_opts_t *opts, int fd, int64_t max,
                          xb_url_download_t *out, xb_error_t *err);

#endif
