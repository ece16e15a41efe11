/* Multi-platform builds in parallel: one child process per platform (at most --jobs at once).
 * Processes, not threads: every platform build has its own state, and the store is safe for
 * concurrent writers (blobs and cache entries appear by atomic rename). A child reports its
 * result (descriptor or error) in a JSON file of the build's work dir; the parent tags. */
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

static char *result_path(xb_bctx_t *b, size_t i)
{
    char name[48];
    snprintf(name, sizeof(name), "result-%zu.json", i);
    return xb_path_join(b->tmpdir, name);
}

static void child(xb_bctx_t *b, const xb_platform_t *p, size_t i)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    cleanup_free char *ps = xb_platform_format(p);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "[%s] ", ps ? ps : "?");
    b->prefix = prefix;
    xb_error_t err = XB_ERROR_INIT;
    json_t *desc = NULL;
    char cfg[XB_DIGEST_LEN] = "";
    json_t *res;
    if (xb_bx_build_one(b, p, true, &desc, cfg, &err) < 0)
        res = json_pack("{s:b,s:i,s:s}", "ok", 0, "code", err.code, "msg",
                        err.msg ? err.msg : "failed");
    else
        res = json_pack("{s:b,s:o}", "ok", 1, "descriptor", desc);
    cleanup_free char *path = result_path(b, i);
    char *data = res ? xb_json_dump(res) : NULL;
    xb_error_t e2 = XB_ERROR_INIT;
    int r = data && path ? xb_write_file_atomic(path, data, strlen(data), 0600, &e2) : -1;
    fflush(stdout);
    _exit(r < 0 ? 3 : 0);
}

int xb_bx_build_parallel(xb_bctx_t *b, const xb_platform_t *plats, size_t n, int jobs,
                         json_t *descs, xb_error_t *err)
{
    pid_t *pids = calloc(n, sizeof(pid_t));
    if (pids == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    size_t next = 0, running = 0, done = 0;
    int ret = 0;
    fflush(stdout);
    while (done < n) {
        while (ret == 0 && next < n && running < (size_t)jobs) {
            pid_t pid = fork();
            if (pid < 0) {
                ret = xb_error_errno(err, errno, "fork");
                break;
            }
            if (pid == 0)
                child(b, &plats[next], next);
            pids[next++] = pid;
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            ret = ret ? ret : xb_error_errno(err, errno, "waitpid");
            break;
        }
        size_t i;
        for (i = 0; i < next && pids[i] != w; i++)
            ;
        if (i == next)
            continue;
        running--;
        done++;
        pids[i] = 0;
        if (ret != 0)
            continue;
        cleanup_free char *ps = xb_platform_format(&plats[i]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            ret = xb_error_set(err, XB_ERR_INTERNAL, "platform %s: build process died (status %d)",
                               ps ? ps : "?", status);
            continue;
        }
        cleanup_free char *path = result_path(b, i);
        json_t *res = NULL;
        if (xb_json_load_file(path, XB_JSON_MAX, &res, err) < 0) {
            ret = -1;
            continue;
        }
        if (!json_is_true(json_object_get(res, "ok"))) {
            ret = xb_error_set(err, (int)xb_json_int(res, "code", XB_ERR_INTERNAL), "%s",
                               xb_json_str(res, "msg") ? xb_json_str(res, "msg") : "failed");
        } else {
            json_t *d = json_object_get(res, "descriptor");
            if (xb_descriptor_check(d, "platform build result", err) < 0)
                ret = -1;
        }
        json_object_set_new(res, "index", json_integer((json_int_t)i));
        json_array_append_new(descs, res);
    }
    if (ret != 0) {
        /* stop the others */
        for (size_t i = 0; i < next; i++)
            if (pids[i] > 0) {
                kill(pids[i], SIGKILL);
                waitpid(pids[i], NULL, 0);
            }
    }
    free(pids);
    if (ret != 0) {
        json_array_clear(descs);
        return ret < 0 ? ret : -1;
    }
    /* platform order, descriptors only */
    json_t *sorted = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t k;
        json_t *r;
        json_array_foreach(descs, k, r)
        {
            if ((size_t)xb_json_int(r, "index", -1) == i)
                json_array_append(sorted, json_object_get(r, "descriptor"));
        }
    }
    json_array_clear(descs);
    json_array_extend(descs, sorted);
    json_decref(sorted);
    return 0;
}
