/* Exporting store images to the local transports skopeo/podman/docker understand:
 *   oci:DIR[:TAG]             an OCI image layout directory (created or updated)
 *   oci-archive:FILE[:TAG]    a tar of such a layout
 *   docker-archive:FILE[:TAG] `docker save` format (manifest.json, repositories, <hex>.json
 *                             config, <diffid>.tar uncompressed layers + legacy layer dirs),
 *                             the shape `skopeo copy ... docker-archive:` writes
 * As in skopeo, the path ends at the first ':' after the transport; the rest is the tag (which
 * may contain '/' and ':', e.g. oci:/tmp/l:localhost:5000/app:1).
 * Crash rule: blobs in a layout appear under their final name only complete and verified;
 * archives are written to "FILE.tmp-<pid>-XXXXXX" and renamed when complete. */
#ifndef XB_STORE_EXPORT_H
#define XB_STORE_EXPORT_H

#include <jansson.h>
#include <stdbool.h>

#include "store/store.h"
#include "util/error.h"

enum xb_export_transport {
    XB_EXPORT_OCI_DIR = 1,
    XB_EXPORT_OCI_ARCHIVE,
    XB_EXPORT_DOCKER_ARCHIVE,
};

struct xb_export_opts {
    const char *platform; /* docker-archive from an index: "os/arch[/variant]"; NULL = host */
    const char *src_name; /* the image's own name: default tag of docker-archive RepoTags */
    bool keep_docker;     /* oci:/oci-archive: keep Docker schema2 media types (push --format
                             docker); by default they are rewritten to OCI ones */
};

/* What an oci:/oci-archive: export writes. With to_oci, Docker schema2 media types become OCI
 * ones as `skopeo copy --format oci` does: manifest list -> index, manifest, config and layer
 * descriptors retyped (foreign layers -> nondistributable), so the manifests and indexes that
 * change are rewritten (new digests) while config and layer blobs keep their bytes; images
 * already OCI are exported unchanged. */
typedef struct xb_export_plan {
    json_t *desc;  /* the descriptor for index.json (ref.name annotation as in the store) */
    json_t *blobs; /* children first: {"digest", "kind", "data": the rewritten JSON text, absent
                      when the store blob is copied as it is} */
} xb_export_plan_t;
/* Fills plan (freed with xb_export_plan_free, also on failure). */
int xb_export_plan(xb_store_t *s, const json_t *desc, bool to_oci, xb_export_plan_t *plan,
                   xb_error_t *err);
void xb_export_plan_free(xb_export_plan_t *plan);

/* Splits "transport:path[:tag]". *path and *tag (NULL when absent) are malloc'd; caller frees.
 * An unknown transport is XB_ERR_USAGE naming the supported ones ("docker://" is not handled
 * here: XB_ERR_UNSUPPORTED). */
int xb_export_parse_dest(const char *dest, enum xb_export_transport *transport, char **path,
                         char **tag, xb_error_t *err);

/* Exports the image desc (an index.json entry or any manifest/index descriptor of s) to dest.
 * Writes the digest of the manifest/index written (for docker-archive: the config digest,
 * i.e. the image ID) to digest_out when non-NULL. opts may be NULL. */
int xb_export(xb_store_t *s, const json_t *desc, const char *dest,
              const struct xb_export_opts *opts, char digest_out[XB_DIGEST_LEN], xb_error_t *err);

int xb_export_oci_dir(xb_store_t *s, const xb_export_plan_t *plan, const char *dir, const char *tag,
                      xb_error_t *err);
int xb_export_oci_archive(xb_store_t *s, const xb_export_plan_t *plan, const char *file,
                          const char *tag, xb_error_t *err);
/* One platform's image (from an index: opts->platform or the host's). tag NULL: RepoTags from
 * opts->src_name when it is a name:tag, else none. */
int xb_export_docker_archive(xb_store_t *s, const json_t *desc, const char *file, const char *tag,
                             const struct xb_export_opts *opts, char config_digest[XB_DIGEST_LEN],
                             xb_error_t *err);

/* Copies a store blob to "<dir>/<hex>" (dir = a layout's blobs/sha256) through a temp file,
 * verifying its digest on the way; an existing file of the right size is kept. */
int xb_export_copy_blob(xb_store_t *s, const char *digest, const char *dir, xb_error_t *err);

/* The index.json entry for desc in an exported layout: a copy of desc without the store's
 * ref.name annotation, with ref.name = tag when tag != NULL. Caller json_decref()s. */
json_t *xb_export_index_entry(const json_t *desc, const char *tag);

/* --- tar writing shared by the archive transports (reproducible: mtime 0, uid/gid 0) --- */
struct archive;
struct xb_tar_out {
    struct archive *a;
    int fd;
    char *tmp;   /* "<file>.tmp-<pid>-XXXXXX" */
    char *final; /* file */
};
int xb_tar_out_open(struct xb_tar_out *t, const char *file, xb_error_t *err);
int xb_tar_out_dir(struct xb_tar_out *t, const char *name, xb_error_t *err);
int xb_tar_out_data(struct xb_tar_out *t, const char *name, const void *data, size_t len,
                    xb_error_t *err);
/* Streams a file; with digest != NULL verifies the content digest on the way. */
int xb_tar_out_file(struct xb_tar_out *t, const char *name, const char *path, const char *digest,
                    xb_error_t *err);
int xb_tar_out_symlink(struct xb_tar_out *t, const char *name, const char *target, xb_error_t *err);
/* Closes, fsyncs and renames the archive into place. */
int xb_tar_out_commit(struct xb_tar_out *t, xb_error_t *err);
/* Discards an unfinished archive (temp file removed). Safe after commit. */
void xb_tar_out_abort(struct xb_tar_out *t);

#endif
