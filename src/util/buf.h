/* Growable byte buffer; data is always NUL-terminated. */
#ifndef XB_UTIL_BUF_H
#define XB_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct xb_buf {
    char *data;
    size_t len;
    size_t cap;
} xb_buf_t;

#define XB_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* All return 0, or -1 when out of memory. */
int xb_buf_append(xb_buf_t *b, const void *data, size_t len);
int xb_buf_puts(xb_buf_t *b, const char *s);
int xb_buf_putc(xb_buf_t *b, char c);
int xb_buf_printf(xb_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void xb_buf_reset(xb_buf_t *b);
void xb_buf_free(xb_buf_t *b);
/* Returns the (NUL-terminated) data, never NULL; caller frees with free(). Resets b. */
char *xb_buf_steal(xb_buf_t *b);

#define cleanup_buf __attribute__((cleanup(xb_buf_free)))

#endif
