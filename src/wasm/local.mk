# src/wasm: Wasm module inspection (core vs component, WASI level), registry artifact formats,
# finding the module in pulled artifacts
src_libxbuild_a_SOURCES += \
	src/wasm/inspect.c src/wasm/inspect.h \
	src/wasm/artifact.c src/wasm/artifact.h \
	src/wasm/select.c src/wasm/select.h
src_libxbuild_a_SOURCES += \
	src/wasm/push.c src/wasm/pull.c src/wasm/transfer.h
