/* The local store: an OCI image layout on disk (oci-layout, index.json, blobs/sha256/) plus
 * xbuild's private area (xbuild/layers, xbuild/cache, xbuild/tmp, xbuild/lock).
 * Tags are index.json entries annotated org.opencontainers.image.ref.name.
 * Crash rule: blobs appear under their final name only complete and verified; index.json is
 * replaced atomically under the store lock. */
#ifndef XB_STORE_STORE_H
#define XB_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"
#include "util/error.h"

typedef struct xb_store xb_store_t;
typedef struct xb_blob_writer xb_blob_writer_t;

/* Opens (creating the layout when missing) the store at root. Caller frees with
 * xb_store_close(). */
int xb_store_open(const char *root, xb_store_t **out, xb_error_t *err);
void xb_store_close(xb_store_t *s);
const char *xb_store_root(const xb_store_t *s);
/* The limit of one layer's file sizes added up when its content is extracted or copied out
 * (--max-layer-size); 0 = the default (XB_LAYER_MAX_SIZE_DEFAULT, layer/apply.h). */
void xb_store_set_max_layer_size(xb_store_t *s, uint64_t bytes);
uint64_t xb_store_max_layer_size(const xb_store_t *s);
/* "<root>/<rel>"; caller frees. */
char *xb_store_path(const xb_store_t *s, const char *rel);

/* --- blobs --- */
/* "<root>/blobs/sha256/<hex>"; caller frees. NULL for an invalid digest. */
char *xb_store_blob_path(const xb_store_t *s, const char *digest);
bool xb_store_has_blob(const xb_store_t *s, const char *digest);
/* Streaming write: data goes to a temp file in blobs/ while it is digested. */
int xb_store_blob_begin(xb_store_t *s, xb_blob_writer_t **out, xb_error_t *err);
int xb_blob_write(xb_blob_writer_t *w, const void *data, size_t len, xb_error_t *err);
/* fsyncs and renames into place. With expected != NULL a different digest is an error
 * (XB_ERR_DIGEST) and nothing is stored. Writes the digest and size when non-NULL.
 * Always frees w. */
int xb_blob_commit(xb_blob_writer_t *w, const char *expected, char digest[XB_DIGEST_LEN],
                   int64_t *size, xb_error_t *err);
/* Discards a writer (temp file removed). NULL is fine. */
void xb_blob_abort(xb_blob_writer_t *w);
int xb_store_put_blob(xb_store_t *s, const void *data, size_t len, char digest[XB_DIGEST_LEN],
                      xb_error_t *err);
/* Reads a blob fully (refusing more than max bytes) and verifies its digest; caller frees. */
int xb_store_read_blob(xb_store_t *s, const char *digest, size_t max, char **data, size_t *len,
                       xb_error_t *err);
int xb_store_read_json(xb_store_t *s, const char *digest, json_t **out, xb_error_t *err);

/* --- references (index.json) --- */
/* Normalises a user-given image name for use as a tag: adds ":latest" when there is no tag or
 * digest. Caller frees. */
char *xb_store_normalize_name(const char *name);
/* Sets name -> descriptor (an object with mediaType, digest, size, optional platform and
 * annotations); an existing entry of that name is replaced. Takes the lock itself. */
int xb_store_ref_set(xb_store_t *s, const char *name, const json_t *descriptor, xb_error_t *err);
int xb_store_ref_delete(xb_store_t *s, const char *name, xb_error_t *err);
/* Removes every index.json entry whose digest is digest (all its names, and untagged entries).
 * *names (when non-NULL): array of the removed names (null for untagged); caller json_decref()s.
 * XB_ERR_NOT_FOUND when there is none. */
int xb_store_ref_delete_digest(xb_store_t *s, const char *digest, json_t **names, xb_error_t *err);
/* Copy of index.json's "manifests" array; caller json_decref()s. */
int xb_store_refs_list(xb_store_t *s, json_t **manifests, xb_error_t *err);
/* Resolves what a user typed (name, name without ":latest", full digest, or a unique prefix of
 * at least 12 hex digits of a manifest/index digest) to a descriptor; caller json_decref()s.
 * XB_ERR_NOT_FOUND when nothing matches. */
int xb_store_resolve(xb_store_t *s, const char *image, json_t **descriptor, xb_error_t *err);
/* The org.opencontainers.image.ref.name annotation of an index.json entry, or NULL. Borrowed. */
const char *xb_store_ref_name(const json_t *descriptor);
/* True when name matches the OCI ref.name grammar (annotations.md): components of A-Za-z0-9
 * joined by one of -._:@+ (or "--"), separated by "/". xb_store_ref_set refuses other names. */
bool xb_store_name_valid(const char *name);

/* --- lock, tmp, maintenance --- */
/* Exclusive flock on xbuild/lock (blocking). Returns an fd to pass to xb_store_unlock. */
int xb_store_lock(xb_store_t *s, xb_error_t *err);
void xb_store_unlock(int lockfd);
/* Creates a fresh work dir under xbuild/tmp/; caller frees the path and removes the dir. */
int xb_store_mkdtemp(xb_store_t *s, const char *prefix, char **path, xb_error_t *err);
/* Re-digests every blob and checks every blob referenced from index.json (recursively through
 * indexes and manifests) exists. *problems: array of strings (empty = healthy). */
int xb_store_fsck(xb_store_t *s, json_t **problems, xb_error_t *err);
/* Same checks; *report: {"problems":[str...],"warnings":[str...],"blobs":N,"bytes":N,
 * "refs":N}. Warnings (stray temp files) are not problems. Caller json_decref()s. */
int xb_store_fsck_report(xb_store_t *s, json_t **report, xb_error_t *err);
/* Removes blobs unreachable from index.json (and from the build cache), stale temp files and
 * work dirs of processes that are gone, and build cache entries whose layer blob is gone
 * (before anything else: what they name is not kept). *report: {"blobs":N,"bytes":N,"tmp":N}. */
int xb_store_prune(xb_store_t *s, json_t **report, xb_error_t *err);
/* Build-cache hook of prune: every "sha256:<64 hex>" string in the files under xbuild/cache/
 * (recursively, one JSON file per entry) counts as reachable, and so do the blobs those
 * manifests/indexes reference. Extracted layer dirs xbuild/layers/<hex> are kept while a
 * reachable config lists sha256:<hex> in rootfs.diff_ids or a cache file names it.
 * While a live build's work dir exists under xbuild/tmp/, blobs and layer dirs modified after
 * that dir was created are kept too (the build may not have tagged them yet).
 * The full report: {"blobs":N,"bytes":N,"tmp":N,"layers":N,"stale_cache":N (cache entries),
 * "removed":[paths relative to root]}. */
/* Drops the whole build cache (everything under xbuild/cache/, under the lock), so that the next
 * prune also removes what only the cache kept. *removed: top-level entries removed. */
int xb_store_prune_cache(xb_store_t *s, long long *removed, xb_error_t *err);

#endif
