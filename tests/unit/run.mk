# unit tests: run
