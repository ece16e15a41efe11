# src/cli: one file per command, linked into the xbuild binary only (the library never prints)
src_xbuild_SOURCES += \
	src/cli/cli.h src/cli/commands.c
include src/cli/manifest.mk
include src/cli/ci.mk
