/* xbuild run: run a command in an image (emulated when needed) with a throwaway rootfs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "image/image.h"
#include "run/archprobe.h"
#include "run/step.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
    "\n"
    "Runs the image's Entrypoint+Cmd (or COMMAND, replacing Cmd) in the RUN sandbox on top of\n"
    "the image's layers; changes are discarded. The command's exit status is xbuild's.\n"
    "\n"
    "  --platform P        the image's platform to run (default: the host's or the only one)\n"
    "  --network MODE      host (default) or none\n"
    "  -e, --env K=V       add/override an environment variable (repeatable)\n"
    "  -u, --user USER     run as USER (name, uid, name:group, uid:gid)\n"
    "  -w, --workdir DIR   working directory\n"
    "      --entrypoint E  replace the Entrypoint (\"\" clears it)\n"
    "      --install-binfmt  register the qemu binfmt_misc handler when missing\n"
    "  -h, --help          this text\n";

static int append(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof **v);
    if (nv == NULL)
        return -1;
    *v = nv;
    nv[*n] = strdup(s);
    nv[++*n] = NULL;
    return nv[*n - 1] ? 0 : -1;
}

static int set_env(char ***v, size_t *n, const char *kv)
{
    size_t kl = strcspn(kv, "=");
    for (size_t i = 0; i < *n; i++)
        if (strncmp((*v)[i], kv, kl) == 0 && (*v)[i][kl] == '=') {
            free((*v)[i]);
            (*v)[i] = strdup(kv);
            return (*v)[i] ? 0 : -1;
        }
    return append(v, n, kv);
}

XB_CMD(run)
{
    static const struct option opts[] = {{"platform", required_argument, NULL, 'p'},
                                         {"network", required_argument, NULL, 'n'},
                                         {"env", required_argument, NULL, 'e'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"workdir", required_argument, NULL, 'w'},
                                         {"entrypoint", required_argument, NULL, 'E'},
                                         {"install-binfmt", no_argument, NULL, 'I'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *platform = NULL, *network = NULL, *user = NULL, *workdir = NULL, *entrypoint = NULL;
    bool install = false;
    cleanup_strv char **extra_env = NULL;
    size_t nextra = 0;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+e:u:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            platform = optarg;
            break;
        case 'n':
            network = optarg;
            break;
        case 'u':
            user = optarg;
            break;
        case 'w':
            workdir = optarg;
            break;
        case 'E':
            entrypoint = optarg;
            break;
        case 'I':
            install = true;
            break;
        case 'e':
            if (append(&extra_env, &nextra, optarg) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            break;
        case 'h':
            return xb_cli_help(usage);
        default:
            return xb_cli_usage(err, "run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return xb_cli_usage(err, "run", "an IMAGE is required");
    const char *image = argv[optind++];
    cleanup_platform xb_platform_t want = XB_PLATFORM_INIT;
    if (platform && xb_platform_parse(platform, &want, err) < 0)
        return xb_cli_usage(err, "run", "invalid --platform '%s'", platform);
    if (network && strcmp(network, "none") != 0 && strcmp(network, "host") != 0 &&
        strcmp(network, "default") != 0)
        return xb_cli_usage(err, "run", "--network must be host or none");

    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    int ret = -1;
    cleanup_json json_t *desc = NULL;
    cleanup_free char *probe_cache = NULL;
    xb_image_t *img = NULL;
    cleanup_strv char **cargv = NULL, **cenv = NULL;
    size_t na = 0, ne = 0;
    if (xb_store_resolve(s, image, &desc, err) < 0 ||
        xb_image_load(s, desc, platform ? &want : NULL, &img, err) < 0)
        goto out;
    probe_cache = xb_store_path(s, XB_ARCH_PROBE_CACHE);
    if (xb_binfmt_check(&img->platform, probe_cache, install, err) < 0)
        goto out;
    json_t *cc = json_object_get(img->config, "config");
    json_t *ep = json_object_get(cc, "Entrypoint"), *cmd = json_object_get(cc, "Cmd");
    size_t i;
    json_t *v;
    if (entrypoint) {
        if (*entrypoint && append(&cargv, &na, entrypoint) < 0)
            goto oom;
    } else {
        json_array_foreach(ep, i,
                           v) if (append(&cargv, &na, json_string_value(v) ?: "") < 0) goto oom;
    }
    if (optind < argc) {
        for (int k = optind; k < argc; k++)
            if (append(&cargv, &na, argv[k]) < 0)
                goto oom;
    } else if (!entrypoint || !*entrypoint) {
        json_array_foreach(cmd, i,
                           v) if (append(&cargv, &na, json_string_value(v) ?: "") < 0) goto oom;
    }
    if (na == 0) {
        ret = xb_error_set(err, XB_ERR_INVALID,
                           "%s: no command given and the image has no "
                           "Entrypoint or Cmd",
                           image);
        goto out;
    }
    json_array_foreach(json_object_get(cc, "Env"), i,
                       v) if (json_is_string(v) &&
                              set_env(&cenv, &ne, json_string_value(v)) < 0) goto oom;
    for (size_t k = 0; k < nextra; k++)
        if (set_env(&cenv, &ne, extra_env[k]) < 0)
            goto oom;
    if (cenv == NULL &&
        append(&cenv, &ne, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
        goto oom;
    xb_run_request_t rq;
    memset(&rq, 0, sizeof rq);
    rq.store = s;
    rq.platform = &img->platform;
    rq.layers = (json_t *)xb_image_layers(img);
    rq.diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
    rq.argv = cargv;
    rq.env = cenv;
    const char *wd = xb_json_str(cc, "WorkingDir");
    rq.workdir = workdir ? workdir : wd && *wd ? wd : "/";
    rq.user = user ? user : xb_json_str(cc, "User") ?: "";
    rq.network = network;
    rq.where = image;
    int status = 0;
    if (xb_run_execute(&rq, false, NULL, NULL, &status, err) < 0)
        goto out;
    xb_image_free(img);
    xb_store_close(s);
    fflush(stdout);
    if (status != 0)
        exit(status); /* the command's status is ours */
    return 0;
oom:
    ret = xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
out:
    xb_image_free(img);
    xb_store_close(s);
    return ret < 0 ? ret : -err->code;
}
