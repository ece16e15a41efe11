# src/image: references, platforms, media types, the config/manifest/index model and JSON
src_libxbuild_a_SOURCES += \
	src/image/mediatype.c src/image/mediatype.h \
	src/image/platform.c src/image/platform.h \
	src/image/reference.c src/image/reference.h \
	src/image/image.c src/image/image.h \
	src/image/index.c \
	src/image/manifest_list.c src/image/manifest_list.h
