/* Media types (OCI image spec, Docker schema2, CNCF Wasm artifact). */
#ifndef XB_IMAGE_MEDIATYPE_H
#define XB_IMAGE_MEDIATYPE_H

#include <stdbool.h>
#include <stddef.h>

/* OCI */
#define XB_MT_OCI_DESCRIPTOR    "application/vnd.oci.descriptor.v1+json"
#define XB_MT_OCI_LAYOUT        "application/vnd.oci.layout.header.v1+json"
#define XB_MT_OCI_INDEX         "application/vnd.oci.image.index.v1+json"
#define XB_MT_OCI_MANIFEST      "application/vnd.oci.image.manifest.v1+json"
#define XB_MT_OCI_CONFIG        "application/vnd.oci.image.config.v1+json"
#define XB_MT_OCI_LAYER         "application/vnd.oci.image.layer.v1.tar"
#define XB_MT_OCI_LAYER_GZIP    "application/vnd.oci.image.layer.v1.tar+gzip"
#define XB_MT_OCI_LAYER_ZSTD    "application/vnd.oci.image.layer.v1.tar+zstd"
#define XB_MT_OCI_LAYER_ND      "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define XB_MT_OCI_LAYER_ND_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define XB_MT_OCI_LAYER_ND_ZSTD "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define XB_MT_OCI_EMPTY         "application/vnd.oci.empty.v1+json"

/* Docker schema2 */
#define XB_MT_DOCKER_MANIFEST      "application/vnd.docker.distribution.manifest.v2+json"
#define XB_MT_DOCKER_MANIFEST_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define XB_MT_DOCKER_CONFIG        "application/vnd.docker.container.image.v1+json"
#define XB_MT_DOCKER_LAYER         "application/vnd.docker.image.rootfs.diff.tar"
#define XB_MT_DOCKER_LAYER_GZIP    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define XB_MT_DOCKER_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define XB_MT_DOCKER_MANIFEST_V1   "application/vnd.docker.distribution.manifest.v1+json"
#define XB_MT_DOCKER_MANIFEST_V1S  "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* OCI artifact manifest (image-spec 1.1-rc, withdrawn; still found in stores) */
#define XB_MT_OCI_ARTIFACT_MANIFEST "application/vnd.oci.artifact.manifest.v1+json"

/* CNCF Wasm OCI artifact */
#define XB_MT_WASM_CONFIG "application/vnd.wasm.config.v0+json"
#define XB_MT_WASM_LAYER  "application/wasm"
/* wasm-to-oci (older tooling) */
#define XB_MT_WASM_TO_OCI_CONFIG "application/vnd.wasm.config.v1+json"
#define XB_MT_WASM_TO_OCI_LAYER  "application/vnd.wasm.content.layer.v1+wasm"

/* The empty JSON blob "{}" (OCI empty descriptor) */
#define XB_EMPTY_JSON_DIGEST                                                                       \
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define XB_EMPTY_JSON_SIZE 2

static inline bool xb_mt_is_index(const char *mt)
{
    return mt != NULL && (__builtin_strcmp(mt, XB_MT_OCI_INDEX) == 0 ||
                          __builtin_strcmp(mt, XB_MT_DOCKER_MANIFEST_LIST) == 0);
}
static inline bool xb_mt_is_manifest(const char *mt)
{
    return mt != NULL && (__builtin_strcmp(mt, XB_MT_OCI_MANIFEST) == 0 ||
                          __builtin_strcmp(mt, XB_MT_DOCKER_MANIFEST) == 0);
}

/* Compression of a layer media type: 0 none (plain tar), 1 gzip, 2 zstd, -1 not a tar layer. */
int xb_mt_layer_compression(const char *mt);

#endif
