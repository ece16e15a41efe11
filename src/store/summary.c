/* One-line facts about a stored image, for listings (xbuild images) and scripts. */
#include <stdlib.h>
#include <string.h>

#include "image/platform.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/json.h"

static void config_facts(xb_store_t *s, const json_t *manifest, json_t *platforms,
                         const char **created, json_t *keep)
{
    const char *cd = xb_json_str(json_object_get(manifest, "config"), "digest");
    json_t *cfg = NULL;
    xb_error_t e = XB_ERROR_INIT;
    if (cd == NULL || xb_store_read_json(s, cd, &cfg, &e) < 0) {
        xb_error_clear(&e);
        return;
    }
    json_array_append_new(keep, cfg); /* keeps *created alive */
    cleanup_free char *p = xb_platform_json_format(cfg);
    if (p != NULL && platforms != NULL)
        json_array_append_new(platforms, json_string(p));
    const char *c = xb_json_str(cfg, "created");
    if (c != NULL && (*created == NULL || strcmp(c, *created) > 0))
        *created = c;
}

int xb_store_image_summary(xb_store_t *s, const json_t *desc, json_t **out, xb_error_t *err)
{
    const char *digest = xb_json_str(desc, "digest");
    cleanup_json json_t *platforms = json_array();
    cleanup_json json_t *keep = json_array();
    const char *created = NULL;
    json_int_t size = xb_json_int(desc, "size", 0);
    bool complete = true;

    cleanup_json json_t *doc = NULL;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_store_read_json(s, digest, &doc, &e) < 0) {
        xb_error_clear(&e);
        complete = false;
    } else if (xb_json_doc_kind(doc) == XB_BLOB_INDEX) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(doc, "manifests"), i, c)
        {
            json_t *p = json_object_get(c, "platform");
            const char *os = xb_json_str(p, "os");
            if (os != NULL && strcmp(os, "unknown") == 0)
                continue;
            cleanup_free char *ps = xb_platform_json_format(p);
            if (ps != NULL)
                json_array_append_new(platforms, json_string(ps));
            json_t *m = NULL;
            if (xb_store_read_json(s, xb_json_str(c, "digest"), &m, &e) == 0) {
                config_facts(s, m, ps ? NULL : platforms, &created, keep);
                json_decref(m);
            }
            xb_error_clear(&e);
        }
    } else {
        config_facts(s, doc, platforms, &created, keep);
    }
    json_t *blobs = NULL;
    if (complete && xb_store_image_blobs(s, desc, &blobs, &e) == 0) {
        size = 0;
        size_t i;
        json_t *b;
        json_array_foreach(blobs, i, b) size += xb_json_int(b, "size", 0);
        json_decref(blobs);
    } else {
        complete = false;
        xb_error_clear(&e);
    }
    const char *name = xb_store_ref_name(desc);
    *out =
        json_pack("{s:o,s:s,s:s,s:I,s:O,s:o,s:b}", "name", name ? json_string(name) : json_null(),
                  "digest", digest ? digest : "", "mediaType",
                  xb_json_str(desc, "mediaType") ? xb_json_str(desc, "mediaType") : "", "size",
                  size, "platforms", platforms, "created",
                  created ? json_string(created) : json_null(), "complete", complete);
    return *out ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}
