/* xbuild bud / build: build an image from a Dockerfile, with the flags of buildah bud and
 * docker buildx build (cli/bud_flags.c says which are supported, ignored or refused). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/build.h"
#include "cli/bud.h"
#include "cli/cli.h"
#include "cli/registry_flags.h"
#include "layer/pgzip.h"
#include "cli/store_util.h"
#include "image/manifest_list.h"
#include "image/mediatype.h"
#include "image/platform.h"
#include "registry/registry.h"
#include "store/images.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild bud [OPTIONS] [CONTEXT | DOCKERFILE]\n"
    "       xbuild build [OPTIONS] [CONTEXT | DOCKERFILE]\n"
    "\n"
    "Build an image from a Dockerfile. CONTEXT defaults to the current directory; a file\n"
    "given instead is the Dockerfile, and its directory the context (as buildah).\n"
    "Prints the steps, then the image digest (with -q only the digest).\n"
    "\n"
    "  -f, --file FILE              Dockerfile (default: CONTEXT/Dockerfile or Containerfile;\n"
    "                               - reads it from stdin)\n"
    "  -t, --tag NAME               name the image (repeatable); without -t the image is kept\n"
    "                               as localhost/xbuild-<digest prefix>:latest\n"
    "      --build-arg K=V          set a build argument (K alone: value from the environment)\n"
    "      --build-context NAME=V   named context for FROM NAME / COPY --from=NAME: a DIR,\n"
    "                               docker-image://REF or oci-layout://DIR[:TAG|@DIGEST]\n"
    "      --target STAGE           build up to this stage\n"
    "      --platform P[,P...]      target platform(s), e.g. linux/arm64,linux/arm/v7\n"
    "      --arch A, --os O, --variant V   target platform by parts\n"
    "                               (--override-arch/--override-os: the same)\n"
    "      --all-platforms          every platform the base image (an index) offers\n"
    "      --timestamp N            created time and mtime clamp (Unix seconds);\n"
    "                               SOURCE_DATE_EPOCH (a --build-arg, else the\n"
    "                               environment) is used when not given\n"
    "      --label K=V              add a label to the image (repeatable)\n"
    "      --env K=V                add an environment variable to the image (K-: remove it)\n"
    "      --unsetenv K             remove an environment variable from the image\n"
    "      --annotation [TYPE:]K=V  OCI annotation; TYPE: manifest (default), index,\n"
    "                               manifest-descriptor, index-descriptor, manifest[os/arch]\n"
    "      --iidfile FILE           write the image digest to FILE\n"
    "      --metadata-file FILE     write build metadata (JSON) to FILE\n"
    "      --manifest LIST          add the image to the local index LIST (created if missing)\n"
    "  -q, --quiet                  print only the digest\n"
    "      --progress MODE          auto, plain, tty (the steps) or quiet (as -q)\n"
    "      --logfile FILE           write the output to FILE\n"
    "      --no-cache               do not use the build cache\n"
    "      --no-cache-filter STAGE  do not use the cache for this stage (repeatable)\n"
    "      --pull[=POLICY]          missing (default), always, never (bare: always)\n"
    "      --secret id=ID,src=F|env=V   secret for RUN --mount=type=secret (repeatable)\n"
    "      --network MODE           default network for RUN: default, none, host\n"
    "      --add-host HOST:IP       add a line to /etc/hosts of every RUN (repeatable)\n"
    "      --ulimit TYPE=SOFT[:HARD]   resource limit of every RUN, e.g. nofile=1024:2048\n"
    "  -v, --volume HOST:CTR[:ro]   bind HOST into every RUN (not stored in layers)\n"
    "      --cap-add CAP, --cap-drop CAP   RUN's capabilities (ALL for every one)\n"
    "      --security-opt OPT       no-new-privileges, seccomp=unconfined,\n"
    "                               apparmor=unconfined, label=disable\n"
    "      --install-binfmt         register missing qemu binfmt_misc handlers for RUN\n"
    "      --compression ALGO       layer compression: gzip (default), zstd, none\n"
    "      --compression-level N    compression level\n"
    "  -D, --disable-compression    uncompressed layers\n"
    "      --format FORMAT          oci (default) or docker (schema2 / manifest list)\n"
    "      --jobs N                 platforms built in parallel\n"
    "  -o, --output SPEC            export the result (buildx): DIR or type=local,dest=DIR (the\n"
    "                               files; per platform linux_arm64/... when several),\n"
    "                               type=tar,dest=FILE|-, type=oci,dest=FILE,\n"
    "                               type=docker,dest=FILE, type=image[,name=N][,push=true]\n"
    "                               [,push-by-digest=true], type=registry (repeatable)\n"
    "      --push                   push the result to every -t name (a registry reference;\n"
    "                               an index and its manifests for several platforms)\n"
    "      --load                   accepted: the image is always in the local store\n"
    "      --tls-verify[=BOOL]      verify TLS for pulls and --push (false allows HTTP)\n"
    "      --creds USER[:PASS]      credentials for the registries of the -t names only\n"
    "                               (--push, and FROM pulls from those registries); other\n"
    "                               FROM registries use the auth file / credential helpers\n"
    "      --authfile FILE          auth file for FROM pulls and --push\n"
    "      --cert-dir DIR           TLS certificates for pulls and --push\n"
    "      --max-layer-size SIZE    refuse a layer whose files add up to more (FROM, COPY\n"
    "                               --from, ADD archives; default 64G, sparse files count in\n"
    "                               full; env XBUILD_MAX_LAYER_SIZE)\n"
    "      --flag-table             list every buildah bud / buildx build flag and what\n"
    "                               xbuild does with it (docs/flags.md)\n"
    "Other buildah and buildx flags are accepted where ignoring them is harmless, and\n"
    "refused with the reason otherwise (--flag-table).\n";

static void progress(void *ud, const char *line)
{
    (void)ud;
    printf("%s\n", line);
    fflush(stdout);
}

/* Parses argv into b; the positional arguments are left at argv[optind..]. */
static int parse_flags(struct xb_bud *b, int argc, char **argv, xb_error_t *err)
{
    struct xb_bud_getopt g;
    if (xb_bud_getopt_init(&g, err) < 0)
        return -1;
    char shortopts[sizeof g.shortopts + 1];
    snprintf(shortopts, sizeof shortopts, ":%s", g.shortopts);
    int c, r = 0;
    optind = 0;
    opterr = 0;
    while (r >= 0 && (c = getopt_long(argc, argv, shortopts, g.longopts, NULL)) != -1) {
        const struct xb_bud_flag *f = c == ':' || c == '?' ? NULL : xb_bud_flag_of(c);
        if (c == ':')
            r = xb_cli_usage(err, "bud", "%s needs a value", argv[optind - 1]);
        else if (f == NULL)
            r = xb_cli_usage(err, "bud", "unknown option %s", argv[optind - 1]);
        else if (f->status != XB_FLAG_SUPPORTED)
            r = xb_bud_flag_unsupported(f, optarg, b->quiet, err);
        else
            r = xb_bud_apply(b, f, optarg, err);
    }
    xb_bud_getopt_free(&g);
    return r < 0 ? r : 0;
}

/* --manifest LIST: the built image(s) join the local index LIST (created when missing, as an
 * OCI index or, with --format docker, a Docker manifest list), as `xbuild manifest add`. */
static int add_to_manifest(xb_store_t *s, const struct xb_bud *b, const char *image,
                           xb_error_t *err)
{
    cleanup_json json_t *index = NULL, *desc = NULL, *children = NULL;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    if (xb_mlist_load(s, b->manifest, &index, NULL, &e) < 0) {
        if (e.code != XB_ERR_NOT_FOUND) {
            xb_error_move(err, &e);
            return xb_error_wrap(err, "--manifest %s", b->manifest);
        }
        bool docker = b->o.format != NULL && strcmp(b->o.format, "docker") == 0;
        index = xb_index_new(docker ? XB_MT_DOCKER_MANIFEST_LIST : XB_MT_OCI_INDEX);
    }
    if (xb_store_resolve(s, image, &desc, err) < 0 ||
        xb_mlist_children_of(s, desc, true, NULL, &children, err) < 0)
        return xb_error_wrap(err, "--manifest %s", b->manifest);
    size_t i;
    json_t *ch;
    json_array_foreach(children, i, ch)
    {
        if (xb_mlist_put(index, ch, err) < 0)
            return xb_error_wrap(err, "--manifest %s", b->manifest);
    }
    char dg[XB_DIGEST_LEN];
    if (xb_mlist_save(s, b->manifest, index, dg, err) < 0)
        return xb_error_wrap(err, "--manifest %s", b->manifest);
    if (!b->quiet)
        printf("manifest %s: %s\n", b->manifest, dg);
    return 0;
}

static int push_all(xb_store_t *s, struct xb_bud *b, xb_build_result_t *res, xb_error_t *err)
{
    json_t *pushed = json_array();
    b->ropts.quiet = b->quiet;
    int r = 0;
    for (size_t i = 0; i < b->tags.n && r >= 0; i++) {
        cleanup_json json_t *desc = NULL;
        char pd[XB_DIGEST_LEN];
        cleanup_free char *name = xb_store_normalize_name(b->tags.v[i]);
        r = xb_store_resolve(s, name ? name : b->tags.v[i], &desc, err);
        if (r >= 0)
            r = xb_registry_push(s, desc, b->tags.v[i], &b->ropts, pd, err);
        if (r < 0)
            xb_error_wrap(err, "pushing %s", b->tags.v[i]);
        else {
            if (!b->quiet)
                printf("pushed %s@%s\n", b->tags.v[i], pd);
            json_array_append_new(pushed, json_string(b->tags.v[i]));
        }
    }
    if (res->metadata != NULL)
        json_object_set_new(res->metadata, "pushed", pushed);
    else
        json_decref(pushed);
    return r;
}

static int write_outputs(const struct xb_bud *b, const xb_build_result_t *res, xb_error_t *err)
{
    if (!b->quiet) {
        if (res->name != NULL)
            printf("COMMIT %s\n", res->name);
        printf("--> %.12s\n", xb_digest_hex(res->digest));
    }
    printf("%s\n", res->digest);
    fflush(stdout);
    if (b->iidfile != NULL &&
        xb_write_file_atomic(b->iidfile, res->digest, strlen(res->digest), 0644, err) < 0)
        return -1;
    if (b->metafile != NULL && res->metadata != NULL) {
        cleanup_free char *m = json_dumps(res->metadata, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (m == NULL || xb_write_file_atomic(b->metafile, m, strlen(m), 0644, err) < 0)
            return -1;
    }
    return 0;
}

/* --logfile: stdout and stderr go to FILE from here on (buildah truncates it). */
static int open_logfile(const char *path, xb_error_t *err)
{
    fflush(stdout);
    fflush(stderr);
    if (freopen(path, "w", stdout) == NULL)
        return xb_error_errno(err, errno, "--logfile %s", path);
    if (dup2(fileno(stdout), STDERR_FILENO) < 0)
        return xb_error_errno(err, errno, "--logfile %s", path);
    setvbuf(stdout, NULL, _IOLBF, 0);
    return 0;
}

/* What the environment sets for a build (docs/environment.md). */
static int build_env(const struct xb_cli *cli, xb_build_opts_t *o, xb_registry_opts_t *ropts,
                     xb_error_t *err)
{
    xb_cli_registry_env(cli, ropts);
    o->host_env = cli->env;
    o->binfmt_dir = cli->binfmt_dir;
    o->search_path = cli->search_path;
    if (xb_cli_snapshotter(cli, "bud", &o->snapshotter, err) < 0)
        return -1;
    if (xb_pgzip_engine_parse(cli->gzip_engine, "XBUILD_GZIP_ENGINE", &o->layer_opts.gzip_engine,
                              err) < 0)
        return -1;
    const char *sde = cli->source_date_epoch;
    /* --build-arg SOURCE_DATE_EPOCH=N (buildx's spelling) before the environment variable */
    for (size_t i = 0; i < o->nbuild_args; i++)
        if (strncmp(o->build_args[i], "SOURCE_DATE_EPOCH=", 18) == 0)
            sde = o->build_args[i] + 18;
    if (o->timestamp < 0 && sde != NULL && sde[0] != '\0') {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (*end != '\0' || v < 0)
            return xb_error_set(err, XB_ERR_USAGE, "SOURCE_DATE_EPOCH=%s is not a number", sde);
        o->timestamp = v;
    }
    return 0;
}

static int run_build(struct xb_cli *cli, struct xb_bud *b, xb_error_t *err)
{
    if (build_env(cli, &b->o, &b->ropts, err) < 0)
        return -1;
    if (!b->quiet)
        b->o.progress = progress;
    if (xb_bud_outputs_prepare(&b->outs, err) < 0)
        return -1;
    xb_store_t *s = NULL;
    if (xb_store_open(cli->root, &s, err) < 0)
        return -1;
    if (xb_cli_max_layer_size("bud", b->max_layer, s, err) < 0) {
        xb_store_close(s);
        return -1;
    }
    xb_build_result_t res;
    /* FROM pulls use the same credentials, TLS and certificate options as --push */
    b->o.registry = &b->ropts;
    b->rco.registry = &b->ropts;
    b->o.remote_cache = b->rco.nfrom + b->rco.nto > 0 ? &b->rco : NULL;
    int r = xb_build(s, &b->o, &res, err);
    if (r >= 0 && b->manifest != NULL)
        r = add_to_manifest(s, b, res.name, err);
    if (r >= 0 && b->push)
        r = push_all(s, b, &res, err);
    if (r >= 0)
        r = xb_bud_outputs_write(&b->outs, s, res.name, b->tags.v, b->tags.n, &b->ropts, b->quiet,
                                 res.metadata, err);
    xb_store_close(s);
    if (r >= 0)
        r = write_outputs(b, &res, err);
    if (res.name != NULL || res.metadata != NULL)
        xb_build_result_free(&res);
    return r;
}

XB_CMD(bud)
{
    struct xb_bud b;
    xb_bud_init(&b);
    int ret = parse_flags(&b, argc, argv, err);
    if (ret >= 0 && b.help)
        ret = xb_cli_help(usage);
    else if (ret >= 0 && b.flag_table)
        xb_bud_flags_print(stdout);
    else if (ret >= 0)
        ret = xb_bud_finish(&b, argc - optind, argv + optind, err);
    if (ret >= 0 && !b.help && !b.flag_table) {
        if (b.logfile != NULL && open_logfile(b.logfile, err) < 0)
            ret = -1;
        else
            ret = run_build(cli, &b, err);
    }
    xb_bud_free(&b);
    return ret < 0 ? -1 : 0;
}
