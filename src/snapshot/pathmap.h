/* A string-keyed hash map (open addressing) used by the tree diff. Keys are copied; values
 * are owned by the caller unless a free function is given. */
#ifndef XB_SNAPSHOT_PATHMAP_H
#define XB_SNAPSHOT_PATHMAP_H

#include <stddef.h>

typedef struct xb_pathmap {
    char **keys;
    void **vals;
    size_t cap, n;
    void (*free_val)(void *);
} xb_pathmap_t;

#define XB_PATHMAP_INIT                                                                            \
    {                                                                                              \
        NULL, NULL, 0, 0, NULL                                                                     \
    }

/* 0 ok, -1 out of memory. An existing key's value is replaced (the old one freed). */
int xb_pathmap_put(xb_pathmap_t *m, const char *key, void *val);
void *xb_pathmap_get(const xb_pathmap_t *m, const char *key);
void xb_pathmap_free(xb_pathmap_t *m);

#endif
