/* xbuild: main. Resolves global options, dispatches to a command, prints the final error and
 * maps it to the exit code (0 ok, 1 failure, 2 usage). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "run/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static const char usage_head[] =
    "Usage: xbuild [--root DIR] [--debug] COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "A daemonless builder of OCI images for other CPU architectures.\n"
    "\n"
    "Global options (accepted before or after COMMAND):\n"
    "  --root DIR   store location (default: $XBUILD_ROOT, /var/lib/xbuild as root,\n"
    "               ~/.local/share/xbuild otherwise)\n"
    "  --debug      verbose diagnostics (secrets are never printed)\n"
    "  --version    print the version\n"
    "\n"
    "Commands:\n";

static void log_to_stderr(int level, const char *msg, void *ud)
{
    (void)ud;
    const char *prefix = level == XB_LOG_ERROR   ? "error: "
                         : level == XB_LOG_WARN  ? "warning: "
                         : level == XB_LOG_DEBUG ? "debug: "
                                                 : "";
    fprintf(stderr, "%s%s\n", prefix, msg);
}

static void print_usage(FILE *f)
{
    fputs(usage_head, f);
    for (const struct xb_command *c = xb_commands; c->name; c++)
        if (c->summary)
            fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fputs("\nRun 'xbuild COMMAND --help' for a command's options.\n", f);
}

static char *default_root(void)
{
    const char *env = getenv("XBUILD_ROOT");
    if (env && *env)
        return strdup(env);
    if (geteuid() == 0)
        return strdup("/var/lib/xbuild");
    const char *xdg = getenv("XDG_DATA_HOME");
    char *r = NULL;
    if (xdg && *xdg) {
        if (asprintf(&r, "%s/xbuild", xdg) < 0)
            return NULL;
    } else {
        const char *home = getenv("HOME");
        if (asprintf(&r, "%s/.local/share/xbuild", home ? home : ".") < 0)
            return NULL;
    }
    return r;
}

/* Commands that touch extracted layers or run containers: as an ordinary user they run in a
 * user namespace (run/userns.h), entered here while the process is single-threaded (info
 * shows what the others see). The others (pull, push, manifest, push-wasm, fsck, images, ...)
 * read and write only blobs and index.json, which belong to the user anyway. */
static bool needs_userns(const char *cmd)
{
    static const char *const names[] = {"bud", "build", "run", "prune", "info", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(cmd, names[i]) == 0)
            return true;
    return false;
}

/* XBUILD_USERNS_KEEP: seconds (0 to 86400) a kept namespace's holder outlives the last command
 * that started in it; default 300. */
static int userns_seconds(const char *v, unsigned *out, xb_error_t *err)
{
    *out = 300;
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end != '\0' || *v == '-' || n > 86400)
        return xb_error_set(err, XB_ERR_USAGE,
                            "XBUILD_USERNS_KEEP=%s: not a number of seconds from 0 (keep no "
                            "namespace) to 86400",
                            v);
    *out = (unsigned)n;
    return 0;
}

/* Whether argv widens the RUN sandbox (--privileged, --cap-add, --security-opt, or an
 * abbreviation getopt_long would take for one): what such a container may change in its user
 * namespace (binfmt_misc handlers, the user.* sysctls, keyrings) would reach every later command
 * joining it, outside its sandbox. Such a command neither joins nor keeps a namespace. A false
 * match (an option's value, the container's own arguments) only costs a new namespace. */
static bool widens_sandbox(int argc, char **argv)
{
    static const char *const names[] = {"--privileged", "--cap-add", "--security-opt", NULL};
    for (int i = 2; i < argc; i++) {
        size_t n = strcspn(argv[i], "=");
        for (size_t k = 0; n > 2 && names[k]; k++)
            if (n <= strlen(names[k]) && strncmp(argv[i], names[k], n) == 0)
                return true;
    }
    return false;
}

static int enter_userns(struct xb_cli *cli, bool widened, xb_error_t *err)
{
    xb_userns_plan_t plan;
    xb_userns_entry_t how;
    xb_userns_keep_t keep = {.record = cli->userns_record, .self = "/proc/self/exe"};
    if (userns_seconds(cli->userns_keep, &keep.seconds, err) < 0 ||
        xb_userns_plan(getuid(), getgid(), NULL, NULL, &plan, err) < 0 ||
        xb_userns_enter(&plan, widened ? NULL : &keep, &how, err) < 0)
        return -1;
    if (widened) {
        keep.seconds = 0;
        if (plan.nuids == 2)
            xb_debug("rootless: --privileged/--cap-add/--security-opt: a user namespace of its "
                     "own, neither joined nor kept (its containers could change it for the "
                     "commands after)");
    }
    cli->rootless = true;
    cli->subids = plan.nuids == 2;
    cli->userns_seconds = keep.seconds;
    cli->userns_joined = how.joined;
    if (*how.why)
        xb_debug("rootless: %s", how.why);
    if (how.joined)
        xb_debug("rootless: joined the user namespace kept by process %d", how.joined);
    else if (plan.nuids == 2)
        xb_debug("rootless: user namespace, uids 0->%lu, 1-%lu->%lu, gids 0->%lu, 1-%lu->%lu",
                 plan.uids[0].outside, plan.uids[1].count, plan.uids[1].outside,
                 plan.gids[0].outside, plan.gids[1].count, plan.gids[1].outside);
    else
        xb_debug("rootless: user namespace, only uid 0->%lu and gid 0->%lu (no subordinate "
                 "range for %s in /etc/subuid and /etc/subgid)",
                 plan.uids[0].outside, plan.gids[0].outside, *plan.user ? plan.user : "this user");
    if (how.holder)
        xb_debug("rootless: process %d keeps the namespace for the next commands (it exits "
                 "after %u s without one; XBUILD_USERNS_KEEP)",
                 how.holder, keep.seconds);
    return 0;
}

/* Pulls the global options out of argv wherever they are (before "--" only); returns the new
 * argc. */
static int pull_global_options(struct xb_cli *cli, int argc, char **argv)
{
    int n = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[n++] = argv[i++];
            break;
        }
        if (strcmp(a, "--root") == 0 && i + 1 < argc) {
            cli->root = argv[++i];
        } else if (strncmp(a, "--root=", 7) == 0) {
            cli->root = a + 7;
        } else if (strcmp(a, "--debug") == 0) {
            cli->debug = true;
        } else {
            argv[n++] = argv[i];
        }
    }
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    /* a kept user namespace's holder (run/userns.h), re-executed by a rootless command */
    if (argc == 4 && strcmp(argv[1], XB_USERNS_HOLDER_CMD) == 0)
        return xb_userns_hold(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
    extern char **environ;
    /* the environment xbuild was started with: what lookups and children see (cli.env) */
    size_t nenv = 0;
    while (environ[nenv] != NULL)
        nenv++;
    cleanup_free const char **user_env = calloc(nenv + 1, sizeof *user_env);
    if (user_env == NULL)
        return 1;
    memcpy(user_env, environ, nenv * sizeof *user_env);
    /* libcurl.so.4 pulls in GnuTLS (through librtmp), whose constructor would initialise
     * itself when libcurl is loaded (~0.8 MB resident). libcurl initialises its TLS library
     * explicitly, so the implicit init is skipped. Set in this process only, before any
     * thread exists; a setting of the user's wins (docs/environment.md, docs/design/lazy.md). */
    setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0);
    struct xb_cli cli = {
        .env = user_env,
        .binfmt_dir = getenv("XBUILD_BINFMT_DIR"),
        .snapshotter = getenv("XBUILD_SNAPSHOTTER"),
        .search_path = getenv("PATH"),
        .gzip_engine = getenv("XBUILD_GZIP_ENGINE"),
        .chunk_size = getenv("XBUILD_CHUNK_SIZE"),
        .source_date_epoch = getenv("SOURCE_DATE_EPOCH"),
        .userns_keep = getenv("XBUILD_USERNS_KEEP"),
    };
    cleanup_free char *root = NULL;
    argc = pull_global_options(&cli, argc, argv);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("xbuild %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (cli.root == NULL) {
        root = default_root();
        cli.root = root ? root : "/var/lib/xbuild";
    }
    /* One absolute store root for every command: the sandbox mounts below it after chdir and
     * pivot_root, where a relative path means something else. */
    cleanup_free char *abs_root = NULL;
    if (cli.root[0] != '/') {
        cleanup_free char *cwd = getcwd(NULL, 0);
        if (cwd == NULL || (abs_root = xb_path_join(cwd, cli.root)) == NULL) {
            fprintf(stderr, "xbuild: cannot make the store root '%s' absolute: %s\n", cli.root,
                    cwd == NULL ? strerror(errno) : "out of memory");
            return 1;
        }
        cli.root = abs_root;
    }
    cleanup_free char *userns_record = xb_path_join(cli.root, "xbuild/userns");
    cli.userns_record = userns_record;
    signal(SIGPIPE, SIG_IGN);
    xb_log_set_handler(log_to_stderr, NULL, cli.debug ? XB_LOG_DEBUG : XB_LOG_INFO);

    const struct xb_command *cmd = xb_cli_find(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "xbuild: unknown command '%s' (see 'xbuild --help')\n", argv[1]);
        return 2;
    }
    xb_error_t err = XB_ERROR_INIT;
    int r = 0;
    bool help = argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
    if (geteuid() != 0 && !help && needs_userns(argv[1]))
        r = enter_userns(&cli, widens_sandbox(argc, argv), &err);
    if (r >= 0)
        r = cmd->fn(&cli, argc - 1, argv + 1, &err);
    fflush(stdout);
    if (r >= 0)
        return 0;
    fprintf(stderr, "xbuild %s: %s\n", argv[1], err.msg ? err.msg : "failed");
    int code = err.code == XB_ERR_USAGE ? 2 : 1;
    xb_error_clear(&err);
    return code;
}
