#include "builder/rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/apply.h"
#include "layer/whiteout.h"
#include "lazy/lazy.h"
#include "snapshot/layers.h"
#include "util/sys.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define WH_PREFIX XB_WH_PREFIX
#define WH_OPAQUE XB_WH_OPAQUE

static int open_layer(xb_store_t *s, const json_t *layer, struct archive **out, xb_error_t *err)
{
    const char *digest = xb_json_str(layer, "digest");
    if (digest == NULL || !xb_digest_valid(digest))
        return xb_error_set(err, XB_ERR_INVALID, "layer descriptor without a valid digest");
    cleanup_free char *path = xb_store_blob_path(s, digest);
    if (path == NULL || !xb_path_exists(path))
        return xb_error_set(err, XB_ERR_NOT_FOUND, "layer %s is not in the store", digest);
    if (xb_lazy_load(XB_LAZY_ARCHIVE, err) < 0)
        return -1;
    struct archive *a = archive_read_new();
    if (a == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_empty(a);
    if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
        int r = xb_error_set(err, XB_ERR_IO, "layer %s: %s", digest, archive_error_string(a));
        archive_read_free(a);
        return r;
    }
    *out = a;
    return 0;
}

static bool under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 0)
        return true;
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Removes the children (not the dir itself) of dir from idx. */
static void remove_children(xb_centries_t *idx, const char *dir)
{
    size_t n = strlen(dir), j = 0;
    bool changed = false;
    for (size_t i = 0; i < idx->n; i++) {
        const char *p = idx->v[i].path;
        if (n == 0 || (strncmp(p, dir, n) == 0 && p[n] == '/')) {
            xb_centry_clear(&idx->v[i]);
            changed = true;
            continue;
        }
        idx->v[j++] = idx->v[i];
    }
    idx->n = j;
    if (changed) {
        json_object_clear(idx->index);
        for (size_t i = 0; i < idx->n; i++)
            json_object_set_new(idx->index, idx->v[i].path, json_integer((json_int_t)i));
    }
}

int xb_rootfs_spill(struct archive *a, const char *tmpdir, size_t seq, int64_t size, char **out,
                    xb_error_t *err)
{
    char name[32];
    snprintf(name, sizeof(name), "f%zu-XXXXXX", seq); /* unique however many callers share tmpdir */
    cleanup_free char *path = xb_path_join(tmpdir, name);
    cleanup_close int fd = path ? mkostemp(path, O_CLOEXEC) : -1;
    if (fd < 0)
        return xb_error_errno(err, errno, "creating %s", path);
    const void *buf;
    size_t len;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
        if (lseek(fd, off, SEEK_SET) < 0)
            return xb_error_errno(err, errno, "seek in %s", path);
        if (xb_write_all(fd, buf, len, err) < 0)
            return -1;
    }
    if (r != ARCHIVE_EOF)
        return xb_error_set(err, XB_ERR_IO, "reading archive: %s", archive_error_string(a));
    /* a sparse file may end in a hole */
    if (ftruncate(fd, size) < 0)
        return xb_error_errno(err, errno, "truncating %s", path);
    *out = steal_pointer(&path);
    return 0;
}

/* Applies one layer's changes to idx: opaque dirs lose their children, whiteouts remove their
 * trees, then the layer's entries are put. */
static int commit_layer(xb_centries_t *idx, xb_centries_t *add, json_t *opaques, json_t *whiteouts,
                        xb_error_t *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(opaques, i, v) remove_children(idx, json_string_value(v));
    json_array_foreach(whiteouts, i, v) xb_centries_remove_tree(idx, json_string_value(v));
    for (i = 0; i < add->n; i++) {
        if (xb_centries_put(idx, &add->v[i]) == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

static int pending_add(json_t *pending, const char *target, const char *link)
{
    json_t *a = json_object_get(pending, target);
    if (a == NULL) {
        a = json_array();
        if (a == NULL || json_object_set_new(pending, target, a) < 0)
            return -1;
    }
    return json_array_append_new(a, json_string(link));
}

/* Second pass over a layer for the regular files that are not wanted themselves but have a
 * wanted hard link (pending: target -> [link paths]): their content and xattrs are spilled
 * and shared with the links. */
static int fetch_pending(xb_store_t *s, const json_t *layer, const char *tmpdir, json_t *pending,
                         xb_centries_t *add, size_t *seq, xb_error_t *err)
{
    cleanup_archive_read struct archive *a = NULL;
    if (open_layer(s, layer, &a, err) < 0)
        return -1;
    struct archive_entry *ae;
    int r;
    while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
        if (archive_entry_hardlink(ae) != NULL || archive_entry_filetype(ae) != AE_IFREG)
            continue;
        cleanup_free char *p = xb_clean_image_path(archive_entry_pathname(ae));
        json_t *links = p ? json_object_get(pending, p) : NULL;
        xb_centry_t *t = links ? xb_centries_get(add, p) : NULL;
        if (t == NULL || t->src != NULL || !S_ISREG(t->mode))
            continue; /* (a later entry of the same name replaced it) */
        if (xb_rootfs_spill(a, tmpdir, (*seq)++, archive_entry_size(ae), &t->src, err) < 0)
            return -1;
        if (xb_centry_archive_xattrs(t, ae, err) < 0)
            return -1;
        xb_centry_identify(t);
        size_t i;
        json_t *v;
        json_array_foreach(links, i, v)
        {
            xb_centry_t *l = xb_centries_get(add, json_string_value(v));
            if (l == NULL || l->src != NULL || !S_ISREG(l->mode))
                continue;
            if ((l->src = strdup(t->src)) == NULL || xb_centry_copy_xattrs(l, t) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            l->dev = t->dev;
            l->ino = t->ino;
        }
    }
    if (r != ARCHIVE_EOF)
        return xb_error_set(err, XB_ERR_IO, "reading layer %s: %s", xb_json_str(layer, "digest"),
                            archive_error_string(a));
    return 0;
}

/* One pass over a layer's tar (xb_rootfs_apply_layer). */
struct layer_scan {
    xb_centries_t *idx; /* the index below the layer */
    xb_centries_t add;  /* the layer's own entries */
    json_t *whiteouts, *opaques;
    json_t *pending; /* target -> [link paths] (fetch_pending) */
    struct archive *a;
    const json_t *layer;
    const char *want_prefix, *tmpdir;
    size_t seq;          /* spilled files so far */
    uint64_t total, max; /* file bytes so far, and the limit */
};

/* A whiteout (.wh.NAME) or opaque marker (.wh..wh..opq) at p, base its last element. */
static void note_whiteout(struct layer_scan *ls, const char *p, const char *base)
{
    size_t dl = (size_t)(base - p);
    cleanup_free char *dir = strndup(p, dl ? dl - 1 : 0);
    if (strcmp(base, WH_OPAQUE) == 0) {
        json_array_append_new(ls->opaques, json_string(dir));
        return;
    }
    cleanup_free char *victim = NULL;
    if (dl)
        (void)!asprintf(&victim, "%s/%s", dir, base + strlen(WH_PREFIX));
    else
        victim = strdup(base + strlen(WH_PREFIX));
    if (victim != NULL)
        json_array_append_new(ls->whiteouts, json_string(victim));
}

/* The layer's file bytes and entry count stay under the store's limits. */
static int check_limits(struct layer_scan *ls, struct archive_entry *ae, const char *p,
                        xb_error_t *err)
{
    if (archive_entry_filetype(ae) == AE_IFREG && archive_entry_hardlink(ae) == NULL &&
        archive_entry_size(ae) > 0) {
        uint64_t sz = (uint64_t)archive_entry_size(ae);
        if (sz > ls->max || ls->total > ls->max - sz) {
            char what[128];
            snprintf(what, sizeof what, "layer %s", xb_json_str(ls->layer, "digest"));
            return xb_layer_too_big(what, p, sz, ls->max, err);
        }
        ls->total += sz;
    }
    if (ls->idx->n + ls->add.n > XB_ROOTFS_MAX_ENTRIES)
        return xb_error_set(err, XB_ERR_INVALID, "layer has too many entries");
    return 0;
}

/* A hard link entry: shares its target's content (from this layer or below); a wanted link
 * to a file outside want_prefix gets the content from a second pass over this layer. */
static int hardlink_entry(struct layer_scan *ls, xb_centry_t *e, const char *hl, bool want,
                          xb_error_t *err)
{
    cleanup_free char *target = xb_clean_image_path(hl);
    xb_centry_t *t = target ? xb_centries_get(&ls->add, target) : NULL;
    bool same_layer = t != NULL;
    if (t == NULL && target != NULL)
        t = xb_centries_get(ls->idx, target);
    if (t == NULL) {
        e->mode = S_IFREG | (e->mode & 07777);
        return 0;
    }
    e->mode = t->mode;
    e->len = t->len;
    e->src = t->src ? strdup(t->src) : NULL;
    xb_centry_identify(t); /* the names share the spilled file: a hard link */
    e->dev = t->dev;
    e->ino = t->ino;
    if (want && xb_centry_copy_xattrs(e, t) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (want && same_layer && S_ISREG(t->mode) && t->src == NULL &&
        pending_add(ls->pending, target, e->path) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

/* Any other entry: a symlink's target; a wanted file's content spilled; wanted xattrs. */
static int plain_entry(struct layer_scan *ls, struct archive_entry *ae, xb_centry_t *e, bool want,
                       xb_error_t *err)
{
    if (S_ISLNK(e->mode)) {
        const char *sl = archive_entry_symlink(ae);
        e->link = strdup(sl ? sl : "");
    } else if (S_ISREG(e->mode)) {
        e->len = (size_t)archive_entry_size(ae);
        if (want &&
            xb_rootfs_spill(ls->a, ls->tmpdir, ls->seq++, archive_entry_size(ae), &e->src, err) < 0)
            return -1;
    }
    if (want && xb_centry_archive_xattrs(e, ae, err) < 0)
        return -1;
    return 0;
}

/* One tar entry into ls->add (whiteouts noted apart). */
static int scan_entry(struct layer_scan *ls, struct archive_entry *ae, xb_error_t *err)
{
    cleanup_free char *p = xb_clean_image_path(archive_entry_pathname(ae));
    if (p == NULL || p[0] == '\0')
        return 0;
    const char *base = strrchr(p, '/');
    base = base ? base + 1 : p;
    if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0) {
        note_whiteout(ls, p, base);
        return 0;
    }
    if (check_limits(ls, ae, p, err) < 0)
        return -1;
    xb_centry_t e = {0};
    e.path = steal_pointer(&p);
    e.mode = archive_entry_mode(ae);
    e.uid = (uid_t)archive_entry_uid(ae);
    e.gid = (gid_t)archive_entry_gid(ae);
    e.mtime = archive_entry_mtime(ae);
    e.rdev = archive_entry_rdev(ae);
    /* below want_prefix (a COPY --from source): content and xattrs are kept */
    bool want = ls->want_prefix != NULL && ls->tmpdir != NULL && under(e.path, ls->want_prefix);
    const char *hl = archive_entry_hardlink(ae);
    if ((hl != NULL ? hardlink_entry(ls, &e, hl, want, err) : plain_entry(ls, ae, &e, want, err)) <
        0) {
        xb_centry_clear(&e);
        return -1;
    }
    if (xb_centries_put(&ls->add, &e) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

int xb_rootfs_apply_layer(xb_centries_t *idx, xb_store_t *s, const json_t *layer,
                          const char *want_prefix, const char *tmpdir, xb_error_t *err)
{
    cleanup_archive_read struct archive *a = NULL;
    if (open_layer(s, layer, &a, err) < 0)
        return -1;
    cleanup_json json_t *whiteouts = json_array();
    cleanup_json json_t *opaques = json_array();
    cleanup_json json_t *pending = json_object();
    struct layer_scan ls = {.idx = idx,
                            .whiteouts = whiteouts,
                            .opaques = opaques,
                            .pending = pending,
                            .a = a,
                            .layer = layer,
                            .want_prefix = want_prefix,
                            .tmpdir = tmpdir,
                            .max = xb_store_max_layer_size(s)};
    if (ls.max == 0)
        ls.max = XB_LAYER_MAX_SIZE_DEFAULT;
    xb_centries_init(&ls.add);
    struct archive_entry *ae;
    int r, ret = 0;
    while (ret == 0 && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK)
        ret = scan_entry(&ls, ae, err);
    if (ret == 0 && r != ARCHIVE_EOF)
        ret = xb_error_set(err, XB_ERR_IO, "reading layer %s: %s", xb_json_str(layer, "digest"),
                           archive_error_string(a));
    if (ret == 0 && json_object_size(pending) > 0)
        ret = fetch_pending(s, layer, tmpdir, pending, &ls.add, &ls.seq, err);
    if (ret == 0)
        ret = commit_layer(idx, &ls.add, opaques, whiteouts, err);
    xb_centries_free(&ls.add);
    return ret;
}

/* --- the same from a layer already extracted in overlay form (snapshot/layers.h) --- */

struct dirwalk {
    xb_centries_t *idx, *add;
    json_t *opaques, *whiteouts;
    char path[PATH_MAX]; /* host path being walked */
    size_t root_len;     /* length of the layer dir's path in path */
    const char *opq;     /* the opaque xattr (util/sys.h) */
};

static int walk_dir(struct dirwalk *w, xb_error_t *err)
{
    DIR *d = opendir(w->path);
    if (d == NULL)
        return xb_error_errno(err, errno, "cannot read %s", w->path);
    size_t len = strlen(w->path);
    /* this directory, relative to the layer dir ("" for its root) */
    const char *self = len > w->root_len ? w->path + w->root_len + 1 : "";
    if (xb_wh_opaque(dirfd(d), w->opq))
        json_array_append_new(w->opaques, json_string(self));
    int ret = 0;
    struct dirent *de;
    while (ret == 0 && (errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (len + 1 + strlen(de->d_name) >= sizeof(w->path)) {
            ret = xb_error_set(err, XB_ERR_INVALID, "path too long under %s", w->path);
            break;
        }
        w->path[len] = '/';
        strcpy(w->path + len + 1, de->d_name);
        const char *rel = w->path + w->root_len + 1;
        struct stat st;
        if (lstat(w->path, &st) < 0) {
            ret = xb_error_errno(err, errno, "cannot stat %s", w->path);
            break;
        }
        if (xb_wh_is_marker(de->d_name))
            continue; /* its directory's opaque mark, read above */
        const char *victim = xb_wh_victim(de->d_name, &st);
        if (victim != NULL) { /* either form (layer/whiteout.h) */
            cleanup_free char *vp = NULL;
            if (asprintf(&vp, "%.*s%s", (int)(strlen(rel) - strlen(de->d_name)), rel, victim) < 0)
                vp = NULL;
            json_array_append_new(w->whiteouts, json_string(vp ? vp : rel));
            continue;
        }
        if (w->idx->n + w->add->n > XB_ROOTFS_MAX_ENTRIES) {
            ret = xb_error_set(err, XB_ERR_INVALID, "layer has too many entries");
            break;
        }
        xb_centry_t e = {0};
        e.path = strdup(rel);
        e.mode = st.st_mode;
        e.uid = st.st_uid;
        e.gid = st.st_gid;
        e.mtime = st.st_mtim.tv_sec;
        e.rdev = st.st_rdev;
        if (S_ISREG(st.st_mode))
            e.len = (size_t)st.st_size;
        if (S_ISLNK(st.st_mode)) {
            char t[PATH_MAX];
            ssize_t n = readlink(w->path, t, sizeof(t) - 1);
            e.link = strndup(t, n > 0 ? (size_t)n : 0);
        }
        if (e.path == NULL || (S_ISLNK(st.st_mode) && e.link == NULL) ||
            xb_centries_put(w->add, &e) == NULL) {
            ret = xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            break;
        }
        if (S_ISDIR(st.st_mode))
            ret = walk_dir(w, err);
    }
    if (ret == 0 && errno != 0)
        ret = xb_error_errno(err, errno, "cannot read %s", w->path);
    w->path[len] = '\0';
    closedir(d);
    return ret;
}

/* Applies the extracted layer dir (metadata only: no entry gets content). */
static int apply_dir(xb_centries_t *idx, const char *dir, xb_error_t *err)
{
    struct dirwalk w = {.idx = idx, .opq = xb_sys_overlay_opaque_xattr()};
    xb_centries_t add;
    xb_centries_init(&add);
    w.add = &add;
    w.opaques = json_array();
    w.whiteouts = json_array();
    int ret;
    if (strlen(dir) >= sizeof(w.path))
        ret = xb_error_set(err, XB_ERR_INVALID, "path too long: %s", dir);
    else {
        strcpy(w.path, dir);
        w.root_len = strlen(dir);
        ret = walk_dir(&w, err);
    }
    if (ret == 0)
        ret = commit_layer(idx, &add, w.opaques, w.whiteouts, err);
    xb_centries_free(&add);
    json_decref(w.opaques);
    json_decref(w.whiteouts);
    return ret;
}

int xb_rootfs_build(xb_centries_t *idx, xb_store_t *s, const json_t *layers,
                    const char *want_prefix, const char *tmpdir, xb_error_t *err)
{
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (xb_rootfs_apply_layer(idx, s, l, want_prefix, tmpdir, err) < 0)
            return -1;
    }
    return 0;
}

int xb_rootfs_build_index(xb_centries_t *idx, xb_store_t *s, const json_t *layers,
                          const json_t *diff_ids, xb_error_t *err)
{
    cleanup_free char *ldir = xb_snapshot_layers_dir(s);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        const char *did = json_string_value(json_array_get(diff_ids, i));
        cleanup_free char *dir = NULL;
        if (ldir != NULL && did != NULL && strncmp(did, "sha256:", 7) == 0 &&
            xb_digest_valid(did) && json_array_size(diff_ids) == json_array_size(layers))
            dir = xb_path_join(ldir, did + 7);
        int r = dir != NULL && xb_is_dir(dir) ? apply_dir(idx, dir, err)
                                              : xb_rootfs_apply_layer(idx, s, l, NULL, NULL, err);
        if (r < 0)
            return -1;
    }
    return 0;
}

char *xb_rootfs_resolve(const xb_centries_t *idx, const char *path, bool follow_last,
                        xb_centry_t **entry)
{
    cleanup_free char *todo = xb_clean_image_path(path);
    xb_buf_t cur = XB_BUF_INIT;
    int links = 0;
    *entry = NULL;
    if (todo == NULL || xb_buf_puts(&cur, "") < 0)
        return NULL;
    char *rest = todo;
    while (rest != NULL && *rest != '\0') {
        char *slash = strchr(rest, '/');
        if (slash)
            *slash = '\0';
        char *comp = rest;
        rest = slash ? slash + 1 : NULL;
        size_t mark = cur.len;
        if (cur.len > 0)
            xb_buf_putc(&cur, '/');
        xb_buf_puts(&cur, comp);
        xb_centry_t *e = xb_centries_get(idx, cur.data);
        bool last = rest == NULL || *rest == '\0';
        if (e != NULL && S_ISLNK(e->mode) && (!last || follow_last) && links < 40) {
            links++;
            cur.len = mark;
            cur.data[mark] = '\0';
            cleanup_free char *joined = NULL;
            if (e->link[0] == '/')
                joined = strdup(e->link);
            else
                (void)!asprintf(&joined, "%s/%s", cur.data, e->link);
            cleanup_free char *np = NULL;
            if (joined != NULL && rest != NULL && *rest != '\0')
                (void)!asprintf(&np, "%s/%s", joined, rest);
            else
                np = joined ? strdup(joined) : NULL;
            char *clean = np ? xb_clean_image_path(np) : NULL;
            if (clean == NULL) {
                xb_buf_free(&cur);
                return NULL;
            }
            free(todo);
            todo = clean;
            rest = todo;
            cur.len = 0;
            cur.data[0] = '\0';
            continue;
        }
    }
    if (cur.len > 0)
        *entry = xb_centries_get(idx, cur.data);
    return xb_buf_steal(&cur);
}

/* Scans one layer for path: 1 found (data read), 0 not there, 2 hidden by a whiteout,
 * 3 symlink (*data = target), < 0 error. */
static int find_in_layer(xb_store_t *s, const json_t *layer, const char *path, size_t max,
                         char **data, size_t *len, xb_error_t *err)
{
    cleanup_archive_read struct archive *a = NULL;
    if (open_layer(s, layer, &a, err) < 0)
        return -1;
    struct archive_entry *ae;
    int r, hidden = 0;
    while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
        cleanup_free char *p = xb_clean_image_path(archive_entry_pathname(ae));
        if (p == NULL)
            continue;
        const char *base = strrchr(p, '/');
        base = base ? base + 1 : p;
        if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0) {
            size_t dl = base > p ? (size_t)(base - p - 1) : 0;
            if (strcmp(base, WH_OPAQUE) == 0) {
                if (dl == 0 || (strncmp(path, p, dl) == 0 && path[dl] == '/'))
                    hidden = 1;
            } else {
                cleanup_free char *victim = NULL;
                if (dl)
                    (void)!asprintf(&victim, "%.*s/%s", (int)dl, p, base + strlen(WH_PREFIX));
                else
                    victim = strdup(base + strlen(WH_PREFIX));
                if (victim != NULL && under(path, victim))
                    hidden = 1;
            }
            continue;
        }
        if (strcmp(p, path) != 0)
            continue;
        if (archive_entry_filetype(ae) == AE_IFLNK) {
            *data = strdup(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "");
            return 3;
        }
        if (archive_entry_filetype(ae) != AE_IFREG)
            return xb_error_set(err, XB_ERR_INVALID, "/%s is not a regular file", path);
        if (archive_entry_size(ae) > (la_int64_t)max)
            return xb_error_set(err, XB_ERR_INVALID, "/%s is larger than %zu bytes", path, max);
        size_t n = (size_t)archive_entry_size(ae);
        char *buf = malloc(n + 1);
        if (buf == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        la_ssize_t got = n ? archive_read_data(a, buf, n) : 0;
        if (got < 0 || (size_t)got != n) {
            free(buf);
            return xb_error_set(err, XB_ERR_IO, "reading /%s from a layer", path);
        }
        buf[n] = '\0';
        *data = buf;
        *len = n;
        return 1;
    }
    if (r != ARCHIVE_EOF)
        return xb_error_set(err, XB_ERR_IO, "reading layer: %s", archive_error_string(a));
    return hidden ? 2 : 0;
}

int xb_layer_stack_read_file(xb_store_t *s, const json_t *layers, const char *path, size_t max,
                             char **data, size_t *len, xb_error_t *err)
{
    cleanup_free char *cur = xb_clean_image_path(path);
    if (cur == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (int links = 0; links < 40; links++) {
        int found = 0;
        for (size_t i = json_array_size(layers); i-- > 0;) {
            char *d = NULL;
            size_t l = 0;
            found = find_in_layer(s, json_array_get(layers, i), cur, max, &d, &l, err);
            if (found < 0)
                return -1;
            if (found == 1) {
                *data = d;
                *len = l;
                return 0;
            }
            if (found == 3) {
                cleanup_free char *target = d;
                cleanup_free char *joined = NULL;
                if (target[0] == '/') {
                    joined = strdup(target);
                } else {
                    const char *sl = strrchr(cur, '/');
                    (void)!asprintf(&joined, "%.*s/%s", sl ? (int)(sl - cur) : 0, cur, target);
                }
                free(cur);
                cur = joined ? xb_clean_image_path(joined) : NULL;
                if (cur == NULL)
                    return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
                break;
            }
            if (found == 2)
                break;
        }
        if (found != 3)
            return xb_error_set(err, XB_ERR_NOT_FOUND, "/%s not found in the image", cur);
    }
    return xb_error_set(err, XB_ERR_INVALID, "too many symlinks resolving %s", path);
}
