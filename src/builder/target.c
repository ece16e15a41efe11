/* One platform of a build: the Dockerfile split into stages (build args and the automatic
 * platform args), the target stage built (its dependencies in parallel children), the final
 * config (--label, --env, created) and the image committed; also --all-platforms' list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "builder/annotate.h"
#include "builder/internal.h"
#include "builder/remotecache.h"
#include "dockerfile/ignore.h"
#include "image/image.h"
#include "store/images.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/suggest.h"

void xb_bx_ctx_free(xb_bctx_t *b)
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
int xb_bx_all_platforms(xb_bctx_t *b, xb_platform_t **plats, size_t *n, xb_error_t *err)
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
    xb_bx_ctx_free(b);
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
    xb_bx_ctx_free(b);
    if (r < 0 && several) {
        cleanup_free char *ps = xb_platform_format(p);
        xb_error_wrap(err, "platform %s", ps ? ps : "?");
    }
    return r;
}
