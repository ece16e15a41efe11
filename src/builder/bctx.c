/* The build's shared state (internal.h): progress lines, "Dockerfile:N", finding a stage by
 * name, whether a stage may use the cache. The lowest file of the executor: every other one
 * may call it, it calls none of them. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/internal.h"
#include "image/image.h"

void xb_bx_progress(xb_bctx_t *b, const char *fmt, ...)
{
    if (b->o->progress == NULL)
        return;
    char *line = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n >= 0 && b->prefix != NULL) {
        char *l2 = NULL;
        if (asprintf(&l2, "%s%s", b->prefix, line) >= 0) {
            free(line);
            line = l2;
        }
    }
    if (n >= 0) {
        b->o->progress(b->o->progress_ud, line);
        free(line);
    }
}

const char *xb_bx_where(xb_bctx_t *b, const xb_df_instr_t *in, char buf[], size_t n)
{
    snprintf(buf, n, "%s:%d", b->df->path, in ? in->line : 0);
    return buf;
}

xb_bstage_t *xb_bx_stage_find(xb_bctx_t *b, const char *ref, size_t before)
{
    if (ref == NULL || ref[0] == '\0')
        return NULL;
    for (size_t i = 0; i < before && i < b->nstages; i++)
        if (b->stages[i].name != NULL && strcasecmp(b->stages[i].name, ref) == 0)
            return &b->stages[i];
    bool digits = true;
    for (const char *p = ref; *p; p++)
        if (!isdigit((unsigned char)*p))
            digits = false;
    if (digits && strlen(ref) < 6) {
        size_t i = (size_t)atoi(ref);
        if (i < before && i < b->nstages)
            return &b->stages[i];
    }
    return NULL;
}

int xb_bx_stage_built(const xb_bstage_t *dep, const char *where, xb_error_t *err)
{
    if (dep->built)
        return 0;
    return xb_error_set(err, XB_ERR_INTERNAL,
                        "%s: stage %s was not built before the step that uses it (a bug: "
                        "please report it with the Dockerfile)",
                        where, dep->name ? dep->name : "?");
}

bool xb_bx_cache_enabled(xb_bstage_t *st)
{
    const xb_build_opts_t *o = st->b->o;
    if (o->no_cache || st->no_cache)
        return false;
    for (size_t i = 0; i < o->nno_cache_stages; i++) {
        const char *f = o->no_cache_stages[i];
        char idx[24];
        snprintf(idx, sizeof(idx), "%zu", st->index);
        if ((st->name && strcasecmp(st->name, f) == 0) || strcmp(idx, f) == 0)
            return false;
    }
    return true;
}

void xb_bx_shell(xb_bstage_t *st, json_t *argv)
{
    json_t *sh = json_object_get(xb_image_config_container(st->config), "Shell");
    if (json_is_array(sh) && json_array_size(sh) > 0) {
        size_t i;
        json_t *v;
        json_array_foreach(sh, i, v) json_array_append(argv, v);
        return;
    }
    json_array_append_new(argv, json_string("/bin/sh"));
    json_array_append_new(argv, json_string("-c"));
}
