/* COPY and ADD instructions: sources from the context, an earlier stage or an image, heredocs
 * and URLs, into one layer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/add.h"
#include "builder/git.h"
#include "builder/cache.h"
#include "builder/chmod.h"
#include "builder/chown.h"
#include "builder/context.h"
#include "builder/copy.h"
#include "builder/internal.h"
#include "builder/remotecache.h"
#include "builder/rootfs.h"
#include "dockerfile/ignore.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static bool ignore_fn(void *ud, const char *rel, bool is_dir)
{
    (void)is_dir;
    return xb_ignore_match(ud, rel);
}

int xb_bx_context_index(xb_bctx_t *b, xb_error_t *err)
{
    if (b->ctx_scanned)
        return 0;
    xb_ignore_free(b->ignore);
    b->ignore = NULL;
    if (xb_ignore_load(b->o->context_dir, b->df->path, &b->ignore, err) < 0)
        return -1;
    bool has_neg = false;
    for (size_t i = 0; i < xb_ignore_count(b->ignore); i++)
        if (xb_ignore_pattern(b->ignore, i)[0] == '!')
            has_neg = true;
    xb_centries_init(&b->ctx);
    b->ctx_scanned = true;
    return xb_context_scan(b->o->context_dir, xb_ignore_count(b->ignore) > 0 ? ignore_fn : NULL,
                           b->ignore, has_neg, &b->ctx, err);
}

struct excl {
    size_t n;
    xb_ignore_t *ig;
};

static bool exclude_fn(void *ud, const char *rel, bool is_dir)
{
    struct excl *x = ud;
    (void)is_dir;
    return xb_ignore_match(x->ig, rel);
}

/* Longest directory prefix shared by the (cleaned) sources before any glob. */
static char *common_prefix(char **srcs, size_t n)
{
    char *pre = NULL;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *c = xb_clean_image_path(srcs[i]);
        if (c == NULL)
            return NULL;
        char *g = strpbrk(c, "*?[");
        if (g != NULL) {
            *g = '\0';
            char *sl = strrchr(c, '/');
            if (sl)
                *sl = '\0';
            else
                c[0] = '\0';
        }
        if (pre == NULL) {
            pre = strdup(c);
            continue;
        }
        size_t k = 0;
        while (pre[k] && pre[k] == c[k])
            k++;
        if (!(pre[k] == '\0' && (c[k] == '\0' || c[k] == '/'))) {
            while (k > 0 && pre[k] != '/')
                k--;
        }
        pre[k] = '\0';
    }
    return pre ? pre : strdup("");
}

/* One COPY/ADD being executed: what its steps share. */
struct copy_job {
    xb_bstage_t *st;
    const xb_df_instr_t *in;
    bool add;
    const char *instr;
    char where[256];
    char *dest;
    char *work;            /* scratch directory (removed at the end) */
    xb_centries_t files;   /* heredocs and downloads */
    xb_centries_t fromidx; /* the tree of a --from source or a Git checkout */
    xb_centries_t out;     /* the planned layer */
    xb_git_checkout_t git;
    char **srcs; /* expanded source paths (not heredocs, URLs or Git) */
    size_t nsrcs;
    const xb_centries_t *tree; /* where srcs are looked up */
    bool from_context;
    xb_bstage_t *dep;   /* --from=<an earlier stage>, or NULL */
    json_t *layers;     /* the --from image's or stage's layers (borrowed), or NULL */
    json_t *img_layers; /* owned layers of a --from image */
    char *chown_str, *chmod_str;
    json_t *exstr; /* expanded, cleaned --exclude patterns */
    struct excl ex;
    char *alias_key;   /* the key from the --from stage's diffIDs (issue 16), or NULL */
    char *content_key; /* the key from the planned entries */
};

/* Chains the COPY/ADD cache key (the expanded instruction, its sources and the digest of the
 * planned entries) and applies a hit: 1 hit, 0 miss, -1 error. The chained key is kept in
 * j->content_key. */
static int cache_lookup(struct copy_job *j, const char *workdir, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    char edig[XB_DIGEST_LEN];
    if (xb_bx_entries_digest(&j->out, NULL, edig, err) < 0)
        return -1;
    cleanup_json json_t *srcj = json_array();
    for (size_t i = 0; i < j->nsrcs; i++)
        json_array_append_new(srcj, json_string(j->srcs[i]));
    cleanup_json json_t *kd = json_pack("{s:s,s:s,s:O,s:s,s:s}", "instr", j->instr, "dest", j->dest,
                                        "srcs", srcj, "workdir", workdir, "entries", edig);
    cleanup_json json_t *hit = NULL;
    if (kd == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_bx_cache_chain(st, "copy", kd, err) < 0)
        return -1;
    free(j->content_key);
    j->content_key = st->cache_key ? strdup(st->cache_key) : NULL;
    int g = xb_bx_cache_get(st, &hit, err);
    if (g != 0)
        return g < 0 || xb_bx_cache_apply(st, hit, err) < 0 ? -1 : 1;
    return 0;
}

/* COPY --from=<stage> (issue 16): a key from the stage's diffIDs and the instruction as
 * expanded, looked up before the stage's layers are read (with --cache-from they may not be
 * in the store). The diffIDs fix every byte of the stage's tree, so this key covers the copied
 * content as the entries' digest does. A hit applies the alias entry written by a build that
 * planned the copy (xb_bx_cache_put_alias). 1 hit, 0 miss (the stage's key is as before). */
static int stage_alias_lookup(struct copy_job *j, const char *workdir, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    if (j->dep == NULL || st->cache_key == NULL || !xb_bx_cache_enabled(st))
        return 0;
    char fdig[XB_DIGEST_LEN];
    if (xb_bx_entries_digest(&j->files, NULL, fdig, err) < 0)
        return -1;
    cleanup_json json_t *srcj = json_array(), *flags = json_array();
    for (size_t i = 0; i < j->nsrcs; i++)
        json_array_append_new(srcj, json_string(j->srcs[i]));
    for (size_t i = 0; i < j->in->nflags; i++)
        json_array_append_new(flags,
                              json_pack("[s,s?]", j->in->flags[i].name, j->in->flags[i].value));
    json_t *ids = json_object_get(json_object_get(j->dep->config, "rootfs"), "diff_ids");
    cleanup_json json_t *kd = json_pack(
        "{s:s,s:s,s:O,s:s,s:O,s:O,s:s?,s:s?,s:O,s:s}", "instr", j->instr, "dest", j->dest, "srcs",
        srcj, "workdir", workdir, "flags", flags, "from_diff_ids", ids ? ids : json_null(), "chown",
        j->chown_str, "chmod", j->chmod_str, "exclude", j->exstr, "files", fdig);
    if (kd == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *saved = strdup(st->cache_key);
    if (saved == NULL || xb_bx_cache_chain(st, "copy-from-stage", kd, err) < 0)
        return saved ? -1 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    j->alias_key = strdup(st->cache_key);
    cleanup_json json_t *hit = NULL;
    int g = xb_bx_cache_get(st, &hit, err);
    if (g > 0 && json_object_get(hit, "chain") != NULL) {
        free(j->alias_key); /* nothing to record: the entry is there */
        j->alias_key = NULL;
        return xb_bx_cache_apply(st, hit, err) < 0 ? -1 : 1;
    }
    free(st->cache_key); /* a miss: the step keys on its content as before */
    st->cache_key = saved;
    saved = NULL;
    return g < 0 ? -1 : 0;
}

/* One heredoc source as a file entry. */
static int heredoc_file(struct copy_job *j, const xb_df_heredoc_t *h, xb_error_t *err)
{
    xb_centry_t e = {0};
    e.path = strdup(h->name);
    e.mode = S_IFREG | 0644;
    if (h->expand) {
        if (xb_bx_expand_heredoc(j->st, h->content, &e.data, err) < 0) {
            free(e.path);
            return xb_error_wrap(err, "%s: %s", j->where, j->instr);
        }
    } else {
        e.data = strdup(h->content);
    }
    e.len = e.data ? strlen(e.data) : 0;
    e.mtime = j->st->b->created;
    if (xb_centries_put(&j->files, &e) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

/* ADD <git url>: the checkout's content is the one source, copied into the destination. */
static int git_source(struct copy_job *j, const char *url, xb_error_t *err)
{
    if (j->in->nargs != 2 || j->git.dir != NULL)
        return xb_error_set(err, XB_ERR_INVALID,
                            "%s: ADD %s: a Git repository must be ADD's only source", j->where,
                            url);
    if (xb_git_fetch(url, j->work, xb_df_flag_bool(j->in, "keep-git-dir", false), &j->git, err) < 0)
        return xb_error_wrap(err, "%s", j->where);
    if ((j->srcs[j->nsrcs] = strdup(".")) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    j->nsrcs++;
    return 0;
}

/* ADD <http(s) url>: downloaded into the scratch directory, a file entry. */
static int url_source(struct copy_job *j, const char *url, xb_error_t *err)
{
    xb_bctx_t *b = j->st->b;
    xb_centry_t e = {0};
    const char *ck = xb_df_flag_get(j->in, "checksum");
    cleanup_free char *cks = NULL;
    if (ck != NULL && xb_bx_expand(j->st, ck, &cks, err) < 0)
        return -1;
    if (xb_add_download(url, cks, j->work, b->created, b->o->registry, &e, err) < 0)
        return xb_error_wrap(err, "%s", j->where);
    if (xb_centries_put(&j->files, &e) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

/* Every argument but the destination: heredocs, Git and URL sources, paths (j->srcs). */
static int collect_sources(struct copy_job *j, xb_error_t *err)
{
    const xb_df_instr_t *in = j->in;
    for (size_t i = 0; i + 1 < in->nargs; i++) {
        const xb_df_heredoc_t *h = xb_df_heredoc_for_arg(in, in->args[i]);
        if (h != NULL) {
            if (heredoc_file(j, h, err) < 0)
                return -1;
            continue;
        }
        cleanup_free char *s = NULL;
        if (xb_bx_expand(j->st, in->args[i], &s, err) < 0)
            return xb_error_wrap(err, "%s: %s", j->where, j->instr);
        if (j->add && xb_git_is_url(s)) {
            if (git_source(j, s, err) < 0)
                return -1;
        } else if (j->add && xb_add_is_url(s)) {
            if (url_source(j, s, err) < 0)
                return -1;
        } else {
            j->srcs[j->nsrcs++] = s;
            s = NULL;
        }
    }
    if (xb_df_flag_get(in, "checksum") != NULL && j->nsrcs > 0)
        return xb_error_set(err, XB_ERR_INVALID,
                            "%s: ADD --checksum requires HTTP(S) or Git sources (not a path in "
                            "the context or a stage)",
                            j->where);
    return 0;
}

/* --from=NAME: a --build-context, an earlier stage (built now) or an image. Sets j->tree for a
 * directory, else j->layers (read later by source_tree). */
static int resolve_from(struct copy_job *j, const char *from, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    xb_bctx_t *b = st->b;
    cleanup_free char *f = NULL;
    if (strpbrk(from, "$\\'\"") != NULL)
        return xb_error_set(err, XB_ERR_INVALID,
                            "%s: %s --from=%s: variable expansion is not supported for --from, "
                            "define a new stage with FROM using ARG from global scope as a "
                            "workaround",
                            j->where, j->instr, from);
    if (xb_bx_expand(st, from, &f, err) < 0)
        return -1;
    j->from_context = false;
    const char *named = xb_bx_named_context(b, f);
    xb_bstage_t *dep = named ? NULL : xb_bx_stage_find(b, f, st->index);
    cleanup_json json_t *cfg = NULL;
    if (named != NULL && strstr(named, "://") == NULL) {
        /* a directory: its files, as the build context's (no .dockerignore) */
        if (xb_context_scan(named, NULL, NULL, false, &j->fromidx, err) < 0)
            return -1;
        j->tree = &j->fromidx;
    } else if (named != NULL) {
        if (xb_bx_named_image(b, named, &st->platform, &cfg, &j->img_layers, err) < 0)
            return xb_error_wrap(err, "%s: %s --from=%s (--build-context)", j->where, j->instr, f);
        j->layers = j->img_layers;
    } else if (dep != NULL) {
        if (xb_bx_stage_built(dep, j->where, err) < 0)
            return -1;
        j->dep = dep;
        j->layers = dep->layers;
    } else {
        if (xb_bx_stage_find(b, f, b->nstages) != NULL)
            return xb_error_set(err, XB_ERR_INVALID,
                                "%s: %s --from=%s: cannot copy from stage \"%s\", it needs to be "
                                "defined before current stage \"%s\"",
                                j->where, j->instr, f, f, st->name ? st->name : "");
        if (xb_bx_image_load(b, f, &st->platform, &cfg, &j->img_layers, err) < 0)
            return xb_error_wrap(err, "%s: %s --from=%s", j->where, j->instr, f);
        j->layers = j->img_layers;
    }
    return 0;
}

/* The tree of a --from image or stage below the sources' common directory (fetching cached
 * layers first). */
static int source_tree(struct copy_job *j, xb_error_t *err)
{
    xb_bctx_t *b = j->st->b;
    cleanup_free char *prefix = common_prefix(j->srcs, j->nsrcs);
    if (prefix == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_bx_rcache_need(b, j->layers, err) < 0 ||
        xb_rootfs_build(&j->fromidx, b->store, j->layers, prefix, j->work, err) < 0)
        return -1;
    /* a source path through a symlink (/sub -> /out/sub): the content is below the link's
     * target, so the tree is read again keeping that */
    xb_centry_t *pe = NULL;
    cleanup_free char *real = prefix[0] ? xb_rootfs_resolve(&j->fromidx, prefix, true, &pe) : NULL;
    if (real != NULL && pe != NULL && strcmp(real, prefix) != 0) {
        xb_centries_free(&j->fromidx);
        xb_centries_init(&j->fromidx);
        if (xb_rootfs_build(&j->fromidx, b->store, j->layers, real, j->work, err) < 0)
            return -1;
    }
    j->tree = &j->fromidx;
    return 0;
}

/* Where the sources come from: a Git checkout, --from, or the build context. */
static int pick_tree(struct copy_job *j, xb_error_t *err)
{
    const char *from = xb_df_flag_get(j->in, "from");
    if (j->git.dir != NULL) {
        /* files of a commit: its committer time, the modes git gives them, owned by root */
        if (xb_context_scan(j->git.dir, NULL, NULL, false, &j->fromidx, err) < 0)
            return -1;
        for (size_t i = 0; i < j->fromidx.n; i++)
            j->fromidx.v[i].mtime = j->git.commit_time;
        xb_bx_progress(j->st->b, "Git %.12s", j->git.commit);
        j->tree = &j->fromidx;
    } else if (from != NULL && j->nsrcs > 0) {
        return resolve_from(j, from, err);
    } else if (j->nsrcs > 0) {
        if (xb_bx_context_index(j->st->b, err) < 0)
            return -1;
        j->tree = &j->st->b->ctx;
    }
    return 0;
}

/* --chown (expanded; names resolved later), --chmod, --exclude: expanded into j and rq. */
static int read_flags(struct copy_job *j, xb_copy_req_t *rq, xb_error_t *err)
{
    const xb_df_instr_t *in = j->in;
    const char *chown = xb_df_flag_get(in, "chown");
    if (chown != NULL && xb_bx_expand(j->st, chown, &j->chown_str, err) < 0)
        return -1;
    const char *chmod = xb_df_flag_get(in, "chmod");
    if (chmod != NULL) {
        bool octal = false;
        if (xb_bx_expand(j->st, chmod, &j->chmod_str, err) < 0 ||
            xb_chmod_parse(j->chmod_str, &octal, &rq->perm, err) < 0)
            return xb_error_wrap(err, "%s: %s", j->where, j->instr);
        rq->chmod = octal;
        rq->chmod_sym = octal ? NULL : j->chmod_str;
    }
    size_t n = xb_df_flag_all(in, "exclude", NULL, 0);
    cleanup_free const char **vals = calloc(n + 1, sizeof(*vals));
    if (vals == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_df_flag_all(in, "exclude", vals, n);
    cleanup_free char *text = NULL;
    size_t tl = 0;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *x = NULL;
        if (xb_bx_expand(j->st, vals[i], &x, err) < 0)
            return -1;
        cleanup_free char *c = xb_clean_image_path(x);
        char *t = realloc(text, tl + (c ? strlen(c) : 0) + 2);
        if (t == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        text = t;
        tl += (size_t)sprintf(text + tl, "%s\n", c ? c : "");
        json_array_append_new(j->exstr, json_string(c ? c : ""));
    }
    if (n > 0 && xb_ignore_parse(text, tl, "--exclude", &j->ex.ig, err) < 0)
        return xb_error_wrap(err, "%s: %s", j->where, j->instr);
    j->ex.n = n;
    return 0;
}

/* The planner's request for j (rq's chmod fields already set by read_flags). */
static void fill_request(struct copy_job *j, xb_copy_req_t *rq, xb_add_ctx_t *actx)
{
    xb_bctx_t *b = j->st->b;
    json_t *cc = xb_image_config_container(j->st->config);
    const char *wd = xb_json_str(cc, "WorkingDir");
    *actx = (xb_add_ctx_t){j->work,
                           rq->chown,
                           rq->uid,
                           rq->gid,
                           rq->chmod,
                           rq->perm,
                           rq->chmod_sym,
                           b->lopts.clamp_mtime,
                           xb_store_max_layer_size(b->store)};
    /* files (heredocs, downloads) get the chown owner too */
    for (size_t i = 0; rq->chown && i < j->files.n; i++) {
        j->files.v[i].uid = rq->uid;
        j->files.v[i].gid = rq->gid;
    }
    rq->instr = j->instr;
    rq->parents = !j->add && xb_df_flag_bool(j->in, "parents", false);
    rq->src = j->tree;
    rq->from_context = j->from_context;
    rq->srcs = (const char *const *)j->srcs;
    rq->nsrcs = j->nsrcs;
    rq->files = j->files.v;
    rq->nfiles = j->files.n;
    rq->dest = j->dest;
    rq->workdir = wd && wd[0] ? wd : "/";
    rq->exclude = j->ex.n ? exclude_fn : NULL;
    rq->exclude_ud = &j->ex;
    rq->dir_mtime = b->created;
    rq->clamp_mtime = b->lopts.clamp_mtime;
    rq->archive =
        j->add && j->from_context && j->git.dir == NULL && xb_df_flag_bool(j->in, "unpack", true)
            ? xb_add_archive_hook
            : NULL;
    rq->archive_ud = actx;
    rq->unpack_files = j->add && xb_df_flag_get(j->in, "unpack") != NULL &&
                       xb_df_flag_bool(j->in, "unpack", false);
}

/* Plans the layer and looks its key up: 1 hit, 0 planned into j->out (a miss). The key is the
 * digest of what the copy would put into a layer, planned without the image first: the image's
 * state is in the chain already, so a hit needs no index of the parent layers (which means
 * reading them all). Archives to unpack are planned once. */
static int plan_and_lookup(struct copy_job *j, xb_copy_req_t *rq, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    bool keyed = false;
    if (rq->archive == NULL) {
        xb_error_t pe = XB_ERROR_INIT;
        rq->image = NULL;
        int pr = xb_copy_plan(rq, &j->out, &pe);
        xb_error_clear(&pe);
        if (pr >= 0) {
            int hr = cache_lookup(j, rq->workdir, err);
            if (hr != 0)
                return hr;
            keyed = true;
        }
        xb_centries_free(&j->out);
        xb_centries_init(&j->out);
    }
    /* COPY --link (without --chmod, as BuildKit's merge): the copy is made on an empty root, so
     * the missing directories of the destination are all in the layer with the instruction's
     * owner and mode, and the image's own entries (symlinks on the way, existing directories)
     * play no part. */
    if (!(xb_df_flag_bool(j->in, "link", false) && j->chmod_str == NULL)) {
        if (xb_bx_stage_index(st, err) < 0)
            return -1;
        rq->image = &st->idx;
    }
    if (xb_copy_plan(rq, &j->out, err) < 0)
        return xb_error_wrap(err, "%s", j->where);
    return keyed ? 0 : cache_lookup(j, rq->workdir, err);
}

/* Writes j->out as the stage's new layer and records it in the cache. */
static int commit_layer(struct copy_job *j, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    xb_layer_result_t res;
    cleanup_free char *by = NULL;
    if (xb_bx_write_layer(st->b, &j->out, &res, err) < 0)
        return xb_error_wrap(err, "%s: %s: writing the layer", j->where, j->instr);
    if (asprintf(&by, "/bin/sh -c #(nop) %s", j->in->original) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_bx_add_layer(st, &res, by, err) < 0)
        return -1;
    xb_bx_cache_put(st, json_array_get(st->layers, json_array_size(st->layers) - 1), res.diff_id);
    return 0;
}

/* The steps of a COPY/ADD once the job is set up: 0 done, -1 error. */
static int copy_run(struct copy_job *j, xb_error_t *err)
{
    xb_bstage_t *st = j->st;
    xb_copy_req_t rq;
    xb_add_ctx_t actx;
    memset(&rq, 0, sizeof(rq));
    if (collect_sources(j, err) < 0 || pick_tree(j, err) < 0 || read_flags(j, &rq, err) < 0)
        return -1;
    json_t *cc = xb_image_config_container(st->config);
    const char *wd = xb_json_str(cc, "WorkingDir");
    int hr = stage_alias_lookup(j, wd && wd[0] ? wd : "/", err);
    if (hr != 0)
        return hr < 0 ? -1 : 0;
    if (j->tree == NULL && j->layers != NULL && source_tree(j, err) < 0)
        return -1;
    if (j->chown_str != NULL) {
        if (xb_bx_rcache_need(st->b, st->layers, err) < 0 ||
            xb_chown_resolve(st->b->store, st->layers, j->chown_str, &rq.uid, &rq.gid, err) < 0)
            return xb_error_wrap(err, "%s: %s", j->where, j->instr);
        rq.chown = true;
    }
    fill_request(j, &rq, &actx);
    hr = plan_and_lookup(j, &rq, err);
    if (hr == 0)
        hr = commit_layer(j, err);
    else if (hr > 0)
        hr = 0;
    if (hr == 0 && j->alias_key != NULL) /* the next build finds it by the stage's diffIDs */
        xb_bx_cache_put_alias(st, j->alias_key, j->content_key);
    return hr;
}

int xb_bx_copy(xb_bstage_t *st, const xb_df_instr_t *in, bool add, xb_error_t *err)
{
    xb_bctx_t *b = st->b;
    struct copy_job j = {.st = st, .in = in, .add = add, .instr = add ? "ADD" : "COPY"};
    xb_bx_where(b, in, j.where, sizeof(j.where));
    if (in->nargs < 2)
        return xb_error_set(err, XB_ERR_PARSE, "%s: %s requires at least two arguments", j.where,
                            j.instr);
    if (xb_bx_expand(st, in->args[in->nargs - 1], &j.dest, err) < 0)
        return xb_error_wrap(err, "%s: %s", j.where, j.instr);
    if (j.dest[0] == '\0') { /* BuildKit: an empty destination is the working directory */
        free(j.dest);
        j.dest = strdup("./");
        if (j.dest == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (xb_store_mkdtemp(b->store, "copy", &j.work, err) < 0) {
        free(j.dest);
        return -1;
    }
    xb_centries_init(&j.files);
    xb_centries_init(&j.out);
    xb_centries_init(&j.fromidx);
    j.from_context = true;
    j.srcs = calloc(in->nargs, sizeof(char *));
    j.exstr = json_array();
    int ret = j.srcs == NULL || j.exstr == NULL
                  ? xb_error_set(err, XB_ERR_INTERNAL, "out of memory")
                  : copy_run(&j, err);
    for (size_t i = 0; i < j.nsrcs; i++)
        free(j.srcs[i]);
    free(j.srcs);
    xb_centries_free(&j.files);
    xb_centries_free(&j.out);
    xb_centries_free(&j.fromidx);
    xb_git_checkout_free(&j.git);
    xb_ignore_free(j.ex.ig);
    json_decref(j.exstr);
    json_decref(j.img_layers);
    free(j.chown_str);
    free(j.chmod_str);
    free(j.alias_key);
    free(j.content_key);
    free(j.dest);
    xb_error_t e2 = XB_ERROR_INIT;
    xb_rm_rf(j.work, &e2);
    xb_error_clear(&e2);
    free(j.work);
    return ret;
}
