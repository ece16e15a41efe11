# src/util: error type, cleanup attributes, buffers, fs helpers, digests, JSON, logging
src_libxbuild_a_SOURCES += \
	src/util/error.c src/util/error.h \
	src/util/cleanup.h \
	src/util/buf.c src/util/buf.h \
	src/util/digest.c src/util/digest.h \
	src/util/fs.c src/util/fs.h \
	src/util/xattr.c src/util/xattr.h \
	src/util/json.c src/util/json.h \
	src/util/path.c src/util/path.h \
	src/util/procpool.c src/util/procpool.h \
	src/util/log.c src/util/log.h
