# unit tests: foundation
