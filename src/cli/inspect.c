/* xbuild inspect: an image's manifest and config (and its index). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "image/platform.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild inspect IMAGE [--json] [--platform OS/ARCH[/VARIANT]]\n"
    "\n"
    "Show an image's manifest and config. IMAGE is a name, a digest or a unique prefix of at\n"
    "least 12 hex digits. For a multi-platform image (an index) the index is shown with the\n"
    "image of --platform (default: this machine's platform, or the only one).\n"
    "\n"
    "  --json          {\"name\",\"digest\",\"index\"?,\"manifest\",\"config\"} on one line\n"
    "  --platform P    the platform to pick from an index\n"
    "  -h, --help      this text\n";

static void print_list(const char *label, const json_t *arr)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return;
    printf("%s:\n", label);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        cleanup_free char *s =
            json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        printf("  %s\n", s ? s : json_string_value(v));
    }
}

static void print_human(const json_t *out)
{
    const json_t *index = json_object_get(out, "index");
    const json_t *man = json_object_get(out, "manifest");
    const json_t *cfg = json_object_get(out, "config");
    const char *name = xb_json_str(out, "name");
    printf("Name:         %s\n", name ? name : "<none>");
    printf("Digest:       %s\n", xb_json_str(out, "digest"));
    if (index != NULL) {
        printf("Index:        %s\n",
               xb_json_str(index, "mediaType") ? xb_json_str(index, "mediaType") : XB_MT_OCI_INDEX);
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(index, "manifests"), i, m)
        {
            cleanup_free char *p = xb_platform_json_format(json_object_get(m, "platform"));
            printf("  %-20s %s\n", p ? p : "(no platform)", xb_json_str(m, "digest"));
        }
        printf("Manifest:     %s\n", xb_json_str(out, "manifestDigest"));
    }
    printf("MediaType:    %s\n",
           xb_json_str(man, "mediaType") ? xb_json_str(man, "mediaType") : XB_MT_OCI_MANIFEST);
    if (json_is_object(cfg)) {
        cleanup_free char *p = xb_platform_json_format(cfg);
        const json_t *c = json_object_get(cfg, "config");
        printf("Platform:     %s\n", p ? p : "-");
        printf("Created:      %s\n",
               xb_json_str(cfg, "created") ? xb_json_str(cfg, "created") : "-");
        if (xb_json_str(c, "User"))
            printf("User:         %s\n", xb_json_str(c, "User"));
        if (xb_json_str(c, "WorkingDir"))
            printf("WorkingDir:   %s\n", xb_json_str(c, "WorkingDir"));
        print_list("Entrypoint", json_object_get(c, "Entrypoint"));
        print_list("Cmd", json_object_get(c, "Cmd"));
        print_list("Env", json_object_get(c, "Env"));
        const json_t *labels = json_object_get(c, "Labels");
        if (json_is_object(labels) && json_object_size(labels) > 0) {
            printf("Labels:\n");
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)labels, k, v)
                printf("  %s=%s\n", k, json_is_string(v) ? json_string_value(v) : "");
        }
    }
    printf("Layers:\n");
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(man, "layers"), i, l)
    {
        char sz[32];
        xb_cli_human_size(xb_json_int(l, "size", 0), sz, sizeof sz);
        printf("  %s  %8s  %s\n", xb_json_str(l, "digest"), sz, xb_json_str(l, "mediaType"));
    }
    size_t n = json_array_size(json_object_get(cfg, "history"));
    if (n > 0) {
        printf("History:\n");
        json_t *h;
        json_array_foreach(json_object_get(cfg, "history"), i, h)
        {
            const char *cb = xb_json_str(h, "created_by");
            printf("  %s%s\n", cb ? cb : "",
                   json_is_true(json_object_get(h, "empty_layer")) ? "  (no layer)" : "");
        }
    }
}

XB_CMD(inspect)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"platform", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    const char *platform = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'p':
            platform = optarg;
            break;
        case 'h':
            return xb_cli_help(usage);
        default:
            return xb_cli_usage(err, "inspect", "unknown option or missing value '%s'",
                                argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return xb_cli_usage(err, "inspect", "expected one IMAGE");

    cleanup_free char *plat = NULL;
    if (xb_cli_platform_arg("inspect", platform, &plat, err) < 0)
        return -err->code;
    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    cleanup_json json_t *desc = NULL;
    cleanup_json json_t *top = NULL;
    cleanup_json json_t *mdesc = NULL;
    cleanup_json json_t *man = NULL;
    cleanup_json json_t *cfg = NULL;
    int r = xb_store_resolve(s, argv[optind], &desc, err);
    if (r >= 0)
        r = xb_store_read_json(s, xb_json_str(desc, "digest"), &top, err);
    if (r >= 0)
        r = xb_store_select_manifest(s, desc, plat, &mdesc, &man, err);
    if (r >= 0) {
        json_t *cd = json_object_get(man, "config");
        const char *cmt = xb_json_str(cd, "mediaType");
        /* image configs are JSON; artifact configs may not be (then "config" is null) */
        xb_error_t e = XB_ERROR_INIT;
        if (cmt != NULL && strstr(cmt, "json") != NULL &&
            xb_store_read_json(s, xb_json_str(cd, "digest"), &cfg, &e) < 0) {
            xb_error_move(err, &e);
            r = xb_error_wrap(err, "config of %s", argv[optind]);
        }
        xb_error_clear(&e);
    }
    xb_store_close(s);
    if (r < 0)
        return r;
    const char *name = xb_store_ref_name(desc);
    cleanup_json json_t *out =
        json_pack("{s:o,s:s}", "name", name ? json_string(name) : json_null(), "digest",
                  xb_json_str(desc, "digest"));
    if (xb_json_doc_kind(top) == XB_BLOB_INDEX) {
        json_object_set(out, "index", top);
        json_object_set_new(out, "manifestDigest", json_string(xb_json_str(mdesc, "digest")));
    }
    json_object_set(out, "manifest", man);
    json_object_set(out, "config", cfg ? cfg : json_null());
    if (json)
        xb_cli_print_json(out, 1);
    else
        print_human(out);
    return 0;
}
