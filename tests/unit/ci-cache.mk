# unit tests: the shared build cache's flags (src/builder/cacheopts.c)
check_PROGRAMS += tests/unit/build_cacheopts_test
tests_unit_build_cacheopts_test_SOURCES = tests/unit/build_cacheopts_test.c
tests_unit_build_cacheopts_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/build_cacheopts_test
UNIT_TESTS += tests/unit/build_cacheopts_test
