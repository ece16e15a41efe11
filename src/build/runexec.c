/* RUN: hands the step to the run module (weak xb_run_step). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/cache.h"
#include "build/hooks.h"
#include "build/internal.h"
#include "build/remotecache.h"
#include "image/image.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"

static char **strv_from_json(json_t *a)
{
    size_t n = json_array_size(a);
    char **v = calloc(n + 1, sizeof(char *));
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i] = strdup(json_string_value(json_array_get(a, i)) ?: "");
        if (v[i] == NULL) {
            xb_strvfreep(&v);
            return NULL;
        }
    }
    return v;
}

/* RUN --mount=from=X: an earlier stage (built on demand) or an image. */
/* The context path a bind mount spec reads (source= / src=), cleaned, or NULL (the whole
 * context). Caller frees. */
static char *mount_source(const char *spec)
{
    for (const char *p = spec; p != NULL && *p != '\0';
         p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        size_t kl = strncmp(p, "source=", 7) == 0 ? 7 : strncmp(p, "src=", 4) == 0 ? 4 : 0;
        if (kl > 0) {
            cleanup_free char *v = strndup(p + kl, strcspn(p + kl, ","));
            return v ? xb_clean_image_path(v) : NULL;
        }
    }
    return NULL;
}

static int stage_lookup(void *ud, const char *ref, json_t **layers, json_t **diff_ids,
                        xb_error_t *err)
{
    xb_bstage_t *st = ud;
    xb_bctx_t *b = st->b;
    xb_bstage_t *dep = xb_bx_stage_find(b, ref, st->index);
    if (dep != NULL) {
        if (xb_bx_stage_build(b, dep, err) < 0)
            return -1;
        if (xb_bx_rcache_need(b, dep->layers, err) < 0)
            return -1;
        *layers = json_incref(dep->layers);
        *diff_ids =
            json_incref(json_object_get(json_object_get(dep->config, "rootfs"), "diff_ids"));
        return 0;
    }
    cleanup_json json_t *cfg = NULL;
    if (xb_bx_image_load(b, ref, &st->platform, &cfg, layers, err) < 0)
        return -1;
    *diff_ids = json_incref(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"));
    return 0;
}

int xb_bx_run(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    xb_bctx_t *b = st->b;
    char where[256];
    xb_bx_where(b, in, where, sizeof(where));
    json_t *cc = xb_image_config_container(st->config);
    cleanup_json json_t *argv = json_array();
    if (in->json) {
        for (size_t i = 0; i < in->nargs; i++)
            json_array_append_new(argv, json_string(in->args[i]));
    } else {
        json_t *sh = json_object_get(cc, "Shell");
        if (json_is_array(sh) && json_array_size(sh) > 0) {
            size_t i;
            json_t *v;
            json_array_foreach(sh, i, v) json_array_append(argv, v);
        } else {
            json_array_append_new(argv, json_string("/bin/sh"));
            json_array_append_new(argv, json_string("-c"));
        }
        const char *cmd = in->nargs > 0 ? in->args[0] : in->raw;
        if (in->nheredocs > 0 && xb_df_heredoc_for_arg(in, cmd) != NULL) {
            /* RUN <<EOF: the heredoc is the script */
            json_array_append_new(argv, json_string(xb_df_heredoc_for_arg(in, cmd)->content));
        } else if (in->nheredocs > 0) {
            /* RUN cmd <<EOF ...: the shell gets the command line followed by the here-document
             * bodies and their delimiters, as written */
            xb_buf_t sb = XB_BUF_INIT;
            xb_buf_puts(&sb, cmd);
            xb_buf_putc(&sb, '\n');
            for (size_t h = 0; h < in->nheredocs; h++) {
                xb_buf_puts(&sb, in->heredocs[h].content);
                xb_buf_puts(&sb, in->heredocs[h].name);
                xb_buf_putc(&sb, '\n');
            }
            json_array_append_new(argv, json_string(sb.data ? sb.data : ""));
            xb_buf_free(&sb);
        } else {
            json_array_append_new(argv, json_string(cmd));
        }
    }
    /* environment: ARGs in scope, then Env (Env wins) */
    cleanup_json json_t *vars = xb_bx_vars(st);
    cleanup_json json_t *envj = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(vars, k, v)
    {
        char *kv = NULL;
        if (asprintf(&kv, "%s=%s", k, json_string_value(v)) >= 0) {
            json_array_append_new(envj, json_string(kv));
            free(kv);
        }
    }
    cleanup_strv char **cargv = strv_from_json(argv);
    cleanup_strv char **cenv = strv_from_json(envj);
    /* --mount specs, expanded */
    size_t nm = xb_df_flag_all(in, "mount", NULL, 0);
    const char **raw = calloc(nm + 1, sizeof(char *));
    char **mounts = calloc(nm + 1, sizeof(char *));
    int ret = -1;
    cleanup_free char *by = NULL;
    json_t *diff_ids = NULL; /* borrowed */
    if (cargv == NULL || cenv == NULL || raw == NULL || mounts == NULL) {
        xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        goto out;
    }
    xb_df_flag_all(in, "mount", raw, nm);
    for (size_t i = 0; i < nm; i++)
        if (xb_bx_expand(st, raw[i], &mounts[i], err) < 0)
            goto out;
    const char *net = xb_df_flag_get(in, "network");
    const char *wd = xb_json_str(cc, "WorkingDir");
    const char *user = xb_json_str(cc, "User");
    /* cache key: what the step runs and what it can read */
    {
        cleanup_json json_t *ms = json_array();
        for (size_t i = 0; i < nm; i++) {
            json_array_append_new(ms, json_string(mounts[i]));
            const char *m = mounts[i];
            /* the state of mount sources: a stage's key, or the context */
            const char *from = strstr(m, "from=");
            if (from != NULL && (from == m || from[-1] == ',')) {
                size_t fl = strcspn(from + 5, ",");
                cleanup_free char *f = strndup(from + 5, fl);
                xb_bstage_t *dep = f ? xb_bx_stage_find(b, f, st->index) : NULL;
                if (dep != NULL && xb_bx_stage_build(b, dep, err) < 0)
                    goto out;
                json_array_append_new(
                    ms, json_string(dep && dep->cache_key ? dep->cache_key : (f ? f : "")));
            } else if (strstr(m, "type=cache") == NULL && strstr(m, "type=tmpfs") == NULL &&
                       strstr(m, "type=secret") == NULL && strstr(m, "type=ssh") == NULL) {
                /* a bind mount of the context: the state of the mounted part of it */
                cleanup_free char *under = mount_source(m);
                if (under != NULL && under[0] != '\0') {
                    char cdg[XB_DIGEST_LEN];
                    if (xb_bx_context_index(b, err) < 0 ||
                        xb_bx_entries_digest(&b->ctx, under, cdg, err) < 0)
                        goto out;
                    json_array_append_new(ms, json_string(cdg));
                    continue;
                }
                if (b->ctx_digest == NULL) {
                    char cdg[XB_DIGEST_LEN];
                    if (xb_bx_context_index(b, err) < 0 ||
                        xb_bx_entries_digest(&b->ctx, NULL, cdg, err) < 0)
                        goto out;
                    b->ctx_digest = strdup(cdg);
                }
                json_array_append_new(ms, json_string(b->ctx_digest ? b->ctx_digest : ""));
            }
        }
        cleanup_json json_t *kd =
            json_pack("{s:O,s:O,s:s,s:s,s:O,s:s?}", "argv", argv, "env", envj, "workdir",
                      wd && wd[0] ? wd : "/", "user", user ? user : "", "mounts", ms, "network",
                      net ? net : b->o->network);
        cleanup_json json_t *hit = NULL;
        if (kd == NULL || xb_bx_cache_chain(st, "run", kd, err) < 0)
            goto out;
        int g = xb_bx_cache_get(st, &hit, err);
        if (g != 0) {
            ret = g < 0 ? -1 : xb_bx_cache_apply(st, hit, err);
            goto out;
        }
    }
    if (xb_run_step == NULL) {
        xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: RUN needs the run module", where);
        goto out;
    }
    if (xb_bx_rcache_need(b, st->layers, err) < 0)
        goto out;
    xb_run_request_t rq;
    memset(&rq, 0, sizeof(rq));
    rq.store = b->store;
    rq.platform = &st->platform;
    diff_ids = json_object_get(json_object_get(st->config, "rootfs"), "diff_ids");
    rq.layers = st->layers;
    rq.diff_ids = diff_ids;
    rq.argv = cargv;
    rq.env = cenv;
    rq.workdir = wd && wd[0] ? wd : "/";
    rq.user = user ? user : "";
    rq.hostname = NULL;
    rq.mounts = (const char *const *)mounts;
    rq.network = net ? net : b->o->network;
    rq.context_dir = b->o->context_dir;
    rq.secrets = b->o->secrets;
    rq.stage_lookup = stage_lookup;
    rq.stage_lookup_ud = st;
    rq.layer_opts = &b->lopts;
    rq.where = where;
    xb_layer_result_t res;
    bool empty = false;
    if (xb_run_step(&rq, &res, &empty, err) < 0) {
        if (err->msg == NULL || strncmp(err->msg, where, strlen(where)) != 0)
            xb_error_wrap(err, "%s: RUN", where);
        goto out;
    }
    if (asprintf(&by, "/bin/sh -c %s", in->nargs ? in->raw : "") < 0) {
        xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (empty)
        ret = xb_bx_add_history(st, by, err);
    else
        ret = xb_bx_add_layer(st, &res, by, err);
    if (ret >= 0)
        xb_bx_cache_put(st,
                        empty ? NULL : json_array_get(st->layers, json_array_size(st->layers) - 1),
                        empty ? NULL : res.diff_id);
out:
    free(raw);
    for (size_t i = 0; mounts && i < nm; i++)
        free(mounts[i]);
    free(mounts);
    return ret;
}
