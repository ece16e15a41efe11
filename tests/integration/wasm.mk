# integration tests: wasm (each file: tests/integration/wasm-*.sh)
TESTS += tests/integration/wasm-push-pull.sh tests/integration/wasm-refuse.sh \
	tests/integration/wasm-bud.sh tests/integration/wasm-auth.sh
EXTRA_DIST += tests/integration/wasm-push-pull.sh tests/integration/wasm-refuse.sh \
	tests/integration/wasm-bud.sh tests/integration/wasm-auth.sh \
	tests/lib/wasm.sh tests/wasm/hello.c tests/wasm/run-wasi.mjs
