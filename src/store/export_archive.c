/* Tar output for archive exports, and the oci-archive: transport. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/export.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

int xb_tar_out_open(struct xb_tar_out *t, const char *file, xb_error_t *err)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    if (asprintf(&t->tmp, "%s.tmp-%ld-XXXXXX", file, (long)getpid()) < 0) {
        t->tmp = NULL;
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    t->final = strdup(file);
    t->fd = mkostemp(t->tmp, O_CLOEXEC);
    if (t->fd < 0) {
        int e = errno;
        free(t->tmp);
        t->tmp = NULL;
        xb_tar_out_abort(t);
        return xb_error_errno(err, e, "create %s.tmp-*", file);
    }
    t->a = archive_write_new();
    if (t->a == NULL || archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(t->a, t->fd) != ARCHIVE_OK) {
        int r = xb_error_set(err, XB_ERR_IO, "cannot start tar %s: %s", file,
                             t->a ? archive_error_string(t->a) : "out of memory");
        xb_tar_out_abort(t);
        return r;
    }
    return 0;
}

void xb_tar_out_abort(struct xb_tar_out *t)
{
    if (t->a != NULL)
        archive_write_free(t->a);
    t->a = NULL;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    if (t->tmp != NULL)
        unlink(t->tmp);
    free(t->tmp);
    free(t->final);
    t->tmp = t->final = NULL;
}

static int header(struct xb_tar_out *t, const char *name, mode_t type, mode_t perm, int64_t size,
                  const char *link, xb_error_t *err)
{
    cleanup_archive_entry struct archive_entry *e = archive_entry_new();
    if (e == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, type == AE_IFREG ? size : 0);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (link != NULL)
        archive_entry_set_symlink(e, link);
    if (archive_write_header(t->a, e) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_IO, "%s: tar entry %s: %s", t->final, name,
                            archive_error_string(t->a));
    return 0;
}

static int data(struct xb_tar_out *t, const void *buf, size_t len, xb_error_t *err)
{
    const char *p = buf;
    while (len > 0) {
        la_ssize_t w = archive_write_data(t->a, p, len);
        if (w <= 0)
            return xb_error_set(err, XB_ERR_IO, "write %s: %s", t->final,
                                archive_error_string(t->a));
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int xb_tar_out_dir(struct xb_tar_out *t, const char *name, xb_error_t *err)
{
    return header(t, name, AE_IFDIR, 0755, 0, NULL, err);
}

int xb_tar_out_data(struct xb_tar_out *t, const char *name, const void *buf, size_t len,
                    xb_error_t *err)
{
    if (header(t, name, AE_IFREG, 0644, (int64_t)len, NULL, err) < 0)
        return -err->code;
    return data(t, buf, len, err);
}

int xb_tar_out_symlink(struct xb_tar_out *t, const char *name, const char *target, xb_error_t *err)
{
    return header(t, name, AE_IFLNK, 0777, 0, target, err);
}

int xb_tar_out_file(struct xb_tar_out *t, const char *name, const char *path, const char *digest,
                    xb_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return xb_error_errno(err, errno, "stat %s", path);
    if (header(t, name, AE_IFREG, 0644, st.st_size, NULL, err) < 0)
        return -err->code;
    xb_sha256_t h = {NULL};
    if (digest != NULL && xb_sha256_init(&h, err) < 0)
        return -err->code;
    static char buf[1 << 16];
    int64_t left = st.st_size;
    int r = 0;
    while (left > 0 && r >= 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? xb_error_errno(err, errno, "read %s", path)
                      : xb_error_set(err, XB_ERR_IO, "%s shrank while being read", path);
            break;
        }
        if (n > left)
            n = (ssize_t)left;
        xb_sha256_update(&h, buf, (size_t)n);
        r = data(t, buf, (size_t)n, err);
        left -= n;
    }
    if (digest == NULL)
        return r;
    char got[XB_DIGEST_LEN];
    xb_sha256_final(&h, got);
    if (r >= 0 && strcmp(got, digest) != 0)
        r = xb_error_set(err, XB_ERR_DIGEST, "store blob %s is corrupt (content has digest %s)",
                         digest, got);
    return r;
}

int xb_tar_out_commit(struct xb_tar_out *t, xb_error_t *err)
{
    int r = 0;
    if (archive_write_close(t->a) != ARCHIVE_OK)
        r = xb_error_set(err, XB_ERR_IO, "finish %s: %s", t->final, archive_error_string(t->a));
    archive_write_free(t->a);
    t->a = NULL;
    if (r >= 0 && (fchmod(t->fd, 0644) < 0 || fsync(t->fd) < 0))
        r = xb_error_errno(err, errno, "fsync %s", t->tmp);
    if (r >= 0 && rename(t->tmp, t->final) < 0)
        r = xb_error_errno(err, errno, "rename %s", t->final);
    if (r >= 0) {
        free(t->tmp);
        t->tmp = NULL;
        r = xb_fsync_parent(t->final, err);
    }
    xb_tar_out_abort(t);
    return r;
}

int xb_export_oci_archive(xb_store_t *s, const xb_export_plan_t *plan, const char *file,
                          const char *tag, xb_error_t *err)
{
    cleanup_json json_t *entry = xb_export_index_entry(plan->desc, tag);
    cleanup_json json_t *index = json_pack("{s:i,s:s,s:[O]}", "schemaVersion", 2, "mediaType",
                                           XB_MT_OCI_INDEX, "manifests", entry);
    cleanup_free char *ij = index ? json_dumps(index, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (ij == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    struct xb_tar_out t;
    if (xb_tar_out_open(&t, file, err) < 0)
        return xb_error_wrap(err, "oci-archive:%s", file);
    int r = xb_tar_out_data(&t, "oci-layout", layout, strlen(layout), err);
    if (r >= 0)
        r = xb_tar_out_dir(&t, "blobs", err);
    if (r >= 0)
        r = xb_tar_out_dir(&t, "blobs/sha256", err);
    size_t i;
    json_t *b;
    json_array_foreach(plan->blobs, i, b)
    {
        if (r < 0)
            break;
        const char *d = xb_json_str(b, "digest");
        const char *data = xb_json_str(b, "data");
        char name[96];
        snprintf(name, sizeof name, "blobs/sha256/%s", xb_digest_hex(d));
        if (data != NULL) {
            r = xb_tar_out_data(&t, name, data, strlen(data), err);
            continue;
        }
        cleanup_free char *src = xb_store_blob_path(s, d);
        r = xb_tar_out_file(&t, name, src, d, err);
    }
    if (r >= 0)
        r = xb_tar_out_data(&t, "index.json", ij, strlen(ij), err);
    if (r < 0) {
        xb_tar_out_abort(&t);
        return xb_error_wrap(err, "oci-archive:%s", file);
    }
    if (xb_tar_out_commit(&t, err) < 0)
        return xb_error_wrap(err, "oci-archive:%s", file);
    return 0;
}
