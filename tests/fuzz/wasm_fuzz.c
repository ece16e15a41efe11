/* Fuzz target for the Wasm parsers that read registry and user input: module inspection
 * (core modules and components), the pull-side manifest/index/config classification (when the
 * bytes are JSON) and module extraction from an image layer (when they are a tar). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "util/json.h"
#include "wasm/artifact.h"
#include "wasm/inspect.h"
#include "wasm/select.h"

static void json_paths(const uint8_t *data, size_t size)
{
    xb_error_t err = XB_ERROR_INIT;
    json_t *j = NULL;
    if (xb_json_parse((const char *)data, size, "fuzz", &j, &err) < 0) {
        xb_error_clear(&err);
        return;
    }
    struct xb_wasm_selection sel;
    xb_wasm_select_layer(j, "fuzz", &sel, &err);
    xb_error_clear(&err);
    const json_t *d = NULL;
    xb_wasm_select_platform(j, "fuzz", &d, &err);
    xb_error_clear(&err);
    char *path = NULL;
    if (xb_wasm_image_module_path(j, "fuzz", &path, &err) == 0)
        free(path);
    xb_error_clear(&err);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_wasm_info_t info = XB_WASM_INFO_INIT;
    if (xb_wasm_inspect(data, size, "fuzz.wasm", &info, &err) == 0) {
        /* every inspected module must also build into each format */
        for (int f = XB_WASM_FMT_WASM_TO_OCI; f <= XB_WASM_FMT_IMAGE; f++) {
            xb_wasm_artifact_t a;
            struct xb_wasm_artifact_opts o = {f, "fuzz.wasm", NULL, "2024-01-01T00:00:00Z", NULL};
            if (xb_wasm_artifact_build(&o, &info, data, size, &a, &err) == 0)
                xb_wasm_artifact_free(&a);
            else
                abort(); /* a module that inspects must always package */
        }
    }
    xb_wasm_info_free(&info);
    xb_error_clear(&err);

    if (size > 0 && (data[0] == '{' || data[0] == '['))
        json_paths(data, size);

    char *out = NULL;
    size_t n = 0;
    bool found = false;
    if (xb_wasm_extract_from_layer(data, size, NULL, "fuzz", &out, &n, &found, &err) == 0)
        free(out);
    xb_error_clear(&err);
    return 0;
}
