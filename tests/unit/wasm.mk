# unit tests: wasm
check_PROGRAMS += tests/unit/wasm_inspect_test tests/unit/wasm_artifact_test
tests_unit_wasm_inspect_test_SOURCES = tests/unit/wasm_inspect_test.c
tests_unit_wasm_inspect_test_LDADD = $(XB_LIBS)
tests_unit_wasm_artifact_test_SOURCES = tests/unit/wasm_artifact_test.c
tests_unit_wasm_artifact_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/wasm_inspect_test tests/unit/wasm_artifact_test
UNIT_TESTS += tests/unit/wasm_inspect_test tests/unit/wasm_artifact_test
