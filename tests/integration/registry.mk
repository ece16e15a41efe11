# integration tests: registry (each file: tests/integration/registry-*.sh)
