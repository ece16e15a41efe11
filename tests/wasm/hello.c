/* Test module for the wasm integration tests: compiled with
 *   clang --target=wasm32-wasi -O2 -o hello.wasm hello.c
 * and run under Node's WASI (tests/wasm/run-wasi.mjs). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *who = getenv("WHO");
    printf("hello from wasm32-wasi, %s!\n", who ? who : "world");
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s\n", i, argv[i]);
    return argc > 1 && argv[1][0] == 'x' ? 3 : 0;
}
