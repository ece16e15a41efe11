# src/lazy: libarchive and libcurl loaded on first use (dlopen), not at start-up
src_libxbuild_a_SOURCES += \
	src/lazy/lazy.c src/lazy/lazy.h \
	src/lazy/archive_syms.c src/lazy/curl_syms.c src/lazy/curl.c src/lazy/tables.c
