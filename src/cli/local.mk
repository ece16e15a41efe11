# src/cli: main's command table and one file per command, linked into the xbuild binary only
# (the library never prints)
src_xbuild_SOURCES += \
	src/cli/cli.h src/cli/commands.c src/cli/usage.c \
	src/cli/bud.c src/cli/bud.h src/cli/bud_opts.c src/cli/bud_flags.c src/cli/bud_flags.h \
	src/cli/parse.c src/cli/metadata.c src/cli/metadata.h src/cli/bud_output.c src/cli/bud_output.h \
	src/cli/bud_cache.c src/cli/bud_cache.h \
	src/cli/store_util.c src/cli/store_util.h \
	src/cli/images.c src/cli/inspect.c src/cli/tag.c src/cli/rmi.c \
	src/cli/prune.c src/cli/fsck.c \
	src/cli/push.c src/cli/push.h \
	src/cli/registry_flags.c src/cli/registry_flags.h src/cli/login.c src/cli/pull.c \
	src/cli/push_docker.c src/cli/progress.c src/cli/progress.h \
	src/cli/binfmt.c src/cli/run.c src/cli/info.c \
	src/cli/push_wasm.c src/cli/pull_wasm.c \
	src/cli/manifest.c
