/* Options of the shared build cache (bud --cache-from / --cache-to / --cache-ttl), in buildah's
 * and buildx's spellings. The layout and the rules are in docs/design/cache.md. */
#ifndef XB_BUILD_CACHEOPTS_H
#define XB_BUILD_CACHEOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct xb_registry_opts;

enum { XB_RCACHE_REGISTRY = 1, XB_RCACHE_LOCAL = 2 };

typedef struct xb_rcache_spec {
    int type;         /* XB_RCACHE_REGISTRY or XB_RCACHE_LOCAL */
    char *ref;        /* registry: "REG/REPO" (no tag); local: the OCI layout directory */
    char *prefix;     /* registry: tag prefix (the TAG given in the reference, else "xbc") */
    bool mode_max;    /* cache-to: also the stages that are not in the final image */
    bool required;    /* cache-from: a cache problem fails the build instead of a warning */
    int ignore_error; /* cache-to: -1 unset (a failed export is a warning), 0 fail, 1 warn */
    int compression;  /* cache-to compression=: XB_COMPRESSION_* or -1 (the build's own) */
} xb_rcache_spec_t;

typedef struct xb_rcache_opts {
    xb_rcache_spec_t *from; /* --cache-from sources, tried in order */
    size_t nfrom;
    xb_rcache_spec_t *to; /* --cache-to destinations */
    size_t nto;
    int64_t ttl_seconds; /* --cache-ttl: entries older than this are misses; 0: no limit */
    const struct xb_registry_opts *registry; /* credentials/TLS for the caches (borrowed) */
} xb_rcache_opts_t;

/* Parses one --cache-from (to = false) or --cache-to (to = true) value: a bare "REG/REPO[:TAG]"
 * (buildah, or buildx's short form), "type=registry,ref=REG/REPO[:TAG][,mode=min|max]
 * [,compression=gzip|zstd][,ignore-error=BOOL][,required=BOOL]" or "type=local,src=DIR"
 * (from) / "type=local,dest=DIR" (to). Unknown keys and types are XB_ERR_USAGE errors.
 * out: free its strings with xb_rcache_spec_free(). */
int xb_rcache_spec_parse(const char *s, bool to, xb_rcache_spec_t *out, xb_error_t *err);
void xb_rcache_spec_free(xb_rcache_spec_t *s);
/* Appends a parsed spec to o->from or o->to. */
int xb_rcache_opts_add(xb_rcache_opts_t *o, const char *s, bool to, xb_error_t *err);
void xb_rcache_opts_free(xb_rcache_opts_t *o);
/* Go-style duration ("168h", "1h30m", "90s", "45m"; a bare number is seconds). */
int xb_rcache_ttl_parse(const char *s, int64_t *seconds, xb_error_t *err);

/* The registry tag of an entry: "<prefix>-<64 hex key>" (at most 128 characters). out: at
 * least 129 bytes. */
void xb_rcache_tag(const char *prefix, const char *key, char out[129]);

#endif
