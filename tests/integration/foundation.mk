# integration tests: foundation (each file: tests/integration/foundation-*.sh)

# --- store (src/store/) ---
TESTS += tests/integration/foundation-store.sh tests/integration/foundation-export-oci.sh
EXTRA_DIST += tests/integration/foundation-store.sh tests/integration/foundation-export-oci.sh
# --- end store ---

# --- build executor (src/builder/, xbuild bud) ---
XB_BUILD_TESTS = \
	tests/integration/foundation-build-copy.sh \
	tests/integration/foundation-build-add.sh \
	tests/integration/foundation-build-errors.sh \
	tests/integration/foundation-build-repro.sh \
	tests/integration/foundation-build-kill.sh \
	tests/integration/foundation-build-examples.sh \
	tests/integration/foundation-build-heredoc.sh \
	tests/integration/foundation-build-links.sh \
	tests/integration/foundation-build-git.sh \
	tests/integration/foundation-build-dirs.sh \
	tests/integration/foundation-build-hostile.sh
TESTS += $(XB_BUILD_TESTS)
EXTRA_DIST += $(XB_BUILD_TESTS)
# --- end build executor ---

# --- layer compression (src/layer/) ---
TESTS += tests/integration/foundation-layer-compression.sh
EXTRA_DIST += tests/integration/foundation-layer-compression.sh
# --- end layer compression ---

# --- README and CLI surface (lead)
TESTS += tests/integration/foundation-readme.sh
EXTRA_DIST += tests/integration/foundation-readme.sh scripts/gen-command-reference.sh

# --- lazy loading of libarchive/libcurl (src/lazy/)
TESTS += tests/integration/foundation-lazy.sh
EXTRA_DIST += tests/integration/foundation-lazy.sh scripts/gen-lazy.py

# --- layering: includes one way, no two-file loops, local.mk per folder (scripts/check-layering.sh)
TESTS += tests/integration/foundation-layering.sh
EXTRA_DIST += tests/integration/foundation-layering.sh scripts/check-layering.sh
# --- function length: none over 100 lines but an allow-list that shrinks (scripts/check-function-length.sh)
TESTS += tests/integration/foundation-function-length.sh
EXTRA_DIST += tests/integration/foundation-function-length.sh scripts/check-function-length.sh
