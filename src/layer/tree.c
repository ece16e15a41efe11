/* xb_layer_writer_add_tree: a host directory into the layer, sorted, hardlinks preserved. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/writer.h"
#include "util/buf.h"
#include "util/cleanup.h"

#define MAX_DEPTH   256
#define CAP_MAX     64 /* vfs_cap_data v3 is 24 bytes */
#define INODE_SLOTS 1024

struct inode_ent {
    dev_t dev;
    ino_t ino;
    char *path; /* in-layer path of the first entry */
    struct inode_ent *next;
};

struct walk {
    xb_layer_writer_t *w;
    const xb_tree_opts_t *o;
    struct inode_ent *slots[INODE_SLOTS];
};

static struct inode_ent *inode_find(struct walk *wk, dev_t dev, ino_t ino)
{
    for (struct inode_ent *e = wk->slots[ino % INODE_SLOTS]; e; e = e->next)
        if (e->dev == dev && e->ino == ino)
            return e;
    return NULL;
}

static int inode_add(struct walk *wk, dev_t dev, ino_t ino, const char *path)
{
    struct inode_ent *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->path = strdup(path)) == NULL) {
        free(e);
        return -1;
    }
    e->dev = dev;
    e->ino = ino;
    e->next = wk->slots[ino % INODE_SLOTS];
    wk->slots[ino % INODE_SLOTS] = e;
    return 0;
}

static void walk_free(struct walk *wk)
{
    for (size_t i = 0; i < INODE_SLOTS; i++) {
        for (struct inode_ent *e = wk->slots[i], *n; e; e = n) {
            n = e->next;
            free(e->path);
            free(e);
        }
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *a, const char *b)
{
    xb_buf_t buf = XB_BUF_INIT;
    if (xb_buf_printf(&buf, "%s%s%s", a, *a ? "/" : "", b) < 0) {
        xb_buf_free(&buf);
        return NULL;
    }
    return xb_buf_steal(&buf);
}

static void apply_opts(const xb_tree_opts_t *o, struct stat *st)
{
    if (o->uid >= 0)
        st->st_uid = (uid_t)o->uid;
    if (o->gid >= 0)
        st->st_gid = (gid_t)o->gid;
    if (o->chmod >= 0 && !S_ISLNK(st->st_mode))
        st->st_mode = (st->st_mode & S_IFMT) | ((mode_t)o->chmod & 07777);
}

static int walk_dir(struct walk *wk, int dfd, const char *host, const char *rel, const char *dest,
                    int depth, xb_error_t *err);

static int add_one(struct walk *wk, int dfd, const char *name, const char *host, const char *rel,
                   const char *dest, int depth, xb_error_t *err)
{
    struct stat st;
    int r;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return xb_error_errno(err, errno, "stat '%s'", host);
    bool is_dir = S_ISDIR(st.st_mode);
    if (wk->o->filter && !wk->o->filter(rel, is_dir, wk->o->userdata))
        return 0;
    if (S_ISSOCK(st.st_mode))
        return 0;
    apply_opts(wk->o, &st);

    if (is_dir) {
        if ((r = xb_layer_writer_add(wk->w, dest, &st, -1, NULL, NULL, NULL, err)) < 0)
            return r;
        cleanup_close int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return xb_error_errno(err, errno, "opening directory '%s'", host);
        return walk_dir(wk, fd, host, rel, dest, depth + 1, err);
    }
    if (S_ISLNK(st.st_mode)) {
        char target[4097];
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return xb_error_errno(err, errno, "readlink '%s'", host);
        target[n] = '\0';
        return xb_layer_writer_add(wk->w, dest, &st, -1, target, NULL, NULL, err);
    }
    if (!S_ISREG(st.st_mode))
        return xb_layer_writer_add(wk->w, dest, &st, -1, NULL, NULL, NULL, err);

    if (st.st_nlink > 1) {
        struct inode_ent *ie = inode_find(wk, st.st_dev, st.st_ino);
        if (ie != NULL)
            return xb_layer_writer_add(wk->w, dest, &st, -1, NULL, ie->path, NULL, err);
        if (inode_add(wk, st.st_dev, st.st_ino, dest) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return xb_error_errno(err, errno, "opening '%s'", host);
    unsigned char cap[CAP_MAX];
    ssize_t caplen = fgetxattr(fd, "security.capability", cap, sizeof(cap));
    xb_xattr_t xa[2] = {{"security.capability", cap, caplen > 0 ? (size_t)caplen : 0},
                        {NULL, NULL, 0}};
    return xb_layer_writer_add(wk->w, dest, &st, fd, NULL, NULL, caplen > 0 ? xa : NULL, err);
}

static int walk_dir(struct walk *wk, int dfd, const char *host, const char *rel, const char *dest,
                    int depth, xb_error_t *err)
{
    if (depth > MAX_DEPTH)
        return xb_error_set(err, XB_ERR_INVALID, "'%s': directory tree deeper than %d", host,
                            MAX_DEPTH);
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0)
        return xb_error_errno(err, errno, "dup");
    cleanup_dir DIR *d = fdopendir(dup_fd);
    if (d == NULL) {
        close(dup_fd);
        return xb_error_errno(err, errno, "opendir '%s'", host);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (nn == NULL) {
                r = xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
                goto out;
            }
            names = nn;
        }
        if ((names[n] = strdup(de->d_name)) == NULL) {
            r = xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            goto out;
        }
        n++;
    }
    if (errno != 0) {
        r = xb_error_errno(err, errno, "reading directory '%s'", host);
        goto out;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && r >= 0; i++) {
        cleanup_free char *h = join(host, names[i]);
        cleanup_free char *rl = join(rel, names[i]);
        cleanup_free char *ds = join(dest, names[i]);
        if (h == NULL || rl == NULL || ds == NULL)
            r = xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        else
            r = add_one(wk, dfd, names[i], h, rl, ds, depth, err);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

int xb_layer_writer_add_tree(xb_layer_writer_t *w, const char *dir, const char *dest_prefix,
                             const xb_tree_opts_t *o, xb_error_t *err)
{
    static const xb_tree_opts_t defaults = XB_TREE_OPTS_INIT;
    struct walk wk;
    int r;
    memset(&wk, 0, sizeof(wk));
    wk.w = w;
    wk.o = o ? o : &defaults;

    /* in-layer prefix without leading/trailing slashes */
    const char *ps = dest_prefix ? dest_prefix : "";
    while (*ps == '/')
        ps++;
    cleanup_free char *prefix = strdup(ps);
    if (prefix == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (size_t l = strlen(prefix); l > 0 && prefix[l - 1] == '/'; l--)
        prefix[l - 1] = '\0';
    if (strcmp(prefix, ".") == 0)
        prefix[0] = '\0';

    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "opening directory '%s'", dir);
    if (wk.o->include_root && *prefix) {
        struct stat st;
        if (fstat(fd, &st) < 0)
            return xb_error_errno(err, errno, "stat '%s'", dir);
        apply_opts(wk.o, &st);
        if ((r = xb_layer_writer_add(w, prefix, &st, -1, NULL, NULL, NULL, err)) < 0)
            return r;
    }
    r = walk_dir(&wk, fd, dir, "", prefix, 0, err);
    walk_free(&wk);
    return r;
}
