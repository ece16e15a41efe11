/* Unit tests of src/image/platform: parsing, normalisation table, matching, JSON, lists. */
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "image/platform.h"
#include "util/cleanup.h"
#include "util/json.h"

static void norm(const char *in, const char *want)
{
    xb_platform_t p;
    xb_error_t err = XB_ERROR_INIT;
    int r = xb_platform_parse(in, &p, &err);
    char *s = r < 0 ? NULL : xb_platform_format(&p);
    is_str(s, want, "parse '%s' -> %s", in, want ? want : "(error)");
    if (r < 0 && want != NULL)
        printf("#   error: %s\n", err.msg);
    free(s);
    if (r >= 0)
        xb_platform_free(&p);
    xb_error_clear(&err);
}

static bool match(const char *want, const char *have)
{
    xb_platform_t w, h;
    if (xb_platform_parse(want, &w, NULL) < 0)
        return false;
    if (xb_platform_parse(have, &h, NULL) < 0) {
        xb_platform_free(&w);
        return false;
    }
    bool m = xb_platform_compatible(&w, &h);
    xb_platform_free(&w);
    xb_platform_free(&h);
    return m;
}

int main(void)
{
    /* normalisation table (containerd platforms.Normalize semantics) */
    norm("linux/amd64", "linux/amd64");
    norm("linux/x86_64", "linux/amd64");
    norm("linux/x86-64", "linux/amd64");
    norm("amd64", "linux/amd64");
    norm("linux/amd64/v1", "linux/amd64");
    norm("linux/amd64/v3", "linux/amd64/v3");
    norm("linux/arm64", "linux/arm64");
    norm("linux/arm64/v8", "linux/arm64");
    norm("linux/aarch64", "linux/arm64");
    norm("arm64", "linux/arm64");
    norm("aarch64", "linux/arm64");
    norm("linux/arm64/v9.0", "linux/arm64/v9");
    norm("linux/arm", "linux/arm/v7");
    norm("linux/arm/7", "linux/arm/v7");
    norm("linux/arm/v7", "linux/arm/v7");
    norm("linux/arm/v6", "linux/arm/v6");
    norm("linux/arm/v5", "linux/arm/v5");
    norm("linux/armhf", "linux/arm/v7");
    norm("armhf", "linux/arm/v7");
    norm("linux/armel", "linux/arm/v6");
    norm("linux/i386", "linux/386");
    norm("linux/i686", "linux/386");
    norm("linux/386", "linux/386");
    norm("linux/ppc64el", "linux/ppc64le");
    norm("linux/ppc64le", "linux/ppc64le");
    norm("linux/s390x", "linux/s390x");
    norm("linux/riscv64", "linux/riscv64");
    norm("LINUX/ARM64", "linux/arm64");
    norm("wasi/wasm", "wasi/wasm");
    norm("wasip1/wasm", "wasip1/wasm");
    norm("wasip2/wasm", "wasip2/wasm");
    norm("", NULL);
    norm("linux/", NULL);
    norm("/amd64", NULL);
    norm("linux/arm/v7/extra", NULL);
    norm("linux/am d64", NULL);
    norm("linux//arm64", NULL);

    /* matching */
    ok(match("linux/arm64", "linux/arm64/v8"), "arm64 matches arm64/v8");
    ok(match("linux/arm64/v8", "linux/arm64"), "arm64/v8 matches arm64");
    ok(match("linux/arm/v7", "linux/arm"), "arm/v7 matches arm (default v7)");
    ok(match("linux/arm/v7", "linux/arm/v6"), "arm/v7 runs arm/v6");
    ok(!match("linux/arm/v6", "linux/arm/v7"), "arm/v6 does not run arm/v7");
    ok(!match("linux/arm64", "linux/amd64"), "arm64 != amd64");
    ok(!match("linux/amd64", "windows/amd64"), "os must match");
    ok(match("wasi/wasm", "wasip1/wasm"), "wasi == wasip1");
    ok(match("wasip1/wasm", "wasi/wasm"), "wasip1 == wasi");
    ok(!match("wasip2/wasm", "wasip1/wasm"), "wasip2 != wasip1");
    ok(match("x86_64", "linux/amd64"), "x86_64 matches linux/amd64");

    /* scores: exact variant preferred over a compatible lower one */
    {
        xb_platform_t w, a, b;
        xb_platform_parse("linux/arm/v7", &w, NULL);
        xb_platform_parse("linux/arm/v6", &a, NULL);
        xb_platform_parse("linux/arm/v7", &b, NULL);
        ok(xb_platform_score(&w, &b) > xb_platform_score(&w, &a), "exact variant scores higher");
        xb_platform_free(&w);
        xb_platform_free(&a);
        xb_platform_free(&b);
    }

    /* host */
    {
        xb_platform_t h;
        xb_error_t err = XB_ERROR_INIT;
        ok(xb_platform_host(&h, &err) == 0, "host platform");
        is_str(h.os, "linux", "host os");
        ok(h.arch != NULL && strcmp(h.arch, "x86_64") != 0 && strcmp(h.arch, "aarch64") != 0,
           "host arch normalised (%s)", h.arch ? h.arch : "null");
        xb_platform_free(&h);
    }

    /* JSON */
    {
        xb_platform_t p;
        xb_platform_parse("linux/arm/v7", &p, NULL);
        cleanup_json json_t *j = xb_platform_to_json(&p);
        cleanup_free char *s = xb_json_dump(j);
        is_str(s, "{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}", "to json");
        xb_platform_free(&p);
        cleanup_json json_t *in = json_pack("{s:s,s:s}", "architecture", "aarch64", "os", "linux");
        ok(xb_platform_from_json(in, &p, NULL) == 0, "from json");
        cleanup_free char *f = xb_platform_format(&p);
        is_str(f, "linux/arm64", "from json normalised");
        cleanup_free char *dash = xb_platform_format_dashed(&p);
        is_str(dash, "linux-arm64", "dashed");
        xb_platform_free(&p);
        cleanup_json json_t *bad = json_pack("{s:s}", "os", "linux");
        xb_error_t err = XB_ERROR_INIT;
        ok(xb_platform_from_json(bad, &p, &err) < 0, "json without architecture refused");
        xb_error_clear(&err);
    }

    /* lists */
    {
        xb_platform_t *l = NULL;
        size_t n = 0;
        xb_error_t err = XB_ERROR_INIT;
        ok(xb_platform_parse_list(" linux/amd64, linux/arm64 ,linux/aarch64,linux/arm/v7", &l, &n,
                                  &err) == 0,
           "parse list");
        is_int(n, 3, "duplicates removed");
        if (n == 3) {
            cleanup_free char *a = xb_platform_format(&l[0]);
            cleanup_free char *c = xb_platform_format(&l[2]);
            is_str(a, "linux/amd64", "first");
            is_str(c, "linux/arm/v7", "third");
        }
        xb_platform_list_free(l, n);
        ok(xb_platform_parse_list(" , ", &l, &n, &err) < 0, "empty list refused");
        xb_error_clear(&err);
        ok(xb_platform_parse_list("linux/amd64,bogus/x/y/z", &l, &n, &err) < 0, "bad item refused");
        ok(err.msg && strstr(err.msg, "bogus") != NULL, "error names the item: %s", err.msg);
        xb_error_clear(&err);
    }
    return tap_done();
}
