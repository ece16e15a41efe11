/* The build cache (private to src/build/): one JSON file per key under xbuild/cache/<2 hex>/.
 *
 * A stage's state key starts at FROM (base image manifest/config digests or the parent stage's
 * key, and the stage platform) and every instruction chains it:
 *   key' = sha256(key, kind, instruction data)
 * where the data is the expanded instruction and what it reads: COPY/ADD the digest of the
 * planned entries (path, type, mode, owner, link target and whether it is a hard link, content
 * digest, xattrs - never mtimes), RUN its argv, environment, workdir, user, network, --mount
 * specs and the state of the mount sources (context digest, stage keys), metadata instructions
 * the resulting container config and ARG state. A step that yields a layer then chains its
 * diffID (kind "result"), on a hit as on a miss: later keys depend on the layers below them.
 * Because the platform is in the first key, entries never cross architectures.
 * An entry: {"key","platform","history":{...},"layer":descriptor|null,"diff_id"|null,
 * "chain"?}: "chain" only in an alias entry (xb_bx_cache_put_alias). */
#ifndef XB_BUILD_CACHE_H
#define XB_BUILD_CACHE_H

#include <jansson.h>
#include <stdbool.h>

#include "builder/entries.h"
#include "builder/internal.h"
#include "util/digest.h"
#include "util/error.h"

/* Chains st->cache_key with kind and data (any JSON, dumped compactly). */
int xb_bx_cache_chain(xb_bstage_t *st, const char *kind, const json_t *data, xb_error_t *err);
/* Looks st->cache_key up: 1 hit (*entry set, caller json_decref()s; the layer blob exists),
 * 0 miss. */
int xb_bx_cache_get(xb_bstage_t *st, json_t **entry, xb_error_t *err);
/* Records the entry for st->cache_key: history is the entry just appended to the config;
 * layer/diff_id NULL for empty layers. Failures to write the cache are not build failures. */
void xb_bx_cache_put(xb_bstage_t *st, const json_t *layer, const char *diff_id);
/* Records an alias entry under key alias for the step just applied or built (its last layer
 * and history entry): a hit on alias applies that layer and continues the chain from chain (the
 * step's own key), so later steps find the entries written under it. Used where a step has a
 * cheap key (COPY --from=<stage>: the stage's diffIDs) besides its content key. */
void xb_bx_cache_put_alias(xb_bstage_t *st, const char *alias, const char *chain);
/* Applies a hit: appends the cached layer (if any) and history entry to the stage; an alias
 * entry's "chain" replaces the stage's key before the result is chained. */
int xb_bx_cache_apply(xb_bstage_t *st, const json_t *entry, xb_error_t *err);

/* Digest of planned layer entries (content, mode, owner, links; not mtimes); under: only that
 * path and what is below it (NULL or "": all). */
int xb_bx_entries_digest(const xb_centries_t *ents, const char *under, char out[XB_DIGEST_LEN],
                         xb_error_t *err);

#endif
