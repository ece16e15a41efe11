/* The docker-archive: transport (`docker save` format, as skopeo writes it): manifest.json,
 * repositories, <config hex>.json, <diffID hex>.tar uncompressed layers and the legacy
 * <layer id>/{VERSION,json,layer.tar} entries older loaders want. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/export.h"
#include "lazy/lazy.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* Decompresses a layer blob into out_path, computing its diffID. */
static int decompress_layer(const char *src, const char *out_path, char diffid[XB_DIGEST_LEN],
                            xb_error_t *err)
{
    if (xb_lazy_load(XB_LAZY_ARCHIVE, err) < 0)
        return -1;
    cleanup_archive_read struct archive *a = archive_read_new();
    if (a == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_filename(a, src, 1 << 16) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_IO, "open %s: %s", src, archive_error_string(a));
    struct archive_entry *e;
    int hr = archive_read_next_header(a, &e);
    cleanup_close int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        return xb_error_errno(err, errno, "create %s", out_path);
    xb_sha256_t h = {NULL};
    if (xb_sha256_init(&h, err) < 0)
        return -err->code;
    if (hr == ARCHIVE_OK) {
        char buf[1 << 16];
        for (;;) {
            la_ssize_t n = archive_read_data(a, buf, sizeof buf);
            if (n < 0) {
                xb_sha256_free(&h);
                return xb_error_set(err, XB_ERR_PARSE, "decompress %s: %s", src,
                                    archive_error_string(a));
            }
            if (n == 0)
                break;
            xb_sha256_update(&h, buf, (size_t)n);
            if (xb_write_all(out, buf, (size_t)n, err) < 0) {
                xb_sha256_free(&h);
                return xb_error_wrap(err, "write %s", out_path);
            }
        }
    } else if (hr != ARCHIVE_EOF) {
        xb_sha256_free(&h);
        return xb_error_set(err, XB_ERR_PARSE, "decompress %s: %s", src, archive_error_string(a));
    }
    xb_sha256_final(&h, diffid);
    return 0;
}

/* "repo:tag" -> repo, tag (malloc'd). */
static int split_repo_tag(const char *name, char **repo, char **tag, xb_error_t *err)
{
    cleanup_free char *n = xb_store_normalize_name(name);
    if (n == NULL || strchr(n, '@') != NULL)
        return xb_error_set(err, XB_ERR_INVALID,
                            "docker-archive needs a name:tag, not '%s' (RepoTags cannot hold "
                            "digests)",
                            name);
    char *slash = strrchr(n, '/');
    char *colon = strrchr(slash ? slash : n, ':');
    *repo = strndup(n, (size_t)(colon - n));
    *tag = strdup(colon + 1);
    return 0;
}

static json_t *legacy_layer_json(const json_t *config, const char *id, const char *parent, bool top)
{
    json_t *j = json_pack("{s:s}", "id", id);
    if (parent != NULL)
        json_object_set_new(j, "parent", json_string(parent));
    if (top) {
        static const char *const keys[] = {
            "architecture", "config",         "container", "container_config",
            "created",      "docker_version", "os"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            json_t *v = json_object_get(config, keys[i]);
            if (v != NULL)
                json_object_set(j, keys[i], v);
        }
    }
    return j;
}

struct docker_ctx {
    xb_store_t *s;
    struct xb_tar_out t;
    char *workdir;
    json_t *layer_files; /* Layers of manifest.json */
    json_t *written;     /* diffid -> true */
};

static int add_layers(struct docker_ctx *c, const json_t *manifest, const json_t *config,
                      char *last_id, xb_error_t *err)
{
    json_t *layers = json_object_get(manifest, "layers");
    json_t *diffids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    if (json_array_size(layers) != json_array_size(diffids))
        return xb_error_set(err, XB_ERR_INVALID,
                            "manifest has %zu layers but its config lists %zu diff_ids",
                            json_array_size(layers), json_array_size(diffids));
    char chain[XB_DIGEST_LEN] = "";
    char parent[80] = "";
    size_t n = json_array_size(layers);
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(layers, i);
        const char *d = xb_json_str(l, "digest");
        const char *want = json_string_value(json_array_get(diffids, i));
        const char *mt = xb_json_str(l, "mediaType");
        int comp = xb_mt_layer_compression(mt); /* 0 none, 1 gzip, 2 zstd, -1 not a layer */
        if (comp < 0)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "layer %s has media type %s: docker-archive holds image layers "
                                "only",
                                d ? d : "?", mt ? mt : "(none)");
        if (!xb_digest_valid(d) || !xb_digest_valid(want))
            return xb_error_set(err, XB_ERR_INVALID, "layer %zu: invalid digest or diff_id", i);
        cleanup_free char *src = xb_store_blob_path(c->s, d);
        char fname[80];
        snprintf(fname, sizeof fname, "%s.tar", xb_digest_hex(want));
        if (json_object_get(c->written, want) == NULL) {
            if (comp == 0) {
                if (strcmp(d, want) != 0)
                    return xb_error_set(err, XB_ERR_DIGEST,
                                        "uncompressed layer %s does not match diff_id %s", d, want);
                if (xb_tar_out_file(&c->t, fname, src, d, err) < 0)
                    return -err->code;
            } else {
                cleanup_free char *tmp = xb_path_join(c->workdir, fname);
                char got[XB_DIGEST_LEN];
                if (!xb_store_has_blob(c->s, d))
                    return xb_error_set(err, XB_ERR_NOT_FOUND, "layer blob %s missing from %s", d,
                                        xb_store_root(c->s));
                if (decompress_layer(src, tmp, got, err) < 0)
                    return -err->code;
                if (strcmp(got, want) != 0)
                    return xb_error_set(err, XB_ERR_DIGEST,
                                        "layer %s decompresses to %s, its config says %s", d, got,
                                        want);
                int r = xb_tar_out_file(&c->t, fname, tmp, NULL, err);
                unlink(tmp);
                if (r < 0)
                    return r;
            }
            json_object_set_new(c->written, want, json_true());
        }
        json_array_append_new(c->layer_files, json_string(fname));

        /* legacy entries: ids are chain IDs, as skopeo computes them */
        if (chain[0] == '\0') {
            snprintf(chain, sizeof chain, "%s", want);
        } else {
            char buf[200];
            snprintf(buf, sizeof buf, "%s %s", chain, want);
            xb_digest_buf(buf, strlen(buf), chain);
        }
        const char *id = xb_digest_hex(chain);
        char name[160], link[96];
        cleanup_json json_t *lj =
            legacy_layer_json(config, id, parent[0] ? parent : NULL, i + 1 == n);
        cleanup_free char *ljs = xb_json_dump(lj);
        snprintf(name, sizeof name, "%s", id);
        if (xb_tar_out_dir(&c->t, name, err) < 0)
            return -err->code;
        snprintf(name, sizeof name, "%s/VERSION", id);
        if (xb_tar_out_data(&c->t, name, "1.0", 3, err) < 0)
            return -err->code;
        snprintf(name, sizeof name, "%s/json", id);
        if (xb_tar_out_data(&c->t, name, ljs, strlen(ljs), err) < 0)
            return -err->code;
        snprintf(name, sizeof name, "%s/layer.tar", id);
        snprintf(link, sizeof link, "../%s", fname);
        if (xb_tar_out_symlink(&c->t, name, link, err) < 0)
            return -err->code;
        snprintf(parent, sizeof parent, "%s", id);
    }
    snprintf(last_id, 80, "%s", parent);
    return 0;
}

static int write_archive(struct docker_ctx *c, const json_t *mdesc, const json_t *manifest,
                         const char *repotag, char config_digest[XB_DIGEST_LEN], xb_error_t *err)
{
    json_t *cdesc = json_object_get(manifest, "config");
    const char *cd = xb_json_str(cdesc, "digest");
    cleanup_json json_t *config = NULL;
    if (xb_store_read_json(c->s, cd, &config, err) < 0)
        return xb_error_wrap(err, "config of %s", xb_json_str(mdesc, "digest"));
    char cname[80];
    snprintf(cname, sizeof cname, "%s.json", xb_digest_hex(cd));
    cleanup_free char *cpath = xb_store_blob_path(c->s, cd);
    char last_id[80] = "";
    if (add_layers(c, manifest, config, last_id, err) < 0 ||
        xb_tar_out_file(&c->t, cname, cpath, cd, err) < 0)
        return -err->code;

    cleanup_json json_t *repotags = json_array();
    cleanup_json json_t *repos = json_object();
    if (repotag != NULL) {
        cleanup_free char *repo = NULL;
        cleanup_free char *tag = NULL;
        if (split_repo_tag(repotag, &repo, &tag, err) < 0)
            return -err->code;
        char *full = NULL;
        if (asprintf(&full, "%s:%s", repo, tag) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        json_array_append_new(repotags, json_string(full));
        free(full);
        if (last_id[0] != '\0')
            json_object_set_new(repos, repo, json_pack("{s:s}", tag, last_id));
    }
    cleanup_json json_t *mj = json_pack("[{s:s,s:O,s:O}]", "Config", cname, "RepoTags", repotags,
                                        "Layers", c->layer_files);
    cleanup_free char *ms = mj ? xb_json_dump(mj) : NULL;
    cleanup_free char *rs = xb_json_dump(repos);
    if (ms == NULL || rs == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_tar_out_data(&c->t, "manifest.json", ms, strlen(ms), err) < 0)
        return -err->code;
    if (json_object_size(repos) > 0 &&
        xb_tar_out_data(&c->t, "repositories", rs, strlen(rs), err) < 0)
        return -err->code;
    if (config_digest != NULL)
        snprintf(config_digest, XB_DIGEST_LEN, "%s", cd);
    return 0;
}

int xb_export_docker_archive(xb_store_t *s, const json_t *desc, const char *file, const char *tag,
                             const struct xb_export_opts *opts, char config_digest[XB_DIGEST_LEN],
                             xb_error_t *err)
{
    cleanup_json json_t *mdesc = NULL;
    cleanup_json json_t *manifest = NULL;
    if (xb_store_select_manifest(s, desc, opts ? opts->platform : NULL, &mdesc, &manifest, err) < 0)
        return xb_error_wrap(err, "docker-archive:%s", file);
    const char *repotag = tag;
    if (repotag == NULL && opts != NULL && opts->src_name != NULL &&
        strchr(opts->src_name, '@') == NULL && xb_store_name_valid(opts->src_name))
        repotag = opts->src_name;

    struct docker_ctx c = {s, {NULL, -1, NULL, NULL}, NULL, json_array(), json_object()};
    int r = xb_store_mkdtemp(s, "export", &c.workdir, err);
    if (r >= 0)
        r = xb_tar_out_open(&c.t, file, err);
    if (r >= 0) {
        r = write_archive(&c, mdesc, manifest, repotag, config_digest, err);
        if (r >= 0)
            r = xb_tar_out_commit(&c.t, err);
        else
            xb_tar_out_abort(&c.t);
    }
    if (c.workdir != NULL) {
        xb_error_t e = XB_ERROR_INIT;
        xb_rm_rf(c.workdir, &e);
        xb_error_clear(&e);
        free(c.workdir);
    }
    json_decref(c.layer_files);
    json_decref(c.written);
    return r < 0 ? xb_error_wrap(err, "docker-archive:%s", file) : 0;
}
