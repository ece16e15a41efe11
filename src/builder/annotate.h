/* --annotation (buildx): OCI annotations on the manifests, the index, and their descriptors.
 *
 * A spec is "[TYPES:]KEY=VALUE" where TYPES is a comma list of manifest (the default), index,
 * manifest-descriptor and index-descriptor, each optionally followed by "[os/arch[/variant]]"
 * to apply to one platform only (manifest and manifest-descriptor). As in BuildKit:
 * - manifest: the image manifest of every platform;
 * - manifest-descriptor: the manifests' entries in the index (for a single-platform build,
 *   the descriptor of the image in the store's index.json);
 * - index: the image index (multi-platform builds only; a single-platform build has none);
 * - index-descriptor: the index's descriptor in the store's index.json. */
#ifndef XB_BUILD_ANNOTATE_H
#define XB_BUILD_ANNOTATE_H

#include <jansson.h>
#include <stddef.h>

#include "image/platform.h"
#include "util/error.h"

enum {
    XB_ANN_MANIFEST = 1,
    XB_ANN_MANIFEST_DESC = 2,
    XB_ANN_INDEX = 4,
    XB_ANN_INDEX_DESC = 8,
};

/* Checks every spec (XB_ERR_USAGE naming the bad one). *levels: the union of the levels
 * they use. */
int xb_bx_annotations_check(const char *const *specs, size_t n, unsigned *levels, xb_error_t *err);

/* The annotations of level for platform p (NULL: the non-platform levels) merged into *obj
 * (created when NULL and something applies). */
int xb_bx_annotations_apply(const char *const *specs, size_t n, unsigned level,
                            const xb_platform_t *p, json_t **obj, xb_error_t *err);

#endif
