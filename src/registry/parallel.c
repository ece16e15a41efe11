/* A tiny bounded worker pool for blob transfers: runs fn(0..n-1) on up to jobs threads; the
 * first failure stops handing out new items and is returned. */
#include <pthread.h>
#include <stdlib.h>

#include "registry/internal.h"

struct pool {
    size_t n, next;
    xb_parallel_fn fn;
    void *ud;
    pthread_mutex_t lock;
    xb_error_t err;
    int rc;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->rc < 0 || p->next >= p->n) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        size_t i = p->next++;
        pthread_mutex_unlock(&p->lock);
        xb_error_t e = XB_ERROR_INIT;
        int rc = p->fn(i, p->ud, &e);
        if (rc < 0) {
            pthread_mutex_lock(&p->lock);
            if (p->rc >= 0) {
                p->rc = rc;
                xb_error_move(&p->err, &e);
            }
            pthread_mutex_unlock(&p->lock);
        }
        xb_error_clear(&e);
    }
}

int xb_parallel(int jobs, size_t n, xb_parallel_fn fn, void *ud, xb_error_t *err)
{
    struct pool p = {n, 0, fn, ud, PTHREAD_MUTEX_INITIALIZER, XB_ERROR_INIT, 0};
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > n)
        jobs = (int)n;
    pthread_t *t = calloc((size_t)(jobs > 0 ? jobs : 1), sizeof(*t));
    int started = 0;
    if (t != NULL)
        for (; started < jobs - 1; started++)
            if (pthread_create(&t[started], NULL, worker, &p) != 0)
                break;
    worker(&p); /* the calling thread works too */
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    free(t);
    pthread_mutex_destroy(&p.lock);
    if (p.rc < 0) {
        xb_error_move(err, &p.err);
        return p.rc;
    }
    return 0;
}
