/* The shared build cache (private to src/build/): --cache-from lookups for steps the local cache
 * misses, fetching a reused layer only when something reads it, and --cache-to export of the
 * steps of this build. Layout and rules: docs/design/cache.md.
 *
 * One entry per cache key, in a registry repository or an OCI layout directory, under the tag
 * "<prefix>-<key>": an OCI image manifest whose config (XB_MT_CACHE_ENTRY) is the entry
 * {"key","platform","history","layer","diff_id","created"} and whose one layer is the step's
 * layer (the OCI empty descriptor for a step without a layer). */
#ifndef XB_BUILD_REMOTECACHE_H
#define XB_BUILD_REMOTECACHE_H

#include <jansson.h>
#include <stdbool.h>

#include "builder/internal.h"
#include "util/error.h"

#define XB_MT_CACHE_ENTRY "application/vnd.xbuild.cache.entry.v1+json"

/* Opens the sources and destinations of b->o->remote_cache into b->rc: each is probed once, an
 * unreachable or refusing one gives one warning and is left out (an error when required=true
 * or ignore-error=false). lookups = false: the sources only serve blobs (a retry after a
 * cache blob failed). */
int xb_bx_rcache_open(xb_bctx_t *b, bool lookups, xb_error_t *err);
void xb_bx_rcache_close(xb_bctx_t *b);
/* Marks the stages whose layers the final image holds (target and its FROM parents). */
void xb_bx_rcache_mark_final(xb_bctx_t *b, xb_bstage_t *target);
/* Looks st->cache_key up in the sources: 1 hit (*entry: caller json_decref()s; it carries
 * "remote": source number, and its layer blob may not be in the store yet), 0 miss, -1 only
 * for a problem of a required source. */
int xb_bx_rcache_get(xb_bstage_t *st, json_t **entry, xb_error_t *err);
/* Notes the entry of a step for --cache-to (how: "miss", "local" or "remote"). */
void xb_bx_rcache_record(xb_bstage_t *st, const json_t *entry, const char *how);
/* Makes sure the blobs of these layer descriptors are in the store, fetching (verified) from
 * the sources those missing. A cache blob that cannot be had is XB_ERR_CACHE. */
int xb_bx_rcache_need(xb_bctx_t *b, const json_t *layers, xb_error_t *err);
/* Writes the noted entries to every --cache-to destination (mode=min: only those of the final
 * image's stages). Failures are warnings unless ignore-error=false. */
int xb_bx_rcache_export(xb_bctx_t *b, xb_error_t *err);

#endif
