include tests/unit/foundation.mk
include tests/unit/dockerfile.mk
include tests/unit/registry.mk
include tests/unit/run.mk
include tests/unit/multi.mk
include tests/unit/wasm.mk
include tests/unit/perf.mk
include tests/unit/ci-cache.mk
