/* xbuild prune: remove unreferenced blobs, stale temp files/work dirs and layer dirs. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild prune [--json]\n"
    "\n"
    "Remove from the local store: blobs no image name or build cache entry reaches, temp files\n"
    "and work dirs of processes that are gone, extracted layer dirs no image uses, and build\n"
    "cache entries whose layer blob is gone.\n"
    "While other xbuild processes use the store, blobs younger than an hour are kept.\n"
    "\n"
    "  --cache      drop the build cache first (its layers go too unless an image uses them)\n"
    "  --json       print the report as JSON\n"
    "  -h, --help   this text\n";

XB_CMD(prune)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"cache", no_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false, cache = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else if (c == 'c')
            cache = true;
        else
            return xb_cli_other_option("prune", usage, c, argv, err);
    }
    if (xb_cli_no_arguments("prune", argc, argv, err) < 0)
        return -err->code;
    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    cleanup_json json_t *rep = NULL;
    long long cache_entries = 0;
    int r = cache ? xb_store_prune_cache(s, &cache_entries, err) : 0;
    if (r >= 0)
        r = xb_store_prune(s, &rep, err);
    xb_store_close(s);
    if (r < 0)
        return r;
    if (cache)
        json_object_set_new(rep, "cache", json_integer(cache_entries));
    if (json) {
        xb_cli_print_json(rep, 0);
        return 0;
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(rep, "removed"), i, p)
        printf("removed %s\n", json_string_value(p));
    char sz[32];
    xb_cli_human_size(xb_json_int(rep, "bytes", 0), sz, sizeof sz);
    if (cache)
        printf("Dropped %lld build cache entries\n", cache_entries);
    printf("Removed %lld blobs (%s), %lld layer dirs, %lld temp files/dirs\n",
           xb_json_int(rep, "blobs", 0), sz, xb_json_int(rep, "layers", 0),
           xb_json_int(rep, "tmp", 0));
    return 0;
}
