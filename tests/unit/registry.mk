# unit tests: registry
check_PROGRAMS += tests/unit/reference_test
tests_unit_reference_test_SOURCES = tests/unit/reference_test.c
tests_unit_reference_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/reference_test
UNIT_TESTS += tests/unit/reference_test
check_PROGRAMS += tests/unit/registry_test
tests_unit_registry_test_SOURCES = tests/unit/registry_test.c
tests_unit_registry_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/registry_test
UNIT_TESTS += tests/unit/registry_test

# fuzz target (replays tests/fuzz/corpus/registry/ in make check)
check_PROGRAMS += tests/fuzz/registry_fuzz
tests_fuzz_registry_fuzz_SOURCES = tests/fuzz/registry_fuzz.c tests/fuzz/replay.c \
	tests/fuzz/replay.h
tests_fuzz_registry_fuzz_CPPFLAGS = $(AM_CPPFLAGS) -DXB_FUZZ_CORPUS='"registry"'
tests_fuzz_registry_fuzz_LDADD = $(XB_LIBS)
TESTS += tests/fuzz/registry_fuzz
