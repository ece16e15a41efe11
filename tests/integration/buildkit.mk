# BuildKit's Dockerfile integration tests, ported as data (tests/buildkit/<UpstreamTestName>/)
# and run by one runner
TESTS += tests/integration/buildkit-cases.sh
EXTRA_DIST += tests/integration/buildkit-cases.sh tests/buildkit
