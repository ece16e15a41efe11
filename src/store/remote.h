/* Remote-backed images: manifests whose manifest and config blobs are in the store but whose
 * layers stay in a registry (`xbuild manifest add docker://...`). The store records, per
 * manifest digest, the registry repositories that serve it (xbuild/remote/<hex>, one
 * "registry repository" line each), so that fsck does not call the missing layers a problem,
 * prune forgets records of manifests nothing reaches, and push knows where to mount or copy the
 * layers from. */
#ifndef XB_STORE_REMOTE_H
#define XB_STORE_REMOTE_H

#include <jansson.h>
#include <stdbool.h>

#include "store/store.h"
#include "util/error.h"

/* Records that manifest_digest (and its layers) can be read from registry/repository. Idempotent;
 * concurrent writers do not interleave (one O_APPEND write per line). */
int xb_store_remote_note(xb_store_t *s, const char *manifest_digest, const char *registry,
                         const char *repository, xb_error_t *err);
/* The places recorded for manifest_digest: *out an array of {"registry","repository"} (empty
 * when the manifest is not remote-backed). Caller json_decref()s. */
int xb_store_remote_sources(xb_store_t *s, const char *manifest_digest, json_t **out,
                            xb_error_t *err);
/* True when a record exists for manifest_digest. */
bool xb_store_remote_backed(xb_store_t *s, const char *manifest_digest);

#endif
