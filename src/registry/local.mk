# src/registry: HTTP (libcurl), distribution API client, auth, credentials, pull/push
src_libxbuild_a_SOURCES += \
	src/registry/client.h src/registry/internal.h \
	src/registry/client.c src/registry/blob.c src/registry/http.c src/registry/auth.c src/registry/request.c \
	src/registry/fetchurl.c src/registry/fetchurl.h \
	src/registry/creds.c src/registry/creds.h src/registry/upload.c src/registry/copy.c \
	src/registry/registry.h src/registry/pull.c src/registry/push.c src/registry/sources.c \
	src/registry/parallel.c \
	src/registry/mlist_remote.c src/registry/mlist_remote.h
