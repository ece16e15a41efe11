# unit tests: foundation

# --- store (src/store/) ---
check_PROGRAMS += tests/unit/store_test
tests_unit_store_test_SOURCES = tests/unit/store_test.c tests/lib/store_fixture.h
tests_unit_store_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/store_test
UNIT_TESTS += tests/unit/store_test
# helper for tests/integration/foundation-store.sh (writes a blob slowly; not a test itself)
check_PROGRAMS += tests/unit/store_blob_helper
tests_unit_store_blob_helper_SOURCES = tests/unit/store_blob_helper.c
tests_unit_store_blob_helper_LDADD = $(XB_LIBS)
# --- end store ---

# --- layer + image (src/layer/, src/image/) ---
check_PROGRAMS += tests/unit/image_platform_test tests/unit/image_model_test \
	tests/unit/layer_writer_test tests/unit/layer_pgzip_test
tests_unit_layer_pgzip_test_SOURCES = tests/unit/layer_pgzip_test.c
tests_unit_layer_pgzip_test_LDADD = $(XB_LIBS)
tests_unit_image_platform_test_SOURCES = tests/unit/image_platform_test.c
tests_unit_image_platform_test_LDADD = $(XB_LIBS)
tests_unit_image_model_test_SOURCES = tests/unit/image_model_test.c
tests_unit_image_model_test_LDADD = $(XB_LIBS)
tests_unit_layer_writer_test_SOURCES = tests/unit/layer_writer_test.c
tests_unit_layer_writer_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/image_platform_test tests/unit/image_model_test tests/unit/layer_writer_test \
	tests/unit/layer_pgzip_test
UNIT_TESTS += tests/unit/image_platform_test tests/unit/image_model_test \
	tests/unit/layer_writer_test tests/unit/layer_pgzip_test
# compression throughput tool (not a test): make bench/compress-bench && bench/compress-bench
check_PROGRAMS += bench/compress-bench
bench_compress_bench_SOURCES = bench/compress-bench.c
bench_compress_bench_LDADD = $(XB_LIBS)
# --- end layer + image ---

# --- build executor (src/builder/) ---
check_PROGRAMS += tests/unit/build_copy_test
tests_unit_build_copy_test_SOURCES = tests/unit/build_copy_test.c
tests_unit_build_copy_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/build_copy_test
UNIT_TESTS += tests/unit/build_copy_test
check_PROGRAMS += tests/unit/build_rootfs_test
tests_unit_build_rootfs_test_SOURCES = tests/unit/build_rootfs_test.c
tests_unit_build_rootfs_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/build_rootfs_test
UNIT_TESTS += tests/unit/build_rootfs_test
# --- end build executor ---

# --- the process pool (src/util/procpool.c) ---
check_PROGRAMS += tests/unit/procpool_test
tests_unit_procpool_test_SOURCES = tests/unit/procpool_test.c
tests_unit_procpool_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/procpool_test
UNIT_TESTS += tests/unit/procpool_test

# --- the path cleaner (src/util/path.c) ---
check_PROGRAMS += tests/unit/path_test
tests_unit_path_test_SOURCES = tests/unit/path_test.c
tests_unit_path_test_LDADD = $(XB_LIBS)
TESTS += tests/unit/path_test
UNIT_TESTS += tests/unit/path_test
