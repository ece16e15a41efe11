/* What an oci:/oci-archive: export writes: the blobs of an image, children first, with Docker
 * schema2 media types rewritten to OCI ones as `skopeo copy --format oci` does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/export.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/json.h"

#define MAX_DEPTH 8

struct conv {
    xb_store_t *s;
    json_t *blobs; /* plan->blobs being filled */
    json_t *seen;  /* digest -> true */
};

/* The OCI media type for a Docker one (NULL: keep it). */
static const char *oci_type(const char *mt)
{
    static const char *const map[][2] = {
        {XB_MT_DOCKER_MANIFEST_LIST, XB_MT_OCI_INDEX},
        {XB_MT_DOCKER_MANIFEST, XB_MT_OCI_MANIFEST},
        {XB_MT_DOCKER_CONFIG, XB_MT_OCI_CONFIG},
        {XB_MT_DOCKER_LAYER, XB_MT_OCI_LAYER},
        {XB_MT_DOCKER_LAYER_GZIP, XB_MT_OCI_LAYER_GZIP},
        {XB_MT_DOCKER_LAYER_FOREIGN, XB_MT_OCI_LAYER_ND_GZIP},
    };
    for (size_t i = 0; mt != NULL && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(mt, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* Rewrites d's "mediaType" when it is a Docker one; true when it changed. */
static bool retype(json_t *d)
{
    const char *to = oci_type(xb_json_str(d, "mediaType"));
    if (to == NULL)
        return false;
    json_object_set_new(d, "mediaType", json_string(to));
    return true;
}

static int add_blob(struct conv *c, const char *digest, const char *kind, const char *data)
{
    if (json_object_get(c->seen, digest) != NULL)
        return 0;
    json_t *b = json_pack("{s:s,s:s}", "digest", digest, "kind", kind);
    if (b == NULL || (data != NULL && json_object_set_new(b, "data", json_string(data)) < 0) ||
        json_array_append_new(c->blobs, b) < 0 ||
        json_object_set_new(c->seen, digest, json_true()) < 0)
        return -1;
    return 0;
}

/* Converts the manifest or index desc names; *out: its descriptor in the export. */
static int convert(struct conv *c, const json_t *desc, int depth, json_t **out, xb_error_t *err)
{
    const char *digest = xb_json_str(desc, "digest");
    if (digest == NULL)
        return xb_error_set(err, XB_ERR_PARSE, "descriptor without a digest");
    if (depth > MAX_DEPTH)
        return xb_error_set(err, XB_ERR_PARSE, "%s: indexes nested more than %d levels", digest,
                            MAX_DEPTH);
    cleanup_json json_t *nd = json_deep_copy(desc);
    if (nd == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    enum xb_blob_kind kind = xb_media_type_kind(xb_json_str(desc, "mediaType"));
    cleanup_json json_t *doc = NULL;
    if (kind == XB_BLOB_INDEX || kind == XB_BLOB_MANIFEST || kind == XB_BLOB_OTHER) {
        if (xb_store_read_json(c->s, digest, &doc, err) < 0)
            return -1;
        kind = xb_json_doc_kind(doc);
    }
    bool changed = false;
    if (kind == XB_BLOB_INDEX) {
        json_t *ms = json_object_get(doc, "manifests");
        size_t i;
        json_t *m;
        json_array_foreach(ms, i, m)
        {
            json_t *child = NULL;
            if (convert(c, m, depth + 1, &child, err) < 0)
                return -1;
            if (!json_equal(child, m))
                changed = true;
            json_array_set_new(ms, i, child);
        }
    } else if (kind == XB_BLOB_MANIFEST) {
        json_t *cfg = json_object_get(doc, "config");
        static const char *const lists[] = {"layers", "blobs"}; /* blobs: artifact manifests */
        for (size_t k = 0; k < 2; k++) {
            size_t i;
            json_t *l;
            json_array_foreach(json_object_get(doc, lists[k]), i, l)
            {
                changed |= retype(l);
                if (xb_json_str(l, "digest") &&
                    add_blob(c, xb_json_str(l, "digest"), "layer", NULL) < 0)
                    return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            }
        }
        if (json_is_object(cfg)) {
            changed |= retype(cfg);
            if (xb_json_str(cfg, "digest") &&
                add_blob(c, xb_json_str(cfg, "digest"), "config", NULL) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
    } else {
        /* not an image: copied as it is */
        if (add_blob(c, digest, "other", NULL) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        *out = steal_pointer(&nd);
        return 0;
    }
    if (json_object_get(doc, "mediaType") != NULL)
        changed |= retype(doc);
    retype(nd);
    const char *kname = kind == XB_BLOB_INDEX ? "index" : "manifest";
    if (!changed) {
        if (add_blob(c, digest, kname, NULL) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        *out = steal_pointer(&nd);
        return 0;
    }
    cleanup_free char *data = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char nd_digest[XB_DIGEST_LEN];
    xb_digest_buf(data, strlen(data), nd_digest);
    json_object_set_new(nd, "digest", json_string(nd_digest));
    json_object_set_new(nd, "size", json_integer((json_int_t)strlen(data)));
    if (add_blob(c, nd_digest, kname, data) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    *out = steal_pointer(&nd);
    return 0;
}

int xb_export_plan(xb_store_t *s, const json_t *desc, bool to_oci, xb_export_plan_t *plan,
                   xb_error_t *err)
{
    plan->desc = NULL;
    plan->blobs = NULL;
    if (!to_oci) {
        if (xb_store_image_blobs(s, desc, &plan->blobs, err) < 0)
            return -1;
        plan->desc = json_deep_copy(desc);
        if (plan->desc == NULL) {
            xb_export_plan_free(plan);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        return 0;
    }
    /* the walk verifies every manifest and index first */
    cleanup_json json_t *check = NULL;
    if (xb_store_image_blobs(s, desc, &check, err) < 0)
        return -1;
    cleanup_json json_t *seen = json_object();
    struct conv c = {s, json_array(), seen};
    if (c.blobs == NULL || seen == NULL) {
        json_decref(c.blobs);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    plan->blobs = c.blobs;
    if (convert(&c, desc, 0, &plan->desc, err) < 0) {
        xb_export_plan_free(plan);
        return -1;
    }
    if (json_equal(plan->desc, desc)) {
        /* nothing Docker in it: exactly the store's blobs, as the walk lists them */
        json_decref(plan->blobs);
        plan->blobs = steal_pointer(&check);
    }
    return 0;
}

void xb_export_plan_free(xb_export_plan_t *plan)
{
    json_decref(plan->desc);
    json_decref(plan->blobs);
    plan->desc = plan->blobs = NULL;
}
