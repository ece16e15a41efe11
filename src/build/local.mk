# src/build: sources of this module are added to src_libxbuild_a_SOURCES
src_libxbuild_a_SOURCES += \
	src/build/hooks.h
src_libxbuild_a_SOURCES += \
	src/build/entries.h src/build/entries.c \
	src/build/rootfs.h src/build/rootfs.c \
	src/build/chown.h src/build/chown.c \
	src/build/context.h src/build/context.c \
	src/build/copy.h src/build/copy.c \
	src/build/add.h src/build/add.c
