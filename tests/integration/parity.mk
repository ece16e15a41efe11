# integration tests: BuildKit/buildah/buildx parity (issue 13)
PARITY_ITESTS = tests/integration/parity-flags-doc.sh tests/integration/parity-flags-build.sh
TESTS += $(PARITY_ITESTS)
EXTRA_DIST += $(PARITY_ITESTS) scripts/gen-flag-table.sh docs/flags.md
