/* Image walking: media types, descriptor trees, platform selection. */
#include "store/walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/platform.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"

#define WALK_MAX_DEPTH 8

enum xb_blob_kind xb_media_type_kind(const char *mt)
{
    if (mt == NULL)
        return XB_BLOB_OTHER;
    if (xb_mt_is_index(mt))
        return XB_BLOB_INDEX;
    if (xb_mt_is_manifest(mt) || strcmp(mt, XB_MT_OCI_ARTIFACT_MANIFEST) == 0)
        return XB_BLOB_MANIFEST;
    if (strcmp(mt, XB_MT_OCI_CONFIG) == 0 || strcmp(mt, XB_MT_DOCKER_CONFIG) == 0)
        return XB_BLOB_CONFIG;
    if (strncmp(mt, "application/vnd.oci.image.layer.", 32) == 0 ||
        strncmp(mt, "application/vnd.docker.image.rootfs.", 36) == 0)
        return XB_BLOB_LAYER;
    return XB_BLOB_OTHER;
}

enum xb_blob_kind xb_json_doc_kind(const json_t *doc)
{
    if (!json_is_object(doc))
        return XB_BLOB_OTHER;
    const char *mt = xb_json_str(doc, "mediaType");
    enum xb_blob_kind k = xb_media_type_kind(mt);
    if (k == XB_BLOB_INDEX || k == XB_BLOB_MANIFEST)
        return k;
    if (json_is_array(json_object_get(doc, "manifests")))
        return XB_BLOB_INDEX;
    if (json_is_object(json_object_get(doc, "config")) &&
        json_is_array(json_object_get(doc, "layers")))
        return XB_BLOB_MANIFEST;
    if (json_is_array(json_object_get(doc, "blobs")))
        return XB_BLOB_MANIFEST;
    return XB_BLOB_OTHER;
}

struct walker {
    xb_store_t *s;
    unsigned flags;
    xb_walk_fn fn;
    void *ud;
};

static int walk_one(struct walker *w, const json_t *desc, enum xb_blob_kind kind,
                    const char *parent, int depth, xb_error_t *err);

static int walk_children(struct walker *w, const json_t *arr, enum xb_blob_kind kind,
                         const char *parent, int depth, xb_error_t *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c)
    {
        if (!json_is_object(c))
            continue;
        enum xb_blob_kind k = kind;
        if (kind == XB_BLOB_MANIFEST) { /* index entry: trust its media type when it says */
            enum xb_blob_kind mk = xb_media_type_kind(xb_json_str(c, "mediaType"));
            k = mk == XB_BLOB_INDEX ? XB_BLOB_INDEX : XB_BLOB_MANIFEST;
        }
        int r = walk_one(w, c, k, parent, depth + 1, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int walk_one(struct walker *w, const json_t *desc, enum xb_blob_kind kind,
                    const char *parent, int depth, xb_error_t *err)
{
    const char *digest = xb_json_str(desc, "digest");
    if (depth > WALK_MAX_DEPTH)
        return xb_error_set(err, XB_ERR_INVALID, "%s: indexes nested deeper than %d levels",
                            digest ? digest : "?", WALK_MAX_DEPTH);
    if (kind != XB_BLOB_INDEX && kind != XB_BLOB_MANIFEST)
        return w->fn(desc, kind, parent, 0, w->ud, err);

    cleanup_json json_t *doc = NULL;
    xb_error_t e = XB_ERROR_INIT;
    int r = xb_store_read_json(w->s, digest, &doc, &e);
    if (r >= 0) {
        enum xb_blob_kind dk = xb_json_doc_kind(doc);
        if (dk == XB_BLOB_INDEX || dk == XB_BLOB_MANIFEST)
            kind = dk;
        else
            r = xb_error_set(&e, XB_ERR_PARSE, "%s is neither an image index nor a manifest",
                             digest);
    }
    if (r < 0) {
        if (!(w->flags & XB_WALK_TOLERANT)) {
            xb_error_move(err, &e);
            return xb_error_wrap(err, "%s %s", kind == XB_BLOB_INDEX ? "index" : "manifest",
                                 digest ? digest : "(no digest)");
        }
        int code = e.code;
        xb_error_clear(&e);
        return w->fn(desc, kind, parent, code, w->ud, err);
    }
    if ((r = w->fn(desc, kind, parent, 0, w->ud, err)) < 0)
        return r;
    if (kind == XB_BLOB_INDEX)
        return walk_children(w, json_object_get(doc, "manifests"), XB_BLOB_MANIFEST, digest, depth,
                             err);
    json_t *cfg = json_object_get(doc, "config");
    if (json_is_object(cfg) && (r = walk_one(w, cfg, XB_BLOB_CONFIG, digest, depth + 1, err)) < 0)
        return r;
    if ((r = walk_children(w, json_object_get(doc, "layers"), XB_BLOB_LAYER, digest, depth, err)) <
        0)
        return r;
    return walk_children(w, json_object_get(doc, "blobs"), XB_BLOB_LAYER, digest, depth, err);
}

int xb_store_walk(xb_store_t *s, const json_t *desc, unsigned flags, xb_walk_fn fn, void *ud,
                  xb_error_t *err)
{
    struct walker w = {s, flags, fn, ud};
    enum xb_blob_kind k = xb_media_type_kind(xb_json_str(desc, "mediaType"));
    if (k != XB_BLOB_INDEX)
        k = XB_BLOB_MANIFEST; /* a root is an index or a manifest; the content decides */
    return walk_one(&w, desc, k, NULL, 0, err);
}

const char *xb_blob_kind_name(enum xb_blob_kind k)
{
    switch (k) {
    case XB_BLOB_INDEX:
        return "index";
    case XB_BLOB_MANIFEST:
        return "manifest";
    case XB_BLOB_CONFIG:
        return "config";
    case XB_BLOB_LAYER:
        return "layer";
    default:
        return "other";
    }
}

struct collect {
    json_t *order; /* pre-order list */
    json_t *seen;  /* digest -> true */
};

static int collect_fn(const json_t *desc, enum xb_blob_kind kind, const char *parent, int status,
                      void *ud, xb_error_t *err)
{
    struct collect *c = ud;
    const char *d = xb_json_str(desc, "digest");
    if (!xb_digest_valid(d))
        return xb_error_set(err, XB_ERR_INVALID, "descriptor in %s has an invalid digest '%s'",
                            parent ? parent : "index.json", d ? d : "");
    if (json_object_get(c->seen, d) != NULL)
        return 0;
    json_object_set_new(c->seen, d, json_true());
    json_t *copy = json_deep_copy(desc);
    if (copy == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    json_object_set_new(copy, "kind", json_string(xb_blob_kind_name(kind)));
    json_array_append_new(c->order, copy);
    return 0;
}

int xb_store_image_blobs(xb_store_t *s, const json_t *desc, json_t **blobs, xb_error_t *err)
{
    struct collect c = {json_array(), json_object()};
    int r = xb_store_walk(s, desc, 0, collect_fn, &c, err);
    json_decref(c.seen);
    if (r < 0) {
        json_decref(c.order);
        return r;
    }
    /* reverse: children before parents */
    json_t *out = json_array();
    for (size_t i = json_array_size(c.order); i > 0; i--)
        json_array_append(out, json_array_get(c.order, i - 1));
    json_decref(c.order);
    *blobs = out;
    return 0;
}

int xb_store_select_manifest(xb_store_t *s, const json_t *desc, const char *platform,
                             json_t **manifest_desc, json_t **manifest, xb_error_t *err)
{
    const char *digest = xb_json_str(desc, "digest");
    cleanup_json json_t *doc = NULL;
    if (xb_store_read_json(s, digest, &doc, err) < 0)
        return -err->code;
    cleanup_platform xb_platform_t want = XB_PLATFORM_INIT;
    if (platform != NULL && xb_platform_parse(platform, &want, err) < 0)
        return -err->code;
    enum xb_blob_kind k = xb_json_doc_kind(doc);
    if (k == XB_BLOB_MANIFEST) {
        /* a platform asked of a single manifest must be the one its config names */
        const char *cd = xb_json_str(json_object_get(doc, "config"), "digest");
        cleanup_json json_t *cfg = NULL;
        cleanup_platform xb_platform_t have = XB_PLATFORM_INIT;
        xb_error_t e = XB_ERROR_INIT;
        if (platform != NULL && cd != NULL && xb_store_read_json(s, cd, &cfg, &e) == 0 &&
            xb_platform_from_json(cfg, &have, NULL) == 0 && !xb_platform_compatible(&want, &have)) {
            cleanup_free char *hs = xb_platform_format(&have);
            return xb_error_set(err, XB_ERR_NOT_FOUND, "%s is an image for %s, not %s", digest,
                                hs ? hs : "another platform", platform);
        }
        xb_error_clear(&e);
        if (manifest_desc)
            *manifest_desc = json_deep_copy(desc);
        if (manifest)
            *manifest = steal_pointer(&doc);
        return 0;
    }
    if (k != XB_BLOB_INDEX)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s is neither an image index nor a manifest",
                            digest);
    if (platform == NULL && xb_platform_host(&want, err) < 0)
        return -err->code;
    cleanup_free char *ws = xb_platform_format(&want);
    json_t *m = json_object_get(doc, "manifests");
    json_t *pick = NULL, *only = NULL;
    int best = -1;
    size_t i, n = 0;
    json_t *c;
    cleanup_buf xb_buf_t avail = XB_BUF_INIT;
    json_array_foreach(m, i, c)
    {
        json_t *p = json_object_get(c, "platform");
        /* skip attestation manifests (buildkit marks them unknown/unknown) */
        if (xb_json_str(p, "os") && strcmp(xb_json_str(p, "os"), "unknown") == 0)
            continue;
        n++;
        only = c;
        cleanup_platform xb_platform_t have = XB_PLATFORM_INIT;
        cleanup_free char *ps = NULL;
        if (xb_platform_from_json(p, &have, NULL) == 0)
            ps = xb_platform_format(&have);
        xb_buf_printf(&avail, "%s%s", avail.len ? ", " : "", ps ? ps : "(no platform)");
        int score = ps ? xb_platform_score(&want, &have) : -1;
        if (score > best) {
            best = score;
            pick = c;
        }
    }
    if (pick == NULL && platform == NULL && n == 1)
        pick = only;
    if (pick == NULL)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "%s has no image for %s (available: %s)", digest,
                            ws ? ws : "?", avail.len ? avail.data : "none");
    if (xb_media_type_kind(xb_json_str(pick, "mediaType")) == XB_BLOB_INDEX)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: nested index for %s", digest,
                            ws ? ws : "?");
    if (manifest) {
        if (xb_store_read_json(s, xb_json_str(pick, "digest"), manifest, err) < 0)
            return -err->code;
    }
    if (manifest_desc)
        *manifest_desc = json_deep_copy(pick);
    return 0;
}
