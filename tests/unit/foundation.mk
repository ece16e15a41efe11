# unit tests: foundation

# --- store (src/store/) ---
check_PROGRAMS += tests/unit/store_test
tests_unit_store_test_SOURCES = tests/unit/store_test.c
tests_unit_store_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/store_test
UNIT_TESTS += tests/unit/store_test
# --- end store ---
