# unit tests: multi
