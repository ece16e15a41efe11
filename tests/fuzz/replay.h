/* Fuzz targets are libFuzzer-style: they define LLVMFuzzerTestOneInput. Built normally (for
 * make check), tests/fuzz/replay.c adds a main() that replays a corpus through the same entry
 * point and reports one TAP line per input: with file arguments it replays those, otherwise
 * every file of $top_srcdir/tests/fuzz/corpus/<XB_FUZZ_CORPUS>/ (set per target with
 * -DXB_FUZZ_CORPUS='"name"').
 * Real fuzzing (clang): compile the target and its library with -fsanitize=fuzzer,address and
 * -DXB_FUZZ_LIBFUZZER (which drops replay.c's main), e.g.
 *   clang -g -O1 -fsanitize=fuzzer,address -DXB_FUZZ_LIBFUZZER -Isrc \
 *     tests/fuzz/dockerfile_fuzz.c src/dockerfile/\*.c src/util/\*.c -ljansson -lcrypto \
 *     -o dockerfile_fuzz && ./dockerfile_fuzz tests/fuzz/corpus/dockerfile */
#ifndef XB_TESTS_FUZZ_REPLAY_H
#define XB_TESTS_FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
