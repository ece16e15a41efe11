/* util/procpool: the one process pool (dependencies, results, failures, crashes, cycles). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/procpool.h"
#include "../lib/tap.h"

struct state {
    bool done[8];
    int order[8], norder;
    long long sum;
    int fail_at, crash_at; /* task that fails / kills itself (-1: none) */
    int dep_cycle;         /* tasks 0 and 1 wait for each other */
};

static bool ready(size_t i, void *ud)
{
    struct state *s = ud;
    if (s->dep_cycle && i < 2)
        return s->done[1 - i];
    return i == 0 || s->done[i - 1]; /* a chain: task i needs task i-1 */
}

static int run(size_t i, void *ud, json_t **result, xb_error_t *err)
{
    struct state *s = ud;
    if ((int)i == s->crash_at)
        raise(SIGKILL);
    if ((int)i == s->fail_at)
        return xb_error_set(err, XB_ERR_INVALID, "task %zu refused", i);
    *result = json_pack("{s:I}", "square", (json_int_t)(i * i));
    return 0;
}

static int done(size_t i, json_t *res, void *ud, xb_error_t *err)
{
    struct state *s = ud;
    s->done[i] = true;
    s->order[s->norder++] = (int)i;
    s->sum += json_integer_value(json_object_get(res, "square"));
    return 0;
}

static void name(size_t i, void *ud, char *buf, size_t len)
{
    (void)ud;
    snprintf(buf, len, "job %zu", i);
}

int main(void)
{
    char dir[] = "/tmp/xb-procpool-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    xb_error_t err = XB_ERROR_INIT;
    struct state s = {.fail_at = -1, .crash_at = -1};
    xb_procpool_task_t t = {.ready = ready, .run = run, .done = done, .name = name, .ud = &s};
    is_int(xb_procpool_run(5, NULL, 3, dir, &t, &err), 0, "five chained tasks run");
    is_int(s.sum, 0 + 1 + 4 + 9 + 16, "every result reaches the parent");
    ok(s.order[0] == 0 && s.order[4] == 4, "a task starts only once the one it needs is done");

    memset(&s, 0, sizeof s);
    s.fail_at = s.crash_at = -1;
    bool want[5] = {true, false, true, false, true};
    t.ready = NULL;
    is_int(xb_procpool_run(5, want, 2, dir, &t, &err), 0, "only the wanted tasks");
    ok(s.done[0] && !s.done[1] && s.done[2] && !s.done[3] && s.done[4], "... ran");

    memset(&s, 0, sizeof s);
    s.fail_at = 2;
    s.crash_at = -1;
    t.ready = ready;
    ok(xb_procpool_run(5, NULL, 2, dir, &t, &err) < 0 && err.msg &&
           strstr(err.msg, "task 2 refused") && err.code == XB_ERR_INVALID,
       "a task's error comes back with its code: %s", err.msg ? err.msg : "");
    ok(!s.done[3] && !s.done[4], "no task starts after a failure");
    xb_error_clear(&err);

    memset(&s, 0, sizeof s);
    s.fail_at = -1;
    s.crash_at = 1;
    ok(xb_procpool_run(3, NULL, 2, dir, &t, &err) < 0 && err.msg &&
           strstr(err.msg, "job 1: build process killed by signal 9"),
       "a crashed child is an error naming the task: %s", err.msg ? err.msg : "");
    xb_error_clear(&err);

    memset(&s, 0, sizeof s);
    s.fail_at = 4; /* the last task of the chain: nothing is left to run when it fails */
    s.crash_at = -1;
    ok(xb_procpool_run(5, NULL, 2, dir, &t, &err) < 0 && err.msg &&
           strstr(err.msg, "task 4 refused"),
       "the last task's failure is an error too (not lost): %s", err.msg ? err.msg : "");
    xb_error_clear(&err);

    memset(&s, 0, sizeof s);
    s.fail_at = s.crash_at = -1;
    s.dep_cycle = 1;
    is_int(xb_procpool_run(2, NULL, 2, dir, &t, &err), 1, "tasks that wait for each other: 1");
    xb_rm_rf(dir, &err);
    xb_error_clear(&err);
    return tap_done();
}
