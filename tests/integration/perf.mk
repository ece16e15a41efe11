# integration tests: perf (each file: tests/integration/perf-*.sh)
