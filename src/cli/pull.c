/* xbuild pull REF: registry -> local store. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/registry_flags.h"
#include "registry/registry.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild pull [OPTIONS] REFERENCE\n"
    "\n"
    "Pull an image from a registry into the local store. REFERENCE is [REGISTRY/]REPO[:TAG]\n"
    "[@DIGEST] (docker.io is the default registry). From an index the platform's image is\n"
    "pulled; the image is tagged under its full name (e.g. docker.io/library/alpine:latest).\n"
    "Prints the manifest digest.\n"
    "\n"
    "Options:\n"
    "  --platform OS/ARCH[/VARIANT]  platform to pull (default: this machine's)\n"
    "  --policy always|missing|never  pull even when present (default "
    "always)\n" XB_REGISTRY_FLAGS_HELP;

XB_CMD(pull)
{
    xb_registry_opts_t o = XB_REGISTRY_OPTS_INIT;
    xb_cli_registry_env(cli, &o);
    const char *platform = NULL, *ref = NULL, *v = NULL;
    int policy = XB_PULL_ALWAYS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return xb_cli_help(usage);
        if ((rc = xb_cli_registry_flag(&o, argc, argv, &i, "pull", err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if ((rc = xb_cli_flag_value("--platform", argc, argv, &i, &platform, "pull", err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if ((rc = xb_cli_flag_value("--policy", argc, argv, &i, &v, "pull", err)) != 0) {
            if (rc < 0)
                return rc;
            if (strcmp(v, "always") == 0)
                policy = XB_PULL_ALWAYS;
            else if (strcmp(v, "missing") == 0)
                policy = XB_PULL_MISSING;
            else if (strcmp(v, "never") == 0)
                policy = XB_PULL_NEVER;
            else
                return xb_cli_usage(err, "pull", "--policy takes always, missing or never");
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
            return xb_cli_usage(err, "pull", "unknown option '%s'", a);
        if (ref != NULL)
            return xb_cli_usage(err, "pull", "one reference at a time");
        ref = a;
    }
    if (ref == NULL)
        return xb_cli_usage(err, "pull", "missing the image reference");
    xb_store_t *s = NULL;
    if (xb_store_open(cli->root, &s, err) < 0)
        return -err->code;
    json_t *desc = NULL;
    xb_cli_progress_setup(&o);
    int rc = xb_registry_pull_image(s, ref, platform, policy, &o, &desc, err);
    xb_cli_progress_end();
    xb_store_close(s);
    if (rc < 0)
        return rc;
    printf("%s\n", xb_json_str(desc, "digest"));
    json_decref(desc);
    return 0;
}
