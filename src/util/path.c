/* The one lexical path cleaner (see path.h). */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/path.h"

enum refusal { CLIMBS, HAS_DOTDOT, EMPTY };

static char *refuse(char *out, xb_error_t *err, enum refusal why, const char *path)
{
    free(out);
    if (why == HAS_DOTDOT)
        xb_error_set(err, XB_ERR_INVALID, "layer path '%s' contains '..'", path);
    else if (why == EMPTY)
        xb_error_set(err, XB_ERR_INVALID, "empty layer path '%s'", path);
    else
        xb_error_set(err, XB_ERR_INVALID, "path '%s' climbs out of its root", path);
    return NULL;
}

/* ".." at the top of out (length *len, *kept bytes of leading ".." components that Go mode
 * keeps): pops the last component, or handles the top as the mode says. Returns false when
 * the mode refuses it. */
static bool dotdot(char *out, size_t *len, size_t *kept, bool rooted, xb_path_mode_t mode)
{
    size_t floor = rooted ? 1 : 0; /* Go mode's "/" */
    if (mode == XB_PATH_ENTRY)
        return false;
    if (*len > *kept && *len > floor) {
        while (*len > floor && *len > *kept && out[*len - 1] != '/')
            (*len)--;
        if (*len > floor && *len > *kept)
            (*len)--; /* the slash */
        return true;
    }
    if (mode == XB_PATH_IN_ROOT)
        return false;
    if (mode == XB_PATH_GO && !rooted) {
        if (*len > 0)
            out[(*len)++] = '/';
        out[(*len)++] = '.';
        out[(*len)++] = '.';
        *kept = *len;
    }
    return true; /* clamped at the top */
}

char *xb_path_clean(const char *path, xb_path_mode_t mode, xb_error_t *err)
{
    size_t n = strlen(path);
    if (n >= PATH_MAX && mode != XB_PATH_GO) {
        xb_error_set(err, XB_ERR_INVALID, "path too long (%zu bytes)", n);
        return NULL;
    }
    char *out = malloc(n + 3);
    if (out == NULL) {
        xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    bool rooted = mode == XB_PATH_GO && path[0] == '/';
    size_t len = 0, kept = 0;
    if (rooted)
        out[len++] = '/';
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t cl = (size_t)(p - s);
        if (cl == 0 || (cl == 1 && s[0] == '.'))
            continue;
        if (cl == 2 && s[0] == '.' && s[1] == '.') {
            if (!dotdot(out, &len, &kept, rooted, mode))
                return refuse(out, err, mode == XB_PATH_ENTRY ? HAS_DOTDOT : CLIMBS, path);
            continue;
        }
        if (len > (rooted ? 1u : 0u))
            out[len++] = '/';
        memcpy(out + len, s, cl);
        len += cl;
    }
    if (len == 0 && mode == XB_PATH_ENTRY)
        return refuse(out, err, EMPTY, path);
    if (len == 0 && mode == XB_PATH_GO)
        out[len++] = '.';
    out[len] = '\0';
    return out;
}
