/* Pushing a Wasm module to a registry in one of the three formats (artifact.h) and pulling a
 * module back out of any of them (select.h). Both go through registry/client.h. */
#ifndef XB_WASM_TRANSFER_H
#define XB_WASM_TRANSFER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry/client.h"
#include "util/digest.h"
#include "util/error.h"

struct xb_wasm_push_opts {
    int format;                /* enum xb_wasm_format */
    const json_t *annotations; /* manifest annotations or NULL; borrowed */
    const xb_registry_opts_t *registry;
    const char *source_date_epoch; /* SOURCE_DATE_EPOCH's value (the CLI's) or NULL: created */
};

struct xb_wasm_push_result {
    char digest[XB_DIGEST_LEN]; /* the manifest's digest */
    size_t module_size;
    size_t manifest_size, config_size; /* what the artifact adds (plus the tar for `image`) */
    size_t layer_size;
    int kind, wasi; /* enum xb_wasm_kind, enum xb_wasi_level */
    int blobs_uploaded, blobs_skipped;
};

/* Inspects module_path (refusing anything that is not a Wasm module or component), builds the
 * artifact and pushes it to ref (a tag, or a digest which must then equal the manifest's).
 * Progress goes to xb_info unless opts->registry->quiet. */
int xb_wasm_push(const char *module_path, const char *ref, const struct xb_wasm_push_opts *opts,
                 struct xb_wasm_push_result *res, xb_error_t *err);

struct xb_wasm_pull_result {
    char digest[XB_DIGEST_LEN];        /* the manifest the module came from */
    char module_digest[XB_DIGEST_LEN]; /* sha256 of the bytes written */
    size_t module_size;
    const char *kind;    /* "wasm-to-oci", "oci-artifact", "spin", "image", ... */
    int wasm_kind, wasi; /* of the module written */
};

/* Pulls ref (an index is narrowed to its wasm platform), finds the module, verifies every
 * digest on the way and that the bytes are a Wasm module, and writes it to out_path atomically
 * (mode 0644). Non-Wasm artifacts are refused (XB_ERR_UNSUPPORTED) before anything is written. */
int xb_wasm_pull(const char *ref, const char *out_path, const xb_registry_opts_t *ropts,
                 struct xb_wasm_pull_result *res, xb_error_t *err);

#endif
