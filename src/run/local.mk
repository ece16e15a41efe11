# src/run: sandbox (namespaces, mounts, pivot_root, user, env), binfmt/qemu management
src_libxbuild_a_SOURCES += \
	src/run/arch.c src/run/arch.h \
	src/run/archprobe.c src/run/archprobe.h \
	src/run/binfmt.c src/run/binfmt.h src/run/binfmt_guard.c \
	src/run/mounts.c src/run/mounts.h \
	src/run/runopts.c src/run/runopts.h \
	src/run/user.c src/run/user.h \
	src/run/sandbox.c src/run/sandbox.h src/run/sandbox-internal.h \
	src/run/sandbox_child.c src/run/sandbox_child.h src/run/sandbox_exec.c src/run/sandbox_io.c src/run/sandbox_overlay.c \
	src/run/sandbox_fuse.c src/run/snapshotter.c src/run/snapshotter.h \
	src/run/confine.c \
	src/run/policy.c src/run/policy.h \
	src/run/step.c src/run/step.h \
	src/run/userns.c src/run/userns.h src/run/userns-internal.h src/run/userns_keep.c
