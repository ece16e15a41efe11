/* Image indexes under edit ("manifest lists"): an OCI image index or a Docker manifest list
 * kept in the local store under a name, built up from child image manifests, used by
 * `xbuild manifest create/add/annotate/inspect/push/rm`.
 *
 * An index is plain jansson JSON ({"schemaVersion":2,"mediaType":...,"manifests":[...]}).
 * Every child entry is a descriptor (mediaType, digest, size, optional platform and
 * annotations). The store keeps the index blob plus every child's blobs, so a stored index
 * is complete (xbuild fsck) and can be pushed anywhere. */
#ifndef XB_IMAGE_MANIFEST_LIST_H
#define XB_IMAGE_MANIFEST_LIST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/image.h"
#include "image/platform.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/error.h"

/* Platform and annotation overrides for one child entry (all fields optional). */
struct xb_mlist_entry_opts {
    const char *os;
    const char *arch;
    const char *variant;
    const char *os_version;
    const char *const *os_features; /* NULL-terminated, or NULL */
    const char *const *annotations; /* "KEY=VALUE" strings, NULL-terminated, or NULL */
};

/* Checks the shape of an index read from anywhere (untrusted): schemaVersion 2, a known index
 * mediaType (missing is accepted as OCI), "manifests" an array of descriptors with a valid
 * digest, a non-negative size and a mediaType. what names the source in errors. */
int xb_mlist_validate(const json_t *index, const char *what, xb_error_t *err);

/* Loads the index tagged name. *index is the parsed index, *digest its blob digest (either
 * may be NULL). XB_ERR_NOT_FOUND when no such name, XB_ERR_INVALID when name is an image
 * rather than an index. Caller json_decref()s. */
int xb_mlist_load(xb_store_t *s, const char *name, json_t **index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err);
/* Writes the index blob and tags it name (replacing the previous one). */
int xb_mlist_save(xb_store_t *s, const char *name, const json_t *index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err);

/* Adds descriptor (copied) as a child; an entry with the same digest or the same platform is
 * replaced (re-adding a rebuilt platform replaces the old build). */
int xb_mlist_put(json_t *index, const json_t *descriptor, xb_error_t *err);
/* Position of the child whose digest is digest (or starts with it: "sha256:<12+ hex>" or
 * "<12+ hex>"); -XB_ERR_NOT_FOUND with *err set when none, -XB_ERR_INVALID when ambiguous. */
int xb_mlist_find(const json_t *index, const char *digest, xb_error_t *err);
/* Removes the child of that digest (same matching as xb_mlist_find). */
int xb_mlist_remove(json_t *index, const char *digest, xb_error_t *err);

/* Applies platform fields and "K=V" annotations to a descriptor (an empty VALUE removes K). */
int xb_mlist_apply_opts(json_t *descriptor, const struct xb_mlist_entry_opts *o, xb_error_t *err);
/* Applies "K=V" annotations to the index itself. */
int xb_mlist_annotate_index(json_t *index, const char *const *annotations, xb_error_t *err);

/* The platform object ({"architecture","os",["variant"],["os.version"],["os.features"]}) an
 * image config declares; NULL when it names no architecture/os. Caller json_decref()s. */
json_t *xb_mlist_platform_from_config(const json_t *config);

/* Turns a stored image (manifest) descriptor into an index child descriptor: mediaType,
 * digest, size, and the platform from its config. Caller json_decref()s *out. */
int xb_mlist_describe_image(xb_store_t *s, const json_t *manifest_desc, json_t **out,
                            xb_error_t *err);

/* The children of a stored image to add to an index: for a manifest, one descriptor; for an
 * index, all of its children when all is true, else the one child matching want (host
 * platform when want is NULL). *children is a new array; caller json_decref()s. */
int xb_mlist_children_of(xb_store_t *s, const json_t *desc, bool all, const xb_platform_t *want,
                         json_t **children, xb_error_t *err);

/* Checks an index before it is pushed: every entry has a platform whose os and architecture
 * are known (GOOS/GOARCH names, and wasi/wasip1/wasip2 + wasm), and no two entries have the same
 * platform (after normalisation). Errors name the entry and the command that fixes it. */
int xb_mlist_check_platforms(const json_t *index, const char *what, xb_error_t *err);
/* Position of the entry of index with the same (normalised) platform as descriptor but another
 * digest; -1 when none (or descriptor has no platform). */
int xb_mlist_platform_clash(const json_t *index, const json_t *descriptor);

/* Pretty JSON (4-space indent) of any JSON value; caller frees. */
char *xb_mlist_pretty(const json_t *j);

#endif
