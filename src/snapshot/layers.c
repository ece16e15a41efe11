/* Extract-once layer directories in the store. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer/apply.h"
#include "layer/inroot.h"
#include "snapshot/layers.h"
#include "snapshot/extract.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/log.h"

char *xb_snapshot_layers_dir(xb_store_t *s)
{
    return xb_store_path(s, "xbuild/layers");
}

int xb_snapshot_layer_ensure(xb_store_t *s, const char *diff_id, const char *blob_digest,
                             char **name, xb_error_t *err)
{
    if (!xb_digest_valid(diff_id) || strncmp(diff_id, "sha256:", 7) != 0)
        return xb_error_set(err, XB_ERR_INVALID, "invalid diffID '%s'", diff_id);
    const char *hex = diff_id + 7;
    cleanup_free char *dir = xb_snapshot_layers_dir(s);
    if (dir == NULL || xb_mkdir_p(dir, 0700, err) < 0)
        return -1;
    (void)chmod(dir, 0700); /* extracted trees keep setuid files: no access for others */
    cleanup_free char *final = xb_path_join(dir, hex);
    if (xb_is_dir(final)) {
        *name = strdup(hex);
        return 0;
    }
    cleanup_free char *blob = xb_store_blob_path(s, blob_digest);
    if (blob == NULL || !xb_path_exists(blob))
        return xb_error_set(err, XB_ERR_NOT_FOUND, "layer blob %s is not in the store",
                            blob_digest);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/.tmp-%.12s-%d-XXXXXX", dir, hex, (int)getpid());
    if (mkdtemp(tmp) == NULL)
        return xb_error_errno(err, errno, "cannot create %s", tmp);
    (void)chmod(tmp, 0755);
    xb_debug("snapshot: extracting %s", diff_id);
    cleanup_close int root = xb_inroot_open_root(tmp, err);
    cleanup_close int fd = root < 0 ? -1 : open(blob, O_RDONLY | O_CLOEXEC);
    if (root >= 0 && fd < 0)
        xb_error_errno(err, errno, "cannot open %s", blob);
    if (fd < 0 ||
        xb_snapshot_extract_verified(root, fd, diff_id, xb_store_max_layer_size(s), err) < 0) {
        cleanup_error xb_error_t e2 = XB_ERROR_INIT;
        xb_rm_rf(tmp, &e2);
        return xb_error_wrap(err, "extracting layer %s (blob %s)", diff_id, blob_digest);
    }
    if (rename(tmp, final) < 0) {
        int e = errno;
        cleanup_error xb_error_t e2 = XB_ERROR_INIT;
        xb_rm_rf(tmp, &e2);
        if ((e == EEXIST || e == ENOTEMPTY) && xb_is_dir(final)) {
            *name = strdup(hex);
            return 0; /* another build extracted it meanwhile */
        }
        return xb_error_errno(err, e, "cannot rename %s to %s", tmp, final);
    }
    *name = strdup(hex);
    return 0;
}

static int truncate_times(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)type;
    (void)f;
    if (S_ISSOCK(st->st_mode))
        return 1; /* layers carry no sockets: this tree is not the layer */
    struct timespec ts[2] = {{st->st_atim.tv_sec, 0}, {st->st_mtim.tv_sec, 0}};
    if (st->st_mtim.tv_nsec != 0 || st->st_atim.tv_nsec != 0)
        if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
            return 1;
    return 0;
}

int xb_snapshot_layer_adopt(xb_store_t *s, const char *diff_id, const char *dir)
{
    if (!xb_digest_valid(diff_id) || strncmp(diff_id, "sha256:", 7) != 0)
        return 0;
    cleanup_free char *ldir = xb_snapshot_layers_dir(s);
    cleanup_free char *final = ldir ? xb_path_join(ldir, diff_id + 7) : NULL;
    if (final == NULL || xb_is_dir(final))
        return 0;
    /* setting a child's times does not touch its parent's: any order will do */
    if (nftw(dir, truncate_times, 64, FTW_PHYS) != 0) {
        xb_debug("snapshot: %s: the step's upper dir is not adopted (sockets, or times)", diff_id);
        return 0;
    }
    if (chmod(dir, 0755) < 0 || rename(dir, final) < 0) {
        xb_debug("snapshot: %s: cannot adopt %s: %s", diff_id, dir, strerror(errno));
        return 0;
    }
    xb_debug("snapshot: %s adopted from the step's upper dir", diff_id);
    return 1;
}

int xb_snapshot_lowerdir(xb_store_t *s, const json_t *layers, const json_t *diff_ids,
                         char **lowerdir, xb_error_t *err)
{
    size_t n = json_is_array(layers) ? json_array_size(layers) : 0;
    if (n != (json_is_array(diff_ids) ? json_array_size(diff_ids) : 0))
        return xb_error_set(err, XB_ERR_INVALID, "parent image has %zu layers but %zu diff_ids", n,
                            json_array_size(diff_ids));
    cleanup_buf xb_buf_t b = XB_BUF_INIT;
    xb_buf_puts(&b, "");
    for (size_t i = n; i-- > 0;) {
        const char *digest =
            json_string_value(json_object_get(json_array_get(layers, i), "digest"));
        const char *diff = json_string_value(json_array_get(diff_ids, i));
        if (digest == NULL || diff == NULL)
            return xb_error_set(err, XB_ERR_INVALID, "layer %zu has no digest/diffID", i);
        cleanup_free char *name = NULL;
        if (xb_snapshot_layer_ensure(s, diff, digest, &name, err) < 0)
            return -1;
        /* A layer that occurs twice: the upper occurrence hides everything the lower one
         * could contribute (same content, same whiteouts applied to more layers), and
         * overlayfs refuses duplicate lowerdirs, so only the topmost is kept. */
        bool dup = false;
        for (const char *q = b.data ? strstr(b.data, name) : NULL; q && !dup;
             q = strstr(q + 1, name))
            dup = (q == b.data || q[-1] == ':') && (q[strlen(name)] == ':' || !q[strlen(name)]);
        if (dup)
            continue;
        if (b.len)
            xb_buf_putc(&b, ':');
        xb_buf_puts(&b, name);
    }
    *lowerdir = xb_buf_steal(&b);
    return 0;
}
