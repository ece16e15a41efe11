# unit tests: registry
