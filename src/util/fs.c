#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

int xb_mkdir_p(const char *path, mode_t mode, xb_error_t *err)
{
    cleanup_free char *p = strdup(path);
    if (p == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return xb_error_errno(err, errno, "mkdir %s", p);
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return xb_error_errno(err, errno, "mkdir %s", p);
    if (!xb_is_dir(p))
        return xb_error_set(err, XB_ERR_IO, "%s exists and is not a directory", p);
    return 0;
}

ssize_t xb_read_small(const char *path, char *buf, size_t size, int flags)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    if (n <= 0) {
        if (n == 0)
            errno = ENODATA;
        return -1;
    }
    buf[n] = '\0';
    return n;
}

int xb_read_file(const char *path, size_t max, char **out, size_t *len, xb_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return xb_error_errno(err, errno, "stat %s", path);
    if (S_ISDIR(st.st_mode))
        return xb_error_set(err, XB_ERR_INVALID, "%s is a directory", path);
    size_t cap = 4096, n = 0;
    cleanup_free char *buf = malloc(cap + 1);
    if (buf == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (;;) {
        if (n == cap) {
            if (cap > max)
                return xb_error_set(err, XB_ERR_INVALID, "%s is larger than %zu bytes", path, max);
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return xb_error_errno(err, errno, "read %s", path);
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max)
            return xb_error_set(err, XB_ERR_INVALID, "%s is larger than %zu bytes", path, max);
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    *out = steal_pointer(&buf);
    return 0;
}

int xb_write_all(int fd, const void *data, size_t len, xb_error_t *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return xb_error_errno(err, errno, "write");
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int xb_fsync_parent(const char *path, xb_error_t *err)
{
    cleanup_free char *copy = strdup(path);
    if (copy == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    const char *dir = dirname(copy);
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "open %s", dir);
    if (fsync(fd) < 0 && errno != EINVAL)
        return xb_error_errno(err, errno, "fsync %s", dir);
    return 0;
}

int xb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         xb_error_t *err)
{
    cleanup_free char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "create %s", tmp);
    if (xb_write_all(fd, data, len, err) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
        if (err && err->code == 0)
            xb_error_errno(err, errno, "write %s", tmp);
        unlink(tmp);
        return xb_error_wrap(err, "write %s", path);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return xb_error_errno(err, e, "rename %s", path);
    }
    return xb_fsync_parent(path, err);
}

static int rm_at(int pfd, const char *name, xb_error_t *err)
{
    if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return xb_error_errno(err, errno, "unlink %s", name);
    int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "open %s", name);
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return xb_error_errno(err, errno, "opendir %s", name);
    }
    struct dirent *de;
    int r = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((r = rm_at(dirfd(d), de->d_name, err)) < 0)
            break;
    }
    closedir(d);
    if (r < 0)
        return r;
    if (unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return xb_error_errno(err, errno, "rmdir %s", name);
    return 0;
}

int xb_rm_rf(const char *path, xb_error_t *err)
{
    return rm_at(AT_FDCWD, path, err);
}

char *xb_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    char *r = NULL;
    if (asprintf(&r, "%.*s/%s", (int)la, a, b) < 0)
        return NULL;
    return r;
}

char *xb_path_join_rel(const char *a, const char *b)
{
    char *r = NULL;
    if (a[0] == '\0')
        return strdup(b);
    if (b[0] == '\0')
        return strdup(a);
    if (asprintf(&r, "%s/%s", a, b) < 0)
        return NULL;
    return r;
}

bool xb_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool xb_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
