# src/builder: the build executor (sources added to src_libxbuild_a_SOURCES)
src_libxbuild_a_SOURCES += \
	src/builder/build.h src/builder/internal.h \
	src/builder/entries.h src/builder/entries.c \
	src/builder/rootfs.h src/builder/rootfs.c \
	src/builder/chown.h src/builder/chown.c src/builder/chmod.h src/builder/chmod.c \
	src/builder/context.h src/builder/context.c \
	src/builder/copy.h src/builder/copy.c \
	src/builder/add.h src/builder/add.c src/builder/git.h src/builder/git.c \
	src/builder/bctx.c src/builder/stagelayers.c src/builder/baseimage.c src/builder/target.c \
	src/builder/build.c src/builder/stage.c src/builder/meta.c src/builder/vars.c \
	src/builder/copyexec.c src/builder/runexec.c src/builder/workdir.c \
	src/builder/cache.h src/builder/cache.c src/builder/parallel.c \
	src/builder/annotate.h src/builder/annotate.c src/builder/namedctx.c \
	src/builder/cacheopts.h src/builder/cacheopts.c src/builder/remotecache.h src/builder/remotecache.c
