/* Safe layer application: libarchive reads, every write is relative to a directory fd that
 * was resolved inside the target root. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/apply.h"
#include "layer/inroot.h"
#include "layer/whiteout.h"
#include "lazy/lazy.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sys.h"

/* --- a small string set (paths written by this layer; merged mode's opaque handling) --- */
struct pathset {
    char **slots;
    size_t cap, n;
};

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool set_has(const struct pathset *ps, const char *s)
{
    if (ps->cap == 0)
        return false;
    for (size_t i = hash_str(s) & (ps->cap - 1);; i = (i + 1) & (ps->cap - 1)) {
        if (ps->slots[i] == NULL)
            return false;
        if (strcmp(ps->slots[i], s) == 0)
            return true;
    }
}

static int set_add(struct pathset *ps, const char *s)
{
    if (set_has(ps, s))
        return 0;
    if ((ps->n + 1) * 2 > ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 256;
        char **ns = calloc(ncap, sizeof *ns);
        if (ns == NULL)
            return -1;
        for (size_t i = 0; i < ps->cap; i++) {
            if (ps->slots[i] == NULL)
                continue;
            size_t j = hash_str(ps->slots[i]) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = ps->slots[i];
        }
        free(ps->slots);
        ps->slots = ns;
        ps->cap = ncap;
    }
    char *d = strdup(s);
    if (d == NULL)
        return -1;
    size_t i = hash_str(s) & (ps->cap - 1);
    while (ps->slots[i])
        i = (i + 1) & (ps->cap - 1);
    ps->slots[i] = d;
    ps->n++;
    return 0;
}

static void set_free(struct pathset *ps)
{
    for (size_t i = 0; i < ps->cap; i++)
        free(ps->slots[i]);
    free(ps->slots);
}

struct dirtime {
    char *path;
    struct timespec ts[2];
};

struct ctx {
    int root;
    enum xb_apply_mode mode;
    bool is_root_user;
    bool in_userns;           /* rootless (util/sys.h) */
    const char *opaque_xattr; /* trusted.overlay.opaque, or user.overlay.opaque in a userns */
    xb_wh_form_t form;        /* overlay mode: the whiteout form this tree gets */
    struct pathset written;
    struct dirtime *dirs;
    size_t ndirs, capdirs;
    xb_apply_stats_t st;
};

static int mark_written(struct ctx *c, const char *path, xb_error_t *err)
{
    if (c->mode != XB_APPLY_MERGED)
        return 0;
    if (set_add(&c->written, path) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

static bool valid_name(const char *n)
{
    return *n && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && strchr(n, '/') == NULL;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
    ts[0].tv_nsec = archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : 0;
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (ts[0].tv_nsec < 0 || ts[0].tv_nsec > 999999999)
        ts[0].tv_nsec = 0;
    if (ts[1].tv_nsec < 0 || ts[1].tv_nsec > 999999999)
        ts[1].tv_nsec = 0;
}

/* xattrs on an open fd (files, dirs) or, for fd < 0, on parent/leaf without following. */
static int set_xattrs(struct ctx *c, struct archive_entry *e, int fd, int parent, const char *leaf,
                      const char *path)
{
    const char *name;
    const void *val;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
        if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0) {
            xb_debug("layer: /%s: dropping xattr %s", path, name);
            continue;
        }
        if (size > XB_APPLY_MAX_XATTR)
            continue;
        int r;
        if (fd >= 0) {
            r = fsetxattr(fd, name, val, size, 0);
        } else {
            char p[64 + NAME_MAX];
            snprintf(p, sizeof p, "/proc/self/fd/%d/%s", parent, leaf);
            r = lsetxattr(p, name, val, size, 0);
        }
        if (r < 0 && errno != ENOTSUP && errno != EPERM)
            xb_warn("layer: /%s: cannot set xattr %s: %s", path, name, strerror(errno));
    }
    (void)c;
    return 0;
}

static int remove_existing(int parent, const char *leaf, const struct stat *old, bool keep_dir,
                           xb_error_t *err)
{
    if (S_ISDIR(old->st_mode)) {
        if (keep_dir)
            return 0;
        return xb_rm_rf_at(parent, leaf, err);
    }
    if (unlinkat(parent, leaf, 0) < 0 && errno != ENOENT)
        return xb_error_errno(err, errno, "cannot replace '%s'", leaf);
    return 0;
}

static int write_data(struct ctx *c, struct archive *a, struct archive_entry *e, int fd,
                      const char *path, xb_error_t *err)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
        const char *p = buf;
        while (size > 0) {
            ssize_t w = pwrite(fd, p, size, off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return xb_error_errno(err, errno, "writing /%s", path);
            }
            p += w;
            off += w;
            size -= (size_t)w;
            c->st.bytes += (uint64_t)w;
        }
    }
    if (r != ARCHIVE_EOF)
        return xb_error_set(err, XB_ERR_PARSE, "reading data of /%s: %s", path,
                            archive_error_string(a));
    if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
        return xb_error_errno(err, errno, "truncating /%s", path);
    return 0;
}

static int whiteout(struct ctx *c, const char *dirpath, const char *name, xb_error_t *err)
{
    if (!valid_name(name))
        return xb_error_set(err, XB_ERR_INVALID, "invalid whiteout '%s' in /%s", name, dirpath);
    c->st.whiteouts++;
    if (c->mode == XB_APPLY_MERGED) {
        cleanup_close int d = xb_inroot_open(c->root, dirpath, O_PATH | O_DIRECTORY, 0);
        if (d < 0)
            return 0; /* parent gone: nothing to delete */
        return xb_rm_rf_at(d, name, err);
    }
    cleanup_close int d = xb_inroot_mkdir_p(c->root, dirpath, 0755, err);
    if (d < 0)
        return -1;
    struct stat old;
    if (fstatat(d, name, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
        remove_existing(d, name, &old, false, err) < 0)
        return -1;
    char shown[PATH_MAX + NAME_MAX + 2];
    snprintf(shown, sizeof shown, "/%s%s%s", dirpath, *dirpath ? "/" : "", name);
    return xb_wh_make(d, name, &c->form, shown, err);
}

static int opaque(struct ctx *c, const char *dirpath, xb_error_t *err)
{
    c->st.whiteouts++;
    cleanup_close int dp = xb_inroot_mkdir_p(c->root, dirpath, 0755, err);
    if (dp < 0)
        return -1;
    cleanup_close int d = xb_inroot_open(c->root, dirpath, O_RDONLY | O_DIRECTORY, 0);
    if (d < 0)
        return xb_error_errno(err, -d, "cannot open /%s", dirpath);
    if (c->mode == XB_APPLY_OVERLAY) {
        char shown[PATH_MAX + 2];
        snprintf(shown, sizeof shown, "/%s", dirpath);
        return xb_wh_make_opaque(d, c->opaque_xattr, &c->form, shown, err);
    }
    /* merged: remove what lower layers put there (not what this layer wrote) */
    int dd = dup(d);
    DIR *dir = dd >= 0 ? fdopendir(dd) : NULL;
    if (dir == NULL) {
        if (dd >= 0)
            close(dd);
        return xb_error_errno(err, errno, "cannot read /%s", dirpath);
    }
    int r = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s%s%s", dirpath, *dirpath ? "/" : "", de->d_name) >=
            (int)sizeof p)
            continue;
        if (set_has(&c->written, p))
            continue;
        if (xb_rm_rf_at(d, de->d_name, err) < 0) {
            r = -1;
            break;
        }
    }
    closedir(dir);
    return r;
}

/* chown of an entry failed: EINVAL means its owner has no id in this user namespace
 * (rootless mode: only the caller and its subordinate range are mapped). */
static int chown_failed(int e, const char *path, uid_t uid, gid_t gid, xb_error_t *err)
{
    if (e != EINVAL || !xb_sys_in_userns())
        return xb_error_errno(err, e, "chown /%s", path);
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "/%s is owned by uid %lu gid %lu, which this rootless user namespace "
                        "cannot map: only your own id (as 0) and a subordinate range from "
                        "/etc/subuid and /etc/subgid can own files. Give your user a range "
                        "(e.g. 'sudo usermod --add-subuids 100000-165535 --add-subgids "
                        "100000-165535 $USER'), or build as root",
                        path, (unsigned long)uid, (unsigned long)gid);
}

/* Where and how one tar entry is made: parent directory fd and leaf name inside the root. */
struct target {
    int parent;
    const char *leaf;
    const char *path; /* image path (messages, written set) */
    uid_t uid;
    gid_t gid;
    mode_t perm;
    struct timespec ts[2];
    bool chown_ok; /* owners are applied (root user) */
};

/* A hard link to an earlier entry of the layer (never to a directory or the root). */
static int make_hardlink(struct ctx *c, const struct target *t, const char *hl, bool exists,
                         const struct stat *old, xb_error_t *err)
{
    const char *path = t->path;
    cleanup_free char *tpath = xb_inroot_clean(hl, err);
    if (tpath == NULL)
        return xb_error_wrap(err, "hardlink /%s", path);
    if (*tpath == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "hardlink /%s to the root", path);
    const char *tleaf;
    cleanup_close int tparent = xb_inroot_parent(c->root, tpath, false, &tleaf, err);
    if (tparent < 0)
        return xb_error_wrap(err, "hardlink /%s -> /%s", path, tpath);
    struct stat ts_;
    if (fstatat(tparent, tleaf, &ts_, AT_SYMLINK_NOFOLLOW) < 0)
        return xb_error_errno(err, errno, "hardlink /%s: target /%s", path, tpath);
    if (S_ISDIR(ts_.st_mode))
        return xb_error_set(err, XB_ERR_INVALID, "hardlink /%s to directory /%s", path, tpath);
    if (exists) {
        if (old->st_ino == ts_.st_ino && old->st_dev == ts_.st_dev)
            return mark_written(c, path, err);
        if (remove_existing(t->parent, t->leaf, old, false, err) < 0)
            return -1;
    }
    if (linkat(tparent, tleaf, t->parent, t->leaf, 0) < 0)
        return xb_error_errno(err, errno, "hardlink /%s -> /%s", path, tpath);
    return mark_written(c, path, err);
}

static int make_file(struct ctx *c, struct archive *a, struct archive_entry *e,
                     const struct target *t, xb_error_t *err)
{
    cleanup_close int fd =
        openat(t->parent, t->leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return xb_error_errno(err, errno, "cannot create /%s", t->path);
    if (write_data(c, a, e, fd, t->path, err) < 0)
        return -1;
    if (t->chown_ok && fchown(fd, t->uid, t->gid) < 0)
        return chown_failed(errno, t->path, t->uid, t->gid, err);
    if (fchmod(fd, t->perm) < 0)
        return xb_error_errno(err, errno, "chmod /%s", t->path);
    set_xattrs(c, e, fd, -1, NULL, t->path);
    if (futimens(fd, t->ts) < 0)
        return xb_error_errno(err, errno, "utimes /%s", t->path);
    return 0;
}

/* A directory (an existing one is kept); its times are set at the end (finish_dirs), after
 * what goes into it. */
static int make_dir(struct ctx *c, struct archive_entry *e, const struct target *t, bool is_dir,
                    xb_error_t *err)
{
    if (!is_dir && mkdirat(t->parent, t->leaf, 0700) < 0)
        return xb_error_errno(err, errno, "cannot create directory /%s", t->path);
    cleanup_close int fd =
        openat(t->parent, t->leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "cannot open directory /%s", t->path);
    if (t->chown_ok && fchown(fd, t->uid, t->gid) < 0)
        return chown_failed(errno, t->path, t->uid, t->gid, err);
    if (fchmod(fd, t->perm) < 0)
        return xb_error_errno(err, errno, "chmod /%s", t->path);
    set_xattrs(c, e, fd, -1, NULL, t->path);
    if (c->ndirs == c->capdirs) {
        size_t n = c->capdirs ? c->capdirs * 2 : 64;
        struct dirtime *nd = realloc(c->dirs, n * sizeof *nd);
        if (nd == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        c->dirs = nd;
        c->capdirs = n;
    }
    c->dirs[c->ndirs].path = strdup(t->path);
    memcpy(c->dirs[c->ndirs].ts, t->ts, sizeof t->ts);
    if (c->dirs[c->ndirs].path)
        c->ndirs++;
    return 0;
}

static int make_symlink(struct ctx *c, struct archive_entry *e, const struct target *t,
                        xb_error_t *err)
{
    const char *target = archive_entry_symlink(e);
    if (target == NULL || *target == '\0')
        return xb_error_set(err, XB_ERR_PARSE, "symlink /%s without a target", t->path);
    if (symlinkat(target, t->parent, t->leaf) < 0)
        return xb_error_errno(err, errno, "cannot create symlink /%s", t->path);
    if (t->chown_ok && fchownat(t->parent, t->leaf, t->uid, t->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return chown_failed(errno, t->path, t->uid, t->gid, err);
    set_xattrs(c, e, -1, t->parent, t->leaf, t->path);
    if (utimensat(t->parent, t->leaf, t->ts, AT_SYMLINK_NOFOLLOW) < 0)
        return xb_error_errno(err, errno, "utimes /%s", t->path);
    return 0;
}

/* A device node or FIFO: 1 made, 0 skipped (a device without privileges: one warning). */
static int make_node(struct ctx *c, struct archive_entry *e, const struct target *t, mode_t type,
                     xb_error_t *err)
{
    dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
    if (mknodat(t->parent, t->leaf, type | (t->perm & 0777), dev) < 0) {
        if (errno == EPERM && !c->is_root_user) {
            xb_warn("layer: /%s: cannot create device node without privileges", t->path);
            return 0;
        }
        if (errno == EPERM && c->in_userns) {
            /* rootless: no device can be made in a user namespace; the RUN sandbox's /dev is
             * its own anyway (as containers/storage skips them) */
            xb_debug("layer: /%s: device node skipped in the user namespace", t->path);
            return 0;
        }
        return xb_error_errno(err, errno, "cannot create node /%s", t->path);
    }
    if (t->chown_ok && fchownat(t->parent, t->leaf, t->uid, t->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return chown_failed(errno, t->path, t->uid, t->gid, err);
    if (fchmodat(t->parent, t->leaf, t->perm & 07777, 0) < 0 && errno != EPERM)
        return xb_error_errno(err, errno, "chmod /%s", t->path);
    set_xattrs(c, e, -1, t->parent, t->leaf, t->path);
    if (utimensat(t->parent, t->leaf, t->ts, AT_SYMLINK_NOFOLLOW) < 0)
        return xb_error_errno(err, errno, "utimes /%s", t->path);
    return 1;
}

static int apply_entry(struct ctx *c, struct archive *a, struct archive_entry *e, xb_error_t *err)
{
    const char *raw = archive_entry_pathname(e);
    if (raw == NULL)
        return xb_error_set(err, XB_ERR_PARSE, "tar entry without a name");
    cleanup_free char *path = xb_inroot_clean(raw, err);
    if (path == NULL)
        return -1;
    if (*path == '\0')
        return 0; /* the root itself: its metadata is not the layer's to change */
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dirpath[PATH_MAX];
    size_t dl = slash ? (size_t)(slash - path) : 0;
    memcpy(dirpath, path, dl);
    dirpath[dl] = '\0';
    if (strncmp(base, XB_WH_PREFIX, strlen(XB_WH_PREFIX)) == 0) {
        if (strcmp(base, XB_WH_OPAQUE) == 0)
            return opaque(c, dirpath, err);
        return whiteout(c, dirpath, base + strlen(XB_WH_PREFIX), err);
    }
    const char *leaf;
    cleanup_close int parent = xb_inroot_parent(c->root, path, true, &leaf, err);
    if (parent < 0)
        return xb_error_wrap(err, "/%s", path);
    struct target t = {parent,
                       leaf,
                       path,
                       (uid_t)archive_entry_uid(e),
                       (gid_t)archive_entry_gid(e),
                       archive_entry_perm(e) & 07777,
                       {{0}},
                       c->is_root_user};
    entry_times(e, t.ts);
    mode_t type = archive_entry_filetype(e);
    struct stat old;
    bool exists = fstatat(parent, leaf, &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (c->mode == XB_APPLY_OVERLAY && xb_wh_unhide(parent, leaf, &c->form, path, err) < 0)
        return -1;
    const char *hl = archive_entry_hardlink(e);
    if (hl)
        return make_hardlink(c, &t, hl, exists, &old, err);
    if (exists && remove_existing(parent, leaf, &old, type == AE_IFDIR, err) < 0)
        return -1;
    int r;
    switch (type) {
    case AE_IFREG:
        r = make_file(c, a, e, &t, err);
        break;
    case AE_IFDIR:
        r = make_dir(c, e, &t, exists && S_ISDIR(old.st_mode), err);
        break;
    case AE_IFLNK:
        r = make_symlink(c, e, &t, err);
        break;
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        r = make_node(c, e, &t, type, err);
        if (r == 0)
            return 0;
        break;
    default:
        xb_debug("layer: /%s: skipping entry of type %o", path, (unsigned)type);
        return 0;
    }
    if (r < 0)
        return -1;
    return mark_written(c, path, err);
}

static void finish_dirs(struct ctx *c)
{
    for (size_t i = c->ndirs; i-- > 0;) {
        int fd = xb_inroot_open(c->root, c->dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        if (fd >= 0) {
            (void)futimens(fd, c->dirs[i].ts);
            close(fd);
        }
    }
}

int xb_layer_too_big(const char *what, const char *path, uint64_t size, uint64_t max,
                     xb_error_t *err)
{
    return xb_error_set(err, XB_ERR_INVALID,
                        "%s: its files add up to more than the limit of %llu bytes (%s: %llu "
                        "bytes; sparse files count by their apparent size); refused before "
                        "extracting it. Raise the limit with --max-layer-size SIZE or "
                        "XBUILD_MAX_LAYER_SIZE=SIZE (e.g. 200G)",
                        what, (unsigned long long)max, path, (unsigned long long)size);
}

int xb_layer_apply_archive(int dirfd, struct archive *a, enum xb_apply_mode mode, uint64_t max_size,
                           xb_apply_stats_t *stats, xb_error_t *err)
{
    struct ctx c = {.root = dirfd,
                    .mode = mode,
                    .is_root_user = geteuid() == 0,
                    .in_userns = xb_sys_in_userns(),
                    .opaque_xattr = xb_sys_overlay_opaque_xattr()};
    uint64_t max = max_size ? max_size : XB_LAYER_MAX_SIZE_DEFAULT, total = 0;
    struct archive_entry *e;
    int r = 0;
    for (;;) {
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
            r = xb_error_set(err, XB_ERR_PARSE, "layer tar: %s", archive_error_string(a));
            break;
        }
        if (++c.st.entries > XB_APPLY_MAX_ENTRIES) {
            r = xb_error_set(err, XB_ERR_INVALID, "layer has more than %u entries",
                             XB_APPLY_MAX_ENTRIES);
            break;
        }
        if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
            uint64_t sz = (uint64_t)archive_entry_size(e);
            if (sz > max || total > max - sz) {
                const char *nm = archive_entry_pathname(e);
                r = xb_layer_too_big("layer", nm ? nm : "?", sz, max, err);
                break;
            }
            total += sz;
        }
        if (apply_entry(&c, a, e, err) < 0) {
            r = -1;
            break;
        }
    }
    if (r == 0)
        finish_dirs(&c);
    for (size_t i = 0; i < c.ndirs; i++)
        free(c.dirs[i].path);
    free(c.dirs);
    set_free(&c.written);
    if (stats)
        *stats = c.st;
    return r;
}

int xb_layer_apply_fd(int dirfd, int fd, enum xb_apply_mode mode, uint64_t max_size,
                      xb_apply_stats_t *stats, xb_error_t *err)
{
    if (xb_lazy_load(XB_LAZY_ARCHIVE, err) < 0)
        return -1;
    cleanup_archive_read struct archive *a = archive_read_new();
    if (a == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_PARSE, "layer: %s", archive_error_string(a));
    return xb_layer_apply_archive(dirfd, a, mode, max_size, stats, err);
}

int xb_layer_apply_path(const char *dir, const char *blob, enum xb_apply_mode mode,
                        uint64_t max_size, xb_apply_stats_t *stats, xb_error_t *err)
{
    cleanup_close int root = xb_inroot_open_root(dir, err);
    if (root < 0)
        return -1;
    cleanup_close int fd = open(blob, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "cannot open %s", blob);
    if (xb_layer_apply_fd(root, fd, mode, max_size, stats, err) < 0)
        return xb_error_wrap(err, "applying %s", blob);
    return 0;
}
