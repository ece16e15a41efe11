# integration tests: foundation (each file: tests/integration/foundation-*.sh)

# --- store (src/store/) ---
TESTS += tests/integration/foundation-store.sh
EXTRA_DIST += tests/integration/foundation-store.sh
# --- end store ---
