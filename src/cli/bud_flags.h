/* The flags of `xbuild bud` / `xbuild build`: one table holding every flag of `buildah bud`
 * (buildah 1.28) and of `docker buildx build`, plus xbuild's own, each with what xbuild does
 * with it: supported, accepted and ignored (with the reason and, where only some values are
 * harmless, which), or refused (with the reason). The table builds the getopt_long tables, gives
 * the ignore/refusal messages, and is printed by `xbuild bud --flag-table`, from which
 * scripts/gen-flag-table.sh generates docs/flags.md (checked by tests/integration/
 * parity-flags-doc.sh). A flag is never "unknown" when buildah or buildx document it.
 *
 * To implement a refused flag: give it an O_* id and XB_FLAG_SUPPORTED here and handle the id
 * in cli/bud_opts.c. */
#ifndef XB_CLI_BUD_FLAGS_H
#define XB_CLI_BUD_FLAGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

enum xb_bud_flag_status { XB_FLAG_SUPPORTED, XB_FLAG_IGNORED, XB_FLAG_REFUSED };

/* Which tools document the flag (0: xbuild's own). */
enum { XB_FROM_BUILDAH = 1, XB_FROM_BUILDX = 2 };

/* What bud.c does for a supported flag. */
enum xb_bud_opt {
    O_NONE = 0,
    O_FILE,
    O_TAG,
    O_BUILD_ARG,
    O_TARGET,
    O_PLATFORM,
    O_ARCH,
    O_OS,
    O_VARIANT,
    O_TIMESTAMP,
    O_LABEL,
    O_IIDFILE,
    O_METADATA,
    O_QUIET,
    O_NO_CACHE,
    O_NO_CACHE_FILTER,
    O_PULL,
    O_SECRET,
    O_NETWORK,
    O_COMPRESSION,
    O_COMPRESSION_LEVEL,
    O_DISABLE_COMPRESSION,
    O_FORMAT,
    O_JOBS,
    O_PUSH,
    O_LOAD,
    O_ALL_PLATFORMS,
    O_TLS_VERIFY,
    O_CREDS,
    O_AUTHFILE,
    O_CERT_DIR,
    O_MAX_LAYER_SIZE,
    O_INSTALL_BINFMT,
    O_HELP,
    O_FLAG_TABLE,
    O_ADD_HOST,
    O_ULIMIT,
    O_ENV,
    O_UNSETENV,
    O_VOLUME,
    O_CAP_ADD,
    O_CAP_DROP,
    O_SECURITY_OPT,
    O_MANIFEST,
    O_ANNOTATION,
    O_BUILD_CONTEXT,
    O_PROGRESS,
    O_ATTEST_SHORT, /* --provenance / --sbom: only false */
    O_ATTEST,
    O_LOGFILE,
    O_OUTPUT,
    O_CACHE_FROM,
    O_CACHE_TO,
    O_CACHE_TTL,
};

struct xb_bud_flag {
    const char *name;    /* long name, without "--" */
    char shortopt;       /* 0 or the one-letter form */
    int arg;             /* no_argument, required_argument or optional_argument */
    unsigned from;       /* XB_FROM_* bits */
    int status;          /* XB_FLAG_* */
    int id;              /* XB_FLAG_SUPPORTED: an O_* value */
    const char *ok;      /* XB_FLAG_IGNORED: the values accepted, "a|b" ("true" for a bare bool
                            flag); NULL: any. Other values are refused with note. */
    bool quiet;          /* XB_FLAG_IGNORED: no note on stderr (xbuild behaves that way anyway) */
    const char *argname; /* for the docs: "VALUE" */
    const char *note;    /* what xbuild does / why ignored / why refused */
};

extern const struct xb_bud_flag xb_bud_flags[];
extern const size_t xb_bud_nflags;

/* getopt_long tables built from xb_bud_flags; a long option returns XB_BUD_VAL + its index. */
#define XB_BUD_VAL 1000
struct xb_bud_getopt {
    struct option *longopts; /* owned */
    char shortopts[64];
};
int xb_bud_getopt_init(struct xb_bud_getopt *g, xb_error_t *err);
void xb_bud_getopt_free(struct xb_bud_getopt *g);

/* The flag getopt_long returned c for (a short option or XB_BUD_VAL + index); NULL for '?'. */
const struct xb_bud_flag *xb_bud_flag_of(int c);

/* An ignored or refused flag with its argument (NULL when none): 0 when accepted (a note goes
 * to stderr unless the flag is quiet or quiet is set), else a usage error naming the flag and
 * the reason. */
int xb_bud_flag_unsupported(const struct xb_bud_flag *f, const char *arg, bool quiet,
                            xb_error_t *err);

/* The table as tab-separated lines: name, short, argument, tools, status, accepted values,
 * note (for scripts/gen-flag-table.sh). */
void xb_bud_flags_print(FILE *out);

#endif
