/* xbuild rmi: remove image names; blobs go at the next prune. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild rmi [-a] [--prune] IMAGE...\n"
    "\n"
    "Remove image names from the local store. IMAGE is a name (\":latest\" implied), a digest or\n"
    "a unique digest prefix (which removes every name of that image). Blobs stay until\n"
    "'xbuild prune' (or --prune) removes what is no longer referenced.\n"
    "\n"
    "  -a, --all    remove every image name\n"
    "  --prune      prune right after\n"
    "  -h, --help   this text\n";

static int remove_one(xb_store_t *s, const char *image, xb_error_t *err)
{
    cleanup_free char *norm = xb_store_normalize_name(image);
    xb_error_t e = XB_ERROR_INIT;
    if (xb_store_ref_delete(s, image, &e) == 0) {
        printf("Untagged: %s\n", image);
        return 0;
    }
    if (e.code == XB_ERR_NOT_FOUND && norm != NULL) {
        xb_error_clear(&e);
        if (xb_store_ref_delete(s, norm, &e) == 0) {
            printf("Untagged: %s\n", norm);
            return 0;
        }
    }
    if (e.code != XB_ERR_NOT_FOUND) {
        xb_error_move(err, &e);
        return -err->code;
    }
    xb_error_clear(&e);
    /* a digest or digest prefix: every name of that image */
    cleanup_json json_t *desc = NULL;
    if (xb_store_resolve(s, image, &desc, err) < 0)
        return -err->code;
    cleanup_json json_t *names = NULL;
    const char *d = json_string_value(json_object_get(desc, "digest"));
    if (xb_store_ref_delete_digest(s, d, &names, err) < 0)
        return -err->code;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
        printf("Untagged: %s\n", json_is_string(n) ? json_string_value(n) : d);
    return 0;
}

static int prune_after(xb_store_t *s, xb_error_t *err)
{
    cleanup_json json_t *rep = NULL;
    if (xb_store_prune(s, &rep, err) < 0)
        return -err->code;
    printf("Removed %lld blobs (%lld bytes)\n",
           (long long)json_integer_value(json_object_get(rep, "blobs")),
           (long long)json_integer_value(json_object_get(rep, "bytes")));
    return 0;
}

XB_CMD(rmi)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"prune", no_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool all = false, prune = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'p':
            prune = true;
            break;
        default:
            return xb_cli_other_option("rmi", usage, c, argv, err);
        }
    }
    if (!all && optind == argc)
        return xb_cli_usage(err, "rmi", "expected at least one IMAGE (or --all)");
    if (all && optind < argc)
        return xb_cli_usage(err, "rmi", "--all takes no IMAGE");
    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    int r = 0, failed = 0;
    if (all) {
        cleanup_json json_t *refs = NULL;
        r = xb_store_refs_list(s, &refs, err);
        size_t i;
        json_t *d;
        json_array_foreach(refs, i, d)
        {
            if (r < 0)
                break;
            const char *dg = json_string_value(json_object_get(d, "digest"));
            if (dg == NULL)
                continue;
            json_t *names = NULL;
            xb_error_t e = XB_ERROR_INIT;
            if (xb_store_ref_delete_digest(s, dg, &names, &e) == 0) {
                size_t k;
                json_t *n;
                json_array_foreach(names, k, n)
                    printf("Untagged: %s\n", json_is_string(n) ? json_string_value(n) : dg);
                json_decref(names);
            } else if (e.code != XB_ERR_NOT_FOUND) {
                xb_error_move(err, &e);
                r = -err->code;
            }
            xb_error_clear(&e);
        }
    } else {
        /* keep going past a missing name, report the first failure at the end */
        for (int i = optind; i < argc; i++) {
            xb_error_t e = XB_ERROR_INIT;
            if (remove_one(s, argv[i], &e) < 0) {
                if (failed++ == 0)
                    xb_error_move(err, &e);
                else
                    fprintf(stderr, "xbuild rmi: %s\n", e.msg ? e.msg : "failed");
                xb_error_clear(&e);
            }
        }
        if (failed)
            r = -err->code;
    }
    if (r >= 0 && prune)
        r = prune_after(s, err);
    xb_store_close(s);
    return r < 0 ? r : 0;
}
