/* A stage's layers (internal.h): appending a layer or a history entry, the rootfs index of the
 * stage's current state, and writing planned entries as one layer (with the xattrs each entry
 * carries). Called by the instruction handlers (copyexec.c, runexec.c, workdir.c, meta.c) and
 * the cache (cache.c); calls only lower modules and remotecache.c (lazy cached layers). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder/internal.h"
#include "builder/remotecache.h"
#include "builder/rootfs.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/json.h"

int xb_bx_add_history(xb_bstage_t *st, const char *created_by, xb_error_t *err)
{
    return xb_image_config_add_history(st->config, st->b->created, created_by, NULL, err);
}

int xb_bx_add_layer(xb_bstage_t *st, const xb_layer_result_t *res, const char *created_by,
                    xb_error_t *err)
{
    json_t *d = xb_descriptor_new(res->media_type, res->digest, res->size, NULL, NULL);
    if (d == NULL || json_array_append_new(st->layers, d) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_image_config_add_layer(st->config, res->diff_id, st->b->created, created_by, NULL, err) <
        0)
        return -1;
    if (st->idx_valid) {
        xb_error_t e = XB_ERROR_INIT;
        if (xb_rootfs_apply_layer(&st->idx, st->b->store, d, NULL, NULL, &e) < 0) {
            st->idx_valid = false;
            xb_error_clear(&e);
        }
    }
    return 0;
}

int xb_bx_stage_index(xb_bstage_t *st, xb_error_t *err)
{
    if (st->idx_valid)
        return 0;
    if (st->idx.index != NULL)
        xb_centries_free(&st->idx);
    xb_centries_init(&st->idx);
    const json_t *diff_ids = json_object_get(json_object_get(st->config, "rootfs"), "diff_ids");
    if (xb_bx_rcache_need(st->b, st->layers, err) < 0 ||
        xb_rootfs_build_index(&st->idx, st->b->store, st->layers, diff_ids, err) < 0)
        return -1;
    st->idx_valid = true;
    return 0;
}

size_t xb_bx_entry_xattrs(const xb_centry_t *e, int fd, unsigned char cap[XB_BX_CAP_MAX],
                          xb_xattr_t out[XB_CENTRY_MAX_XATTRS + 1])
{
    size_t n = 0;
    if (e->hardlink) {
        /* nothing */
    } else if (e->nxattrs > 0) {
        for (size_t i = 0; i < e->nxattrs && n < XB_CENTRY_MAX_XATTRS; i++, n++) {
            out[n].name = e->xattrs[i].name;
            out[n].value = e->xattrs[i].value;
            out[n].len = e->xattrs[i].len;
        }
    } else if (S_ISREG(e->mode) && (fd >= 0 || e->src != NULL)) {
        /* file capabilities travel with the file (setcap'd binaries in the context) */
        ssize_t capn = fd >= 0 ? fgetxattr(fd, "security.capability", cap, XB_BX_CAP_MAX)
                               : lgetxattr(e->src, "security.capability", cap, XB_BX_CAP_MAX);
        if (capn > 0) {
            out[n].name = "security.capability";
            out[n].value = cap;
            out[n++].len = (size_t)capn;
        }
    }
    out[n].name = NULL;
    return n;
}

/* Adds entry e to the layer being written (its content opened through op). */
static int write_entry(xb_layer_writer_t *w, const xb_centry_t *e, xb_centry_opener_t *op,
                       xb_error_t *err)
{
    struct stat st;
    memset(&st, 0, sizeof(st));
    st.st_mode = e->mode;
    st.st_uid = e->uid;
    st.st_gid = e->gid;
    st.st_mtim.tv_sec = e->mtime;
    st.st_rdev = e->rdev;
    if (e->hardlink) {
        st.st_mode = S_IFREG | (e->mode & 07777);
        if (xb_layer_writer_add(w, e->path, &st, -1, NULL, e->link, NULL, err) < 0)
            return -1;
        return 0;
    }
    if (S_ISREG(e->mode) && e->src == NULL && e->data == NULL && e->len > 0)
        return xb_error_set(
            err, XB_ERR_INTERNAL,
            "no content for /%s (a hard link into an earlier layer, outside the copied path)",
            e->path);
    if (S_ISREG(e->mode) && e->src == NULL && (e->nxattrs == 0 || e->len > 0)) {
        if (xb_layer_writer_add_data(w, e->path, e->data ? e->data : "", e->len, e->mode & 07777,
                                     e->uid, e->gid, e->mtime, err) < 0)
            return -1;
        return 0;
    }
    cleanup_close int fd = -1;
    if (S_ISREG(e->mode) && e->src != NULL) {
        fd = xb_centry_open(e, op, err);
        struct stat fst;
        if (fd < 0)
            return -1;
        if (fstat(fd, &fst) < 0)
            return xb_error_errno(err, errno, "stat %s", e->src);
        st.st_size = fst.st_size;
    }
    unsigned char cap[XB_BX_CAP_MAX];
    xb_xattr_t xattrs[XB_CENTRY_MAX_XATTRS + 1];
    size_t nx = xb_bx_entry_xattrs(e, fd, cap, xattrs);
    if (xb_layer_writer_add(w, e->path, &st, fd, S_ISLNK(e->mode) ? e->link : NULL, NULL,
                            nx > 0 ? xattrs : NULL, err) < 0)
        return -1;
    return 0;
}

int xb_bx_write_layer(xb_bctx_t *b, const xb_centries_t *ents, xb_layer_result_t *res,
                      xb_error_t *err)
{
    cleanup_layer_writer xb_layer_writer_t *w = NULL;
    if (xb_layer_writer_new(b->store, &b->lopts, &w, err) < 0)
        return -1;
    xb_centry_opener_t op = XB_CENTRY_OPENER_INIT;
    int r = 0;
    for (size_t i = 0; i < ents->n && r == 0; i++)
        r = write_entry(w, &ents->v[i], &op, err);
    xb_centry_opener_close(&op);
    if (r < 0)
        return -1;
    return xb_layer_writer_finish(w, res, err);
}
