#include "cli/store_util.h"

#include "image/platform.h"
#include "run/snapshotter.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xb_cli_open_store(struct xb_cli *cli, xb_store_t **s, xb_error_t *err)
{
    if (xb_store_open(cli->root, s, err) < 0)
        return -1;
    if (xb_cli_max_layer_size(NULL, NULL, *s, err) < 0) {
        xb_store_close(*s);
        *s = NULL;
        return -1;
    }
    return 0;
}

int xb_cli_parse_size(const char *v, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno != 0 || end == v)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    default:
        return -1;
    }
    if (*end != '\0') {
        end++;
        if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0 &&
            strcmp(end, "i") != 0)
            return -1;
    }
    if (n == 0 || (shift && n > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)n << shift;
    return 0;
}

int xb_cli_max_layer_size(const char *cmd, const char *flag, xb_store_t *s, xb_error_t *err)
{
    const char *v = flag ? flag : getenv("XBUILD_MAX_LAYER_SIZE");
    if (v == NULL || *v == '\0')
        return 0;
    uint64_t n;
    if (xb_cli_parse_size(v, &n) < 0) {
        if (flag != NULL)
            return xb_cli_usage(err, cmd ? cmd : "xbuild",
                                "--max-layer-size takes a size such as 64G or 500M, not '%s'", v);
        return xb_error_set(err, XB_ERR_USAGE,
                            "XBUILD_MAX_LAYER_SIZE takes a size such as 64G or 500M, not '%s'", v);
    }
    xb_store_set_max_layer_size(s, n);
    return 0;
}

void xb_cli_human_size(int64_t bytes, char *out, size_t outlen)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1000.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(out, outlen, "%lldB", (long long)bytes);
    else
        snprintf(out, outlen, "%.3g%s", v, units[u]);
}

void xb_cli_print_json(const json_t *j, int compact)
{
    char *s = json_dumps(j, (compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER |
                                JSON_ENCODE_ANY);
    if (s != NULL) {
        puts(s);
        free(s);
    }
}

int xb_cli_platform_arg(const char *cmd, const char *arg, char **out, xb_error_t *err)
{
    *out = NULL;
    if (arg == NULL)
        return 0;
    xb_platform_t p = XB_PLATFORM_INIT;
    if (xb_platform_parse(arg, &p, err) < 0)
        return xb_cli_usage(err, cmd, "--platform %s: %s", arg, err->msg ? err->msg : "invalid");
    *out = xb_platform_format(&p);
    xb_platform_free(&p);
    return *out ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

int xb_cli_other_option(const char *cmd, const char *usage, int c, char **argv, xb_error_t *err)
{
    if (c == 'h')
        return xb_cli_help(usage);
    return xb_cli_usage(err, cmd, "unknown option '%s'", argv[optind - 1]);
}

int xb_cli_no_arguments(const char *cmd, int argc, char **argv, xb_error_t *err)
{
    if (optind < argc)
        return xb_cli_usage(err, cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

int xb_cli_snapshotter(const struct xb_cli *cli, const char *cmd, xb_snapshotter_t *out,
                       xb_error_t *err)
{
    if (xb_snapshotter_parse(cli->snapshotter, out) < 0)
        return xb_cli_usage(err, cmd,
                            "XBUILD_SNAPSHOTTER='%s' is not a snapshotter: overlay, "
                            "fuse-overlayfs or copy (unset: the first that works)",
                            cli->snapshotter);
    return 0;
}
