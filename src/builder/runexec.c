/* RUN: hands the step to the run module (xb_run_step). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cache.h"
#include "builder/context.h"
#include "builder/internal.h"
#include "builder/rootfs.h"
#include "run/runopts.h"
#include "run/step.h"
#include "store/store.h"
#include "util/fs.h"
#include "builder/remotecache.h"
#include "image/image.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"
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

/* Digest of what a --mount=from=STAGE,source=DIR shows: the content below DIR in the stage,
 * so a change elsewhere in that stage keeps the step cached (BuildKit keys the mount by it). */
static int stage_subtree_digest(xb_bctx_t *b, xb_bstage_t *dep, const char *dir,
                                char out[XB_DIGEST_LEN], xb_error_t *err)
{
    cleanup_free char *work = NULL;
    if (xb_store_mkdtemp(b->store, "mnt", &work, err) < 0)
        return -1;
    xb_centries_t idx;
    xb_centries_init(&idx);
    int r = xb_rootfs_build(&idx, b->store, dep->layers, dir, work, err);
    xb_centry_t *e = NULL;
    cleanup_free char *real = r == 0 ? xb_rootfs_resolve(&idx, dir, true, &e) : NULL;
    if (r == 0)
        r = xb_bx_entries_digest(&idx, real ? real : dir, out, err);
    xb_centries_free(&idx);
    xb_error_t e2 = XB_ERROR_INIT;
    (void)xb_rm_rf(work, &e2);
    xb_error_clear(&e2);
    return r;
}

static int stage_lookup(void *ud, const char *ref, json_t **layers, json_t **diff_ids,
                        xb_error_t *err)
{
    xb_bstage_t *st = ud;
    xb_bctx_t *b = st->b;
    const char *named = xb_bx_named_context(b, ref);
    if (named != NULL) { /* --build-context: an image (a directory cannot be mounted yet) */
        cleanup_json json_t *ncfg = NULL;
        if (strstr(named, "://") == NULL)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "--mount from=%s: the build context %s is a directory; mounting "
                                "a directory context is not supported yet",
                                ref, named);
        if (xb_bx_named_image(b, named, &st->platform, &ncfg, layers, err) < 0)
            return -1;
        *diff_ids = json_incref(json_object_get(json_object_get(ncfg, "rootfs"), "diff_ids"));
        return 0;
    }
    xb_bstage_t *dep = xb_bx_stage_find(b, ref, st->index);
    if (dep != NULL) {
        if (xb_bx_stage_built(dep, ref, err) < 0)
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

/* The whiteouts that hide the .dockerignore'd context from RUN --mount=type=bind (BuildKit
 * mounts the filtered context): made once per build, none when nothing is ignored. */
static int context_mask(xb_bctx_t *b, xb_error_t *err)
{
    if (b->ctx_masked)
        return 0;
    if (xb_bx_context_index(b, err) < 0)
        return -1;
    cleanup_free char *dir = xb_path_join(b->tmpdir, "ctxmask-XXXXXX");
    if (dir == NULL || mkdtemp(dir) == NULL)
        return xb_error_errno(err, errno, "cannot create a directory under %s", b->tmpdir);
    size_t n = 0;
    if (xb_context_mask(b->o->context_dir, &b->ctx, dir, &n, err) < 0)
        return xb_error_wrap(err, "RUN --mount=type=bind of the build context");
    b->ctx_masked = true;
    if (n > 0)
        b->ctx_mask = steal_pointer(&dir);
    return 0;
}

/* The command line's RUN settings in the step's cache key (NULL when there are none, so keys
 * of builds without them stay as they were). */
static json_t *run_opts_key(const xb_run_opts_t *o)
{
    if (o == NULL)
        return NULL;
    json_t *a = json_array();
    const struct {
        const char *name;
        const char *const *v;
    } lists[] = {{"add-host", o->add_hosts},
                 {"ulimit", o->ulimits},
                 {"volume", o->volumes},
                 {"cap-add", o->cap_add},
                 {"cap-drop", o->cap_drop}};
    for (size_t l = 0; a && l < sizeof lists / sizeof lists[0]; l++)
        for (size_t i = 0; lists[l].v && lists[l].v[i]; i++)
            json_array_append_new(a, json_sprintf("%s=%s", lists[l].name, lists[l].v[i]));
    if (a && o->no_new_privileges)
        json_array_append_new(a, json_string("no-new-privileges"));
    if (a && o->seccomp_unconfined)
        json_array_append_new(a, json_string("seccomp=unconfined"));
    if (json_array_size(a) == 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* The command RUN runs: exec form as written, else the shell (SHELL or /bin/sh -c) with the
 * command line or heredoc; *script: a heredoc with a shebang, run as a file. */
static int run_argv(xb_bstage_t *st, const xb_df_instr_t *in, json_t *argv,
                    const xb_df_heredoc_t **script, xb_error_t *err)
{
    *script = NULL;
    if (in->json) {
        for (size_t i = 0; i < in->nargs; i++)
            json_array_append_new(argv, json_string(in->args[i]));
        return 0;
    }
    xb_bx_shell(st, argv);
    const char *cmd = in->nargs > 0 ? in->args[0] : in->raw;
    const xb_df_heredoc_t *hd = in->nheredocs > 0 ? xb_df_heredoc_for_arg(in, cmd) : NULL;
    if (hd != NULL && strncmp(hd->content, "#!", 2) == 0) {
        /* RUN <<EOF with a shebang: a file the shell runs, so its interpreter reads it */
        char *path = NULL;
        if (asprintf(&path, "/dev/pipes/%s", hd->name) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        json_array_append_new(argv, json_string(path));
        free(path);
        *script = hd;
    } else if (hd != NULL) {
        /* RUN <<EOF: the heredoc is the script */
        json_array_append_new(argv, json_string(hd->content));
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
    return 0;
}

/* The step's environment: ARGs in scope, then Env (Env wins) into envj (the cache key's);
 * envrun adds BuildKit's predefined proxy args, which reach RUN without an ARG line, in both
 * spellings, and stay out of the cache key: a changed proxy alone reuses the step. */
static void run_env(xb_bstage_t *st, json_t *envj, json_t *envrun)
{
    cleanup_json json_t *vars = xb_bx_vars(st);
    const char *k;
    json_t *v;
    json_object_foreach(vars, k, v)
    {
        json_array_append_new(envj, json_sprintf("%s=%s", k, json_string_value(v)));
        json_array_append_new(envrun, json_sprintf("%s=%s", k, json_string_value(v)));
    }
    static const char *const proxies[][2] = {{"HTTP_PROXY", "http_proxy"},
                                             {"HTTPS_PROXY", "https_proxy"},
                                             {"FTP_PROXY", "ftp_proxy"},
                                             {"NO_PROXY", "no_proxy"},
                                             {"ALL_PROXY", "all_proxy"}};
    json_t *args = st->b->build_args;
    for (size_t i = 0; i < sizeof proxies / sizeof *proxies; i++) {
        json_t *pv = json_object_get(args, proxies[i][0]);
        if (!json_is_string(pv))
            pv = json_object_get(args, proxies[i][1]);
        for (int c = 0; c < 2 && json_is_string(pv); c++)
            if (json_object_get(vars, proxies[i][c]) == NULL)
                json_array_append_new(envrun,
                                      json_sprintf("%s=%s", proxies[i][c], json_string_value(pv)));
    }
}

/* The --mount specs, expanded (from= may not use variables). *out: NULL-terminated, caller
 * frees (xb_strvfreep). */
static int run_mounts(xb_bstage_t *st, const xb_df_instr_t *in, const char *where, char ***out,
                      xb_error_t *err)
{
    size_t nm = xb_df_flag_all(in, "mount", NULL, 0);
    cleanup_free const char **raw = calloc(nm + 1, sizeof(char *));
    cleanup_strv char **mounts = calloc(nm + 1, sizeof(char *));
    if (raw == NULL || mounts == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_df_flag_all(in, "mount", raw, nm);
    for (size_t i = 0; i < nm; i++) {
        const char *fr = strstr(raw[i], "from=");
        if (fr != NULL && (fr == raw[i] || fr[-1] == ',') &&
            strcspn(fr + 5, "$") < strcspn(fr + 5, ","))
            return xb_error_set(err, XB_ERR_INVALID,
                                "%s: RUN --mount: 'from' doesn't support variable expansion, "
                                "define alias stage instead (FROM <image> AS <name>)",
                                where);
        if (xb_bx_expand(st, raw[i], &mounts[i], err) < 0)
            return -1;
    }
    *out = steal_pointer(&mounts);
    return 0;
}

/* Appends to ms the state of what mount m shows: a stage's key (or the digest of its
 * source= subtree), the (part of the) context a bind mount reads; nothing for cache, tmpfs,
 * secret and ssh mounts. *ctx_bind: m binds the context. */
static int mount_state(xb_bstage_t *st, const char *m, json_t *ms, bool *ctx_bind, xb_error_t *err)
{
    xb_bctx_t *b = st->b;
    const char *from = strstr(m, "from=");
    cleanup_free char *under = mount_source(m);
    char dg[XB_DIGEST_LEN];
    if (from != NULL && (from == m || from[-1] == ',')) {
        cleanup_free char *f = strndup(from + 5, strcspn(from + 5, ","));
        xb_bstage_t *dep = f ? xb_bx_stage_find(b, f, st->index) : NULL;
        if (dep != NULL && xb_bx_stage_built(dep, m, err) < 0)
            return -1;
        if (dep != NULL && under != NULL && under[0] != '\0') {
            if (stage_subtree_digest(b, dep, under, dg, err) < 0)
                return -1;
            json_array_append_new(ms, json_string(dg));
            return 0;
        }
        json_array_append_new(ms,
                              json_string(dep && dep->cache_key ? dep->cache_key : (f ? f : "")));
        return 0;
    }
    if (strstr(m, "type=cache") != NULL || strstr(m, "type=tmpfs") != NULL ||
        strstr(m, "type=secret") != NULL || strstr(m, "type=ssh") != NULL)
        return 0;
    /* a bind mount of the context: the state of the mounted part of it */
    *ctx_bind = true;
    if (under != NULL && under[0] != '\0') {
        if (xb_bx_context_index(b, err) < 0 || xb_bx_entries_digest(&b->ctx, under, dg, err) < 0)
            return -1;
        json_array_append_new(ms, json_string(dg));
        return 0;
    }
    if (b->ctx_digest == NULL) {
        if (xb_bx_context_index(b, err) < 0 || xb_bx_entries_digest(&b->ctx, NULL, dg, err) < 0)
            return -1;
        b->ctx_digest = strdup(dg);
    }
    json_array_append_new(ms, json_string(b->ctx_digest ? b->ctx_digest : ""));
    return 0;
}

/* One RUN being executed: what its steps share. */
struct run_job {
    xb_bstage_t *st;
    const xb_df_instr_t *in;
    char where[256];
    json_t *argv, *envj, *envrun;
    const xb_df_heredoc_t *script;
    char **mounts;
    bool ctx_bind;
    const char *workdir, *user, *network;
};

/* Chains the step's key (what it runs and what it can read) and applies a hit: 1 hit, 0 miss. */
static int run_cache_lookup(struct run_job *j, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    cleanup_json json_t *ms = json_array();
    for (size_t i = 0; j->mounts[i] != NULL; i++) {
        json_array_append_new(ms, json_string(j->mounts[i]));
        if (mount_state(st, j->mounts[i], ms, &j->ctx_bind, err) < 0)
            return -1;
    }
    cleanup_json json_t *kd =
        json_pack("{s:O,s:O,s:s,s:s,s:O,s:s?,s:s?}", "argv", j->argv, "env", j->envj, "workdir",
                  j->workdir, "user", j->user, "mounts", ms, "network", j->network, "script",
                  j->script ? j->script->content : NULL);
    json_t *ro = run_opts_key(st->b->o->run_opts);
    if (kd != NULL && ro != NULL)
        json_object_set_new(kd, "run-opts", ro);
    cleanup_json json_t *hit = NULL;
    if (kd == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_bx_cache_chain(st, "run", kd, err) < 0)
        return -1;
    int g = xb_bx_cache_get(st, &hit, err);
    if (g != 0)
        return g < 0 || xb_bx_cache_apply(st, hit, err) < 0 ? -1 : 1;
    return 0;
}

/* Runs the step in the run module and adds its layer (or history entry) to the stage. */
static int run_execute(struct run_job *j, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    xb_bctx_t *b = st->b;
    cleanup_strv char **cargv = strv_from_json(j->argv);
    cleanup_strv char **cenv = strv_from_json(j->envrun);
    if (cargv == NULL || cenv == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_bx_rcache_need(b, st->layers, err) < 0 || (j->ctx_bind && context_mask(b, err) < 0))
        return -1;
    xb_run_request_t rq = {
        .store = b->store,
        .platform = &st->platform,
        .layers = st->layers,
        .diff_ids = json_object_get(json_object_get(st->config, "rootfs"), "diff_ids"),
        .argv = cargv,
        .env = cenv,
        .workdir = j->workdir,
        .user = j->user,
        .hostname = NULL,
        .mounts = (const char *const *)j->mounts,
        .network = j->network,
        .context_dir = b->o->context_dir,
        .context_mask = b->ctx_mask,
        .secrets = b->o->secrets,
        .stage_lookup = stage_lookup,
        .stage_lookup_ud = st,
        .layer_opts = &b->lopts,
        .run_opts = b->o->run_opts,
        .script = j->script ? j->script->content : NULL,
        .script_name = j->script ? j->script->name : NULL,
        .where = j->where,
        .host_env = b->o->host_env,
        .install_binfmt = b->o->install_binfmt,
        .binfmt_dir = b->o->binfmt_dir,
        .snapshotter = b->o->snapshotter,
        .search_path = b->o->search_path,
    };
    xb_layer_result_t res;
    bool empty = false;
    if (xb_run_step(&rq, &res, &empty, err) < 0) {
        if (err->msg == NULL || strncmp(err->msg, j->where, strlen(j->where)) != 0)
            xb_error_wrap(err, "%s: RUN", j->where);
        return -1;
    }
    cleanup_free char *by = NULL;
    if (asprintf(&by, "/bin/sh -c %s", j->in->nargs ? j->in->raw : "") < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int ret = empty ? xb_bx_add_history(st, by, err) : xb_bx_add_layer(st, &res, by, err);
    if (ret >= 0)
        xb_bx_cache_put(st,
                        empty ? NULL : json_array_get(st->layers, json_array_size(st->layers) - 1),
                        empty ? NULL : res.diff_id);
    return ret;
}

int xb_bx_run(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    xb_bctx_t *b = st->b;
    struct run_job j = {.st = st, .in = in};
    xb_bx_where(b, in, j.where, sizeof(j.where));
    json_t *cc = xb_image_config_container(st->config);
    cleanup_json json_t *argv = json_array(), *envj = json_array(), *envrun = json_array();
    cleanup_strv char **mounts = NULL;
    if (argv == NULL || envj == NULL || envrun == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (run_argv(st, in, argv, &j.script, err) < 0)
        return -1;
    run_env(st, envj, envrun);
    if (run_mounts(st, in, j.where, &mounts, err) < 0)
        return -1;
    const char *wd = xb_json_str(cc, "WorkingDir");
    const char *user = xb_json_str(cc, "User");
    const char *net = xb_df_flag_get(in, "network");
    j.argv = argv;
    j.envj = envj;
    j.envrun = envrun;
    j.mounts = mounts;
    j.workdir = wd && wd[0] ? wd : "/";
    j.user = user ? user : "";
    j.network = net ? net : b->o->network;
    int hit = run_cache_lookup(&j, err);
    if (hit != 0)
        return hit < 0 ? -1 : 0;
    return run_execute(&j, err);
}
