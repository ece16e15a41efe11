# xbuild manifest (owner: manifest helper)
src_xbuild_SOURCES += src/cli/manifest.c
