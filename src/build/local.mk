# src/build: the build executor (sources added to src_libxbuild_a_SOURCES)
src_libxbuild_a_SOURCES += \
	src/build/build.h src/build/internal.h \
	src/build/entries.h src/build/entries.c \
	src/build/rootfs.h src/build/rootfs.c \
	src/build/chown.h src/build/chown.c src/build/chmod.h src/build/chmod.c \
	src/build/context.h src/build/context.c \
	src/build/copy.h src/build/copy.c \
	src/build/add.h src/build/add.c src/build/git.h src/build/git.c \
	src/build/build.c src/build/stage.c src/build/meta.c src/build/vars.c \
	src/build/copyexec.c src/build/runexec.c src/build/workdir.c \
	src/build/cache.h src/build/cache.c src/build/parallel.c \
	src/build/annotate.h src/build/annotate.c src/build/namedctx.c \
	src/build/cacheopts.h src/build/cacheopts.c src/build/remotecache.h src/build/remotecache.c
