/* Help and usage errors, shared by every command. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

int xb_cli_help(const char *text)
{
    fputs(text, stdout);
    return 0;
}

int xb_cli_usage(xb_error_t *err, const char *cmd, const char *fmt, ...)
{
    char *m = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&m, fmt, ap);
    va_end(ap);
    int r = xb_error_set(err, XB_ERR_USAGE, "%s (see 'xbuild %s --help')",
                         n >= 0 ? m : "invalid usage", cmd);
    free(m);
    return r;
}
