/* The docker:// half of `xbuild push`, provided by the registry module. */
#ifndef XB_CLI_PUSH_H
#define XB_CLI_PUSH_H

#include "cli/cli.h"

/* Called by xb_cmd_push when DEST starts with "docker://". image and dest are the two
 * positional arguments; argc/argv are push's full arguments (argv[0] = "push") so the registry
 * code can parse its own flags (--digestfile, -q, --tls-verify, --creds, ...). push.c declares
 * it weak: without the registry module, pushing to docker:// is an error.
 * `xbuild push REGISTRY/REPO[:TAG]` (one positional with a '/') calls it with
 * dest = "docker://REGISTRY/REPO[:TAG]"; argv then holds only that one positional. */
int xb_cli_push_docker(struct xb_cli *cli, const char *image, const char *dest, int argc,
                       char **argv, xb_error_t *err);

#endif
