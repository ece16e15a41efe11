/* xbuild bud: the command's state while its flags are parsed (cli/bud.c, cli/bud_opts.c). */
#ifndef XB_CLI_BUD_H
#define XB_CLI_BUD_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/build.h"
#include "cli/bud_flags.h"
#include "cli/bud_cache.h"
#include "cli/bud_output.h"
#include "registry/registry.h"
#include "run/runopts.h"
#include "util/error.h"

/* A growable NULL-terminated list of borrowed strings. */
struct xb_bud_list {
    const char **v;
    size_t n;
};

enum { XB_PROGRESS_AUTO = 0, XB_PROGRESS_QUIET };

struct xb_bud {
    xb_build_opts_t o;
    xb_registry_opts_t ropts;
    xb_run_opts_t run;
    struct xb_bud_list tags, bargs, labels, secrets, ncf, env, unsetenv, annotations, contexts;
    struct xb_bud_list hosts, ulimits, volumes, cap_add, cap_drop;
    struct xb_bud_list owned;     /* strings made here (--env K from the environment); freed */
    struct xb_bud_list creds_for; /* the -t names' registries (strings in owned): --creds
                                     go only there */
    const char *max_layer;        /* --max-layer-size */
    const char *arch, *os, *variant, *platform;
    const char *iidfile, *metafile, *manifest, *logfile;
    struct xb_bud_outputs outs; /* -o/--output (cli/bud_output.c) */
    xb_rcache_opts_t rco;       /* --cache-from/--cache-to/--cache-ttl (cli/bud_cache.c) */
    bool quiet, push, help, flag_table, file_given;
};

void xb_bud_init(struct xb_bud *b);
void xb_bud_free(struct xb_bud *b);

/* Appends s (borrowed) to l; -1 when out of memory. */
int xb_bud_list_push(struct xb_bud_list *l, const char *s);

/* Applies one supported flag (f->id) with its argument (NULL when none). Usage errors name the
 * flag. */
int xb_bud_apply(struct xb_bud *b, const struct xb_bud_flag *f, const char *arg, xb_error_t *err);

/* After parsing: the positional argument (CONTEXT directory or Dockerfile), the platform
 * from --arch/--os/--variant, the lists into the option structs, cross-flag checks. */
int xb_bud_finish(struct xb_bud *b, int nargs, char **args, xb_error_t *err);

#endif
