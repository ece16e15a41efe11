#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static xb_log_fn handler;
static void *handler_data;
static int max_level = XB_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void xb_log_set_handler(xb_log_fn fn, void *userdata, int level)
{
    handler = fn;
    handler_data = userdata;
    max_level = level;
}

int xb_log_level(void)
{
    return handler ? max_level : -1;
}

void xb_log(int level, const char *fmt, ...)
{
    if (handler == NULL || level > max_level)
        return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    pthread_mutex_lock(&log_lock);
    handler(level, msg, handler_data);
    pthread_mutex_unlock(&log_lock);
    free(msg);
}
