#include "builder/copy.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/chmod.h"
#include "builder/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

bool xb_copy_has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Matches pattern (cleaned, no leading slash) against the tree; appends resolved matched
 * paths (strings) to out. */
static int glob_tree(const xb_centries_t *tree, const char *pattern, json_t *out, xb_error_t *err)
{
    cleanup_json json_t *cur = json_array();
    json_array_append_new(cur, json_pack("[ss]", "", ""));
    cleanup_free char *pat = strdup(pattern);
    char *save = NULL;
    for (char *comp = strtok_r(pat, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
        json_t *next = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(cur, i, v)
        {
            const char *dir = json_string_value(json_array_get(v, 0));
            size_t dl = strlen(dir);
            if (strcmp(comp, "**") == 0) {
                /* any number of path elements, none included */
                json_array_append(next, v);
                for (size_t k = 0; k < tree->n; k++) {
                    const char *p = tree->v[k].path;
                    if (dl > 0 && (strncmp(p, dir, dl) != 0 || p[dl] != '/'))
                        continue;
                    if (p[0] != '\0' && (dl == 0 || p[dl + 1] != '\0'))
                        json_array_append_new(next, json_pack("[ss]", p, base_name(p)));
                }
                continue;
            }
            if (!xb_copy_has_glob(comp)) {
                char *p = xb_path_join_rel(dir, comp);
                if (p == NULL) {
                    json_decref(next);
                    return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
                }
                xb_centry_t *e = NULL;
                char *r = xb_rootfs_resolve(tree, p, true, &e);
                if (r != NULL && e != NULL)
                    json_array_append_new(next, json_pack("[ss]", r, base_name(p)));
                free(p);
                free(r);
                continue;
            }
            for (size_t k = 0; k < tree->n; k++) {
                const char *p = tree->v[k].path;
                if (dl > 0 && (strncmp(p, dir, dl) != 0 || p[dl] != '/'))
                    continue;
                const char *name = dl ? p + dl + 1 : p;
                if (strchr(name, '/') != NULL)
                    continue;
                if (fnmatch(comp, name, FNM_PATHNAME) != 0)
                    continue;
                xb_centry_t *e = NULL;
                char *r = xb_rootfs_resolve(tree, p, true, &e);
                if (r != NULL && e != NULL)
                    json_array_append_new(next, json_pack("[ss]", r, name));
                free(r);
            }
        }
        json_decref(cur);
        cur = next;
    }
    size_t i;
    json_t *v;
    json_array_foreach(cur, i, v) json_array_append(out, v);
    return 0;
}

static int put(xb_centries_t *out, xb_centry_t *e, xb_error_t *err)
{
    if (xb_centries_put(out, e) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

static int emit(const xb_copy_req_t *rq, const xb_centry_t *s, const char *dst, xb_centries_t *out,
                xb_error_t *err)
{
    xb_centry_t e = {0};
    e.path = strdup(dst);
    e.mode = s->mode;
    e.uid = s->uid;
    e.gid = s->gid;
    e.mtime = s->mtime;
    e.rdev = s->rdev;
    e.dev = s->dev;
    e.ino = s->ino;
    e.len = s->len;
    e.link = s->link && !s->hardlink ? strdup(s->link) : NULL;
    e.src = s->src ? strdup(s->src) : NULL;
    e.src_rel = s->src_rel;
    if (s->data != NULL) {
        e.data = malloc(s->len + 1);
        if (e.data != NULL) {
            memcpy(e.data, s->data, s->len);
            e.data[s->len] = '\0';
        }
    }
    if (e.path == NULL || xb_centry_copy_xattrs(&e, s) < 0) {
        xb_centry_clear(&e);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (rq->chown) {
        e.uid = rq->uid;
        e.gid = rq->gid;
    } else if (rq->from_context) {
        e.uid = 0;
        e.gid = 0;
    }
    if (rq->chmod && !S_ISLNK(e.mode))
        e.mode = (e.mode & S_IFMT) | (rq->perm & 07777);
    else if (rq->chmod_sym != NULL && !S_ISLNK(e.mode))
        e.mode = xb_chmod_apply(rq->chmod_sym, e.mode);
    if (rq->clamp_mtime >= 0 && e.mtime > rq->clamp_mtime)
        e.mtime = rq->clamp_mtime;
    return put(out, &e, err);
}

static bool excluded(const xb_copy_req_t *rq, const char *rel, bool isdir)
{
    return rq->exclude != NULL && rel[0] != '\0' && rq->exclude(rq->exclude_ud, rel, isdir);
}

/* Copies the contents of directory srcdir (tree path, "" = root) into destdir. */
static int copy_dir(const xb_copy_req_t *rq, const char *srcdir, const char *destdir,
                    xb_centries_t *out, xb_error_t *err)
{
    size_t sl = strlen(srcdir);
    const xb_centries_t *t = rq->src;
    for (size_t k = 0; k < t->n; k++) {
        const char *p = t->v[k].path;
        if (sl > 0 && (strncmp(p, srcdir, sl) != 0 || p[sl] != '/'))
            continue;
        const char *rel = sl ? p + sl + 1 : p;
        bool isdir = S_ISDIR(t->v[k].mode);
        if (excluded(rq, rel, isdir))
            continue;
        cleanup_free char *dst = xb_path_join_rel(destdir, rel);
        if (dst == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (emit(rq, &t->v[k], dst, out, err) < 0)
            return -1;
    }
    return 0;
}

/* A directory the instruction creates (the destination or a missing parent), as BuildKit's
 * MkdirAll does: mode 0755, or the numeric --chmod; owner the --chown user, else 0:0 (a symbolic
 * --chmod does not apply to it). */
static int put_created_dir(const xb_copy_req_t *rq, const char *path, int64_t mtime,
                           xb_centries_t *out, xb_error_t *err)
{
    xb_centry_t d = {0};
    d.path = strdup(path);
    d.mode = S_IFDIR | (rq->chmod ? (rq->perm & 07777) : 0755);
    d.mtime = mtime;
    if (rq->chown) {
        d.uid = rq->uid;
        d.gid = rq->gid;
    }
    if (d.path == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return put(out, &d, err);
}

/* A copy of the image's directory entry ie (owner, mode, mtime, xattrs) into out. */
static int put_image_dir(const xb_centry_t *ie, xb_centries_t *out, xb_error_t *err)
{
    xb_centry_t d = {0};
    d.path = strdup(ie->path);
    d.mode = ie->mode;
    d.uid = ie->uid;
    d.gid = ie->gid;
    d.mtime = ie->mtime;
    if (d.path == NULL || xb_centry_copy_xattrs(&d, ie) < 0) {
        xb_centry_clear(&d);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    return put(out, &d, err);
}

static int dest_parents(const xb_copy_req_t *rq, xb_centries_t *out, const char *destdir,
                        xb_error_t *err)
{
    /* every ancestor of every entry must exist as a directory */
    size_t n = out->n;
    cleanup_json json_t *need = json_object();
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = strdup(out->v[i].path);
        if (p == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        for (char *s = strrchr(p, '/'); s != NULL; s = strrchr(p, '/')) {
            *s = '\0';
            if (json_object_get(need, p) != NULL)
                break;
            json_object_set_new(need, p, json_true());
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach(need, k, v)
    {
        if (xb_centries_get(out, k) != NULL)
            continue;
        xb_centry_t *ie = NULL;
        if (rq->image != NULL) {
            ie = xb_centries_get(rq->image, k);
            if (ie != NULL && S_ISDIR(ie->mode)) {
                /* an existing parent is carried with the image's own metadata: a layer tar
                 * without it would be extracted with a made-up 0755 root directory, and as an
                 * overlay lowerdir that directory would shadow the image's (its mode, owner
                 * and xattrs) in every later RUN */
                if (put_image_dir(ie, out, err) < 0)
                    return -1;
                continue;
            }
            if (ie != NULL)
                return xb_error_set(err, XB_ERR_INVALID,
                                    "%s: cannot copy to /%s: /%s is not a directory in the image",
                                    rq->instr, destdir, k);
        }
        if (put_created_dir(rq, k, rq->dir_mtime, out, err) < 0)
            return -1;
    }
    return 0;
}

/* Hard links (as BuildKit and buildah keep them): the planned regular files sharing one source
 * inode (identity dev:ino) become one file -- the first name in sorted order -- plus hardlink
 * entries naming it, which take its metadata (so --chown/--chmod agree). A name whose
 * siblings were excluded or not copied stays a plain copy. out is sorted. */
static int link_hardlinks(xb_centries_t *out, xb_error_t *err)
{
    cleanup_json json_t *first = json_object();
    if (first == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < out->n; i++) {
        xb_centry_t *e = &out->v[i];
        if (!S_ISREG(e->mode) || e->ino == 0 || e->src == NULL || e->hardlink)
            continue;
        char key[48];
        snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)e->dev,
                 (unsigned long long)e->ino);
        json_t *p = json_object_get(first, key);
        if (p == NULL) {
            if (json_object_set_new(first, key, json_integer((json_int_t)i)) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            continue;
        }
        const xb_centry_t *t = &out->v[json_integer_value(p)];
        char *l = strdup(t->path);
        if (l == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        free(e->link);
        e->link = l;
        e->hardlink = true;
        e->mode = t->mode;
        e->uid = t->uid;
        e->gid = t->gid;
        e->mtime = t->mtime;
        e->len = t->len;
        for (size_t k = 0; k < e->nxattrs; k++) { /* the link carries none: the file has them */
            free(e->xattrs[k].name);
            free(e->xattrs[k].value);
        }
        free(e->xattrs);
        e->xattrs = NULL;
        e->nxattrs = 0;
    }
    return 0;
}

/* COPY --parents: match m = [tree path, name, pivot base]. The path below the base is kept
 * under destdir; the directories on the way take their metadata from the source tree. */
static int copy_with_parents(const xb_copy_req_t *rq, json_t *m, const char *destdir,
                             xb_centries_t *out, xb_error_t *err)
{
    const char *p = json_string_value(json_array_get(m, 0));
    const char *base = json_string_value(json_array_get(m, 2));
    size_t bl = base ? strlen(base) : 0;
    const char *rel = p;
    if (bl > 0 && strncmp(p, base, bl) == 0 && (p[bl] == '/' || p[bl] == '\0'))
        rel = p[bl] == '/' ? p + bl + 1 : "";
    const xb_centry_t *e = p[0] ? xb_centries_get(rq->src, p) : NULL;
    if (p[0] != '\0' && e == NULL)
        return 0;
    /* the parents: base/a, base/a/b, ... of rel */
    cleanup_free char *walk = strdup(rel);
    if (walk == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (char *s = strchr(walk, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        cleanup_free char *sp = bl ? xb_path_join_rel(base, walk) : strdup(walk);
        cleanup_free char *dp = xb_path_join_rel(destdir, walk);
        *s = '/';
        if (sp == NULL || dp == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        const xb_centry_t *pe = xb_centries_get(rq->src, sp);
        if (xb_centries_get(out, dp) != NULL || pe == NULL || !S_ISDIR(pe->mode))
            continue;
        if (emit(rq, pe, dp, out, err) < 0)
            return -1;
    }
    cleanup_free char *dst = xb_path_join_rel(destdir, rel);
    if (dst == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (e == NULL || S_ISDIR(e->mode)) {
        if (e != NULL && dst[0] != '\0' && xb_centries_get(out, dst) == NULL &&
            emit(rq, e, dst, out, err) < 0)
            return -1;
        return copy_dir(rq, p, dst, out, err);
    }
    if (dst[0] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "%s: cannot replace / with a file", rq->instr);
    xb_centry_t *ex = rq->image ? xb_centries_get(rq->image, dst) : NULL;
    if (ex != NULL && S_ISDIR(ex->mode))
        return xb_error_set(err, XB_ERR_INVALID, "%s: cannot copy file %s onto the directory /%s",
                            rq->instr, p, dst);
    return emit(rq, e, dst, out, err);
}

/* The resolved form of path's parent directories in the image (a symlink on the way, such as
 * /var/run -> /run, is followed inside the root, as BuildKit writes through it); memo caches
 * parent -> resolved parent. Returns a new string (caller frees) or NULL (out of memory). */
static char *through_links(const xb_copy_req_t *rq, json_t *memo, const char *path)
{
    const char *sl = strrchr(path, '/');
    if (sl == NULL)
        return strdup(path);
    cleanup_free char *parent = strndup(path, (size_t)(sl - path));
    if (parent == NULL)
        return NULL;
    const char *r = json_string_value(json_object_get(memo, parent));
    if (r == NULL) {
        xb_centry_t *pe = NULL;
        cleanup_free char *res = xb_rootfs_resolve(rq->image, parent, true, &pe);
        if (res == NULL)
            return NULL;
        json_object_set_new(memo, parent, json_string(res));
        r = json_string_value(json_object_get(memo, parent));
    }
    return r[0] ? xb_path_join_rel(r, sl + 1) : strdup(sl + 1);
}

/* Entries below a symlink of the image (an archive's var/run/x where /var/run -> /run) move to
 * the link's target; hard links follow their targets. */
static int place_through_links(const xb_copy_req_t *rq, xb_centries_t *out, xb_error_t *err)
{
    if (rq->image == NULL)
        return 0;
    cleanup_json json_t *memo = json_object();
    bool moved = false;
    for (size_t i = 0; i < out->n && !moved; i++) {
        cleanup_free char *np = through_links(rq, memo, out->v[i].path);
        if (np == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        moved = strcmp(np, out->v[i].path) != 0;
    }
    if (!moved)
        return 0;
    xb_centries_t fixed;
    xb_centries_init(&fixed);
    for (size_t i = 0; i < out->n; i++) {
        xb_centry_t e = out->v[i];
        memset(&out->v[i], 0, sizeof out->v[i]);
        char *np = through_links(rq, memo, e.path);
        char *nl = e.hardlink && e.link ? through_links(rq, memo, e.link) : NULL;
        if (np == NULL || (e.hardlink && e.link && nl == NULL)) {
            free(np);
            xb_centry_clear(&e);
            xb_centries_free(&fixed);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        free(e.path);
        e.path = np;
        if (nl != NULL) {
            free(e.link);
            e.link = nl;
        }
        if (xb_centries_put(&fixed, &e) == NULL) {
            xb_centry_clear(&e);
            xb_centries_free(&fixed);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
    }
    xb_centries_free(out);
    *out = fixed;
    return 0;
}

/* The destination of a copy: resolved in the image (through its symlinks) or only cleaned. */
struct dest {
    char *path;      /* image path without the leading slash ("" for /); owned */
    xb_centry_t *de; /* what is there in the image, or NULL */
    bool slash;      /* written as a directory ("dir/", ".", "dir/.") */
    bool isdir;      /* the sources go below it */
};

static int resolve_dest(const xb_copy_req_t *rq, struct dest *d, xb_error_t *err)
{
    const char *dest = rq->dest;
    size_t dlen = strlen(dest);
    d->slash = dlen > 0 && (dest[dlen - 1] == '/' || strcmp(dest, ".") == 0 ||
                            (dlen >= 2 && strcmp(dest + dlen - 2, "/.") == 0));
    cleanup_free char *abs = NULL;
    if (dest[0] == '/')
        abs = strdup(dest);
    else if (asprintf(&abs, "%s/%s", rq->workdir ? rq->workdir : "/", dest) < 0)
        abs = NULL;
    if (abs == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    d->de = NULL;
    if (rq->image != NULL)
        d->path = xb_rootfs_resolve(rq->image, abs, true, &d->de);
    else
        d->path = xb_clean_image_path(abs);
    if (d->path == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    d->isdir = d->slash || d->path[0] == '\0' || (d->de != NULL && S_ISDIR(d->de->mode));
    return 0;
}

/* The matches of one wildcard source: [path, name, base] each, base being what --parents
 * leaves out (a pivot behind a wildcard, "a/b?/./c": the first path elements of each match). */
static int glob_matches(const xb_copy_req_t *rq, const char *clean, const char *base,
                        json_t *matches, xb_error_t *err)
{
    size_t before = json_array_size(matches);
    if (glob_tree(rq->src, clean, matches, err) < 0)
        return -1;
    size_t bk = 0;
    for (const char *c = base; *c; c++)
        bk += (*c == '/');
    bk += base[0] != '\0';
    for (size_t m = before; m < json_array_size(matches); m++) {
        json_t *mv = json_array_get(matches, m);
        const char *mp = json_string_value(json_array_get(mv, 0));
        size_t cut = 0, seen = 0;
        while (xb_copy_has_glob(base) && mp[cut] && seen < bk)
            if (mp[++cut] == '/' || mp[cut] == '\0')
                seen++;
        json_array_append_new(mv,
                              xb_copy_has_glob(base) ? json_stringn(mp, cut) : json_string(base));
    }
    return 0;
}

/* Every source looked up in the tree: [path in the tree, name, --parents base] each. A
 * wildcard may match nothing (BuildKit's AllowEmptyWildcard): counted in *nempty, the other
 * sources are copied, the destination directory is still made. */
static int collect_matches(const xb_copy_req_t *rq, json_t *matches, size_t *nempty,
                           xb_error_t *err)
{
    for (size_t i = 0; i < rq->nsrcs; i++) {
        const char *s = rq->srcs[i];
        cleanup_free char *clean = xb_clean_image_path(s);
        /* --parents: what is left of a "/./" pivot is not kept under dest */
        const char *pivot = rq->parents ? strstr(s, "/./") : NULL;
        cleanup_free char *raw_base = pivot ? strndup(s, (size_t)(pivot - s)) : NULL;
        cleanup_free char *base = raw_base ? xb_clean_image_path(raw_base) : strdup("");
        if (clean == NULL || base == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (rq->src == NULL)
            return xb_error_set(err, XB_ERR_NOT_FOUND, "%s: no source tree for %s", rq->instr, s);
        if (xb_copy_has_glob(clean)) {
            size_t before = json_array_size(matches);
            if (glob_matches(rq, clean, base, matches, err) < 0)
                return -1;
            if (json_array_size(matches) == before)
                (*nempty)++;
            continue;
        }
        xb_centry_t *e = NULL;
        cleanup_free char *r = xb_rootfs_resolve(rq->src, clean, true, &e);
        if (r == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (r[0] != '\0' && e == NULL)
            return xb_error_set(
                err, XB_ERR_NOT_FOUND, "%s: source %s not found%s", rq->instr, s,
                rq->from_context ? " in the build context (or excluded by .dockerignore)" : "");
        json_array_append_new(matches, json_pack("[sss]", r, base_name(clean), base));
    }
    return 0;
}

/* One match (not --parents): a directory's content goes into the destination, a file to it or
 * below it, an archive to unpack through rq->archive. */
static int copy_match(const xb_copy_req_t *rq, const json_t *v, const struct dest *d,
                      xb_centries_t *out, xb_error_t *err)
{
    const char *p = json_string_value(json_array_get(v, 0));
    const char *pname = json_string_value(json_array_get(v, 1));
    xb_centry_t *e = p[0] ? xb_centries_get(rq->src, p) : NULL;
    if (p[0] == '\0' || (e != NULL && S_ISDIR(e->mode))) {
        if (d->de != NULL && !S_ISDIR(d->de->mode) && !d->slash)
            return xb_error_set(err, XB_ERR_INVALID,
                                "%s: cannot copy directory %s onto the file /%s", rq->instr,
                                p[0] ? p : ".", d->path);
        /* the destination directory, created here, is made as a missing parent (BuildKit:
         * owner and mode of the instruction, not of the source directory), with the source
         * directory's mtime */
        if (d->path[0] != '\0' && (d->de == NULL || !S_ISDIR(d->de->mode)) && e != NULL &&
            xb_centries_get(out, d->path) == NULL) {
            int64_t mt = e->mtime;
            if (rq->clamp_mtime >= 0 && mt > rq->clamp_mtime)
                mt = rq->clamp_mtime;
            if (put_created_dir(rq, d->path, mt, out, err) < 0)
                return -1;
        }
        return copy_dir(rq, p, d->path, out, err);
    }
    if (e == NULL)
        return 0;
    if (rq->archive != NULL && S_ISREG(e->mode)) {
        int r = rq->archive(rq->archive_ud, e, d->path, out, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    cleanup_free char *dst = d->isdir ? xb_path_join_rel(d->path, pname) : strdup(d->path);
    if (dst == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (dst[0] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "%s: cannot replace / with a file", rq->instr);
    xb_centry_t *ex = rq->image ? xb_centries_get(rq->image, dst) : NULL;
    if (ex != NULL && S_ISDIR(ex->mode) && !S_ISDIR(e->mode))
        return xb_error_set(err, XB_ERR_INVALID, "%s: cannot copy file %s onto the directory /%s",
                            rq->instr, p, dst);
    return emit(rq, e, dst, out, err);
}

/* One extra file (heredoc, download): to or below the destination, unpacked with --unpack. */
static int copy_extra_file(const xb_copy_req_t *rq, const xb_centry_t *f, const struct dest *d,
                           xb_centries_t *out, xb_error_t *err)
{
    if (rq->unpack_files && rq->archive != NULL && S_ISREG(f->mode)) {
        int r = rq->archive(rq->archive_ud, f, d->path, out, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    cleanup_free char *dst =
        d->isdir ? xb_path_join_rel(d->path, base_name(f->path)) : strdup(d->path);
    if (dst == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (dst[0] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "%s: cannot replace / with a file", rq->instr);
    xb_copy_req_t r2 = *rq;
    r2.from_context = false; /* extra files carry the owner they were given */
    return emit(&r2, f, dst, out, err);
}

/* Checks the destination's shape against the number of sources (several need a directory). */
static int check_dest(const xb_copy_req_t *rq, size_t total, struct dest *d, xb_error_t *err)
{
    /* one source argument whose wildcard matched several: they go into dest as a directory;
     * several arguments need a directory destination (BuildKit) */
    if (rq->nsrcs + rq->nfiles == 1 && total > 1)
        d->isdir = true;
    if (rq->parents) {
        if (!d->isdir && d->de == NULL)
            d->isdir = true; /* a new directory: the paths are kept below it */
        if (!d->isdir)
            return xb_error_set(err, XB_ERR_INVALID,
                                "%s --parents: the destination /%s is not a directory", rq->instr,
                                d->path);
    } else if (rq->nsrcs + rq->nfiles > 1 && total > 0 && !d->isdir) {
        return xb_error_set(err, XB_ERR_INVALID,
                            "%s: when using %s with more than one source file, the destination "
                            "must be a directory and end with a /",
                            rq->instr, rq->instr);
    }
    return 0;
}

int xb_copy_plan(const xb_copy_req_t *rq, xb_centries_t *out, xb_error_t *err)
{
    struct dest d = {0};
    if (resolve_dest(rq, &d, err) < 0)
        return -1;
    cleanup_free char *destpath = d.path;
    cleanup_json json_t *matches = json_array();
    size_t nempty = 0;
    if (matches == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (collect_matches(rq, matches, &nempty, err) < 0)
        return -1;
    size_t i;
    json_t *v;
    size_t total = json_array_size(matches) + rq->nfiles;
    if (total == 0 && nempty == 0)
        return xb_error_set(err, XB_ERR_INVALID, "%s: no source files were specified", rq->instr);
    if (check_dest(rq, total, &d, err) < 0)
        return -1;
    json_array_foreach(matches, i, v)
    {
        if ((rq->parents ? copy_with_parents(rq, v, destpath, out, err)
                         : copy_match(rq, v, &d, out, err)) < 0)
            return -1;
    }
    for (size_t k = 0; k < rq->nfiles; k++)
        if (copy_extra_file(rq, &rq->files[k], &d, out, err) < 0)
            return -1;
    /* (wildcards that matched nothing make no destination, unless --parents: BuildKit) */
    if (d.isdir && (total > 0 || rq->parents) && destpath[0] != '\0' &&
        (d.de == NULL || !S_ISDIR(d.de->mode)) && xb_centries_get(out, destpath) == NULL) {
        if (put_created_dir(rq, destpath, rq->dir_mtime, out, err) < 0)
            return -1;
    }
    if (place_through_links(rq, out, err) < 0 || dest_parents(rq, out, destpath, err) < 0)
        return -1;
    xb_centries_sort(out);
    return link_hardlinks(out, err);
}
