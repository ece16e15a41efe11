include tests/integration/foundation.mk
include tests/integration/dockerfile.mk
include tests/integration/registry.mk
include tests/integration/run.mk
include tests/integration/multi.mk
include tests/integration/wasm.mk
include tests/integration/perf.mk
include tests/integration/buildkit.mk
include tests/integration/ci-cache.mk
EXTRA_DIST += tests/lib/common.sh tests/lib/tap.h
include tests/integration/ci.mk
include tests/integration/parity.mk
include tests/integration/rootless.mk
