/* xbuild run: run a command in an image (emulated when needed) with a throwaway rootfs. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "image/image.h"
#include "run/archprobe.h"
#include "run/policy.h"
#include "run/step.h"
#include "store/images.h"
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
    "      --device HOST[:CTR][:rwm]  make the host device node HOST visible as CTR\n"
    "                      (default: same path; without w it is read-only; repeatable)\n"
    "  -v, --volume HOST:CTR[:ro]  bind-mount a host file or directory (writes reach the\n"
    "                      host unless :ro; repeatable)\n"
    "      --privileged    all capabilities, no seccomp filter, writable /sys and /proc/sys,\n"
    "                      /dev without nodev (host devices still only with --device)\n"
    "      --cap-add CAP   add a capability (e.g. NET_ADMIN, ALL; repeatable)\n"
    "      --cap-drop CAP  drop a capability (repeatable)\n"
    "      --security-opt OPT  seccomp=unconfined or no-new-privileges\n"
    "  -t, --tty           give the command a new pseudo-terminal (never xbuild's own)\n"
    "  -i, --interactive   pass xbuild's stdin to the command (else it reads /dev/null)\n"
    "      --rm            accepted for podman compatibility (the rootfs is always discarded)\n"
    "      --max-layer-size SIZE  refuse a layer whose files add up to more (default 64G;\n"
    "                      env XBUILD_MAX_LAYER_SIZE)\n"
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

static void policy_free(xb_sandbox_policy_t *p)
{
    xb_sandbox_policy_clear(p);
}
#define cleanup_policy __attribute__((cleanup(policy_free)))

/* --device, -v, --cap-add, --cap-drop, --security-opt into p */
static int policy_option(xb_sandbox_policy_t *p, int opt, const char *arg, xb_error_t *err)
{
    uint64_t cap;
    switch (opt) {
    case 'D': {
        xb_device_t *nv = realloc(p->devices, (p->ndevices + 1) * sizeof *nv);
        if (nv == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        p->devices = nv;
        if (xb_device_parse(arg, &nv[p->ndevices], err) < 0)
            return -1;
        p->ndevices++;
        return 0;
    }
    case 'v': {
        xb_volume_t *nv = realloc(p->volumes, (p->nvolumes + 1) * sizeof *nv);
        if (nv == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        p->volumes = nv;
        if (xb_volume_parse(arg, &nv[p->nvolumes], err) < 0)
            return -1;
        p->nvolumes++;
        return 0;
    }
    case 'A':
    case 'X':
        if (xb_sandbox_cap_parse(arg, &cap, err) < 0)
            return -1;
        if (opt == 'A')
            p->cap_add |= cap;
        else
            p->cap_drop |= cap;
        return 0;
    default:
        if (strcmp(arg, "seccomp=unconfined") == 0)
            p->seccomp_unconfined = true;
        else if (strcmp(arg, "no-new-privileges") == 0 ||
                 strcmp(arg, "no-new-privileges=true") == 0 ||
                 strcmp(arg, "no-new-privileges:true") == 0)
            p->no_new_privs = true;
        else
            return xb_error_set(err, XB_ERR_INVALID,
                                "--security-opt %s is not supported (seccomp=unconfined, "
                                "no-new-privileges)",
                                arg);
        return 0;
    }
}

/* xbuild run's options (the policy ones go into an xb_sandbox_policy_t) */
struct run_args {
    const char *platform, *network, *user, *workdir, *entrypoint, *max_layer;
    bool install, help;
    char **extra_env; /* owned: -e K=V */
    size_t nextra;
};

static void run_args_free(struct run_args *a)
{
    xb_strvfreep(&a->extra_env);
}
#define cleanup_run_args __attribute__((cleanup(run_args_free)))

/* The options before IMAGE into a and pol (optind is then IMAGE's index); a->help for -h. 0, or
 * negative + err (a usage error). */
static int parse_args(int argc, char **argv, struct run_args *a, xb_sandbox_policy_t *pol,
                      xb_error_t *err)
{
    static const struct option opts[] = {{"platform", required_argument, NULL, 'p'},
                                         {"network", required_argument, NULL, 'n'},
                                         {"env", required_argument, NULL, 'e'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"workdir", required_argument, NULL, 'w'},
                                         {"entrypoint", required_argument, NULL, 'E'},
                                         {"install-binfmt", no_argument, NULL, 'I'},
                                         {"device", required_argument, NULL, 'D'},
                                         {"volume", required_argument, NULL, 'v'},
                                         {"privileged", no_argument, NULL, 'P'},
                                         {"cap-add", required_argument, NULL, 'A'},
                                         {"cap-drop", required_argument, NULL, 'X'},
                                         {"security-opt", required_argument, NULL, 'S'},
                                         {"tty", no_argument, NULL, 't'},
                                         {"interactive", no_argument, NULL, 'i'},
                                         {"rm", no_argument, NULL, 'R'},
                                         {"max-layer-size", required_argument, NULL, 'L'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+e:u:w:hv:ti", opts, NULL)) != -1) {
        switch (c) {
        case 'D':
        case 'v':
        case 'A':
        case 'X':
        case 'S':
            if (policy_option(pol, c, optarg, err) < 0)
                return xb_cli_usage(err, "run", "%s", err->msg);
            break;
        case 'P':
            pol->privileged = true;
            break;
        case 't':
            pol->tty = true;
            break;
        case 'i':
            pol->interactive = true;
            break;
        case 'R':
            break;
        case 'p':
            a->platform = optarg;
            break;
        case 'n':
            a->network = optarg;
            break;
        case 'u':
            a->user = optarg;
            break;
        case 'w':
            a->workdir = optarg;
            break;
        case 'E':
            a->entrypoint = optarg;
            break;
        case 'I':
            a->install = true;
            break;
        case 'L':
            a->max_layer = optarg;
            break;
        case 'e':
            if (append(&a->extra_env, &a->nextra, optarg) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            break;
        case 'h':
            a->help = true;
            return 0;
        default:
            return xb_cli_usage(err, "run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    return 0;
}

/* The command: the Entrypoint (or --entrypoint) then the arguments after IMAGE (argv[first..])
 * or else the image's Cmd. 0, or -1 when out of memory. */
static int command_argv(json_t *cc, const char *entrypoint, int argc, char **argv, int first,
                        char ***cargv, size_t *na)
{
    size_t i;
    json_t *v;
    if (entrypoint) {
        if (*entrypoint && append(cargv, na, entrypoint) < 0)
            return -1;
    } else {
        json_array_foreach(json_object_get(cc, "Entrypoint"), i, v)
        {
            if (append(cargv, na, json_string_value(v) ?: "") < 0)
                return -1;
        }
    }
    if (first < argc) {
        for (int k = first; k < argc; k++)
            if (append(cargv, na, argv[k]) < 0)
                return -1;
    } else if (!entrypoint || !*entrypoint) {
        json_array_foreach(json_object_get(cc, "Cmd"), i, v)
        {
            if (append(cargv, na, json_string_value(v) ?: "") < 0)
                return -1;
        }
    }
    return 0;
}

/* The image's Env with the -e ones over it (a PATH when there is none at all). 0, or -1 when
 * out of memory. */
static int command_env(json_t *cc, const struct run_args *a, char ***cenv, size_t *ne)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cc, "Env"), i, v)
    {
        if (json_is_string(v) && set_env(cenv, ne, json_string_value(v)) < 0)
            return -1;
    }
    for (size_t k = 0; k < a->nextra; k++)
        if (set_env(cenv, ne, a->extra_env[k]) < 0)
            return -1;
    if (*cenv == NULL &&
        append(cenv, ne, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
        return -1;
    return 0;
}

XB_CMD(run)
{
    cleanup_run_args struct run_args a = {0};
    cleanup_policy xb_sandbox_policy_t pol;
    memset(&pol, 0, sizeof pol);
    int r = parse_args(argc, argv, &a, &pol, err);
    if (r < 0)
        return r;
    if (a.help)
        return xb_cli_help(usage);
    if (optind >= argc)
        return xb_cli_usage(err, "run", "an IMAGE is required");
    const char *image = argv[optind++];
    cleanup_platform xb_platform_t want = XB_PLATFORM_INIT;
    if (a.platform && xb_platform_parse(a.platform, &want, err) < 0)
        return xb_cli_usage(err, "run", "invalid --platform '%s'", a.platform);
    if (a.network && strcmp(a.network, "none") != 0 && strcmp(a.network, "host") != 0 &&
        strcmp(a.network, "default") != 0)
        return xb_cli_usage(err, "run", "--network must be host or none");

    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return -err->code;
    if (a.max_layer != NULL && xb_cli_max_layer_size("run", a.max_layer, s, err) < 0) {
        xb_store_close(s);
        return -err->code;
    }
    int ret = -1;
    cleanup_json json_t *desc = NULL;
    cleanup_free char *probe_cache = NULL;
    xb_image_t *img = NULL;
    cleanup_strv char **cargv = NULL, **cenv = NULL;
    size_t na = 0, ne = 0;
    if (xb_store_resolve(s, image, &desc, err) < 0 ||
        xb_image_load(s, desc, a.platform ? &want : NULL, &img, err) < 0)
        goto out;
    probe_cache = xb_store_path(s, XB_ARCH_PROBE_CACHE);
    if (xb_binfmt_check(&img->platform, cli->binfmt_dir, probe_cache, a.install, err) < 0)
        goto out;
    json_t *cc = json_object_get(img->config, "config");
    if (command_argv(cc, a.entrypoint, argc, argv, optind, &cargv, &na) < 0)
        goto oom;
    if (na == 0) {
        ret = xb_error_set(err, XB_ERR_INVALID,
                           "%s: no command given and the image has no "
                           "Entrypoint or Cmd",
                           image);
        goto out;
    }
    if (command_env(cc, &a, &cenv, &ne) < 0)
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
    rq.workdir = a.workdir ? a.workdir : wd && *wd ? wd : "/";
    rq.user = a.user ? a.user : xb_json_str(cc, "User") ?: "";
    rq.network = a.network;
    rq.where = image;
    rq.host_env = cli->env;
    rq.install_binfmt = a.install;
    rq.binfmt_dir = cli->binfmt_dir;
    rq.search_path = cli->search_path;
    if (xb_cli_snapshotter(cli, "run", &rq.snapshotter, err) < 0)
        return -1;
    rq.policy = &pol;
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
