/* xbuild tag: add names to a local image. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild tag SOURCE TARGET...\n"
    "\n"
    "Give the local image SOURCE (a name, digest or unique digest prefix) more names.\n"
    "A TARGET without a tag gets \":latest\"; an existing TARGET is moved.\n"
    "\n"
    "  -h, --help   this text\n";

XB_CMD(tag)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        return xb_cli_other_option("tag", usage, c, argv, err);
    if (argc - optind < 2)
        return xb_cli_usage(err, "tag", "expected SOURCE and at least one TARGET");
    for (int i = optind + 1; i < argc; i++) {
        cleanup_free char *n = xb_store_normalize_name(argv[i]);
        if (n == NULL || !xb_store_name_valid(n))
            return xb_cli_usage(err, "tag", "invalid name '%s'", argv[i]);
        if (strchr(n, '@') != NULL)
            return xb_cli_usage(err, "tag", "a TARGET cannot hold a digest: '%s'", argv[i]);
    }
    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    cleanup_json json_t *desc = NULL;
    int r = xb_store_resolve(s, argv[optind], &desc, err);
    if (r >= 0)
        json_object_del(json_object_get(desc, "annotations"), "org.opencontainers.image.ref.name");
    for (int i = optind + 1; r >= 0 && i < argc; i++) {
        cleanup_free char *n = xb_store_normalize_name(argv[i]);
        r = xb_store_ref_set(s, n, desc, err);
    }
    xb_store_close(s);
    return r < 0 ? r : 0;
}
