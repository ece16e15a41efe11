# unit tests: wasm
