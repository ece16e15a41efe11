# integration tests: foundation (each file: tests/integration/foundation-*.sh)
