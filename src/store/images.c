/* Images and indexes in the store: see images.h. */
#include "store/images.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/mediatype.h"
#include "util/cleanup.h"
#include "util/json.h"

#define OOM(err)        xb_error_set(err, XB_ERR_INTERNAL, "out of memory")
#define MAX_INDEX_DEPTH 4 /* an index of indexes of ... at most this deep */

static int put_json(xb_store_t *s, const json_t *j, char digest[XB_DIGEST_LEN], int64_t *size,
                    xb_error_t *err)
{
    cleanup_free char *data = xb_json_dump(j);
    if (data == NULL)
        return OOM(err);
    size_t len = strlen(data);
    int r = xb_store_put_blob(s, data, len, digest, err);
    if (r < 0)
        return r;
    if (size)
        *size = (int64_t)len;
    return 0;
}

int xb_image_commit(xb_store_t *s, const json_t *config, const json_t *layers,
                    const char *manifest_media_type, const json_t *annotations,
                    char manifest_digest[XB_DIGEST_LEN], int64_t *size,
                    char config_digest[XB_DIGEST_LEN], xb_error_t *err)
{
    const char *mmt = manifest_media_type ? manifest_media_type : XB_MT_OCI_MANIFEST;
    bool docker = strcmp(mmt, XB_MT_DOCKER_MANIFEST) == 0;
    char cdig[XB_DIGEST_LEN];
    int64_t csize = 0;
    int r;

    if (!docker && strcmp(mmt, XB_MT_OCI_MANIFEST) != 0)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "unsupported manifest media type '%s'", mmt);
    if (!json_is_array(layers))
        return xb_error_set(err, XB_ERR_INVALID, "layers is not an array");
    for (size_t i = 0; i < json_array_size(layers); i++)
        if ((r = xb_descriptor_check(json_array_get(layers, i), "layer", err)) < 0)
            return r;
    if ((r = put_json(s, config, cdig, &csize, err)) < 0)
        return xb_error_wrap(err, "writing image config");

    cleanup_json json_t *m = json_object();
    json_t *cdesc =
        xb_descriptor_new(docker ? XB_MT_DOCKER_CONFIG : XB_MT_OCI_CONFIG, cdig, csize, NULL, NULL);
    if (m == NULL || cdesc == NULL || json_object_set_new(m, "schemaVersion", json_integer(2)) ||
        json_object_set_new(m, "mediaType", json_string(mmt)) ||
        json_object_set_new(m, "config", cdesc) ||
        json_object_set_new(m, "layers", json_deep_copy(layers)))
        return OOM(err);
    if (annotations && json_object_size(annotations) > 0 &&
        json_object_set_new(m, "annotations", json_deep_copy(annotations)) < 0)
        return OOM(err);
    if ((r = put_json(s, m, manifest_digest, size, err)) < 0)
        return xb_error_wrap(err, "writing image manifest");
    if (config_digest)
        memcpy(config_digest, cdig, XB_DIGEST_LEN);
    return 0;
}

int xb_index_commit(xb_store_t *s, const json_t *index, char digest[XB_DIGEST_LEN], int64_t *size,
                    xb_error_t *err)
{
    cleanup_free char *data = xb_json_dump(index);
    if (data == NULL)
        return OOM(err);
    size_t len = strlen(data);
    int r = xb_store_put_blob(s, data, len, digest, err);
    if (r < 0)
        return xb_error_wrap(err, "writing image index");
    if (size)
        *size = (int64_t)len;
    return 0;
}

int xb_image_load(xb_store_t *s, const json_t *descriptor, const xb_platform_t *want,
                  xb_image_t **out, xb_error_t *err)
{
    cleanup_json json_t *desc = json_deep_copy(descriptor);
    cleanup_json json_t *index = NULL;
    char index_digest[XB_DIGEST_LEN] = "";
    int r;

    *out = NULL;
    if (desc == NULL)
        return OOM(err);
    for (int depth = 0;; depth++) {
        if ((r = xb_descriptor_check(desc, "image", err)) < 0)
            return r;
        const char *mt = xb_json_str(desc, "mediaType");
        const char *dg = xb_json_str(desc, "digest");
        if (xb_mt_is_manifest(mt))
            break;
        if (!xb_mt_is_index(mt))
            return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: unsupported media type '%s'", dg, mt);
        if (depth >= MAX_INDEX_DEPTH)
            return xb_error_set(err, XB_ERR_INVALID, "%s: indexes nested too deeply", dg);
        json_t *idx = NULL;
        if ((r = xb_store_read_json(s, dg, &idx, err)) < 0)
            return xb_error_wrap(err, "reading index %s", dg);
        json_decref(index);
        index = idx;
        snprintf(index_digest, sizeof(index_digest), "%s", dg);
        const json_t *sel = NULL;
        if ((r = xb_index_select(index, want, &sel, err)) < 0)
            return xb_error_wrap(err, "image %s", dg);
        json_t *next = json_deep_copy(sel);
        if (next == NULL)
            return OOM(err);
        json_decref(desc);
        desc = next;
    }

    cleanup_image xb_image_t *img = calloc(1, sizeof(*img));
    if (img == NULL)
        return OOM(err);
    const char *mdg = xb_json_str(desc, "digest");
    snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", mdg);
    snprintf(img->index_digest, sizeof(img->index_digest), "%s", index_digest);
    img->manifest_size = xb_json_int(desc, "size", 0);
    img->manifest_media_type = strdup(xb_json_str(desc, "mediaType"));
    if (img->manifest_media_type == NULL)
        return OOM(err);
    if ((r = xb_store_read_json(s, mdg, &img->manifest, err)) < 0)
        return xb_error_wrap(err, "reading manifest %s", mdg);
    json_t *cdesc = json_object_get(img->manifest, "config");
    json_t *layers = json_object_get(img->manifest, "layers");
    if ((r = xb_descriptor_check(cdesc, "manifest config", err)) < 0)
        return xb_error_wrap(err, "manifest %s", mdg);
    if (!json_is_array(layers))
        return xb_error_set(err, XB_ERR_PARSE, "manifest %s: no layers array", mdg);
    for (size_t i = 0; i < json_array_size(layers); i++)
        if ((r = xb_descriptor_check(json_array_get(layers, i), "layer", err)) < 0)
            return xb_error_wrap(err, "manifest %s", mdg);
    const char *cdg = xb_json_str(cdesc, "digest");
    snprintf(img->config_digest, sizeof(img->config_digest), "%s", cdg);
    if ((r = xb_store_read_json(s, cdg, &img->config, err)) < 0)
        return xb_error_wrap(err, "reading config %s of manifest %s", cdg, mdg);
    if (!json_is_object(img->config))
        return xb_error_set(err, XB_ERR_PARSE, "config %s is not an object", cdg);
    if (xb_platform_from_json(img->config, &img->platform, NULL) < 0) {
        /* artifacts (e.g. Wasm) may lack a platform in the config: take the index entry's */
        json_t *pj = json_object_get(desc, "platform");
        if (pj != NULL && (r = xb_platform_from_json(pj, &img->platform, err)) < 0)
            return xb_error_wrap(err, "manifest %s", mdg);
    }
    if (want != NULL && img->platform.arch != NULL &&
        !xb_platform_compatible(want, &img->platform)) {
        cleanup_free char *ws = xb_platform_format(want);
        cleanup_free char *hs = xb_platform_format(&img->platform);
        return xb_error_set(err, XB_ERR_NOT_FOUND, "image %s is for platform %s, not %s", mdg,
                            hs ? hs : "?", ws ? ws : "?");
    }
    img->index = steal_pointer(&index);
    *out = steal_pointer(&img);
    return 0;
}

int xb_mlist_load(xb_store_t *s, const char *name, json_t **index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err)
{
    cleanup_json json_t *desc = NULL;
    if (xb_store_resolve(s, name, &desc, err) < 0)
        return -err->code;
    const char *mt = xb_json_str(desc, "mediaType");
    const char *dg = xb_json_str(desc, "digest");
    if (!xb_mt_is_index(mt))
        return xb_error_set(err, XB_ERR_INVALID, "%s is an image (%s), not an image index", name,
                            mt ? mt : "no mediaType");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_PARSE, "%s: stored descriptor has no valid digest", name);
    cleanup_json json_t *j = NULL;
    if (xb_store_read_json(s, dg, &j, err) < 0)
        return xb_error_wrap(err, "reading index %s", name);
    if (xb_mlist_validate(j, name, err) < 0)
        return -err->code;
    if (digest != NULL)
        snprintf(digest, XB_DIGEST_LEN, "%s", dg);
    if (index != NULL)
        *index = steal_pointer(&j);
    return 0;
}

int xb_mlist_save(xb_store_t *s, const char *name, const json_t *index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err)
{
    if (xb_mlist_validate(index, name, err) < 0)
        return -err->code;
    cleanup_free char *data = xb_json_dump(index);
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char dg[XB_DIGEST_LEN];
    size_t len = strlen(data);
    if (xb_store_put_blob(s, data, len, dg, err) < 0)
        return xb_error_wrap(err, "storing index %s", name);
    const char *mt = xb_json_str(index, "mediaType");
    cleanup_json json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt ? mt : XB_MT_OCI_INDEX,
                                          "digest", dg, "size", (json_int_t)len);
    if (desc == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_store_ref_set(s, name, desc, err) < 0)
        return xb_error_wrap(err, "tagging index %s", name);
    if (digest != NULL)
        snprintf(digest, XB_DIGEST_LEN, "%s", dg);
    return 0;
}

int xb_mlist_describe_image(xb_store_t *s, const json_t *mdesc, json_t **out, xb_error_t *err)
{
    const char *dg = xb_json_str(mdesc, "digest");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_INVALID, "image descriptor without a valid digest");
    cleanup_free char *raw = NULL;
    size_t len = 0;
    if (xb_store_read_blob(s, dg, XB_JSON_MAX, &raw, &len, err) < 0)
        return xb_error_wrap(err, "reading manifest %s", dg);
    cleanup_json json_t *m = NULL;
    if (xb_json_parse(raw, len, dg, &m, err) < 0)
        return -err->code;
    const char *mt = xb_json_str(m, "mediaType");
    if (mt == NULL)
        mt = xb_json_str(mdesc, "mediaType");
    if (mt == NULL && json_is_array(json_object_get(m, "layers")))
        mt = XB_MT_OCI_MANIFEST;
    if (!xb_mt_is_manifest(mt))
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: %s is not an image manifest", dg,
                            mt ? mt : "unknown mediaType");
    json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", dg, "size", (json_int_t)len);
    if (d == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    const char *cdg = xb_json_str(json_object_get(m, "config"), "digest");
    cleanup_json json_t *cfg = NULL;
    if (cdg != NULL && xb_digest_valid(cdg) && xb_store_has_blob(s, cdg) &&
        xb_store_read_json(s, cdg, &cfg, err) == 0) {
        json_t *p = xb_mlist_platform_from_config(cfg);
        if (p != NULL)
            json_object_set_new(d, "platform", p);
    }
    xb_error_clear(err);
    /* an existing platform on the input descriptor wins (it was chosen from an index) */
    json_t *given = json_object_get(mdesc, "platform");
    if (json_is_object(given))
        json_object_set(d, "platform", given);
    *out = d;
    return 0;
}

int xb_mlist_children_of(xb_store_t *s, const json_t *desc, bool all, const xb_platform_t *want,
                         json_t **children, xb_error_t *err)
{
    const char *mt = xb_json_str(desc, "mediaType");
    const char *dg = xb_json_str(desc, "digest");
    cleanup_json json_t *out = json_array();
    if (!xb_mt_is_index(mt)) {
        json_t *d = NULL;
        if (xb_mlist_describe_image(s, desc, &d, err) < 0)
            return -err->code;
        json_array_append_new(out, d);
        *children = steal_pointer(&out);
        return 0;
    }
    cleanup_json json_t *idx = NULL;
    if (dg == NULL || xb_store_read_json(s, dg, &idx, err) < 0)
        return xb_error_wrap(err, "reading index %s", dg ? dg : "(no digest)");
    if (xb_mlist_validate(idx, dg, err) < 0)
        return -err->code;
    if (all) {
        json_array_extend(out, json_object_get(idx, "manifests"));
    } else {
        const json_t *c = NULL;
        if (xb_index_select(idx, want, &c, err) < 0)
            return xb_error_wrap(err, "index %s (use --all to add every image)", dg);
        json_array_append(out, (json_t *)c);
    }
    *children = steal_pointer(&out);
    return 0;
}
