# integration tests: CI (per-architecture jobs stitched, --output) (owner: ci-stitch helper)
XB_CI_TESTS = tests/integration/ci-stitch.sh tests/integration/ci-output.sh tests/integration/ci-recipes.sh \
	tests/integration/ci-containerfile.sh
TESTS += $(XB_CI_TESTS)
EXTRA_DIST += $(XB_CI_TESTS)
EXTRA_DIST += tests/ci-runner.py
