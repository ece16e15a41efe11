# integration tests: multi (each file: tests/integration/multi-*.sh)

# --- manifest stitching (owner: manifest helper) ---
TESTS += tests/integration/multi-stitch.sh
EXTRA_DIST += tests/integration/multi-stitch.sh
# --- end manifest stitching ---
