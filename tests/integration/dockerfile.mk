# integration tests: dockerfile (each file: tests/integration/dockerfile-*.sh)
TESTS += tests/integration/dockerfile-golden.sh tests/integration/dockerfile-bad.sh
EXTRA_DIST += tests/integration/dockerfile-golden.sh tests/integration/dockerfile-bad.sh \
	tests/dockerfile
