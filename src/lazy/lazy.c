#include "lazy/lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const sonames[] = {
    [XB_LAZY_ARCHIVE] = "libarchive.so.13",
    [XB_LAZY_CURL] = "libcurl.so.4",
};
static void *handles[sizeof(sonames) / sizeof(sonames[0])];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void *xb_lazy_sym(enum xb_lazy_lib lib, const char *name, void **slot)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (f != NULL)
        return f;
    const char *why = NULL;
    pthread_mutex_lock(&lock);
    if (handles[lib] == NULL) {
        /* Debian's libcurl needs librtmp, which needs GnuTLS, whose constructor initializes it
         * (about 0.8 MB resident) though xbuild never speaks RTMP. GnuTLS skips that when
         * GNUTLS_NO_IMPLICIT_INIT=1; set only while loading, so children (credential helpers)
         * never inherit it. */
        bool set = lib == XB_LAZY_CURL && getenv("GNUTLS_NO_IMPLICIT_INIT") == NULL;
        if (set)
            setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1);
        handles[lib] = dlopen(sonames[lib], RTLD_NOW | RTLD_LOCAL);
        if (set)
            unsetenv("GNUTLS_NO_IMPLICIT_INIT");
    }
    if (handles[lib] == NULL)
        why = dlerror();
    else if ((f = dlsym(handles[lib], name)) == NULL)
        why = dlerror();
    pthread_mutex_unlock(&lock);
    if (f == NULL) {
        /* the one place library code writes and exits: like the dynamic linker, there is no
         * caller to return to (the call site expects the library function's result) */
        char msg[512];
        int n = snprintf(msg, sizeof(msg), "xbuild: cannot load %s from %s: %s\n", name,
                         sonames[lib], why ? why : "unknown error");
        if (n > 0 && write(STDERR_FILENO, msg, strnlen(msg, sizeof(msg))) < 0)
            n = 0;
        _exit(127);
    }
    __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    return f;
}
