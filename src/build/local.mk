# src/build: sources of this module are added to src_libxbuild_a_SOURCES
src_libxbuild_a_SOURCES += \
	src/build/hooks.h
