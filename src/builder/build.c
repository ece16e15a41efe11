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

void xb_bx_progress(xb_bctx_t *b, const char *fmt, ...)
{
    if (b->o->progress == NULL)
        return;
    char *line = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n >= 0 && b->prefix != NULL) {
        char *l2 = NULL;
        if (asprintf(&l2, "%s%s", b->prefix, line) >= 0) {
            free(line);
            line = l2;
        }
    }
    if (n >= 0) {
        b->o->progress(b->o->progress_ud, line);
        free(line);
    }
}

const char *xb_bx_where(xb_bctx_t *b, const xb_df_instr_t *in, char buf[], size_t n)
{
    snprintf(buf, n, "%s:%d", b->df->path, in ? in->line : 0);
    return buf;
}

static void ctx_free(xb_bctx_t *b)
{
    for (size_t i = 0; i < b->nstages; i++) {
        xb_bstage_t *st = &b->stages[i];
        free(st->name);
        free(st->cache_key);
        if (st->config)
            json_decref(st->config);
        if (st->layers)
            json_decref(st->layers);
        if (st->args)
            json_decref(st->args);
        xb_platform_free(&st->platform);
        if (st->idx.index != NULL)
            xb_centries_free(&st->idx);
    }
    free(b->stages);
    b->stages = NULL;
    b->nstages = 0;
    if (b->ctx_scanned)
        xb_centries_free(&b->ctx);
    b->ctx_scanned = false;
    free(b->ctx_digest);
    b->ctx_digest = NULL;
    free(b->ctx_mask);
    b->ctx_mask = NULL;
    b->ctx_masked = false;
    b->cache_hits = 0;
    b->cache_misses = 0;
    xb_ignore_free(b->ignore);
    b->ignore = NULL;
    if (b->global_args)
        json_decref(b->global_args);
    b->global_args = NULL;
    xb_platform_free(&b->target);
}

static void platform_args(json_t *vars, const char *prefix, const xb_platform_t *p)
{
    char key[32];
    cleanup_free char *full = xb_platform_format(p);
    snprintf(key, sizeof(key), "%sPLATFORM", prefix);
    json_object_set_new(vars, key, json_string(full ? full : ""));
    snprintf(key, sizeof(key), "%sOS", prefix);
    json_object_set_new(vars, key, json_string(p->os ? p->os : ""));
    snprintf(key, sizeof(key), "%sARCH", prefix);
    json_object_set_new(vars, key, json_string(p->arch ? p->arch : ""));
    snprintf(key, sizeof(key), "%sVARIANT", prefix);
    json_object_set_new(vars, key, json_string(p->variant ? p->variant : ""));
}

/* TARGETSTAGE: the --target stage, else the last stage's name, else "default" (BuildKit). */
static const char *target_stage(const xb_bctx_t *b)
{
    if (b->o->target != NULL && b->o->target[0] != '\0')
        return b->o->target;
    const xb_dockerfile_t *df = b->df;
    for (size_t i = df->ninstrs; i-- > 0;)
        if (strcmp(df->instrs[i].keyword, "FROM") == 0)
            return df->instrs[i].nargs >= 3 ? df->instrs[i].args[2] : "default";
    return "default";
}

/* The automatic ARGs: TARGET*, BUILD* platform parts and TARGETSTAGE. */
static json_t *auto_args(xb_bctx_t *b)
{
    json_t *v = json_object();
    platform_args(v, "TARGET", &b->target);
    platform_args(v, "BUILD", &b->host);
    json_object_set_new(v, "TARGETSTAGE", json_string(target_stage(b)));
    return v;
}

/* "target stage X could not be found", with the closest stage name as a hint. */
static int target_missing(const xb_bctx_t *b, xb_error_t *err)
{
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; i < b->nstages && n < 64; i++)
        if (b->stages[i].name != NULL)
            names[n++] = b->stages[i].name;
    const char *hint = n ? xb_suggest(b->o->target, names, n, false) : NULL;
    return xb_error_set(err, XB_ERR_NOT_FOUND, "target stage \"%s\" could not be found%s%s%s",
                        b->o->target, hint ? " (did you mean " : "", hint ? hint : "",
                        hint ? "?)" : "");
}

static int split_stages(xb_bctx_t *b, xb_error_t *err)
{
    xb_dockerfile_t *df = b->df;
    size_t n = 0;
    for (size_t i = 0; i < df->ninstrs; i++)
        if (strcmp(df->instrs[i].keyword, "FROM") == 0)
            n++;
    if (n == 0)
        return xb_error_set(err, XB_ERR_PARSE,
                            "%s: no FROM instruction: dockerfile contains no stages to build",
                            df->path);
    b->stages = calloc(n, sizeof(*b->stages));
    if (b->stages == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    b->nstages = n;
    size_t k = 0;
    cleanup_json json_t *gvars = auto_args(b);
    for (size_t i = 0; i < df->ninstrs; i++) {
        xb_df_instr_t *in = &df->instrs[i];
        if (strcmp(in->keyword, "FROM") == 0) {
            xb_bstage_t *st = &b->stages[k];
            st->b = b;
            st->index = k;
            st->first = i;
            if (k > 0)
                b->stages[k - 1].end = i;
            if (in->nargs >= 3) {
                st->name = strdup(in->args[2]);
                for (size_t j = 0; j < k; j++)
                    if (b->stages[j].name && strcmp(b->stages[j].name, st->name) == 0)
                        return xb_error_set(err, XB_ERR_PARSE, "%s:%d: duplicate stage name %s",
                                            df->path, in->line, st->name);
            }
            st->args = json_object();
            k++;
            continue;
        }
        if (k == 0 && strcmp(in->keyword, "ARG") == 0) {
            /* global ARG */
            for (size_t a = 0; a < in->nargs; a++) {
                const char *w = in->args[a];
                const char *eq = strchr(w, '=');
                cleanup_free char *name = eq ? strndup(w, (size_t)(eq - w)) : strdup(w);
                json_t *over = json_object_get(b->build_args, name);
                json_t *val = NULL;
                if (over != NULL) {
                    val = json_copy(over);
                } else if (eq != NULL) {
                    char *x = NULL;
                    if (xb_bx_expand_vars(b, gvars, eq + 1, &x, err) < 0)
                        return xb_error_wrap(err, "%s:%d: ARG", df->path, in->line);
                    val = json_string(x);
                    free(x);
                } else if (json_object_get(gvars, name) != NULL) {
                    val = json_copy(json_object_get(gvars, name));
                } else {
                    val = json_null();
                }
                json_object_set(gvars, name, val);
                json_object_set_new(b->global_args, name, val);
            }
        }
    }
    b->stages[k - 1].end = df->ninstrs;
    /* automatic platform args are always usable in FROM */
    cleanup_json json_t *auto_v = auto_args(b);
    const char *key;
    json_t *val;
    json_object_foreach(auto_v, key, val)
    {
        if (json_object_get(b->global_args, key) == NULL)
            json_object_set(b->global_args, key, val);
    }
    b->multi_stage = n > 1;
    return 0;
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

static xb_bstage_t *find_target(xb_bctx_t *b, const char *target)
{
    if (target == NULL || target[0] == '\0')
        return &b->stages[b->nstages - 1];
    return xb_bx_stage_find(b, target, b->nstages);
}

/* Builds the target for one platform; fills desc (manifest descriptor with platform). */
/* Removes NAME from the config's Env (--unsetenv, --env NAME-). */
static void unset_env(json_t *config, const char *name, size_t len)
{
    json_t *env = json_object_get(xb_image_config_container(config), "Env");
    for (size_t i = json_array_size(env); i-- > 0;) {
        const char *e = json_string_value(json_array_get(env, i));
        if (e && strncmp(e, name, len) == 0 && e[len] == '=')
            json_array_remove(env, i);
    }
}

/* What the command line adds to the final image only: --label, --env, --unsetenv. */
static int final_config(xb_bctx_t *b, json_t *config, xb_error_t *err)
{
    for (size_t i = 0; i < b->o->nlabels; i++) {
        const char *l = b->o->labels[i];
        const char *eq = strchr(l, '=');
        cleanup_free char *k = eq ? strndup(l, (size_t)(eq - l)) : strdup(l);
        if (xb_image_config_set_label(config, k, eq ? eq + 1 : "", err) < 0)
            return -1;
    }
    for (size_t i = 0; i < b->o->nenv; i++) {
        const char *e = b->o->env[i];
        const char *eq = strchr(e, '=');
        size_t len = eq ? (size_t)(eq - e) : strlen(e);
        if (eq == NULL && len > 1 && e[len - 1] == '-') {
            unset_env(config, e, len - 1);
            continue;
        }
        if (eq == NULL || len == 0)
            return xb_error_set(err, XB_ERR_USAGE, "--env %s: expected NAME=VALUE or NAME-", e);
        cleanup_free char *k = strndup(e, len);
        if (k == NULL || xb_image_config_set_env(config, k, eq + 1, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < b->o->nunsetenv; i++)
        unset_env(config, b->o->unsetenv[i], strlen(b->o->unsetenv[i]));
    return 0;
}

static int build_platform(xb_bctx_t *b, json_t **desc, char config_digest[XB_DIGEST_LEN],
                          xb_error_t *err)
{
    if (split_stages(b, err) < 0)
        return -1;
    xb_bstage_t *st = find_target(b, b->o->target);
    if (st == NULL)
        return target_missing(b, err);
    xb_bx_rcache_mark_final(b, st);
    int jobs = b->o->jobs > 0 ? b->o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs > 1 && b->prefix == NULL && xb_bx_stages_parallel(b, st, jobs, err) < 0)
        return -1;
    if (xb_bx_stage_build(b, st, err) < 0)
        return -1;
    /* --label, --env, --unsetenv, created, commit */
    if (final_config(b, st->config, err) < 0)
        return -1;
    json_t *hist = json_object_get(st->config, "history");
    json_t *last = json_array_get(hist, json_array_size(hist) - 1);
    if (!b->fixed_time && b->cache_misses == 0 && b->cache_hits > 0 &&
        json_is_string(json_object_get(last, "created"))) {
        /* everything came from the cache: the same image as before, byte for byte */
        json_object_set(st->config, "created", json_object_get(last, "created"));
    } else if (xb_image_config_set_created(st->config, b->created, err) < 0) {
        return -1;
    }
    const char *mt = XB_MT_OCI_MANIFEST;
    bool docker = b->o->format != NULL && strcmp(b->o->format, "docker") == 0;
    if (docker) {
        mt = XB_MT_DOCKER_MANIFEST;
        size_t i;
        json_t *l;
        json_array_foreach(st->layers, i, l)
        {
            const char *lmt = xb_json_str(l, "mediaType");
            if (lmt && strcmp(lmt, XB_MT_OCI_LAYER_GZIP) == 0)
                json_object_set_new(l, "mediaType", json_string(XB_MT_DOCKER_LAYER_GZIP));
            else if (lmt && strcmp(lmt, XB_MT_OCI_LAYER_ZSTD) != 0 &&
                     strcmp(lmt, XB_MT_DOCKER_LAYER_GZIP) != 0)
                return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                    "--format docker needs gzip layers (layer type %s)", lmt);
        }
    }
    char digest[XB_DIGEST_LEN];
    int64_t size = 0;
    /* a wasm image: the annotation runwasi and the crun/youki wasm handlers look for (as
     * push-wasm --format image writes it) */
    cleanup_json json_t *ann = b->target.arch && strcmp(b->target.arch, "wasm") == 0
                                   ? json_pack("{s:s}", "module.wasm.image/variant", "compat")
                                   : NULL;
    cleanup_json json_t *dann = NULL;
    if (xb_bx_annotations_apply(b->o->annotations, b->o->nannotations, XB_ANN_MANIFEST, &b->target,
                                &ann, err) < 0 ||
        xb_bx_annotations_apply(b->o->annotations, b->o->nannotations, XB_ANN_MANIFEST_DESC,
                                &b->target, &dann, err) < 0)
        return -1;
    if (xb_bx_rcache_need(b, st->layers, err) < 0 ||
        xb_image_commit(b->store, st->config, st->layers, mt, ann, digest, &size, config_digest,
                        err) < 0)
        return -1;
    *desc = xb_descriptor_new(mt, digest, size, &b->target, dann);
    if (*desc == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

/* --all-platforms: the platforms of the index the target's base image is in the store as. */
static int all_platforms(xb_bctx_t *b, xb_platform_t **plats, size_t *n, xb_error_t *err)
{
    if (xb_platform_copy(&b->target, &b->host, err) < 0)
        return -1;
    b->global_args = json_object();
    int r = split_stages(b, err);
    xb_bstage_t *st = r < 0 ? NULL : find_target(b, b->o->target);
    cleanup_free char *image = NULL;
    for (int hops = 0; r >= 0 && st != NULL && hops < 1000; hops++) {
        free(image);
        image = NULL;
        const xb_df_instr_t *from = &b->df->instrs[st->first];
        if (xb_bx_expand_vars(b, b->global_args, from->args[0], &image, err) < 0) {
            r = -1;
            break;
        }
        xb_bstage_t *dep = xb_bx_stage_find(b, image, st->index);
        if (dep == NULL || dep->name == NULL || strcasecmp(dep->name, image) != 0)
            break;
        st = dep;
    }
    ctx_free(b);
    if (r < 0)
        return -1;
    if (st == NULL)
        return target_missing(b, err);
    if (image == NULL || strcasecmp(image, "scratch") == 0)
        return xb_error_set(err, XB_ERR_INVALID,
                            "--all-platforms: the target's base image is scratch (no platforms "
                            "to take); use --platform");
    cleanup_json json_t *desc = NULL;
    if (xb_store_resolve(b->store, image, &desc, err) < 0)
        return xb_error_wrap(err, "--all-platforms: base image %s", image);
    const char *mt = xb_json_str(desc, "mediaType");
    if (!xb_mt_is_index(mt))
        return xb_error_set(err, XB_ERR_INVALID,
                            "--all-platforms: base image %s is a single-platform image", image);
    cleanup_json json_t *index = NULL;
    if (xb_store_read_json(b->store, xb_json_str(desc, "digest"), &index, err) < 0)
        return -1;
    cleanup_free char *list = xb_index_platforms_string(index);
    if (list == NULL || list[0] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "--all-platforms: %s lists no platforms", image);
    return xb_platform_parse_list(list, plats, n, err);
}

int xb_bx_build_one(xb_bctx_t *b, const xb_platform_t *p, bool several, json_t **desc,
                    char config_digest[XB_DIGEST_LEN], xb_error_t *err)
{
    b->global_args = json_object();
    if (b->global_args == NULL || xb_platform_copy(&b->target, p, err) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (several) {
        cleanup_free char *ps = xb_platform_format(&b->target);
        xb_bx_progress(b, "--> platform %s", ps ? ps : "?");
    }
    int r = build_platform(b, desc, config_digest, err);
    ctx_free(b);
    if (r < 0 && several) {
        cleanup_free char *ps = xb_platform_format(p);
        xb_error_wrap(err, "platform %s", ps ? ps : "?");
    }
    return r;
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

/* The platforms to build: --all-platforms, --platform's list, or this machine's. */
static int target_platforms(xb_bctx_t *b, xb_platform_t **plats, size_t *nplats, xb_error_t *err)
{
    const xb_build_opts_t *o = b->o;
    if (o->all_platforms)
        return all_platforms(b, plats, nplats, err);
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
        if (xb_bx_build_parallel(b, plats, nplats, jobs, descs, err) < 0)
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
    ctx_free(&b);
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
