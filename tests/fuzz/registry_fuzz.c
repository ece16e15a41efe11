/* Fuzz target for what the registry client parses from untrusted input: image references,
 * WWW-Authenticate challenges, registry error bodies, URL resolution of Location headers.
 * A reference that parses must round-trip through its normalised string. */
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "registry/internal.h"
#include "replay.h"

static void reference(const char *s)
{
    xb_reference_t *r = NULL;
    if (xb_reference_parse(s, &r, NULL) == 0) {
        char *str = xb_reference_string(r);
        xb_reference_t *again = NULL;
        if (str == NULL || xb_reference_parse(str, &again, NULL) != 0)
            abort(); /* the normalised form must parse */
        char *str2 = xb_reference_string(again);
        if (str2 == NULL || strcmp(str, str2) != 0)
            abort(); /* ... to itself */
        free(str2);
        free(str);
        xb_reference_free(again);
        (void)xb_reference_api_host(r);
        (void)xb_reference_host_is_loopback(r->registry);
    }
    xb_reference_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    reference(s);
    int kind;
    char *realm = NULL, *service = NULL, *scope = NULL;
    xb_auth_parse_challenge(s, &kind, &realm, &service, &scope);
    free(realm);
    free(service);
    free(scope);
    xb_http_resp_t resp = {0};
    resp.status = 400;
    xb_buf_append(&resp.body, data, size);
    xb_error_t err = XB_ERROR_INIT;
    xb_http_error(&resp, "fuzz", &err);
    xb_error_clear(&err);
    xb_buf_free(&resp.body);
    char *u = xb_http_resolve("http://127.0.0.1:5000/v2/x/blobs/uploads/", s);
    if (u) {
        char *o = xb_http_origin(u);
        free(o);
    }
    free(u);
    free(s);
    return 0;
}
