# unit tests: dockerfile
check_PROGRAMS += tests/unit/dockerfile_expand_test tests/unit/dockerfile_ignore_test \
	tests/unit/dockerfile_parse_test
tests_unit_dockerfile_expand_test_SOURCES = tests/unit/dockerfile_expand_test.c
tests_unit_dockerfile_expand_test_LDADD = $(XB_LIBS)
tests_unit_dockerfile_ignore_test_SOURCES = tests/unit/dockerfile_ignore_test.c
tests_unit_dockerfile_ignore_test_LDADD = $(XB_LIBS)
tests_unit_dockerfile_parse_test_SOURCES = tests/unit/dockerfile_parse_test.c
tests_unit_dockerfile_parse_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/dockerfile_expand_test tests/unit/dockerfile_ignore_test \
	tests/unit/dockerfile_parse_test
UNIT_TESTS += tests/unit/dockerfile_expand_test tests/unit/dockerfile_ignore_test \
	tests/unit/dockerfile_parse_test
