/* The store: layout creation, blob writing/reading, the lock and work dirs. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char empty_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":[]}";

static int ensure_file(const char *root, const char *name, const char *content, xb_error_t *err)
{
    cleanup_free char *p = xb_path_join(root, name);
    if (p == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_path_exists(p))
        return 0;
    return xb_write_file_atomic(p, content, strlen(content), 0644, err);
}

int xb_store_open(const char *root, xb_store_t **out, xb_error_t *err)
{
    static const char *const dirs[] = {"blobs/sha256", "xbuild/layers", "xbuild/cache",
                                       "xbuild/tmp"};
    if (root == NULL || *root == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "store root is empty");
    if (xb_mkdir_p(root, 0755, err) < 0)
        return xb_error_wrap(err, "store %s", root);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        cleanup_free char *d = xb_path_join(root, dirs[i]);
        if (d == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (xb_mkdir_p(d, 0755, err) < 0)
            return xb_error_wrap(err, "store %s", root);
    }
    if (ensure_file(root, "oci-layout", oci_layout, err) < 0 ||
        ensure_file(root, "index.json", empty_index, err) < 0)
        return xb_error_wrap(err, "store %s", root);
    xb_store_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    s->root = strdup(root);
    s->blobdir = xb_path_join(root, "blobs/sha256");
    s->index = xb_path_join(root, "index.json");
    s->lockpath = xb_path_join(root, "xbuild/lock");
    s->usersfd = -1;
    if (!s->root || !s->blobdir || !s->index || !s->lockpath) {
        xb_store_close(s);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    /* Every open store holds a shared lock on xbuild/users: prune spares young blobs when it
     * cannot get it exclusively (another process may be writing blobs it has not tagged). */
    cleanup_free char *users = xb_path_join(root, "xbuild/users");
    if (users != NULL) {
        s->usersfd = open(users, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (s->usersfd >= 0)
            flock(s->usersfd, LOCK_SH);
    }
    *out = s;
    return 0;
}

void xb_store_close(xb_store_t *s)
{
    if (s == NULL)
        return;
    if (s->usersfd >= 0)
        close(s->usersfd);
    free(s->root);
    free(s->blobdir);
    free(s->index);
    free(s->lockpath);
    free(s);
}

void xb_store_set_max_layer_size(xb_store_t *s, uint64_t bytes)
{
    s->max_layer_size = bytes;
}

uint64_t xb_store_max_layer_size(const xb_store_t *s)
{
    return s->max_layer_size;
}

const char *xb_store_root(const xb_store_t *s)
{
    return s->root;
}

char *xb_store_path(const xb_store_t *s, const char *rel)
{
    return xb_path_join(s->root, rel);
}

char *xb_store_blob_path(const xb_store_t *s, const char *digest)
{
    if (!xb_digest_valid(digest))
        return NULL;
    return xb_path_join(s->blobdir, xb_digest_hex(digest));
}

bool xb_store_has_blob(const xb_store_t *s, const char *digest)
{
    cleanup_free char *p = xb_store_blob_path(s, digest);
    struct stat st;
    return p != NULL && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* --- blob writer --- */

struct xb_blob_writer {
    xb_store_t *s;
    int fd;
    char *tmp;
    xb_sha256_t h;
    int64_t size;
};

int xb_store_blob_begin(xb_store_t *s, xb_blob_writer_t **out, xb_error_t *err)
{
    xb_blob_writer_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    w->s = s;
    w->fd = -1;
    if (asprintf(&w->tmp, "%s/" XB_STORE_TMP_PREFIX "%ld-XXXXXX", s->blobdir, (long)getpid()) < 0) {
        w->tmp = NULL;
        xb_blob_abort(w);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    w->fd = mkostemp(w->tmp, O_CLOEXEC);
    if (w->fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        xb_blob_abort(w);
        return xb_error_errno(err, e, "create temp blob in %s", s->blobdir);
    }
    if (xb_sha256_init(&w->h, err) < 0) {
        xb_blob_abort(w);
        return -XB_ERR_INTERNAL;
    }
    *out = w;
    return 0;
}

int xb_blob_write(xb_blob_writer_t *w, const void *data, size_t len, xb_error_t *err)
{
    if (xb_write_all(w->fd, data, len, err) < 0)
        return xb_error_wrap(err, "write %s", w->tmp);
    xb_sha256_update(&w->h, data, len);
    w->size += (int64_t)len;
    return 0;
}

void xb_blob_abort(xb_blob_writer_t *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp != NULL)
        unlink(w->tmp);
    xb_sha256_free(&w->h);
    free(w->tmp);
    free(w);
}

int xb_blob_commit(xb_blob_writer_t *w, const char *expected, char digest[XB_DIGEST_LEN],
                   int64_t *size, xb_error_t *err)
{
    char d[XB_DIGEST_LEN];
    xb_sha256_final(&w->h, d);
    if (expected != NULL && strcmp(expected, d) != 0) {
        int r = xb_error_set(err, XB_ERR_DIGEST,
                             "blob digest mismatch: expected %s, got %s (%lld bytes)", expected, d,
                             (long long)w->size);
        xb_blob_abort(w);
        return r;
    }
    if (fchmod(w->fd, 0644) < 0 || fsync(w->fd) < 0) {
        int r = xb_error_errno(err, errno, "fsync %s", w->tmp);
        xb_blob_abort(w);
        return r;
    }
    close(w->fd);
    w->fd = -1;
    cleanup_free char *final = xb_store_blob_path(w->s, d);
    if (final == NULL) {
        xb_blob_abort(w);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    /* Renamed even over an existing blob of that name: the content was just verified, so this
     * also repairs a corrupt copy, and the fresh mtime tells a concurrent prune (which spares
     * young blobs while other processes use the store) to keep it. */
    if (rename(w->tmp, final) < 0) {
        int r = xb_error_errno(err, errno, "rename %s to %s", w->tmp, final);
        xb_blob_abort(w);
        return r;
    }
    free(w->tmp);
    w->tmp = NULL;
    if (xb_fsync_parent(final, err) < 0) {
        xb_blob_abort(w);
        return -err->code;
    }
    if (digest != NULL)
        memcpy(digest, d, XB_DIGEST_LEN);
    if (size != NULL)
        *size = w->size;
    xb_blob_abort(w); /* frees; removes the temp file when it was not renamed */
    return 0;
}

int xb_store_put_blob(xb_store_t *s, const void *data, size_t len, char digest[XB_DIGEST_LEN],
                      xb_error_t *err)
{
    char d[XB_DIGEST_LEN];
    xb_digest_buf(data, len, d);
    cleanup_free char *p = xb_store_blob_path(s, d);
    char have[XB_DIGEST_LEN] = "";
    xb_error_t e = XB_ERROR_INIT;
    if (xb_store_has_blob(s, d) && xb_digest_file(p, have, &e) == 0 && strcmp(have, d) == 0) {
        utimensat(AT_FDCWD, p, NULL, 0);
        if (digest != NULL)
            memcpy(digest, d, XB_DIGEST_LEN);
        return 0;
    }
    xb_error_clear(&e);
    xb_blob_writer_t *w = NULL;
    if (xb_store_blob_begin(s, &w, err) < 0)
        return -err->code;
    if (xb_blob_write(w, data, len, err) < 0) {
        xb_blob_abort(w);
        return -err->code;
    }
    return xb_blob_commit(w, d, digest, NULL, err);
}

int xb_store_read_blob(xb_store_t *s, const char *digest, size_t max, char **data, size_t *len,
                       xb_error_t *err)
{
    cleanup_free char *p = xb_store_blob_path(s, digest);
    if (p == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "invalid digest '%s'", digest ? digest : "");
    if (!xb_path_exists(p))
        return xb_error_set(err, XB_ERR_NOT_FOUND, "blob %s not found in %s", digest, s->root);
    cleanup_free char *buf = NULL;
    size_t n = 0;
    if (xb_read_file(p, max, &buf, &n, err) < 0)
        return xb_error_wrap(err, "blob %s", digest);
    char d[XB_DIGEST_LEN];
    xb_digest_buf(buf, n, d);
    if (strcmp(d, digest) != 0)
        return xb_error_set(err, XB_ERR_DIGEST, "blob %s is corrupt (content has digest %s)",
                            digest, d);
    *data = steal_pointer(&buf);
    if (len != NULL)
        *len = n;
    return 0;
}

int xb_store_read_json(xb_store_t *s, const char *digest, json_t **out, xb_error_t *err)
{
    cleanup_free char *buf = NULL;
    size_t n = 0;
    if (xb_store_read_blob(s, digest, XB_JSON_MAX, &buf, &n, err) < 0)
        return -err->code;
    return xb_json_parse(buf, n, digest, out, err);
}

/* --- lock and work dirs --- */

int xb_store_lock(xb_store_t *s, xb_error_t *err)
{
    int fd = open(s->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return xb_error_errno(err, errno, "open %s", s->lockpath);
    while (flock(fd, LOCK_EX) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        return xb_error_errno(err, e, "flock %s", s->lockpath);
    }
    return fd;
}

void xb_store_unlock(int lockfd)
{
    if (lockfd >= 0) {
        flock(lockfd, LOCK_UN);
        close(lockfd);
    }
}

int xb_store_mkdtemp(xb_store_t *s, const char *prefix, char **path, xb_error_t *err)
{
    char *p = NULL;
    if (asprintf(&p, "%s/xbuild/tmp/%s-%ld-XXXXXX", s->root, prefix ? prefix : "work",
                 (long)getpid()) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (mkdtemp(p) == NULL) {
        int e = errno;
        free(p);
        return xb_error_errno(err, e, "mkdtemp in %s/xbuild/tmp", s->root);
    }
    *path = p;
    return 0;
}

bool xb_store_hex_name(const char *n)
{
    if (strlen(n) != 64)
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

pid_t xb_store_name_pid(const char *name)
{
    /* "<prefix>-<pid>-<suffix>": the pid is the second-to-last dash-separated field. */
    const char *last = strrchr(name, '-');
    if (last == NULL || last == name)
        return 0;
    const char *p = last - 1;
    while (p > name && *p != '-')
        p--;
    if (*p != '-')
        return 0;
    p++;
    if (p == last)
        return 0;
    long v = 0;
    for (const char *q = p; q < last; q++) {
        if (*q < '0' || *q > '9' || v > 100000000)
            return 0;
        v = v * 10 + (*q - '0');
    }
    return (pid_t)v;
}

bool xb_store_pid_alive(pid_t pid)
{
    if (pid <= 0)
        return false;
    return kill(pid, 0) == 0 || errno == EPERM;
}
