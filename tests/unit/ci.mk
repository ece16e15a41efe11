# unit tests: CI stitching (owner: ci-stitch helper)
check_PROGRAMS += tests/unit/mlist_platforms_test
tests_unit_mlist_platforms_test_SOURCES = tests/unit/mlist_platforms_test.c
tests_unit_mlist_platforms_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/mlist_platforms_test
UNIT_TESTS += tests/unit/mlist_platforms_test
