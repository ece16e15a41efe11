# unit tests: dockerfile
