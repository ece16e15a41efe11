#include "builder/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/remotecache.h"
#include "builder/rootfs.h"
#include "image/image.h"
#include "layer/pgzip.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#define CACHE_ENTRY_MAX (256u * 1024)

int xb_bx_cache_chain(xb_bstage_t *st, const char *kind, const json_t *data, xb_error_t *err)
{
    cleanup_free char *d = data ? xb_json_dump(data) : strdup("null");
    if (d == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_sha256_t h;
    if (xb_sha256_init(&h, err) < 0)
        return -1;
    char prev[160];
    if (st->cache_key)
        snprintf(prev, sizeof(prev), "%s", st->cache_key);
    else {
        /* the first link carries what shapes every layer's bytes: a cached layer written with
         * another compression, level, gzip engine or mtime clamp is not this build's layer */
        const xb_layer_opts_t *lo = &st->b->lopts;
        snprintf(prev, sizeof(prev), "layer:%d:%d:%lld%s", (int)lo->compression, lo->level,
                 (long long)lo->clamp_mtime,
                 lo->compression != XB_COMPRESSION_GZIP ? ""
                 : lo->gzip_engine == XB_PGZIP_ZLIB     ? ":zlib"
                                                        : ":libdeflate");
    }
    xb_sha256_update(&h, prev, strlen(prev) + 1);
    xb_sha256_update(&h, kind, strlen(kind) + 1);
    xb_sha256_update(&h, d, strlen(d));
    char out[XB_DIGEST_LEN];
    xb_sha256_final(&h, out);
    free(st->cache_key);
    st->cache_key = strdup(xb_digest_hex(out));
    if (st->cache_key == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

static char *entry_path(xb_bstage_t *st, const char *key)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "xbuild/cache/%.2s/%s.json", key, key);
    return xb_store_path(st->b->store, rel);
}

static int local_get(xb_bstage_t *st, json_t **entry, xb_error_t *err)
{
    *entry = NULL;
    if (st->cache_key == NULL || !xb_bx_cache_enabled(st))
        return 0;
    cleanup_free char *path = entry_path(st, st->cache_key);
    if (path == NULL || !xb_path_exists(path))
        return 0;
    json_t *e = NULL;
    xb_error_t e2 = XB_ERROR_INIT;
    if (xb_json_load_file(path, CACHE_ENTRY_MAX, &e, &e2) < 0) {
        xb_debug("ignoring unreadable cache entry %s: %s", path, e2.msg);
        xb_error_clear(&e2);
        return 0;
    }
    json_t *layer = json_object_get(e, "layer");
    const char *key = xb_json_str(e, "key");
    if (key == NULL || strcmp(key, st->cache_key) != 0 ||
        !json_is_object(json_object_get(e, "history")) ||
        (json_is_object(layer) &&
         (xb_descriptor_check(layer, "cache entry", &e2) < 0 ||
          !xb_store_has_blob(st->b->store, xb_json_str(layer, "digest")) ||
          !xb_digest_valid(xb_json_str(e, "diff_id") ? xb_json_str(e, "diff_id") : "")))) {
        xb_error_clear(&e2);
        json_decref(e);
        /* an entry whose layer is gone (or a corrupt one) is dropped */
        if (unlink(path) == 0)
            xb_debug("dropped stale cache entry %s", path);
        return 0;
    }
    (void)err;
    *entry = e;
    return 1;
}

int xb_bx_cache_get(xb_bstage_t *st, json_t **entry, xb_error_t *err)
{
    int r = local_get(st, entry, err);
    if (r != 0)
        return r;
    /* a local miss: the shared cache (--cache-from), whose layer may stay remote until read */
    return xb_bx_rcache_get(st, entry, err);
}

/* After a step, the chain takes in what it produced: the key of every later step depends on
 * the layers below it, not only on the instructions. A step whose cached layer was lost reruns,
 * and when its new layer differs (a RUN is not always reproducible) the steps after it rerun
 * too instead of stacking their old layers, made on the old one, on top of it. A hit chains
 * the same diffID as the build that made the entry, so fully cached builds stay cached. */
static void chain_result(xb_bstage_t *st, const char *diff_id)
{
    if (st->cache_key == NULL || diff_id == NULL)
        return;
    cleanup_json json_t *d = json_pack("{s:s}", "diff_id", diff_id);
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    if (d == NULL || xb_bx_cache_chain(st, "result", d, &e) < 0) {
        free(st->cache_key); /* no key, no lookups: never a wrong hit */
        st->cache_key = NULL;
    }
}

static void write_entry(xb_bstage_t *st, const json_t *e)
{
    cleanup_free char *path = entry_path(st, xb_json_str(e, "key"));
    cleanup_free char *data = xb_json_dump(e);
    if (path == NULL || data == NULL)
        return;
    xb_error_t e2 = XB_ERROR_INIT;
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int r = xb_mkdir_p(path, 0755, &e2);
    *slash = '/';
    if (r >= 0)
        r = xb_write_file_atomic(path, data, strlen(data), 0644, &e2);
    if (r < 0)
        xb_warn("build cache: %s", e2.msg);
    xb_error_clear(&e2);
}

/* The entry for key (chain: the key the chain continues from on a hit, or NULL for key). */
static void put_entry(xb_bstage_t *st, const char *key, const char *chain, const json_t *layer,
                      const char *diff_id)
{
    if (key == NULL)
        return;
    json_t *hist = json_array_get(json_object_get(st->config, "history"),
                                  json_array_size(json_object_get(st->config, "history")) - 1);
    cleanup_free char *plat = xb_platform_format(&st->platform);
    cleanup_json json_t *e =
        json_pack("{s:s,s:s,s:O?,s:O?,s:s?,s:s?}", "key", key, "platform", plat ? plat : "",
                  "history", hist, "layer", layer, "diff_id", diff_id, "chain", chain);
    if (e == NULL)
        return;
    xb_bx_rcache_record(st, e, "miss");
    write_entry(st, e);
}

void xb_bx_cache_put(xb_bstage_t *st, const json_t *layer, const char *diff_id)
{
    st->b->cache_misses++;
    put_entry(st, st->cache_key, NULL, layer, diff_id);
    chain_result(st, diff_id);
}

void xb_bx_cache_put_alias(xb_bstage_t *st, const char *alias, const char *chain)
{
    if (alias == NULL || chain == NULL || st->cache_key == NULL)
        return;
    json_t *ids = json_object_get(json_object_get(st->config, "rootfs"), "diff_ids");
    size_t n = json_array_size(st->layers);
    const char *diff_id =
        n ? json_string_value(json_array_get(ids, json_array_size(ids) - 1)) : NULL;
    put_entry(st, alias, chain, n ? json_array_get(st->layers, n - 1) : NULL, diff_id);
}

/* An alias hit also stands for the entry of the key it chains to (same layer and history):
 * kept locally and noted for --cache-to, so that key is found by later builds whose source
 * stage changed but whose copied content did not. */
static void note_chained(xb_bstage_t *st, const json_t *alias)
{
    cleanup_json json_t *c = st->cache_key ? json_deep_copy(alias) : NULL;
    if (c == NULL)
        return;
    json_object_set_new(c, "key", json_string(st->cache_key));
    json_object_del(c, "chain");
    json_object_del(c, "remote");
    xb_bx_rcache_record(st, c, "local");
    write_entry(st, c);
}

int xb_bx_cache_apply(xb_bstage_t *st, const json_t *entry, xb_error_t *err)
{
    json_t *hist = json_object_get(entry, "history");
    json_t *layer = json_object_get(entry, "layer");
    bool remote = json_object_get(entry, "remote") != NULL;
    json_t *h = json_object_get(st->config, "history");
    if (!json_is_array(h)) {
        h = json_array();
        json_object_set_new(st->config, "history", h);
    }
    json_array_append_new(h, json_deep_copy(hist));
    if (json_is_object(layer)) {
        json_t *rootfs = json_object_get(st->config, "rootfs");
        json_t *ids = json_object_get(rootfs, "diff_ids");
        if (!json_is_array(ids))
            return xb_error_set(err, XB_ERR_INVALID, "config without rootfs.diff_ids");
        json_array_append_new(ids, json_string(xb_json_str(entry, "diff_id")));
        json_t *d = json_deep_copy(layer);
        json_array_append_new(st->layers, d);
        if (remote) {
            st->idx_valid = false; /* the layer is read (fetched) only when something needs it */
        } else if (st->idx_valid) {
            xb_error_t e = XB_ERROR_INIT;
            if (xb_rootfs_apply_layer(&st->idx, st->b->store, d, NULL, NULL, &e) < 0) {
                st->idx_valid = false;
                xb_error_clear(&e);
            }
        }
    }
    st->b->cache_hits++;
    xb_bx_progress(st->b, "--> Using cache %.12s%s", st->cache_key,
                   remote ? " (shared cache)" : "");
    xb_bx_rcache_record(st, entry, remote ? "remote" : "local");
    if (remote) {
        /* kept locally too: valid once its layer is fetched (a lookup drops it until then) */
        cleanup_json json_t *local = json_deep_copy(entry);
        if (local != NULL) {
            json_object_del(local, "remote");
            write_entry(st, local);
        }
    }
    /* an alias entry (xb_bx_cache_put_alias): the chain goes on from the key it stands for */
    const char *chain = xb_json_str(entry, "chain");
    if (chain != NULL) {
        char *k =
            strlen(chain) == 64 && strspn(chain, "0123456789abcdef") == 64 ? strdup(chain) : NULL;
        free(st->cache_key);
        st->cache_key = k; /* NULL (a malformed entry): no further lookups, never a wrong hit */
        note_chained(st, entry);
    }
    chain_result(st, json_is_object(layer) ? xb_json_str(entry, "diff_id") : NULL);
    return 0;
}

/* Adds entry e (when it is under `under`, ul bytes) to the entries digest h: type, mode,
 * owner, content digest, path, link target and the xattrs the layer will carry. */
static int digest_entry(xb_sha256_t *h, const xb_centry_t *e, const char *under, size_t ul,
                        xb_centry_opener_t *op, xb_error_t *err)
{
    if (ul > 0 && (strncmp(e->path, under, ul) != 0 || (e->path[ul] != '\0' && e->path[ul] != '/')))
        return 0;
    char content[XB_DIGEST_LEN] = "";
    cleanup_close int fd = -1;
    if (S_ISREG(e->mode) && !e->hardlink) { /* a hard link's content is its target's */
        if (e->src != NULL) {
            if ((fd = xb_centry_open(e, op, err)) < 0 || xb_digest_fd(fd, e->src, content, err) < 0)
                return -1;
        } else {
            xb_digest_buf(e->data ? e->data : "", e->len, content);
        }
    }
    char line[256];
    int n = snprintf(line, sizeof(line), "%o %u %u %llu %s ", (unsigned)e->mode, (unsigned)e->uid,
                     (unsigned)e->gid, (unsigned long long)e->rdev, content);
    xb_sha256_update(h, line, (size_t)n);
    xb_sha256_update(h, e->path, strlen(e->path) + 1);
    if (e->link != NULL) {
        if (e->hardlink) /* a hard link is not a copy */
            xb_sha256_update(h, "hardlink ", 9);
        xb_sha256_update(h, e->link, strlen(e->link) + 1);
    }
    /* the xattrs the layer will carry (archive/stage xattrs, file capabilities) */
    unsigned char cap[XB_BX_CAP_MAX];
    xb_xattr_t xs[XB_CENTRY_MAX_XATTRS + 1];
    size_t nx = xb_bx_entry_xattrs(e, fd, cap, xs);
    for (size_t k = 0; k < nx; k++) {
        char xl[32];
        int m = snprintf(xl, sizeof(xl), "xattr %zu ", xs[k].len);
        xb_sha256_update(h, xl, (size_t)m);
        xb_sha256_update(h, xs[k].name, strlen(xs[k].name) + 1);
        xb_sha256_update(h, xs[k].value, xs[k].len);
    }
    xb_sha256_update(h, "\n", 1);
    return 0;
}

int xb_bx_entries_digest(const xb_centries_t *ents, const char *under, char out[XB_DIGEST_LEN],
                         xb_error_t *err)
{
    size_t ul = under ? strlen(under) : 0;
    xb_sha256_t h;
    if (xb_sha256_init(&h, err) < 0)
        return -1;
    xb_centry_opener_t op = XB_CENTRY_OPENER_INIT;
    int r = 0;
    for (size_t i = 0; i < ents->n && r == 0; i++)
        r = digest_entry(&h, &ents->v[i], under, ul, &op, err);
    xb_centry_opener_close(&op);
    if (r < 0) {
        xb_sha256_free(&h);
        return -1;
    }
    xb_sha256_final(&h, out);
    return 0;
}
