/* xb_error_t: the error every fallible library function reports through.
 * Convention: int xb_mod_verb(..., xb_error_t *err) returns >= 0 on success and a negative
 * value (minus the error code) on failure with *err set. Callers add context with
 * xb_error_wrap(). Only main() prints an error. */
#ifndef XB_UTIL_ERROR_H
#define XB_UTIL_ERROR_H

#include <stdarg.h>

enum xb_error_code {
    XB_OK = 0,
    XB_ERR_IO = 1,      /* filesystem or OS call failed */
    XB_ERR_PARSE,       /* malformed input (Dockerfile, JSON, reference, ...) */
    XB_ERR_INVALID,     /* well-formed but not acceptable (bad flag value, hostile path) */
    XB_ERR_NOT_FOUND,   /* image, tag, blob, file, stage not found */
    XB_ERR_EXISTS,      /* already exists */
    XB_ERR_DIGEST,      /* content does not match its digest */
    XB_ERR_NETWORK,     /* transport failure */
    XB_ERR_REGISTRY,    /* the registry answered with an error */
    XB_ERR_AUTH,        /* authentication/authorisation failed */
    XB_ERR_UNSUPPORTED, /* media type, platform or feature not supported */
    XB_ERR_RUN,         /* a RUN step or sandboxed command failed */
    XB_ERR_INTERRUPTED, /* stopped by a signal */
    XB_ERR_USAGE,       /* command line misuse (exit code 2) */
    XB_ERR_INTERNAL,
    XB_ERR_CACHE, /* a shared build cache failed mid-build (the build can go on without it) */
};

typedef struct xb_error {
    int code;  /* enum xb_error_code */
    char *msg; /* owned; NULL when no error */
} xb_error_t;

#define XB_ERROR_INIT                                                                              \
    {                                                                                              \
        0, NULL                                                                                    \
    }

/* Sets *err (replacing any previous message). Returns -code. err may be NULL. */
int xb_error_set(xb_error_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like xb_error_set with ": strerror(errnum)" appended; code XB_ERR_IO. Returns -XB_ERR_IO. */
int xb_error_errno(xb_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes context: "<context>: <old message>". Returns -err->code (or -XB_ERR_INTERNAL). */
int xb_error_wrap(xb_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the message and resets to XB_ERROR_INIT. */
void xb_error_clear(xb_error_t *err);
/* Moves src into dst (dst cleared first). */
void xb_error_move(xb_error_t *dst, xb_error_t *src);

#define cleanup_error __attribute__((cleanup(xb_error_clear)))

#endif
