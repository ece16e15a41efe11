#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

int xb_error_set(xb_error_t *err, int code, const char *fmt, ...)
{
    if (code <= 0)
        code = XB_ERR_INTERNAL;
    if (err == NULL)
        return -code;
    va_list ap;
    va_start(ap, fmt);
    char *m = vformat(fmt, ap);
    va_end(ap);
    free(err->msg);
    err->msg = m;
    err->code = code;
    return -code;
}

int xb_error_errno(xb_error_t *err, int errnum, const char *fmt, ...)
{
    if (err == NULL)
        return -XB_ERR_IO;
    va_list ap;
    va_start(ap, fmt);
    char *m = vformat(fmt, ap);
    va_end(ap);
    char *full = NULL;
    if (asprintf(&full, "%s: %s", m ? m : "error", strerror(errnum)) < 0)
        full = NULL;
    free(m);
    free(err->msg);
    err->msg = full;
    err->code = XB_ERR_IO;
    return -XB_ERR_IO;
}

int xb_error_wrap(xb_error_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return -XB_ERR_INTERNAL;
    if (err->code == 0)
        err->code = XB_ERR_INTERNAL;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = vformat(fmt, ap);
    va_end(ap);
    char *full = NULL;
    if (asprintf(&full, "%s: %s", ctx ? ctx : "", err->msg ? err->msg : "unknown error") < 0)
        full = NULL;
    free(ctx);
    if (full != NULL) {
        free(err->msg);
        err->msg = full;
    }
    return -err->code;
}

void xb_error_clear(xb_error_t *err)
{
    if (err == NULL)
        return;
    free(err->msg);
    err->msg = NULL;
    err->code = 0;
}

void xb_error_move(xb_error_t *dst, xb_error_t *src)
{
    xb_error_clear(dst);
    *dst = *src;
    src->msg = NULL;
    src->code = 0;
}
