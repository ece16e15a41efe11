/* Image walking: media types, descriptor trees, platform selection. */
#include "store/walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"

#define WALK_MAX_DEPTH 8

enum xb_blob_kind xb_media_type_kind(const char *mt)
{
    if (mt == NULL)
        return XB_BLOB_OTHER;
    if (strcmp(mt, XB_MT_OCI_INDEX) == 0 || strcmp(mt, XB_MT_DOCKER_LIST) == 0)
        return XB_BLOB_INDEX;
    if (strcmp(mt, XB_MT_OCI_MANIFEST) == 0 || strcmp(mt, XB_MT_DOCKER_MANIFEST) == 0 ||
        strcmp(mt, "application/vnd.oci.artifact.manifest.v1+json") == 0)
        return XB_BLOB_MANIFEST;
    if (strcmp(mt, XB_MT_OCI_CONFIG) == 0 || strcmp(mt, XB_MT_DOCKER_CONFIG) == 0)
        return XB_BLOB_CONFIG;
    if (strncmp(mt, "application/vnd.oci.image.layer.", 32) == 0 ||
        strncmp(mt, "application/vnd.docker.image.rootfs.", 36) == 0)
        return XB_BLOB_LAYER;
    return XB_BLOB_OTHER;
}

enum xb_compression xb_media_type_compression(const char *mt)
{
    if (mt == NULL)
        return XB_COMP_UNKNOWN;
    size_t n = strlen(mt);
    if ((n > 5 && strcmp(mt + n - 5, "+gzip") == 0) || (n > 5 && strcmp(mt + n - 5, ".gzip") == 0))
        return XB_COMP_GZIP;
    if (n > 5 && strcmp(mt + n - 5, "+zstd") == 0)
        return XB_COMP_ZSTD;
    if (n > 4 && strcmp(mt + n - 4, ".tar") == 0)
        return XB_COMP_NONE;
    return XB_COMP_UNKNOWN;
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

static const char *kind_name(enum xb_blob_kind k)
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
    json_object_set_new(copy, "kind", json_string(kind_name(kind)));
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

const char *xb_host_platform(void)
{
    static char buf[96];
    if (buf[0] != '\0')
        return buf;
    struct utsname u;
    const char *arch = "amd64";
    if (uname(&u) == 0) {
        const char *m = u.machine;
        if (strcmp(m, "x86_64") == 0)
            arch = "amd64";
        else if (strcmp(m, "aarch64") == 0 || strcmp(m, "arm64") == 0)
            arch = "arm64";
        else if (strncmp(m, "armv7", 5) == 0)
            arch = "arm/v7";
        else if (strncmp(m, "armv6", 5) == 0)
            arch = "arm/v6";
        else if (m[0] == 'i' && strcmp(m + 2, "86") == 0)
            arch = "386";
        else if (strcmp(m, "ppc64le") == 0)
            arch = "ppc64le";
        else if (strcmp(m, "s390x") == 0)
            arch = "s390x";
        else if (strcmp(m, "riscv64") == 0)
            arch = "riscv64";
        else
            arch = m;
    }
    snprintf(buf, sizeof buf, "linux/%s", arch);
    return buf;
}

char *xb_platform_string(const json_t *p)
{
    const char *os = xb_json_str(p, "os"), *arch = xb_json_str(p, "architecture");
    const char *var = xb_json_str(p, "variant");
    if (os == NULL || arch == NULL)
        return NULL;
    char *r = NULL;
    if (asprintf(&r, "%s/%s%s%s", os, arch, var && *var ? "/" : "", var && *var ? var : "") < 0)
        return NULL;
    return r;
}

bool xb_platform_match(const json_t *p, const char *want)
{
    const char *os = xb_json_str(p, "os"), *arch = xb_json_str(p, "architecture");
    const char *var = xb_json_str(p, "variant");
    if (os == NULL || arch == NULL || want == NULL)
        return false;
    size_t lo = strlen(os), la = strlen(arch);
    if (strncmp(want, os, lo) != 0 || want[lo] != '/')
        return false;
    const char *w = want + lo + 1;
    if (strncmp(w, arch, la) != 0 || (w[la] != '\0' && w[la] != '/'))
        return false;
    if (w[la] == '\0')
        return true;
    const char *wv = w + la + 1;
    if (var == NULL || *var == '\0')
        return strcmp(arch, "arm64") == 0 && strcmp(wv, "v8") == 0;
    return strcmp(var, wv) == 0;
}

int xb_store_select_manifest(xb_store_t *s, const json_t *desc, const char *platform,
                             json_t **manifest_desc, json_t **manifest, xb_error_t *err)
{
    const char *digest = xb_json_str(desc, "digest");
    cleanup_json json_t *doc = NULL;
    if (xb_store_read_json(s, digest, &doc, err) < 0)
        return -err->code;
    enum xb_blob_kind k = xb_json_doc_kind(doc);
    if (k == XB_BLOB_MANIFEST) {
        /* a platform asked of a single manifest must be the one its config names */
        const char *cd = xb_json_str(json_object_get(doc, "config"), "digest");
        cleanup_json json_t *cfg = NULL;
        xb_error_t e = XB_ERROR_INIT;
        if (platform != NULL && cd != NULL && xb_store_read_json(s, cd, &cfg, &e) == 0 &&
            xb_json_str(cfg, "architecture") != NULL && !xb_platform_match(cfg, platform)) {
            cleanup_free char *have = xb_platform_string(cfg);
            return xb_error_set(err, XB_ERR_NOT_FOUND, "%s is an image for %s, not %s", digest,
                                have ? have : "another platform", platform);
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
    const char *want = platform ? platform : xb_host_platform();
    json_t *m = json_object_get(doc, "manifests");
    json_t *pick = NULL, *only = NULL;
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
        cleanup_free char *ps = xb_platform_string(p);
        xb_buf_printf(&avail, "%s%s", avail.len ? ", " : "", ps ? ps : "(no platform)");
        if (pick == NULL && xb_platform_match(p, want))
            pick = c;
    }
    if (pick == NULL && platform == NULL && n == 1)
        pick = only;
    if (pick == NULL)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "%s has no image for %s (available: %s)", digest,
                            want, avail.len ? avail.data : "none");
    if (xb_media_type_kind(xb_json_str(pick, "mediaType")) == XB_BLOB_INDEX)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: nested index for %s", digest, want);
    if (manifest) {
        if (xb_store_read_json(s, xb_json_str(pick, "digest"), manifest, err) < 0)
            return -err->code;
    }
    if (manifest_desc)
        *manifest_desc = json_deep_copy(pick);
    return 0;
}
