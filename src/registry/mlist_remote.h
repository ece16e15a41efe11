/* The registry side of `xbuild manifest`: bringing remote images into the store so an index
 * can list them, showing a remote manifest, and pushing a stored index with every image it
 * lists. */
#ifndef XB_REGISTRY_MLIST_REMOTE_H
#define XB_REGISTRY_MLIST_REMOTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/platform.h"
#include "registry/client.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/error.h"

/* Fetches the metadata of ref ("docker://host/repo:tag", "host/repo@sha256:...") into the
 * store without tagging it: the manifest (or index) bytes as served, and for each image needed
 * its config (verified), never its layers: each image manifest is recorded as remote-backed
 * (store/remote.h) by ref's repository, from which push mounts or copies the layers. For an
 * index only the entry for want (host platform when NULL) is fetched, or every entry when all is
 * true. *desc: {"mediaType","digest","size"} of what ref names; caller json_decref()s. */
int xb_mlist_fetch_remote(xb_store_t *s, const char *ref, bool all, const xb_platform_t *want,
                          const xb_registry_opts_t *o, json_t **desc, xb_error_t *err);

/* The manifest or index ref names, as the registry serves it. *raw (NUL-terminated) caller
 * frees. */
int xb_mlist_inspect_remote(const char *ref, const xb_registry_opts_t *o, char **raw, size_t *len,
                            xb_error_t *err);

/* Pushes the index tagged name to dest ("docker://host/repo[:tag]"): every listed image's
 * blobs (skipping those the registry has, mounting those of remote-backed images from their
 * repository on the same registry, streaming them from their registry otherwise) and manifest
 * (by digest, unless dest has it), then the index itself under dest's tag (or by digest when
 * dest has none). digest: the index digest. */
int xb_mlist_push(xb_store_t *s, const char *name, const char *dest, const xb_registry_opts_t *o,
                  char digest[XB_DIGEST_LEN], xb_error_t *err) __attribute__((weak));

/* The same for an index that has no name in the store (`manifest create --push -t DEST SRC...`):
 * its blob is stored (untagged: prune removes it) and pushed to dest. Both check the platforms
 * first (xb_mlist_check_platforms): nothing is pushed when one is missing, unknown or listed
 * twice. */
int xb_mlist_push_index(xb_store_t *s, const json_t *index, const char *dest,
                        const xb_registry_opts_t *o, char digest[XB_DIGEST_LEN], xb_error_t *err);

#endif
