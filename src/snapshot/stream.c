/* Layer extraction fed by a download (see stream.h). */
#include "snapshot/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer/inroot.h"
#include "snapshot/extract.h"
#include "snapshot/layers.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/log.h"

struct xb_snapshot_stream {
    char *tmp, *final;
    char diff_id[XB_DIGEST_LEN];
    int pipe_w, pipe_r, root;
    pthread_t thread;
    bool started, broken;
    xb_error_t err;    /* the thread's */
    int rc;            /* the thread's result */
    uint64_t max_size; /* the store's layer size limit */
};

static void *extract_main(void *ud)
{
    xb_snapshot_stream_t *st = ud;
    st->rc =
        xb_snapshot_extract_verified(st->root, st->pipe_r, st->diff_id, st->max_size, &st->err);
    /* read to the end whatever is left (a failed stream): the writer never blocks on a full pipe
     * nobody reads */
    char buf[65536];
    for (;;) {
        ssize_t n = read(st->pipe_r, buf, sizeof buf);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        break;
    }
    return NULL;
}

static void stream_free(xb_snapshot_stream_t *st)
{
    if (st->pipe_w >= 0)
        close(st->pipe_w);
    if (st->started)
        pthread_join(st->thread, NULL);
    if (st->pipe_r >= 0)
        close(st->pipe_r);
    if (st->root >= 0)
        close(st->root);
    if (st->tmp != NULL) {
        cleanup_error xb_error_t e = XB_ERROR_INIT;
        xb_rm_rf(st->tmp, &e);
    }
    xb_error_clear(&st->err);
    free(st->tmp);
    free(st->final);
    free(st);
}

int xb_snapshot_stream_begin(xb_store_t *s, const char *diff_id, xb_snapshot_stream_t **out,
                             xb_error_t *err)
{
    *out = NULL;
    if (!xb_digest_valid(diff_id) || strncmp(diff_id, "sha256:", 7) != 0)
        return xb_error_set(err, XB_ERR_INVALID, "invalid diffID '%s'", diff_id);
    cleanup_free char *dir = xb_snapshot_layers_dir(s);
    if (dir == NULL || xb_mkdir_p(dir, 0700, err) < 0)
        return -1;
    (void)chmod(dir, 0700);
    xb_snapshot_stream_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    st->pipe_w = st->pipe_r = st->root = -1;
    snprintf(st->diff_id, sizeof st->diff_id, "%s", diff_id);
    st->max_size = xb_store_max_layer_size(s);
    st->final = xb_path_join(dir, diff_id + 7);
    if (st->final == NULL) {
        stream_free(st);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (xb_is_dir(st->final)) {
        stream_free(st);
        return 0;
    }
    if (asprintf(&st->tmp, "%s/.tmp-%.12s-%d-XXXXXX", dir, diff_id + 7, (int)getpid()) < 0) {
        st->tmp = NULL;
        stream_free(st);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (mkdtemp(st->tmp) == NULL) {
        int e = errno;
        free(st->tmp);
        st->tmp = NULL;
        stream_free(st);
        return xb_error_errno(err, e, "cannot create a directory in %s", dir);
    }
    (void)chmod(st->tmp, 0755);
    int p[2];
    if ((st->root = xb_inroot_open_root(st->tmp, err)) < 0) {
        stream_free(st);
        return -1;
    }
    if (pipe2(p, O_CLOEXEC) < 0) {
        int e = errno;
        stream_free(st);
        return xb_error_errno(err, e, "pipe");
    }
    st->pipe_r = p[0];
    st->pipe_w = p[1];
    (void)fcntl(st->pipe_w, F_SETPIPE_SZ, 1 << 20);
    int e = pthread_create(&st->thread, NULL, extract_main, st);
    if (e != 0) {
        stream_free(st);
        return xb_error_errno(err, e, "cannot start the extraction thread");
    }
    st->started = true;
    xb_debug("snapshot: extracting %s while it downloads", diff_id);
    *out = st;
    return 0;
}

void xb_snapshot_stream_write(xb_snapshot_stream_t *st, const void *data, size_t len)
{
    if (st == NULL || st->broken)
        return;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(st->pipe_w, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* the reader is gone: cannot happen while it drains, but be safe */
            st->broken = true;
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

void xb_snapshot_stream_break(xb_snapshot_stream_t *st)
{
    if (st != NULL)
        st->broken = true;
}

int xb_snapshot_stream_finish(xb_snapshot_stream_t *st)
{
    if (st == NULL)
        return 0;
    close(st->pipe_w);
    st->pipe_w = -1;
    pthread_join(st->thread, NULL);
    st->started = false;
    int done = 0;
    if (st->broken)
        xb_debug("snapshot: %s: download restarted; extracting from the blob later", st->diff_id);
    else if (st->rc < 0)
        xb_debug("snapshot: %s: extraction while downloading failed (%s); extracting from the "
                 "blob later",
                 st->diff_id, st->err.msg ? st->err.msg : "?");
    else if (rename(st->tmp, st->final) == 0 || xb_is_dir(st->final)) {
        done = 1; /* (or another build extracted it meanwhile: ours is removed below) */
        if (!xb_path_exists(st->tmp)) {
            free(st->tmp);
            st->tmp = NULL;
        }
    } else
        xb_debug("snapshot: %s: cannot rename %s: %s", st->diff_id, st->tmp, strerror(errno));
    stream_free(st);
    return done;
}

void xb_snapshot_stream_abort(xb_snapshot_stream_t *st)
{
    if (st == NULL)
        return;
    st->broken = true;
    stream_free(st);
}
