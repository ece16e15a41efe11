/* Walking images in the store: from a descriptor (index, manifest) to every blob it needs,
 * for OCI and Docker schema2 media types. */
#ifndef XB_STORE_WALK_H
#define XB_STORE_WALK_H

#include <jansson.h>
#include <stdbool.h>

#include "image/mediatype.h"
#include "store/store.h"
#include "util/error.h"

enum xb_blob_kind {
    XB_BLOB_OTHER = 0, /* unknown: opaque leaf */
    XB_BLOB_INDEX,     /* OCI index or Docker manifest list */
    XB_BLOB_MANIFEST,  /* OCI or Docker schema2 manifest (also OCI artifact manifests) */
    XB_BLOB_CONFIG,    /* image config (any config of a manifest, e.g. a Wasm config) */
    XB_BLOB_LAYER,     /* a layer (any entry of a manifest's layers/blobs) */
};

/* "index", "manifest", "config", "layer" or "other" (static). */
const char *xb_blob_kind_name(enum xb_blob_kind kind);
/* Kind by media type alone: index/manifest/config/layer types of OCI and Docker; else OTHER. */
enum xb_blob_kind xb_media_type_kind(const char *media_type);
/* Kind of a manifest-like JSON document by content (OCI permits a missing mediaType):
 * "manifests" -> INDEX, "config" or "layers" -> MANIFEST, else OTHER. */
enum xb_blob_kind xb_json_doc_kind(const json_t *doc);

/* Called for every descriptor reached. kind is its role; parent the digest of the index or
 * manifest that lists it (NULL for the root); status 0, or (with XB_WALK_TOLERANT) the error
 * code when an index/manifest blob could not be read or parsed (XB_ERR_NOT_FOUND, XB_ERR_DIGEST,
 * XB_ERR_PARSE) — its children are then skipped. A negative return stops the walk. */
typedef int (*xb_walk_fn)(const json_t *desc, enum xb_blob_kind kind, const char *parent,
                          int status, void *ud, xb_error_t *err);

#define XB_WALK_TOLERANT 1u /* report unreadable manifests to fn instead of failing */

/* Walks desc and everything below it, pre-order (a parent before its children). Indexes and
 * manifests are read from the store and verified; configs and layers are not opened. Nesting is
 * limited to 8 levels. */
int xb_store_walk(xb_store_t *s, const json_t *desc, unsigned flags, xb_walk_fn fn, void *ud,
                  xb_error_t *err);

/* Every distinct blob desc needs, children before parents (layers, config, manifest, ...,
 * desc itself last): an array of descriptor copies, each with an extra "kind" string
 * ("index", "manifest", "config", "layer", "other"). Caller json_decref()s. */
int xb_store_image_blobs(xb_store_t *s, const json_t *desc, json_t **blobs, xb_error_t *err);

/* Picks the image manifest for a platform: desc itself when it is a manifest, else the entry
 * of the index that fits platform best (image/platform.h xb_platform_score: normalised, arm64 ==
 * arm64/v8; NULL = host; falls back to the only entry of a one-entry
 * index). *manifest_desc and *manifest: copies, caller json_decref()s (either may be NULL).
 * XB_ERR_NOT_FOUND names the platforms available. */
int xb_store_select_manifest(xb_store_t *s, const json_t *desc, const char *platform,
                             json_t **manifest_desc, json_t **manifest, xb_error_t *err);

/* Facts for listings: {"name": str|null, "digest", "mediaType", "size": bytes of every distinct
 * blob the image needs (the descriptor's size when some are missing), "platforms": ["os/arch",
 * ...], "created": newest config "created" or null, "complete": false when blobs are missing}.
 * Never fails for a damaged image. Caller json_decref()s. */
int xb_store_image_summary(xb_store_t *s, const json_t *desc, json_t **out, xb_error_t *err);

#endif
