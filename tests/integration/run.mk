# integration tests: run (each file: tests/integration/run-*.sh)
RUN_ITESTS = tests/integration/run-arch.sh tests/integration/run-layers.sh \
	tests/integration/run-binfmt.sh tests/integration/run-sandbox.sh \
	tests/integration/run-extract.sh tests/integration/run-relroot.sh \
	tests/integration/run-security.sh
TESTS += $(RUN_ITESTS)
EXTRA_DIST += $(RUN_ITESTS) tests/lib/busybox.sh tests/integration/run-security-probe.c
