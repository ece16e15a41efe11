/* OCI image index / Docker manifest list model, platform selection and image loading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"

#define OOM(err) xb_error_set(err, XB_ERR_INTERNAL, "out of memory")

json_t *xb_index_new(const char *media_type)
{
    return json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType",
                     media_type ? media_type : XB_MT_OCI_INDEX, "manifests");
}

static json_t *manifests_of(json_t *index)
{
    json_t *m = json_object_get(index, "manifests");
    if (!json_is_array(m)) {
        m = json_array();
        if (m == NULL || json_object_set_new(index, "manifests", m) < 0)
            return NULL;
    }
    return m;
}

int xb_index_add(json_t *index, const json_t *descriptor, xb_error_t *err)
{
    int r = xb_descriptor_check(descriptor, "index entry", err);
    if (r < 0)
        return r;
    json_t *m = manifests_of(index);
    if (m == NULL)
        return OOM(err);
    json_t *pj = json_object_get(descriptor, "platform");
    cleanup_platform xb_platform_t p = XB_PLATFORM_INIT;
    if (pj != NULL && (r = xb_platform_from_json(pj, &p, err)) < 0)
        return xb_error_wrap(err, "index entry");
    json_t *copy = json_deep_copy(descriptor);
    if (copy == NULL)
        return OOM(err);
    if (pj != NULL) {
        for (size_t i = 0; i < json_array_size(m); i++) {
            xb_platform_t q;
            json_t *qj = json_object_get(json_array_get(m, i), "platform");
            if (qj == NULL || xb_platform_from_json(qj, &q, NULL) < 0)
                continue;
            bool same = xb_platform_equal(&p, &q);
            xb_platform_free(&q);
            if (same)
                return json_array_set_new(m, i, copy) < 0 ? OOM(err) : 0;
        }
    }
    return json_array_append_new(m, copy) < 0 ? OOM(err) : 0;
}

int xb_index_remove_digest(json_t *index, const char *digest)
{
    json_t *m = json_object_get(index, "manifests");
    int n = 0;
    for (size_t i = json_array_size(m); i-- > 0;) {
        const char *d = xb_json_str(json_array_get(m, i), "digest");
        if (d && strcmp(d, digest) == 0 && json_array_remove(m, i) == 0)
            n++;
    }
    return n;
}

int xb_index_remove_platform(json_t *index, const xb_platform_t *p)
{
    json_t *m = json_object_get(index, "manifests");
    int n = 0;
    for (size_t i = json_array_size(m); i-- > 0;) {
        xb_platform_t q;
        json_t *qj = json_object_get(json_array_get(m, i), "platform");
        if (qj == NULL || xb_platform_from_json(qj, &q, NULL) < 0)
            continue;
        bool same = xb_platform_equal(p, &q);
        xb_platform_free(&q);
        if (same && json_array_remove(m, i) == 0)
            n++;
    }
    return n;
}

static bool selectable(const json_t *e)
{
    const char *mt = xb_json_str(e, "mediaType");
    json_t *pj = json_object_get(e, "platform");
    const char *os = xb_json_str(pj, "os");
    if (mt != NULL && !xb_mt_is_manifest(mt) && !xb_mt_is_index(mt))
        return false;
    /* buildkit attestation manifests: platform unknown/unknown */
    if (os != NULL && strcmp(os, "unknown") == 0)
        return false;
    return true;
}

static char *platforms_string(const json_t *index, bool only_selectable)
{
    xb_buf_t b = XB_BUF_INIT;
    json_t *m = json_object_get(index, "manifests");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(m); i++) {
        json_t *e = json_array_get(m, i);
        xb_platform_t q;
        cleanup_free char *s = NULL;
        if (only_selectable && !selectable(e))
            continue;
        if (xb_platform_from_json(json_object_get(e, "platform"), &q, NULL) == 0) {
            s = xb_platform_format(&q);
            xb_platform_free(&q);
        }
        if (xb_buf_printf(&b, "%s%s", n++ ? ", " : "", s ? s : "(no platform)") < 0) {
            xb_buf_free(&b);
            return NULL;
        }
    }
    if (n == 0 && xb_buf_puts(&b, "(none)") < 0) {
        xb_buf_free(&b);
        return NULL;
    }
    return xb_buf_steal(&b);
}

char *xb_index_platforms_string(const json_t *index)
{
    return platforms_string(index, false);
}

int xb_index_select(const json_t *index, const xb_platform_t *want, const json_t **desc,
                    xb_error_t *err)
{
    json_t *m = json_object_get(index, "manifests");
    const json_t *best = NULL;
    int best_score = -1;
    size_t candidates = 0;
    const json_t *only = NULL;
    cleanup_platform xb_platform_t host = XB_PLATFORM_INIT;
    const xb_platform_t *w = want;
    *desc = NULL;

    if (!json_is_array(m))
        return xb_error_set(err, XB_ERR_PARSE, "index without a manifests array");
    if (w == NULL) {
        int r = xb_platform_host(&host, err);
        if (r < 0)
            return r;
        w = &host;
    }
    for (size_t i = 0; i < json_array_size(m); i++) {
        const json_t *e = json_array_get(m, i);
        if (!selectable(e))
            continue;
        candidates++;
        only = e;
        xb_platform_t q;
        json_t *qj = json_object_get(e, "platform");
        if (qj == NULL || xb_platform_from_json(qj, &q, NULL) < 0)
            continue;
        int sc = xb_platform_score(w, &q);
        xb_platform_free(&q);
        if (sc > best_score) {
            best_score = sc;
            best = e;
        }
    }
    if (best == NULL && want == NULL && candidates == 1)
        best = only;
    if (best == NULL) {
        cleanup_free char *ws = xb_platform_format(w);
        cleanup_free char *have = platforms_string(index, true);
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "no manifest for platform %s in the index (available: %s)",
                            ws ? ws : "?", have ? have : "?");
    }
    *desc = best;
    return 0;
}
