#include "builder/context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "builder/rootfs.h"
#include "layer/inroot.h"
#include "layer/whiteout.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xattr.h"

struct scan {
    xb_ignore_fn ignored;
    void *ud;
    bool descend_ignored;
    xb_centries_t *idx;
    int depth;
    bool procfd; /* /proc/self/fd is there: xattrs are read through the directory's fd */
};

struct xctx {
    xb_centry_t *e;
    const char *host;
};

static int add_xattr(void *ud, const char *name, const void *value, size_t len, xb_error_t *err)
{
    struct xctx *x = ud;
    int r = xb_centry_add_xattr(x->e, name, value, len);
    if (r == -2)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "%s: more than %d xattrs (xbuild carries at most %d per file)", x->host,
                            XB_CENTRY_MAX_XATTRS, XB_CENTRY_MAX_XATTRS);
    return r < 0 ? xb_error_set(err, XB_ERR_INTERNAL, "out of memory") : 0;
}

static int add_entry(struct scan *sc, int dfd, const char *name, const char *rel, const char *host,
                     const struct stat *st, xb_error_t *err)
{
    xb_centry_t e = {0};
    e.path = strdup(rel);
    e.mode = st->st_mode;
    e.uid = st->st_uid;
    e.gid = st->st_gid;
    e.mtime = st->st_mtim.tv_sec;
    e.rdev = st->st_rdev;
    if (S_ISLNK(st->st_mode)) {
        char buf[4096];
        ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
        if (n < 0) {
            free(e.path);
            return xb_error_errno(err, errno, "readlink %s", host);
        }
        buf[n] = '\0';
        e.link = strdup(buf);
    } else if (S_ISSOCK(st->st_mode)) {
        /* a socket arrives as an empty regular file (BuildKit's context transfer) */
        e.mode = (st->st_mode & 07777) | S_IFREG;
        e.len = 0;
    } else if (S_ISREG(st->st_mode)) {
        e.src = strdup(host);
        e.src_rel = strlen(host) - strlen(rel);
        e.len = (size_t)st->st_size;
        if (st->st_nlink > 1) { /* hard links: one COPY keeps them linked */
            e.dev = st->st_dev;
            e.ino = st->st_ino;
        }
    }
    if (sc->idx->n >= XB_ROOTFS_MAX_ENTRIES) {
        xb_centry_clear(&e);
        return xb_error_set(err, XB_ERR_INVALID, "the build context has too many files");
    }
    if (e.path == NULL) {
        xb_centry_clear(&e);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    /* xattrs travel with context files, as BuildKit and buildah send them */
    struct xctx xc = {&e, host};
    char at[PATH_MAX + 32]; /* through the scanned directory's fd, not the host path */
    snprintf(at, sizeof at, "/proc/self/fd/%d/%s", dfd, name);
    if (xb_xattrs_each(sc->procfd ? at : host, host, add_xattr, &xc, err) < 0) {
        xb_centry_clear(&e);
        return -1;
    }
    if (xb_centries_put(sc->idx, &e) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

static int scan_dir(struct scan *sc, int dfd, const char *rel, const char *host, xb_error_t *err)
{
    cleanup_dir DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return xb_error_errno(err, errno, "opendir %s", host);
    }
    if (++sc->depth > 256)
        return xb_error_set(err, XB_ERR_INVALID, "%s: directories nested too deeply", host);
    struct dirent *de;
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        cleanup_free char *crel = NULL;
        cleanup_free char *chost = xb_path_join(host, de->d_name);
        if (rel[0] == '\0')
            crel = strdup(de->d_name);
        else if (asprintf(&crel, "%s/%s", rel, de->d_name) < 0)
            crel = NULL;
        if (crel == NULL || chost == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return xb_error_errno(err, errno, "stat %s", chost);
        bool isdir = S_ISDIR(st.st_mode);
        bool ign = sc->ignored != NULL && sc->ignored(sc->ud, crel, isdir);
        if (ign && !(isdir && sc->descend_ignored))
            continue;
        if (isdir) {
            size_t before = sc->idx->n;
            if (add_entry(sc, dirfd(d), de->d_name, crel, chost, &st, err) < 0)
                return -1;
            int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0)
                return xb_error_errno(err, errno, "open %s", chost);
            if (scan_dir(sc, cfd, crel, chost, err) < 0)
                return -1;
            if (ign && sc->idx->n == before + 1)
                xb_centries_remove_tree(sc->idx, crel);
        } else {
            if (add_entry(sc, dirfd(d), de->d_name, crel, chost, &st, err) < 0)
                return -1;
        }
    }
    if (errno != 0)
        return xb_error_errno(err, errno, "readdir %s", host);
    sc->depth--;
    return 0;
}

int xb_context_scan(const char *dir, xb_ignore_fn ignored, void *ud, bool descend_ignored,
                    xb_centries_t *idx, xb_error_t *err)
{
    struct scan sc = {ignored, ud, descend_ignored, idx, 0, access("/proc/self/fd", X_OK) == 0};
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "build context %s", dir);
    return scan_dir(&sc, fd, "", dir, err);
}

struct mask {
    const xb_centries_t *idx;
    int maskroot;
    size_t n;
    xb_wh_form_t form; /* 0/0 devices, or .wh. files where the store refuses them */
};

static int mask_dir(struct mask *mk, int dfd, const char *rel, int depth, xb_error_t *err)
{
    cleanup_dir DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return xb_error_errno(err, errno, "opendir /%s of the build context", rel);
    }
    if (depth > 256)
        return xb_error_set(err, XB_ERR_INVALID, "/%s: directories nested too deeply", rel);
    struct dirent *de;
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        cleanup_free char *crel = NULL;
        if (asprintf(&crel, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        const xb_centry_t *e = xb_centries_get(mk->idx, crel);
        if (e == NULL) {
            const char *leaf;
            cleanup_close int p = xb_inroot_parent(mk->maskroot, crel, true, &leaf, err);
            if (p < 0)
                return -1;
            if (xb_wh_make(p, leaf, &mk->form, crel, err) < 0)
                return xb_error_wrap(err, "cannot hide the .dockerignore'd /%s from RUN --mount",
                                     crel);
            mk->n++;
        } else if (S_ISDIR(e->mode)) {
            int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0)
                return xb_error_errno(err, errno, "open /%s of the build context", crel);
            if (mask_dir(mk, cfd, crel, depth + 1, err) < 0)
                return -1;
        }
    }
    if (errno != 0)
        return xb_error_errno(err, errno, "readdir /%s of the build context", rel);
    return 0;
}

int xb_context_mask(const char *dir, const xb_centries_t *idx, const char *mask, size_t *masked,
                    xb_error_t *err)
{
    *masked = 0;
    cleanup_close int root = xb_inroot_open_root(mask, err);
    if (root < 0)
        return -1;
    struct mask mk = {idx, root, 0, {false, false}};
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "build context %s", dir);
    if (mask_dir(&mk, fd, "", 0, err) < 0)
        return -1;
    *masked = mk.n;
    return 0;
}
