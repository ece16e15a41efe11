/* xb_registry_pull_image: registry -> store. Manifests are fetched by digest and verified,
 * blobs stream into the store's verifying writer in parallel, the manifest is stored last
 * (after everything it references) and then tagged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/platform.h"
#include "registry/internal.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"

#define MT_OCI_INDEX     "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST  "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST   "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_SCHEMA "application/vnd.docker.distribution.manifest.v2+json"
#define MAX_LAYERS       1000

const char *xb_registry_human_size(int64_t n, char *buf, size_t len)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%lld B", (long long)n);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

static bool is_index_type(const char *mt)
{
    return mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0);
}

static bool is_manifest_type(const char *mt)
{
    return mt && (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_SCHEMA) == 0);
}

/* Valid descriptor: mediaType string, sha256 digest, size >= 0. */
static int check_desc(const json_t *d, const char *where, xb_error_t *err)
{
    json_t *size = json_object_get(d, "size");
    const char *dg = xb_json_str(d, "digest");
    if (!json_is_object(d) || dg == NULL || !xb_digest_valid(dg) || !json_is_integer(size) ||
        json_integer_value(size) < 0)
        return xb_error_set(err, XB_ERR_PARSE, "%s: invalid descriptor (digest/size)", where);
    return 0;
}

/* Picks the best entry of an index for want (xb_platform_score); the error lists what is
 * available. */
static int select_entry(const json_t *index, const xb_platform_t *want, const char *what,
                        json_t **out, xb_error_t *err)
{
    json_t *ms = json_object_get(index, "manifests");
    if (!json_is_array(ms))
        return xb_error_set(err, XB_ERR_PARSE, "%s: index without \"manifests\"", what);
    size_t i;
    json_t *m, *best = NULL;
    int best_score = -1;
    xb_buf_t avail = XB_BUF_INIT;
    json_array_foreach(ms, i, m)
    {
        cleanup_platform xb_platform_t p = XB_PLATFORM_INIT;
        xb_error_t e = XB_ERROR_INIT;
        if (xb_platform_from_json(json_object_get(m, "platform"), &p, &e) < 0) {
            xb_error_clear(&e);
            continue;
        }
        if (strcmp(p.os, "unknown") == 0)
            continue; /* attestation manifests */
        cleanup_free char *ps = xb_platform_format(&p);
        xb_buf_printf(&avail, "%s%s", avail.len ? ", " : "", ps ? ps : "?");
        int score = xb_platform_score(want, &p);
        if (score > best_score) {
            best_score = score;
            best = m;
        }
    }
    if (best != NULL && best_score >= 0) {
        xb_buf_free(&avail);
        *out = json_incref(best);
        return 0;
    }
    cleanup_free char *ws = xb_platform_format(want);
    int rc = xb_error_set(err, XB_ERR_NOT_FOUND, "%s has no image for platform %s (available: %s)",
                          what, ws ? ws : "?", avail.len ? avail.data : "none");
    xb_buf_free(&avail);
    return rc;
}

struct pull_job {
    xb_registry_t *r;
    xb_store_t *s;
    json_t *blobs; /* descriptors */
    bool quiet;
    size_t first;     /* job i is blob first + i */
    json_t *diff_ids; /* with extraction: the config's rootfs.diff_ids (layer k = blob k + 1) */
};

static int pull_one(size_t i, void *ud, xb_error_t *err)
{
    struct pull_job *j = ud;
    i += j->first;
    json_t *d = json_array_get(j->blobs, i);
    const char *dg = xb_json_str(d, "digest");
    int64_t size = xb_json_int(d, "size", -1);
    char hs[32];
    const xb_registry_opts_t *o = xb_registry_options(j->r);
    if (xb_store_has_blob(j->s, dg)) {
        if (o->progress)
            o->progress(dg, "Exists", size, size, XB_PROGRESS_SKIPPED, o->progress_ud);
        else if (!j->quiet)
            xb_info("Blob %.19s already present", dg);
        return 0;
    }
    if (o->progress)
        o->progress(dg, "Copying", 0, size, XB_PROGRESS_START, o->progress_ud);
    const char *diff_id = i > 0 ? json_string_value(json_array_get(j->diff_ids, i - 1)) : NULL;
    if (xb_registry_fetch_layer(j->r, j->s, dg, size, diff_id, err) < 0)
        return -err->code;
    xb_registry_note_source(j->s, dg, xb_registry_host(j->r), xb_registry_repository(j->r));
    if (o->progress)
        o->progress(dg, "Copied", size, size, XB_PROGRESS_DONE, o->progress_ud);
    else if (!j->quiet)
        xb_info("Copied blob %.19s (%s)", dg, xb_registry_human_size(size, hs, sizeof(hs)));
    return 0;
}

/* Platform object for a single manifest without an index: from its config. */
static json_t *platform_from_config(xb_store_t *s, const char *config_digest)
{
    cleanup_json json_t *cfg = NULL;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_store_read_json(s, config_digest, &cfg, &e) < 0) {
        xb_error_clear(&e);
        return NULL;
    }
    const char *os = xb_json_str(cfg, "os"), *arch = xb_json_str(cfg, "architecture");
    if (os == NULL || arch == NULL)
        return NULL;
    json_t *p = json_pack("{s:s,s:s}", "architecture", arch, "os", os);
    const char *v = xb_json_str(cfg, "variant");
    if (p && v && *v)
        json_object_set_new(p, "variant", json_string(v));
    return p;
}

/* Local lookup for XB_PULL_MISSING/NEVER: a complete manifest of name for the platform. */
static int local_lookup(xb_store_t *s, const char *name, const xb_platform_t *want, json_t **out)
{
    xb_error_t e = XB_ERROR_INIT;
    cleanup_json json_t *d = NULL;
    *out = NULL;
    if (xb_store_resolve(s, name, &d, &e) < 0) {
        xb_error_clear(&e);
        return 0;
    }
    const char *mt = xb_json_str(d, "mediaType");
    if (is_index_type(mt)) {
        cleanup_json json_t *idx = NULL, *entry = NULL;
        if (xb_store_read_json(s, xb_json_str(d, "digest"), &idx, &e) < 0 ||
            select_entry(idx, want, name, &entry, &e) < 0) {
            xb_error_clear(&e);
            return 0;
        }
        json_decref(d);
        d = json_deep_copy(entry);
    } else if (json_object_get(d, "platform")) {
        cleanup_platform xb_platform_t p = XB_PLATFORM_INIT;
        if (xb_platform_from_json(json_object_get(d, "platform"), &p, &e) < 0) {
            xb_error_clear(&e);
            return 0;
        }
        if (!xb_platform_compatible(want, &p))
            return 0;
    }
    /* complete? manifest, config and layers present */
    cleanup_json json_t *man = NULL;
    if (xb_store_read_json(s, xb_json_str(d, "digest"), &man, &e) < 0) {
        xb_error_clear(&e);
        return 0;
    }
    const char *cd = xb_json_str(json_object_get(man, "config"), "digest");
    if (cd == NULL || !xb_store_has_blob(s, cd))
        return 0;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(man, "layers"), i, l)
    {
        const char *ld = xb_json_str(l, "digest");
        if (ld == NULL || !xb_store_has_blob(s, ld))
            return 0;
    }
    *out = json_incref(d);
    return 1;
}

int xb_registry_pull_image(xb_store_t *s, const char *refstr, const char *platform, int policy,
                           const xb_registry_opts_t *opts, json_t **descriptor, xb_error_t *err)
{
    cleanup_platform xb_platform_t p = XB_PLATFORM_INIT;
    if (platform == NULL || *platform == '\0') {
        if (xb_platform_host(&p, err) < 0)
            return -err->code;
    } else if (xb_platform_parse(platform, &p, err) < 0) {
        return xb_error_wrap(err, "--platform");
    }
    return xb_registry_pull_platform(s, refstr, &p, policy, opts, descriptor, err);
}

int xb_registry_pull(xb_store_t *s, const char *ref, const struct xb_platform *p, int pull_policy,
                     const xb_registry_opts_t *opts, json_t **descriptor, xb_error_t *err)
{
    xb_registry_opts_t dflt = XB_REGISTRY_OPTS_INIT;
    xb_registry_opts_t o = opts ? *opts : dflt;
    if (xb_log_level() < XB_LOG_INFO)
        o.quiet = true;
    if (pull_policy & XB_PULL_EXTRACT)
        o.extract_layers = true;
    pull_policy &= ~XB_PULL_EXTRACT;
    if (p != NULL)
        return xb_registry_pull_platform(s, ref, p, pull_policy, &o, descriptor, err);
    return xb_registry_pull_image(s, ref, NULL, pull_policy, &o, descriptor, err);
}

/* Policy missing/never: the image in the store. 1 found (*descriptor set when asked), 0 pull
 * it, -1 not there with policy never. */
static int pull_local(xb_store_t *s, const char *name, const xb_platform_t *want,
                      const char *want_str, int policy, json_t **descriptor, xb_error_t *err)
{
    if (policy != XB_PULL_MISSING && policy != XB_PULL_NEVER)
        return 0;
    json_t *d = NULL;
    if (local_lookup(s, name, want, &d) > 0) {
        xb_debug("%s (%s) is in the local store", name, want_str);
        if (descriptor)
            *descriptor = d;
        else
            json_decref(d);
        return 1;
    }
    if (policy == XB_PULL_NEVER)
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "image %s for %s is not in the local store (pull policy never)", name,
                            want_str);
    return 0;
}

/* The image manifest fetched for the platform: the one the reference names, or the entry of
 * an index for it (desc: that entry, NULL for a plain manifest). */
struct fetched {
    char *data, *mt;
    size_t len;
    char digest[XB_DIGEST_LEN];
    json_t *doc, *desc;
};

static void fetched_free(struct fetched *f)
{
    free(f->data);
    free(f->mt);
    json_decref(f->doc);
    json_decref(f->desc);
}

static int fetch_manifest(xb_registry_t *r, const xb_reference_t *ref, const char *name,
                          const xb_platform_t *want, const char *want_str, struct fetched *f,
                          xb_error_t *err)
{
    if (xb_registry_get_manifest(r, xb_reference_object(ref), NULL, &f->data, &f->len, &f->mt,
                                 f->digest, err) < 0 ||
        xb_json_parse(f->data, f->len, name, &f->doc, err) < 0)
        return -1;
    const char *mt = f->mt;
    if (is_index_type(mt) || (!is_manifest_type(mt) && json_object_get(f->doc, "manifests"))) {
        cleanup_json json_t *entry = NULL;
        if (select_entry(f->doc, want, name, &entry, err) < 0 || check_desc(entry, name, err) < 0)
            return -1;
        const char *child = xb_json_str(entry, "digest");
        xb_debug("%s: %s is %s", name, want_str, child);
        free(f->data);
        free(f->mt);
        f->data = f->mt = NULL;
        json_decref(f->doc);
        f->doc = NULL;
        if (xb_registry_get_manifest(r, child, NULL, &f->data, &f->len, &f->mt, f->digest, err) <
                0 ||
            xb_json_parse(f->data, f->len, child, &f->doc, err) < 0)
            return -1;
        f->desc = json_deep_copy(entry);
        json_object_del(f->desc, "annotations");
        if (!is_manifest_type(f->mt) && json_object_get(f->doc, "config") == NULL)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "%s: the entry for %s is a %s, not an image manifest", name,
                                want_str, f->mt);
    } else if (!is_manifest_type(mt) && json_object_get(f->doc, "config") == NULL) {
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "%s: unsupported manifest type \"%s\" (schema1 manifests are not "
                            "supported)",
                            name, mt);
    }
    if (!json_is_string(json_object_get(f->doc, "mediaType")) && f->mt && *f->mt == '\0')
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: manifest without a media type", name);
    return 0;
}

/* The config and every layer of the manifest, checked: *blobs is a new array. */
static int manifest_blobs(const json_t *doc, const char *name, json_t **blobs, xb_error_t *err)
{
    json_t *config = json_object_get(doc, "config");
    json_t *layers = json_object_get(doc, "layers");
    if (check_desc(config, name, err) < 0)
        return xb_error_wrap(err, "config");
    if (layers && !json_is_array(layers))
        return xb_error_set(err, XB_ERR_PARSE, "%s: \"layers\" is not an array", name);
    if (json_array_size(layers) > MAX_LAYERS)
        return xb_error_set(err, XB_ERR_INVALID, "%s: more than %d layers", name, MAX_LAYERS);
    cleanup_json json_t *b = json_array();
    json_array_append(b, config);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (check_desc(l, name, err) < 0)
            return xb_error_wrap(err, "layer %zu", i);
        json_array_append(b, l);
    }
    *blobs = steal_pointer(&b);
    return 0;
}

/* Downloads the blobs (at most the registry's jobs at once); with extract_layers the config
 * first, as it names the diffIDs the extracted trees are stored under. */
static int pull_blobs(xb_registry_t *r, xb_store_t *s, json_t *blobs, bool quiet, xb_error_t *err)
{
    struct pull_job job = {r, s, blobs, quiet, 0, NULL};
    cleanup_json json_t *cfg = NULL;
    if (xb_registry_options(r)->extract_layers) {
        if (pull_one(0, &job, err) < 0)
            return -1;
        xb_error_t e = XB_ERROR_INIT;
        if (xb_store_read_json(s, xb_json_str(json_array_get(blobs, 0), "digest"), &cfg, &e) == 0) {
            json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
            if (json_is_array(ids) && json_array_size(ids) == json_array_size(blobs) - 1)
                job.diff_ids = ids;
        }
        xb_error_clear(&e);
        job.first = 1;
    }
    return xb_parallel(xb_registry_options(r)->jobs, json_array_size(blobs) - job.first, pull_one,
                       &job, err);
}

/* The descriptor the name is tagged with: the index entry, or one made from the manifest
 * (platform read from the config, with a warning when it is not the one asked for). */
static json_t *pulled_desc(xb_store_t *s, const char *name, const xb_platform_t *want,
                           const char *want_str, struct fetched *f)
{
    json_t *desc = steal_pointer(&f->desc);
    if (desc == NULL) {
        desc = json_object();
        json_t *p =
            platform_from_config(s, xb_json_str(json_object_get(f->doc, "config"), "digest"));
        cleanup_platform xb_platform_t have = XB_PLATFORM_INIT;
        xb_error_t e = XB_ERROR_INIT;
        if (p && xb_platform_from_json(p, &have, &e) == 0 && !xb_platform_compatible(want, &have)) {
            cleanup_free char *hs = xb_platform_format(&have);
            xb_warn("%s is an image for %s, not %s", name, hs ? hs : "?", want_str);
        }
        xb_error_clear(&e);
        if (p)
            json_object_set_new(desc, "platform", p);
    }
    json_object_set_new(desc, "mediaType",
                        json_string(f->mt && *f->mt ? f->mt : xb_json_str(f->doc, "mediaType")));
    json_object_set_new(desc, "digest", json_string(f->digest));
    json_object_set_new(desc, "size", json_integer((json_int_t)f->len));
    return desc;
}

int xb_registry_pull_platform(xb_store_t *s, const char *refstr, const xb_platform_t *wantp,
                              int policy, const xb_registry_opts_t *opts, json_t **descriptor,
                              xb_error_t *err)
{
    if (descriptor)
        *descriptor = NULL;
    cleanup_reference xb_reference_t *ref = NULL;
    if (xb_reference_parse(refstr, &ref, err) < 0)
        return -err->code;
    const xb_platform_t *want = wantp;
    cleanup_free char *want_str = xb_platform_format(want);
    cleanup_free char *name = xb_reference_string(ref);
    if (want_str == NULL || name == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int lr = pull_local(s, name, want, want_str, policy, descriptor, err);
    if (lr != 0)
        return lr < 0 ? -err->code : 0;
    bool quiet = opts && opts->quiet;
    cleanup_registry xb_registry_t *r = NULL;
    if (xb_registry_open(ref, opts, false, &r, err) < 0)
        return -err->code;
    struct fetched f = {0};
    cleanup_json json_t *blobs = NULL, *desc = NULL;
    int ret = -1;
    if (fetch_manifest(r, ref, name, want, want_str, &f, err) < 0 ||
        manifest_blobs(f.doc, name, &blobs, err) < 0)
        goto out;
    if (!quiet)
        xb_info("Pulling %s (%s, %s)", name, want_str, f.digest);
    if (pull_blobs(r, s, blobs, quiet, err) < 0)
        goto out;
    /* the manifest last: it only exists once everything it names does */
    char stored[XB_DIGEST_LEN];
    if (xb_store_put_blob(s, f.data, f.len, stored, err) < 0) {
        xb_error_wrap(err, "storing the manifest of %s", name);
        goto out;
    }
    if (strcmp(stored, f.digest) != 0) {
        xb_error_set(err, XB_ERR_DIGEST, "%s: stored manifest digest %s != %s", name, stored,
                     f.digest);
        goto out;
    }
    desc = pulled_desc(s, name, want, want_str, &f);
    if (xb_store_ref_set(s, name, desc, err) < 0) {
        xb_error_wrap(err, "tagging %s", name);
        goto out;
    }
    if (!quiet)
        xb_info("Stored %s as %s", f.digest, name);
    if (descriptor) {
        *descriptor = json_deep_copy(desc);
        /* the returned descriptor carries the name like index.json does */
        json_t *ann = json_object();
        json_object_set_new(ann, "org.opencontainers.image.ref.name", json_string(name));
        json_object_set_new(*descriptor, "annotations", ann);
    }
    ret = 0;
out:
    fetched_free(&f);
    return ret < 0 ? -err->code : 0;
}
