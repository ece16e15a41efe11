#include "cli/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BARS  64
#define BAR_WIDTH 24

struct bar {
    char digest[20]; /* "sha256:" + 12 hex */
    char what[12];
    int64_t done, total;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bar bars[MAX_BARS];
static int nbars, drawn;
static struct timespec last;

static void human(int64_t n, char *buf, size_t len)
{
    if (n < 1024)
        snprintf(buf, len, "%lld B", (long long)n);
    else if (n < 1024 * 1024)
        snprintf(buf, len, "%.1f KiB", (double)n / 1024);
    else
        snprintf(buf, len, "%.1f MiB", (double)n / (1024 * 1024));
}

static void redraw(void)
{
    if (drawn > 0)
        fprintf(stderr, "\033[%dA", drawn);
    for (int i = 0; i < nbars; i++) {
        const struct bar *b = &bars[i];
        char line[BAR_WIDTH + 1], d[32], t[32];
        int fill = b->total > 0
                       ? (int)(BAR_WIDTH * (b->done > b->total ? b->total : b->done) / b->total)
                       : 0;
        for (int k = 0; k < BAR_WIDTH; k++)
            line[k] = k < fill ? '=' : (k == fill ? '>' : ' ');
        line[BAR_WIDTH] = '\0';
        human(b->done, d, sizeof(d));
        human(b->total, t, sizeof(t));
        fprintf(stderr, "\r\033[K%-9s %s [%s] %s / %s\n", b->what, b->digest, line, d,
                b->total >= 0 ? t : "?");
    }
    drawn = nbars;
    fflush(stderr);
}

static void on_progress(const char *digest, const char *what, int64_t done, int64_t total,
                        int state, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&lock);
    struct bar *b = NULL;
    for (int i = 0; i < nbars; i++)
        if (strncmp(bars[i].digest, digest, sizeof(bars[i].digest) - 1) == 0)
            b = &bars[i];
    if (b == NULL && nbars < MAX_BARS) {
        b = &bars[nbars++];
        snprintf(b->digest, sizeof(b->digest), "%s", digest);
    }
    if (b != NULL) {
        snprintf(b->what, sizeof(b->what), "%s", what);
        b->done = done;
        b->total = total;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
    if (state != XB_PROGRESS_UPDATE || ms >= 100) {
        last = now;
        redraw();
    }
    pthread_mutex_unlock(&lock);
}

void xb_cli_progress_setup(xb_registry_opts_t *o)
{
    const char *term = getenv("TERM");
    if (o->quiet || !isatty(2) || term == NULL || strcmp(term, "dumb") == 0)
        return;
    o->progress = on_progress;
    o->progress_ud = NULL;
}

void xb_cli_progress_end(void)
{
    /* every START/DONE was drawn when it happened; lines printed since then (e.g. "Pushed
     * manifest") must not be overdrawn */
    pthread_mutex_lock(&lock);
    nbars = drawn = 0;
    pthread_mutex_unlock(&lock);
}
