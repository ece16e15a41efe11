/* Stages: FROM (scratch, a local image, an earlier stage), walking instructions, layers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/internal.h"
#include "builder/remotecache.h"
#include "registry/registry.h"
#include "builder/rootfs.h"
#include "image/image.h"
#include "store/images.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"

/* The first link of a stage on an image: its name, config digest (without "created"),
 * layers and the stage platform. */
static int chain_base(xb_bstage_t *st, const char *image, xb_error_t *err)
{
    json_object_del(st->config, "created");
    cleanup_free char *ps = xb_platform_format(&st->platform);
    cleanup_free char *cfg = xb_json_dump(st->config);
    char cd[XB_DIGEST_LEN];
    xb_digest_buf(cfg ? cfg : "", cfg ? strlen(cfg) : 0, cd);
    cleanup_json json_t *kd = json_pack("{s:s,s:s,s:O,s:s}", "image", image, "config", cd, "layers",
                                        st->layers, "platform", ps);
    if (kd == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return xb_bx_cache_chain(st, "from", kd, err);
}

/* FROM: sets up the stage's config, layers and platform. */
static int do_from(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    xb_bctx_t *b = st->b;
    char where[256];
    xb_bx_where(b, in, where, sizeof(where));
    cleanup_free char *image = NULL;
    if (xb_bx_expand_vars(b, b->global_args, in->args[0], &image, err) < 0)
        return xb_error_wrap(err, "%s: FROM", where);
    const char *pf = xb_df_flag_get(in, "platform");
    if (pf != NULL) {
        cleanup_free char *ps = NULL;
        if (xb_bx_expand_vars(b, b->global_args, pf, &ps, err) < 0)
            return xb_error_wrap(err, "%s: FROM --platform", where);
        if (xb_platform_parse(ps, &st->platform, err) < 0)
            return xb_error_wrap(err, "%s: FROM --platform", where);
    } else if (xb_platform_copy(&st->platform, &b->target, err) < 0) {
        return -1;
    }
    if (image[0] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "%s: FROM: empty image name", where);
    const char *named = xb_bx_named_context(b, image);
    xb_bstage_t *dep = named ? NULL : xb_bx_stage_find(b, image, st->index);
    if (named != NULL) {
        if (xb_bx_named_image(b, named, &st->platform, &st->config, &st->layers, err) < 0)
            return xb_error_wrap(err, "%s: FROM %s (--build-context)", where, image);
        if (chain_base(st, named, err) < 0)
            return -1;
    } else if (dep != NULL && (dep->name != NULL && strcasecmp(dep->name, image) == 0)) {
        if (xb_bx_stage_build(b, dep, err) < 0)
            return -1;
        st->config = json_deep_copy(dep->config);
        st->layers = json_deep_copy(dep->layers);
        xb_platform_free(&st->platform);
        if (xb_platform_copy(&st->platform, &dep->platform, err) < 0)
            return -1;
        if (dep->cache_key)
            st->cache_key = strdup(dep->cache_key);
        /* a stage based on another inherits its ARG state (ENV comes with the config) */
        json_object_update(st->args, dep->args);
        /* ... but not its CMD: an ENTRYPOINT here drops the inherited CMD (BuildKit) */
        st->cmd_set = false;
    } else if (strcasecmp(image, "scratch") == 0) {
        if (xb_image_config_new(&st->platform, -1, &st->config, err) < 0)
            return -1;
        /* BuildKit's empty image: the default PATH (Linux) and WorkingDir / */
        json_t *cc = xb_image_config_container(st->config);
        if (st->platform.os == NULL || strcmp(st->platform.os, "windows") != 0)
            json_object_set_new(cc, "Env",
                                json_pack("[s]", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                                 "/usr/bin:/sbin:/bin"));
        if (xb_image_config_set_string(st->config, "WorkingDir", "/", err) < 0)
            return -1;
        st->layers = json_array();
        cleanup_free char *ps = xb_platform_format(&st->platform);
        cleanup_json json_t *kd = json_pack("{s:s,s:s}", "image", "scratch", "platform", ps);
        if (kd == NULL || xb_bx_cache_chain(st, "from", kd, err) < 0)
            return -1;
    } else {
        if (xb_bx_image_load(b, image, &st->platform, &st->config, &st->layers, err) < 0)
            return xb_error_wrap(err, "%s: FROM %s", where, image);
        if (chain_base(st, image, err) < 0)
            return -1;
        /* ONBUILD triggers of the base image run now (issue 5), then are cleared */
    }
    if (st->config == NULL || st->layers == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

static int run_onbuild(xb_bstage_t *st, const xb_df_instr_t *from, xb_error_t *err);

/* Builds the stage named by ref (an earlier one) unless it is built. */
static int build_named(xb_bstage_t *st, const char *ref, xb_error_t *err)
{
    xb_bstage_t *dep = xb_bx_stage_find(st->b, ref, st->index);
    return dep != NULL && !dep->built ? xb_bx_stage_build(st->b, dep, err) : 0;
}

/* The stages a step reads (COPY/ADD --from=<stage> unless a --build-context of that name
 * overrides it, RUN --mount from=<stage>) are built before the step runs, so the handlers
 * only look them up. Names the handlers refuse (variables) are left to them to report. */
static int build_step_deps(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    const char *f = xb_df_flag_get(in, "from");
    if (f != NULL && strpbrk(f, "$\\'\"") == NULL && xb_bx_named_context(st->b, f) == NULL &&
        build_named(st, f, err) < 0)
        return -1;
    size_t nm = xb_df_flag_all(in, "mount", NULL, 0);
    if (nm == 0)
        return 0;
    cleanup_free const char **raw = calloc(nm, sizeof(*raw));
    if (raw == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_df_flag_all(in, "mount", raw, nm);
    for (size_t i = 0; i < nm; i++) {
        cleanup_free char *m = NULL;
        xb_error_t e = XB_ERROR_INIT;
        if (xb_bx_expand(st, raw[i], &m, &e) < 0) { /* reported by the RUN step */
            xb_error_clear(&e);
            continue;
        }
        const char *p = strstr(m, "from=");
        if (p == NULL || (p != m && p[-1] != ','))
            continue;
        cleanup_free char *name = strndup(p + 5, strcspn(p + 5, ","));
        if (name == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (build_named(st, name, err) < 0)
            return -1;
    }
    return 0;
}

static int do_instr(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    const char *k = in->keyword;
    if (build_step_deps(st, in, err) < 0)
        return -1;
    if (strcmp(k, "COPY") == 0)
        return xb_bx_copy(st, in, false, err);
    if (strcmp(k, "ADD") == 0)
        return xb_bx_copy(st, in, true, err);
    if (strcmp(k, "RUN") == 0)
        return xb_bx_run(st, in, err);
    if (strcmp(k, "ARG") == 0)
        return xb_bx_arg(st, in, err);
    return xb_bx_meta(st, in, err);
}

static int run_onbuild(xb_bstage_t *st, const xb_df_instr_t *from, xb_error_t *err)
{
    json_t *cc = xb_image_config_container(st->config);
    json_t *ob = json_object_get(cc, "OnBuild");
    if (!json_is_array(ob) || json_array_size(ob) == 0) {
        json_object_del(cc, "OnBuild");
        return 0;
    }
    cleanup_json json_t *triggers = json_incref(ob);
    json_object_del(cc, "OnBuild");
    size_t i;
    json_t *t;
    json_array_foreach(triggers, i, t)
    {
        if (!json_is_string(t))
            continue;
        xb_df_instr_t *in = NULL;
        if (xb_df_parse_trigger(json_string_value(t), st->b->df->escape, st->b->df->path,
                                from->line, &in, err) < 0)
            return -1;
        xb_bx_progress(st->b, "ONBUILD %s", json_string_value(t));
        int r = do_instr(st, in, err);
        xb_df_instr_free(in);
        if (r < 0)
            return -1;
    }
    return 0;
}

size_t xb_bx_stage_deps(xb_bctx_t *b, xb_bstage_t *st, xb_bstage_t **out, size_t max)
{
    size_t n = 0;
    const xb_df_instr_t *from = &b->df->instrs[st->first];
    cleanup_free char *image = NULL;
    xb_error_t e = XB_ERROR_INIT;
    if (b->global_args != NULL &&
        xb_bx_expand_vars(b, b->global_args, from->args[0], &image, &e) >= 0) {
        xb_bstage_t *d = xb_bx_stage_find(b, image, st->index);
        if (d != NULL && d->name != NULL && strcasecmp(d->name, image) == 0 && n < max &&
            xb_bx_named_context(b, image) == NULL) /* --build-context overrides the stage */
            out[n++] = d;
    }
    xb_error_clear(&e);
    for (size_t i = st->first + 1; i < st->end; i++) {
        const xb_df_instr_t *in = &b->df->instrs[i];
        const char *vals[40];
        size_t nv = 0;
        const char *f = xb_df_flag_get(in, "from");
        if (f != NULL)
            vals[nv++] = f;
        const char *mounts[32];
        size_t nm = xb_df_flag_all(in, "mount", mounts, 32);
        char names[32][128];
        for (size_t m = 0; m < nm && m < 32; m++) {
            const char *p = strstr(mounts[m], "from=");
            if (p == NULL || (p != mounts[m] && p[-1] != ','))
                continue;
            snprintf(names[m], sizeof(names[m]), "%.*s", (int)strcspn(p + 5, ","), p + 5);
            vals[nv++] = names[m];
        }
        for (size_t k = 0; k < nv; k++) {
            if (strchr(vals[k], '$') != NULL ||
                (k == 0 && f != NULL && xb_bx_named_context(b, f) != NULL))
                continue;
            xb_bstage_t *d = xb_bx_stage_find(b, vals[k], st->index);
            bool seen = false;
            for (size_t j = 0; j < n; j++)
                seen = seen || out[j] == d;
            if (d != NULL && !seen && n < max)
                out[n++] = d;
        }
    }
    return n;
}

int xb_bx_stage_build(xb_bctx_t *b, xb_bstage_t *st, xb_error_t *err)
{
    if (st->built)
        return 0;
    if (st->building)
        return xb_error_set(err, XB_ERR_INVALID, "%s:%d: stage %s depends on itself", b->df->path,
                            b->df->instrs[st->first].line, st->name ? st->name : "?");
    st->building = true;
    /* stages this one names literally (FROM, COPY --from=x, RUN --mount=...,from=x) first, so
     * the progress reads in order; names with variables are resolved when the step runs */
    xb_bstage_t *deps[64];
    size_t nd = xb_bx_stage_deps(b, st, deps, 64);
    for (size_t k = 0; k < nd; k++) {
        if (!deps[k]->built && xb_bx_stage_build(b, deps[k], err) < 0) {
            st->building = false;
            return -1;
        }
    }
    size_t nsteps = st->end - st->first;
    size_t stage_no = st->index + 1;
    b->nstages_built++;
    for (size_t i = st->first; i < st->end; i++) {
        const xb_df_instr_t *in = &b->df->instrs[i];
        if (b->multi_stage)
            xb_bx_progress(b, "[%zu/%zu] STEP %zu/%zu: %s", stage_no, b->nstages, i - st->first + 1,
                           nsteps, in->original);
        else
            xb_bx_progress(b, "STEP %zu/%zu: %s", i - st->first + 1, nsteps, in->original);
        int r;
        if (i == st->first) {
            r = do_from(st, in, err);
            if (r >= 0)
                r = run_onbuild(st, in, err);
        } else {
            r = do_instr(st, in, err);
        }
        if (r < 0) {
            st->building = false;
            /* every error names the Dockerfile line and the instruction */
            size_t pl = strlen(b->df->path);
            size_t kl = strlen(in->keyword);
            if (err->msg != NULL && strncmp(err->msg, b->df->path, pl) == 0 && err->msg[pl] == ':')
                ; /* already placed */
            else if (err->msg != NULL && strncmp(err->msg, in->keyword, kl) == 0 &&
                     (err->msg[kl] == ':' || err->msg[kl] == ' '))
                xb_error_wrap(err, "%s:%d", b->df->path, in->line);
            else
                xb_error_wrap(err, "%s:%d: %s", b->df->path, in->line, in->keyword);
            return -1;
        }
    }
    st->building = false;
    st->built = true;
    return 0;
}
