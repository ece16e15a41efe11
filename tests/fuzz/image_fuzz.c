/* Fuzz target for the image model on untrusted JSON (registry manifests, indexes, configs) and
 * platform strings: JSON -> descriptor checks, platform parsing/normalisation/matching, index
 * selection, config platform and container-config edits; the raw bytes as a platform list. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "replay.h"
#include "util/json.h"

static const char *const wants[] = {"linux/amd64", "linux/arm64", "linux/arm/v6", "wasi/wasm"};

static void platforms(const char *s)
{
    xb_platform_t *l = NULL;
    size_t n = 0;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_platform_parse_list(s, &l, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            char *f = xb_platform_format(&l[i]);
            json_t *j = xb_platform_to_json(&l[i]);
            xb_platform_t back;
            if (j && xb_platform_from_json(j, &back, NULL) == 0) {
                if (!xb_platform_equal(&back, &l[i]))
                    abort(); /* JSON round trip must be exact */
                xb_platform_free(&back);
            }
            json_decref(j);
            free(f);
            xb_platform_compatible(&l[i], &l[0]);
        }
        xb_platform_list_free(l, n);
    }
    xb_error_clear(&err);
}

static void document(json_t *doc)
{
    xb_error_t err = XB_ERROR_INIT;
    json_t *m = json_object_get(doc, "manifests");
    if (json_is_array(m)) {
        for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
            xb_platform_t w;
            const json_t *sel = NULL;
            if (xb_platform_parse(wants[i], &w, NULL) < 0)
                abort();
            if (xb_index_select(doc, &w, &sel, &err) == 0 && sel == NULL)
                abort();
            xb_error_clear(&err);
            xb_index_remove_platform(doc, &w);
            xb_platform_free(&w);
        }
        free(xb_index_platforms_string(doc));
        json_t *idx = xb_index_new(NULL);
        for (size_t i = 0; i < json_array_size(m); i++) {
            xb_descriptor_check(json_array_get(m, i), "fuzz", &err);
            xb_error_clear(&err);
            xb_index_add(idx, json_array_get(m, i), &err);
            xb_error_clear(&err);
        }
        json_decref(idx);
    }
    json_t *layers = json_object_get(doc, "layers");
    for (size_t i = 0; i < json_array_size(layers); i++) {
        xb_descriptor_check(json_array_get(layers, i), "fuzz", &err);
        xb_error_clear(&err);
        xb_mt_layer_compression(
            json_string_value(json_object_get(json_array_get(layers, i), "mediaType")));
    }
    xb_platform_t p;
    if (xb_image_config_platform(doc, &p, &err) == 0)
        xb_platform_free(&p);
    xb_error_clear(&err);
    if (json_is_object(doc)) {
        xb_image_config_set_env(doc, "PATH", "/bin", &err);
        xb_error_clear(&err);
        xb_image_config_get_env(doc, "HOME");
        xb_image_config_add_port(doc, "80/tcp", &err);
        xb_error_clear(&err);
        xb_image_config_add_layer(
            doc, "sha256:0000000000000000000000000000000000000000000000000000000000000000", 0,
            "fuzz", NULL, &err);
        xb_error_clear(&err);
        char *dump = xb_json_dump(doc);
        free(dump);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (size < 4096)
        platforms(s);
    json_t *doc = NULL;
    if (xb_json_parse(s, size, "fuzz", &doc, NULL) == 0) {
        document(doc);
        json_decref(doc);
    }
    free(s);
    return 0;
}
