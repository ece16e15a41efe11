# integration tests: multi (each file: tests/integration/multi-*.sh)

# --- manifest stitching (owner: manifest helper) ---
TESTS += tests/integration/multi-stitch.sh tests/integration/multi-manifest-local.sh
EXTRA_DIST += tests/integration/multi-stitch.sh tests/integration/multi-manifest-local.sh
# --- end manifest stitching ---

# --- build executor: stages, platforms, cache (owner: build helper) ---
XB_MULTI_BUILD_TESTS = tests/integration/multi-build.sh tests/integration/multi-cache.sh \
	tests/integration/multi-push.sh
TESTS += $(XB_MULTI_BUILD_TESTS)
EXTRA_DIST += $(XB_MULTI_BUILD_TESTS)
# --- end build executor ---
