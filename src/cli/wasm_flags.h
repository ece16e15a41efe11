/* Registry flags shared by push-wasm and pull-wasm: --creds, --authfile, --cert-dir,
 * --tls-verify[=BOOL], -q/--quiet. */
#ifndef XB_CLI_WASM_FLAGS_H
#define XB_CLI_WASM_FLAGS_H

#include "registry/client.h"
#include "util/error.h"

#define XB_WASM_REGISTRY_FLAGS_HELP                                                                \
    "      --creds USER[:PASS]   registry credentials\n"                                           \
    "      --authfile FILE       auth file (default: $REGISTRY_AUTH_FILE, containers/docker)\n"    \
    "      --cert-dir DIR        CA and client certificates for the registry\n"                    \
    "      --tls-verify=BOOL     verify TLS (default true; false also allows plain HTTP)\n"        \
    "  -q, --quiet               no progress output\n"

/* Looks at argv[*i]: 1 when it was one of the flags above (its value consumed, *i advanced
 * past it), 0 when it is something else, < 0 on a usage error for command cmd. */
int xb_cli_wasm_registry_flag(const char *cmd, int argc, char **argv, int *i, xb_registry_opts_t *o,
                              xb_error_t *err);
/* Value of option name at argv[*i] ("--name V" or "--name=V"): 1 matched (*val set), 0 not. */
int xb_cli_wasm_value(const char *cmd, const char *name, int argc, char **argv, int *i,
                      const char **val, xb_error_t *err);

#endif
