# src/store: the OCI image layout store, image walking, fsck/prune, exports
src_libxbuild_a_SOURCES += \
	src/store/store.c src/store/store.h src/store/store-internal.h \
	src/store/refs.c src/store/remote.c src/store/remote.h \
	src/store/walk.c src/store/walk.h src/store/summary.c \
	src/store/fsck.c \
	src/store/prune.c
src_libxbuild_a_SOURCES += \
	src/store/export.c src/store/export.h \
	src/store/export_archive.c \
	src/store/export_docker.c
# store commands (linked into the xbuild binary)
src_xbuild_SOURCES += \
	src/cli/store_util.c src/cli/store_util.h \
	src/cli/images.c src/cli/inspect.c src/cli/tag.c src/cli/rmi.c \
	src/cli/prune.c src/cli/fsck.c \
	src/cli/push.c src/cli/push.h
