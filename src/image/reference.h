/* Image references as users type them: [registry/]repository[:tag][@digest].
 *   alpine                       -> docker.io / library/alpine : latest
 *   docker.io/library/alpine:3.20 -> docker.io / library/alpine : 3.20
 *   ghcr.io/o/r@sha256:...       -> ghcr.io / o/r @ digest
 *   localhost:5000/x/y:t         -> localhost:5000 / x/y : t
 * The first component is a registry when it contains '.' or ':', is "localhost", or is a
 * bracketed IPv6 address; "index.docker.io" is normalised to "docker.io". Repository components
 * follow the distribution grammar ([a-z0-9]+ joined by '.', '_', '__' or '-'+), tags
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, digests sha256:<64 lowercase hex>. */
#ifndef XB_IMAGE_REFERENCE_H
#define XB_IMAGE_REFERENCE_H

#include "util/error.h"

#define XB_DOCKER_HUB     "docker.io"
#define XB_DOCKER_HUB_API "registry-1.docker.io"

typedef struct xb_reference {
    char *registry;   /* "docker.io", "localhost:5000", "[::1]:5000" (never NULL) */
    char *repository; /* "library/alpine" (never NULL) */
    char *tag;        /* NULL when only a digest was given; "latest" when neither was */
    char *digest;     /* NULL or "sha256:<hex>" */
} xb_reference_t;

/* Parses and validates s (XB_ERR_PARSE with a message naming s and what is wrong).
 * Caller frees *out with xb_reference_free(). */
int xb_reference_parse(const char *s, xb_reference_t **out, xb_error_t *err);
void xb_reference_free(xb_reference_t *r);
/* Host to talk to: registry-1.docker.io for docker.io, else the registry. Borrowed. */
const char *xb_reference_api_host(const xb_reference_t *r);
/* "registry/repository"; caller frees. */
char *xb_reference_name(const xb_reference_t *r);
/* Normalised full form "registry/repository[:tag][@digest]"; caller frees. */
char *xb_reference_string(const xb_reference_t *r);
/* What to ask the registry for: the digest when there is one, else the tag. Borrowed. */
const char *xb_reference_object(const xb_reference_t *r);
/* True for localhost, 127.0.0.0/8 and [::1] (with or without port): plain HTTP allowed. */
_Bool xb_reference_host_is_loopback(const char *host);

#define cleanup_reference __attribute__((cleanup(xb_reference_freep)))
static inline void xb_reference_freep(xb_reference_t **r)
{
    xb_reference_free(*r);
}

#endif
