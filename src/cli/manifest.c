/* xbuild manifest create|add|annotate|inspect|push|rm: image indexes in the local store. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/registry_flags.h"
#include "image/manifest_list.h"
#include "image/mediatype.h"
#include "registry/mlist_remote.h"
#include "store/images.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char USAGE[] =
    "Usage: xbuild manifest COMMAND ...\n"
    "Create, edit, inspect and push image indexes (OCI image index / Docker manifest list).\n"
    "\n"
    "  create NAME [REF...] [--all] [--amend] [--format oci|docker] [--annotation K=V]\n"
    "  create --push -t DEST [-t DEST...] REF... [--format oci|docker] [--annotation K=V]\n"
    "               [--digestfile F]   one shot, no local name (buildx imagetools create):\n"
    "                                  every entry of an index REF is taken\n"
    "  add NAME REF [--all] [--os OS] [--arch ARCH] [--variant V] [--os-version V]\n"
    "               [--os-features F] [--annotation K=V]\n"
    "  annotate NAME DIGEST|REF [--os OS] [--arch ARCH] [--variant V] [--os-version V]\n"
    "               [--os-features F] [--annotation K=V] [--index]\n"
    "  remove NAME DIGEST|REF      remove one entry from the index\n"
    "  inspect NAME|REF            print the index (local, else remote) as JSON\n"
    "  push NAME DEST [--all] [--digestfile F] [--rm]\n"
    "  rm NAME...                  remove indexes from the local store\n"
    "\n"
    "REF is a local image, or a remote one (docker://registry/repo:tag or @sha256:..., or a\n"
    "bare registry/repo reference). Of a remote image only the manifest and config are\n"
    "fetched; its layers stay in its repository: `manifest push` mounts them into another\n"
    "repository of the same registry, or streams them to another registry.\n"
    "Before a push every entry needs a known platform, each platform once; `create` refuses\n"
    "two REFs of the same platform (`add` replaces the entry of that platform).\n"
    "Adding an index adds the entry matching --os/--arch (default: this machine) or, with\n"
    "--all, every entry. The platform of an entry comes from its image config unless given.\n"
    "\n"
    "Registry options (add, create, inspect, push):\n" XB_REGISTRY_FLAGS_HELP;

struct mopts {
    bool all, amend, docker, index_level, rm_after, push, strict;
    char **tags; /* --push -t DEST, NULL-terminated */
    size_t n_tags;
    struct xb_mlist_entry_opts e;
    char **ann; /* NULL-terminated */
    size_t n_ann;
    char **feat;
    size_t n_feat;
    const char *digestfile;
    xb_registry_opts_t remote;
};

static void mopts_free(struct mopts *o)
{
    for (size_t i = 0; i < o->n_ann; i++)
        free(o->ann[i]);
    free(o->ann);
    for (size_t i = 0; i < o->n_feat; i++)
        free(o->feat[i]);
    free(o->feat);
    for (size_t i = 0; i < o->n_tags; i++)
        free(o->tags[i]);
    free(o->tags);
}

static int strv_push(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof(char *));
    if (nv == NULL)
        return -1;
    *v = nv;
    nv[*n] = strdup(s);
    nv[++*n] = NULL;
    return nv[*n - 1] ? 0 : -1;
}

enum {
    O_ALL = 256,
    O_AMEND,
    O_FORMAT,
    O_OS,
    O_ARCH,
    O_VARIANT,
    O_OSVER,
    O_OSFEAT,
    O_ANN,
    O_INDEX,
    O_DIGESTFILE,
    O_RM,
    O_PUSH,
};

static const struct option LONG[] = {
    {"help", no_argument, NULL, 'h'},
    {"all", no_argument, NULL, O_ALL},
    {"amend", no_argument, NULL, O_AMEND},
    {"format", required_argument, NULL, O_FORMAT},
    {"os", required_argument, NULL, O_OS},
    {"arch", required_argument, NULL, O_ARCH},
    {"variant", required_argument, NULL, O_VARIANT},
    {"os-version", required_argument, NULL, O_OSVER},
    {"os-features", required_argument, NULL, O_OSFEAT},
    {"annotation", required_argument, NULL, O_ANN},
    {"index", no_argument, NULL, O_INDEX},
    {"digestfile", required_argument, NULL, O_DIGESTFILE},
    {"rm", no_argument, NULL, O_RM},
    {"push", no_argument, NULL, O_PUSH},
    {"tag", required_argument, NULL, 't'},
    {NULL, 0, NULL, 0},
};

static int usage(xb_error_t *err, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage(xb_error_t *err, const char *sub, const char *fmt, ...)
{
    cleanup_free char *m = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&m, fmt, ap);
    va_end(ap);
    return xb_cli_usage(err, "manifest", "%s: %s", sub, n >= 0 ? m : "invalid usage");
}

/* Parses the flags of a subcommand (argv[0] is its name). Returns the first positional index,
 * 0 for --help, or a negative error. */
static int parse(const char *sub, int argc, char **argv, struct mopts *o, xb_error_t *err)
{
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "ht:", LONG, NULL)) != -1) {
        switch (c) {
        case 'h':
            return 0;
        case O_ALL:
            o->all = true;
            break;
        case O_AMEND:
            o->amend = true;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "docker") == 0 || strcmp(optarg, "v2s2") == 0)
                o->docker = true;
            else if (strcmp(optarg, "oci") == 0)
                o->docker = false;
            else
                return usage(err, sub, "--format must be oci or docker");
            break;
        case O_OS:
            o->e.os = optarg;
            break;
        case O_ARCH:
            o->e.arch = optarg;
            break;
        case O_VARIANT:
            o->e.variant = optarg;
            break;
        case O_OSVER:
            o->e.os_version = optarg;
            break;
        case O_OSFEAT:
            if (strv_push(&o->feat, &o->n_feat, optarg) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            o->e.os_features = (const char *const *)o->feat;
            break;
        case O_ANN:
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                return usage(err, sub, "--annotation needs KEY=VALUE");
            if (strv_push(&o->ann, &o->n_ann, optarg) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            o->e.annotations = (const char *const *)o->ann;
            break;
        case O_INDEX:
            o->index_level = true;
            break;
        case O_DIGESTFILE:
            o->digestfile = optarg;
            break;
        case O_RM:
            o->rm_after = true;
            break;
        case O_PUSH:
            o->push = true;
            break;
        case 't':
            if (strv_push(&o->tags, &o->n_tags, optarg) < 0)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            break;
        default:
            return usage(err, sub, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    return optind;
}

/* A reference names a remote image when it says docker:// or is not a local image. */
static bool is_remote(xb_store_t *s, const char *ref, json_t **local)
{
    if (strncmp(ref, "docker://", 9) == 0)
        return true;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    return xb_store_resolve(s, ref, local, &e) < 0;
}

/* Adds REF's image(s) to index. */
static int add_ref(xb_store_t *s, json_t *index, const char *ref, struct mopts *o, xb_error_t *err)
{
    cleanup_platform xb_platform_t want = XB_PLATFORM_INIT;
    if (o->e.arch != NULL) {
        cleanup_free char *spec = NULL;
        if (asprintf(&spec, "%s/%s%s%s", o->e.os ? o->e.os : "linux", o->e.arch,
                     o->e.variant ? "/" : "", o->e.variant ? o->e.variant : "") < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (xb_platform_parse(spec, &want, err) < 0)
            return -err->code;
    }
    const xb_platform_t *w = o->e.arch ? &want : NULL;
    cleanup_json json_t *desc = NULL;
    if (is_remote(s, ref, &desc)) {
        if (xb_mlist_fetch_remote(s, ref, o->all, w, &o->remote, &desc, err) < 0)
            return xb_error_wrap(err, "%s", ref);
    }
    cleanup_json json_t *children = NULL;
    if (xb_mlist_children_of(s, desc, o->all, w, &children, err) < 0)
        return xb_error_wrap(err, "%s", ref);
    const char *imt = xb_json_str(index, "mediaType");
    bool docker = imt != NULL && strcmp(imt, XB_MT_DOCKER_MANIFEST_LIST) == 0;
    /* with --all, platform flags would make every entry the same platform */
    struct xb_mlist_entry_opts only_ann = {.annotations = o->e.annotations};
    size_t i;
    json_t *c;
    json_array_foreach(children, i, c)
    {
        if (xb_mlist_apply_opts(c, o->all ? &only_ann : &o->e, err) < 0)
            return -err->code;
        if (docker && json_object_get(c, "platform") == NULL)
            return xb_error_set(err, XB_ERR_INVALID,
                                "%s: a Docker manifest list needs a platform for every entry "
                                "(give --os and --arch)",
                                ref);
        int clash = o->strict ? xb_mlist_platform_clash(index, c) : -1;
        if (clash >= 0) {
            cleanup_free char *p = xb_platform_json_format(json_object_get(c, "platform"));
            return xb_error_set(
                err, XB_ERR_INVALID,
                "%s: platform %s is listed twice (%s and %s): give each platform once", ref, p,
                xb_json_str(json_array_get(json_object_get(index, "manifests"), (size_t)clash),
                            "digest"),
                xb_json_str(c, "digest"));
        }
        if (xb_mlist_put(index, c, err) < 0)
            return -err->code;
    }
    return 0;
}

/* create --push -t DEST... REF...: the index is built, checked and pushed without a name. */
static int create_push(xb_store_t *s, int argc, char **argv, int first, struct mopts *o,
                       xb_error_t *err)
{
    if (o->n_tags == 0)
        return usage(err, "create", "--push needs at least one -t DEST");
    if (argc - first < 1)
        return usage(err, "create", "--push needs at least one REF");
    cleanup_json json_t *index =
        xb_index_new(o->docker ? XB_MT_DOCKER_MANIFEST_LIST : XB_MT_OCI_INDEX);
    if (xb_mlist_annotate_index(index, o->e.annotations, err) < 0)
        return -err->code;
    struct mopts child = *o;
    child.e.annotations = NULL;
    child.all = true; /* as buildx imagetools create: every image of an index REF */
    child.strict = true;
    for (int i = first; i < argc; i++)
        if (add_ref(s, index, argv[i], &child, err) < 0)
            return -err->code;
    if (xb_mlist_check_platforms(index, "the new index", err) < 0)
        return -err->code;
    char dg[XB_DIGEST_LEN] = "";
    for (size_t t = 0; t < o->n_tags; t++)
        if (xb_mlist_push_index(s, index, o->tags[t], &o->remote, dg, err) < 0)
            return -err->code;
    if (o->digestfile != NULL && xb_write_file_atomic(o->digestfile, dg, strlen(dg), 0644, err) < 0)
        return -err->code;
    printf("%s\n", dg);
    return 0;
}

/* Saves the list NAME and prints its digest (what create, add, annotate and remove print). */
static int save_list(xb_store_t *s, const char *name, json_t *index, xb_error_t *err)
{
    char dg[XB_DIGEST_LEN];
    if (xb_mlist_save(s, name, index, dg, err) < 0)
        return -err->code;
    printf("%s\n", dg);
    return 0;
}

static int cmd_create(xb_store_t *s, int argc, char **argv, int first, struct mopts *o,
                      xb_error_t *err)
{
    if (o->push)
        return create_push(s, argc, argv, first, o, err);
    if (o->n_tags > 0)
        return usage(err, "create", "-t DEST goes with --push");
    if (argc - first < 1)
        return usage(err, "create", "needs NAME");
    const char *name = argv[first];
    cleanup_json json_t *index = NULL;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    if (xb_mlist_load(s, name, &index, NULL, &e) == 0) {
        if (!o->amend)
            return xb_error_set(err, XB_ERR_EXISTS,
                                "an index named %s exists already (use --amend to modify it)",
                                name);
    } else if (e.code != XB_ERR_NOT_FOUND) {
        xb_error_move(err, &e);
        return -err->code;
    } else {
        index = xb_index_new(o->docker ? XB_MT_DOCKER_MANIFEST_LIST : XB_MT_OCI_INDEX);
    }
    if (xb_mlist_annotate_index(index, o->e.annotations, err) < 0)
        return -err->code;
    struct mopts child = *o;
    child.e.annotations = NULL;
    child.strict = !o->amend; /* two REFs of one platform: an error, not a silent replacement */
    for (int i = first + 1; i < argc; i++)
        if (add_ref(s, index, argv[i], &child, err) < 0)
            return -err->code;
    return save_list(s, name, index, err);
}

static int cmd_add(xb_store_t *s, int argc, char **argv, int first, struct mopts *o,
                   xb_error_t *err)
{
    if (argc - first != 2)
        return usage(err, "add", "needs NAME and REF");
    cleanup_json json_t *index = NULL;
    if (xb_mlist_load(s, argv[first], &index, NULL, err) < 0)
        return -err->code;
    if (add_ref(s, index, argv[first + 1], o, err) < 0)
        return -err->code;
    return save_list(s, argv[first], index, err);
}

/* The digest an annotate/remove argument names: a digest (prefix) or an image reference. */
static int entry_of(xb_store_t *s, json_t *index, const char *what, xb_error_t *err)
{
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    int i = xb_mlist_find(index, what, &e);
    if (i >= 0)
        return i;
    const char *at = strstr(what, "@sha256:");
    if (at != NULL) {
        xb_error_clear(&e);
        if ((i = xb_mlist_find(index, at + 1, &e)) >= 0)
            return i;
    }
    cleanup_json json_t *desc = NULL;
    if (strncmp(what, "docker://", 9) != 0 && xb_store_resolve(s, what, &desc, err) == 0) {
        const char *dg = xb_json_str(desc, "digest");
        return xb_mlist_find(index, dg ? dg : "", err);
    }
    xb_error_move(err, &e);
    return -err->code;
}

static int cmd_annotate(xb_store_t *s, int argc, char **argv, int first, struct mopts *o,
                        bool remove, xb_error_t *err)
{
    const char *sub = remove ? "remove" : "annotate";
    if (argc - first != (o->index_level ? 1 : 2))
        return usage(err, sub, "needs NAME%s",
                     o->index_level ? " (and no entry with --index)" : " and DIGEST|REF");
    cleanup_json json_t *index = NULL;
    if (xb_mlist_load(s, argv[first], &index, NULL, err) < 0)
        return -err->code;
    if (o->index_level) {
        if (xb_mlist_annotate_index(index, o->e.annotations, err) < 0)
            return -err->code;
    } else {
        int i = entry_of(s, index, argv[first + 1], err);
        if (i < 0)
            return xb_error_wrap(err, "%s", argv[first]);
        json_t *m = json_object_get(index, "manifests");
        if (remove)
            json_array_remove(m, (size_t)i);
        else if (xb_mlist_apply_opts(json_array_get(m, (size_t)i), &o->e, err) < 0)
            return -err->code;
    }
    return save_list(s, argv[first], index, err);
}

static int cmd_inspect(xb_store_t *s, int argc, char **argv, int first, struct mopts *o,
                       xb_error_t *err)
{
    if (argc - first != 1)
        return usage(err, "inspect", "needs NAME or REF");
    const char *ref = argv[first];
    cleanup_json json_t *desc = NULL;
    cleanup_json json_t *j = NULL;
    if (!is_remote(s, ref, &desc)) {
        const char *dg = xb_json_str(desc, "digest");
        if (dg == NULL || xb_store_read_json(s, dg, &j, err) < 0)
            return xb_error_wrap(err, "%s", ref);
    } else {
        cleanup_free char *raw = NULL;
        size_t len = 0;
        if (xb_mlist_inspect_remote(ref, &o->remote, &raw, &len, err) < 0)
            return xb_error_wrap(err, "%s", ref);
        if (xb_json_parse(raw, len, ref, &j, err) < 0)
            return -err->code;
    }
    cleanup_free char *out = xb_mlist_pretty(j);
    if (out == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    printf("%s\n", out);
    return 0;
}

static int cmd_push(xb_store_t *s, int argc, char **argv, int first, struct mopts *o,
                    xb_error_t *err)
{
    if (argc - first != 2)
        return usage(err, "push", "needs NAME and DEST");
    char dg[XB_DIGEST_LEN];
    /* --all is the default: the children live in the store (remote ones were fetched), and a
     * registry rejects an index whose manifests it does not have. */
    if (xb_mlist_push(s, argv[first], argv[first + 1], &o->remote, dg, err) < 0)
        return -err->code;
    if (o->digestfile != NULL && xb_write_file_atomic(o->digestfile, dg, strlen(dg), 0644, err) < 0)
        return -err->code;
    if (o->rm_after && xb_store_ref_delete(s, argv[first], err) < 0)
        return -err->code;
    printf("%s\n", dg);
    return 0;
}

static int cmd_rm(xb_store_t *s, int argc, char **argv, int first, xb_error_t *err)
{
    if (argc - first < 1)
        return usage(err, "rm", "needs NAME");
    for (int i = first; i < argc; i++) {
        cleanup_json json_t *desc = NULL;
        if (xb_mlist_load(s, argv[i], NULL, NULL, err) < 0)
            return -err->code;
        if (xb_store_resolve(s, argv[i], &desc, err) < 0)
            return -err->code;
        const char *name =
            xb_json_str(json_object_get(desc, "annotations"), "org.opencontainers.image.ref.name");
        if (xb_store_ref_delete(s, name ? name : argv[i], err) < 0)
            return -err->code;
        printf("%s\n", xb_json_str(desc, "digest"));
    }
    return 0;
}

XB_CMD(manifest)
{
    if (argc < 2)
        return xb_cli_usage(err, "manifest", "missing subcommand");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0)
        return xb_cli_help(USAGE);
    static const char *const subs[] = {"create",  "add",  "annotate", "remove",
                                       "inspect", "push", "rm",       NULL};
    bool known = false;
    for (const char *const *p = subs; *p; p++)
        known = known || strcmp(*p, sub) == 0;
    if (!known)
        return xb_cli_usage(err, "manifest", "unknown subcommand '%s'", sub);

    struct mopts o = {0};
    o.remote = (xb_registry_opts_t)XB_REGISTRY_OPTS_INIT;
    xb_cli_registry_env(cli, &o.remote);
    /* registry flags first (shared with pull/push), the rest through getopt */
    cleanup_free char **av = calloc((size_t)argc + 1, sizeof(char *));
    if (av == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int ac = 0;
    av[ac++] = argv[1];
    int r;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                av[ac++] = argv[i++];
            break;
        }
        if ((r = xb_cli_registry_flag(&o.remote, argc, argv, &i, "manifest", err)) < 0)
            return r;
        if (r == 0)
            av[ac++] = argv[i];
    }
    av[ac] = NULL;
    int first = parse(sub, ac, av, &o, err);
    if (first <= 0) {
        r = first == 0 ? xb_cli_help(USAGE) : first;
        mopts_free(&o);
        return r;
    }
    xb_store_t *s = NULL;
    if ((r = xb_store_open(cli->root, &s, err)) < 0) {
        mopts_free(&o);
        return r;
    }
    if (strcmp(sub, "create") == 0)
        r = cmd_create(s, ac, av, first, &o, err);
    else if (strcmp(sub, "add") == 0)
        r = cmd_add(s, ac, av, first, &o, err);
    else if (strcmp(sub, "annotate") == 0)
        r = cmd_annotate(s, ac, av, first, &o, false, err);
    else if (strcmp(sub, "remove") == 0)
        r = cmd_annotate(s, ac, av, first, &o, true, err);
    else if (strcmp(sub, "inspect") == 0)
        r = cmd_inspect(s, ac, av, first, &o, err);
    else if (strcmp(sub, "push") == 0)
        r = cmd_push(s, ac, av, first, &o, err);
    else
        r = cmd_rm(s, ac, av, first, err);
    xb_store_close(s);
    mopts_free(&o);
    return r;
}
