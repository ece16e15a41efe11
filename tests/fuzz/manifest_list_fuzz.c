/* Fuzz target for indexes under edit (src/image/manifest_list.c) on untrusted JSON (indexes a
 * registry serves to `manifest add/inspect`, image configs): validation, then on a valid index
 * put/find/remove of every entry, platform and annotation edits, config platforms. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest_list.h"
#include "replay.h"
#include "util/json.h"

static void edit(json_t *doc)
{
    xb_error_t err = XB_ERROR_INIT;
    json_t *m = json_object_get(doc, "manifests");
    json_t *copy = xb_index_new(NULL);
    static const char *const ann[] = {"k=v", "org.opencontainers.image.title=x", "k=", NULL};
    static const char *const feat[] = {"sse4", NULL};
    struct xb_mlist_entry_opts o = {.os = "linux",
                                    .arch = "aarch64",
                                    .variant = "v8",
                                    .os_version = "1",
                                    .os_features = feat,
                                    .annotations = ann};
    for (size_t i = 0; i < json_array_size(m); i++) {
        json_t *e = json_array_get(m, i);
        const char *dg = xb_json_str(e, "digest");
        int r = xb_mlist_find(doc, dg, &err);
        if (r < 0 && err.code != XB_ERR_INVALID)
            abort(); /* a validated entry is always found (or ambiguous when duplicated) */
        xb_error_clear(&err);
        if (xb_mlist_put(copy, e, &err) == 0 && xb_mlist_find(copy, dg, &err) < 0)
            abort(); /* what was just put is there */
        xb_error_clear(&err);
        json_t *d = json_deep_copy(e);
        xb_mlist_apply_opts(d, &o, &err);
        xb_error_clear(&err);
        json_decref(d);
    }
    xb_mlist_annotate_index(copy, ann, &err);
    xb_error_clear(&err);
    if (json_array_size(m) > 0) {
        xb_mlist_remove(doc, xb_json_str(json_array_get(m, 0), "digest"), &err);
        xb_error_clear(&err);
    }
    free(xb_mlist_pretty(copy));
    json_decref(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_json_parse((const char *)data, size, "fuzz", &doc, &err) < 0) {
        xb_error_clear(&err);
        return 0;
    }
    json_decref(xb_mlist_platform_from_config(doc));
    if (xb_mlist_validate(doc, "fuzz", &err) == 0)
        edit(doc);
    xb_error_clear(&err);
    json_decref(doc);
    return 0;
}
