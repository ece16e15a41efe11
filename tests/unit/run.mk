# unit tests: run
check_PROGRAMS += tests/unit/layer_apply_test tests/unit/arch_test
tests_unit_layer_apply_test_SOURCES = tests/unit/layer_apply_test.c
tests_unit_layer_apply_test_LDADD = $(XB_LIBS)
tests_unit_arch_test_SOURCES = tests/unit/arch_test.c
tests_unit_arch_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/layer_apply_test tests/unit/arch_test
UNIT_TESTS += tests/unit/layer_apply_test tests/unit/arch_test
