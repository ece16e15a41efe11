/* xbuild login / logout: verify credentials against a registry and store them (mode 0600). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/registry_flags.h"
#include "image/reference.h"
#include "registry/client.h"
#include "registry/creds.h"
#include "util/buf.h"
#include "util/cleanup.h"

static const char login_usage[] =
    "Usage: xbuild login [OPTIONS] REGISTRY\n"
    "\n"
    "Check credentials against REGISTRY (GET /v2/ with them) and store them in the auth file.\n"
    "\n"
    "Options:\n"
    "  -u, --username USER   user name (prompted for on a terminal when missing)\n"
    "  -p, --password PASS   password (visible in the process list: prefer --password-stdin)\n"
    "  --password-stdin      read the password from standard input\n"
    "  --authfile FILE       auth file to write (default: $REGISTRY_AUTH_FILE,\n"
    "                        $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)\n"
    "  --tls-verify[=BOOL]   verify TLS certificates (default true)\n"
    "  --cert-dir DIR        CA certificates and client certificate for the registry\n";

static const char logout_usage[] = "Usage: xbuild logout [--authfile FILE] REGISTRY | --all\n"
                                   "\n"
                                   "Remove stored credentials for REGISTRY (or all of them).\n";

/* "https://host:5000/v2/" -> "host:5000"; docker.io aliases -> docker.io. Caller frees. */
static char *registry_arg(const char *a, xb_error_t *err)
{
    const char *p = strstr(a, "://");
    p = p ? p + 3 : a;
    cleanup_free char *h = strndup(p, strcspn(p, "/"));
    if (h == NULL || *h == '\0') {
        xb_error_set(err, XB_ERR_USAGE, "invalid registry \"%s\"", a);
        return NULL;
    }
    if (strcmp(h, "index.docker.io") == 0 || strcmp(h, "registry-1.docker.io") == 0) {
        free(h);
        h = strdup("docker.io");
    }
    cleanup_free char *probe = NULL;
    if (asprintf(&probe, "%s/probe", h) < 0)
        return NULL;
    cleanup_reference xb_reference_t *ref = NULL;
    if (xb_reference_parse(probe, &ref, err) < 0)
        return NULL;
    if (strcmp(ref->registry, h) != 0) {
        xb_error_set(err, XB_ERR_USAGE,
                     "\"%s\" is not a registry host (want e.g. quay.io or localhost:5000)", a);
        return NULL;
    }
    return steal_pointer(&h);
}

static char *read_line(FILE *f, bool secret)
{
    struct termios old, now;
    bool tty = secret && isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0;
    if (tty) {
        now = old;
        now.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(f), TCSAFLUSH, &now);
    }
    xb_buf_t b = XB_BUF_INIT;
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n' && b.len < 4096)
        xb_buf_putc(&b, (char)c);
    if (tty) {
        tcsetattr(fileno(f), TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    while (b.len > 0 && b.data[b.len - 1] == '\r')
        b.data[--b.len] = '\0';
    return xb_buf_steal(&b);
}

XB_CMD(login)
{
    (void)cli;
    xb_registry_opts_t o = XB_REGISTRY_OPTS_INIT;
    xb_cli_registry_env(cli, &o);
    const char *user = NULL, *pass = NULL, *reg = NULL;
    bool pass_stdin = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return xb_cli_help(login_usage);
        if (strcmp(a, "--password-stdin") == 0) {
            pass_stdin = true;
            continue;
        }
        if ((rc = xb_cli_flag_value("--username", argc, argv, &i, &user, "login", err)) != 0 ||
            (rc = xb_cli_flag_value("-u", argc, argv, &i, &user, "login", err)) != 0 ||
            (rc = xb_cli_flag_value("--password", argc, argv, &i, &pass, "login", err)) != 0 ||
            (rc = xb_cli_flag_value("-p", argc, argv, &i, &pass, "login", err)) != 0 ||
            (rc = xb_cli_registry_flag(&o, argc, argv, &i, "login", err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if (a[0] == '-')
            return xb_cli_usage(err, "login", "unknown option '%s'", a);
        if (reg)
            return xb_cli_usage(err, "login", "one registry at a time");
        reg = a;
    }
    if (reg == NULL)
        return xb_cli_usage(err, "login", "missing the registry");
    if (o.creds)
        return xb_cli_usage(err, "login", "use -u/-p or --password-stdin, not --creds");
    if (pass && pass_stdin)
        return xb_cli_usage(err, "login", "--password and --password-stdin are exclusive");
    cleanup_free char *host = registry_arg(reg, err);
    if (host == NULL)
        return err->code == XB_ERR_USAGE ? xb_cli_usage(err, "login", "%s", err->msg) : -err->code;
    cleanup_free char *user_buf = NULL, *pass_buf = NULL;
    if (user == NULL) {
        if (!isatty(0) || pass_stdin)
            return xb_cli_usage(err, "login", "missing --username");
        fprintf(stderr, "Username: ");
        user = user_buf = read_line(stdin, false);
    }
    if (pass == NULL) {
        if (!pass_stdin && !isatty(0))
            return xb_cli_usage(err, "login", "missing --password or --password-stdin");
        if (!pass_stdin)
            fprintf(stderr, "Password: ");
        pass = pass_buf = read_line(stdin, !pass_stdin);
    }
    if (user == NULL || *user == '\0' || pass == NULL)
        return xb_cli_usage(err, "login", "empty user name");
    cleanup_free char *creds = NULL, *probe = NULL;
    if (asprintf(&creds, "%s:%s", user, pass) < 0 || asprintf(&probe, "%s/probe", host) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    o.creds = creds;
    o.quiet = true;
    cleanup_reference xb_reference_t *ref = NULL;
    if (xb_reference_parse(probe, &ref, err) < 0)
        return -err->code;
    xb_registry_t *r = NULL;
    int rc = xb_registry_open(ref, &o, false, &r, err);
    if (rc >= 0)
        rc = xb_registry_check_auth(r, err);
    xb_registry_close(r);
    if (rc >= 0) {
        cleanup_free char *file = xb_creds_default_authfile(o.authfile, cli->env);
        if (file == NULL)
            rc = xb_error_set(err, XB_ERR_INVALID, "no auth file location (set --authfile)");
        else
            rc = xb_creds_store(file, host, user, pass, err);
    }
    explicit_bzero(creds, strlen(creds));
    if (pass_buf)
        explicit_bzero(pass_buf, strlen(pass_buf));
    if (rc < 0)
        return rc;
    printf("Login Succeeded!\n");
    return 0;
}

XB_CMD(logout)
{
    (void)cli;
    const char *authfile = NULL, *reg = NULL;
    bool all = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return xb_cli_help(logout_usage);
        if (strcmp(a, "--all") == 0 || strcmp(a, "-a") == 0) {
            all = true;
            continue;
        }
        if ((rc = xb_cli_flag_value("--authfile", argc, argv, &i, &authfile, "logout", err)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if (a[0] == '-')
            return xb_cli_usage(err, "logout", "unknown option '%s'", a);
        if (reg)
            return xb_cli_usage(err, "logout", "one registry at a time");
        reg = a;
    }
    if (all == (reg != NULL))
        return xb_cli_usage(err, "logout", "give a registry or --all");
    cleanup_free char *host = NULL;
    if (reg && (host = registry_arg(reg, err)) == NULL)
        return err->code == XB_ERR_USAGE ? xb_cli_usage(err, "logout", "%s", err->msg) : -err->code;
    cleanup_free char *file = xb_creds_default_authfile(authfile, cli->env);
    if (file == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "no auth file location (set --authfile)");
    int rc = xb_creds_remove(file, host, err);
    if (rc < 0)
        return rc;
    if (rc == 0 && host)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "not logged in to %s (in %s)", host, file);
    if (host)
        printf("Removed login credentials for %s\n", host);
    else
        printf("Removed all login credentials\n");
    return 0;
}
