#include "util/xattr.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "util/cleanup.h"

bool xb_xattr_skipped(const char *name)
{
    return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0 ||
           strncmp(name, "user.fuseoverlayfs.", 19) == 0 || strcmp(name, "security.selinux") == 0;
}

/* The NUL-separated name list of path into *names (*len bytes). */
static int list_names(const char *path, const char *shown, char **names, ssize_t *len,
                      xb_error_t *err)
{
    for (;;) {
        ssize_t n = llistxattr(path, NULL, 0);
        if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP || errno == ENOSYS))
            n = 0;
        if (n < 0)
            return xb_error_errno(err, errno, "cannot list the xattrs of %s", shown);
        free(*names);
        if ((*names = malloc((size_t)n + 1)) == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        *len = n;
        if (n == 0)
            return 0;
        ssize_t got = llistxattr(path, *names, (size_t)n);
        if (got >= 0) {
            *len = got;
            return 0;
        }
        if (errno != ERANGE) /* (ERANGE: the list grew meanwhile) */
            return xb_error_errno(err, errno, "cannot list the xattrs of %s", shown);
    }
}

int xb_xattrs_each(const char *path, const char *shown, xb_xattr_fn fn, void *ud, xb_error_t *err)
{
    cleanup_free char *names = NULL;
    ssize_t nl = 0;
    if (list_names(path, shown, &names, &nl, err) < 0)
        return -1;
    for (ssize_t off = 0; off < nl; off += (ssize_t)strlen(names + off) + 1) {
        const char *name = names + off;
        ssize_t vl = lgetxattr(path, name, NULL, 0);
        cleanup_free char *v = vl >= 0 ? malloc((size_t)vl + 1) : NULL;
        if (vl >= 0 && v == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (vl >= 0 && (vl = lgetxattr(path, name, v, (size_t)vl)) < 0 && errno == ERANGE) {
            char *big = realloc(v, XATTR_SIZE_MAX); /* it grew meanwhile */
            if (big == NULL)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            v = big;
            vl = lgetxattr(path, name, v, XATTR_SIZE_MAX);
        }
        if (vl < 0 && errno == ENODATA) /* removed meanwhile */
            continue;
        if (vl < 0)
            return xb_error_errno(err, errno, "cannot read xattr %s of %s", name, shown);
        int r = fn(ud, name, v, (size_t)vl, err);
        if (r < 0)
            return r;
    }
    return 0;
}
