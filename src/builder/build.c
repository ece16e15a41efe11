/* xb_build: options, platforms, stages, commit and tags. */
#include "builder/build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builder/annotate.h"
#include "builder/cacheopts.h"
#include "builder/internal.h"
#include "builder/remotecache.h"
#include "store/images.h"
#include "util/suggest.h"
#include "util/sys.h"
#include "dockerfile/ignore.h"
#include "image/image.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/procpool.h"

void xb_build_opts_init(xb_build_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->timestamp = -1;
    xb_layer_opts_t lo = XB_LAYER_OPTS_INIT;
    o->layer_opts = lo;
    o->pull_policy = XB_PULL_MISSING;
}

void xb_build_result_free(xb_build_result_t *r)
{
    free(r->name);
    if (r->metadata != NULL)
        json_decref(r->metadata);
    memset(r, 0, sizeof(*r));
}

static int load_dockerfile(const xb_build_opts_t *o, xb_dockerfile_t **df, xb_error_t *err)
{
    cleanup_free char *path = NULL;
    if (o->dockerfile != NULL && strcmp(o->dockerfile, "-") == 0) {
        /* -f -: the Dockerfile comes on stdin */
        xb_buf_t in = XB_BUF_INIT;
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
            if (in.len + n > XB_DF_MAX_FILE) {
                xb_buf_free(&in);
                return xb_error_set(err, XB_ERR_INVALID,
                                    "Dockerfile on stdin is larger than %u "
                                    "bytes",
                                    XB_DF_MAX_FILE);
            }
            if (xb_buf_append(&in, chunk, n) < 0) {
                xb_buf_free(&in);
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            }
        }
        int r = xb_dockerfile_parse("Dockerfile", in.data ? in.data : "", in.len, df, err);
        xb_buf_free(&in);
        return r;
    }
    if (o->dockerfile != NULL) {
        if (xb_path_exists(o->dockerfile) || o->dockerfile[0] == '/')
            path = strdup(o->dockerfile);
        else
            path = xb_path_join(o->context_dir, o->dockerfile);
    } else {
        path = xb_path_join(o->context_dir, "Dockerfile");
        /* then Containerfile (buildah) and dockerfile (BuildKit's lower-case fallback) */
        static const char *const alts[] = {"Containerfile", "dockerfile"};
        for (size_t i = 0; path != NULL && !xb_path_exists(path) && i < 2; i++) {
            char *alt = xb_path_join(o->context_dir, alts[i]);
            if (alt != NULL && xb_path_exists(alt)) {
                free(path);
                path = alt;
            } else {
                free(alt);
            }
        }
    }
    if (path == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (!xb_path_exists(path))
        return xb_error_set(err, XB_ERR_NOT_FOUND, "no Dockerfile: %s does not exist", path);
    return xb_dockerfile_load(path, df, err);
}

static int build_args_parse(const xb_build_opts_t *o, json_t *out, xb_error_t *err)
{
    for (size_t i = 0; i < o->nbuild_args; i++) {
        const char *a = o->build_args[i];
        const char *eq = strchr(a, '=');
        if (eq == a)
            return xb_error_set(err, XB_ERR_USAGE, "--build-arg %s: missing name", a);
        if (eq != NULL) {
            cleanup_free char *name = strndup(a, (size_t)(eq - a));
            json_object_set_new(out, name, json_string(eq + 1));
        } else {
            const char *v = xb_env_lookup(o->host_env, a);
            if (v != NULL)
                json_object_set_new(out, a, json_string(v));
        }
    }
    return 0;
}

/* Options checked before anything is built: --annotation, --build-context. */
static int check_opts(const xb_build_opts_t *o, size_t nplats, xb_error_t *err)
{
    unsigned levels = 0;
    if (xb_bx_annotations_check(o->annotations, o->nannotations, &levels, err) < 0)
        return -1;
    if (nplats == 1 && (levels & (XB_ANN_INDEX | XB_ANN_INDEX_DESC)))
        return xb_error_set(err, XB_ERR_USAGE,
                            "--annotation index:/index-descriptor: a single-platform build "
                            "writes no index (build several platforms, or annotate the "
                            "manifest)");
    return xb_bx_named_contexts_check(o, err);
}

/* Sets obj's "annotations" to the --annotation values of level (when there are any). */
static int annotate(const xb_build_opts_t *o, unsigned level, json_t *obj, xb_error_t *err)
{
    json_t *ann = NULL;
    if (xb_bx_annotations_apply(o->annotations, o->nannotations, level, NULL, &ann, err) < 0)
        return -1;
    if (ann != NULL)
        json_object_set_new(obj, "annotations", ann);
    return 0;
}

/* Several platforms: their descriptors in an index (or manifest list), stored; *final its
 * descriptor (new reference). */
static int commit_index(xb_store_t *s, const xb_build_opts_t *o, json_t *descs, json_t **final,
                        xb_error_t *err)
{
    bool docker = o->format != NULL && strcmp(o->format, "docker") == 0;
    const char *mt = docker ? XB_MT_DOCKER_MANIFEST_LIST : XB_MT_OCI_INDEX;
    cleanup_json json_t *index = xb_index_new(mt);
    size_t i;
    json_t *d;
    json_array_foreach(descs, i, d)
    {
        if (xb_index_add(index, d, err) < 0)
            return -1;
    }
    if (annotate(o, XB_ANN_INDEX, index, err) < 0)
        return -1;
    char idig[XB_DIGEST_LEN];
    int64_t isize;
    if (xb_index_commit(s, index, idig, &isize, err) < 0)
        return -1;
    *final = xb_descriptor_new(mt, idig, isize, NULL, NULL);
    return *final ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

/* res->metadata (--metadata-file): BuildKit's keys for the result. */
static void fill_metadata(const xb_build_opts_t *o, json_t *final, json_t *descs,
                          xb_build_result_t *res)
{
    res->metadata =
        json_pack("{s:s,s:s}", "containerimage.digest", res->digest,
                  "containerimage.descriptor.mediaType", xb_json_str(final, "mediaType"));
    if (res->metadata != NULL && res->config_digest[0] != '\0')
        json_object_set_new(res->metadata, "containerimage.config.digest",
                            json_string(res->config_digest));
    if (res->metadata != NULL && res->name != NULL)
        json_object_set_new(res->metadata, "image.name", json_string(res->name));
    if (res->metadata != NULL) {
        json_object_set(res->metadata, "containerimage.descriptor", final);
        json_t *names = json_array();
        for (size_t i = 0; i < o->ntags; i++) {
            cleanup_free char *n = xb_store_normalize_name(o->tags[i]);
            if (n != NULL)
                json_array_append_new(names, json_string(n));
        }
        if (o->ntags == 0 && res->name != NULL)
            json_array_append_new(names, json_string(res->name));
        json_object_set_new(res->metadata, "image.names", names);
        if (res->index)
            json_object_set(res->metadata, "manifests", descs);
    }
}

/* ---- several platforms (--platform a,b --jobs N): one child per platform; each hands back
 * its image descriptor, the parent tags ---- */

struct plat_pool {
    xb_bctx_t *b;
    const xb_platform_t *plats;
    json_t *descs; /* index i -> descriptor, filled as children finish */
};

static int plat_run(size_t i, void *ud, json_t **result, xb_error_t *err)
{
    struct plat_pool *pp = ud;
    cleanup_free char *ps = xb_platform_format(&pp->plats[i]);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "[%s] ", ps ? ps : "?");
    pp->b->prefix = prefix;
    char cfg[XB_DIGEST_LEN] = "";
    return xb_bx_build_one(pp->b, &pp->plats[i], true, result, cfg, err);
}

static int plat_done(size_t i, json_t *desc, void *ud, xb_error_t *err)
{
    struct plat_pool *pp = ud;
    if (xb_descriptor_check(desc, "platform build result", err) < 0)
        return -1;
    return json_array_set(pp->descs, i, desc) == 0
               ? 0
               : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

static void plat_name(size_t i, void *ud, char *buf, size_t len)
{
    struct plat_pool *pp = ud;
    cleanup_free char *ps = xb_platform_format(&pp->plats[i]);
    snprintf(buf, len, "platform %s", ps ? ps : "?");
}

static int build_parallel(xb_bctx_t *b, const xb_platform_t *plats, size_t n, int jobs,
                          json_t *descs, xb_error_t *err)
{
    cleanup_json json_t *slots = json_array();
    for (size_t i = 0; slots && i < n; i++)
        json_array_append_new(slots, json_null());
    if (slots == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    struct plat_pool pp = {b, plats, slots};
    xb_procpool_task_t t = {.run = plat_run, .done = plat_done, .name = plat_name, .ud = &pp};
    if (xb_procpool_run(n, NULL, jobs, b->tmpdir, &t, err) != 0)
        return -1;                   /* platforms do not wait for each other: 1 cannot happen */
    json_array_extend(descs, slots); /* platform order */
    return 0;
}

/* The platforms to build: --all-platforms, --platform's list, or this machine's. */
static int target_platforms(xb_bctx_t *b, xb_platform_t **plats, size_t *nplats, xb_error_t *err)
{
    const xb_build_opts_t *o = b->o;
    if (o->all_platforms)
        return xb_bx_all_platforms(b, plats, nplats, err);
    if (o->platforms != NULL && o->platforms[0] != '\0')
        return xb_platform_parse_list(o->platforms, plats, nplats, err);
    *plats = calloc(1, sizeof(**plats));
    if (*plats == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    *nplats = 1;
    return xb_platform_copy(&(*plats)[0], &b->host, err);
}

/* Builds every platform (in child processes when there are several and jobs allow) and
 * commits the index for several: *final is the descriptor to tag. */
static int build_platforms(xb_bctx_t *b, const xb_platform_t *plats, size_t nplats, json_t *descs,
                           json_t **final, xb_build_result_t *res, xb_error_t *err)
{
    const xb_build_opts_t *o = b->o;
    char config_digest[XB_DIGEST_LEN] = "";
    int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nplats > 1 && jobs > 1) {
        if (build_parallel(b, plats, nplats, jobs, descs, err) < 0)
            return -1;
    } else {
        for (size_t i = 0; i < nplats; i++) {
            json_t *d = NULL;
            if (xb_bx_build_one(b, &plats[i], nplats > 1, &d, config_digest, err) < 0)
                return -1;
            json_array_append_new(descs, d);
        }
    }
    if (nplats == 1) {
        *final = json_incref(json_array_get(descs, 0));
        memcpy(res->config_digest, config_digest, XB_DIGEST_LEN);
        return 0;
    }
    if (commit_index(b->store, o, descs, final, err) < 0)
        return -1;
    res->index = true;
    return annotate(o, XB_ANN_INDEX_DESC, *final, err);
}

/* Tags the result with every -t name, or localhost/xbuild-<digest> without one. */
static int tag_result(xb_store_t *s, const xb_build_opts_t *o, json_t *final,
                      xb_build_result_t *res, xb_error_t *err)
{
    memcpy(res->digest, xb_json_str(final, "digest"), XB_DIGEST_LEN);
    /* descriptors stored in index.json carry no platform for a single manifest reference */
    json_object_del(final, "platform");
    if (o->ntags == 0) {
        char name[64];
        snprintf(name, sizeof(name), "localhost/xbuild-%.12s:latest", xb_digest_hex(res->digest));
        if (xb_store_ref_set(s, name, final, err) < 0)
            return -1;
        res->name = strdup(name);
    }
    for (size_t i = 0; i < o->ntags; i++) {
        cleanup_free char *name = xb_store_normalize_name(o->tags[i]);
        if (name == NULL || xb_store_ref_set(s, name, final, err) < 0)
            return -1;
        if (res->name == NULL)
            res->name = strdup(name);
    }
    return 0;
}

/* The build context's state: the Dockerfile, build args, times and layer options. */
static int ctx_init(xb_bctx_t *b, xb_store_t *s, const xb_build_opts_t *o, xb_dockerfile_t **df,
                    json_t *bargs, xb_error_t *err)
{
    memset(b, 0, sizeof(*b));
    b->store = s;
    b->o = o;
    b->lopts = o->layer_opts;
    int64_t ts = o->timestamp;
    b->created = ts >= 0 ? ts : (int64_t)time(NULL);
    b->fixed_time = ts >= 0;
    if (ts >= 0)
        b->lopts.clamp_mtime = ts;
    if (load_dockerfile(o, df, err) < 0)
        return -1;
    b->df = *df;
    if (build_args_parse(o, bargs, err) < 0)
        return -1;
    b->build_args = bargs;
    return xb_platform_host(&b->host, err);
}

/* One attempt; lookups = false: --cache-from sources serve no hits (the retry). */
static int build_attempt(xb_store_t *s, const xb_build_opts_t *o, bool lookups,
                         xb_build_result_t *res, xb_error_t *err)
{
    memset(res, 0, sizeof(*res));
    if (o->context_dir == NULL || !xb_is_dir(o->context_dir))
        return xb_error_set(err, XB_ERR_NOT_FOUND, "build context %s is not a directory",
                            o->context_dir ? o->context_dir : "(none)");
    xb_bctx_t b;
    cleanup_dockerfile xb_dockerfile_t *df = NULL;
    cleanup_json json_t *bargs = json_object();
    xb_platform_t *plats = NULL;
    size_t nplats = 0;
    int ret = -1;
    cleanup_json json_t *descs = json_array();
    cleanup_json json_t *final = NULL;
    if (ctx_init(&b, s, o, &df, bargs, err) < 0 || target_platforms(&b, &plats, &nplats, err) < 0 ||
        check_opts(o, nplats, err) < 0 || xb_store_mkdtemp(s, "build", &b.tmpdir, err) < 0 ||
        xb_bx_rcache_open(&b, lookups, err) < 0 ||
        build_platforms(&b, plats, nplats, descs, &final, res, err) < 0 ||
        xb_bx_rcache_export(&b, err) < 0 || tag_result(s, o, final, res, err) < 0)
        goto out;
    fill_metadata(o, final, descs, res);
    ret = 0;
out:
    xb_bx_ctx_free(&b);
    xb_bx_rcache_close(&b);
    xb_platform_list_free(plats, nplats);
    xb_platform_free(&b.host);
    if (b.tmpdir != NULL) {
        xb_error_t e2 = XB_ERROR_INIT;
        xb_rm_rf(b.tmpdir, &e2);
        xb_error_clear(&e2);
        free(b.tmpdir);
    }
    return ret;
}

int xb_build(xb_store_t *s, const xb_build_opts_t *o, xb_build_result_t *res, xb_error_t *err)
{
    int r = build_attempt(s, o, true, res, err);
    bool required = false;
    for (size_t i = 0; o->remote_cache != NULL && i < o->remote_cache->nfrom; i++)
        required = required || o->remote_cache->from[i].required;
    if (r < 0 && err->code == XB_ERR_CACHE && !required) {
        /* a reused layer could not be had (or did not match its digest): nothing unverified
         * was kept; the steps run again, the local cache keeps what this attempt built */
        xb_warn("%s; building again without --cache-from hits", err->msg);
        xb_error_clear(err);
        xb_build_result_free(res);
        r = build_attempt(s, o, false, res, err);
    }
    return r;
}
