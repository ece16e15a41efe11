/* xbuild push: export an image to a local transport, or to docker:// (push_docker.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/push.h"
#include "cli/store_util.h"
#include "image/platform.h"
#include "store/export.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild push [OPTIONS] IMAGE [DEST]\n"
    "\n"
    "Push or export the local image IMAGE. DEST is one of:\n"
    "  docker://REGISTRY/REPO[:TAG]   a registry (needs the registry module)\n"
    "  oci:DIR[:TAG]                  an OCI image layout directory (created or updated)\n"
    "  oci-archive:FILE[:TAG]         a tar of an OCI image layout\n"
    "  docker-archive:FILE[:TAG]      `docker save` format, for docker/podman load (one\n"
    "                                 platform; TAG defaults to IMAGE's name)\n"
    "The path ends at the first ':'; the rest is the tag (it may hold '/' and ':').\n"
    "A DEST without a transport (REGISTRY/REPO[:TAG]) is docker://DEST, as in buildah.\n"
    "Without DEST, IMAGE must name a registry (REGISTRY/REPO[:TAG]) and DEST is docker://IMAGE.\n"
    "\n"
    "  --digestfile F   write the digest of what was pushed to F (the manifest or index;\n"
    "                   for docker-archive the config digest, i.e. the image ID)\n"
    "  --metadata-file F  docker://: write buildx's metadata JSON (containerimage.digest,\n"
    "                   containerimage.descriptor, image.name) to F\n"
    "  --by-digest      docker://: push untagged, as REGISTRY/REPO@DIGEST (buildx's\n"
    "                   push-by-digest=true); DEST names no tag\n"
    "  --platform P     docker-archive of an index: the platform to export (default: host)\n"
    "  --format oci|docker  oci: and oci-archive: write OCI media types (a docker-format\n"
    "                   image is converted as by skopeo copy --format oci: new manifest\n"
    "                   digests, same config and layer blobs); --format docker keeps\n"
    "                   Docker's (docker://: accepted, the image is pushed as it is)\n"
    "  -q, --quiet      print nothing on success\n"
    "  -h, --help       this text\n"
    "docker:// also takes the registry options of 'xbuild pull': --creds, --authfile,\n"
    "--tls-verify, --cert-dir, --retry and --jobs N (blobs uploaded in parallel, default 4).\n";

/* Options of push that take a value (also those the registry module may add). */
static bool takes_value(const char *a)
{
    static const char *const v[] = {"--digestfile", "--platform", "--format",   "--metadata-file",
                                    "--authfile",   "--creds",    "--cert-dir", "--retry",
                                    "--jobs",       NULL};
    for (size_t i = 0; v[i]; i++)
        if (strcmp(a, v[i]) == 0)
            return true;
    return false;
}

/* The positional arguments, skipping options and their values. */
static int positionals(int argc, char **argv, const char **pos, int max)
{
    int n = 0;
    bool rest = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!rest && strcmp(a, "--") == 0) {
            rest = true;
            continue;
        }
        if (!rest && a[0] == '-' && a[1] != '\0') {
            if (takes_value(a))
                i++;
            continue;
        }
        if (n < max)
            pos[n] = a;
        n++;
    }
    return n;
}

/* Whether DEST names a transport (docker://, oci:DIR, nosuch:X) rather than being a bare
 * registry reference (localhost:5000/app:1, quay.io/org/app): a ':' before the first '/'
 * that is not a registry port (digits, then '/'). */
static bool has_transport(const char *dest)
{
    const char *slash = strchr(dest, '/'), *colon = strchr(dest, ':');
    if (colon == NULL || (slash != NULL && slash < colon))
        return false;
    if (slash == NULL)
        return true; /* oci:DIR, app:1 (a bare name is no registry reference) */
    const char *d = colon + 1;
    while (d < slash && *d >= '0' && *d <= '9')
        d++;
    return d == colon + 1 || d != slash;
}

XB_CMD(push)
{
    const char *pos[2] = {NULL, NULL};
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return xb_cli_help(usage);
    int npos = positionals(argc, argv, pos, 2);
    cleanup_free char *implied = NULL;
    if (npos == 1 && strchr(pos[0], '/') != NULL && strstr(pos[0], "://") == NULL) {
        /* as podman/buildah: "push REGISTRY/REPO[:TAG]" pushes to docker://REGISTRY/REPO */
        if (asprintf(&implied, "docker://%s", pos[0]) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        pos[1] = implied;
        npos = 2;
    }
    if (npos == 2 && !has_transport(pos[1])) {
        /* as buildah: a DEST without a transport is a registry reference */
        if (asprintf(&implied, "docker://%s", pos[1]) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        pos[1] = implied;
    }
    if (npos == 2 && strncmp(pos[1], "docker://", 9) == 0)
        return xb_cli_push_docker(cli, pos[0], pos[1], argc, argv, err);

    static const struct option opts[] = {{"digestfile", required_argument, NULL, 'd'},
                                         {"platform", required_argument, NULL, 'p'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *digestfile = NULL, *platform = NULL;
    bool quiet = false, keep_docker = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            digestfile = optarg;
            break;
        case 'p':
            platform = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "oci") != 0 && strcmp(optarg, "docker") != 0 &&
                strcmp(optarg, "v2s2") != 0)
                return xb_cli_usage(err, "push", "--format must be oci or docker, not '%s'",
                                    optarg);
            keep_docker = strcmp(optarg, "oci") != 0;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            return xb_cli_help(usage);
        default:
            return xb_cli_usage(err, "push", "unknown option or missing value '%s'",
                                argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return xb_cli_usage(err, "push", "expected IMAGE and DEST");
    const char *image = argv[optind], *dest = argv[optind + 1];
    enum xb_export_transport t;
    cleanup_free char *path = NULL;
    cleanup_free char *tag = NULL;
    if (xb_export_parse_dest(dest, &t, &path, &tag, err) < 0) {
        if (err->code == XB_ERR_USAGE)
            return xb_cli_usage(err, "push", "%s", err->msg);
        return -err->code;
    }

    cleanup_free char *plat = NULL;
    if (xb_cli_platform_arg("push", platform, &plat, err) < 0)
        return -err->code;
    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    cleanup_json json_t *desc = NULL;
    char digest[XB_DIGEST_LEN] = "";
    int r = xb_store_resolve(s, image, &desc, err);
    if (r >= 0) {
        struct xb_export_opts o = {plat, xb_store_ref_name(desc), keep_docker};
        r = xb_export(s, desc, dest, &o, digest, err);
    }
    xb_store_close(s);
    if (r < 0)
        return r;
    if (digestfile != NULL &&
        xb_write_file_atomic(digestfile, digest, strlen(digest), 0644, err) < 0)
        return -err->code;
    if (!quiet)
        printf("%s\n", digest);
    return 0;
}
