/* The build executor: Dockerfile + context -> image(s) in the store.
 *
 * One call builds everything: parse the Dockerfile, work out the stages the target needs, walk
 * their instructions for each requested platform (FROM, COPY/ADD into layers, RUN through the
 * run module, metadata into the config and history), commit the image (one manifest, or an
 * OCI index / Docker manifest list for several platforms) and tag it.
 *
 * Untagged builds: like buildah, an image built without -t is kept, under the name
 * "localhost/xbuild-<first 12 hex digits of the digest>:latest" so that `xbuild prune` does
 * not collect it; `xbuild rmi` removes it. */
#ifndef XB_BUILD_BUILD_H
#define XB_BUILD_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layer/writer.h"
#include "registry/client.h"
#include "snapshot/kind.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/error.h"

/* Progress lines for the CLI ("STEP 2/5: COPY a /b", ...); the library never prints. */
typedef void (*xb_build_progress_fn)(void *ud, const char *line);

struct xb_run_opts;

typedef struct xb_build_opts {
    const char *context_dir; /* required */
    const char *dockerfile;  /* NULL: CONTEXT/Dockerfile, else CONTEXT/Containerfile */
    const char *const *tags; /* image names to tag the result with */
    size_t ntags;
    const char *const *build_args; /* "K=V" (a bare "K" takes the value from the env) */
    size_t nbuild_args;
    const char *target;        /* stage name or index; NULL: the last stage */
    const char *platforms;     /* NULL: host; "os/arch[/v]" or a comma-separated list */
    bool all_platforms;        /* every platform of the base image's index (--all-platforms) */
    int64_t timestamp;         /* -1: none; else created/history times and mtime clamp */
    const char *const *labels; /* "K=V" added to the final image */
    size_t nlabels;
    xb_layer_opts_t layer_opts; /* compression; clamp_mtime is set from timestamp */
    bool no_cache;
    const char *const *no_cache_stages; /* --no-cache-filter */
    size_t nno_cache_stages;
    int pull_policy;                         /* XB_PULL_* of registry/client.h */
    const struct xb_registry_opts *registry; /* FROM pulls and ADD <url>: credentials, TLS,
                                                retries; NULL: defaults */
    const char *const *secrets;              /* --secret specs, NULL-terminated (or NULL) */
    size_t nsecrets;
    const char *network;    /* RUN default network; NULL: "default" */
    const char *format;     /* "oci" (default) or "docker" */
    int jobs;               /* platforms built at once; <= 0: the number of CPUs */
    const char *const *env; /* --env: "K=V" set, "K-" removed, in the final image's config */
    size_t nenv;
    const char *const *unsetenv; /* --unsetenv K: removed from the final image's config */
    size_t nunsetenv;
    const char *const *annotations; /* --annotation "[TYPE[,TYPE][[os/arch]]:]K=V", TYPE one of
                                       manifest (default), index, manifest-descriptor,
                                       index-descriptor (build/annotate.c) */
    size_t nannotations;
    const char *const *contexts; /* --build-context "NAME=DIR", "NAME=docker-image://REF",
                                    "NAME=oci-layout://DIR[:TAG|@sha256:HEX]" (build/namedctx.c) */
    size_t ncontexts;
    const struct xb_run_opts *run_opts;        /* every RUN step's extra settings (run/runopts.h) */
    const struct xb_rcache_opts *remote_cache; /* --cache-from/--cache-to (cacheopts.h) */
    xb_build_progress_fn progress;
    void *progress_ud;
    const char *const *host_env;  /* the caller's environment ("K=V", NULL-terminated, may be NULL):
                                     values of bare --build-arg K and --secret env=V */
    bool install_binfmt;          /* RUN registers a missing binfmt_misc handler */
    const char *binfmt_dir;       /* NULL: /proc/sys/fs/binfmt_misc */
    xb_snapshotter_t snapshotter; /* XB_SNAP_AUTO, or forced (XB_SNAP_COPY: RUN never mounts
                                     overlays, and pulls extract no layers) */
    const char *search_path;      /* where fuse-overlayfs is looked up (the CLI's $PATH) */
} xb_build_opts_t;

void xb_build_opts_init(xb_build_opts_t *o);

typedef struct xb_build_result {
    char digest[XB_DIGEST_LEN];        /* manifest digest (single platform) or index digest */
    char config_digest[XB_DIGEST_LEN]; /* single platform: the config (image ID); else "" */
    char *name;                        /* the first name it is stored under (owned) */
    bool index;                        /* true when an index/manifest list was written */
    json_t *metadata;                  /* {"containerimage.digest":..,...} for --metadata-file */
} xb_build_result_t;

void xb_build_result_free(xb_build_result_t *r);

int xb_build(xb_store_t *s, const xb_build_opts_t *o, xb_build_result_t *res, xb_error_t *err);

#endif
