/* xbuild images: list the images of the local store. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild images [--json] [-q]\n"
    "\n"
    "List the images (index.json references) of the local store.\n"
    "\n"
    "  --json       an array of {name, digest, mediaType, size, platforms, created}\n"
    "  -q, --quiet  print only the short digests (each once)\n"
    "  -h, --help   this text\n";

XB_CMD(images)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false, quiet = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'q':
            quiet = true;
            break;
        default:
            return xb_cli_other_option("images", usage, c, argv, err);
        }
    }
    if (xb_cli_no_arguments("images", argc, argv, err) < 0)
        return -err->code;

    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    cleanup_json json_t *refs = NULL;
    if (xb_store_refs_list(s, &refs, err) < 0) {
        xb_store_close(s);
        return -err->code;
    }
    cleanup_json json_t *rows = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(refs, i, d)
    {
        json_t *row = NULL;
        if (xb_store_image_summary(s, d, &row, err) < 0) {
            xb_store_close(s);
            return -err->code;
        }
        json_object_del(row, "complete");
        json_array_append_new(rows, row);
    }
    xb_store_close(s);

    if (json) {
        xb_cli_print_json(rows, 0);
        return 0;
    }
    if (quiet) {
        cleanup_json json_t *seen = json_object();
        json_array_foreach(rows, i, d)
        {
            const char *dg = xb_json_str(d, "digest");
            if (strlen(dg) < 19 || json_object_get(seen, dg) != NULL)
                continue;
            json_object_set_new(seen, dg, json_true());
            printf("%.12s\n", dg + 7);
        }
        return 0;
    }
    printf("%-40s %-12s  %-24s %-20s %s\n", "NAME", "DIGEST", "PLATFORM(S)", "CREATED", "SIZE");
    json_array_foreach(rows, i, d)
    {
        const char *name = xb_json_str(d, "name");
        const char *dg = xb_json_str(d, "digest");
        const char *created = xb_json_str(d, "created");
        char sz[32], cr[24] = "-", plat[256] = "";
        xb_cli_human_size(xb_json_int(d, "size", 0), sz, sizeof sz);
        if (created != NULL) {
            snprintf(cr, sizeof cr, "%.19s", created);
            char *t = strchr(cr, 'T');
            if (t)
                *t = ' ';
        }
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(d, "platforms"), k, p)
        {
            size_t l = strlen(plat);
            snprintf(plat + l, sizeof plat - l, "%s%s", l ? "," : "", json_string_value(p));
        }
        printf("%-40s %-12.12s  %-24s %-20s %s\n", name ? name : "<none>",
               strlen(dg) > 7 ? dg + 7 : dg, plat[0] ? plat : "-", cr, sz);
    }
    return 0;
}
