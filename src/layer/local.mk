# src/layer: streaming layer writer, compressors, safe tar apply, in-root paths
src_libxbuild_a_SOURCES += \
	src/layer/writer.c src/layer/writer.h \
	src/layer/tree.c \
	src/layer/compress.c src/layer/compress.h \
	src/layer/pgzip.c src/layer/pgzip.h \
	src/layer/inroot.c src/layer/inroot.h \
	src/layer/apply.c src/layer/apply.h \
	src/layer/whiteout.c src/layer/whiteout.h
