/* The three shapes a Wasm module takes in an OCI registry, built as exact bytes (manifest,
 * config, layer) ready to upload:
 *   wasm-to-oci   config application/vnd.wasm.config.v1+json "{}", one layer
 *                 application/vnd.wasm.content.layer.v1+wasm titled with the file name, no
 *                 top-level mediaType (what Krustlet pulls); PUT as an OCI manifest.
 *   oci-artifact  the CNCF TAG Runtime layout: config application/vnd.wasm.config.v0+json
 *                 (created, architecture "wasm", os wasip1/wasip2, layerDigests, component
 *                 imports/exports), one application/wasm layer, mediaType set.
 *   image         an ordinary OCI image (runwasi, crun/youki wasm handlers): platform
 *                 wasip1/wasm, one tar+gzip layer holding the module, Entrypoint the module,
 *                 annotation module.wasm.image/variant=compat. */
#ifndef XB_WASM_ARTIFACT_H
#define XB_WASM_ARTIFACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/mediatype.h"
#include "util/digest.h"
#include "util/error.h"
#include "wasm/inspect.h"

#define XB_WASM_MT_CONFIG_V1  XB_MT_WASM_TO_OCI_CONFIG
#define XB_WASM_MT_CONTENT    XB_MT_WASM_TO_OCI_LAYER
#define XB_WASM_MT_CONFIG_V0  XB_MT_WASM_CONFIG
#define XB_WASM_MT_WASM       XB_MT_WASM_LAYER
#define XB_WASM_MT_OCI_MANIF  XB_MT_OCI_MANIFEST
#define XB_WASM_MT_OCI_INDEX  XB_MT_OCI_INDEX
#define XB_WASM_MT_OCI_CONFIG XB_MT_OCI_CONFIG
#define XB_WASM_MT_OCI_TARGZ  XB_MT_OCI_LAYER_GZIP
#define XB_WASM_VARIANT_ANNOT "module.wasm.image/variant"
#define XB_WASM_TITLE_ANNOT   "org.opencontainers.image.title"

enum xb_wasm_format {
    XB_WASM_FMT_WASM_TO_OCI = 0,
    XB_WASM_FMT_OCI_ARTIFACT,
    XB_WASM_FMT_IMAGE,
};

/* "wasm-to-oci" | "oci-artifact" | "image" -> enum; XB_ERR_USAGE for anything else. */
int xb_wasm_format_parse(const char *s, int *format, xb_error_t *err);
const char *xb_wasm_format_name(int format);

struct xb_wasm_blob {
    char *data; /* owned unless noted */
    size_t len;
    char digest[XB_DIGEST_LEN];
    const char *media_type; /* static string */
};

typedef struct xb_wasm_artifact {
    int format;
    struct xb_wasm_blob manifest; /* media_type: the Content-Type to PUT it with */
    struct xb_wasm_blob config;
    /* The one layer. For the two artifact formats data points at the caller's module bytes
     * (not owned: keep the module alive while the artifact is used); for `image` it is the
     * owned tar+gzip blob. */
    struct xb_wasm_blob layer;
    bool layer_owned;
    char diff_id[XB_DIGEST_LEN]; /* image: digest of the uncompressed tar; else "" */
} xb_wasm_artifact_t;

struct xb_wasm_artifact_opts {
    int format;                /* enum xb_wasm_format */
    const char *filename;      /* the module's file name (no directory): layer title, path */
    const json_t *annotations; /* manifest annotations (string values) or NULL; borrowed */
    /* RFC 3339 creation time; NULL: source_date_epoch when set, else now. */
    const char *created;
    const char *source_date_epoch; /* Unix seconds as text (SOURCE_DATE_EPOCH's value) or NULL */
};

/* Builds the artifact for module (len bytes, already inspected into info). On success *out
 * is filled (caller frees with xb_wasm_artifact_free). */
int xb_wasm_artifact_build(const struct xb_wasm_artifact_opts *opts, const xb_wasm_info_t *info,
                           const void *module, size_t len, xb_wasm_artifact_t *out,
                           xb_error_t *err);
void xb_wasm_artifact_free(xb_wasm_artifact_t *a);

/* "created" timestamp per the rules above into buf (at least 32 bytes): source_date_epoch
 * (Unix seconds as text; NULL, empty or not a number: now). */
void xb_wasm_created_now(const char *source_date_epoch, char *buf, size_t size);

#endif
