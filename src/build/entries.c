#include "build/entries.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"

void xb_centries_init(xb_centries_t *l)
{
    memset(l, 0, sizeof(*l));
    l->index = json_object();
}

static void centry_clear(xb_centry_t *e)
{
    free(e->path);
    free(e->link);
    free(e->src);
    free(e->data);
    memset(e, 0, sizeof(*e));
}

void xb_centries_free(xb_centries_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        centry_clear(&l->v[i]);
    free(l->v);
    if (l->index != NULL)
        json_decref(l->index);
    memset(l, 0, sizeof(*l));
}

static void reindex(xb_centries_t *l)
{
    json_object_clear(l->index);
    for (size_t i = 0; i < l->n; i++)
        json_object_set_new(l->index, l->v[i].path, json_integer((json_int_t)i));
}

xb_centry_t *xb_centries_get(const xb_centries_t *l, const char *path)
{
    json_t *p = json_object_get(l->index, path);
    if (p == NULL)
        return NULL;
    return &l->v[json_integer_value(p)];
}

xb_centry_t *xb_centries_put(xb_centries_t *l, xb_centry_t *e)
{
    xb_centry_t *old = xb_centries_get(l, e->path);
    if (old != NULL) {
        if (S_ISDIR(old->mode) && !S_ISDIR(e->mode))
            xb_centries_remove_tree(l, e->path);
        old = xb_centries_get(l, e->path);
    }
    if (old != NULL) {
        centry_clear(old);
        *old = *e;
        memset(e, 0, sizeof(*e));
        return old;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        xb_centry_t *nv = realloc(l->v, nc * sizeof(*nv));
        if (nv == NULL) {
            centry_clear(e);
            return NULL;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n] = *e;
    memset(e, 0, sizeof(*e));
    json_object_set_new(l->index, l->v[l->n].path, json_integer((json_int_t)l->n));
    return &l->v[l->n++];
}

void xb_centries_remove_tree(xb_centries_t *l, const char *path)
{
    size_t pl = strlen(path), j = 0;
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->v[i].path;
        if (strncmp(p, path, pl) == 0 && (p[pl] == '\0' || p[pl] == '/')) {
            centry_clear(&l->v[i]);
            continue;
        }
        l->v[j++] = l->v[i];
    }
    l->n = j;
    reindex(l);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const xb_centry_t *)a)->path, ((const xb_centry_t *)b)->path);
}

void xb_centries_sort(xb_centries_t *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
    reindex(l);
}

char *xb_clean_image_path(const char *path)
{
    xb_buf_t out = XB_BUF_INIT;
    size_t *stack = NULL, depth = 0;
    const char *p = path;
    if (xb_buf_puts(&out, "") < 0)
        return NULL;
    stack = calloc(strlen(path) / 2 + 2, sizeof(*stack));
    if (stack == NULL) {
        xb_buf_free(&out);
        return NULL;
    }
    while (*p != '\0') {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 1 && p[0] == '.') {
            /* skip */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (depth > 0) {
                out.len = stack[--depth];
                out.data[out.len] = '\0';
            }
        } else {
            stack[depth++] = out.len;
            if ((out.len > 0 && xb_buf_putc(&out, '/') < 0) || xb_buf_append(&out, p, n) < 0) {
                free(stack);
                xb_buf_free(&out);
                return NULL;
            }
        }
        p += n;
    }
    free(stack);
    return xb_buf_steal(&out);
}
