#include "cli/registry_flags.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int xb_cli_flag_value(const char *name, int argc, char **argv, int *i, const char **val,
                      const char *cmd, xb_error_t *err)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return xb_cli_usage(err, cmd, "%s needs a value", name);
    *val = argv[++*i];
    return 1;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < lo || x > hi)
        return -1;
    *out = (int)x;
    return 0;
}

int xb_cli_registry_flag(xb_registry_opts_t *o, int argc, char **argv, int *i, const char *cmd,
                         xb_error_t *err)
{
    const char *a = argv[*i], *v = NULL;
    int rc;
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
        o->quiet = true;
        return 1;
    }
    if (strcmp(a, "--tls-verify") == 0) {
        o->tls_verify = 1;
        return 1;
    }
    if (strncmp(a, "--tls-verify=", 13) == 0) {
        v = a + 13;
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
            o->tls_verify = 1;
        else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
            o->tls_verify = 0;
        else
            return xb_cli_usage(err, cmd, "--tls-verify takes true or false, not '%s'", v);
        return 1;
    }
    if ((rc = xb_cli_flag_value("--creds", argc, argv, i, &v, cmd, err)) != 0) {
        if (rc > 0)
            o->creds = v;
        return rc;
    }
    if ((rc = xb_cli_flag_value("--authfile", argc, argv, i, &v, cmd, err)) != 0) {
        if (rc > 0)
            o->authfile = v;
        return rc;
    }
    if ((rc = xb_cli_flag_value("--cert-dir", argc, argv, i, &v, cmd, err)) != 0) {
        if (rc > 0)
            o->cert_dir = v;
        return rc;
    }
    if ((rc = xb_cli_flag_value("--retry", argc, argv, i, &v, cmd, err)) != 0) {
        if (rc > 0 && parse_int(v, 0, 100, &o->retries) < 0)
            return xb_cli_usage(err, cmd, "--retry takes a number from 0 to 100, not '%s'", v);
        return rc;
    }
    if ((rc = xb_cli_flag_value("--jobs", argc, argv, i, &v, cmd, err)) != 0) {
        if (rc > 0 && parse_int(v, 1, 64, &o->jobs) < 0)
            return xb_cli_usage(err, cmd, "--jobs takes a number from 1 to 64, not '%s'", v);
        return rc;
    }
    return 0;
}

void xb_cli_registry_env(const struct xb_cli *cli, xb_registry_opts_t *o)
{
    o->env = cli->env;
    long long v = cli->chunk_size ? atoll(cli->chunk_size) : 0;
    if (v > 0)
        o->chunk_size = v;
}
