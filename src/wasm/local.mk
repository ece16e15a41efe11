# src/wasm: Wasm module inspection (core vs component, WASI level), registry artifact formats,
# finding the module in pulled artifacts
src_libxbuild_a_SOURCES += \
	src/wasm/inspect.c src/wasm/inspect.h \
	src/wasm/artifact.c src/wasm/artifact.h \
	src/wasm/select.c src/wasm/select.h
src_libxbuild_a_SOURCES += \
	src/wasm/push.c src/wasm/pull.c src/wasm/transfer.h
# the commands (CLI layer, linked into the binary only)
src_xbuild_SOURCES += \
	src/cli/push_wasm.c src/cli/pull_wasm.c
