# src/store: the OCI image layout store, image walking, fsck/prune, exports
src_libxbuild_a_SOURCES += \
	src/store/store.c src/store/store.h src/store/store-internal.h \
	src/store/refs.c src/store/remote.c src/store/remote.h \
	src/store/images.c src/store/images.h \
	src/store/walk.c src/store/walk.h src/store/summary.c \
	src/store/fsck.c \
	src/store/prune.c
src_libxbuild_a_SOURCES += \
	src/store/export.c src/store/export.h src/store/export_dest.c \
	src/store/export_archive.c src/store/export_convert.c \
	src/store/export_docker.c
