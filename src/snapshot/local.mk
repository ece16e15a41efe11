# src/snapshot: rootfs views for RUN (overlayfs over extracted layers, copy fallback)
src_libxbuild_a_SOURCES += \
	src/snapshot/pathmap.c src/snapshot/pathmap.h \
	src/snapshot/layers.c src/snapshot/layers.h \
	src/snapshot/extract.c src/snapshot/extract.h \
	src/snapshot/stream.c src/snapshot/stream.h \
	src/snapshot/diff.c src/snapshot/diff.h src/snapshot/kind.h
