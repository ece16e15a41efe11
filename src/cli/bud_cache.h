/* bud's shared build cache flags (--cache-from, --cache-to, --cache-ttl): parsed here into the
 * library's xb_rcache_opts_t (build/cacheopts.h), so bud.c only routes the options. */
#ifndef XB_CLI_BUD_CACHE_H
#define XB_CLI_BUD_CACHE_H

#include <getopt.h>

#include "builder/cacheopts.h"
#include "util/error.h"

enum { XB_BUD_CACHE_FROM = 0x4000, XB_BUD_CACHE_TO, XB_BUD_CACHE_TTL };

#define XB_BUD_CACHE_LONGOPTS                                                                      \
    {"cache-from", required_argument, NULL, XB_BUD_CACHE_FROM},                                    \
        {"cache-to", required_argument, NULL, XB_BUD_CACHE_TO},                                    \
    {                                                                                              \
        "cache-ttl", required_argument, NULL, XB_BUD_CACHE_TTL                                     \
    }

#define XB_BUD_CACHE_USAGE                                                                         \
    "      --cache-from SRC         shared build cache to reuse steps from (repeatable): "         \
    "REG/REPO,\n"                                                                                  \
    "                               type=registry,ref=REG/REPO[:TAG][,required=true] or\n"         \
    "                               type=local,src=DIR (an OCI layout)\n"                          \
    "      --cache-to DEST          export this build's steps: REG/REPO, type=registry,\n"         \
    "                               ref=REG/REPO[:TAG][,mode=min|max][,ignore-error=BOOL] or\n"    \
    "                               type=local,dest=DIR[,mode=min|max]\n"                          \
    "      --cache-ttl DURATION     shared cache entries older than this are misses (e.g. 168h)\n"

/* Handles one of the flags above (opt: XB_BUD_CACHE_*); errors are usage errors. */
int xb_bud_cache_flag(xb_rcache_opts_t *o, int opt, const char *arg, xb_error_t *err);

#endif
