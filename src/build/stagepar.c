/* Independent stages in parallel: every stage the target needs (but the target) is built in a
 * child process as soon as the stages it names are built, at most --jobs at once. A child
 * hands its stage's state back as JSON (config, layers, ARG state, cache key); the blobs it
 * wrote are already in the store. Stages referenced only through variables are built on
 * demand by whoever needs them. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/internal.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static char *state_path(xb_bctx_t *b, size_t i)
{
    char name[48];
    snprintf(name, sizeof(name), "stage-%zu.json", i);
    return xb_path_join(b->tmpdir, name);
}

static void child(xb_bctx_t *b, xb_bstage_t *st)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    xb_error_t err = XB_ERROR_INIT;
    json_t *res;
    if (xb_bx_stage_build(b, st, &err) < 0) {
        res = json_pack("{s:b,s:i,s:s}", "ok", 0, "code", err.code, "msg",
                        err.msg ? err.msg : "failed");
    } else {
        cleanup_free char *ps = xb_platform_format(&st->platform);
        res = json_pack("{s:b,s:O,s:O,s:O,s:s?,s:b,s:s,s:I,s:I}", "ok", 1, "config", st->config,
                        "layers", st->layers, "args", st->args, "key", st->cache_key, "cmd_set",
                        st->cmd_set, "platform", ps ? ps : "", "hits", (json_int_t)b->cache_hits,
                        "misses", (json_int_t)b->cache_misses);
    }
    cleanup_free char *path = state_path(b, st->index);
    char *data = res ? xb_json_dump(res) : NULL;
    xb_error_t e2 = XB_ERROR_INIT;
    int r = data && path ? xb_write_file_atomic(path, data, strlen(data), 0600, &e2) : -1;
    fflush(stdout);
    _exit(r < 0 ? 3 : 0);
}

static int load(xb_bctx_t *b, xb_bstage_t *st, size_t hits0, size_t misses0, xb_error_t *err)
{
    cleanup_free char *path = state_path(b, st->index);
    cleanup_json json_t *res = NULL;
    if (xb_json_load_file(path, 64u * 1024 * 1024, &res, err) < 0)
        return -1;
    if (!json_is_true(json_object_get(res, "ok")))
        return xb_error_set(err, (int)xb_json_int(res, "code", XB_ERR_INTERNAL), "%s",
                            xb_json_str(res, "msg") ? xb_json_str(res, "msg") : "failed");
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
    b->cache_hits += (size_t)xb_json_int(res, "hits", 0) - hits0;
    b->cache_misses += (size_t)xb_json_int(res, "misses", 0) - misses0;
    st->idx_valid = false;
    st->built = true;
    return 0;
}

int xb_bx_stages_parallel(xb_bctx_t *b, xb_bstage_t *target, int jobs, xb_error_t *err)
{
    size_t n = b->nstages;
    bool *need = calloc(n, sizeof(bool));
    pid_t *pids = calloc(n, sizeof(pid_t));
    size_t *stack = calloc(n + 1, sizeof(size_t));
    size_t *h0 = calloc(n, sizeof(size_t)), *m0 = calloc(n, sizeof(size_t));
    int ret = 0;
    if (!need || !pids || !stack || !h0 || !m0) {
        ret = xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        goto out;
    }
    /* what the target needs */
    size_t sp = 0, count = 0;
    stack[sp++] = target->index;
    while (sp > 0) {
        xb_bstage_t *s = &b->stages[stack[--sp]];
        xb_bstage_t *deps[64];
        size_t nd = xb_bx_stage_deps(b, s, deps, 64);
        for (size_t k = 0; k < nd; k++) {
            if (need[deps[k]->index] || deps[k]->built)
                continue;
            need[deps[k]->index] = true;
            count++;
            if (sp < n)
                stack[sp++] = deps[k]->index;
        }
    }
    if (count < 2)
        goto out; /* nothing to overlap */
    size_t running = 0, left = count;
    fflush(stdout);
    while (left > 0) {
        for (size_t i = 0; ret == 0 && i < n && running < (size_t)jobs; i++) {
            xb_bstage_t *s = &b->stages[i];
            if (!need[i] || s->built || pids[i] > 0)
                continue;
            xb_bstage_t *deps[64];
            size_t nd = xb_bx_stage_deps(b, s, deps, 64);
            bool ready = true;
            for (size_t k = 0; k < nd; k++)
                ready = ready && deps[k]->built;
            if (!ready)
                continue;
            h0[i] = b->cache_hits;
            m0[i] = b->cache_misses;
            pid_t pid = fork();
            if (pid < 0) {
                ret = xb_error_errno(err, errno, "fork");
                break;
            }
            if (pid == 0)
                child(b, s);
            pids[i] = pid;
            running++;
        }
        if (running == 0)
            break; /* a cycle or an error: the sequential path reports it */
        int status;
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            ret = ret ? ret : xb_error_errno(err, errno, "waitpid");
            break;
        }
        size_t i;
        for (i = 0; i < n && pids[i] != w; i++)
            ;
        if (i == n)
            continue;
        pids[i] = 0;
        running--;
        left--;
        need[i] = false;
        if (ret != 0)
            continue;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            ret = xb_error_set(err, XB_ERR_INTERNAL, "stage %zu: build process died (status %d)", i,
                               status);
        else if (load(b, &b->stages[i], h0[i], m0[i], err) < 0)
            ret = -1;
    }
    if (ret != 0) {
        for (size_t i = 0; i < n; i++)
            if (pids[i] > 0) {
                kill(pids[i], SIGKILL);
                waitpid(pids[i], NULL, 0);
            }
    }
out:
    free(need);
    free(pids);
    free(stack);
    free(h0);
    free(m0);
    return ret < 0 ? ret : (ret > 0 ? -ret : 0);
}
