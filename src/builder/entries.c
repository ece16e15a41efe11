#include "builder/entries.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "layer/inroot.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/path.h"
#include "util/xattr.h"
#include "util/error.h"

int xb_centry_archive_xattrs(xb_centry_t *e, struct archive_entry *ae, xb_error_t *err)
{
    const char *name;
    const void *val;
    size_t size;
    const char *path = archive_entry_pathname(ae);
    archive_entry_xattr_reset(ae);
    while (archive_entry_xattr_next(ae, &name, &val, &size) == ARCHIVE_OK) {
        if (name == NULL || name[0] == '\0')
            continue;
        if (size > XB_CENTRY_MAX_XATTR)
            return xb_error_set(err, XB_ERR_INVALID,
                                "%s: xattr %s has %zu bytes, more than Linux allows (%d)",
                                path ? path : "?", name, size, XB_CENTRY_MAX_XATTR);
        int r = xb_centry_add_xattr(e, name, val, size);
        if (r == -2)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "%s: more than %d xattrs (xbuild carries at most %d per file)",
                                path ? path : "?", XB_CENTRY_MAX_XATTRS, XB_CENTRY_MAX_XATTRS);
        if (r < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

void xb_centry_identify(xb_centry_t *e)
{
    struct stat st;
    if (e->ino != 0 || e->src == NULL || stat(e->src, &st) < 0)
        return; /* without one the names stay copies */
    e->dev = st.st_dev;
    e->ino = st.st_ino;
}

void xb_centry_opener_close(xb_centry_opener_t *o)
{
    if (o->fd >= 0)
        close(o->fd);
    free(o->root);
    o->root = NULL;
    o->fd = -1;
}

/* The O_PATH fd of the first rl bytes of src (the entry's root), through o when given:
 * reused when o holds the same root, else opened (and kept in o). *owned is the fd to close
 * after use (-1 when o keeps it). */
static int open_root(const char *src, size_t rl, xb_centry_opener_t *o, int *owned, xb_error_t *err)
{
    char root[PATH_MAX];
    if (rl >= sizeof root)
        return xb_error_set(err, XB_ERR_INVALID, "%s: path too long", src);
    memcpy(root, src, rl);
    root[rl] = '\0';
    *owned = -1;
    if (o != NULL && o->fd >= 0 && strcmp(o->root, root) == 0)
        return o->fd;
    int fd = xb_inroot_open_root(root, err);
    if (fd < 0)
        return -1;
    if (o == NULL)
        return *owned = fd;
    char *copy = strdup(root);
    if (copy == NULL) {
        close(fd);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    xb_centry_opener_close(o);
    o->root = copy;
    return o->fd = fd;
}

int xb_centry_open(const xb_centry_t *e, xb_centry_opener_t *o, xb_error_t *err)
{
    if (e->src == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "/%s has no content file", e->path);
    /* O_NONBLOCK: a FIFO put in its place must not hang the build (on the regular file that
     * is checked below it changes nothing, so it stays set) */
    int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
    int fd;
    size_t n = strlen(e->src);
    if (e->src_rel > 0 && e->src_rel < n) {
        size_t rl = e->src_rel;
        while (rl > 1 && e->src[rl - 1] == '/')
            rl--;
        cleanup_close int owned = -1;
        int rfd = open_root(e->src, rl, o, &owned, err);
        if (rfd < 0)
            return -1;
        fd = xb_inroot_open(rfd, e->src + e->src_rel, flags, 0);
        if (fd < 0)
            return xb_error_errno(err, -fd,
                                  "cannot open %s inside %.*s (was it replaced during the build?)",
                                  e->src + e->src_rel, (int)rl, e->src);
    } else if ((fd = open(e->src, flags | O_CLOEXEC)) < 0) {
        return xb_error_errno(err, errno, "opening %s", e->src);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e2 = errno;
        close(fd);
        return xb_error_errno(err, e2, "opening %s", e->src);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return xb_error_set(err, XB_ERR_INVALID,
                            "%s is no longer a regular file (was it replaced during the build?)",
                            e->src);
    }
    return fd;
}

void xb_centries_init(xb_centries_t *l)
{
    memset(l, 0, sizeof(*l));
    l->index = json_object();
}

void xb_centry_clear(xb_centry_t *e)
{
    free(e->path);
    free(e->link);
    free(e->src);
    free(e->data);
    for (size_t i = 0; i < e->nxattrs; i++) {
        free(e->xattrs[i].name);
        free(e->xattrs[i].value);
    }
    free(e->xattrs);
    memset(e, 0, sizeof(*e));
}

int xb_centry_add_xattr(xb_centry_t *e, const char *name, const void *value, size_t len)
{
    if (xb_xattr_skipped(name))
        return 0;
    if (e->nxattrs >= XB_CENTRY_MAX_XATTRS)
        return -2;
    xb_cxattr_t *nv = realloc(e->xattrs, (e->nxattrs + 1) * sizeof(*nv));
    if (nv == NULL)
        return -1;
    e->xattrs = nv;
    xb_cxattr_t *x = &nv[e->nxattrs];
    x->name = strdup(name);
    x->value = malloc(len ? len : 1);
    x->len = len;
    if (x->name == NULL || x->value == NULL) {
        free(x->name);
        free(x->value);
        return -1;
    }
    if (len > 0)
        memcpy(x->value, value, len);
    e->nxattrs++;
    return 0;
}

int xb_centry_copy_xattrs(xb_centry_t *dst, const xb_centry_t *src)
{
    for (size_t i = 0; i < src->nxattrs; i++)
        if (xb_centry_add_xattr(dst, src->xattrs[i].name, src->xattrs[i].value,
                                src->xattrs[i].len) < 0)
            return -1;
    return 0;
}

void xb_centries_free(xb_centries_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        xb_centry_clear(&l->v[i]);
    free(l->v);
    if (l->index != NULL)
        json_decref(l->index);
    memset(l, 0, sizeof(*l));
}

static void reindex(xb_centries_t *l)
{
    json_object_clear(l->index);
    for (size_t i = 0; i < l->n; i++)
        json_object_set_new(l->index, l->v[i].path, json_integer((json_int_t)i));
}

xb_centry_t *xb_centries_get(const xb_centries_t *l, const char *path)
{
    json_t *p = json_object_get(l->index, path);
    if (p == NULL)
        return NULL;
    return &l->v[json_integer_value(p)];
}

xb_centry_t *xb_centries_put(xb_centries_t *l, xb_centry_t *e)
{
    xb_centry_t *old = xb_centries_get(l, e->path);
    if (old != NULL) {
        if (S_ISDIR(old->mode) && !S_ISDIR(e->mode))
            xb_centries_remove_tree(l, e->path);
        old = xb_centries_get(l, e->path);
    }
    if (old != NULL) {
        xb_centry_clear(old);
        *old = *e;
        memset(e, 0, sizeof(*e));
        return old;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        xb_centry_t *nv = realloc(l->v, nc * sizeof(*nv));
        if (nv == NULL) {
            xb_centry_clear(e);
            return NULL;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n] = *e;
    memset(e, 0, sizeof(*e));
    json_object_set_new(l->index, l->v[l->n].path, json_integer((json_int_t)l->n));
    return &l->v[l->n++];
}

void xb_centries_remove_tree(xb_centries_t *l, const char *path)
{
    size_t pl = strlen(path), j = 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->v[i].path;
        if (strncmp(p, path, pl) == 0 && (p[pl] == '\0' || p[pl] == '/')) {
            xb_centry_clear(&l->v[i]);
            continue;
        }
        l->v[j++] = l->v[i];
    }
    l->n = j;
    reindex(l);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const xb_centry_t *)a)->path, ((const xb_centry_t *)b)->path);
}

void xb_centries_sort(xb_centries_t *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
    reindex(l);
}

char *xb_clean_image_path(const char *path)
{
    return xb_path_clean(path, XB_PATH_CLAMP, NULL);
}
