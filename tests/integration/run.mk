# integration tests: run (each file: tests/integration/run-*.sh)
