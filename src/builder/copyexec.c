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
    const char **pats;
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

/* Chains the COPY/ADD cache key (the expanded instruction, its sources and the digest of the
 * planned entries) and applies a hit: 1 hit, 0 miss, -1 error. */
static int cache_lookup(xb_bstage_t *st, const char *instr, const char *dest, char **srcs,
                        size_t nsrcs, const char *workdir, const xb_centries_t *ents,
                        xb_error_t *err)
{
    char edig[XB_DIGEST_LEN];
    if (xb_bx_entries_digest(ents, NULL, edig, err) < 0)
        return -1;
    cleanup_json json_t *srcj = json_array();
    for (size_t i = 0; i < nsrcs; i++)
        json_array_append_new(srcj, json_string(srcs[i]));
    cleanup_json json_t *kd = json_pack("{s:s,s:s,s:O,s:s,s:s}", "instr", instr, "dest", dest,
                                        "srcs", srcj, "workdir", workdir, "entries", edig);
    cleanup_json json_t *hit = NULL;
    if (kd == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_bx_cache_chain(st, "copy", kd, err) < 0)
        return -1;
    int g = xb_bx_cache_get(st, &hit, err);
    if (g != 0)
        return g < 0 || xb_bx_cache_apply(st, hit, err) < 0 ? -1 : 1;
    return 0;
}

int xb_bx_copy(xb_bstage_t *st, const xb_df_instr_t *in, bool add, xb_error_t *err)
{
    xb_bctx_t *b = st->b;
    const char *instr = add ? "ADD" : "COPY";
    char where[256];
    xb_bx_where(b, in, where, sizeof(where));
    if (in->nargs < 2)
        return xb_error_set(err, XB_ERR_PARSE, "%s: %s requires at least two arguments", where,
                            instr);
    cleanup_free char *dest = NULL;
    if (xb_bx_expand(st, in->args[in->nargs - 1], &dest, err) < 0)
        return xb_error_wrap(err, "%s: %s", where, instr);
    if (dest[0] == '\0') { /* BuildKit: an empty destination is the working directory */
        free(dest);
        dest = strdup("./");
        if (dest == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    cleanup_free char *work = NULL;
    if (xb_store_mkdtemp(b->store, "copy", &work, err) < 0)
        return -1;
    xb_centries_t files, out, fromidx;
    xb_git_checkout_t git = {0};
    xb_centries_init(&files);
    xb_centries_init(&out);
    xb_centries_init(&fromidx);
    char **srcs = calloc(in->nargs, sizeof(char *));
    size_t nsrcs = 0;
    int ret = -1;
    xb_error_t e2 = XB_ERROR_INIT;
    cleanup_free char *by = NULL;
    cleanup_free char *chmod_str = NULL;
    const char *exvals[256];
    cleanup_json json_t *exstr = json_array();
    struct excl ex = {exvals, 0, NULL};
    if (srcs == NULL) {
        xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i + 1 < in->nargs; i++) {
        const xb_df_heredoc_t *h = xb_df_heredoc_for_arg(in, in->args[i]);
        if (h != NULL) {
            xb_centry_t e = {0};
            e.path = strdup(h->name);
            e.mode = S_IFREG | 0644;
            if (h->expand) {
                if (xb_bx_expand_heredoc(st, h->content, &e.data, err) < 0) {
                    free(e.path);
                    xb_error_wrap(err, "%s: %s", where, instr);
                    goto out;
                }
            } else {
                e.data = strdup(h->content);
            }
            e.len = e.data ? strlen(e.data) : 0;
            e.mtime = b->created;
            if (xb_centries_put(&files, &e) == NULL)
                goto oom;
            continue;
        }
        char *s = NULL;
        if (xb_bx_expand(st, in->args[i], &s, err) < 0) {
            xb_error_wrap(err, "%s: %s", where, instr);
            goto out;
        }
        if (add && xb_git_is_url(s)) {
            /* the checkout's content is the one source, copied into the destination */
            if (in->nargs != 2 || git.dir != NULL) {
                xb_error_set(err, XB_ERR_INVALID,
                             "%s: ADD %s: a Git repository must be ADD's only source", where, s);
                free(s);
                goto out;
            }
            const char *ck = xb_df_flag_get(in, "checksum");
            cleanup_free char *cks = NULL;
            int r = ck != NULL ? xb_bx_expand(st, ck, &cks, err) : 0;
            if (r == 0)
                r = xb_git_fetch(s, work, xb_df_flag_bool(in, "keep-git-dir", false), cks, &git,
                                 err);
            free(s);
            if (r < 0) {
                xb_error_wrap(err, "%s", where);
                goto out;
            }
            srcs[nsrcs++] = strdup(".");
            continue;
        }
        if (add && xb_add_is_url(s)) {
            xb_centry_t e = {0};
            const char *ck = xb_df_flag_get(in, "checksum");
            cleanup_free char *cks = NULL;
            if (ck != NULL && xb_bx_expand(st, ck, &cks, err) < 0) {
                free(s);
                goto out;
            }
            int r = xb_add_download(s, cks, work, b->created, b->o->registry, &e, err);
            free(s);
            if (r < 0) {
                xb_error_wrap(err, "%s", where);
                goto out;
            }
            if (xb_centries_put(&files, &e) == NULL)
                goto oom;
            continue;
        }
        srcs[nsrcs++] = s;
    }
    if (xb_df_flag_get(in, "checksum") != NULL && nsrcs > 0 && git.dir == NULL) {
        xb_error_set(err, XB_ERR_INVALID,
                     "%s: ADD --checksum requires HTTP(S) or Git sources (not a path in the "
                     "context or a stage)",
                     where);
        goto out;
    }
    /* the source tree */
    const xb_centries_t *tree = NULL;
    bool from_context = true;
    const char *from = xb_df_flag_get(in, "from");
    if (git.dir != NULL) {
        /* files of a commit: its committer time, the modes git gives them, owned by root */
        if (xb_context_scan(git.dir, NULL, NULL, false, &fromidx, err) < 0)
            goto out;
        for (size_t i = 0; i < fromidx.n; i++)
            fromidx.v[i].mtime = git.commit_time;
        xb_bx_progress(b, "Git %.12s", git.commit);
        tree = &fromidx;
    } else if (from != NULL && nsrcs > 0) {
        cleanup_free char *f = NULL;
        if (strpbrk(from, "$\\'\"") != NULL) {
            xb_error_set(err, XB_ERR_INVALID,
                         "%s: %s --from=%s: variable expansion is not supported for --from, "
                         "define a new stage with FROM using ARG from global scope as a "
                         "workaround",
                         where, instr, from);
            goto out;
        }
        if (xb_bx_expand(st, from, &f, err) < 0)
            goto out;
        from_context = false;
        const char *named = xb_bx_named_context(b, f);
        xb_bstage_t *dep = named ? NULL : xb_bx_stage_find(b, f, st->index);
        json_t *layers = NULL;
        cleanup_json json_t *img_layers = NULL;
        if (named != NULL && strstr(named, "://") == NULL) {
            /* a directory: its files, its own .dockerignore applied */
            if (xb_bx_named_dir_scan(named, &fromidx, err) < 0)
                goto out;
            tree = &fromidx;
        } else if (named != NULL) {
            cleanup_json json_t *cfg = NULL;
            if (xb_bx_named_image(b, named, &st->platform, &cfg, &img_layers, err) < 0) {
                xb_error_wrap(err, "%s: %s --from=%s (--build-context)", where, instr, f);
                goto out;
            }
            layers = img_layers;
        } else if (dep != NULL) {
            if (xb_bx_stage_build(b, dep, err) < 0)
                goto out;
            layers = dep->layers;
        } else {
            xb_bstage_t *later = xb_bx_stage_find(b, f, b->nstages);
            if (later != NULL) {
                xb_error_set(err, XB_ERR_INVALID,
                             "%s: %s --from=%s: cannot copy from stage \"%s\", it needs to be "
                             "defined before current stage \"%s\"",
                             where, instr, f, f, st->name ? st->name : "");
                goto out;
            }
            cleanup_json json_t *cfg = NULL;
            if (xb_bx_image_load(b, f, &st->platform, &cfg, &img_layers, err) < 0) {
                xb_error_wrap(err, "%s: %s --from=%s", where, instr, f);
                goto out;
            }
            layers = img_layers;
        }
        if (tree == NULL) {
            cleanup_free char *prefix = common_prefix(srcs, nsrcs);
            if (prefix == NULL || xb_bx_rcache_need(b, layers, err) < 0 ||
                xb_rootfs_build(&fromidx, b->store, layers, prefix, work, err) < 0)
                goto out;
            /* a source path through a symlink (/sub -> /out/sub): the content is below the link's
             * target, so the tree is read again keeping that */
            xb_centry_t *pe = NULL;
            cleanup_free char *real =
                prefix[0] ? xb_rootfs_resolve(&fromidx, prefix, true, &pe) : NULL;
            if (real != NULL && pe != NULL && strcmp(real, prefix) != 0) {
                xb_centries_free(&fromidx);
                xb_centries_init(&fromidx);
                if (xb_rootfs_build(&fromidx, b->store, layers, real, work, err) < 0)
                    goto out;
            }
            tree = &fromidx;
        }
    } else if (nsrcs > 0) {
        if (xb_bx_context_index(b, err) < 0)
            goto out;
        tree = &b->ctx;
    }
    /* ownership and mode */
    xb_copy_req_t rq;
    memset(&rq, 0, sizeof(rq));
    const char *chown = xb_df_flag_get(in, "chown");
    if (chown != NULL) {
        cleanup_free char *c = NULL;
        if (xb_bx_expand(st, chown, &c, err) < 0)
            goto out;
        if (xb_bx_rcache_need(b, st->layers, err) < 0 ||
            xb_chown_resolve(b->store, st->layers, c, &rq.uid, &rq.gid, err) < 0) {
            xb_error_wrap(err, "%s: %s", where, instr);
            goto out;
        }
        rq.chown = true;
    }
    const char *chmod = xb_df_flag_get(in, "chmod");
    if (chmod != NULL) {
        bool octal = false;
        if (xb_bx_expand(st, chmod, &chmod_str, err) < 0 ||
            xb_chmod_parse(chmod_str, &octal, &rq.perm, err) < 0) {
            xb_error_wrap(err, "%s: %s", where, instr);
            goto out;
        }
        rq.chmod = octal;
        rq.chmod_sym = octal ? NULL : chmod_str;
    }
    ex.n = xb_df_flag_all(in, "exclude", NULL, 0);
    if (ex.n > 256)
        ex.n = 256;
    xb_df_flag_all(in, "exclude", exvals, ex.n);
    for (size_t i = 0; i < ex.n; i++) {
        char *x = NULL;
        if (xb_bx_expand(st, exvals[i], &x, err) < 0)
            goto out;
        char *c = xb_clean_image_path(x);
        free(x);
        json_array_append_new(exstr, json_string(c ? c : ""));
        free(c);
        exvals[i] = json_string_value(json_array_get(exstr, i));
    }
    if (ex.n > 0) {
        cleanup_free char *text = NULL;
        size_t tl = 0;
        for (size_t i = 0; i < ex.n; i++)
            tl += strlen(exvals[i]) + 1;
        text = calloc(tl + 1, 1);
        if (text == NULL)
            goto oom;
        for (size_t i = 0; i < ex.n; i++) {
            strcat(text, exvals[i]);
            strcat(text, "\n");
        }
        if (xb_ignore_parse(text, strlen(text), "--exclude", &ex.ig, err) < 0) {
            xb_error_wrap(err, "%s: %s", where, instr);
            goto out;
        }
    }
    json_t *cc = xb_image_config_container(st->config);
    const char *wd = xb_json_str(cc, "WorkingDir");
    xb_add_ctx_t actx = {work,
                         rq.chown,
                         rq.uid,
                         rq.gid,
                         rq.chmod,
                         rq.perm,
                         rq.chmod_sym,
                         b->lopts.clamp_mtime,
                         xb_store_max_layer_size(b->store)};
    /* files (heredocs, downloads) get the chown owner too */
    for (size_t i = 0; i < files.n; i++) {
        if (rq.chown) {
            files.v[i].uid = rq.uid;
            files.v[i].gid = rq.gid;
        }
    }
    rq.instr = instr;
    rq.parents = !add && xb_df_flag_bool(in, "parents", false);
    rq.src = tree;
    rq.from_context = from_context;
    rq.srcs = (const char *const *)srcs;
    rq.nsrcs = nsrcs;
    rq.files = files.v;
    rq.nfiles = files.n;
    rq.dest = dest;
    rq.workdir = wd && wd[0] ? wd : "/";
    rq.exclude = ex.n ? exclude_fn : NULL;
    rq.exclude_ud = &ex;
    rq.dir_mtime = b->created;
    rq.clamp_mtime = b->lopts.clamp_mtime;
    rq.archive = add && from_context && git.dir == NULL && xb_df_flag_bool(in, "unpack", true)
                     ? xb_add_archive_hook
                     : NULL;
    rq.archive_ud = &actx;
    rq.unpack_files =
        add && xb_df_flag_get(in, "unpack") != NULL && xb_df_flag_bool(in, "unpack", false);
    /* cache: the expanded instruction and the digest of what it would put into a layer, planned
     * without the image: the image's state is in the chain already, so a hit needs no index of
     * the parent layers (which means reading them all). Archives to unpack are planned once. */
    bool keyed = false;
    if (rq.archive == NULL) {
        xb_error_t pe = XB_ERROR_INIT;
        rq.image = NULL;
        int pr = xb_copy_plan(&rq, &out, &pe);
        xb_error_clear(&pe);
        if (pr >= 0) {
            int hr = cache_lookup(st, instr, dest, srcs, nsrcs, rq.workdir, &out, err);
            if (hr < 0)
                goto out;
            if (hr > 0) {
                ret = 0;
                goto out;
            }
            keyed = true;
        }
        xb_centries_free(&out);
        xb_centries_init(&out);
    }
    /* COPY --link (without --chmod, as BuildKit's merge): the copy is made on an empty root, so
     * the missing directories of the destination are all in the layer with the instruction's
     * owner and mode, and the image's own entries (symlinks on the way, existing directories)
     * play no part. */
    if (!(xb_df_flag_bool(in, "link", false) && chmod == NULL)) {
        if (xb_bx_stage_index(st, err) < 0)
            goto out;
        rq.image = &st->idx;
    }
    if (xb_copy_plan(&rq, &out, err) < 0) {
        xb_error_wrap(err, "%s", where);
        goto out;
    }
    if (!keyed) {
        int hr = cache_lookup(st, instr, dest, srcs, nsrcs, rq.workdir, &out, err);
        if (hr != 0) {
            ret = hr > 0 ? 0 : -1;
            goto out;
        }
    }
    xb_layer_result_t res;
    if (xb_bx_write_layer(b, &out, &res, err) < 0) {
        xb_error_wrap(err, "%s: %s: writing the layer", where, instr);
        goto out;
    }
    if (asprintf(&by, "/bin/sh -c #(nop) %s", in->original) < 0)
        goto oom;
    if (xb_bx_add_layer(st, &res, by, err) < 0)
        goto out;
    xb_bx_cache_put(st, json_array_get(st->layers, json_array_size(st->layers) - 1), res.diff_id);
    ret = 0;
    goto out;
oom:
    xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
out:
    for (size_t i = 0; i < nsrcs; i++)
        free(srcs[i]);
    free(srcs);
    xb_centries_free(&files);
    xb_centries_free(&out);
    xb_centries_free(&fromidx);
    xb_git_checkout_free(&git);
    xb_ignore_free(ex.ig);
    xb_rm_rf(work, &e2);
    xb_error_clear(&e2);
    return ret;
}
