/* xb_mlist_check_platforms / xb_mlist_platform_clash: the checks made before an index is
 * pushed (every entry a known platform, each platform once). */
#include <jansson.h>
#include <string.h>

#include "image/manifest_list.h"
#include "tests/lib/tap.h"

static const char D1[] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
static const char D2[] = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

static json_t *entry(const char *digest, const char *os, const char *arch, const char *variant)
{
    json_t *d = json_pack("{s:s,s:s,s:i}", "mediaType", "application/vnd.oci.image.manifest.v1+json",
                          "digest", digest, "size", 100);
    if (os != NULL) {
        json_t *p = json_pack("{s:s,s:s}", "os", os, "architecture", arch);
        if (variant != NULL)
            json_object_set_new(p, "variant", json_string(variant));
        json_object_set_new(d, "platform", p);
    }
    return d;
}

static json_t *index_of(json_t *a, json_t *b)
{
    json_t *m = json_array();
    json_array_append_new(m, a);
    if (b != NULL)
        json_array_append_new(m, b);
    return json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType",
                     "application/vnd.oci.image.index.v1+json", "manifests", m);
}

static void expect(json_t *idx, const char *want_in_msg, const char *what)
{
    xb_error_t err = XB_ERROR_INIT;
    int rc = xb_mlist_check_platforms(idx, "idx", &err);
    if (want_in_msg == NULL)
        ok(rc == 0, "%s: accepted%s%s", what, err.msg ? ": " : "", err.msg ? err.msg : "");
    else
        ok(rc < 0 && err.msg && strstr(err.msg, want_in_msg), "%s: %s", what,
           err.msg ? err.msg : "(accepted)");
    xb_error_clear(&err);
    json_decref(idx);
}

int main(void)
{
    expect(index_of(entry(D1, "linux", "amd64", NULL), entry(D2, "linux", "arm64", NULL)), NULL,
           "amd64 + arm64");
    expect(index_of(entry(D1, "linux", "arm", "v7"), entry(D2, "linux", "arm", "v6")), NULL,
           "arm/v7 + arm/v6");
    expect(index_of(entry(D1, "wasip1", "wasm", NULL), entry(D2, "linux", "amd64", NULL)), NULL,
           "wasip1/wasm + linux/amd64");
    expect(index_of(entry(D1, "linux", "amd64", NULL), entry(D2, "linux", "amd64", NULL)),
           "platform linux/amd64 is listed twice", "two amd64");
    expect(index_of(entry(D1, "linux", "arm64", "v8"), entry(D2, "linux", "aarch64", NULL)),
           "platform linux/arm64 is listed twice", "arm64/v8 and aarch64 are one platform");
    expect(index_of(entry(D1, "linux", "amd64", NULL), entry(D2, NULL, NULL, NULL)),
           "entry 1 (sha256:2222", "missing platform names the entry");
    expect(index_of(entry(D1, NULL, NULL, NULL), NULL), "has no platform", "missing platform");
    expect(index_of(entry(D1, "linux", "sparc9", NULL), NULL), "unknown platform linux/sparc9",
           "unknown architecture");
    expect(index_of(entry(D1, "plan10", "amd64", NULL), NULL), "unknown platform plan10/amd64",
           "unknown os");

    json_t *idx = index_of(entry(D1, "linux", "amd64", NULL), entry(D2, "linux", "arm64", NULL));
    json_t *same = entry(D2, "linux", "arm64", NULL);
    json_t *other = entry("sha256:3333333333333333333333333333333333333333333333333333333333333333",
                          "linux", "arm64", "v8");
    json_t *none = entry(D1, NULL, NULL, NULL);
    is_int(xb_mlist_platform_clash(idx, same), -1, "clash: the same digest is no clash");
    is_int(xb_mlist_platform_clash(idx, other), 1, "clash: another arm64 image clashes with entry 1");
    is_int(xb_mlist_platform_clash(idx, none), -1, "clash: no platform, no clash");
    json_decref(idx);
    json_decref(same);
    json_decref(other);
    json_decref(none);
    return tap_done();
}
