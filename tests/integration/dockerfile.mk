# integration tests: dockerfile (each file: tests/integration/dockerfile-*.sh)
