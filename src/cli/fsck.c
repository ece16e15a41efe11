/* xbuild fsck: verify every blob and reference of the local store. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild fsck [--json]\n"
    "\n"
    "Re-digest every blob of the local store and walk every image (index -> manifests ->\n"
    "config and layers): report missing and corrupt blobs and which image needs them.\n"
    "Stray temp files are warnings. Layers of remote-backed images (`manifest add docker://...`)\n"
    "stay in their registry and are counted, not reported. Exit status 1 when there is any\n"
    "problem.\n"
    "\n"
    "  --json       {\"problems\":[...],\"warnings\":[...],\"blobs\":N,\"bytes\":N,\"refs\":N,\n"
    "                \"remote_layers\":N}\n"
    "  -h, --help   this text\n";

XB_CMD(fsck)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else
            return xb_cli_other_option("fsck", usage, c, argv, err);
    }
    if (xb_cli_no_arguments("fsck", argc, argv, err) < 0)
        return -err->code;
    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    cleanup_json json_t *rep = NULL;
    int r = xb_store_fsck_report(s, &rep, err);
    xb_store_close(s);
    if (r < 0)
        return r;
    json_t *problems = json_object_get(rep, "problems");
    size_t np = json_array_size(problems);
    if (json) {
        xb_cli_print_json(rep, 1);
    } else {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(rep, "warnings"), i, p)
            printf("warning: %s\n", json_string_value(p));
        json_array_foreach(problems, i, p) printf("problem: %s\n", json_string_value(p));
        long long rl = xb_json_int(rep, "remote_layers", 0);
        if (rl > 0)
            printf("%lld layer%s of remote-backed images left in their registries\n", rl,
                   rl == 1 ? "" : "s");
        printf("%lld blobs, %lld images checked: %zu problem%s\n", xb_json_int(rep, "blobs", 0),
               xb_json_int(rep, "refs", 0), np, np == 1 ? "" : "s");
    }
    if (np > 0)
        return xb_error_set(err, XB_ERR_DIGEST, "%zu problem%s found in %s", np, np == 1 ? "" : "s",
                            cli->root);
    return 0;
}
