/* xbuild bud / build: build an image from a Dockerfile (buildah-compatible flags). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "build/hooks.h"
#include "cli/bud_cache.h"
#include "cli/bud_output.h"
#include "cli/cli.h"
#include "image/platform.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild bud [OPTIONS] [CONTEXT]\n"
    "       xbuild build [OPTIONS] [CONTEXT]\n"
    "\n"
    "Build an image from a Dockerfile. CONTEXT defaults to the current directory.\n"
    "Prints the steps, then the image digest (with -q only the digest).\n"
    "\n"
    "  -f, --file FILE              Dockerfile (default: CONTEXT/Dockerfile or Containerfile;\n"
    "                               - reads it from stdin)\n"
    "  -t, --tag NAME               name the image (repeatable); without -t the image is kept\n"
    "                               as localhost/xbuild-<digest prefix>:latest\n"
    "      --build-arg K=V          set a build argument (K alone: value from the environment)\n"
    "      --target STAGE           build up to this stage\n"
    "      --platform P[,P...]      target platform(s), e.g. linux/arm64,linux/arm/v7\n"
    "      --arch A, --os O, --variant V   target platform by parts\n"
    "      --all-platforms          every platform the base image (an index) offers\n"
    "      --timestamp N            created time and mtime clamp (Unix seconds);\n"
    "                               SOURCE_DATE_EPOCH is used when not given\n"
    "      --label K=V              add a label to the image (repeatable)\n"
    "      --iidfile FILE           write the image digest to FILE\n"
    "      --metadata-file FILE     write build metadata (JSON) to FILE\n"
    "  -q, --quiet                  print only the digest\n"
    "      --no-cache               do not use the build cache\n"
    "      --no-cache-filter STAGE  do not use the cache for this stage (repeatable)\n"
    "      --pull[=POLICY]          missing (default), always, never (bare: always)\n"
    "      --secret id=ID,src=F|env=V   secret for RUN --mount=type=secret (repeatable)\n"
    "      --network MODE           default network for RUN: default, none, host\n"
    "      --install-binfmt         register missing qemu binfmt_misc handlers for RUN\n"
    "      --compression ALGO       layer compression: gzip (default), zstd, none\n"
    "      --compression-level N    compression level\n"
    "      --format FORMAT          oci (default) or docker (schema2 / manifest list)\n"
    "      --jobs N                 platforms built in parallel\n"
    "  -o, --output SPEC            export the result (buildx): DIR or type=local,dest=DIR (the\n"
    "                               files; per platform linux_arm64/... when several),\n"
    "                               type=tar,dest=FILE|-, type=oci,dest=FILE,\n"
    "                               type=docker,dest=FILE, type=image[,name=N][,push=true]\n"
    "                               [,push-by-digest=true], type=registry (repeatable)\n"
    "      --push                   push the result to every -t name (a registry reference;\n"
    "                               an index and its manifests for several platforms)\n"
    "      --tls-verify[=BOOL]      verify TLS for pulls and --push (false allows HTTP)\n"
    "      --creds USER[:PASS]      credentials for FROM pulls and --push\n"
    "      --authfile FILE          auth file for FROM pulls and --push\n"
    "      --cert-dir DIR           TLS certificates for pulls and --push\n" XB_BUD_CACHE_USAGE
    "      --layers, --rm, --force-rm   accepted for buildah compatibility\n";

enum {
    O_BUILD_ARG = 256,
    O_TARGET,
    O_PLATFORM,
    O_ARCH,
    O_OS,
    O_VARIANT,
    O_TIMESTAMP,
    O_LABEL,
    O_IIDFILE,
    O_METADATA,
    O_NO_CACHE,
    O_NO_CACHE_FILTER,
    O_PULL,
    O_SECRET,
    O_NETWORK,
    O_COMPRESSION,
    O_COMPRESSION_LEVEL,
    O_FORMAT,
    O_JOBS,
    O_COMPAT,
    O_PUSH,
    O_ALL_PLATFORMS,
    O_TLS_VERIFY,
    O_CREDS,
    O_AUTHFILE,
    O_CERT_DIR,
    O_INSTALL_BINFMT,
    O_HELP,
};

static const struct option longopts[] = {
    {"file", required_argument, NULL, 'f'},
    {"tag", required_argument, NULL, 't'},
    {"build-arg", required_argument, NULL, O_BUILD_ARG},
    {"target", required_argument, NULL, O_TARGET},
    {"platform", required_argument, NULL, O_PLATFORM},
    {"arch", required_argument, NULL, O_ARCH},
    {"os", required_argument, NULL, O_OS},
    {"variant", required_argument, NULL, O_VARIANT},
    {"timestamp", required_argument, NULL, O_TIMESTAMP},
    {"label", required_argument, NULL, O_LABEL},
    {"iidfile", required_argument, NULL, O_IIDFILE},
    {"metadata-file", required_argument, NULL, O_METADATA},
    {"quiet", no_argument, NULL, 'q'},
    {"no-cache", no_argument, NULL, O_NO_CACHE},
    {"no-cache-filter", required_argument, NULL, O_NO_CACHE_FILTER},
    {"pull", optional_argument, NULL, O_PULL},
    {"secret", required_argument, NULL, O_SECRET},
    {"network", required_argument, NULL, O_NETWORK},
    {"compression", required_argument, NULL, O_COMPRESSION},
    {"compression-level", required_argument, NULL, O_COMPRESSION_LEVEL},
    {"format", required_argument, NULL, O_FORMAT},
    {"jobs", required_argument, NULL, O_JOBS},
    {"layers", optional_argument, NULL, O_COMPAT},
    {"rm", optional_argument, NULL, O_COMPAT},
    {"force-rm", optional_argument, NULL, O_COMPAT},
    {"push", no_argument, NULL, O_PUSH},
    {"output", required_argument, NULL, 'o'},
    {"all-platforms", no_argument, NULL, O_ALL_PLATFORMS},
    {"tls-verify", optional_argument, NULL, O_TLS_VERIFY},
    {"creds", required_argument, NULL, O_CREDS},
    {"authfile", required_argument, NULL, O_AUTHFILE},
    {"cert-dir", required_argument, NULL, O_CERT_DIR},
    {"install-binfmt", no_argument, NULL, O_INSTALL_BINFMT},
    {"help", no_argument, NULL, O_HELP},
    XB_BUD_CACHE_LONGOPTS,
    {NULL, 0, NULL, 0},
};

/* A growable NULL-terminated list of borrowed strings. */
struct list {
    const char **v;
    size_t n;
};

static int push(struct list *l, const char *s)
{
    const char **nv = realloc(l->v, (l->n + 2) * sizeof(*nv));
    if (nv == NULL)
        return -1;
    l->v = nv;
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
    return 0;
}

static void progress(void *ud, const char *line)
{
    (void)ud;
    printf("%s\n", line);
    fflush(stdout);
}

static int parse_long(const char *s, long long min, long long max, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

XB_CMD(bud)
{
    xb_build_opts_t o;
    xb_build_opts_init(&o);
    struct list tags = {0}, bargs = {0}, labels = {0}, secrets = {0}, ncf = {0};
    const char *arch = NULL, *os = NULL, *variant = NULL, *platform = NULL;
    const char *iidfile = NULL, *metafile = NULL;
    bool quiet = false, do_push = false;
    xb_registry_opts_t ropts = XB_REGISTRY_OPTS_INIT;
    xb_rcache_opts_t rco = {0};
    int ret = -1, c;
    cleanup_free char *pbuf = NULL;
    optind = 0;
    opterr = 0;
    struct xb_bud_outputs outs = XB_BUD_OUTPUTS_INIT;
    while ((c = getopt_long(argc, argv, "+f:t:qo:", longopts, NULL)) != -1) {
        long long v;
        int r = 0;
        switch (c) {
        case 'f':
            o.dockerfile = optarg;
            break;
        case 't':
            r = push(&tags, optarg);
            break;
        case O_BUILD_ARG:
            r = push(&bargs, optarg);
            break;
        case O_TARGET:
            o.target = optarg;
            break;
        case O_PLATFORM:
            platform = optarg;
            break;
        case O_ARCH:
            arch = optarg;
            break;
        case O_OS:
            os = optarg;
            break;
        case O_VARIANT:
            variant = optarg;
            break;
        case O_TIMESTAMP:
            if (parse_long(optarg, 0, (long long)1 << 40, &v) < 0) {
                xb_cli_usage(err, "bud", "--timestamp %s: expected Unix seconds", optarg);
                goto out;
            }
            o.timestamp = v;
            break;
        case O_LABEL:
            r = push(&labels, optarg);
            break;
        case O_IIDFILE:
            iidfile = optarg;
            break;
        case O_METADATA:
            metafile = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'o':
            if (xb_bud_output_add(&outs, optarg, err) < 0)
                goto out;
            break;
        case O_NO_CACHE:
            o.no_cache = true;
            break;
        case O_NO_CACHE_FILTER:
            r = push(&ncf, optarg);
            break;
        case O_PULL:
            if (optarg == NULL || strcmp(optarg, "always") == 0 || strcmp(optarg, "true") == 0)
                o.pull_policy =
                    optarg && strcmp(optarg, "true") == 0 ? XB_PULL_MISSING : XB_PULL_ALWAYS;
            else if (strcmp(optarg, "missing") == 0 || strcmp(optarg, "ifmissing") == 0)
                o.pull_policy = XB_PULL_MISSING;
            else if (strcmp(optarg, "never") == 0 || strcmp(optarg, "false") == 0)
                o.pull_policy = XB_PULL_NEVER;
            else {
                xb_cli_usage(err, "bud", "--pull=%s: expected missing, always or never", optarg);
                goto out;
            }
            break;
        case O_SECRET:
            r = push(&secrets, optarg);
            break;
        case O_INSTALL_BINFMT: /* read by the run module before a non-native RUN */
            setenv("XBUILD_INSTALL_BINFMT", "1", 1);
            break;
        case O_NETWORK:
            if (strcmp(optarg, "default") != 0 && strcmp(optarg, "none") != 0 &&
                strcmp(optarg, "host") != 0) {
                xb_cli_usage(err, "bud", "--network %s: expected default, none or host", optarg);
                goto out;
            }
            o.network = optarg;
            break;
        case O_COMPRESSION:
            if (xb_compression_parse(optarg, &o.layer_opts.compression, err) < 0) {
                xb_error_wrap(err, "bud: --compression");
                err->code = XB_ERR_USAGE;
                goto out;
            }
            break;
        case O_COMPRESSION_LEVEL:
            if (parse_long(optarg, 0, 22, &v) < 0) {
                xb_cli_usage(err, "bud", "--compression-level %s: expected 0..22", optarg);
                goto out;
            }
            o.layer_opts.level = (int)v;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "oci") != 0 && strcmp(optarg, "docker") != 0) {
                xb_cli_usage(err, "bud", "--format %s: expected oci or docker", optarg);
                goto out;
            }
            o.format = optarg;
            break;
        case O_JOBS:
            if (parse_long(optarg, 0, 64, &v) < 0) {
                xb_cli_usage(err, "bud", "--jobs %s: expected a number", optarg);
                goto out;
            }
            o.jobs = (int)v;
            break;
        case O_COMPAT:
            break;
        case O_PUSH:
            do_push = true;
            break;
        case O_ALL_PLATFORMS:
            o.all_platforms = true;
            break;
        case O_TLS_VERIFY:
            if (optarg == NULL || strcmp(optarg, "true") == 0)
                ropts.tls_verify = 1;
            else if (strcmp(optarg, "false") == 0)
                ropts.tls_verify = 0;
            else {
                xb_cli_usage(err, "bud", "--tls-verify=%s: expected true or false", optarg);
                goto out;
            }
            break;
        case O_CREDS:
            ropts.creds = optarg;
            break;
        case O_AUTHFILE:
            ropts.authfile = optarg;
            break;
        case O_CERT_DIR:
            ropts.cert_dir = optarg;
            break;
        case XB_BUD_CACHE_FROM:
        case XB_BUD_CACHE_TO:
        case XB_BUD_CACHE_TTL:
            if (xb_bud_cache_flag(&rco, c, optarg, err) < 0)
                goto out;
            break;
        case O_HELP:
            ret = xb_cli_help(usage);
            goto out;
        default:
            xb_cli_usage(err, "bud", "unknown or incomplete option %s", argv[optind - 1]);
            goto out;
        }
        if (r < 0) {
            xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    if (argc - optind > 1) {
        xb_cli_usage(err, "bud", "too many arguments (one CONTEXT directory)");
        goto out;
    }
    o.context_dir = optind < argc ? argv[optind] : ".";
    if (do_push && tags.n == 0) {
        xb_cli_usage(err, "bud", "--push needs at least one -t REGISTRY/REPO[:TAG]");
        goto out;
    }
    if (platform != NULL && (arch || os || variant)) {
        xb_cli_usage(err, "bud", "--platform cannot be combined with --arch/--os/--variant");
        goto out;
    }
    if (arch || os || variant) {
        cleanup_platform xb_platform_t host = XB_PLATFORM_INIT;
        if (xb_platform_host(&host, err) < 0)
            goto out;
        if (asprintf(&pbuf, "%s/%s%s%s", os ? os : "linux", arch ? arch : host.arch,
                     variant ? "/" : "", variant ? variant : "") < 0)
            goto out;
        platform = pbuf;
    }
    if (o.all_platforms && platform != NULL) {
        xb_cli_usage(err, "bud", "--all-platforms cannot be combined with --platform/--arch");
        goto out;
    }
    o.platforms = platform;
    o.tags = tags.v;
    o.ntags = tags.n;
    o.build_args = bargs.v;
    o.nbuild_args = bargs.n;
    o.labels = labels.v;
    o.nlabels = labels.n;
    o.secrets = secrets.v;
    o.nsecrets = secrets.n;
    o.no_cache_stages = ncf.v;
    o.nno_cache_stages = ncf.n;
    rco.registry = &ropts;
    o.remote_cache = rco.nfrom + rco.nto > 0 ? &rco : NULL;
    if (!quiet) {
        o.progress = progress;
    }
    if (xb_bud_outputs_prepare(&outs, err) < 0)
        goto out;
    xb_store_t *s = NULL;
    if (xb_store_open(cli->root, &s, err) < 0)
        goto out;
    xb_build_result_t res;
    /* FROM pulls use the same credentials, TLS and certificate options as --push */
    o.registry = &ropts;
    xb_registry_set_pull_options(&ropts);
    int r = xb_build(s, &o, &res, err);
    xb_registry_set_pull_options(NULL);
    if (r >= 0 && do_push) {
        json_t *pushed = json_array();
        ropts.quiet = quiet;
        for (size_t i = 0; i < tags.n && r >= 0; i++) {
            cleanup_json json_t *desc = NULL;
            char pd[XB_DIGEST_LEN];
            cleanup_free char *name = xb_store_normalize_name(tags.v[i]);
            r = xb_store_resolve(s, name ? name : tags.v[i], &desc, err);
            if (r >= 0)
                r = xb_registry_push(s, desc, tags.v[i], &ropts, pd, err);
            if (r < 0)
                xb_error_wrap(err, "pushing %s", tags.v[i]);
            else {
                if (!quiet)
                    printf("pushed %s@%s\n", tags.v[i], pd);
                json_array_append_new(pushed, json_string(tags.v[i]));
            }
        }
        if (res.metadata != NULL)
            json_object_set_new(res.metadata, "pushed", pushed);
        else
            json_decref(pushed);
    }
    if (r >= 0)
        r = xb_bud_outputs_write(&outs, s, res.name, tags.v, tags.n, &ropts, quiet, res.metadata,
                                 err);
    xb_store_close(s);
    if (r < 0) {
        if (res.name != NULL || res.metadata != NULL)
            xb_build_result_free(&res);
        goto out;
    }
    if (!quiet) {
        if (res.name != NULL)
            printf("COMMIT %s\n", res.name);
        printf("--> %.12s\n", xb_digest_hex(res.digest));
    }
    printf("%s\n", res.digest);
    fflush(stdout);
    if (iidfile != NULL &&
        xb_write_file_atomic(iidfile, res.digest, strlen(res.digest), 0644, err) < 0) {
        xb_build_result_free(&res);
        goto out;
    }
    if (metafile != NULL && res.metadata != NULL) {
        cleanup_free char *m = json_dumps(res.metadata, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (m == NULL || xb_write_file_atomic(metafile, m, strlen(m), 0644, err) < 0) {
            xb_build_result_free(&res);
            goto out;
        }
    }
    xb_build_result_free(&res);
    ret = 0;
out:
    xb_rcache_opts_free(&rco);
    xb_bud_outputs_free(&outs);
    free(tags.v);
    free(bargs.v);
    free(labels.v);
    free(secrets.v);
    free(ncf.v);
    return ret;
}
