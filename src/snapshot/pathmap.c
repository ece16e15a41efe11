#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/pathmap.h"

static size_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

static size_t slot(const xb_pathmap_t *m, const char *key)
{
    size_t i = hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *xb_pathmap_get(const xb_pathmap_t *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = slot(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

int xb_pathmap_put(xb_pathmap_t *m, const char *key, void *val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 1024;
        xb_pathmap_t nm = {calloc(ncap, sizeof(char *)), calloc(ncap, sizeof(void *)), ncap, 0,
                           m->free_val};
        if (nm.keys == NULL || nm.vals == NULL) {
            free(nm.keys);
            free(nm.vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i] == NULL)
                continue;
            size_t j = slot(&nm, m->keys[i]);
            nm.keys[j] = m->keys[i];
            nm.vals[j] = m->vals[i];
            nm.n++;
        }
        free(m->keys);
        free(m->vals);
        *m = nm;
    }
    size_t i = slot(m, key);
    if (m->keys[i]) {
        if (m->free_val && m->vals[i] != val)
            m->free_val(m->vals[i]);
        m->vals[i] = val;
        return 0;
    }
    m->keys[i] = strdup(key);
    if (m->keys[i] == NULL)
        return -1;
    m->vals[i] = val;
    m->n++;
    return 0;
}

void xb_pathmap_free(xb_pathmap_t *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == NULL)
            continue;
        free(m->keys[i]);
        if (m->free_val)
            m->free_val(m->vals[i]);
    }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
