/* The shared build cache: lookups in --cache-from sources, lazy layer fetches, --cache-to. */
#include "builder/remotecache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/cacheopts.h"
#include "image/image.h"
#include "image/mediatype.h"
#include "registry/client.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#define ENTRY_MAX  (256u * 1024)
#define EMPTY_JSON "{}"

struct rsrc {
    const xb_rcache_spec_t *spec;
    xb_registry_t *reg; /* per process: a forked build opens its own */
    pid_t pid;
    xb_store_t *dir; /* type=local */
    bool push, off;  /* off: no more lookups */
    bool dead;       /* the probe failed: not used at all */
};

struct xb_rcache {
    struct rsrc *from, *to;
    size_t nfrom, nto;
    bool lookups;
    int64_t ttl;
    const xb_registry_opts_t *ropts;
};

static const char *src_name(const struct rsrc *s)
{
    return s->spec->ref;
}

/* The source's registry client for this process. */
static int src_reg(struct xb_rcache *rc, struct rsrc *s, xb_registry_t **out, xb_error_t *err)
{
    if (s->reg != NULL && s->pid == getpid()) {
        *out = s->reg;
        return 0;
    }
    s->reg = NULL; /* a parent's client: its connections are not this process's to use */
    cleanup_reference xb_reference_t *ref = NULL;
    if (xb_reference_parse(s->spec->ref, &ref, err) < 0)
        return -1;
    xb_registry_opts_t o = XB_REGISTRY_OPTS_INIT;
    if (rc->ropts != NULL)
        o = *rc->ropts;
    o.quiet = true;
    o.progress = NULL;
    o.extract_layers = false;
    if (xb_registry_open(ref, &o, s->push, &s->reg, err) < 0)
        return -1;
    s->pid = getpid();
    *out = s->reg;
    return 0;
}

/* One cheap request that tells an empty cache (fine) from one we cannot use. */
static int src_probe(struct xb_rcache *rc, struct rsrc *s, xb_error_t *err)
{
    if (s->spec->type == XB_RCACHE_LOCAL) {
        if (!s->push && !xb_is_dir(s->spec->ref))
            return 0; /* nothing cached yet */
        if (s->push && xb_mkdir_p(s->spec->ref, 0755, err) < 0)
            return -1;
        return xb_store_open(s->spec->ref, &s->dir, err);
    }
    xb_registry_t *r;
    if (src_reg(rc, s, &r, err) < 0)
        return -1;
    char tag[129];
    xb_rcache_tag(s->spec->prefix, "probe", tag);
    return xb_registry_head_manifest(r, tag, NULL, NULL, NULL, err) < 0 ? -1 : 0;
}

int xb_bx_rcache_open(xb_bctx_t *b, bool lookups, xb_error_t *err)
{
    const xb_rcache_opts_t *o = b->o->remote_cache;
    if (o == NULL || (o->nfrom == 0 && o->nto == 0))
        return 0;
    struct xb_rcache *rc = calloc(1, sizeof(*rc));
    if (rc == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    b->rc = rc;
    rc->from = calloc(o->nfrom + 1, sizeof(*rc->from));
    rc->to = calloc(o->nto + 1, sizeof(*rc->to));
    if (rc->from == NULL || rc->to == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    rc->nfrom = o->nfrom;
    rc->nto = o->nto;
    rc->lookups = lookups;
    rc->ttl = o->ttl_seconds;
    rc->ropts = o->registry;
    for (size_t i = 0; i < o->nto; i++) {
        const xb_rcache_spec_t *sp = &o->to[i];
        if (sp->compression >= 0 && sp->compression != (int)b->lopts.compression)
            return xb_error_set(err, XB_ERR_USAGE,
                                "--cache-to %s: compression=%s differs from the build's layer "
                                "compression; entries hold the image's own layers, so give "
                                "--compression %s too",
                                sp->ref, sp->compression == XB_COMPRESSION_ZSTD ? "zstd" : "gzip",
                                sp->compression == XB_COMPRESSION_ZSTD ? "zstd" : "gzip");
        rc->to[i].spec = sp;
        rc->to[i].push = true;
        xb_error_t e = XB_ERROR_INIT;
        if (src_probe(rc, &rc->to[i], &e) < 0) {
            if (sp->ignore_error == 0) {
                xb_error_move(err, &e);
                return xb_error_wrap(err, "--cache-to %s", sp->ref);
            }
            xb_warn("--cache-to %s: %s; the build goes on without exporting its cache", sp->ref,
                    e.msg);
            xb_error_clear(&e);
            rc->to[i].off = rc->to[i].dead = true;
        }
    }
    for (size_t i = 0; i < o->nfrom; i++) {
        const xb_rcache_spec_t *sp = &o->from[i];
        rc->from[i].spec = sp;
        xb_error_t e = XB_ERROR_INIT;
        if (src_probe(rc, &rc->from[i], &e) < 0) {
            if (sp->required) {
                xb_error_move(err, &e);
                return xb_error_wrap(err, "--cache-from %s (required)", sp->ref);
            }
            xb_warn("--cache-from %s: %s; the build goes on without it", sp->ref, e.msg);
            xb_error_clear(&e);
            rc->from[i].off = rc->from[i].dead = true;
        }
    }
    return 0;
}

static void src_free(struct rsrc *s)
{
    if (s->reg != NULL && s->pid == getpid())
        xb_registry_close(s->reg);
    if (s->dir != NULL)
        xb_store_close(s->dir);
}

void xb_bx_rcache_close(xb_bctx_t *b)
{
    struct xb_rcache *rc = b->rc;
    if (rc == NULL)
        return;
    for (size_t i = 0; rc->from && i < rc->nfrom; i++)
        src_free(&rc->from[i]);
    for (size_t i = 0; rc->to && i < rc->nto; i++)
        src_free(&rc->to[i]);
    free(rc->from);
    free(rc->to);
    free(rc);
    b->rc = NULL;
}

void xb_bx_rcache_mark_final(xb_bctx_t *b, xb_bstage_t *target)
{
    for (xb_bstage_t *st = target; st != NULL && !st->final_chain;) {
        st->final_chain = true;
        cleanup_free char *image = NULL;
        xb_error_t e = XB_ERROR_INIT;
        if (xb_bx_expand_vars(b, b->global_args, b->df->instrs[st->first].args[0], &image, &e) <
            0) {
            xb_error_clear(&e);
            return;
        }
        xb_bstage_t *dep = xb_bx_stage_find(b, image, st->index);
        st = dep != NULL && dep->name != NULL && strcasecmp(dep->name, image) == 0 ? dep : NULL;
    }
}

/* --- lookups --- */

/* Checks an entry against its manifest and what this step expects. */
static int entry_check(const json_t *man, const json_t *e, const char *key, const char *plat,
                       int64_t ttl, xb_error_t *err)
{
    const json_t *layers = json_object_get(man, "layers");
    const json_t *l0 = json_array_get(layers, 0);
    const json_t *layer = json_object_get(e, "layer");
    const char *k = xb_json_str(e, "key"), *p = xb_json_str(e, "platform");
    if (k == NULL || strcmp(k, key) != 0 || p == NULL || strcmp(p, plat) != 0)
        return xb_error_set(err, XB_ERR_INVALID, "the entry is for another key or platform");
    if (!json_is_object(json_object_get(e, "history")) || json_array_size(layers) != 1 ||
        xb_descriptor_check(l0, "entry layer", err) < 0)
        return xb_error_set(err, XB_ERR_INVALID, "malformed entry");
    if (json_is_object(layer)) {
        const char *d = xb_json_str(e, "diff_id");
        if (xb_descriptor_check(layer, "entry layer", err) < 0 || d == NULL ||
            !xb_digest_valid(d) ||
            strcmp(xb_json_str(layer, "digest"), xb_json_str(l0, "digest")) != 0 ||
            xb_json_int(layer, "size", -1) != xb_json_int(l0, "size", -2))
            return xb_error_set(err, XB_ERR_INVALID,
                                "the entry's layer does not match its manifest");
    } else if (strcmp(xb_json_str(l0, "mediaType"), XB_MT_OCI_EMPTY) != 0) {
        return xb_error_set(err, XB_ERR_INVALID, "an entry without a layer lists one");
    }
    if (ttl > 0 && (int64_t)time(NULL) - xb_json_int(e, "created", 0) > ttl)
        return 0; /* too old: a miss */
    return 1;
}

/* 1 hit, 0 miss, -1 a problem with this source. */
static int src_lookup(struct xb_rcache *rc, struct rsrc *s, const char *key, const char *plat,
                      json_t **entry, xb_error_t *err)
{
    char tag[129];
    xb_rcache_tag(s->spec->prefix, key, tag);
    cleanup_json json_t *man = NULL, *e = NULL;
    if (s->spec->type == XB_RCACHE_LOCAL) {
        if (s->dir == NULL)
            return 0;
        cleanup_json json_t *desc = NULL;
        xb_error_t e2 = XB_ERROR_INIT;
        if (xb_store_resolve(s->dir, tag, &desc, &e2) < 0) {
            int code = e2.code;
            xb_error_move(err, &e2);
            return code == XB_ERR_NOT_FOUND ? (xb_error_clear(err), 0) : -1;
        }
        if (xb_store_read_json(s->dir, xb_json_str(desc, "digest"), &man, err) < 0)
            return xb_error_wrap(err, "entry %s", tag);
    } else {
        xb_registry_t *r;
        if (src_reg(rc, s, &r, err) < 0)
            return -1;
        static const char *const accept[] = {XB_MT_OCI_MANIFEST, NULL};
        cleanup_free char *data = NULL, *mt = NULL;
        size_t len = 0;
        char dg[XB_DIGEST_LEN];
        xb_error_t e2 = XB_ERROR_INIT;
        if (xb_registry_get_manifest(r, tag, accept, &data, &len, &mt, dg, &e2) < 0) {
            int code = e2.code;
            xb_error_move(err, &e2);
            return code == XB_ERR_NOT_FOUND ? (xb_error_clear(err), 0) : -1;
        }
        if (xb_json_parse(data, len, tag, &man, err) < 0)
            return -1;
    }
    const json_t *cfg = json_object_get(man, "config");
    const char *cmt = xb_json_str(cfg, "mediaType");
    if (xb_descriptor_check(cfg, "entry config", err) < 0 || cmt == NULL ||
        strcmp(cmt, XB_MT_CACHE_ENTRY) != 0 || xb_json_int(cfg, "size", 0) > (long long)ENTRY_MAX)
        return xb_error_set(err, XB_ERR_INVALID, "entry %s is not an xbuild cache entry", tag);
    const char *cd = xb_json_str(cfg, "digest");
    if (s->spec->type == XB_RCACHE_LOCAL) {
        if (xb_store_read_json(s->dir, cd, &e, err) < 0) /* verified */
            return xb_error_wrap(err, "entry %s", tag);
    } else {
        cleanup_free char *data = NULL;
        size_t len = 0;
        if (xb_registry_fetch_blob_mem(s->reg, cd, ENTRY_MAX, &data, &len, err) < 0 ||
            xb_json_parse(data, len, cd, &e, err) < 0)
            return xb_error_wrap(err, "entry %s", tag);
    }
    int r = entry_check(man, e, key, plat, rc->ttl, err);
    if (r < 0)
        return xb_error_wrap(err, "entry %s", tag);
    if (r > 0)
        *entry = json_incref(e);
    return r;
}

int xb_bx_rcache_get(xb_bstage_t *st, json_t **entry, xb_error_t *err)
{
    struct xb_rcache *rc = st->b->rc;
    *entry = NULL;
    if (rc == NULL || !rc->lookups || st->cache_key == NULL || !xb_bx_cache_enabled(st))
        return 0;
    cleanup_free char *plat = xb_platform_format(&st->platform);
    for (size_t i = 0; i < rc->nfrom; i++) {
        struct rsrc *s = &rc->from[i];
        if (s->off)
            continue;
        xb_error_t e = XB_ERROR_INIT;
        int r = src_lookup(rc, s, st->cache_key, plat ? plat : "", entry, &e);
        if (r > 0) {
            json_object_set_new(*entry, "remote", json_integer((json_int_t)i));
            return 1;
        }
        if (r < 0) {
            if (s->spec->required) {
                xb_error_move(err, &e);
                return xb_error_wrap(err, "--cache-from %s (required)", src_name(s));
            }
            /* one line, then the source is left out: the build goes on uncached */
            xb_warn("--cache-from %s: %s; the build goes on without it", src_name(s), e.msg);
            xb_error_clear(&e);
            s->off = true;
        }
    }
    return 0;
}

/* --- lazy layers --- */

/* Copies a blob between stores, verified against digest on the way. */
static int copy_blob(xb_store_t *from, xb_store_t *to, const char *digest, xb_error_t *err)
{
    if (xb_store_has_blob(to, digest))
        return 0;
    cleanup_free char *path = xb_store_blob_path(from, digest);
    if (path == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "invalid digest %s", digest);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? xb_error_set(err, XB_ERR_NOT_FOUND, "blob %s missing from %s",
                                              digest, xb_store_root(from))
                               : xb_error_errno(err, errno, "open %s", path);
    xb_blob_writer_t *w = NULL;
    if (xb_store_blob_begin(to, &w, err) < 0)
        return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (xb_blob_write(w, buf, (size_t)n, err) < 0) {
            xb_blob_abort(w);
            return -1;
        }
    if (n < 0) {
        xb_blob_abort(w);
        return xb_error_errno(err, errno, "read %s", path);
    }
    return xb_blob_commit(w, digest, NULL, NULL, err);
}

static int fetch_one(xb_bctx_t *b, const json_t *l, xb_error_t *err)
{
    struct xb_rcache *rc = b->rc;
    const char *d = xb_json_str(l, "digest");
    int64_t size = xb_json_int(l, "size", -1);
    for (size_t i = 0; i < rc->nfrom; i++) {
        struct rsrc *s = &rc->from[i];
        if (s->dead)
            continue;
        xb_error_t e = XB_ERROR_INIT;
        int r;
        if (s->spec->type == XB_RCACHE_LOCAL) {
            r = s->dir ? copy_blob(s->dir, b->store, d, &e)
                       : xb_error_set(&e, XB_ERR_NOT_FOUND, "no cache");
        } else {
            xb_registry_t *reg;
            r = src_reg(rc, s, &reg, &e);
            if (r >= 0)
                r = xb_registry_fetch_blob(reg, b->store, d, size, &e);
        }
        if (r >= 0) {
            xb_bx_progress(b, "--> Fetched cached layer %.19s (%lld bytes) from %s", d,
                           (long long)size, src_name(s));
            return 0;
        }
        if (e.code != XB_ERR_NOT_FOUND) {
            xb_error_set(err, XB_ERR_CACHE, "--cache-from %s: layer %s: %s", src_name(s), d, e.msg);
            xb_error_clear(&e);
            return -1;
        }
        xb_error_clear(&e);
    }
    return xb_error_set(err, XB_ERR_CACHE, "layer %s of a cache hit is in no --cache-from source",
                        d);
}

int xb_bx_rcache_need(xb_bctx_t *b, const json_t *layers, xb_error_t *err)
{
    if (b->rc == NULL || b->rc->nfrom == 0)
        return 0;
    size_t i;
    const json_t *l;
    json_array_foreach(layers, i, l)
    {
        const char *d = xb_json_str(l, "digest");
        if (d == NULL || xb_store_has_blob(b->store, d))
            continue;
        if (fetch_one(b, l, err) < 0)
            return -1;
    }
    return 0;
}

/* --- export --- */

void xb_bx_rcache_record(xb_bstage_t *st, const json_t *entry, const char *how)
{
    xb_bctx_t *b = st->b;
    if (b->rc == NULL || b->rc->nto == 0 || st->cache_key == NULL || b->tmpdir == NULL)
        return;
    cleanup_free char *dir = xb_path_join(b->tmpdir, "rcache");
    cleanup_json json_t *e = json_deep_copy(entry);
    if (dir == NULL || e == NULL)
        return;
    json_t *src = json_object_get(e, "remote");
    cleanup_json json_t *rec = json_pack("{s:O,s:b,s:s,s:O?}", "entry", e, "final", st->final_chain,
                                         "how", how, "source", src);
    json_object_del(e, "remote");
    char name[96];
    const char *key = xb_json_str(e, "key") ? xb_json_str(e, "key") : st->cache_key;
    snprintf(name, sizeof(name), "%s.json", key);
    cleanup_free char *path = xb_path_join(dir, name);
    cleanup_free char *data = rec ? xb_json_dump(rec) : NULL;
    xb_error_t e2 = XB_ERROR_INIT;
    if (path == NULL || data == NULL || xb_mkdir_p(dir, 0700, &e2) < 0 ||
        xb_write_file_atomic(path, data, strlen(data), 0600, &e2) < 0)
        xb_debug("--cache-to: cannot note entry %s: %s", key, e2.msg ? e2.msg : "");
    xb_error_clear(&e2);
}

/* Whether the destination has the tag already (a local hit's entry usually is). */
static int dest_has(struct xb_rcache *rc, struct rsrc *s, const char *tag, xb_error_t *err)
{
    if (s->spec->type == XB_RCACHE_LOCAL) {
        cleanup_json json_t *desc = NULL;
        xb_error_t e = XB_ERROR_INIT;
        int r = xb_store_resolve(s->dir, tag, &desc, &e);
        xb_error_clear(&e);
        return r >= 0;
    }
    xb_registry_t *r;
    if (src_reg(rc, s, &r, err) < 0)
        return -1;
    return xb_registry_head_manifest(r, tag, NULL, NULL, NULL, err);
}

/* Puts a blob from the store (or memory) into the destination unless it is there. */
static int dest_blob(xb_bctx_t *b, struct rsrc *s, const char *digest, const char *mem, size_t len,
                     xb_error_t *err)
{
    if (s->spec->type == XB_RCACHE_LOCAL) {
        if (mem == NULL)
            return copy_blob(b->store, s->dir, digest, err);
        char d[XB_DIGEST_LEN];
        return xb_store_put_blob(s->dir, mem, len, d, err);
    }
    xb_registry_t *r = s->reg;
    int have = xb_registry_blob_exists(r, digest, NULL, err);
    if (have != 0)
        return have < 0 ? -1 : 0;
    if (mem != NULL)
        return xb_registry_upload_mem(r, digest, mem, len, err);
    cleanup_free char *path = xb_store_blob_path(b->store, digest);
    cleanup_close int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0)
        return xb_error_errno(err, errno, "open %s", path ? path : digest);
    return xb_registry_upload_fd(r, digest, fd, (int64_t)sb.st_size, err);
}

/* Blobs first, the manifest last and by its tag: an interrupted export leaves no tag naming a
 * missing blob. 1 written, 0 already there. */
static int export_one(xb_bctx_t *b, struct rsrc *s, json_t *rec, xb_error_t *err)
{
    json_t *e = json_object_get(rec, "entry");
    const char *how = xb_json_str(rec, "how");
    char tag[129];
    xb_rcache_tag(s->spec->prefix, xb_json_str(e, "key"), tag);
    if (strcmp(how, "miss") != 0) {
        int r = dest_has(b->rc, s, tag, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    json_t *layer = json_object_get(e, "layer");
    cleanup_json json_t *l0 = NULL;
    if (json_is_object(layer)) {
        cleanup_json json_t *one = json_pack("[O]", layer);
        if (xb_bx_rcache_need(b, one, err) < 0 ||
            dest_blob(b, s, xb_json_str(layer, "digest"), NULL, 0, err) < 0)
            return -1;
        l0 = json_incref(layer);
    } else {
        char ed[XB_DIGEST_LEN];
        xb_digest_buf(EMPTY_JSON, 2, ed);
        if (dest_blob(b, s, ed, EMPTY_JSON, 2, err) < 0)
            return -1;
        l0 = xb_descriptor_new(XB_MT_OCI_EMPTY, ed, 2, NULL, NULL);
    }
    json_object_set_new(e, "created", json_integer((json_int_t)time(NULL)));
    cleanup_free char *cfg = xb_json_dump(e);
    if (cfg == NULL || l0 == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char cd[XB_DIGEST_LEN];
    xb_digest_buf(cfg, strlen(cfg), cd);
    if (dest_blob(b, s, cd, cfg, strlen(cfg), err) < 0)
        return -1;
    cleanup_json json_t *cdesc =
        xb_descriptor_new(XB_MT_CACHE_ENTRY, cd, (int64_t)strlen(cfg), NULL, NULL);
    cleanup_json json_t *man = json_pack("{s:i,s:s,s:O,s:[O]}", "schemaVersion", 2, "mediaType",
                                         XB_MT_OCI_MANIFEST, "config", cdesc, "layers", l0);
    cleanup_free char *md = man ? xb_json_dump(man) : NULL;
    if (md == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (s->spec->type == XB_RCACHE_REGISTRY)
        return xb_registry_put_manifest(s->reg, tag, XB_MT_OCI_MANIFEST, md, strlen(md), NULL,
                                        err) < 0
                   ? -1
                   : 1;
    char mdg[XB_DIGEST_LEN];
    if (xb_store_put_blob(s->dir, md, strlen(md), mdg, err) < 0)
        return -1;
    cleanup_json json_t *mdesc =
        xb_descriptor_new(XB_MT_OCI_MANIFEST, mdg, (int64_t)strlen(md), NULL, NULL);
    return xb_store_ref_set(s->dir, tag, mdesc, err) < 0 ? -1 : 1;
}

/* The noted entries (one file each, written by whichever process built the step). */
static json_t *load_records(xb_bctx_t *b)
{
    json_t *recs = json_array();
    cleanup_free char *dir = xb_path_join(b->tmpdir, "rcache");
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *de;
    while (d != NULL && recs != NULL && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strstr(de->d_name, ".json") == NULL)
            continue;
        cleanup_free char *p = xb_path_join(dir, de->d_name);
        json_t *rec = NULL;
        xb_error_t e = XB_ERROR_INIT;
        if (p != NULL && xb_json_load_file(p, ENTRY_MAX * 2, &rec, &e) == 0 &&
            json_is_object(json_object_get(rec, "entry")))
            json_array_append_new(recs, rec);
        else if (rec != NULL)
            json_decref(rec);
        xb_error_clear(&e);
    }
    if (d != NULL)
        closedir(d);
    return recs;
}

static int export_dest(xb_bctx_t *b, struct rsrc *s, json_t *recs, xb_error_t *err)
{
    size_t wrote = 0, there = 0, i;
    json_t *rec;
    xb_registry_t *r;
    if (s->spec->type == XB_RCACHE_REGISTRY && src_reg(b->rc, s, &r, err) < 0)
        return -1;
    json_array_foreach(recs, i, rec)
    {
        if (!s->spec->mode_max && !json_is_true(json_object_get(rec, "final")))
            continue;
        const json_t *src = json_object_get(rec, "source");
        if (json_is_integer(src) && (size_t)json_integer_value(src) < b->rc->nfrom &&
            b->rc->from[json_integer_value(src)].spec->type == s->spec->type &&
            strcmp(b->rc->from[json_integer_value(src)].spec->ref, s->spec->ref) == 0 &&
            strcmp(b->rc->from[json_integer_value(src)].spec->prefix, s->spec->prefix) == 0) {
            there++; /* came from there */
            continue;
        }
        int x = export_one(b, s, rec, err);
        if (x < 0)
            return xb_error_wrap(err, "entry %.12s",
                                 xb_json_str(json_object_get(rec, "entry"), "key"));
        x > 0 ? wrote++ : there++;
    }
    xb_bx_progress(b, "--> Cache exported to %s: %zu entries written, %zu already there",
                   src_name(s), wrote, there);
    return 0;
}

int xb_bx_rcache_export(xb_bctx_t *b, xb_error_t *err)
{
    struct xb_rcache *rc = b->rc;
    if (rc == NULL || rc->nto == 0)
        return 0;
    cleanup_json json_t *recs = load_records(b);
    if (recs == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < rc->nto; i++) {
        struct rsrc *s = &rc->to[i];
        if (s->off)
            continue;
        xb_error_t e = XB_ERROR_INIT;
        if (export_dest(b, s, recs, &e) < 0) {
            if (s->spec->ignore_error == 0) {
                xb_error_move(err, &e);
                return xb_error_wrap(err, "--cache-to %s", src_name(s));
            }
            xb_warn("--cache-to %s: %s; the image is built, its cache is not exported", src_name(s),
                    e.msg);
            xb_error_clear(&e);
        }
    }
    return 0;
}
