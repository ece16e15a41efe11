/* Flags shared by the registry commands (pull, push docker://, login). */
#ifndef XB_CLI_REGISTRY_FLAGS_H
#define XB_CLI_REGISTRY_FLAGS_H

#include "registry/client.h"
#include "util/error.h"

#define XB_REGISTRY_FLAGS_HELP                                                                     \
    "  --creds USER[:PASS]   credentials for the registry\n"                                       \
    "  --authfile FILE       auth file (default: $REGISTRY_AUTH_FILE,\n"                           \
    "                        $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)\n"      \
    "  --tls-verify[=BOOL]   verify TLS certificates (default true; false also allows HTTP)\n"     \
    "  --cert-dir DIR        CA certificates (*.crt) and client.cert/client.key\n"                 \
    "  --retry N             retries on transient failures (default 3)\n"                          \
    "  --jobs N              parallel blob transfers (default 4)\n"                                \
    "  -q, --quiet           no progress output\n"

struct xb_cli;
/* Fills what the environment sets in o (XBUILD_CHUNK_SIZE, the environment for auth files),
 * after XB_REGISTRY_OPTS_INIT. */
void xb_cli_registry_env(const struct xb_cli *cli, xb_registry_opts_t *o);

/* Consumes argv[*i] (and its value) when it is one of the flags above: returns 1, 0 when it is
 * not one, negative (usage error) on a bad value. */
int xb_cli_registry_flag(xb_registry_opts_t *o, int argc, char **argv, int *i, const char *cmd,
                         xb_error_t *err);
/* "--name VALUE" or "--name=VALUE" at argv[*i]: 1 with *val set, 0 when not this flag,
 * negative when the value is missing. */
int xb_cli_flag_value(const char *name, int argc, char **argv, int *i, const char **val,
                      const char *cmd, xb_error_t *err);

#endif
