/* Hooks the build executor calls into optional modules (weak symbols): the RUN step (src/run/)
 * and the registry pull (src/registry/). When a module is not linked in the symbol is NULL and
 * the executor reports a clear error instead.
 *
 * The types come from the layer and image modules; they are named by struct tag here so this
 * header stays usable before those headers exist:
 *   struct xb_platform     = xb_platform_t     (image/platform.h)
 *   struct xb_layer_opts   = xb_layer_opts_t   (layer/writer.h)
 *   struct xb_layer_result = xb_layer_result_t (layer/writer.h)
 */
#ifndef XB_BUILD_HOOKS_H
#define XB_BUILD_HOOKS_H

#include <jansson.h>
#include <stdbool.h>

#include "store/store.h"
#include "util/error.h"

struct xb_platform;
struct xb_layer_opts;
struct xb_layer_result;

/* Looks up an earlier stage (name or index) or an image for RUN --mount=from=X.
 * On success *layers (array of layer descriptors) and *diff_ids (array of strings) are new
 * references the caller json_decref()s. XB_ERR_NOT_FOUND when there is no such stage/image. */
typedef int (*xb_stage_lookup_fn)(void *ud, const char *stage, json_t **layers, json_t **diff_ids,
                                  xb_error_t *err);

typedef struct xb_run_request {
    xb_store_t *store;
    const struct xb_platform *platform;
    json_t *layers;       /* array of the parent image's layer descriptors (mediaType, digest, size)
                             in order, bottom first (borrowed) */
    json_t *diff_ids;     /* matching config rootfs.diff_ids (borrowed) */
    char **argv;          /* full argv to exec, NULL-terminated (shell form already wrapped with
                             SHELL, e.g. {"/bin/sh","-c","cmd"}) */
    char **env;           /* KEY=VALUE, NULL-terminated: image Env + ARGs in scope */
    const char *workdir;  /* absolute, may not exist yet */
    const char *user;     /* "" / name / uid[:gid] */
    const char *hostname; /* may be NULL */
    const char *const *mounts;       /* raw --mount specs as written, already variable-expanded;
                                        NULL-terminated, may be NULL */
    const char *network;             /* NULL/"default", "none", "host" */
    const char *context_dir;         /* build context (for bind mounts) */
    xb_stage_lookup_fn stage_lookup; /* from=<stage> for bind mounts */
    void *stage_lookup_ud;
    const char *const *secrets; /* id=X,src=F|env=V specs from --secret; NULL-terminated,
                                   may be NULL */
    const char *script;         /* RUN <<EOF whose body starts with "#!": the body, mounted 0755 at
                                   /dev/pipes/<script_name> (BuildKit); NULL otherwise */
    const char *script_name;    /* the heredoc's delimiter */
    const struct xb_layer_opts *layer_opts; /* compression, timestamp clamp */
    const char *where;                      /* "Dockerfile:12" for error messages */
} xb_run_request_t;

/* Runs the step; on success fills *out with the new layer (already stored in the store) or sets
 * *empty = true when the step changed nothing (out untouched then). */
int xb_run_step(const xb_run_request_t *rq, struct xb_layer_result *out, bool *empty,
                xb_error_t *err) __attribute__((weak));

/* Pulls ref for platform p into the store (registry module). pull_policy: XB_PULL_*, optionally
 * | XB_PULL_EXTRACT (a RUN will use the image: extract its layers while they download).
 * On success *descriptor is the platform's manifest descriptor (caller json_decref()s). */
enum { XB_PULL_MISSING = 0, XB_PULL_ALWAYS = 1, XB_PULL_NEVER = 2, XB_PULL_EXTRACT = 0x100 };
int xb_registry_pull(xb_store_t *s, const char *ref, const struct xb_platform *p, int pull_policy,
                     json_t **descriptor, xb_error_t *err) __attribute__((weak));

#endif
