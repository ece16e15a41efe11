/* buildx's --metadata-file: a JSON object describing what a command produced. */
#ifndef XB_CLI_METADATA_H
#define XB_CLI_METADATA_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

/* Writes {"containerimage.digest": digest, "containerimage.descriptor": {mediaType, digest,
 * size}, "image.name": name} (the keys buildx writes; name omitted when NULL; the descriptor when
 * desc is NULL) to path, atomically. */
int xb_cli_write_metadata(const char *path, const char *name, const char *digest,
                          const json_t *desc, xb_error_t *err);

/* The reference to push desc's image to: dest ("REG/REPO[:TAG]") itself, or with by_digest
 * (buildx's push-by-digest=true) "REG/REPO@<digest of desc>", untagged; a dest with a tag or a
 * digest is then a usage error. *out caller frees. */
int xb_cli_push_target(const char *dest, bool by_digest, const json_t *desc, char **out,
                       xb_error_t *err);

#endif
