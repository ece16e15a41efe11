/* The docker:// half of `xbuild push` (declared in cli/push.h, called by push.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/metadata.h"
#include "cli/push.h"
#include "cli/progress.h"
#include "cli/registry_flags.h"
#include "registry/registry.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

int xb_cli_push_docker(struct xb_cli *cli, const char *image, const char *dest, int argc,
                       char **argv, xb_error_t *err)
{
    xb_registry_opts_t o = XB_REGISTRY_OPTS_INIT;
    const char *digestfile = NULL, *metafile = NULL, *v = NULL;
    bool rest = false, by_digest = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (rest || a[0] != '-' || a[1] == '\0')
            continue;
        if (strcmp(a, "--") == 0) {
            rest = true;
            continue;
        }
        if ((rc = xb_cli_registry_flag(&o, argc, argv, &i, "push", err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if ((rc = xb_cli_flag_value("--digestfile", argc, argv, &i, &digestfile, "push", err)) !=
            0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if ((rc = xb_cli_flag_value("--metadata-file", argc, argv, &i, &metafile, "push", err)) !=
            0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if (strcmp(a, "--by-digest") == 0) {
            by_digest = true;
            continue;
        }
        /* accepted for compatibility: the image is pushed in its stored format */
        if ((rc = xb_cli_flag_value("--format", argc, argv, &i, &v, "push", err)) != 0 ||
            (rc = xb_cli_flag_value("--platform", argc, argv, &i, &v, "push", err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        return xb_cli_usage(err, "push", "unknown option '%s'", a);
    }
    xb_store_t *s = NULL;
    if (xb_store_open(cli->root, &s, err) < 0)
        return -err->code;
    cleanup_json json_t *desc = NULL;
    char digest[XB_DIGEST_LEN] = "";
    int rc = xb_store_resolve(s, image, &desc, err);
    cleanup_free char *target = NULL;
    if (rc >= 0)
        rc = xb_cli_push_target(dest + strlen("docker://"), by_digest, desc, &target, err);
    xb_cli_progress_setup(&o);
    if (rc >= 0)
        rc = xb_registry_push(s, desc, target, &o, digest, err);
    xb_cli_progress_end();
    xb_store_close(s);
    if (rc < 0)
        return rc;
    if (digestfile && xb_write_file_atomic(digestfile, digest, strlen(digest), 0644, err) < 0)
        return -err->code;
    if (metafile && xb_cli_write_metadata(metafile, target, digest, desc, err) < 0)
        return -err->code;
    if (!o.quiet)
        printf("%s\n", digest);
    return 0;
}
