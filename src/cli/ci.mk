# CI-facing pieces of bud/push: --output, --metadata-file (owner: ci-stitch helper)
src_xbuild_SOURCES += src/cli/metadata.c src/cli/metadata.h src/cli/bud_output.c src/cli/bud_output.h
