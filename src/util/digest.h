/* sha256 digests in OCI form: "sha256:" + 64 lowercase hex digits. */
#ifndef XB_UTIL_DIGEST_H
#define XB_UTIL_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define XB_DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */

typedef struct xb_sha256 {
    void *ctx; /* EVP_MD_CTX */
} xb_sha256_t;

int xb_sha256_init(xb_sha256_t *h, xb_error_t *err);
void xb_sha256_update(xb_sha256_t *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out and frees the context. */
void xb_sha256_final(xb_sha256_t *h, char out[XB_DIGEST_LEN]);
/* Frees the context without a result (safe on a finalised or zeroed one). */
void xb_sha256_free(xb_sha256_t *h);

void xb_digest_buf(const void *data, size_t len, char out[XB_DIGEST_LEN]);
int xb_digest_file(const char *path, char out[XB_DIGEST_LEN], xb_error_t *err);
/* sha256 of what is left to read from fd (not closed); errors name shown. */
int xb_digest_fd(int fd, const char *shown, char out[XB_DIGEST_LEN], xb_error_t *err);
/* True for a syntactically valid "sha256:<64 lowercase hex>" (the only algorithm we write). */
bool xb_digest_valid(const char *digest);
/* Pointer to the hex part of a valid digest. */
const char *xb_digest_hex(const char *digest);
/* The value of one hex digit (either case), -1 for any other character. */
int xb_hex_digit(int c);

#endif
