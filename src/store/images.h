/* Images and indexes in the store: writing an image's config and manifest blobs, an index
 * blob, loading an image through its descriptor, and the indexes `xbuild manifest` edits.
 * The JSON model itself (configs, descriptors, index selection, validation) is in src/image/,
 * below the store; these functions join the two. */
#ifndef XB_STORE_IMAGES_H
#define XB_STORE_IMAGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"
#include "image/manifest_list.h"
#include "image/platform.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/error.h"

/* Writes config (media type by manifest type: OCI or Docker config) and the manifest
 * {"schemaVersion":2,"mediaType","config","layers"[,"annotations"]} into the store.
 * manifest_media_type: XB_MT_OCI_MANIFEST or XB_MT_DOCKER_MANIFEST (NULL: OCI). layers: array of
 * layer descriptors (copied). The manifest's digest and size are returned; config_digest may be
 * NULL. Builds the descriptor with xb_descriptor_new(manifest_media_type, digest, size, ...). */
int xb_image_commit(xb_store_t *s, const json_t *config, const json_t *layers,
                    const char *manifest_media_type, const json_t *annotations,
                    char manifest_digest[XB_DIGEST_LEN], int64_t *size,
                    char config_digest[XB_DIGEST_LEN], xb_error_t *err);

/* Loads the image a descriptor names from the store. For an index/manifest list the entry for
 * want is chosen (xb_index_select); want NULL: the host platform, else the only entry. A
 * manifest's config platform is checked against want when want != NULL (XB_ERR_NOT_FOUND
 * when it does not match). Caller frees *out with xb_image_free(). */
int xb_image_load(xb_store_t *s, const json_t *descriptor, const xb_platform_t *want,
                  xb_image_t **out, xb_error_t *err);

/* Writes the index blob (compact, ordered); returns digest and size. */
int xb_index_commit(xb_store_t *s, const json_t *index, char digest[XB_DIGEST_LEN], int64_t *size,
                    xb_error_t *err);

/* Loads the index tagged name. *index is the parsed index, *digest its blob digest (either
 * may be NULL). XB_ERR_NOT_FOUND when no such name, XB_ERR_INVALID when name is an image
 * rather than an index. Caller json_decref()s. */
int xb_mlist_load(xb_store_t *s, const char *name, json_t **index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err);

/* Writes the index blob and tags it name (replacing the previous one). */
int xb_mlist_save(xb_store_t *s, const char *name, const json_t *index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err);

/* Turns a stored image (manifest) descriptor into an index child descriptor: mediaType,
 * digest, size, and the platform from its config. Caller json_decref()s *out. */
int xb_mlist_describe_image(xb_store_t *s, const json_t *manifest_desc, json_t **out,
                            xb_error_t *err);

/* The children of a stored image to add to an index: for a manifest, one descriptor; for an
 * index, all of its children when all is true, else the one child matching want (host
 * platform when want is NULL). *children is a new array; caller json_decref()s. */
int xb_mlist_children_of(xb_store_t *s, const json_t *desc, bool all, const xb_platform_t *want,
                         json_t **children, xb_error_t *err);

#endif
