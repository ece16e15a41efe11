#include "util/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

int xb_sha256_init(xb_sha256_t *h, xb_error_t *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        h->ctx = NULL;
        return xb_error_set(err, XB_ERR_INTERNAL, "cannot initialise sha256");
    }
    h->ctx = c;
    return 0;
}

void xb_sha256_update(xb_sha256_t *h, const void *data, size_t len)
{
    if (h->ctx != NULL && len > 0)
        EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, data, len);
}

void xb_sha256_final(xb_sha256_t *h, char out[XB_DIGEST_LEN])
{
    unsigned char md[32];
    unsigned int n = 0;
    static const char hex[] = "0123456789abcdef";
    out[0] = '\0';
    if (h->ctx == NULL)
        return;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, md, &n);
    EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
    h->ctx = NULL;
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[71] = '\0';
}

void xb_sha256_free(xb_sha256_t *h)
{
    if (h->ctx != NULL)
        EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
    h->ctx = NULL;
}

void xb_digest_buf(const void *data, size_t len, char out[XB_DIGEST_LEN])
{
    xb_sha256_t h = {NULL};
    if (xb_sha256_init(&h, NULL) < 0) {
        out[0] = '\0';
        return;
    }
    xb_sha256_update(&h, data, len);
    xb_sha256_final(&h, out);
}

int xb_digest_file(const char *path, char out[XB_DIGEST_LEN], xb_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "open %s", path);
    return xb_digest_fd(fd, path, out, err);
}

int xb_digest_fd(int fd, const char *shown, char out[XB_DIGEST_LEN], xb_error_t *err)
{
    xb_sha256_t h = {NULL};
    if (xb_sha256_init(&h, err) < 0)
        return -XB_ERR_INTERNAL;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            xb_sha256_free(&h);
            return xb_error_errno(err, errno, "read %s", shown);
        }
        if (n == 0)
            break;
        xb_sha256_update(&h, buf, (size_t)n);
    }
    xb_sha256_final(&h, out);
    return 0;
}

bool xb_digest_valid(const char *d)
{
    if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

const char *xb_digest_hex(const char *d)
{
    const char *c = strchr(d, ':');
    return c ? c + 1 : d;
}

int xb_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
