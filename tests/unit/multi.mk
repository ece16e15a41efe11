# unit tests: multi

# --- manifest lists (src/image/manifest_list.c; owner: manifest helper) ---
check_PROGRAMS += tests/unit/manifest_list_test
tests_unit_manifest_list_test_SOURCES = tests/unit/manifest_list_test.c tests/lib/store_fixture.h
tests_unit_manifest_list_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/manifest_list_test
UNIT_TESTS += tests/unit/manifest_list_test
# --- end manifest lists ---
