# unit tests: perf
