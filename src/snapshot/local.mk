# src/snapshot: rootfs views for RUN (overlayfs over extracted layers, copy fallback).
# The safe layer apply (src/layer/apply.c, inroot.c) is listed here so that src/layer/local.mk
# stays with the layer writer's owner.
src_libxbuild_a_SOURCES += \
	src/layer/inroot.c src/layer/inroot.h \
	src/layer/apply.c src/layer/apply.h
src_libxbuild_a_SOURCES += \
	src/snapshot/pathmap.c src/snapshot/pathmap.h \
	src/snapshot/layers.c src/snapshot/layers.h \
	src/snapshot/stream.c src/snapshot/stream.h \
	src/snapshot/diff.c src/snapshot/diff.h
