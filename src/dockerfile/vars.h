/* xb_df_vars_t: an ordered name -> value map for the executor's ARG and ENV state.
 *
 * Precedence rules the executor applies (Dockerfile reference, "ARG" and "ENV"):
 *  - Global ARGs (declared before the first FROM) are usable only in FROM lines (image and
 *    --platform). Inside a stage a global ARG is visible only after a bare `ARG NAME` (or
 *    `ARG NAME=default`) re-declares it; a bare re-declaration takes the global value.
 *  - An ARG's value: the --build-arg value when one was given for that name, else its
 *    default (expanded when the ARG line runs), else the variable is declared but unset
 *    (value NULL here: lookups see it as unset, expansion gives "").
 *  - A variable is visible from the line after its ARG/ENV on (ENV a=1 b=$a sees the old a).
 *  - ENV always overrides an ARG of the same name, in lookups and in RUN's environment:
 *    look ENV up first (xb_df_scope_lookup does exactly that).
 *  - ARGs are not persisted in the image config; ENV values are. Stages inherit ARG and ENV
 *    state from the stage they are based on (FROM <stage>), not from unrelated stages.
 *  - Predefined proxy ARGs (HTTP_PROXY, ...) and the automatic platform ARGs (TARGETOS,
 *    TARGETARCH, BUILDPLATFORM, ...) follow the same rules: the platform ones are global
 *    ARGs that a stage must declare with a bare `ARG NAME` to use.
 */
#ifndef XB_DOCKERFILE_VARS_H
#define XB_DOCKERFILE_VARS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct xb_df_vars {
    char **keys; /* owned */
    char **vals; /* owned; an entry may be NULL: declared but unset */
    size_t n, cap;
} xb_df_vars_t;

#define XB_DF_VARS_INIT                                                                            \
    {                                                                                              \
        NULL, NULL, 0, 0                                                                           \
    }

/* Sets key (val copied; NULL = declared without value). An existing key keeps its position.
 * 0 on success, -1 when out of memory. */
int xb_df_vars_set(xb_df_vars_t *v, const char *key, const char *val);
/* The value, or NULL when absent or declared without value. Borrowed. */
const char *xb_df_vars_get(const xb_df_vars_t *v, const char *key);
/* Whether key is present (even with a NULL value). */
bool xb_df_vars_has(const xb_df_vars_t *v, const char *key);
/* Removes key: 1 removed, 0 absent. Order of the others is kept. */
int xb_df_vars_unset(xb_df_vars_t *v, const char *key);
/* dst becomes a copy of src (dst's old content freed). 0 or -1 (dst then empty). */
int xb_df_vars_copy(xb_df_vars_t *dst, const xb_df_vars_t *src);
void xb_df_vars_free(xb_df_vars_t *v);
/* "KEY=VALUE" strings in order, entries with NULL values skipped; NULL-terminated; caller
 * frees (cleanup_strv). NULL when out of memory. */
char **xb_df_vars_environ(const xb_df_vars_t *v);

/* xb_df_lookup_fn adaptors (dockerfile/expand.h). ud: const xb_df_vars_t *. */
const char *xb_df_vars_lookup(const char *name, void *ud);
/* ud: const struct xb_df_scope *: ENV first, then ARGs (either may be NULL). */
struct xb_df_scope {
    const xb_df_vars_t *env;
    const xb_df_vars_t *args;
};
const char *xb_df_scope_lookup(const char *name, void *ud);

#define cleanup_df_vars __attribute__((cleanup(xb_df_vars_free)))

#endif
