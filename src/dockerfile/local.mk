# src/dockerfile: lexer, parser, AST, variable expansion, .dockerignore matching
src_libxbuild_a_SOURCES += \
	src/dockerfile/ast.h src/dockerfile/internal.h \
	src/dockerfile/words.c src/dockerfile/instr.c src/dockerfile/parser.c \
	src/dockerfile/dump.c src/dockerfile/dump.h \
	src/dockerfile/expand.c src/dockerfile/expand.h \
	src/dockerfile/vars.c src/dockerfile/vars.h \
	src/dockerfile/ignore.c src/dockerfile/ignore.h
