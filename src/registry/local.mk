# src/registry: sources of this module are added to src_libxbuild_a_SOURCES
# (image/reference.c belongs to the registry work and is listed here to keep image/local.mk
# free for the image model)
src_libxbuild_a_SOURCES += src/image/reference.c src/image/reference.h
src_libxbuild_a_SOURCES += \
	src/registry/client.h src/registry/internal.h \
	src/registry/client.c src/registry/blob.c src/registry/http.c src/registry/auth.c \
	src/registry/fetchurl.c src/registry/fetchurl.h \
	src/registry/creds.c src/registry/creds.h src/registry/upload.c src/registry/copy.c \
	src/registry/registry.h src/registry/pull.c src/registry/push.c src/registry/sources.c src/registry/parallel.c
# registry commands (CLI, linked into the binary only)
src_xbuild_SOURCES += src/cli/registry_flags.c src/cli/registry_flags.h src/cli/login.c src/cli/pull.c src/cli/push_docker.c \
	src/cli/progress.c src/cli/progress.h
# mlist_remote.c (the manifest command's registry side) is only reached through weak symbols,
# which do not pull an object out of libxbuild.a: link it into the binary directly.
src_xbuild_SOURCES += src/registry/mlist_remote.c src/registry/mlist_remote.h
