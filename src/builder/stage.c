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

xb_bstage_t *xb_bx_stage_find(xb_bctx_t *b, const char *ref, size_t before)
{
    if (ref == NULL || ref[0] == '\0')
        return NULL;
    for (size_t i = 0; i < before && i < b->nstages; i++)
        if (b->stages[i].name != NULL && strcasecmp(b->stages[i].name, ref) == 0)
            return &b->stages[i];
    bool digits = true;
    for (const char *p = ref; *p; p++)
        if (!isdigit((unsigned char)*p))
            digits = false;
    if (digits && strlen(ref) < 6) {
        size_t i = (size_t)atoi(ref);
        if (i < before && i < b->nstages)
            return &b->stages[i];
    }
    return NULL;
}

/* Pull flags for FROM: a Dockerfile with RUN steps will need the layers extracted, so that
 * happens while they download. */
static int pull_flags(const xb_bctx_t *b)
{
    if (b->o->copy_snapshotter)
        return 0;
    for (size_t i = 0; i < b->df->ninstrs; i++)
        if (strcmp(b->df->instrs[i].keyword, "RUN") == 0)
            return XB_PULL_EXTRACT;
    return 0;
}

int xb_bx_image_load(xb_bctx_t *b, const char *ref, const xb_platform_t *p, json_t **config,
                     json_t **layers, xb_error_t *err)
{
    cleanup_json json_t *desc = NULL;
    int policy = b->o->pull_policy;
    xb_error_t e = XB_ERROR_INIT;
    int r = -1;
    if (policy != XB_PULL_ALWAYS)
        r = xb_store_resolve(b->store, ref, &desc, &e);
    if (r < 0) {
        if (r < 0 && e.code != 0 && e.code != XB_ERR_NOT_FOUND) {
            xb_error_move(err, &e);
            return -1;
        }
        xb_error_clear(&e);
        if (policy == XB_PULL_NEVER)
            return xb_error_set(err, XB_ERR_NOT_FOUND, "image %s not found in the local store",
                                ref);
        if (xb_registry_pull(b->store, ref, p, policy | pull_flags(b), b->o->registry, &desc, err) <
            0)
            return xb_error_wrap(err, "pulling %s", ref);
    }
    cleanup_image xb_image_t *img = NULL;
    if (xb_image_load(b->store, desc, p, &img, err) < 0) {
        /* a local image of another platform: try pulling the right one */
        if (err->code == XB_ERR_NOT_FOUND && policy == XB_PULL_MISSING) {
            json_decref(desc);
            desc = NULL;
            xb_error_t local = XB_ERROR_INIT;
            xb_error_move(&local, err);
            if (xb_registry_pull(b->store, ref, p, policy | pull_flags(b), b->o->registry, &desc,
                                 err) < 0 ||
                xb_image_load(b->store, desc, p, &img, err) < 0) {
                /* say first why the local image did not do: usually a missing --platform */
                cleanup_free char *want = xb_platform_format(p);
                xb_error_wrap(err,
                              "%s (use --platform to build for the local image's platform); "
                              "pulling %s for %s failed",
                              local.msg ? local.msg : "local image unusable", ref,
                              want ? want : "this platform");
                xb_error_clear(&local);
                return xb_error_wrap(err, "image %s", ref);
            }
            xb_error_clear(&local);
        } else {
            return xb_error_wrap(err, "image %s", ref);
        }
    }
    *config = json_deep_copy(img->config);
    *layers = json_deep_copy(xb_image_layers(img));
    if (*layers == NULL)
        *layers = json_array();
    return 0;
}

int xb_bx_add_history(xb_bstage_t *st, const char *created_by, xb_error_t *err)
{
    return xb_image_config_add_history(st->config, st->b->created, created_by, NULL, err);
}

int xb_bx_add_layer(xb_bstage_t *st, const xb_layer_result_t *res, const char *created_by,
                    xb_error_t *err)
{
    json_t *d = xb_descriptor_new(res->media_type, res->digest, res->size, NULL, NULL);
    if (d == NULL || json_array_append_new(st->layers, d) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_image_config_add_layer(st->config, res->diff_id, st->b->created, created_by, NULL, err) <
        0)
        return -1;
    if (st->idx_valid) {
        xb_error_t e = XB_ERROR_INIT;
        if (xb_rootfs_apply_layer(&st->idx, st->b->store, d, NULL, NULL, &e) < 0) {
            st->idx_valid = false;
            xb_error_clear(&e);
        }
    }
    return 0;
}

int xb_bx_stage_index(xb_bstage_t *st, xb_error_t *err)
{
    if (st->idx_valid)
        return 0;
    if (st->idx.index != NULL)
        xb_centries_free(&st->idx);
    xb_centries_init(&st->idx);
    const json_t *diff_ids = json_object_get(json_object_get(st->config, "rootfs"), "diff_ids");
    if (xb_bx_rcache_need(st->b, st->layers, err) < 0 ||
        xb_rootfs_build_index(&st->idx, st->b->store, st->layers, diff_ids, err) < 0)
        return -1;
    st->idx_valid = true;
    return 0;
}

size_t xb_bx_entry_xattrs(const xb_centry_t *e, int fd, unsigned char cap[XB_BX_CAP_MAX],
                          xb_xattr_t out[XB_CENTRY_MAX_XATTRS + 1])
{
    size_t n = 0;
    if (e->hardlink) {
        /* nothing */
    } else if (e->nxattrs > 0) {
        for (size_t i = 0; i < e->nxattrs && n < XB_CENTRY_MAX_XATTRS; i++, n++) {
            out[n].name = e->xattrs[i].name;
            out[n].value = e->xattrs[i].value;
            out[n].len = e->xattrs[i].len;
        }
    } else if (S_ISREG(e->mode) && (fd >= 0 || e->src != NULL)) {
        /* file capabilities travel with the file (setcap'd binaries in the context) */
        ssize_t capn = fd >= 0 ? fgetxattr(fd, "security.capability", cap, XB_BX_CAP_MAX)
                               : lgetxattr(e->src, "security.capability", cap, XB_BX_CAP_MAX);
        if (capn > 0) {
            out[n].name = "security.capability";
            out[n].value = cap;
            out[n++].len = (size_t)capn;
        }
    }
    out[n].name = NULL;
    return n;
}

int xb_bx_write_layer(xb_bctx_t *b, const xb_centries_t *ents, xb_layer_result_t *res,
                      xb_error_t *err)
{
    cleanup_layer_writer xb_layer_writer_t *w = NULL;
    if (xb_layer_writer_new(b->store, &b->lopts, &w, err) < 0)
        return -1;
    for (size_t i = 0; i < ents->n; i++) {
        const xb_centry_t *e = &ents->v[i];
        struct stat st;
        memset(&st, 0, sizeof(st));
        st.st_mode = e->mode;
        st.st_uid = e->uid;
        st.st_gid = e->gid;
        st.st_mtim.tv_sec = e->mtime;
        st.st_rdev = e->rdev;
        if (e->hardlink) {
            st.st_mode = S_IFREG | (e->mode & 07777);
            if (xb_layer_writer_add(w, e->path, &st, -1, NULL, e->link, NULL, err) < 0)
                return -1;
            continue;
        }
        if (S_ISREG(e->mode) && e->src == NULL && e->data == NULL && e->len > 0)
            return xb_error_set(
                err, XB_ERR_INTERNAL,
                "no content for /%s (a hard link into an earlier layer, outside the copied path)",
                e->path);
        if (S_ISREG(e->mode) && e->src == NULL && (e->nxattrs == 0 || e->len > 0)) {
            if (xb_layer_writer_add_data(w, e->path, e->data ? e->data : "", e->len,
                                         e->mode & 07777, e->uid, e->gid, e->mtime, err) < 0)
                return -1;
            continue;
        }
        cleanup_close int fd = -1;
        if (S_ISREG(e->mode) && e->src != NULL) {
            fd = xb_centry_open(e, err);
            struct stat fst;
            if (fd < 0)
                return -1;
            if (fstat(fd, &fst) < 0)
                return xb_error_errno(err, errno, "stat %s", e->src);
            st.st_size = fst.st_size;
        }
        unsigned char cap[XB_BX_CAP_MAX];
        xb_xattr_t xattrs[XB_CENTRY_MAX_XATTRS + 1];
        size_t nx = xb_bx_entry_xattrs(e, fd, cap, xattrs);
        if (xb_layer_writer_add(w, e->path, &st, fd, S_ISLNK(e->mode) ? e->link : NULL, NULL,
                                nx > 0 ? xattrs : NULL, err) < 0)
            return -1;
    }
    return xb_layer_writer_finish(w, res, err);
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
        json_object_del(st->config, "created");
        cleanup_free char *ps = xb_platform_format(&st->platform);
        cleanup_free char *cfg = xb_json_dump(st->config);
        char cd[XB_DIGEST_LEN];
        xb_digest_buf(cfg ? cfg : "", cfg ? strlen(cfg) : 0, cd);
        cleanup_json json_t *kd = json_pack("{s:s,s:s,s:O,s:s}", "image", named, "config", cd,
                                            "layers", st->layers, "platform", ps);
        if (kd == NULL || xb_bx_cache_chain(st, "from", kd, err) < 0)
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
        if (xb_bx_scratch_config(&st->platform, &st->config, err) < 0)
            return -1;
        st->layers = json_array();
        cleanup_free char *ps = xb_platform_format(&st->platform);
        cleanup_json json_t *kd = json_pack("{s:s,s:s}", "image", "scratch", "platform", ps);
        if (kd == NULL || xb_bx_cache_chain(st, "from", kd, err) < 0)
            return -1;
    } else {
        if (xb_bx_image_load(b, image, &st->platform, &st->config, &st->layers, err) < 0)
            return xb_error_wrap(err, "%s: FROM %s", where, image);
        json_object_del(st->config, "created");
        cleanup_free char *ps = xb_platform_format(&st->platform);
        cleanup_free char *cfg = xb_json_dump(st->config);
        char cd[XB_DIGEST_LEN];
        xb_digest_buf(cfg ? cfg : "", cfg ? strlen(cfg) : 0, cd);
        cleanup_json json_t *kd = json_pack("{s:s,s:s,s:O,s:s}", "image", image, "config", cd,
                                            "layers", st->layers, "platform", ps);
        if (kd == NULL || xb_bx_cache_chain(st, "from", kd, err) < 0)
            return -1;
        /* ONBUILD triggers of the base image run now (issue 5), then are cleared */
    }
    if (st->config == NULL || st->layers == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

static int run_onbuild(xb_bstage_t *st, const xb_df_instr_t *from, xb_error_t *err);

static int do_instr(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    const char *k = in->keyword;
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
