/* Private state of the build executor (src/builder/ only). */
#ifndef XB_BUILD_INTERNAL_H
#define XB_BUILD_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "builder/build.h"
#include "builder/entries.h"
#include "dockerfile/ast.h"
#include "image/platform.h"
#include "layer/writer.h"
#include "store/store.h"
#include "util/error.h"

struct xb_bctx;
struct xb_rcache;

typedef struct xb_bstage {
    struct xb_bctx *b;
    size_t index;      /* stage number (0-based) */
    size_t first, end; /* instruction range [first, end), first is the FROM */
    char *name;        /* "AS name" (lower case) or NULL */
    bool built, building;
    json_t *config; /* image config being built */
    json_t *layers; /* layer descriptors, bottom first */
    xb_platform_t platform;
    json_t *args;      /* ARG name -> string value (json null: declared, no value) */
    xb_centries_t idx; /* rootfs index (no content) of the current state */
    bool idx_valid;
    char *cache_key; /* running cache key of the state (hex), issue 5 */
    bool no_cache;
    bool cmd_set;     /* CMD seen in this stage (ENTRYPOINT keeps it) */
    bool final_chain; /* its layers are in the final image (--cache-to mode=min) */
    char manifest_digest[XB_DIGEST_LEN];
} xb_bstage_t;

typedef struct xb_bctx {
    xb_store_t *store;
    const xb_build_opts_t *o;
    xb_dockerfile_t *df;
    xb_platform_t target; /* the platform being built */
    xb_platform_t host;   /* BUILDPLATFORM */
    char *tmpdir;         /* work dir (removed at the end) */
    xb_centries_t ctx;    /* build context index */
    bool ctx_scanned;
    struct xb_ignore *ignore; /* .dockerignore matcher */
    json_t *build_args;       /* --build-arg name -> value */
    json_t *global_args;      /* ARGs before the first FROM: name -> value/null */
    xb_bstage_t *stages;
    size_t nstages;
    int64_t created;       /* created/history time */
    xb_layer_opts_t lopts; /* with clamp */
    size_t nstages_built;
    bool multi_stage;
    bool fixed_time; /* --timestamp / SOURCE_DATE_EPOCH given */
    size_t cache_hits, cache_misses;
    char *ctx_digest;     /* digest of the whole context (RUN bind mounts), lazily */
    char *ctx_mask;       /* whiteouts of the .dockerignore'd context paths (RUN bind mounts),
                             lazily, under tmpdir; NULL when nothing is ignored */
    bool ctx_masked;      /* ctx_mask was computed */
    char *prefix;         /* progress line prefix (parallel platform builds), not owned */
    struct xb_rcache *rc; /* --cache-from/--cache-to (remotecache.h), or NULL */
} xb_bctx_t;

/* Builds the target for platform p (descriptor with platform in *desc). several: part of a
 * multi-platform build (progress and errors name the platform). (target.c) */
int xb_bx_build_one(xb_bctx_t *b, const xb_platform_t *p, bool several, json_t **desc,
                    char config_digest[XB_DIGEST_LEN], xb_error_t *err);
/* --all-platforms: the platforms of the index the target's base image is in the store as
 * (*plats: caller frees with xb_platform_list_free). (target.c) */
int xb_bx_all_platforms(xb_bctx_t *b, xb_platform_t **plats, size_t *n, xb_error_t *err);
/* Frees the per-platform state of b (stages, context index, ignore matcher); b stays usable
 * for the next platform. (target.c) */
void xb_bx_ctx_free(xb_bctx_t *b);

/* --- bctx.c: the build's shared state, below every other file of the executor --- */

/* Progress line (printf-style) through o->progress. */
void xb_bx_progress(xb_bctx_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Expands a raw word with the stage's variables (ENV over ARG); quotes removed. *out: caller
 * frees. */
int xb_bx_expand(xb_bstage_t *st, const char *word, char **out, xb_error_t *err);
/* Expands a raw word against explicit variables (object name -> value string/null). */
int xb_bx_expand_vars(xb_bctx_t *b, json_t *vars, const char *word, char **out, xb_error_t *err);
/* Expands a heredoc body (COPY/ADD <<EOF with an unquoted delimiter). */
int xb_bx_expand_heredoc(xb_bstage_t *st, const char *content, char **out, xb_error_t *err);
/* Expansion that may produce several words (EXPOSE); appends strings to out. */
int xb_bx_expand_words(xb_bstage_t *st, const char *word, json_t *out, xb_error_t *err);
/* Variables in scope for st: ARGs with a value, then ENV (ENV wins). New reference. */
json_t *xb_bx_vars(xb_bstage_t *st);

/* The earlier stages st names literally (FROM <stage>, COPY --from, RUN --mount from=); up to
 * max into out, returns how many. */
size_t xb_bx_stage_deps(xb_bctx_t *b, xb_bstage_t *st, xb_bstage_t **out, size_t max);
/* Builds the stages the target needs in parallel child processes (independent ones at once,
 * at most jobs), leaving the target itself to the caller. */
int xb_bx_stages_parallel(xb_bctx_t *b, xb_bstage_t *target, int jobs, xb_error_t *err);

/* Builds the stage unless already built: first the stages it names (FROM, and before each
 * step the stages that step names: COPY --from, RUN --mount from=), so the instruction
 * handlers find them built (xb_bx_stage_built) and never call back into stage.c. (stage.c) */
int xb_bx_stage_build(xb_bctx_t *b, xb_bstage_t *st, xb_error_t *err);
/* Finds a stage by name or index written by the user ("build", "0"); NULL when none, or a
 * stage at or after `before` (a stage may only use earlier ones). (bctx.c) */
xb_bstage_t *xb_bx_stage_find(xb_bctx_t *b, const char *ref, size_t before);
/* The stage a step uses, which stage.c built before the step: 0, or an internal error naming
 * it when it was not. (bctx.c) */
int xb_bx_stage_built(const xb_bstage_t *dep, const char *where, xb_error_t *err);
/* Appends the stage's shell (SHELL, else /bin/sh -c) to argv: the shell form of RUN, CMD,
 * ENTRYPOINT. (bctx.c) */
void xb_bx_shell(xb_bstage_t *st, json_t *argv);
/* Whether cache lookups are allowed for this stage (--no-cache, --no-cache-filter). (bctx.c) */
bool xb_bx_cache_enabled(xb_bstage_t *st);
/* Loads an image from the store (pulling per policy) for platform p: config and layers are new
 * references. (baseimage.c) */
int xb_bx_image_load(xb_bctx_t *b, const char *ref, const xb_platform_t *p, json_t **config,
                     json_t **layers, xb_error_t *err);

/* --build-context (build/namedctx.c). Checks the specs' shape (usage errors). */
int xb_bx_named_contexts_check(const xb_build_opts_t *o, xb_error_t *err);
/* The VALUE of --build-context NAME=VALUE for name (case-insensitive; the last wins), or NULL;
 * borrowed from the options. */
const char *xb_bx_named_context(const xb_bctx_t *b, const char *name);
/* The image a named context's value names (docker-image://, oci-layout://) for platform p:
 * config and layers as xb_bx_image_load; XB_ERR_UNSUPPORTED for a directory. */
int xb_bx_named_image(xb_bctx_t *b, const char *value, const xb_platform_t *p, json_t **config,
                      json_t **layers, xb_error_t *err);

/* "Dockerfile:12" (bctx.c) */
const char *xb_bx_where(xb_bctx_t *b, const xb_df_instr_t *in, char buf[], size_t n);

/* Instruction handlers (stage st, instruction in). */
int xb_bx_meta(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err);
int xb_bx_copy(xb_bstage_t *st, const xb_df_instr_t *in, bool add, xb_error_t *err);
int xb_bx_run(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err);
int xb_bx_arg(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err);

/* Scans the build context (once per build, .dockerignore applied) into b->ctx. */
int xb_bx_context_index(xb_bctx_t *b, xb_error_t *err);

/* --- stagelayers.c: a stage's layers and history, its rootfs index, writing a layer --- */

/* The rootfs index of the stage's current state (built on demand). */
int xb_bx_stage_index(xb_bstage_t *st, xb_error_t *err);
/* Appends a layer to the stage: descriptor, diff_id and history. */
int xb_bx_add_layer(xb_bstage_t *st, const xb_layer_result_t *res, const char *created_by,
                    xb_error_t *err);
/* WORKDIR abs: creates its missing directories (0755, owned by the USER) in a layer with
 * history created_by and records it in the cache: 1 layer added, 0 nothing to create. */
int xb_bx_workdir_mkdir(xb_bstage_t *st, const char *abs, const char *created_by, xb_error_t *err);
/* History entry for a metadata instruction. */
int xb_bx_add_history(xb_bstage_t *st, const char *created_by, xb_error_t *err);

#define XB_BX_CAP_MAX 256
/* The xattrs the layer record of e carries: its own (kept from an archive or a stage layer),
 * else the security.capability of its host file (context files keep their capabilities; read
 * from fd, or from e->src when fd < 0). None for hard links (the linked file has them). Fills
 * out (NULL-terminated; values point into e or cap) and returns the count. */
size_t xb_bx_entry_xattrs(const xb_centry_t *e, int fd, unsigned char cap[XB_BX_CAP_MAX],
                          xb_xattr_t out[XB_CENTRY_MAX_XATTRS + 1]);

/* Writes the sorted entries as one layer (hardlink entries name an earlier entry). */
int xb_bx_write_layer(xb_bctx_t *b, const xb_centries_t *ents, xb_layer_result_t *res,
                      xb_error_t *err);

#endif
