#include "lazy/lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct lib {
    const char *soname;
    const char *package; /* Debian */
    const char *const *symbols;
};

static const struct lib libs[] = {
    [XB_LAZY_ARCHIVE] = {"libarchive.so.13", "libarchive13", xb_lazy_archive_symbols},
    [XB_LAZY_CURL] = {"libcurl.so.4", "libcurl4", xb_lazy_curl_symbols},
};
#define NLIBS (sizeof(libs) / sizeof(libs[0]))

/* The .note.dlopen ELF note (https://systemd.io/ELF_DLOPEN_METADATA/): owner "FDO", type
 * 0x407c0c0a, a JSON array of the libraries the program dlopen()s. `dlopen-notes` and
 * packaging tools read it. */
#define DLOPEN_JSON                                                                                \
    "[{\"feature\":\"archive\",\"description\":\"tar layers, contexts and exports\","              \
    "\"priority\":\"required\",\"soname\":[\"libarchive.so.13\"]},"                                \
    "{\"feature\":\"curl\",\"description\":\"registry transfers and ADD <url>\","                  \
    "\"priority\":\"required\",\"soname\":[\"libcurl.so.4\"]}]"
__attribute__((used, section(".note.dlopen"), aligned(4))) static const struct {
    uint32_t n_namesz, n_descsz, n_type;
    char name[4];
    __attribute__((aligned(4))) char desc[sizeof(DLOPEN_JSON)];
} dlopen_note = {4, sizeof(DLOPEN_JSON), 0x407c0c0a, "FDO", DLOPEN_JSON};

/* Load state, set once under the lock: a pure function of the installed libraries. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *handles[NLIBS];
static bool tried[NLIBS];
static char failure[NLIBS][512];

static void load_locked(enum xb_lazy_lib lib)
{
    const struct lib *l = &libs[lib];
    tried[lib] = true;
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        snprintf(failure[lib], sizeof failure[lib], "%s", why ? why : "unknown error");
        return;
    }
    for (const char *const *s = l->symbols; *s != NULL; s++) {
        (void)dlerror();
        if (dlsym(h, *s) == NULL) {
            snprintf(failure[lib], sizeof failure[lib], "it has no function %s (version too old?)",
                     *s);
            dlclose(h);
            return;
        }
    }
    handles[lib] = h;
}

int xb_lazy_load(enum xb_lazy_lib lib, xb_error_t *err)
{
    pthread_mutex_lock(&lock);
    if (!tried[lib])
        load_locked(lib);
    bool ok = handles[lib] != NULL;
    pthread_mutex_unlock(&lock);
    if (ok)
        return 0;
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "%s cannot be loaded: %s; install the Debian package %s "
                        "(apt-get install %s)",
                        libs[lib].soname, failure[lib], libs[lib].package, libs[lib].package);
}

void *xb_lazy_sym(enum xb_lazy_lib lib, const char *name, void **slot)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (f != NULL)
        return f;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_lazy_load(lib, &e) < 0)
        abort(); /* a call site without xb_lazy_load(): a bug, see lazy.h */
    pthread_mutex_lock(&lock);
    f = dlsym(handles[lib], name);
    pthread_mutex_unlock(&lock);
    if (f == NULL)
        abort(); /* not in the table checked at load: regenerate with scripts/gen-lazy.py */
    __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    return f;
}
