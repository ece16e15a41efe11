/* The one worker pool of xbuild: tasks run in child processes, at most `jobs` at once, each as
 * soon as the caller says it is ready. Processes, not threads: a build task has its own state,
 * and the store is safe for concurrent writers (blobs and cache entries appear by atomic
 * rename). A child hands its result back as JSON in a file of `dir`; the parent reads it and
 * gives it to done(). The first failure (a task's error, a crash, an unreadable result) stops
 * the pool: running children are killed, no further task starts, and that error is returned.
 *
 * Users: parallel platform builds (--jobs) and independent stages of one platform. */
#ifndef XB_UTIL_PROCPOOL_H
#define XB_UTIL_PROCPOOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct xb_procpool_task {
    /* Parent: may task i start now (the tasks it needs are done)? NULL: always. */
    bool (*ready)(size_t i, void *ud);
    /* Parent, right before task i's child is forked (e.g. to note counters). May be NULL. */
    void (*starting)(size_t i, void *ud);
    /* Child: does task i; on success *result (owned by the pool) is what done() receives. */
    int (*run)(size_t i, void *ud, json_t **result, xb_error_t *err);
    /* Parent: task i succeeded with result (borrowed). A negative return stops the pool. */
    int (*done)(size_t i, json_t *result, void *ud, xb_error_t *err);
    /* Names task i for messages ("platform linux/arm64"); writes into buf. */
    void (*name)(size_t i, void *ud, char *buf, size_t len);
    void *ud;
} xb_procpool_task_t;

/* Runs the tasks i in [0, n) for which want[i] is true (want NULL: all). dir: an existing
 * private directory for the result files. Returns 0 when every wanted task is done, 1 when the
 * tasks left never became ready (a dependency cycle; none failed), -1 with *err when one
 * failed. */
int xb_procpool_run(size_t n, const bool *want, int jobs, const char *dir,
                    const xb_procpool_task_t *t, xb_error_t *err);

#endif
