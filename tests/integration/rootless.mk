# integration tests: rootless mode (an ordinary user in a user namespace; run as root, which
# creates the test users and drops to them)
ROOTLESS_ITESTS = tests/integration/rootless.sh tests/integration/rootless-fuse.sh \
	tests/integration/rootless-keep.sh
TESTS += $(ROOTLESS_ITESTS)
EXTRA_DIST += $(ROOTLESS_ITESTS) tests/lib/no-userns.py tests/lib/rootless.sh
