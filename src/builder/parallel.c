/* Builds the independent stages of one platform in parallel through the one process pool
 * (util/procpool.h): every stage the target needs (but the target) is built in a child as soon
 * as the stages it names are built; a child hands its stage's state back (config, layers, ARG
 * state, cache key); the blobs it wrote are already in the store. (Several platforms are built
 * in parallel by build.c, through the same pool.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/procpool.h"

/* ---- independent stages ---- */

struct stage_pool {
    xb_bctx_t *b;
    size_t *hits0, *misses0; /* the parent's counters when each child started */
};

static bool stage_ready(size_t i, void *ud)
{
    struct stage_pool *sp = ud;
    xb_bstage_t *deps[64];
    size_t nd = xb_bx_stage_deps(sp->b, &sp->b->stages[i], deps, 64);
    for (size_t k = 0; k < nd; k++)
        if (!deps[k]->built)
            return false;
    return true;
}

static void stage_starting(size_t i, void *ud)
{
    struct stage_pool *sp = ud;
    sp->hits0[i] = sp->b->cache_hits;
    sp->misses0[i] = sp->b->cache_misses;
}

static int stage_run(size_t i, void *ud, json_t **result, xb_error_t *err)
{
    struct stage_pool *sp = ud;
    xb_bstage_t *st = &sp->b->stages[i];
    if (xb_bx_stage_build(sp->b, st, err) < 0)
        return -1;
    cleanup_free char *ps = xb_platform_format(&st->platform);
    *result = json_pack("{s:O,s:O,s:O,s:s?,s:b,s:s,s:I,s:I}", "config", st->config, "layers",
                        st->layers, "args", st->args, "key", st->cache_key, "cmd_set", st->cmd_set,
                        "platform", ps ? ps : "", "hits", (json_int_t)sp->b->cache_hits, "misses",
                        (json_int_t)sp->b->cache_misses);
    return *result ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

/* Takes a child's stage state over into the parent's stage. */
static int stage_done(size_t i, json_t *res, void *ud, xb_error_t *err)
{
    struct stage_pool *sp = ud;
    xb_bctx_t *b = sp->b;
    xb_bstage_t *st = &b->stages[i];
    json_t *cfg = json_object_get(res, "config"), *layers = json_object_get(res, "layers");
    json_t *args = json_object_get(res, "args");
    if (!json_is_object(cfg) || !json_is_array(layers) || !json_is_object(args))
        return xb_error_set(err, XB_ERR_INTERNAL, "stage %zu: malformed state", st->index);
    if (st->config)
        json_decref(st->config);
    if (st->layers)
        json_decref(st->layers);
    st->config = json_incref(cfg);
    st->layers = json_incref(layers);
    json_object_clear(st->args);
    json_object_update(st->args, args);
    free(st->cache_key);
    st->cache_key = xb_json_str(res, "key") ? strdup(xb_json_str(res, "key")) : NULL;
    st->cmd_set = json_is_true(json_object_get(res, "cmd_set"));
    xb_platform_free(&st->platform);
    if (xb_platform_parse(xb_json_str(res, "platform"), &st->platform, err) < 0)
        return -1;
    /* what the child counted beyond what it inherited */
    b->cache_hits += (size_t)xb_json_int(res, "hits", 0) - sp->hits0[i];
    b->cache_misses += (size_t)xb_json_int(res, "misses", 0) - sp->misses0[i];
    st->idx_valid = false;
    st->built = true;
    return 0;
}

static void stage_name(size_t i, void *ud, char *buf, size_t len)
{
    (void)ud;
    snprintf(buf, len, "stage %zu", i);
}

/* Marks in need[] the unbuilt stages the target depends on (directly or not); returns how
 * many. */
static size_t needed_stages(xb_bctx_t *b, xb_bstage_t *target, bool *need, size_t *stack)
{
    size_t sp = 0, count = 0, n = b->nstages;
    stack[sp++] = target->index;
    while (sp > 0) {
        xb_bstage_t *deps[64];
        size_t nd = xb_bx_stage_deps(b, &b->stages[stack[--sp]], deps, 64);
        for (size_t k = 0; k < nd; k++) {
            if (need[deps[k]->index] || deps[k]->built)
                continue;
            need[deps[k]->index] = true;
            count++;
            if (sp < n)
                stack[sp++] = deps[k]->index;
        }
    }
    return count;
}

int xb_bx_stages_parallel(xb_bctx_t *b, xb_bstage_t *target, int jobs, xb_error_t *err)
{
    size_t n = b->nstages;
    cleanup_free bool *need = calloc(n, sizeof(bool));
    cleanup_free size_t *stack = calloc(n + 1, sizeof(size_t));
    cleanup_free size_t *h0 = calloc(n, sizeof(size_t));
    cleanup_free size_t *m0 = calloc(n, sizeof(size_t));
    if (!need || !stack || !h0 || !m0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (needed_stages(b, target, need, stack) < 2)
        return 0; /* nothing to overlap */
    struct stage_pool sp = {b, h0, m0};
    xb_procpool_task_t t = {.ready = stage_ready,
                            .starting = stage_starting,
                            .run = stage_run,
                            .done = stage_done,
                            .name = stage_name,
                            .ud = &sp};
    /* 1 (stages waiting for each other): the sequential path reports the cycle */
    return xb_procpool_run(n, need, jobs, b->tmpdir, &t, err) < 0 ? -1 : 0;
}
