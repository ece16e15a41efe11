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
