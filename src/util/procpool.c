/* One process pool for parallel builds (see procpool.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/procpool.h"

#define RESULT_MAX (64u * 1024 * 1024)

static char *result_path(const char *dir, size_t i)
{
    char name[48];
    snprintf(name, sizeof(name), "task-%zu.json", i);
    return xb_path_join(dir, name);
}

/* In the forked child: run task i, write {"ok":true,"result":...} or {"ok":false,...}, exit. */
static void child(size_t i, const char *dir, const xb_procpool_task_t *t)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    xb_error_t err = XB_ERROR_INIT;
    json_t *result = NULL;
    json_t *res;
    if (t->run(i, t->ud, &result, &err) < 0)
        res = json_pack("{s:b,s:i,s:s}", "ok", 0, "code", err.code, "msg",
                        err.msg ? err.msg : "failed");
    else
        res = json_pack("{s:b,s:o?}", "ok", 1, "result", result);
    cleanup_free char *path = result_path(dir, i);
    char *data = res ? xb_json_dump(res) : NULL;
    xb_error_t e2 = XB_ERROR_INIT;
    int r = data && path ? xb_write_file_atomic(path, data, strlen(data), 0600, &e2) : -1;
    fflush(stdout);
    fflush(stderr);
    _exit(r < 0 ? 3 : 0); /* the forked child only */
}

/* The parent's side of one finished child. */
static int reap(size_t i, int status, const char *dir, const xb_procpool_task_t *t, xb_error_t *err)
{
    char name[96] = "task";
    if (t->name)
        t->name(i, t->ud, name, sizeof name);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            return xb_error_set(err, XB_ERR_INTERNAL, "%s: build process killed by signal %d", name,
                                WTERMSIG(status));
        return xb_error_set(err, XB_ERR_INTERNAL, "%s: build process died (exit status %d)", name,
                            WEXITSTATUS(status));
    }
    cleanup_free char *path = result_path(dir, i);
    cleanup_json json_t *res = NULL;
    if (xb_json_load_file(path, RESULT_MAX, &res, err) < 0)
        return xb_error_wrap(err, "%s: reading its result", name);
    if (!json_is_true(json_object_get(res, "ok")))
        return xb_error_set(err, (int)xb_json_int(res, "code", XB_ERR_INTERNAL), "%s",
                            xb_json_str(res, "msg") ? xb_json_str(res, "msg") : "failed");
    return t->done ? t->done(i, json_object_get(res, "result"), t->ud, err) : 0;
}

static void kill_all(pid_t *pids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
}

/* Forks every ready task while there is room; returns the number started or -1. */
static int start_ready(size_t n, bool *left, pid_t *pids, size_t *running, int jobs,
                       const char *dir, const xb_procpool_task_t *t, xb_error_t *err)
{
    int started = 0;
    for (size_t i = 0; i < n && *running < (size_t)jobs; i++) {
        if (!left[i] || pids[i] > 0 || (t->ready && !t->ready(i, t->ud)))
            continue;
        if (t->starting)
            t->starting(i, t->ud);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0)
            return xb_error_errno(err, errno, "fork");
        if (pid == 0)
            child(i, dir, t);
        pids[i] = pid;
        (*running)++;
        started++;
    }
    return started;
}

int xb_procpool_run(size_t n, const bool *want, int jobs, const char *dir,
                    const xb_procpool_task_t *t, xb_error_t *err)
{
    cleanup_free pid_t *pids = calloc(n ? n : 1, sizeof(pid_t));
    cleanup_free bool *left = calloc(n ? n : 1, sizeof(bool));
    if (pids == NULL || left == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    size_t nleft = 0, running = 0;
    bool failed = false;
    for (size_t i = 0; i < n; i++)
        if ((left[i] = want == NULL || want[i]))
            nleft++;
    if (jobs < 1)
        jobs = 1;
    while (nleft > 0) {
        if (start_ready(n, left, pids, &running, jobs, dir, t, err) < 0)
            break;
        if (running == 0)
            return 1; /* the tasks left wait for each other */
        int status;
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            xb_error_errno(err, errno, "waitpid");
            break;
        }
        size_t i;
        for (i = 0; i < n && pids[i] != w; i++)
            ;
        if (i == n)
            continue; /* not ours */
        pids[i] = 0;
        running--;
        left[i] = false;
        nleft--;
        if (reap(i, status, dir, t, err) < 0) {
            failed = true; /* also when it was the last task */
            break;
        }
    }
    if (nleft == 0 && !failed)
        return 0;
    kill_all(pids, n);
    return -1;
}
