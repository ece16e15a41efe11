/* Helpers shared by the store commands (images, inspect, tag, rmi, prune, fsck, push). */
#ifndef XB_CLI_STORE_UTIL_H
#define XB_CLI_STORE_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "snapshot/kind.h"
#include "store/store.h"

/* XBUILD_SNAPSHOTTER (cli->snapshotter) as the library's enum: unset or "" is
 * XB_SNAP_AUTO; a value other than overlay, fuse-overlayfs or copy is a usage error. */
int xb_cli_snapshotter(const struct xb_cli *cli, const char *cmd, xb_snapshotter_t *out,
                       xb_error_t *err);
/* Opens cli->root; caller closes with xb_store_close(). */
int xb_cli_open_store(struct xb_cli *cli, xb_store_t **s, xb_error_t *err);
/* The layer size limit of s (xb_store_set_max_layer_size): flag (--max-layer-size, may be
 * NULL), else $XBUILD_MAX_LAYER_SIZE, else the default. A size is bytes with an optional
 * K/M/G/T suffix (powers of 1024; "KiB", "KB" and "k" alike). Usage error for a bad value. */
int xb_cli_max_layer_size(const char *cmd, const char *flag, xb_store_t *s, xb_error_t *err);
/* Parses such a size (> 0); -1 when invalid. */
int xb_cli_parse_size(const char *v, uint64_t *out);
/* "1.5MB"-style size (decimal units, as docker prints). */
void xb_cli_human_size(int64_t bytes, char *out, size_t outlen);
/* Prints j indented (or compact) followed by a newline. */
void xb_cli_print_json(const json_t *j, int compact);

/* For a getopt_long answer c that the command does not handle itself: 'h' (--help) prints
 * usage and returns 0 (the command is done), anything else is a usage error naming the unknown
 * option argv[optind - 1]. */
int xb_cli_other_option(const char *cmd, const char *usage, int c, char **argv, xb_error_t *err);
/* After option parsing of a command that takes no arguments: 0, or a usage error naming the
 * first argument left (argv[optind]). */
int xb_cli_no_arguments(const char *cmd, int argc, char **argv, xb_error_t *err);

/* Normalises a --platform value ("arm64", "linux/aarch64" -> "linux/arm64"); *out is NULL
 * for NULL input, else malloc'd (caller frees). Usage error for an invalid platform. */
int xb_cli_platform_arg(const char *cmd, const char *arg, char **out, xb_error_t *err);

#endif
