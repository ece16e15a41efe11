/* Tree diffs (overlay upper dir, or before/after comparison) -> layer writer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "snapshot/diff.h"
#include "layer/whiteout.h"
#include "snapshot/pathmap.h"
#include "util/cleanup.h"
#include "util/sys.h"
#include "util/xattr.h"

/* --- shared helpers --- */

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted child names of dfd (caller frees with xb_strvfreep); *n set. */
static char **list_dir(int dfd, size_t *n, xb_error_t *err)
{
    int d2 = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
    if (d == NULL) {
        if (d2 >= 0)
            close(d2);
        xb_error_errno(err, errno, "cannot read directory");
        return NULL;
    }
    size_t cap = 16;
    char **v = calloc(cap + 1, sizeof *v);
    *n = 0;
    struct dirent *de;
    while (v && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (*n == cap) {
            char **nv = realloc(v, (cap * 2 + 1) * sizeof *v);
            if (nv == NULL) {
                xb_strvfreep(&v);
                break;
            }
            v = nv;
            cap *= 2;
        }
        v[(*n)++] = strdup(de->d_name);
        v[*n] = NULL;
    }
    closedir(d);
    if (v == NULL) {
        xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    qsort(v, *n, sizeof *v, cmpstr);
    return v;
}

static char *join(const char *rel, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s%s%s", rel, *rel ? "/" : "", name) < 0)
        return NULL;
    return p;
}

/* A directory the walk is inside of. One the diff left out (unchanged itself) is still written,
 * right before the first entry below it, so that every entry's parents are in the layer (as
 * containerd's ChangeWriter with parent dirs, which BuildKit's differs use). Nodes live in the
 * walk's stack frames. */
struct pending {
    struct pending *up;
    int dfd;          /* the parent directory */
    const char *name; /* in dfd */
    const char *path;
    struct stat st; /* as the merged view shows it */
    bool written;
};

struct emitter {
    xb_layer_writer_t *w;
    xb_pathmap_t links; /* "dev:ino" -> first path (char*) */
    size_t count;
    struct pending *dirs; /* innermost directory being walked, NULL at the root */
};

/* The xattrs an entry's layer record carries: a NULL-terminated array (xs) whose names and
 * values are owned (own: 2 per entry). */
struct xlist {
    xb_xattr_t *xs;
    char **own;
    size_t n;
};

static void xlist_free(struct xlist *l)
{
    for (size_t i = 0; i < 2 * l->n; i++)
        free(l->own[i]);
    free(l->own);
    free(l->xs);
}

static int xlist_add(void *ud, const char *name, const void *value, size_t len, xb_error_t *err)
{
    struct xlist *l = ud;
    if (xb_xattr_skipped(name))
        return 0;
    xb_xattr_t *nx = realloc(l->xs, (l->n + 2) * sizeof(*nx));
    if (nx != NULL)
        l->xs = nx;
    char **no = nx ? realloc(l->own, (2 * l->n + 2) * sizeof(*no)) : NULL;
    if (no != NULL)
        l->own = no;
    char *n = no ? strdup(name) : NULL;
    char *v = n ? malloc(len + 1) : NULL;
    if (v == NULL) {
        free(n);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    memcpy(v, value, len);
    l->own[2 * l->n] = n;
    l->own[2 * l->n + 1] = v;
    l->xs[l->n] = (xb_xattr_t){.name = n, .value = v, .len = len};
    l->xs[++l->n].name = NULL;
    return 0;
}

static int emit(struct emitter *em, int dfd, const char *name, const char *path,
                const struct stat *st, xb_error_t *err);

/* Writes the directories around the next entry that are not in the layer yet, outermost
 * first. */
static int flush_parents(struct emitter *em, struct pending *d, xb_error_t *err)
{
    if (d == NULL || d->written)
        return 0;
    if (flush_parents(em, d->up, err) < 0)
        return -1;
    d->written = true; /* before emit: it flushes em->dirs again */
    struct pending *saved = em->dirs;
    em->dirs = NULL;
    int r = emit(em, d->dfd, d->name, d->path, &d->st, err);
    em->dirs = saved;
    return r;
}

static int emit_whiteout(struct emitter *em, const char *path, xb_error_t *err)
{
    if (flush_parents(em, em->dirs, err) < 0 ||
        xb_layer_writer_add_whiteout(em->w, path, 0, err) < 0)
        return -1;
    em->count++;
    return 0;
}

static int emit(struct emitter *em, int dfd, const char *name, const char *path,
                const struct stat *st, xb_error_t *err)
{
    if (flush_parents(em, em->dirs, err) < 0)
        return -1;
    char proc[64 + NAME_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dfd, name);
    /* every xattr xbuild carries, or an error: never some */
    struct xlist xl = {NULL, NULL, 0};
    char shown[PATH_MAX + 2];
    snprintf(shown, sizeof shown, "/%s", path);
    if (xb_xattrs_each(proc, shown, xlist_add, &xl, err) < 0) {
        xlist_free(&xl);
        return -1;
    }
    int r = 0;
    char target[PATH_MAX];
    const char *symlink = NULL, *hardlink = NULL;
    cleanup_close int fd = -1;
    char key[64];
    struct stat s2 = *st;
    if (S_ISLNK(st->st_mode)) {
        ssize_t tl = readlinkat(dfd, name, target, sizeof target - 1);
        if (tl < 0) {
            r = xb_error_errno(err, errno, "readlink /%s", path);
            goto out;
        }
        target[tl] = '\0';
        symlink = target;
    } else if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
        snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)st->st_dev,
                 (unsigned long long)st->st_ino);
        hardlink = xb_pathmap_get(&em->links, key);
        if (hardlink == NULL)
            xb_pathmap_put(&em->links, key, strdup(path));
        else
            s2.st_mode = S_IFREG | (st->st_mode & 07777);
    }
    if (S_ISREG(st->st_mode) && hardlink == NULL) {
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            r = xb_error_errno(err, errno, "cannot read /%s", path);
            goto out;
        }
    }
    r = xb_layer_writer_add(em->w, path, &s2, fd, symlink, hardlink, xl.n ? xl.xs : NULL, err);
    if (r >= 0)
        em->count++;
out:
    xlist_free(&xl);
    return r;
}

static bool same_dir_meta(const struct stat *a, const struct stat *b)
{
    return a->st_mode == b->st_mode && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* --- overlay --- */

struct lowers {
    int *fds;
    size_t n;
    const char *opq; /* the opaque xattr: trusted.overlay.opaque, user.* in a userns */
    bool fuse;       /* the upper dir was written by fuse-overlayfs */
};

#define FUSE_OPQ_MARKER ".wh..wh..opq"
#define FUSE_OPQ_XATTR  "user.fuseoverlayfs.opaque"

/* Whether the directory sub of an upper dir is marked opaque: the overlay's xattr, or, written
 * by fuse-overlayfs, trusted.overlay.opaque (as root), user.fuseoverlayfs.opaque (in a user
 * namespace) or a ".wh..wh..opq" file in it. */
static bool upper_opaque(const struct lowers *lo, int sub)
{
    char v[4];
    if (fgetxattr(sub, lo->opq, v, sizeof v) == 1 && v[0] == 'y')
        return true;
    if (!lo->fuse)
        return false;
    if ((fgetxattr(sub, FUSE_OPQ_XATTR, v, sizeof v) == 1 && v[0] == 'y') ||
        (fgetxattr(sub, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y'))
        return true;
    struct stat st;
    return fstatat(sub, FUSE_OPQ_MARKER, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* One name of an upper dir as the layer sees it: fuse-overlayfs's ".wh.NAME" files are
 * whiteouts of NAME (where it cannot mknod 0/0 devices), its opaque marker file and the 0/0
 * whiteouts it makes of names starting with ".wh." (which its mounts never show) are not
 * entries. */
struct uname {
    char *name; /* in the upper dir */
    const char *logical;
    bool whiteout;
};

static int cmpuname(const void *a, const void *b)
{
    const struct uname *x = a, *y = b;
    int c = strcmp(x->logical, y->logical);
    return c ? c : (int)y->whiteout - (int)x->whiteout;
}

/* Whether path, absent from the lower layer dir layer, hides the layers below it there: a
 * whiteout of it or of one of its parents (either form, layer/whiteout.h), or an opaque
 * parent. */
static bool hidden_in_layer(int layer, const char *path, const char *opq)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return false;
    cleanup_close int d = openat(layer, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return false;
    if (xb_wh_opaque(d, opq))
        return true;
    for (char *comp = buf;;) {
        char *sl = strchr(comp, '/');
        if (sl)
            *sl = '\0';
        if (xb_wh_hides(d, comp))
            return true;
        if (sl == NULL)
            return false;
        int sub = openat(d, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return false;
        close(d);
        d = sub;
        if (xb_wh_opaque(d, opq))
            return true;
        comp = sl + 1;
    }
}

/* The lower stack's entry for path (top layer first), false when absent. */
static bool lower_lookup(const struct lowers *lo, const char *path, struct stat *out)
{
    for (size_t i = 0; i < lo->n; i++) {
        struct open_how how = {0};
        how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
        long fd = syscall(SYS_openat2, lo->fds[i], path, &how, sizeof how);
        if (fd >= 0) {
            struct stat st;
            int r = fstat((int)fd, &st);
            close((int)fd);
            const char *base = strrchr(path, '/');
            if (r < 0 || xb_wh_victim(base ? base + 1 : path, &st) != NULL)
                return false;
            *out = st;
            return true;
        }
        if (errno != ENOENT)
            return false; /* a symlink or file on the way shadows the lower layers */
        if (hidden_in_layer(lo->fds[i], path, lo->opq))
            return false;
    }
    return false;
}

/* The upper dir's names as entries (sorted by the names the layer carries). */
static struct uname *upper_names(const struct lowers *lo, int dfd, char **names, size_t *n)
{
    struct uname *v = calloc(*n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < *n; i++) {
        struct stat st;
        bool wh = fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
                  st.st_rdev == makedev(0, 0);
        if (lo->fuse && strncmp(names[i], ".wh.", 4) == 0) {
            if (wh || strcmp(names[i], FUSE_OPQ_MARKER) == 0 || names[i][4] == '\0')
                continue;
            v[k++] = (struct uname){names[i], names[i] + 4, true};
            continue;
        }
        v[k++] = (struct uname){names[i], names[i], wh};
    }
    if (v) {
        qsort(v, k, sizeof *v, cmpuname);
        *n = k;
    }
    return v;
}

/* fuse-overlayfs copies a file up by renaming it into its (copied-up) directory, which changes
 * that directory's mtime where kernel overlayfs keeps it. A copied-up directory of the lower
 * one's mode and owner is taken as unchanged when all it holds was copied up (no whiteout, no
 * name the lower layers lack): nothing was added to or removed from it. */
static bool only_copied_up(const struct lowers *lo, int sub, const char *rel)
{
    size_t n;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    cleanup_strv char **names = list_dir(sub, &n, &e);
    if (names == NULL)
        return false;
    cleanup_free struct uname *un = upper_names(lo, sub, names, &n);
    for (size_t i = 0; un && i < n; i++) {
        struct stat st;
        cleanup_free char *p = join(rel, un[i].logical);
        if (un[i].whiteout || p == NULL || !lower_lookup(lo, p, &st))
            return false;
    }
    return un != NULL;
}

/* hidden: an opaque directory above this one hides the lower layers here. */
static int walk_upper(struct emitter *em, const struct lowers *lo, int dfd, const char *rel,
                      bool hidden, xb_error_t *err)
{
    size_t n;
    cleanup_strv char **names = list_dir(dfd, &n, err);
    if (names == NULL)
        return xb_error_wrap(err, "/%s", rel);
    cleanup_free struct uname *un = upper_names(lo, dfd, names, &n);
    if (un == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(un[i].logical, un[i - 1].logical) == 0)
            continue; /* NAME and .wh.NAME: one entry */
        cleanup_free char *p = join(rel, un[i].logical);
        struct stat st, lst;
        if (p == NULL || fstatat(dfd, un[i].name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return xb_error_errno(err, errno, "stat /%s", p ? p : un[i].name);
        if (un[i].whiteout) {
            /* fuse-overlayfs may leave whiteouts of names no lower layer has (kernel overlayfs
             * never does): they delete nothing and are left out */
            if (lo->fuse && (hidden || !lower_lookup(lo, p, &lst)))
                continue;
            if (emit_whiteout(em, p, err) < 0)
                return -1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (emit(em, dfd, un[i].name, p, &st, err) < 0)
                return -1;
            continue;
        }
        cleanup_close int sub =
            openat(dfd, un[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return xb_error_errno(err, errno, "open /%s", p);
        bool in_lower = !hidden && lower_lookup(lo, p, &lst);
        /* fuse-overlayfs marks every directory it creates opaque; kernel overlayfs only one
         * made where a lower entry was deleted (only that one hides something) */
        bool opq = upper_opaque(lo, sub) && (!lo->fuse || in_lower);
        bool same = in_lower && S_ISDIR(lst.st_mode) &&
                    (same_dir_meta(&st, &lst) ||
                     (lo->fuse && !opq && st.st_mode == lst.st_mode && st.st_uid == lst.st_uid &&
                      st.st_gid == lst.st_gid && only_copied_up(lo, sub, p)));
        if (opq || !same) {
            if (emit(em, dfd, un[i].name, p, &st, err) < 0)
                return -1;
        }
        if (opq) {
            if (xb_layer_writer_add_opaque(em->w, p, 0, err) < 0)
                return -1;
            em->count++;
        }
        /* left out: the lower directory's times (fuse-overlayfs changed them on copy-up) */
        struct pending node = {em->dirs, dfd, un[i].name, p, st, opq || !same};
        if (same)
            node.st.st_mtim = lst.st_mtim;
        em->dirs = &node;
        int r =
            walk_upper(em, lo, sub, p, hidden || opq || (in_lower && !S_ISDIR(lst.st_mode)), err);
        em->dirs = node.up;
        if (r < 0)
            return -1;
    }
    return 0;
}

static void free_str(void *p)
{
    free(p);
}

static void lowers_close(struct lowers *lo)
{
    for (size_t i = 0; i < lo->n; i++)
        close(lo->fds[i]);
    free(lo->fds);
    lo->fds = NULL;
    lo->n = 0;
}

/* Opens the lower stack (lowerdir "a:b:c", names relative to layers_dir) into lo. 0, or
 * negative + err. */
static int lowers_open(struct lowers *lo, const char *layers_dir, const char *lowerdir,
                       xb_error_t *err)
{
    cleanup_free char *copy = strdup(lowerdir ? lowerdir : "");
    cleanup_close int ldir = open(layers_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    size_t cap = 1;
    for (const char *c = copy; c && *c; c++)
        cap += *c == ':';
    lo->fds = calloc(cap, sizeof *lo->fds);
    if (copy == NULL || lo->fds == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char *save = NULL;
    for (char *t = *copy ? strtok_r(copy, ":", &save) : NULL; t; t = strtok_r(NULL, ":", &save)) {
        int fd = ldir >= 0 ? openat(ldir, t, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (fd < 0)
            return xb_error_errno(err, errno, "cannot open lower layer %s/%s", layers_dir, t);
        lo->fds[lo->n++] = fd;
    }
    return 0;
}

int xb_diff_overlay(xb_layer_writer_t *w, const char *upper, const char *layers_dir,
                    const char *lowerdir, bool fuse, size_t *count, xb_error_t *err)
{
    struct emitter em = {w, XB_PATHMAP_INIT, 0, NULL};
    em.links.free_val = free_str;
    struct lowers lo = {NULL, 0, xb_sys_overlay_opaque_xattr(), fuse};
    int r = lowers_open(&lo, layers_dir, lowerdir, err);
    cleanup_close int up = r < 0 ? -1 : open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r >= 0 && up < 0)
        r = xb_error_errno(err, errno, "cannot open %s", upper);
    if (r >= 0)
        r = walk_upper(&em, &lo, up, "", false, err);
    lowers_close(&lo);
    xb_pathmap_free(&em.links);
    if (count)
        *count = em.count;
    return r;
}

/* --- fuse-overlayfs upper dir -> the form of an extracted layer (for adoption) --- */

/* Drops fuse-overlayfs' own xattrs (copy-up origin, opaque mark) of name in dfd. */
static int drop_fuse_xattrs(int dfd, const char *name, const char *shown, xb_error_t *err)
{
    static const char *const xs[] = {"user.fuseoverlayfs.origin", FUSE_OPQ_XATTR};
    char proc[64 + NAME_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dfd, name);
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        if (lremovexattr(proc, xs[i]) < 0 && errno != ENODATA && errno != ENOTSUP && errno != EPERM)
            return xb_error_errno(err, errno, "cannot remove %s of /%s", xs[i], shown);
    return 0;
}

/* A directory as an extraction leaves it: the overlay opaque xattr (or, where the store's
 * filesystem refuses it, the marker file: layer/whiteout.h) when it really is opaque, none of
 * fuse-overlayfs' marks. */
static int normalize_dir_mark(const struct lowers *lo, int sub, bool opq, xb_wh_form_t *form,
                              const char *shown, xb_error_t *err)
{
    if (opq && xb_wh_make_opaque(sub, lo->opq, form, shown, err) < 0)
        return -1;
    if (!opq && fremovexattr(sub, lo->opq) < 0 && errno != ENODATA && errno != ENOTSUP)
        return xb_error_errno(err, errno, "cannot unmark /%s", shown);
    if (!opq && strcmp(lo->opq, "trusted.overlay.opaque") != 0)
        (void)fremovexattr(sub, "trusted.overlay.opaque"); /* fuse-overlayfs' as root */
    return 0;
}

static int normalize_upper(const struct lowers *lo, int dfd, const char *rel, bool hidden,
                           xb_wh_form_t *form, xb_error_t *err)
{
    size_t n;
    cleanup_strv char **names = list_dir(dfd, &n, err);
    if (names == NULL)
        return xb_error_wrap(err, "/%s", rel);
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = join(rel, names[i]);
        struct stat st, lst;
        if (p == NULL || fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* a .wh.NAME turned into NAME below */
        bool wh = S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
        if (strncmp(names[i], ".wh.", 4) == 0 || wh) {
            const char *logical = strncmp(names[i], ".wh.", 4) == 0 && !wh ? names[i] + 4 : NULL;
            cleanup_free char *lp = logical ? join(rel, logical) : NULL;
            bool keep =
                wh && strncmp(names[i], ".wh.", 4) != 0 && !hidden && lower_lookup(lo, p, &lst);
            if (!keep && unlinkat(dfd, names[i], 0) < 0)
                return xb_error_errno(err, errno, "cannot remove /%s", p);
            if (logical && *logical && lp && !hidden && lower_lookup(lo, lp, &lst) &&
                xb_wh_make(dfd, logical, form, lp, err) < 0)
                return -1;
            continue;
        }
        if (drop_fuse_xattrs(dfd, names[i], p, err) < 0)
            return -1;
        if (!S_ISDIR(st.st_mode))
            continue;
        cleanup_close int sub =
            openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return xb_error_errno(err, errno, "open /%s", p);
        bool in_lower = !hidden && lower_lookup(lo, p, &lst);
        bool opq = upper_opaque(lo, sub) && in_lower;
        /* what the diff left out keeps the lower directory's times, as in kernel overlayfs */
        bool same = !opq && in_lower && S_ISDIR(lst.st_mode) && st.st_mode == lst.st_mode &&
                    st.st_uid == lst.st_uid && st.st_gid == lst.st_gid &&
                    only_copied_up(lo, sub, p);
        struct timespec ts[2] = {{0, UTIME_OMIT}, same ? lst.st_mtim : st.st_mtim};
        /* the children first: they include fuse-overlayfs' own opaque marker file */
        if (normalize_upper(lo, sub, p, hidden || opq || (in_lower && !S_ISDIR(lst.st_mode)), form,
                            err) < 0 ||
            normalize_dir_mark(lo, sub, opq, form, p, err) < 0)
            return -1;
        if (futimens(sub, ts) < 0)
            return xb_error_errno(err, errno, "cannot restore the times of /%s", p);
    }
    return 0;
}

int xb_diff_fuse_normalize(const char *upper, const char *layers_dir, const char *lowerdir,
                           xb_error_t *err)
{
    struct lowers lo = {NULL, 0, xb_sys_overlay_opaque_xattr(), true};
    xb_wh_form_t form = {false, false};
    int r = lowers_open(&lo, layers_dir, lowerdir, err);
    cleanup_close int up = r < 0 ? -1 : open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r >= 0 && up < 0)
        r = xb_error_errno(err, errno, "cannot open %s", upper);
    struct stat st;
    if (r >= 0 && fstat(up, &st) < 0)
        r = xb_error_errno(err, errno, "cannot stat %s", upper);
    if (r >= 0)
        r = normalize_upper(&lo, up, "", false, &form, err);
    struct timespec ts[2] = {{0, UTIME_OMIT}, st.st_mtim};
    if (r >= 0 && futimens(up, ts) < 0)
        r = xb_error_errno(err, errno, "cannot restore the times of %s", upper);
    lowers_close(&lo);
    return r;
}

/* --- copy snapshotter: before/after comparison --- */

struct rec {
    struct stat st;
    struct timespec btime; /* 0 when the fs does not report it */
    char **children;       /* dirs: sorted child names */
    size_t nchildren;
};

struct xb_tree_state {
    xb_pathmap_t map; /* path -> struct rec */
};

static void free_rec(void *p)
{
    struct rec *r = p;
    if (r == NULL)
        return;
    xb_strvfreep(&r->children);
    free(r);
}

static void get_btime(int dfd, const char *name, struct timespec *bt)
{
    struct statx sx;
    bt->tv_sec = 0;
    bt->tv_nsec = 0;
    if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 &&
        (sx.stx_mask & STATX_BTIME)) {
        bt->tv_sec = sx.stx_btime.tv_sec;
        bt->tv_nsec = sx.stx_btime.tv_nsec;
    }
}

static int capture_dir(xb_tree_state_t *s, int dfd, const char *rel, struct rec *self,
                       xb_error_t *err)
{
    size_t n;
    char **names = list_dir(dfd, &n, err);
    if (names == NULL)
        return xb_error_wrap(err, "/%s", rel);
    self->children = names;
    self->nchildren = n;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = join(rel, names[i]);
        struct rec *r = calloc(1, sizeof *r);
        if (p == NULL || r == NULL) {
            free(r);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        if (fstatat(dfd, names[i], &r->st, AT_SYMLINK_NOFOLLOW) < 0) {
            free(r);
            return xb_error_errno(err, errno, "stat /%s", p);
        }
        get_btime(dfd, names[i], &r->btime);
        if (xb_pathmap_put(&s->map, p, r) < 0) {
            free_rec(r);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        if (S_ISDIR(r->st.st_mode)) {
            cleanup_close int sub =
                openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                return xb_error_errno(err, errno, "open /%s", p);
            if (capture_dir(s, sub, p, r, err) < 0)
                return -1;
        }
    }
    return 0;
}

int xb_tree_state_capture(const char *root, xb_tree_state_t **out, xb_error_t *err)
{
    xb_tree_state_t *s = calloc(1, sizeof *s);
    struct rec *top = calloc(1, sizeof *top);
    if (s == NULL || top == NULL) {
        free(s);
        free(top);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    s->map.free_val = free_rec;
    xb_pathmap_put(&s->map, "", top);
    cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &top->st) < 0) {
        xb_tree_state_free(s);
        return xb_error_errno(err, errno, "cannot open %s", root);
    }
    if (capture_dir(s, fd, "", top, err) < 0) {
        xb_tree_state_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void xb_tree_state_free(xb_tree_state_t *s)
{
    if (s == NULL)
        return;
    xb_pathmap_free(&s->map);
    free(s);
}

static bool same_ts(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool same_identity(const struct rec *b, const struct stat *st, struct timespec bt)
{
    return b->st.st_ino == st->st_ino && b->st.st_dev == st->st_dev && same_ts(b->btime, bt) &&
           (b->st.st_mode & S_IFMT) == (st->st_mode & S_IFMT);
}

static bool same_file(const struct rec *b, const struct stat *st, struct timespec bt)
{
    return same_identity(b, st, bt) && b->st.st_mode == st->st_mode && b->st.st_uid == st->st_uid &&
           b->st.st_gid == st->st_gid && b->st.st_size == st->st_size &&
           b->st.st_rdev == st->st_rdev && same_ts(b->st.st_mtim, st->st_mtim) &&
           same_ts(b->st.st_ctim, st->st_ctim);
}

/* before_dir: the dir's record when it existed before with the same identity (its children
 * are compared), NULL when everything below is new. */
static int walk_copy(struct emitter *em, const xb_tree_state_t *s, int dfd, const char *rel,
                     const struct rec *before_dir, xb_error_t *err)
{
    size_t n;
    cleanup_strv char **names = list_dir(dfd, &n, err);
    if (names == NULL)
        return xb_error_wrap(err, "/%s", rel);
    size_t nb = before_dir ? before_dir->nchildren : 0;
    char **bn = before_dir ? before_dir->children : NULL;
    size_t i = 0, j = 0;
    while (i < n || j < nb) {
        int c = i >= n ? 1 : j >= nb ? -1 : strcmp(names[i], bn[j]);
        if (c > 0) { /* deleted */
            cleanup_free char *p = join(rel, bn[j]);
            if (p == NULL || emit_whiteout(em, p, err) < 0)
                return p ? -1 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            j++;
            continue;
        }
        const char *name = names[i];
        i++;
        if (c == 0)
            j++;
        cleanup_free char *p = join(rel, name);
        struct stat st;
        if (p == NULL || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return xb_error_errno(err, errno, "stat /%s", p ? p : name);
        struct timespec bt;
        get_btime(dfd, name, &bt);
        const struct rec *b = before_dir && c == 0 ? xb_pathmap_get(&s->map, p) : NULL;
        if (!S_ISDIR(st.st_mode)) {
            if (b == NULL || !same_file(b, &st, bt))
                if (emit(em, dfd, name, p, &st, err) < 0)
                    return -1;
            continue;
        }
        bool recreated = b && !same_identity(b, &st, bt);
        struct pending node = {em->dirs, dfd, name, p, st, false};
        node.written = b == NULL || recreated || !same_dir_meta(&b->st, &st);
        if (node.written && emit(em, dfd, name, p, &st, err) < 0)
            return -1;
        if (recreated) {
            if (xb_layer_writer_add_opaque(em->w, p, 0, err) < 0)
                return -1;
            em->count++;
        }
        cleanup_close int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return xb_error_errno(err, errno, "open /%s", p);
        em->dirs = &node;
        int r = walk_copy(em, s, sub, p, recreated ? NULL : b, err);
        em->dirs = node.up;
        if (r < 0)
            return -1;
    }
    return 0;
}

int xb_diff_copy(xb_layer_writer_t *w, const char *root, const xb_tree_state_t *before,
                 size_t *count, xb_error_t *err)
{
    struct emitter em = {w, XB_PATHMAP_INIT, 0, NULL};
    em.links.free_val = free_str;
    cleanup_close int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;
    if (fd < 0)
        r = xb_error_errno(err, errno, "cannot open %s", root);
    else
        r = walk_copy(&em, before, fd, "", xb_pathmap_get(&before->map, ""), err);
    xb_pathmap_free(&em.links);
    if (count)
        *count = em.count;
    return r;
}
