# unit tests: run
RUN_UTESTS = tests/unit/layer_apply_test tests/unit/arch_test tests/unit/run_parts_test \
	tests/unit/run_policy_test tests/unit/run_userns_test
check_PROGRAMS += $(RUN_UTESTS)
tests_unit_layer_apply_test_SOURCES = tests/unit/layer_apply_test.c
tests_unit_layer_apply_test_LDADD = $(XB_LIBS)
tests_unit_arch_test_SOURCES = tests/unit/arch_test.c
tests_unit_arch_test_LDADD = $(XB_LIBS)
tests_unit_run_parts_test_SOURCES = tests/unit/run_parts_test.c
tests_unit_run_parts_test_LDADD = $(XB_LIBS)
tests_unit_run_policy_test_SOURCES = tests/unit/run_policy_test.c
tests_unit_run_policy_test_LDADD = $(XB_LIBS)
tests_unit_run_userns_test_SOURCES = tests/unit/run_userns_test.c
tests_unit_run_userns_test_LDADD = $(XB_LIBS)
TESTS += $(RUN_UTESTS)
UNIT_TESTS += $(RUN_UTESTS)

# fuzz: untrusted layer tars (apply, both modes) and --mount specs; corpus replayed by make check
check_PROGRAMS += tests/fuzz/layer_fuzz
tests_fuzz_layer_fuzz_SOURCES = tests/fuzz/layer_fuzz.c tests/fuzz/replay.c tests/fuzz/replay.h
tests_fuzz_layer_fuzz_CPPFLAGS = $(AM_CPPFLAGS) -DXB_FUZZ_CORPUS='"layer"'
tests_fuzz_layer_fuzz_LDADD = $(XB_LIBS)
TESTS += tests/fuzz/layer_fuzz
