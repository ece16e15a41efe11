/* The command-line layer: one thin file per command. Commands parse their flags, call the
 * library once, format output, and return 0 or a negative error (with *err set).
 * Usage errors use XB_ERR_USAGE (exit code 2). Only main() prints the final error. */
#ifndef XB_CLI_CLI_H
#define XB_CLI_CLI_H

#include <stdbool.h>

#include "util/error.h"

/* Global options and the environment, resolved once by main. The library never reads the
 * environment: commands pass these down in option structs (docs/environment.md lists every
 * variable). */
struct xb_cli {
    const char *root;        /* --root / XBUILD_ROOT / default; resolved by main, never NULL */
    bool debug;              /* --debug */
    const char *const *env;  /* the process environment (environ): bare --build-arg K and
                                --secret env=V values come from here */
    const char *binfmt_dir;  /* XBUILD_BINFMT_DIR or NULL (/proc/sys/fs/binfmt_misc) */
    const char *snapshotter; /* XBUILD_SNAPSHOTTER or NULL (xb_cli_snapshotter parses it) */
    const char *search_path; /* PATH: where fuse-overlayfs is looked up */
    const char *gzip_engine; /* XBUILD_GZIP_ENGINE or NULL (libdeflate) */
    const char *chunk_size;  /* XBUILD_CHUNK_SIZE or NULL (8 MiB push chunks) */
    const char *source_date_epoch; /* SOURCE_DATE_EPOCH or NULL */
    bool rootless;                 /* main entered a user namespace (run/userns.h) */
    bool subids;                   /* ... with a subordinate id range (else: one id) */
    const char *userns_keep;       /* XBUILD_USERNS_KEEP or NULL (300 s) */
    const char *userns_record;     /* STORE/xbuild/userns: the kept namespace's holder */
    unsigned userns_seconds;       /* the holder's idle lifetime (0: none started) */
    int userns_joined;             /* the holder whose namespace main joined (0: a new one) */
};

typedef int (*xb_cmd_fn)(struct xb_cli *cli, int argc, char **argv, xb_error_t *err);

struct xb_command {
    const char *name;
    xb_cmd_fn fn;
    const char *summary;
};

/* Every command; terminated by {NULL}. */
extern const struct xb_command xb_commands[];
const struct xb_command *xb_cli_find(const char *name);

/* One declaration per command: int xb_cmd_<name>(struct xb_cli *, int, char **, xb_error_t *). */
#define XB_CMD(name) int xb_cmd_##name(struct xb_cli *cli, int argc, char **argv, xb_error_t *err)
XB_CMD(bud);
XB_CMD(parse);
XB_CMD(images);
XB_CMD(inspect);
XB_CMD(tag);
XB_CMD(rmi);
XB_CMD(prune);
XB_CMD(fsck);
XB_CMD(push);
XB_CMD(pull);
XB_CMD(login);
XB_CMD(logout);
XB_CMD(binfmt);
XB_CMD(run);
XB_CMD(manifest);
XB_CMD(push_wasm);
XB_CMD(pull_wasm);
XB_CMD(info);

/* Helpers shared by commands. */
/* Prints "usage" text for a command to stdout (for --help) and returns 0. */
int xb_cli_help(const char *text);
/* One word for a binfmt status (native, emulated, missing, broken); *problem: why broken, or
 * NULL. Both static (binfmt --status, info). */
struct xb_binfmt_status;
const char *xb_cli_binfmt_state(const struct xb_binfmt_status *st, const char **problem);
/* The GUARD word (read-only, unmapped, EXPOSED, -): can a RUN step modify the emulator through
 * /proc/PID/exe? Static. */
const char *xb_cli_binfmt_guard(const struct xb_binfmt_status *st);
/* Sets a usage error: "msg (see 'xbuild COMMAND --help')". */
int xb_cli_usage(xb_error_t *err, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
