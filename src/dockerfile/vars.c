/* Ordered variable map (see vars.h). Linear search: stages have tens of variables. */
#include <stdlib.h>
#include <string.h>

#include "dockerfile/vars.h"

static long find(const xb_df_vars_t *v, const char *key)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return (long)i;
    return -1;
}

int xb_df_vars_set(xb_df_vars_t *v, const char *key, const char *val)
{
    char *nv = NULL;
    if (val != NULL && (nv = strdup(val)) == NULL)
        return -1;
    long i = find(v, key);
    if (i >= 0) {
        free(v->vals[i]);
        v->vals[i] = nv;
        return 0;
    }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        char **k = realloc(v->keys, cap * sizeof(*k));
        if (k == NULL)
            goto oom;
        v->keys = k;
        char **vs = realloc(v->vals, cap * sizeof(*vs));
        if (vs == NULL)
            goto oom;
        v->vals = vs;
        v->cap = cap;
    }
    char *nk = strdup(key);
    if (nk == NULL)
        goto oom;
    v->keys[v->n] = nk;
    v->vals[v->n] = nv;
    v->n++;
    return 0;
oom:
    free(nv);
    return -1;
}

const char *xb_df_vars_get(const xb_df_vars_t *v, const char *key)
{
    long i = v ? find(v, key) : -1;
    return i >= 0 ? v->vals[i] : NULL;
}

bool xb_df_vars_has(const xb_df_vars_t *v, const char *key)
{
    return v != NULL && find(v, key) >= 0;
}

int xb_df_vars_unset(xb_df_vars_t *v, const char *key)
{
    long i = find(v, key);
    if (i < 0)
        return 0;
    free(v->keys[i]);
    free(v->vals[i]);
    memmove(&v->keys[i], &v->keys[i + 1], (v->n - (size_t)i - 1) * sizeof(char *));
    memmove(&v->vals[i], &v->vals[i + 1], (v->n - (size_t)i - 1) * sizeof(char *));
    v->n--;
    return 1;
}

void xb_df_vars_free(xb_df_vars_t *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->keys[i]);
        free(v->vals[i]);
    }
    free(v->keys);
    free(v->vals);
    v->keys = v->vals = NULL;
    v->n = v->cap = 0;
}

int xb_df_vars_copy(xb_df_vars_t *dst, const xb_df_vars_t *src)
{
    if (dst == src)
        return 0;
    xb_df_vars_free(dst);
    for (size_t i = 0; i < src->n; i++)
        if (xb_df_vars_set(dst, src->keys[i], src->vals[i]) < 0) {
            xb_df_vars_free(dst);
            return -1;
        }
    return 0;
}

char **xb_df_vars_environ(const xb_df_vars_t *v)
{
    char **env = calloc(v->n + 1, sizeof(char *));
    size_t k = 0;
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        if (v->vals[i] == NULL)
            continue;
        size_t kl = strlen(v->keys[i]), vl = strlen(v->vals[i]);
        char *s = malloc(kl + vl + 2);
        if (s == NULL) {
            for (size_t j = 0; j < k; j++)
                free(env[j]);
            free(env);
            return NULL;
        }
        memcpy(s, v->keys[i], kl);
        s[kl] = '=';
        memcpy(s + kl + 1, v->vals[i], vl + 1);
        env[k++] = s;
    }
    return env;
}

const char *xb_df_vars_lookup(const char *name, void *ud)
{
    return xb_df_vars_get((const xb_df_vars_t *)ud, name);
}

const char *xb_df_scope_lookup(const char *name, void *ud)
{
    const struct xb_df_scope *s = ud;
    if (s->env != NULL && xb_df_vars_has(s->env, name))
        return xb_df_vars_get(s->env, name);
    return xb_df_vars_get(s->args, name);
}
