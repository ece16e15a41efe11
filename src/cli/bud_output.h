/* bud's --output / -o (docker buildx build's exporters), applied after the build:
 *   type=local,dest=DIR     the final stage's files (one subdirectory per platform, such as
 *                           linux_arm64/, when several were built); "-o DIR" is the short form
 *   type=tar,dest=FILE|-    the same files as one tar (stdout for "-")
 *   type=oci,dest=FILE      an OCI image layout tar (name=N: its ref.name)
 *   type=docker,dest=FILE   `docker save` format (one platform; name=N: its RepoTags)
 *   type=image[,name=N][,push=true][,push-by-digest=true]   the image in the store under N
 *                           (default: the -t names), pushed to N when push=true, untagged as
 *                           N@DIGEST with push-by-digest=true
 *   type=registry[,...]     type=image,push=true (as --push)
 * Unknown keys and types are usage errors naming what is accepted. */
#ifndef XB_CLI_BUD_OUTPUT_H
#define XB_CLI_BUD_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "registry/client.h"
#include "store/store.h"
#include "util/error.h"

enum xb_bud_out_type {
    XB_OUT_LOCAL = 1,
    XB_OUT_TAR,
    XB_OUT_OCI,
    XB_OUT_DOCKER,
    XB_OUT_IMAGE,
};

struct xb_bud_output {
    enum xb_bud_out_type type;
    char *dest; /* local/tar/oci/docker; "-" is stdout for tar */
    char *name; /* oci/docker tag, image names (comma-separated), or NULL */
    bool push, by_digest;
};

struct xb_bud_outputs {
    struct xb_bud_output *v;
    size_t n;
    int stdout_fd; /* the real stdout while a "dest=-" output owns it, else -1 */
};

#define XB_BUD_OUTPUTS_INIT                                                                        \
    {                                                                                              \
        NULL, 0, -1                                                                                \
    }

/* Parses one -o value and appends it. */
int xb_bud_output_add(struct xb_bud_outputs *o, const char *spec, xb_error_t *err);
/* Call before the build: when an output writes to stdout ("dest=-"), keeps the real stdout
 * for it and points fd 1 at stderr, so build lines do not mix with the tar. */
int xb_bud_outputs_prepare(struct xb_bud_outputs *o, xb_error_t *err);
/* Writes every output for the image stored as image_name (the build result). tags: the -t
 * names (the default names of type=image). metadata (may be NULL): "image.name" is added for
 * pushes. ro: registry options for pushes. quiet: no progress lines. */
int xb_bud_outputs_write(struct xb_bud_outputs *o, xb_store_t *s, const char *image_name,
                         const char *const *tags, size_t ntags, const xb_registry_opts_t *ro,
                         bool quiet, json_t *metadata, xb_error_t *err);
void xb_bud_outputs_free(struct xb_bud_outputs *o);

#endif
