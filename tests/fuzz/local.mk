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

# Every fuzz target (the replay binaries of make check; libFuzzer binaries with
# ./configure CC=clang --enable-fuzzers). Targets defined in tests/unit/*.mk are listed here.
FUZZ_TESTS += tests/fuzz/dockerfile_fuzz tests/fuzz/image_fuzz tests/fuzz/manifest_list_fuzz \
	tests/fuzz/registry_fuzz tests/fuzz/layer_fuzz tests/fuzz/wasm_fuzz
tests_fuzz_dockerfile_fuzz_LDFLAGS = $(AM_LDFLAGS) $(XB_FUZZ_LDFLAGS)
tests_fuzz_image_fuzz_LDFLAGS = $(AM_LDFLAGS) $(XB_FUZZ_LDFLAGS)
tests_fuzz_manifest_list_fuzz_LDFLAGS = $(AM_LDFLAGS) $(XB_FUZZ_LDFLAGS)
tests_fuzz_registry_fuzz_LDFLAGS = $(AM_LDFLAGS) $(XB_FUZZ_LDFLAGS)
tests_fuzz_layer_fuzz_LDFLAGS = $(AM_LDFLAGS) $(XB_FUZZ_LDFLAGS)
tests_fuzz_wasm_fuzz_LDFLAGS = $(AM_LDFLAGS) $(XB_FUZZ_LDFLAGS)

# make fuzz (a build configured with --enable-fuzzers): each target runs FUZZ_TIME seconds
# from its corpus (new coverage goes to a scratch dir, not the repository); a crash, leak,
# timeout or OOM input is saved as FUZZ_CORPUS/<target>/crash-<sha1> (or leak-/timeout-/oom-)
# and the run fails, so the input is replayed by every later make check until fixed.
FUZZ_TIME = 20
FUZZ_CORPUS = $(abs_top_srcdir)/tests/fuzz/corpus
fuzz: $(FUZZ_TESTS)
	@test -n "$(XB_FUZZ_LDFLAGS)" || { echo "make fuzz: configure with CC=clang --enable-fuzzers"; exit 2; }
	@fail=0; for t in $(FUZZ_TESTS); do \
	  n=$$(basename $$t _fuzz); c=$(FUZZ_CORPUS)/$$n; w=tests/fuzz/scratch-$$n; \
	  rm -rf $$w; mkdir -p $$w $$c; \
	  echo "fuzzing $$n for $(FUZZ_TIME) s"; \
	  if top_srcdir=$(abs_top_srcdir) ./$$t -max_total_time=$(FUZZ_TIME) -timeout=10 \
	      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix=$$c/ \
	      $$w $$c >tests/fuzz/$$n.fuzz.log 2>&1; then \
	    grep -E '^stat::number_of_executed_units' tests/fuzz/$$n.fuzz.log | sed "s/^/  $$n /"; \
	  else \
	    fail=1; tail -40 tests/fuzz/$$n.fuzz.log; \
	    echo "FAIL: fuzz target $$n: the input is saved in $$c (commit it, fix the bug)"; \
	  fi; \
	  rm -rf $$w; \
	done; exit $$fail
.PHONY: fuzz
