/* prune: remove what nothing reaches (index.json, build cache, running builds), and build cache
 * entries whose layer blob is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/remote.h"
#include "store/store-internal.h"
#include "store/store.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#define CACHE_FILE_MAX (16u * 1024 * 1024)
#define YOUNG_SECONDS  3600 /* spared while other store users are active */

struct prune {
    xb_store_t *s;
    json_t *reach;   /* digest -> true */
    json_t *diffids; /* "sha256:<hex>" -> true: layer dirs to keep */
    json_t *removed; /* relative paths */
    json_t *stale;   /* relative paths of cache entries whose layer blob is gone */
    time_t keep_after;
    char unreadable[XB_DIGEST_LEN]; /* a reachable index/manifest is corrupt: remove no blob */
    long long blobs, bytes, tmp, layers, cache;
};

static void add_diffids(struct prune *p, const char *config_digest)
{
    cleanup_json json_t *cfg = NULL;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_store_read_json(p->s, config_digest, &cfg, &e) < 0) {
        xb_error_clear(&e);
        return;
    }
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), i,
                       d) if (json_is_string(d))
        json_object_set_new(p->diffids, json_string_value(d), json_true());
}

static int mark_fn(const json_t *desc, enum xb_blob_kind kind, const char *parent, int status,
                   void *ud, xb_error_t *err)
{
    struct prune *p = ud;
    const char *d = xb_json_str(desc, "digest");
    if (!xb_digest_valid(d))
        return 0;
    json_object_set_new(p->reach, d, json_true());
    if (status != 0 && status != XB_ERR_NOT_FOUND && p->unreadable[0] == '\0')
        snprintf(p->unreadable, sizeof p->unreadable, "%s", d);
    if (kind == XB_BLOB_CONFIG)
        add_diffids(p, d);
    return 0;
}

static void mark_root(struct prune *p, const json_t *desc)
{
    xb_error_t e = XB_ERROR_INIT;
    xb_store_walk(p->s, desc, XB_WALK_TOLERANT, mark_fn, p, &e);
    xb_error_clear(&e);
}

/* A digest named by the build cache: keep it, and what it references when it is a manifest or
 * an index, and its layers' dirs when it is a config. */
static void mark_cache_digest(struct prune *p, const char *d)
{
    if (json_object_get(p->reach, d) != NULL)
        return;
    json_object_set_new(p->reach, d, json_true());
    json_object_set_new(p->diffids, d, json_true());
    cleanup_free char *path = xb_store_blob_path(p->s, d);
    struct stat st;
    if (path == NULL || stat(path, &st) < 0 || st.st_size > (off_t)XB_JSON_MAX)
        return;
    cleanup_json json_t *doc = NULL;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_store_read_json(p->s, d, &doc, &e) < 0) {
        xb_error_clear(&e);
        return;
    }
    enum xb_blob_kind k = xb_json_doc_kind(doc);
    if (k == XB_BLOB_INDEX || k == XB_BLOB_MANIFEST) {
        cleanup_json json_t *desc =
            json_pack("{s:s,s:s}", "digest", d, "mediaType",
                      k == XB_BLOB_INDEX ? XB_MT_OCI_INDEX : XB_MT_OCI_MANIFEST);
        mark_root(p, desc);
    } else if (json_is_object(json_object_get(doc, "rootfs"))) {
        add_diffids(p, d);
    }
}

static void scan_cache_text(struct prune *p, const char *data, size_t len)
{
    const char *end = data + len;
    for (const char *q = data; q + 71 <= end; q++) {
        q = memmem(q, (size_t)(end - q), "sha256:", 7);
        if (q == NULL || q + 71 > end)
            break;
        char d[XB_DIGEST_LEN];
        memcpy(d, q, 71);
        d[71] = '\0';
        if (xb_digest_valid(d)) {
            mark_cache_digest(p, d);
            q += 70;
        }
    }
}

/* A build cache entry (xbuild/cache/<2 hex>/<key>.json, see build/cache.c) whose layer blob is
 * no longer in the store: no build can use it (a lookup drops it), so it keeps nothing alive and
 * prune drops it. Anything else under xbuild/cache is only scanned for digests. */
static bool stale_cache_entry(struct prune *p, const char *rel, const char *name, const char *data,
                              size_t len)
{
    char key[65];
    if (strlen(name) != 69 || strcmp(name + 64, ".json") != 0)
        return false;
    memcpy(key, name, 64);
    key[64] = '\0';
    char want[96];
    snprintf(want, sizeof want, "xbuild/cache/%.2s/%s", key, name);
    if (!xb_store_hex_name(key) || strcmp(rel, want) != 0)
        return false;
    cleanup_json json_t *e = json_loadb(data, len, 0, NULL);
    const char *d = xb_json_str(json_object_get(e, "layer"), "digest");
    return d != NULL && xb_digest_valid(d) && !xb_store_has_blob(p->s, d);
}

/* dir: absolute; rel: the same, relative to the store root */
static void scan_cache_dir(struct prune *p, const char *dir, const char *rel, int depth)
{
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL || depth > 8)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        cleanup_free char *path = xb_path_join(dir, de->d_name);
        cleanup_free char *r = xb_path_join(rel, de->d_name);
        struct stat st;
        if (path == NULL || r == NULL || lstat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            scan_cache_dir(p, path, r, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            cleanup_free char *data = NULL;
            size_t len = 0;
            xb_error_t e = XB_ERROR_INIT;
            if (xb_read_file(path, CACHE_FILE_MAX, &data, &len, &e) == 0) {
                if (stale_cache_entry(p, r, de->d_name, data, len))
                    json_array_append_new(p->stale, json_string(r));
                else
                    scan_cache_text(p, data, len);
            }
            xb_error_clear(&e);
        }
    }
}

static time_t birth_time(const char *path, const struct stat *st)
{
#ifdef STATX_BTIME
    struct statx sx;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 &&
        (sx.stx_mask & STATX_BTIME))
        return (time_t)sx.stx_btime.tv_sec;
#endif
    return st->st_mtime < st->st_ctime ? st->st_mtime : st->st_ctime;
}

/* True when something is mounted at or below path (a crashed build's overlay or bind mount):
 * rm -rf would cross into it, so prune leaves such a dir alone. */
static bool has_mounts_under(const char *path)
{
    char real[PATH_MAX];
    if (realpath(path, real) == NULL)
        return false;
    size_t n = strlen(real);
    cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return false;
    char line[8192];
    while (fgets(line, sizeof line, f) != NULL) {
        /* "id parent major:minor root mountpoint ..." */
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 0; tok != NULL && i < 4; i++)
            tok = strtok_r(NULL, " ", &save);
        if (tok == NULL)
            continue;
        if (strncmp(tok, real, n) == 0 && (tok[n] == '\0' || tok[n] == '/'))
            return true;
    }
    return false;
}

static int remove_path(struct prune *p, const char *rel, long long *counter, xb_error_t *err)
{
    cleanup_free char *path = xb_store_path(p->s, rel);
    if (path == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_is_dir(path) && has_mounts_under(path)) {
        xb_warn("prune: %s has mounts below it; left alone", path);
        return 0;
    }
    if (xb_rm_rf(path, err) < 0)
        return xb_error_wrap(err, "prune");
    (*counter)++;
    json_array_append_new(p->removed, json_string(rel));
    return 0;
}

typedef int (*entry_fn)(struct prune *p, const char *name, const char *rel, const char *path,
                        const struct stat *st, xb_error_t *err);

/* Calls fn for every entry of the store directory reldir (but . and ..) with its name, its
 * store-relative and absolute paths and its lstat; stops at the first error. A missing
 * directory is empty when missing_ok. */
static int each_entry(struct prune *p, const char *reldir, bool missing_ok, entry_fn fn,
                      xb_error_t *err)
{
    cleanup_free char *dir = xb_store_path(p->s, reldir);
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL)
        return missing_ok && errno == ENOENT ? 0 : xb_error_errno(err, errno, "open %s", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        cleanup_free char *rel = xb_path_join(reldir, n);
        cleanup_free char *path = xb_path_join(dir, n);
        struct stat st;
        if (rel == NULL || path == NULL || lstat(path, &st) < 0)
            continue;
        int r = fn(p, n, rel, path, &st, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* xbuild/tmp: remove work dirs of dead processes; live ones move keep_after back. */
static int prune_tmp_entry(struct prune *p, const char *name, const char *rel, const char *path,
                           const struct stat *st, xb_error_t *err)
{
    pid_t pid = xb_store_name_pid(name);
    if (pid == 0 && st->st_mtime > time(NULL) - 86400)
        return 0; /* not named by xb_store_mkdtemp: only removed once a day old */
    if (xb_store_pid_alive(pid)) {
        time_t b = birth_time(path, st);
        if (b < p->keep_after)
            p->keep_after = b;
        return 0;
    }
    return remove_path(p, rel, &p->tmp, err);
}

static int prune_blob_entry(struct prune *p, const char *name, const char *rel, const char *path,
                            const struct stat *st, xb_error_t *err)
{
    (void)path;
    if (!S_ISREG(st->st_mode))
        return 0;
    if (strncmp(name, XB_STORE_TMP_PREFIX, strlen(XB_STORE_TMP_PREFIX)) == 0)
        return xb_store_pid_alive(xb_store_name_pid(name)) ? 0 : remove_path(p, rel, &p->tmp, err);
    if (!xb_store_hex_name(name))
        return 0;
    char dg[XB_DIGEST_LEN];
    snprintf(dg, sizeof dg, "sha256:%.64s", name);
    if (json_object_get(p->reach, dg) != NULL || st->st_mtime >= p->keep_after)
        return 0;
    if (remove_path(p, rel, &p->blobs, err) < 0)
        return -err->code;
    p->bytes += st->st_size;
    return 0;
}

static int prune_layer_entry(struct prune *p, const char *name, const char *rel, const char *path,
                             const struct stat *st, xb_error_t *err)
{
    (void)path;
    if (!xb_store_hex_name(name)) {
        /* an extraction in progress names its pid: "<hex>.tmp-<pid>-XXXXXX" or similar */
        pid_t pid = xb_store_name_pid(name);
        if (pid != 0 && !xb_store_pid_alive(pid))
            return remove_path(p, rel, &p->tmp, err);
        return 0;
    }
    char dg[XB_DIGEST_LEN];
    snprintf(dg, sizeof dg, "sha256:%.64s", name);
    if (json_object_get(p->diffids, dg) != NULL || st->st_mtime >= p->keep_after)
        return 0;
    return remove_path(p, rel, &p->layers, err);
}

/* xbuild/remote: records of remote-backed manifests nothing reaches any more. */
static int prune_remote_entry(struct prune *p, const char *name, const char *rel, const char *path,
                              const struct stat *st, xb_error_t *err)
{
    (void)path;
    if (!xb_store_hex_name(name))
        return 0;
    char dg[XB_DIGEST_LEN];
    snprintf(dg, sizeof dg, "sha256:%.64s", name);
    if (json_object_get(p->reach, dg) != NULL || st->st_mtime >= p->keep_after)
        return 0;
    return remove_path(p, rel, &p->tmp, err);
}

static int prune_stale_cache(struct prune *p, xb_error_t *err)
{
    size_t i;
    json_t *rel;
    json_array_foreach(p->stale, i, rel)
    {
        if (remove_path(p, json_string_value(rel), &p->cache, err) < 0)
            return -err->code;
    }
    return 0;
}

static void prune_index_temps(struct prune *p)
{
    cleanup_dir DIR *d = opendir(xb_store_root(p->s));
    struct dirent *de;
    xb_error_t e = XB_ERROR_INIT;
    while (d != NULL && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "index.json.tmp-", 15) == 0)
            remove_path(p, de->d_name, &p->tmp, &e);
    xb_error_clear(&e);
}

int xb_store_prune(xb_store_t *s, json_t **report, xb_error_t *err)
{
    cleanup_json json_t *reach = json_object();
    cleanup_json json_t *diffids = json_object();
    cleanup_json json_t *removed = json_array();
    cleanup_json json_t *stale = json_array();
    struct prune p = {s, reach, diffids, removed, stale, time(NULL) + 1, "", 0, 0, 0, 0, 0};

    int lk = xb_store_lock(s, err);
    if (lk < 0)
        return lk;
    /* Alone? Then everything unreachable goes; otherwise young blobs are spared. */
    bool alone = s->usersfd >= 0 && flock(s->usersfd, LOCK_EX | LOCK_NB) == 0;
    if (!alone)
        p.keep_after = time(NULL) - YOUNG_SECONDS;

    int r = 0;
    cleanup_json json_t *index = NULL;
    if ((r = xb_store_index_load(s, &index, err)) >= 0) {
        size_t i;
        json_t *entry;
        json_array_foreach(json_object_get(index, "manifests"), i, entry) mark_root(&p, entry);
        cleanup_free char *cache = xb_store_path(s, "xbuild/cache");
        if (cache != NULL)
            scan_cache_dir(&p, cache, "xbuild/cache", 0);
        if (p.unreadable[0] != '\0')
            r = xb_error_set(err, XB_ERR_DIGEST,
                             "manifest or index %s is corrupt or unreadable: not pruning blobs "
                             "(run 'xbuild fsck')",
                             p.unreadable);
        else if ((r = prune_stale_cache(&p, err)) >= 0 &&
                 (r = each_entry(&p, "xbuild/tmp", true, prune_tmp_entry, err)) >= 0 &&
                 (r = each_entry(&p, "blobs/sha256", false, prune_blob_entry, err)) >= 0 &&
                 (r = each_entry(&p, "xbuild/layers", true, prune_layer_entry, err)) >= 0 &&
                 (r = each_entry(&p, "xbuild/remote", true, prune_remote_entry, err)) >= 0)
            prune_index_temps(&p);
    }
    if (s->usersfd >= 0)
        flock(s->usersfd, LOCK_SH);
    xb_store_unlock(lk);
    if (r < 0)
        return r;
    *report =
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:O}", "blobs", (json_int_t)p.blobs, "bytes",
                  (json_int_t)p.bytes, "tmp", (json_int_t)p.tmp, "layers", (json_int_t)p.layers,
                  "stale_cache", (json_int_t)p.cache, "removed", removed);
    return *report ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

int xb_store_prune_cache(xb_store_t *s, long long *removed, xb_error_t *err)
{
    cleanup_free char *dir = xb_store_path(s, "xbuild/cache");
    if (dir == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int lk = xb_store_lock(s, err);
    if (lk < 0)
        return lk;
    long long n = 0;
    int r = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && r >= 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        cleanup_free char *p = xb_path_join(dir, de->d_name);
        if ((r = xb_rm_rf(p, err)) >= 0)
            n++;
    }
    if (d != NULL)
        closedir(d);
    xb_store_unlock(lk);
    if (removed != NULL)
        *removed = n;
    return r < 0 ? r : 0;
}
