#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The command table: main dispatches on the first word; each entry calls its command
 * directly (declared in cli.h, one file per command). */
const struct xb_command xb_commands[] = {
    {"bud", xb_cmd_bud, "Build an image from a Dockerfile (alias: build)"},
    {"build", xb_cmd_bud, NULL},
    {"parse", xb_cmd_parse, "Parse a Dockerfile and print its instructions"},
    {"images", xb_cmd_images, "List images in the local store"},
    {"inspect", xb_cmd_inspect, "Show an image's manifest and config"},
    {"tag", xb_cmd_tag, "Add a name to a local image"},
    {"rmi", xb_cmd_rmi, "Remove image names from the local store"},
    {"prune", xb_cmd_prune, "Remove unreferenced blobs, stale work dirs and cache entries"},
    {"fsck", xb_cmd_fsck, "Verify every blob and reference in the store"},
    {"push", xb_cmd_push,
     "Push or export an image (docker://, oci:, oci-archive:, docker-archive:)"},
    {"pull", xb_cmd_pull, "Pull an image from a registry into the local store"},
    {"login", xb_cmd_login, "Log in to a registry"},
    {"logout", xb_cmd_logout, "Remove stored registry credentials"},
    {"binfmt", xb_cmd_binfmt, "Show, install or remove qemu binfmt_misc registrations"},
    {"run", xb_cmd_run, "Run a command in an image, emulated when needed"},
    {"manifest", xb_cmd_manifest, "Create, edit, inspect and push image indexes"},
    {"push-wasm", xb_cmd_push_wasm, "Push a WebAssembly module as an OCI artifact"},
    {"pull-wasm", xb_cmd_pull_wasm, "Pull a WebAssembly module from a registry"},
    {"info", xb_cmd_info, "Show the store, snapshotter, emulators, rootless mode and versions"},
    {NULL, NULL, NULL},
};

const struct xb_command *xb_cli_find(const char *name)
{
    for (const struct xb_command *c = xb_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}
