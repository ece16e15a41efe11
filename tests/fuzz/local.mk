# fuzz targets; their corpus is replayed by make check
# Each target: tests/fuzz/<name>_fuzz.c (LLVMFuzzerTestOneInput) + tests/fuzz/replay.c (main,
# -DXB_FUZZ_CORPUS='"<name>"'), corpus in tests/fuzz/corpus/<name>/. See tests/fuzz/replay.h.
EXTRA_DIST += tests/fuzz/replay.h tests/fuzz/corpus

# dockerfile: parser, expansion, .dockerignore
check_PROGRAMS += tests/fuzz/dockerfile_fuzz
tests_fuzz_dockerfile_fuzz_SOURCES = tests/fuzz/dockerfile_fuzz.c tests/fuzz/replay.c \
	tests/fuzz/replay.h
tests_fuzz_dockerfile_fuzz_CPPFLAGS = $(AM_CPPFLAGS) -DXB_FUZZ_CORPUS='"dockerfile"'
tests_fuzz_dockerfile_fuzz_LDADD = $(XB_LIBS)
TESTS += tests/fuzz/dockerfile_fuzz

# image: index/manifest/config JSON model, platform parsing and selection (layer helper)
check_PROGRAMS += tests/fuzz/image_fuzz
tests_fuzz_image_fuzz_SOURCES = tests/fuzz/image_fuzz.c tests/fuzz/replay.c tests/fuzz/replay.h
tests_fuzz_image_fuzz_CPPFLAGS = $(AM_CPPFLAGS) -DXB_FUZZ_CORPUS='"image"'
tests_fuzz_image_fuzz_LDADD = $(XB_LIBS)
TESTS += tests/fuzz/image_fuzz

# manifest lists: indexes under edit (manifest helper)
check_PROGRAMS += tests/fuzz/manifest_list_fuzz
tests_fuzz_manifest_list_fuzz_SOURCES = tests/fuzz/manifest_list_fuzz.c tests/fuzz/replay.c \
	tests/fuzz/replay.h
tests_fuzz_manifest_list_fuzz_CPPFLAGS = $(AM_CPPFLAGS) -DXB_FUZZ_CORPUS='"manifest_list"'
tests_fuzz_manifest_list_fuzz_LDADD = $(XB_LIBS)
TESTS += tests/fuzz/manifest_list_fuzz
