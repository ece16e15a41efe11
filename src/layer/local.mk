# src/layer: sources of this module are added to src_libxbuild_a_SOURCES
# streaming layer writer and compressors (owner: layer helper)
src_libxbuild_a_SOURCES += \
	src/layer/writer.c src/layer/writer.h \
	src/layer/tree.c \
	src/layer/compress.c src/layer/compress.h \
	src/layer/pgzip.c src/layer/pgzip.h
