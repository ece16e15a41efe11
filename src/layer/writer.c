/* Streaming layer writer: tar (libarchive, PAX restricted) -> diffID -> compressor -> store. */
#include "layer/writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer/compress.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/path.h"

#define COPY_CHUNK (256 * 1024)

struct xb_layer_writer {
    xb_store_t *store;
    xb_layer_opts_t opts;
    xb_blob_writer_t *blob;
    xb_compressor_t *z;
    struct archive *a;
    xb_sha256_t tar_hash;
    int64_t tar_size;
    xb_error_t cb_err; /* error raised inside the libarchive write callback */
    bool failed, finished;
    unsigned char *copybuf;
};

int xb_compression_parse(const char *s, xb_compression_t *out, xb_error_t *err)
{
    if (strcmp(s, "gzip") == 0)
        *out = XB_COMPRESSION_GZIP;
    else if (strcmp(s, "zstd") == 0)
        *out = XB_COMPRESSION_ZSTD;
    else if (strcmp(s, "none") == 0 || strcmp(s, "uncompressed") == 0)
        *out = XB_COMPRESSION_NONE;
    else
        return xb_error_set(err, XB_ERR_INVALID,
                            "unknown compression '%s' (expected gzip, zstd or none)", s);
    return 0;
}

const char *xb_compression_name(xb_compression_t c)
{
    switch (c) {
    case XB_COMPRESSION_ZSTD:
        return "zstd";
    case XB_COMPRESSION_NONE:
        return "none";
    default:
        return "gzip";
    }
}

const char *xb_compression_media_type(xb_compression_t c)
{
    switch (c) {
    case XB_COMPRESSION_ZSTD:
        return XB_MEDIATYPE_LAYER_TAR_ZSTD;
    case XB_COMPRESSION_NONE:
        return XB_MEDIATYPE_LAYER_TAR;
    default:
        return XB_MEDIATYPE_LAYER_TAR_GZIP;
    }
}

static int blob_sink(void *ud, const void *data, size_t len, xb_error_t *err)
{
    xb_layer_writer_t *w = ud;
    return xb_blob_write(w->blob, data, len, err);
}

static la_ssize_t tar_write_cb(struct archive *a, void *ud, const void *buf, size_t len)
{
    xb_layer_writer_t *w = ud;
    (void)a;
    if (w->failed)
        return -1;
    xb_sha256_update(&w->tar_hash, buf, len);
    w->tar_size += (int64_t)len;
    if (xb_compressor_write(w->z, buf, len, &w->cb_err) < 0) {
        w->failed = true;
        return -1;
    }
    return (la_ssize_t)len;
}

void xb_layer_writer_free(xb_layer_writer_t *w)
{
    if (w == NULL)
        return;
    if (w->a != NULL) {
        w->failed = true; /* the callback must not push anything more */
        archive_write_free(w->a);
    }
    xb_compressor_free(w->z);
    xb_blob_abort(w->blob);
    xb_sha256_free(&w->tar_hash);
    xb_error_clear(&w->cb_err);
    free(w->copybuf);
    free(w);
}

int xb_layer_writer_new(xb_store_t *s, const xb_layer_opts_t *o, xb_layer_writer_t **out,
                        xb_error_t *err)
{
    static const xb_layer_opts_t defaults = XB_LAYER_OPTS_INIT;
    cleanup_layer_writer xb_layer_writer_t *w = calloc(1, sizeof(*w));
    int r;

    *out = NULL;
    if (w == NULL || (w->copybuf = malloc(COPY_CHUNK)) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    w->store = s;
    w->opts = o ? *o : defaults;
    if ((r = xb_sha256_init(&w->tar_hash, err)) < 0)
        return r;
    if ((r = xb_compressor_new(w->opts.compression, w->opts.level, w->opts.threads, blob_sink, w,
                               &w->z, err)) < 0)
        return r;
    if ((r = xb_store_blob_begin(s, &w->blob, err)) < 0)
        return xb_error_wrap(err, "starting layer blob");
    w->a = archive_write_new();
    if (w->a == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_add_filter_none(w->a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w->a, 10240) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_INTERNAL, "libarchive setup: %s",
                            archive_error_string(w->a));
    /* xattrs as SCHILY.xattr only (no duplicate LIBARCHIVE.xattr records) */
    archive_write_set_format_option(w->a, "pax", "xattrheader", "SCHILY");
    if (archive_write_open2(w->a, w, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_INTERNAL, "libarchive open: %s",
                            archive_error_string(w->a));
    *out = steal_pointer(&w);
    return 0;
}

/* An in-layer path (util/path.h's XB_PATH_ENTRY: relative, no "..", not empty). */
static int clean_path(const char *in, char **out, xb_error_t *err)
{
    *out = xb_path_clean(in, XB_PATH_ENTRY, err);
    return *out ? 0 : -1;
}

static int fail(xb_layer_writer_t *w, xb_error_t *err, const char *path)
{
    w->failed = true;
    if (w->cb_err.code != 0) {
        xb_error_move(err, &w->cb_err);
        return xb_error_wrap(err, "layer entry '%s'", path);
    }
    return xb_error_set(err, XB_ERR_IO, "layer entry '%s': %s", path,
                        archive_error_string(w->a) ? archive_error_string(w->a) : "tar error");
}

static int64_t clamp(const xb_layer_writer_t *w, int64_t t)
{
    if (w->opts.clamp_mtime >= 0 && t > w->opts.clamp_mtime)
        return w->opts.clamp_mtime;
    return t;
}

int xb_layer_writer_add(xb_layer_writer_t *w, const char *path, const struct stat *st, int fd,
                        const char *symlink, const char *hardlink, const xb_xattr_t *xattrs,
                        xb_error_t *err)
{
    cleanup_free char *p = NULL;
    cleanup_free char *hl = NULL;
    cleanup_archive_entry struct archive_entry *e = NULL;
    int r;

    if (w->failed || w->finished)
        return xb_error_set(err, XB_ERR_INTERNAL, "layer writer already %s",
                            w->finished ? "finished" : "failed");
    if ((r = clean_path(path, &p, err)) < 0)
        return r;
    e = archive_entry_new();
    if (e == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_entry_set_pathname(e, p);
    archive_entry_set_mode(e, st->st_mode);
    archive_entry_set_uid(e, st->st_uid);
    archive_entry_set_gid(e, st->st_gid);
    archive_entry_set_mtime(e, clamp(w, (int64_t)st->st_mtime), 0);
    int64_t size = 0;
    switch (st->st_mode & S_IFMT) {
    case S_IFREG:
        if (hardlink != NULL) {
            if ((r = clean_path(hardlink, &hl, err)) < 0)
                return r;
            archive_entry_set_hardlink(e, hl);
        } else {
            if (st->st_size < 0)
                return xb_error_set(err, XB_ERR_INVALID, "'%s': negative size", p);
            if (st->st_size > 0 && fd < 0)
                return xb_error_set(err, XB_ERR_INVALID, "'%s': no content fd", p);
            size = st->st_size;
        }
        break;
    case S_IFLNK:
        if (symlink == NULL)
            return xb_error_set(err, XB_ERR_INVALID, "'%s': symlink without a target", p);
        archive_entry_set_symlink(e, symlink);
        break;
    case S_IFCHR:
    case S_IFBLK:
        archive_entry_set_rdev(e, st->st_rdev);
        break;
    case S_IFDIR:
    case S_IFIFO:
        break;
    default:
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "'%s': unsupported file type 0%o", p,
                            (unsigned)(st->st_mode & S_IFMT));
    }
    archive_entry_set_size(e, size);
    for (const xb_xattr_t *x = xattrs; x != NULL && x->name != NULL; x++)
        archive_entry_xattr_add_entry(e, x->name, x->value, x->len);

    if (archive_write_header(w->a, e) < ARCHIVE_WARN)
        return fail(w, err, p);
    int64_t left = size;
    while (left > 0) {
        size_t want = left > COPY_CHUNK ? COPY_CHUNK : (size_t)left;
        ssize_t n = read(fd, w->copybuf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            w->failed = true;
            return xb_error_errno(err, errno, "reading '%s' for the layer", p);
        }
        if (n == 0) {
            w->failed = true;
            return xb_error_set(err, XB_ERR_IO, "'%s' shrank while adding it to the layer", p);
        }
        if (archive_write_data(w->a, w->copybuf, (size_t)n) != n)
            return fail(w, err, p);
        left -= n;
    }
    if (archive_write_finish_entry(w->a) < ARCHIVE_WARN)
        return fail(w, err, p);
    return 0;
}

int xb_layer_writer_add_data(xb_layer_writer_t *w, const char *path, const void *data, size_t len,
                             mode_t mode, uid_t uid, gid_t gid, int64_t mtime, xb_error_t *err)
{
    cleanup_free char *p = NULL;
    cleanup_archive_entry struct archive_entry *e = NULL;
    int r;

    if (w->failed || w->finished)
        return xb_error_set(err, XB_ERR_INTERNAL, "layer writer not usable");
    if ((r = clean_path(path, &p, err)) < 0)
        return r;
    if ((e = archive_entry_new()) == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_entry_set_pathname(e, p);
    archive_entry_set_mode(e, S_IFREG | (mode & 07777));
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    archive_entry_set_mtime(e, clamp(w, mtime), 0);
    archive_entry_set_size(e, (la_int64_t)len);
    if (archive_write_header(w->a, e) < ARCHIVE_WARN)
        return fail(w, err, p);
    const char *d = data;
    while (len > 0) {
        size_t n = len > COPY_CHUNK ? COPY_CHUNK : len;
        if (archive_write_data(w->a, d, n) != (la_ssize_t)n)
            return fail(w, err, p);
        d += n, len -= n;
    }
    if (archive_write_finish_entry(w->a) < ARCHIVE_WARN)
        return fail(w, err, p);
    return 0;
}

int xb_layer_writer_add_dir(xb_layer_writer_t *w, const char *path, mode_t mode, uid_t uid,
                            gid_t gid, int64_t mtime, xb_error_t *err)
{
    struct stat st;
    memset(&st, 0, sizeof(st));
    st.st_mode = S_IFDIR | (mode & 07777);
    st.st_uid = uid;
    st.st_gid = gid;
    st.st_mtime = (time_t)mtime;
    return xb_layer_writer_add(w, path, &st, -1, NULL, NULL, NULL, err);
}

int xb_layer_writer_add_whiteout(xb_layer_writer_t *w, const char *path, int64_t mtime,
                                 xb_error_t *err)
{
    cleanup_free char *p = NULL;
    int r = clean_path(path, &p, err);
    if (r < 0)
        return r;
    char *slash = strrchr(p, '/');
    xb_buf_t b = XB_BUF_INIT;
    if (slash != NULL)
        *slash = '\0';
    if ((slash ? xb_buf_printf(&b, "%s/.wh.%s", p, slash + 1) : xb_buf_printf(&b, ".wh.%s", p)) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *wh = xb_buf_steal(&b);
    return xb_layer_writer_add_data(w, wh, "", 0, 0, 0, 0, mtime, err);
}

int xb_layer_writer_add_opaque(xb_layer_writer_t *w, const char *dir, int64_t mtime,
                               xb_error_t *err)
{
    xb_buf_t b = XB_BUF_INIT;
    if (xb_buf_printf(&b, "%s/.wh..wh..opq", dir ? dir : "") < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *p = xb_buf_steal(&b);
    return xb_layer_writer_add_data(w, p, "", 0, 0, 0, 0, mtime, err);
}

int xb_layer_writer_finish(xb_layer_writer_t *w, xb_layer_result_t *res, xb_error_t *err)
{
    int r;
    if (w->failed || w->finished)
        return xb_error_set(err, XB_ERR_INTERNAL, "layer writer not usable");
    w->finished = true;
    if (archive_write_close(w->a) != ARCHIVE_OK) {
        w->failed = true;
        if (w->cb_err.code != 0) {
            xb_error_move(err, &w->cb_err);
            return xb_error_wrap(err, "finishing layer");
        }
        return xb_error_set(err, XB_ERR_IO, "finishing layer tar: %s", archive_error_string(w->a));
    }
    archive_write_free(w->a);
    w->a = NULL;
    if ((r = xb_compressor_finish(w->z, err)) < 0) {
        w->failed = true;
        return xb_error_wrap(err, "finishing layer compression");
    }
    memset(res, 0, sizeof(*res));
    xb_sha256_final(&w->tar_hash, res->diff_id);
    res->tar_size = w->tar_size;
    res->media_type = xb_compression_media_type(w->opts.compression);
    xb_blob_writer_t *b = w->blob;
    w->blob = NULL; /* commit always frees it */
    if ((r = xb_blob_commit(b, NULL, res->digest, &res->size, err)) < 0)
        return xb_error_wrap(err, "storing layer blob");
    return 0;
}
