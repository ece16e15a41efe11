/* Registry flags of push-wasm / pull-wasm. See wasm_flags.h. */
#include "cli/wasm_flags.h"

#include <string.h>

#include "cli/cli.h"

int xb_cli_wasm_value(const char *cmd, const char *name, int argc, char **argv, int *i,
                      const char **val, xb_error_t *err)
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

int xb_cli_wasm_registry_flag(const char *cmd, int argc, char **argv, int *i, xb_registry_opts_t *o,
                              xb_error_t *err)
{
    const char *a = argv[*i], *v = NULL;
    int r;
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
    if ((r = xb_cli_wasm_value(cmd, "--creds", argc, argv, i, &v, err)) != 0) {
        o->creds = v;
        return r;
    }
    if ((r = xb_cli_wasm_value(cmd, "--authfile", argc, argv, i, &v, err)) != 0) {
        o->authfile = v;
        return r;
    }
    if ((r = xb_cli_wasm_value(cmd, "--cert-dir", argc, argv, i, &v, err)) != 0) {
        o->cert_dir = v;
        return r;
    }
    return 0;
}
