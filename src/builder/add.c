#include "builder/add.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/chmod.h"
#include "builder/rootfs.h"
#include "layer/apply.h"
#include "lazy/lazy.h"
#include "registry/fetchurl.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"

static int open_archive(int fd, struct archive **out)
{
    struct archive *a = archive_read_new();
    if (a == NULL)
        return -1;
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_lzma(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
        archive_read_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

bool xb_add_is_archive(int fd)
{
    cleanup_archive_read struct archive *a = NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return false;
    if (open_archive(fd, &a) < 0)
        return false;
    struct archive_entry *ae;
    int r = archive_read_next_header(a, &ae);
    return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

/* A hard link of the archive shares its target's content and identity: xb_copy_plan writes it
 * as a tar hard link again (a copy when the target is replaced meanwhile). */
static int archive_hardlink(const char *what, const char *destdir, struct archive_entry *ae,
                            const char *hl, xb_centries_t *out, xb_centry_t *e, xb_error_t *err)
{
    cleanup_free char *t = xb_clean_image_path(hl);
    cleanup_free char *tp = t ? xb_path_join_rel(destdir, t) : NULL;
    xb_centry_t *te = tp ? xb_centries_get(out, tp) : NULL;
    if (te == NULL || !S_ISREG(te->mode))
        return xb_error_set(err, XB_ERR_INVALID, "archive %s: hard link %s to a missing file %s",
                            what, archive_entry_pathname(ae), hl);
    e->mode = te->mode;
    e->len = te->len;
    e->src = te->src ? strdup(te->src) : NULL;
    xb_centry_identify(te);
    if (xb_centry_copy_xattrs(e, te) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    e->dev = te->dev;
    e->ino = te->ino;
    return 0;
}

/* --chown, --chmod and the mtime clamp of the ADD on an unpacked entry. */
static void archive_overrides(const xb_add_ctx_t *c, xb_centry_t *e)
{
    if (c->chown) {
        e->uid = c->uid;
        e->gid = c->gid;
    }
    if (c->chmod && !S_ISLNK(e->mode))
        e->mode = (e->mode & S_IFMT) | (c->perm & 07777);
    else if (c->chmod_sym != NULL && !S_ISLNK(e->mode))
        e->mode = xb_chmod_apply(c->chmod_sym, e->mode);
    if (c->clamp_mtime >= 0 && e->mtime > c->clamp_mtime)
        e->mtime = c->clamp_mtime;
}

/* One unpacked archive member, read from a/ae into e (path already set): 1 kept, 0 a type
 * that is not copied (sockets), -1 error (e's strings freed by the caller). */
static int archive_member(const xb_add_ctx_t *c, const char *what, const char *destdir,
                          struct archive *a, struct archive_entry *ae, size_t *seq,
                          xb_centries_t *out, xb_centry_t *e, xb_error_t *err)
{
    e->mode = archive_entry_mode(ae);
    e->uid = (uid_t)archive_entry_uid(ae);
    e->gid = (gid_t)archive_entry_gid(ae);
    e->mtime = archive_entry_mtime(ae);
    e->rdev = archive_entry_rdev(ae);
    const char *hl = archive_entry_hardlink(ae);
    if (hl != NULL) {
        if (archive_hardlink(what, destdir, ae, hl, out, e, err) < 0)
            return -1;
    } else if (S_ISLNK(e->mode)) {
        const char *sl = archive_entry_symlink(ae);
        e->link = strdup(sl ? sl : "");
    } else if (S_ISREG(e->mode)) {
        e->len = (size_t)archive_entry_size(ae);
        if (xb_rootfs_spill(a, c->tmpdir, (*seq)++, archive_entry_size(ae), &e->src, err) < 0)
            return -1;
    } else if (!S_ISDIR(e->mode) && !S_ISCHR(e->mode) && !S_ISBLK(e->mode) && !S_ISFIFO(e->mode)) {
        return 0;
    }
    if (hl == NULL && xb_centry_archive_xattrs(e, ae, err) < 0)
        return -1;
    archive_overrides(c, e);
    return 1;
}

int xb_add_archive_hook(void *ud, const xb_centry_t *src, const char *destdir, xb_centries_t *out,
                        xb_error_t *err)
{
    const xb_add_ctx_t *c = ud;
    size_t seq = 0;
    if (xb_lazy_load(XB_LAZY_ARCHIVE, err) < 0)
        return -1;
    if (src->src == NULL)
        return 0;
    cleanup_close int fd = xb_centry_open(src, NULL, err);
    if (fd < 0)
        return -1;
    bool is = xb_add_is_archive(fd);
    if (lseek(fd, 0, SEEK_SET) < 0)
        return xb_error_errno(err, errno, "cannot read %s", src->path);
    if (!is)
        return 0;
    cleanup_archive_read struct archive *a = NULL;
    if (open_archive(fd, &a) < 0)
        return xb_error_set(err, XB_ERR_IO, "cannot open archive %s", src->path);
    struct archive_entry *ae;
    int r;
    size_t count = 0;
    uint64_t total = 0, max = c->max_size ? c->max_size : XB_LAYER_MAX_SIZE_DEFAULT;
    while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        if (++count > XB_ADD_ARCHIVE_MAX_ENTRIES)
            return xb_error_set(err, XB_ERR_INVALID, "archive %s has too many entries", src->path);
        if (archive_entry_filetype(ae) == AE_IFREG && archive_entry_hardlink(ae) == NULL &&
            archive_entry_size(ae) > 0) {
            uint64_t sz = (uint64_t)archive_entry_size(ae);
            if (sz > max || total > max - sz) {
                char what[PATH_MAX + 16];
                snprintf(what, sizeof what, "archive %s", src->path);
                const char *nm = archive_entry_pathname(ae);
                return xb_layer_too_big(what, nm ? nm : "?", sz, max, err);
            }
            total += sz;
        }
        cleanup_free char *clean = xb_clean_image_path(archive_entry_pathname(ae));
        if (clean == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (clean[0] == '\0' && destdir[0] == '\0')
            continue; /* "./" of an archive added at / */
        xb_centry_t e = {0};
        if ((e.path = xb_path_join_rel(destdir, clean)) == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        int m = archive_member(c, src->path, destdir, a, ae, &seq, out, &e, err);
        if (m <= 0) {
            xb_centry_clear(&e);
            if (m < 0)
                return -1;
            continue;
        }
        if (xb_centries_put(out, &e) == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (r != ARCHIVE_EOF)
        return xb_error_set(err, XB_ERR_IO, "extracting %s: %s", src->path,
                            archive_error_string(a));
    return 1;
}

bool xb_add_is_url(const char *src)
{
    return strncasecmp(src, "http://", 7) == 0 || strncasecmp(src, "https://", 8) == 0;
}

static char *url_file_name(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *path = strchr(p, '/');
    if (path == NULL)
        return strdup("__unnamed__");
    size_t n = strcspn(path, "?#");
    while (n > 0 && path[n - 1] == '/')
        n--;
    const char *b = path;
    for (size_t i = 0; i < n; i++)
        if (path[i] == '/')
            b = path + i + 1;
    size_t bl = (size_t)(path + n - b);
    /* no last path element: BuildKit's name for such a download */
    if (bl == 0 || (bl == 1 && b[0] == '.') || (bl == 2 && b[0] == '.' && b[1] == '.'))
        return strdup("__unnamed__");
    return strndup(b, bl);
}

int xb_add_download(const char *url, const char *checksum, const char *tmpdir, int64_t dflt_mtime,
                    const xb_registry_opts_t *ropts, xb_centry_t *e, xb_error_t *err)
{
    size_t seq = 0;
    cleanup_free char *name = url_file_name(url);
    if (name == NULL)
        return xb_error_set(err, XB_ERR_INVALID,
                            "ADD %s: cannot determine a file name from the URL", url);
    if (checksum != NULL && !xb_digest_valid(checksum)) {
        const char *colon = strchr(checksum, ':');
        if (colon == NULL)
            return xb_error_set(err, XB_ERR_INVALID,
                                "ADD --checksum=%s: invalid checksum digest format (expected "
                                "sha256:<64 hex digits>)",
                                checksum);
        if ((size_t)(colon - checksum) != 6 || strncmp(checksum, "sha256", 6) != 0)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "ADD --checksum=%s: unsupported digest algorithm %.*s (sha256 is)",
                                checksum, (int)(colon - checksum), checksum);
        return xb_error_set(err, XB_ERR_INVALID,
                            "ADD --checksum=%s: invalid checksum digest format (expected "
                            "sha256:<64 hex digits>)",
                            checksum);
    }
    char fn[40];
    snprintf(fn, sizeof(fn), "url%zu-XXXXXX", seq++); /* unique however many callers share tmpdir */
    cleanup_free char *path = xb_path_join(tmpdir, fn);
    cleanup_close int fd = path ? mkostemp(path, O_CLOEXEC) : -1;
    if (fd < 0)
        return xb_error_errno(err, errno, "creating %s", path);
    xb_url_download_t got;
    if (xb_registry_fetch_url(url, ropts, fd, 0, &got, err) < 0 || fsync(fd) < 0) {
        if (err->code == 0)
            xb_error_errno(err, errno, "writing %s", path);
        unlink(path);
        return xb_error_wrap(err, "ADD %s", url);
    }
    if (checksum != NULL && strcmp(checksum, got.digest) != 0) {
        unlink(path);
        return xb_error_set(err, XB_ERR_DIGEST, "ADD %s: digest mismatch: expected %s, got %s", url,
                            checksum, got.digest);
    }
    memset(e, 0, sizeof(*e));
    e->path = steal_pointer(&name);
    e->src = steal_pointer(&path);
    e->mode = S_IFREG | 0600;
    e->len = (size_t)got.size;
    e->mtime = got.mtime >= 0 ? got.mtime : dflt_mtime;
    return 0;
}
