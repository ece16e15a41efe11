/* Pull and push of whole images between the local store and a registry (built on client.h). */
#ifndef XB_REGISTRY_REGISTRY_H
#define XB_REGISTRY_REGISTRY_H

#include <jansson.h>

#include "registry/client.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/error.h"

#include "image/platform.h"

/* Pulls ref for platform ("os/arch[/variant]", normalised: arm64/v8 = arm64, arm = arm/v7,
 * x86_64 = amd64, aarch64 = arm64; NULL = this machine) into the store: every manifest and
 * blob is verified while it streams in, blobs download in parallel (opts->jobs), and the
 * image is tagged under the normalised reference ("docker.io/library/alpine:3.20").
 * An index is resolved to the platform's manifest (the error lists the platforms available);
 * the tag points at that manifest's descriptor (with its platform).
 * policy: XB_PULL_ALWAYS pulls; XB_PULL_MISSING uses a complete local image of that name and
 * platform when there is one; XB_PULL_NEVER only looks locally (XB_ERR_NOT_FOUND).
 * *descriptor (may be NULL): the manifest descriptor; caller json_decref()s. */
int xb_registry_pull_image(xb_store_t *s, const char *ref, const char *platform, int policy,
                           const xb_registry_opts_t *opts, json_t **descriptor, xb_error_t *err);

/* The same for a parsed platform (NULL is not allowed here). */
int xb_registry_pull_platform(xb_store_t *s, const char *ref, const struct xb_platform *platform,
                              int policy, const xb_registry_opts_t *opts, json_t **descriptor,
                              xb_error_t *err);

/* FROM of a build: pulls ref for p (NULL: this machine) with opts (NULL: defaults; e.g. bud's
 * --creds/--authfile/--tls-verify/--cert-dir). pull_policy: XB_PULL_* | XB_PULL_EXTRACT.
 * quiet when the log level is below info. *descriptor: caller json_decref()s. */
int xb_registry_pull(xb_store_t *s, const char *ref, const struct xb_platform *p, int pull_policy,
                     const xb_registry_opts_t *opts, json_t **descriptor, xb_error_t *err);

/* Pushes the image of descriptor (an index or a manifest from the store) to ref: blobs the
 * registry has are skipped (HEAD), blobs pulled from another repository of the same registry
 * are mounted, the rest uploaded in parallel; then the manifests, then the index. ref without
 * a tag or digest gets ":latest". digest_out (may be NULL): digest of the top manifest. */
int xb_registry_push(xb_store_t *s, const json_t *descriptor, const char *ref,
                     const xb_registry_opts_t *opts, char digest_out[XB_DIGEST_LEN],
                     xb_error_t *err);

/* --- helpers shared with the CLI and tests --- */
/* Remembers / recalls which repositories of which registries a blob came from
 * (xbuild/blob-sources/<hex> in the store), for cross-repository mounts. *repos: array of
 * strings (repositories of registry), caller json_decref()s. */
int xb_registry_note_source(xb_store_t *s, const char *digest, const char *registry,
                            const char *repository);
int xb_registry_sources(xb_store_t *s, const char *digest, const char *registry, json_t **repos);

#endif
