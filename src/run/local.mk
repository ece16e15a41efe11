# src/run: sandbox (namespaces, mounts, pivot_root, user, env), binfmt/qemu management
src_libxbuild_a_SOURCES += \
	src/run/arch.c src/run/arch.h \
	src/run/binfmt.c src/run/binfmt.h
src_xbuild_SOURCES += src/cli/binfmt.c
