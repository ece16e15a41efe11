/* Corpus replay driver for fuzz targets (see replay.h). */
#ifndef XB_FUZZ_LIBFUZZER
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#ifndef XB_FUZZ_CORPUS
#error "define XB_FUZZ_CORPUS for the replay driver"
#endif

#define REPLAY_MAX_INPUT (8u * 1024 * 1024)

static int n_done;

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        printf("not ok %d - cannot open %s\n", ++n_done, path);
        return 1;
    }
    uint8_t *buf = malloc(REPLAY_MAX_INPUT);
    size_t len = buf ? fread(buf, 1, REPLAY_MAX_INPUT, f) : 0;
    fclose(f);
    if (buf == NULL) {
        printf("not ok %d - out of memory\n", ++n_done);
        return 1;
    }
    /* an exact-size copy so ASan sees reads past the end */
    uint8_t *data = malloc(len ? len : 1);
    memcpy(data, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    printf("ok %d - %s\n", ++n_done, path);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int failed = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            failed |= replay_file(argv[i]);
        printf("1..%d\n", n_done);
        return failed;
    }
    const char *top = getenv("top_srcdir");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", XB_FUZZ_CORPUS);
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("not ok 1 - corpus %s not found\n1..1\n", dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(*nn));
        if (nn == NULL)
            break;
        names = nn;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp);
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        failed |= replay_file(path);
        free(names[i]);
    }
    free(names);
    if (n == 0) {
        printf("not ok %d - corpus %s is empty\n", ++n_done, dir);
        failed = 1;
    }
    printf("1..%d\n", n_done);
    return failed;
}
#endif
