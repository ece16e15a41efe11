# integration tests: wasm (each file: tests/integration/wasm-*.sh)
