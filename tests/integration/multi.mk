# integration tests: multi (each file: tests/integration/multi-*.sh)
