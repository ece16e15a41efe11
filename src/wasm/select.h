/* Pull side: find the Wasm module in what a registry returns (index, manifest, config, layer).
 * Recognises the three formats xbuild pushes, Spin applications (layers of media type
 * application/vnd.wasm.content.layer.v1+wasm) and wasm images built by `xbuild bud`, and refuses
 * everything else with a message that says what the artifact is instead. */
#ifndef XB_WASM_SELECT_H
#define XB_WASM_SELECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define XB_WASM_MT_SPIN_CONFIG "application/vnd.fermyon.spin.application.v1+config"

/* True for an OCI image index or a Docker manifest list media type. */
bool xb_wasm_is_index_type(const char *media_type);
/* True for OCI / Docker schema 2 image manifest media types. */
bool xb_wasm_is_manifest_type(const char *media_type);

/* From an index, the descriptor (borrowed from index) of the platform whose architecture is
 * "wasm" (os wasi, wasip1 or wasip2). XB_ERR_UNSUPPORTED naming the platforms present when
 * there is none. what names the reference in errors. */
int xb_wasm_select_platform(const json_t *index, const char *what, const json_t **desc,
                            xb_error_t *err);

struct xb_wasm_selection {
    /* "wasm-to-oci", "oci-artifact", "spin", "wasm-artifact" or "image" (static string). */
    const char *kind;
    /* Artifacts: the layer descriptor whose blob is the module (borrowed from the manifest).
     * Images: NULL; the module is a file inside the image's layers (see below). */
    const json_t *layer;
    bool is_image;
};

/* Classifies a manifest (what names it in errors). XB_ERR_UNSUPPORTED for a manifest that
 * holds no Wasm module, with the config and layer media types in the message. */
int xb_wasm_select_layer(const json_t *manifest, const char *what, struct xb_wasm_selection *sel,
                         xb_error_t *err);

/* Images: checks the image config says architecture "wasm" (refusing e.g. linux/amd64 images)
 * and returns the module's path in the image (Entrypoint[0], else Cmd[0], without leading
 * "/" or "./"), or NULL in *path when the config names none. Caller frees *path. */
int xb_wasm_image_module_path(const json_t *config, const char *what, char **path, xb_error_t *err);

/* Images: reads a layer blob (tar, tar+gzip or tar+zstd; len bytes) and extracts the regular
 * file at path (or, with path NULL, the only "*.wasm" file). *found is false when the layer
 * does not hold it (the caller then tries the layer below). At most XB_WASM_MAX_SIZE bytes.
 * Caller frees *out. */
int xb_wasm_extract_from_layer(const void *blob, size_t len, const char *path, const char *what,
                               char **out, size_t *out_len, bool *found, xb_error_t *err);

#endif
