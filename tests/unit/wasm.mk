# unit tests: wasm
check_PROGRAMS += tests/unit/wasm_inspect_test tests/unit/wasm_artifact_test
tests_unit_wasm_inspect_test_SOURCES = tests/unit/wasm_inspect_test.c
tests_unit_wasm_inspect_test_LDADD = $(XB_LIBS)
tests_unit_wasm_artifact_test_SOURCES = tests/unit/wasm_artifact_test.c
tests_unit_wasm_artifact_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/wasm_inspect_test tests/unit/wasm_artifact_test
UNIT_TESTS += tests/unit/wasm_inspect_test tests/unit/wasm_artifact_test
# fuzz target for the wasm parsers (inspection, pull-side selection, layer extraction); make check
# replays tests/fuzz/corpus/wasm/ (see tests/fuzz/replay.h)
check_PROGRAMS += tests/fuzz/wasm_fuzz
tests_fuzz_wasm_fuzz_SOURCES = tests/fuzz/wasm_fuzz.c tests/fuzz/replay.c tests/fuzz/replay.h
tests_fuzz_wasm_fuzz_CPPFLAGS = $(AM_CPPFLAGS) -DXB_FUZZ_CORPUS='"wasm"'
tests_fuzz_wasm_fuzz_LDADD = $(XB_LIBS)
TESTS += tests/fuzz/wasm_fuzz
UNIT_TESTS += tests/fuzz/wasm_fuzz
