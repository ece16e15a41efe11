/* Test helper (not a test): writes a blob of MB megabytes into the store at ROOT slowly
 * (sleeping between 1 MiB chunks), then commits it and prints its digest. Integration tests
 * kill it with SIGKILL mid-write to check the crash rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s ROOT MB USEC_PER_MB\n", argv[0]);
        return 2;
    }
    xb_error_t err = XB_ERROR_INIT;
    xb_store_t *s = NULL;
    xb_blob_writer_t *w = NULL;
    if (xb_store_open(argv[1], &s, &err) < 0 || xb_store_blob_begin(s, &w, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    static char chunk[1 << 20];
    long mb = atol(argv[2]), usec = atol(argv[3]);
    for (long i = 0; i < mb; i++) {
        memset(chunk, (int)('a' + i % 26), sizeof chunk);
        if (xb_blob_write(w, chunk, sizeof chunk, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        if (i == 0) {
            printf("writing\n");
            fflush(stdout);
        }
        usleep((useconds_t)usec);
    }
    char d[XB_DIGEST_LEN];
    if (xb_blob_commit(w, NULL, d, NULL, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("%s\n", d);
    xb_store_close(s);
    return 0;
}
