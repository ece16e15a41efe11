/* xbuild bud: what each supported flag does to the build options (cli/bud.h). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/bud.h"
#include "cli/cli.h"
#include "image/platform.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/fs.h"

int xb_bud_list_push(struct xb_bud_list *l, const char *s)
{
    const char **nv = realloc(l->v, (l->n + 2) * sizeof(*nv));
    if (nv == NULL)
        return -1;
    l->v = nv;
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
    return 0;
}

void xb_bud_init(struct xb_bud *b)
{
    memset(b, 0, sizeof *b);
    xb_build_opts_init(&b->o);
    xb_registry_opts_t r = XB_REGISTRY_OPTS_INIT;
    b->ropts = r;
    struct xb_bud_outputs outs = XB_BUD_OUTPUTS_INIT;
    b->outs = outs;
}

void xb_bud_free(struct xb_bud *b)
{
    struct xb_bud_list *all[] = {&b->tags,     &b->bargs,    &b->labels,   &b->secrets,
                                 &b->ncf,      &b->env,      &b->unsetenv, &b->annotations,
                                 &b->contexts, &b->hosts,    &b->ulimits,  &b->volumes,
                                 &b->cap_add,  &b->cap_drop, &b->creds_for};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]->v);
    for (size_t i = 0; i < b->owned.n; i++)
        free((char *)b->owned.v[i]);
    free(b->owned.v);
    xb_bud_outputs_free(&b->outs);
    xb_rcache_opts_free(&b->rco);
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

/* A bool flag's value: bare = true. -1 when not a bool. */
static int parse_bool(const char *v)
{
    if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    return -1;
}

static int bad(xb_error_t *err, const struct xb_bud_flag *f, const char *arg, const char *what)
{
    return xb_cli_usage(err, "bud", "--%s %s: %s", f->name, arg ? arg : "", what);
}

static int set_pull(struct xb_bud *b, const struct xb_bud_flag *f, const char *a, xb_error_t *err)
{
    if (a == NULL || strcmp(a, "always") == 0)
        b->o.pull_policy = XB_PULL_ALWAYS;
    else if (strcmp(a, "true") == 0 || strcmp(a, "missing") == 0 || strcmp(a, "ifmissing") == 0)
        b->o.pull_policy = XB_PULL_MISSING;
    else if (strcmp(a, "false") == 0) /* buildah: "only pull the image if not present" */
        b->o.pull_policy = XB_PULL_MISSING;
    else if (strcmp(a, "never") == 0)
        b->o.pull_policy = XB_PULL_NEVER;
    else if (strcmp(a, "newer") == 0 || strcmp(a, "ifnewer") == 0)
        b->o.pull_policy = XB_PULL_ALWAYS; /* no "if newer" check: always asks the registry */
    else
        return bad(err, f, a, "expected missing, always, never, newer, true or false");
    return 0;
}

/* --env K (no '='): the value from xbuild's environment, as buildah; unset: skipped. */
static int push_env(struct xb_bud *b, const char *a)
{
    size_t len = strlen(a);
    if (strchr(a, '=') != NULL || (len > 1 && a[len - 1] == '-'))
        return xb_bud_list_push(&b->env, a);
    const char *v = getenv(a);
    if (v == NULL)
        return 0;
    char *kv = NULL;
    if (asprintf(&kv, "%s=%s", a, v) < 0)
        return -1;
    if (xb_bud_list_push(&b->owned, kv) < 0) {
        free(kv);
        return -1;
    }
    return xb_bud_list_push(&b->env, kv);
}

/* --security-opt: what makes sense for xbuild's sandbox (buildah accepts ':' for '='). */
static int security_opt(struct xb_bud *b, const struct xb_bud_flag *f, const char *a,
                        xb_error_t *err)
{
    size_t kl = strcspn(a, "=:");
    const char *v = a[kl] ? a + kl + 1 : NULL;
#define KEY(k) (strlen(k) == kl && strncmp(a, k, kl) == 0)
    if (KEY("no-new-privileges")) {
        int on = parse_bool(v);
        if (on < 0)
            return bad(err, f, a, "expected no-new-privileges[=true|false]");
        b->run.no_new_privileges = on;
    } else if (KEY("seccomp") && v && strcmp(v, "unconfined") == 0) {
        b->run.seccomp_unconfined = true;
    } else if (KEY("seccomp")) {
        return bad(err, f, a, "custom seccomp profiles are not supported (only unconfined)");
    } else if (KEY("apparmor") && v && strcmp(v, "unconfined") == 0) {
        /* xbuild applies no AppArmor profile */
    } else if (KEY("apparmor")) {
        return bad(err, f, a, "AppArmor profiles are not supported (only unconfined)");
    } else if (KEY("label") && v && strcmp(v, "disable") == 0) {
        /* xbuild applies no SELinux label */
    } else if (KEY("label")) {
        return bad(err, f, a, "SELinux labels are not supported (only label=disable)");
    } else {
        return bad(err, f, a,
                   "not supported (no-new-privileges, seccomp=unconfined, "
                   "apparmor=unconfined, label=disable)");
    }
#undef KEY
    return 0;
}

/* Flags of the build itself. 1: not one of these. */
static int apply_build(struct xb_bud *b, const struct xb_bud_flag *f, const char *a,
                       xb_error_t *err)
{
    long long v;
    switch (f->id) {
    case O_FILE:
        b->o.dockerfile = a;
        b->file_given = true;
        return 0;
    case O_TAG:
        return xb_bud_list_push(&b->tags, a);
    case O_BUILD_ARG:
        return xb_bud_list_push(&b->bargs, a);
    case O_TARGET:
        b->o.target = a;
        return 0;
    case O_PLATFORM:
        b->platform = a;
        return 0;
    case O_ARCH:
        b->arch = a;
        return 0;
    case O_OS:
        b->os = a;
        return 0;
    case O_VARIANT:
        b->variant = a;
        return 0;
    case O_TIMESTAMP:
        if (parse_long(a, 0, (long long)1 << 40, &v) < 0)
            return bad(err, f, a, "expected Unix seconds");
        b->o.timestamp = v;
        return 0;
    case O_LABEL:
        return xb_bud_list_push(&b->labels, a);
    case O_ENV:
        return push_env(b, a);
    case O_UNSETENV:
        return xb_bud_list_push(&b->unsetenv, a);
    case O_ANNOTATION:
        return xb_bud_list_push(&b->annotations, a);
    case O_BUILD_CONTEXT:
        return xb_bud_list_push(&b->contexts, a);
    case O_NO_CACHE:
        if (parse_bool(a) < 0)
            return bad(err, f, a, "expected true or false");
        b->o.no_cache = parse_bool(a);
        return 0;
    case O_NO_CACHE_FILTER:
        return xb_bud_list_push(&b->ncf, a);
    case O_PULL:
        return set_pull(b, f, a, err);
    case O_SECRET:
        return xb_bud_list_push(&b->secrets, a);
    case O_ALL_PLATFORMS:
        if (parse_bool(a) < 0)
            return bad(err, f, a, "expected true or false");
        b->o.all_platforms = parse_bool(a);
        return 0;
    case O_JOBS:
        if (parse_long(a, 0, 64, &v) < 0)
            return bad(err, f, a, "expected a number (0..64)");
        b->o.jobs = (int)v;
        return 0;
    }
    return 1;
}

/* Flags of the layers and the output. 1: not one of these. */
static int apply_output(struct xb_bud *b, const struct xb_bud_flag *f, const char *a,
                        xb_error_t *err)
{
    long long v;
    int on;
    switch (f->id) {
    case O_COMPRESSION:
        if (xb_compression_parse(a, &b->o.layer_opts.compression, err) < 0)
            return bad(err, f, a, "expected gzip, zstd or none");
        return 0;
    case O_COMPRESSION_LEVEL:
        if (parse_long(a, 0, 22, &v) < 0)
            return bad(err, f, a, "expected 0..22");
        b->o.layer_opts.level = (int)v;
        return 0;
    case O_DISABLE_COMPRESSION:
        if ((on = parse_bool(a)) < 0)
            return bad(err, f, a, "expected true or false");
        if (on)
            b->o.layer_opts.compression = XB_COMPRESSION_NONE;
        return 0;
    case O_FORMAT:
        if (strcmp(a, "oci") != 0 && strcmp(a, "docker") != 0)
            return bad(err, f, a, "expected oci or docker");
        b->o.format = a;
        return 0;
    case O_IIDFILE:
        b->iidfile = a;
        return 0;
    case O_METADATA:
        b->metafile = a;
        return 0;
    case O_MANIFEST:
        b->manifest = a;
        return 0;
    case O_LOGFILE:
        b->logfile = a;
        return 0;
    case O_OUTPUT:
        return xb_bud_output_add(&b->outs, a, err);
    case O_QUIET:
        b->quiet = true;
        return 0;
    case O_PROGRESS:
        if (strcmp(a, "quiet") == 0)
            b->quiet = true;
        else if (strcmp(a, "rawjson") == 0)
            return bad(err, f, a, "not supported yet (auto, plain, tty or quiet)");
        else if (strcmp(a, "auto") != 0 && strcmp(a, "plain") != 0 && strcmp(a, "tty") != 0)
            return bad(err, f, a, "expected auto, plain, tty, quiet");
        return 0;
    case O_PUSH:
        if ((on = parse_bool(a)) < 0)
            return bad(err, f, a, "expected true or false");
        b->push = on;
        return 0;
    case O_LOAD:
        return parse_bool(a) < 0 ? bad(err, f, a, "expected true or false") : 0;
    case O_ATTEST_SHORT:
        if (a != NULL && parse_bool(a) == 0)
            return 0;
        return xb_cli_usage(err, "bud", "--%s%s%s is not supported: %s", f->name, a ? "=" : "",
                            a ? a : "", f->note);
    case O_ATTEST:
        if (strstr(a, "disabled=true") != NULL)
            return 0;
        return xb_cli_usage(err, "bud",
                            "--attest %s is not supported: attestations (SBOM, provenance) are "
                            "not produced yet",
                            a);
    }
    return 1;
}

/* Flags of RUN, registries and the command itself. */
static int apply_other(struct xb_bud *b, const struct xb_bud_flag *f, const char *a,
                       xb_error_t *err)
{
    int on;
    switch (f->id) {
    case O_NETWORK:
        if (strcmp(a, "default") != 0 && strcmp(a, "none") != 0 && strcmp(a, "host") != 0 &&
            strcmp(a, "private") != 0)
            return bad(err, f, a, "expected default, none or host");
        b->o.network = strcmp(a, "private") == 0 ? "default" : a;
        return 0;
    case O_ADD_HOST:
        return xb_bud_list_push(&b->hosts, a);
    case O_ULIMIT:
        return xb_bud_list_push(&b->ulimits, a);
    case O_VOLUME:
        return xb_bud_list_push(&b->volumes, a);
    case O_CAP_ADD:
        return xb_bud_list_push(&b->cap_add, a);
    case O_CAP_DROP:
        return xb_bud_list_push(&b->cap_drop, a);
    case O_SECURITY_OPT:
        return security_opt(b, f, a, err);
    case O_INSTALL_BINFMT: /* the run module registers a missing handler before a RUN */
        b->o.install_binfmt = true;
        return 0;
    case O_TLS_VERIFY:
        if ((on = parse_bool(a)) < 0)
            return bad(err, f, a, "expected true or false");
        b->ropts.tls_verify = on;
        return 0;
    case O_CREDS:
        b->ropts.creds = a;
        return 0;
    case O_AUTHFILE:
        b->ropts.authfile = a;
        return 0;
    case O_CERT_DIR:
        b->ropts.cert_dir = a;
        return 0;
    case O_MAX_LAYER_SIZE:
        b->max_layer = a;
        return 0;
    case O_CACHE_FROM:
        return xb_bud_cache_flag(&b->rco, XB_BUD_CACHE_FROM, a, err);
    case O_CACHE_TO:
        return xb_bud_cache_flag(&b->rco, XB_BUD_CACHE_TO, a, err);
    case O_CACHE_TTL:
        return xb_bud_cache_flag(&b->rco, XB_BUD_CACHE_TTL, a, err);
    case O_HELP:
        b->help = true;
        return 0;
    case O_FLAG_TABLE:
        b->flag_table = true;
        return 0;
    }
    return xb_error_set(err, XB_ERR_INTERNAL, "bud: --%s has no handler", f->name);
}

int xb_bud_apply(struct xb_bud *b, const struct xb_bud_flag *f, const char *arg, xb_error_t *err)
{
    int r = apply_build(b, f, arg, err);
    if (r == 1)
        r = apply_output(b, f, arg, err);
    if (r == 1)
        r = apply_other(b, f, arg, err);
    if (r == -1 && err->code == 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return r;
}

/* The positional argument: a directory is the context; a file is the Dockerfile and its
 * directory the context (buildah); URLs and "-" (buildx) are refused with the reason. */
static int positional(struct xb_bud *b, int nargs, char **args, xb_error_t *err)
{
    if (nargs > 1)
        return xb_cli_usage(err, "bud", "too many arguments (one CONTEXT directory or Dockerfile)");
    const char *a = nargs == 1 ? args[0] : ".";
    if (strcmp(a, "-") == 0)
        return xb_cli_usage(err, "bud",
                            "a context from standard input is not supported (use -f - with a "
                            "CONTEXT directory)");
    if (strstr(a, "://") != NULL || strncmp(a, "git@", 4) == 0)
        return xb_cli_usage(err, "bud",
                            "%s: remote (Git/HTTP) contexts are not supported; clone or download "
                            "it and give the directory",
                            a);
    struct stat st;
    if (nargs == 1 && stat(a, &st) == 0 && !S_ISDIR(st.st_mode)) {
        if (b->file_given)
            return xb_cli_usage(err, "bud",
                                "%s is a file and -f is given: give CONTEXT as a "
                                "directory",
                                a);
        char *copy = strdup(a), *dir = copy ? dirname(copy) : NULL;
        char *ctx = dir ? strdup(dir) : NULL;
        free(copy);
        if (ctx == NULL || xb_bud_list_push(&b->owned, ctx) < 0) {
            free(ctx);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        b->o.dockerfile = a;
        b->o.context_dir = ctx;
        return 0;
    }
    b->o.context_dir = a;
    return 0;
}

static int platform_of_parts(struct xb_bud *b, xb_error_t *err)
{
    if (b->platform != NULL && (b->arch || b->os || b->variant))
        return xb_cli_usage(err, "bud", "--platform cannot be combined with --arch/--os/--variant");
    if (b->arch || b->os || b->variant) {
        cleanup_platform xb_platform_t host = XB_PLATFORM_INIT;
        if (xb_platform_host(&host, err) < 0)
            return -1;
        char *p = NULL;
        if (asprintf(&p, "%s/%s%s%s", b->os ? b->os : "linux", b->arch ? b->arch : host.arch,
                     b->variant ? "/" : "", b->variant ? b->variant : "") < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (xb_bud_list_push(&b->owned, p) < 0) {
            free(p);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        b->platform = p;
    }
    if (b->o.all_platforms && b->platform != NULL)
        return xb_cli_usage(err, "bud",
                            "--all-platforms cannot be combined with --platform/--arch");
    b->o.platforms = b->platform;
    return 0;
}

static int run_opts(struct xb_bud *b, xb_error_t *err)
{
    b->run.add_hosts = b->hosts.v;
    b->run.ulimits = b->ulimits.v;
    b->run.volumes = b->volumes.v;
    b->run.cap_add = b->cap_add.v;
    b->run.cap_drop = b->cap_drop.v;
    if (xb_run_opts_check(&b->run, err) < 0) {
        err->code = XB_ERR_USAGE;
        return -XB_ERR_USAGE;
    }
    for (size_t i = 0; i < b->volumes.n; i++) {
        const char *v = b->volumes.v[i];
        cleanup_free char *host = strndup(v, strcspn(v, ":"));
        if (host == NULL || access(host, F_OK) < 0)
            return xb_cli_usage(err, "bud", "--volume %s: %s does not exist", v, host ? host : v);
    }
    b->o.run_opts = &b->run;
    return 0;
}

int xb_bud_finish(struct xb_bud *b, int nargs, char **args, xb_error_t *err)
{
    if (positional(b, nargs, args, err) < 0 || platform_of_parts(b, err) < 0 ||
        run_opts(b, err) < 0)
        return -1;
    if (b->push && b->tags.n == 0)
        return xb_cli_usage(err, "bud", "--push needs at least one -t REGISTRY/REPO[:TAG]");
    for (size_t i = 0; b->manifest != NULL && i < b->tags.n; i++)
        if (strcmp(b->tags.v[i], b->manifest) == 0)
            return xb_cli_usage(err, "bud", "--manifest %s: the same name as a -t tag",
                                b->manifest);
    /* --creds go only to the registries the -t names are on, never to a third-party FROM */
    for (size_t i = 0; b->ropts.creds != NULL && i < b->tags.n; i++) {
        xb_reference_t *ref = NULL;
        xb_error_t e2 = XB_ERROR_INIT;
        char *host = NULL;
        if (xb_reference_parse(b->tags.v[i], &ref, &e2) == 0)
            host = strdup(ref->registry);
        xb_reference_free(ref);
        xb_error_clear(&e2);
        if (host != NULL &&
            (xb_bud_list_push(&b->owned, host) < 0 || xb_bud_list_push(&b->creds_for, host) < 0))
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (b->ropts.creds != NULL) {
        if (b->creds_for.v == NULL && xb_bud_list_push(&b->creds_for, NULL) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        b->ropts.creds_for = b->creds_for.v;
    }
    b->o.tags = b->tags.v;
    b->o.ntags = b->tags.n;
    b->o.build_args = b->bargs.v;
    b->o.nbuild_args = b->bargs.n;
    b->o.labels = b->labels.v;
    b->o.nlabels = b->labels.n;
    b->o.secrets = b->secrets.v;
    b->o.nsecrets = b->secrets.n;
    b->o.no_cache_stages = b->ncf.v;
    b->o.nno_cache_stages = b->ncf.n;
    b->o.env = b->env.v;
    b->o.nenv = b->env.n;
    b->o.unsetenv = b->unsetenv.v;
    b->o.nunsetenv = b->unsetenv.n;
    b->o.annotations = b->annotations.v;
    b->o.nannotations = b->annotations.n;
    b->o.contexts = b->contexts.v;
    b->o.ncontexts = b->contexts.n;
    return 0;
}
