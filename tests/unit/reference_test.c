/* Reference parsing: a table of what users type and what it means. */
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "tests/lib/tap.h"

struct row {
    const char *in;
    const char *registry, *repository, *tag, *digest; /* registry NULL: must fail */
    const char *why;                                  /* substring of the error */
};

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct row rows[] = {
    {"alpine", "docker.io", "library/alpine", "latest", NULL, NULL},
    {"alpine:3.20", "docker.io", "library/alpine", "3.20", NULL, NULL},
    {"docker.io/library/alpine:3.20", "docker.io", "library/alpine", "3.20", NULL, NULL},
    {"index.docker.io/library/alpine", "docker.io", "library/alpine", "latest", NULL, NULL},
    {"docker.io/alpine", "docker.io", "library/alpine", "latest", NULL, NULL},
    {"user/app", "docker.io", "user/app", "latest", NULL, NULL},
    {"ghcr.io/o/r@" D, "ghcr.io", "o/r", NULL, D, NULL},
    {"ghcr.io/o/r:v1@" D, "ghcr.io", "o/r", "v1", D, NULL},
    {"localhost:5000/x/y:t", "localhost:5000", "x/y", "t", NULL, NULL},
    {"localhost/x", "localhost", "x", "latest", NULL, NULL},
    {"127.0.0.1:5000/a-b/c__d.e:1.0_rc-1", "127.0.0.1:5000", "a-b/c__d.e", "1.0_rc-1", NULL, NULL},
    {"[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL, NULL},
    {"docker://quay.io/a/b", "quay.io", "a/b", "latest", NULL, NULL},
    {"a--b/c", "docker.io", "a--b/c", "latest", NULL, NULL},
    {"", NULL, NULL, NULL, NULL, "empty"},
    {"Alpine", NULL, NULL, NULL, NULL, "lowercase"},
    {"ghcr.io/O/r", NULL, NULL, NULL, NULL, "lowercase"},
    {"alpine:", NULL, NULL, NULL, NULL, "invalid tag"},
    {"alpine:-x", NULL, NULL, NULL, NULL, "invalid tag"},
    {"alpine:a/b", NULL, NULL, NULL, NULL, "invalid registry port"},
    {"alpine@sha256:abc", NULL, NULL, NULL, NULL, "invalid digest"},
    {"alpine@md5:0123", NULL, NULL, NULL, NULL, "unsupported digest algorithm"},
    {"a//b", NULL, NULL, NULL, NULL, "empty path component"},
    {"a/b/", NULL, NULL, NULL, NULL, "empty path component"},
    {"-a", NULL, NULL, NULL, NULL, "start and end"},
    {"a..b", NULL, NULL, NULL, NULL, "separator"},
    {"a b", NULL, NULL, NULL, NULL, "whitespace"},
    {"host:99999/x", NULL, NULL, NULL, NULL, "port"},
    {"host:/x", NULL, NULL, NULL, NULL, "port"},
    {"[::1/x", NULL, NULL, NULL, NULL, "IPv6"},
    {"a_.b", NULL, NULL, NULL, NULL, "separator"},
    {"@" D, NULL, NULL, NULL, NULL, "missing repository"},
};

int main(void)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *w = &rows[i];
        xb_reference_t *r = NULL;
        xb_error_t err = XB_ERROR_INIT;
        int rc = xb_reference_parse(w->in, &r, &err);
        if (w->registry == NULL) {
            ok(rc < 0 && err.code == XB_ERR_PARSE, "'%s' rejected", w->in);
            ok(err.msg && strstr(err.msg, w->why), "'%s': error says '%s' (%s)", w->in, w->why,
               err.msg ? err.msg : "(none)");
        } else {
            ok(rc == 0, "'%s' parses (%s)", w->in, err.msg ? err.msg : "ok");
            if (rc == 0) {
                is_str(r->registry, w->registry, "'%s' registry", w->in);
                is_str(r->repository, w->repository, "'%s' repository", w->in);
                is_str(r->tag, w->tag, "'%s' tag", w->in);
                is_str(r->digest, w->digest, "'%s' digest", w->in);
            }
        }
        xb_reference_free(r);
        xb_error_clear(&err);
    }
    /* 250 characters are fine as typed but not once "library/" is added */
    char longname[251];
    memset(longname, 'a', 250);
    longname[250] = '\0';
    xb_reference_t *r = NULL;
    xb_error_t err = XB_ERROR_INIT;
    ok(xb_reference_parse(longname, &r, &err) < 0 && strstr(err.msg, "255"),
       "name too long after normalisation");
    xb_error_clear(&err);
    xb_reference_parse("alpine", &r, &err);
    is_str(xb_reference_api_host(r), "registry-1.docker.io", "docker.io API host");
    char *s = xb_reference_string(r);
    is_str(s, "docker.io/library/alpine:latest", "normalised string");
    free(s);
    s = xb_reference_name(r);
    is_str(s, "docker.io/library/alpine", "name");
    free(s);
    is_str(xb_reference_object(r), "latest", "object is the tag");
    xb_reference_free(r);
    xb_reference_parse("localhost:5000/x/y:t@" D, &r, &err);
    is_str(xb_reference_api_host(r), "localhost:5000", "other registry API host");
    is_str(xb_reference_object(r), D, "object is the digest when present");
    s = xb_reference_string(r);
    is_str(s, "localhost:5000/x/y:t@" D, "tag+digest string");
    free(s);
    xb_reference_free(r);
    ok(xb_reference_host_is_loopback("localhost:5000"), "localhost loopback");
    ok(xb_reference_host_is_loopback("127.0.0.1:5000"), "127.0.0.1 loopback");
    ok(xb_reference_host_is_loopback("127.3.2.1"), "127/8 loopback");
    ok(xb_reference_host_is_loopback("[::1]:5000"), "[::1] loopback");
    ok(!xb_reference_host_is_loopback("127.0.0.1.example.com"), "127.x domain is not loopback");
    ok(!xb_reference_host_is_loopback("localhost.example.com"), "localhost.* is not loopback");
    ok(!xb_reference_host_is_loopback("docker.io"), "docker.io not loopback");
    return tap_done();
}
