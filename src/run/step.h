/* Running a command on top of an image's layers: the RUN step of a build (xb_run_step: the
 * change becomes a layer) and `xbuild run` (throwaway upper dir). */
#ifndef XB_RUN_STEP_H
#define XB_RUN_STEP_H

#include <jansson.h>
#include <stdbool.h>

#include "image/platform.h"
#include "layer/writer.h"
#include "snapshot/kind.h"
#include "store/store.h"
#include "util/error.h"

/* Looks up an earlier stage (name or index) or an image for RUN --mount=from=X.
 * On success *layers (array of layer descriptors) and *diff_ids (array of strings) are new
 * references the caller json_decref()s. XB_ERR_NOT_FOUND when there is no such stage/image. */
typedef int (*xb_stage_lookup_fn)(void *ud, const char *stage, json_t **layers, json_t **diff_ids,
                                  xb_error_t *err);

typedef struct xb_run_request {
    xb_store_t *store;
    const xb_platform_t *platform;
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
    const char *context_mask;        /* NULL, or a directory of overlay whiteouts (char 0/0)
                                        at the context's .dockerignore'd paths, laid over
                                        context_dir so a bind mount shows what COPY sees */
    xb_stage_lookup_fn stage_lookup; /* from=<stage> for bind mounts */
    void *stage_lookup_ud;
    const char *const *secrets; /* id=X,src=F|env=V specs from --secret; NULL-terminated,
                                   may be NULL */
    const char *script;         /* RUN <<EOF whose body starts with "#!": the body, mounted 0755 at
                                   /dev/pipes/<script_name> (BuildKit); NULL otherwise */
    const char *script_name;    /* the heredoc's delimiter */
    const xb_layer_opts_t *layer_opts;      /* compression, timestamp clamp */
    const struct xb_sandbox_policy *policy; /* capabilities, seccomp, devices (run/policy.h);
                                               NULL = the default hardened policy */
    const struct xb_run_opts *run_opts;     /* build-wide RUN settings (run/runopts.h), or NULL */
    const char *where;                      /* "Dockerfile:12" for error messages */
    const char *const *host_env;  /* xbuild's own environment ("K=V", NULL-terminated, may be
                                     NULL): where --secret env=V values come from */
    bool install_binfmt;          /* register a missing binfmt_misc handler (--install-binfmt) */
    const char *binfmt_dir;       /* binfmt_misc mount; NULL: /proc/sys/fs/binfmt_misc */
    xb_snapshotter_t snapshotter; /* XB_SNAP_AUTO (probe) or a forced one (XBUILD_SNAPSHOTTER;
                                     run/snapshotter.h) */
    const char *search_path;      /* where fuse-overlayfs is looked up (the CLI's $PATH) */
} xb_run_request_t;

/* Runs the step of a build (xb_run_execute with commit): on success fills *out with the new
 * layer (already stored in the store) or sets *empty = true when the step changed nothing (out
 * untouched then). */
int xb_run_step(const xb_run_request_t *rq, xb_layer_result_t *out, bool *empty, xb_error_t *err);

/* Runs rq. With commit, a command exiting non-zero is an error ("Dockerfile:N: RUN ...
 * exited with code X") and the change is written as a layer into *out (or *empty = true);
 * without commit nothing is kept and *exit_status gets the command's status.
 * exit_status, out and empty may be NULL when unused. */
int xb_run_execute(const xb_run_request_t *rq, bool commit, xb_layer_result_t *out, bool *empty,
                   int *exit_status, xb_error_t *err);

/* Checks (or with install, registers) the binfmt_misc handler for a platform; platforms the
 * kernel runs natively (as probed, see run/archprobe.h; probe_cache may be NULL) pass. dir: the
 * binfmt_misc mount (NULL: /proc/sys/fs/binfmt_misc). The error names the architecture and the
 * command that fixes it. */
int xb_binfmt_check(const xb_platform_t *p, const char *dir, const char *probe_cache, bool install,
                    xb_error_t *err);

#endif
