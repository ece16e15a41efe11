/* The root filesystem of an image seen through its layer tarballs (no extraction to disk):
 * an index of every path (type, mode, owner, symlink target), built by applying the layers
 * bottom-up with OCI whiteout semantics, optionally with the content of selected paths copied
 * into a work directory (for COPY --from). Also: reading one file through the layer stack. */
#ifndef XB_BUILD_ROOTFS_H
#define XB_BUILD_ROOTFS_H

#include <jansson.h>
#include <stdbool.h>

#include "builder/entries.h"
#include "store/store.h"
#include "util/error.h"

#define XB_ROOTFS_MAX_ENTRIES 2000000

/* Applies one layer (descriptor object with "digest") to idx. When want_prefix is non-NULL,
 * regular files at or below that image path (no leading slash, "" = everything) get their
 * content copied to fresh files in tmpdir (entry->src). */
int xb_rootfs_apply_layer(xb_centries_t *idx, xb_store_t *s, const json_t *layer,
                          const char *want_prefix, const char *tmpdir, xb_error_t *err);
/* Applies every layer of the array, bottom first. */
int xb_rootfs_build(xb_centries_t *idx, xb_store_t *s, const json_t *layers,
                    const char *want_prefix, const char *tmpdir, xb_error_t *err);

/* The metadata-only index (no content) of the image whose layers and diff_ids (same length,
 * bottom first) are given: a layer already extracted for RUN (STORE/xbuild/layers/<diffid>) is
 * read from its directory, which is much faster than decompressing its tarball. */
int xb_rootfs_build_index(xb_centries_t *idx, xb_store_t *s, const json_t *layers,
                          const json_t *diff_ids, xb_error_t *err);

/* Resolves an image path inside idx following symlinks (never leaving the root); with
 * follow_last the final component is followed too. Returns the cleaned, resolved path (no
 * leading slash; caller frees) and the entry there (NULL when the path does not exist). */
char *xb_rootfs_resolve(const xb_centries_t *idx, const char *path, bool follow_last,
                        xb_centry_t **entry);

/* Reads the file at path (absolute or not) of the image whose layers (array of descriptors,
 * bottom first) are given, looking from the top layer down and honouring whiteouts; symlinks
 * are followed inside the image. XB_ERR_NOT_FOUND when there is no such file. *data is
 * NUL-terminated; caller frees. */
int xb_layer_stack_read_file(xb_store_t *s, const json_t *layers, const char *path, size_t max,
                             char **data, size_t *len, xb_error_t *err);

struct archive;
/* Writes the data of a's current entry (size bytes, holes kept) to a new file under tmpdir
 * (named from seq, unique however many callers share tmpdir): *out its path, caller frees. */
int xb_rootfs_spill(struct archive *a, const char *tmpdir, size_t seq, int64_t size, char **out,
                    xb_error_t *err);

#endif
