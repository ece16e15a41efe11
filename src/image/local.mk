# src/image: sources of this module are added to src_libxbuild_a_SOURCES
# platforms, config/manifest/index model (owner: layer helper)
src_libxbuild_a_SOURCES += \
	src/image/mediatype.c src/image/mediatype.h \
	src/image/platform.c src/image/platform.h \
	src/image/image.c src/image/image.h \
	src/image/index.c
# image indexes under edit for `xbuild manifest` (owner: manifest helper)
src_libxbuild_a_SOURCES += src/image/manifest_list.c src/image/manifest_list.h
