/* RUN --mount specs (type=bind|cache|tmpfs|secret) and --secret lookups. */
#ifndef XB_RUN_MOUNTS_H
#define XB_RUN_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

enum xb_run_mount_type { XB_MOUNT_BIND = 0, XB_MOUNT_CACHE, XB_MOUNT_TMPFS, XB_MOUNT_SECRET };

typedef struct xb_run_mount {
    int type;
    char *target; /* cleaned, relative to the container root ("" never) */
    char *source; /* bind: path in the context/stage (cleaned); cache: subpath */
    char *from;   /* bind/cache: stage or image name, NULL = build context */
    char *id;     /* cache: default target; secret: required */
    char *env;    /* secret: also (or, without a target, only) this environment variable */
    bool readonly;
    bool required;  /* secret */
    bool exec;      /* secret-like file that may be executed (a RUN heredoc script) */
    long mode;      /* -1 default */
    long uid, gid;  /* -1 default */
    long long size; /* tmpfs bytes, 0 = default */
    /* filled by the step before the sandbox starts */
    char *src_root; /* bind from the context, cache: host dir the source resolves in */
    char *src_rel;  /* ... and the path inside it (resolved in the sandbox namespace) */
    char *lowerdir; /* bind from a stage: overlay lowerdir of that stage */
    char *data;     /* secret content (never written to disk) */
    size_t len;
} xb_run_mount_t;

/* Parses "type=cache,target=/root/.cache,id=x,..." (key=value pairs separated by commas;
 * "ro"/"readonly"/"rw" may stand alone). The target must be absolute-or-relative inside the
 * container; ".." above the root is refused. *m is initialised by this call; free it with
 * xb_run_mount_clear(). */
int xb_run_mount_parse(const char *spec, xb_run_mount_t *m, xb_error_t *err);
void xb_run_mount_clear(xb_run_mount_t *m);

/* Finds the secret id in specs ("id=X,src=FILE" or "id=X,env=VAR"; "src"/"source" and "type"
 * are accepted) and reads its value (max 1 MiB); env=VAR is looked up in env ("K=V" array,
 * the caller's environment; NULL: none). *found false when no spec has that id.
 * *data: caller frees (and should wipe). */
int xb_secret_lookup(const char *const *specs, const char *const *env, const char *id, char **data,
                     size_t *len, bool *found, xb_error_t *err);

#endif
