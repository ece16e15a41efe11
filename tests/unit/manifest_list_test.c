/* Unit tests of image indexes under edit (src/image/manifest_list.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/store_fixture.h"
#include "../lib/tap.h"
#include "image/image.h"
#include "image/manifest_list.h"
#include "store/images.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* A stored image for arch/variant with one fake layer; returns its manifest descriptor. */
static json_t *make_image(xb_store_t *s, const char *arch, const char *variant, const char *tag)
{
    char layer[64];
    snprintf(layer, sizeof layer, "layer of %s %s", arch, variant ? variant : "");
    char ld[XB_DIGEST_LEN];
    xb_error_t err = XB_ERROR_INIT;
    xb_store_put_blob(s, layer, strlen(layer), ld, &err);
    json_t *cfg = json_pack("{s:s,s:s,s:{s:s,s:[s]}}", "architecture", arch, "os", "linux",
                            "rootfs", "type", "layers", "diff_ids", ld);
    if (variant)
        json_object_set_new(cfg, "variant", json_string(variant));
    json_t *cd = put_json(s, cfg, XB_MT_OCI_CONFIG);
    json_t *m = json_pack("{s:i,s:s,s:O,s:[{s:s,s:s,s:i}]}", "schemaVersion", 2, "mediaType",
                          XB_MT_OCI_MANIFEST, "config", cd, "layers", "mediaType", XB_MT_OCI_LAYER,
                          "digest", ld, "size", (int)strlen(layer));
    json_decref(cd);
    json_t *md = put_json(s, m, XB_MT_OCI_MANIFEST);
    if (tag)
        xb_store_ref_set(s, tag, md, &err);
    xb_error_clear(&err);
    return md;
}

static const char *plat(const json_t *d, const char *key)
{
    return xb_json_str(json_object_get(d, "platform"), key);
}

int main(void)
{
    char tmpl[] = "/tmp/mlist_test.XXXXXX";
    char *dir = mkdtemp(tmpl);
    xb_store_t *s = NULL;
    xb_error_t err = XB_ERROR_INIT;
    ok(dir && xb_store_open(dir, &s, &err) == 0, "store opened");

    json_t *arm64 = make_image(s, "aarch64", NULL, "app:arm64");
    json_t *amd64 = make_image(s, "amd64", NULL, "app:amd64");
    json_t *armv7 = make_image(s, "arm", "v7", NULL);

    /* describe_image: platform comes from the config, normalised */
    json_t *d = NULL;
    ok(xb_mlist_describe_image(s, arm64, &d, &err) == 0, "describe arm64 image");
    is_str(plat(d, "architecture"), "arm64", "aarch64 in the config becomes arm64");
    is_str(plat(d, "os"), "linux", "os from the config");
    is_str(xb_json_str(d, "digest"), xb_json_str(arm64, "digest"), "digest kept");
    is_int(xb_json_int(d, "size", -1), xb_json_int(arm64, "size", -2), "size is the manifest's");
    is_str(xb_json_str(d, "mediaType"), XB_MT_OCI_MANIFEST, "mediaType from the manifest");

    /* building an index */
    json_t *idx = xb_index_new(NULL);
    ok(xb_mlist_put(idx, d, &err) == 0, "put arm64");
    json_t *d2 = NULL;
    xb_mlist_describe_image(s, amd64, &d2, &err);
    ok(xb_mlist_put(idx, d2, &err) == 0, "put amd64");
    ok(xb_mlist_put(idx, d2, &err) == 0, "put amd64 again");
    is_int(json_array_size(json_object_get(idx, "manifests")), 2, "same digest replaced");

    /* find by prefix, full digest, bare hex; ambiguity and absence */
    const char *amd = xb_json_str(d2, "digest");
    char prefix[20];
    snprintf(prefix, sizeof prefix, "%.19s", amd);
    is_int(xb_mlist_find(idx, amd, &err), 1, "find by digest");
    is_int(xb_mlist_find(idx, prefix, &err), 1, "find by sha256: + 12 hex prefix");
    is_int(xb_mlist_find(idx, amd + 7, &err), 1, "find by bare hex");
    ok(xb_mlist_find(idx, "sha256:abc", &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "a too short prefix matches nothing");
    xb_error_clear(&err);
    ok(xb_mlist_find(idx, "sha256:000000000000000", &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "unknown digest: not found");
    ok(err.msg && strstr(err.msg, "sha256:000000000000000"), "error names the digest: %s", err.msg);
    xb_error_clear(&err);

    /* annotate: platform flags and annotations */
    json_t *e = json_array_get(json_object_get(idx, "manifests"), 1);
    const char *ann[] = {"org.example.k=v", "drop=", NULL};
    struct xb_mlist_entry_opts o = {.variant = "v3", .os_version = "10.0", .annotations = ann};
    ok(xb_mlist_apply_opts(e, &o, &err) == 0, "annotate amd64 entry");
    is_str(plat(e, "variant"), "v3", "variant set");
    is_str(plat(e, "architecture"), "amd64", "architecture kept");
    is_str(plat(e, "os.version"), "10.0", "os.version set");
    is_str(xb_json_str(json_object_get(e, "annotations"), "org.example.k"), "v", "annotation set");
    const char *ann2[] = {"org.example.k=", NULL};
    struct xb_mlist_entry_opts o2 = {.annotations = ann2};
    xb_mlist_apply_opts(e, &o2, &err);
    ok(json_object_get(e, "annotations") == NULL, "empty value removes the annotation");
    const char *bad[] = {"novalue", NULL};
    struct xb_mlist_entry_opts o3 = {.annotations = bad};
    ok(xb_mlist_apply_opts(e, &o3, &err) < 0 && err.code == XB_ERR_USAGE,
       "annotation without = is a usage error");
    xb_error_clear(&err);
    struct xb_mlist_entry_opts o4 = {.arch = "x86_64"};
    json_t *bare =
        json_pack("{s:s,s:s,s:i}", "mediaType", XB_MT_OCI_MANIFEST, "digest", amd, "size", 1);
    ok(xb_mlist_apply_opts(bare, &o4, &err) < 0, "--arch alone on an entry without os fails");
    xb_error_clear(&err);
    struct xb_mlist_entry_opts o5 = {.arch = "armhf", .os = "linux"};
    ok(xb_mlist_apply_opts(bare, &o5, &err) == 0, "--os --arch armhf");
    is_str(plat(bare, "architecture"), "arm", "armhf normalised to arm");
    is_str(plat(bare, "variant"), "v7", "... with variant v7");
    json_decref(bare);

    /* same platform, new digest: replaced (a rebuilt platform) */
    json_t *rebuilt = make_image(s, "arm64", "v8", NULL);
    json_t *d3 = NULL;
    xb_mlist_describe_image(s, rebuilt, &d3, &err);
    xb_mlist_put(idx, d3, &err);
    is_int(json_array_size(json_object_get(idx, "manifests")), 2, "same platform replaced");
    ok(xb_mlist_find(idx, xb_json_str(d, "digest"), &err) < 0, "old arm64 build gone");
    xb_error_clear(&err);

    /* save / load round trip; load refuses an image */
    char dg[XB_DIGEST_LEN], dg2[XB_DIGEST_LEN];
    ok(xb_mlist_save(s, "app:list", idx, dg, &err) == 0, "saved as app:list");
    json_t *loaded = NULL;
    ok(xb_mlist_load(s, "app:list", &loaded, dg2, &err) == 0, "loaded app:list");
    is_str(dg2, dg, "same digest");
    ok(json_equal(loaded, idx), "same JSON");
    ok(xb_mlist_load(s, "app:arm64", NULL, NULL, &err) < 0 && err.code == XB_ERR_INVALID,
       "an image is not an index: %s", err.msg);
    xb_error_clear(&err);
    ok(xb_mlist_load(s, "nope", NULL, NULL, &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "unknown name: not found");
    xb_error_clear(&err);
    json_t *problems = NULL;
    ok(xb_store_fsck(s, &problems, &err) == 0 && json_array_size(problems) == 0,
       "store with the index passes fsck");
    json_decref(problems);

    /* children of an index: one by platform, or all */
    json_t *listdesc = NULL;
    xb_store_resolve(s, "app:list", &listdesc, &err);
    json_t *kids = NULL;
    xb_platform_t want = XB_PLATFORM_INIT;
    xb_platform_parse("linux/amd64/v3", &want, &err);
    ok(xb_mlist_children_of(s, listdesc, false, &want, &kids, &err) == 0 &&
           json_array_size(kids) == 1,
       "one child for linux/amd64/v3");
    is_str(xb_json_str(json_array_get(kids, 0), "digest"), amd, "... the amd64 one");
    json_decref(kids);
    ok(xb_mlist_children_of(s, listdesc, true, NULL, &kids, &err) == 0 &&
           json_array_size(kids) == 2,
       "--all: both children");
    json_decref(kids);
    xb_platform_free(&want);
    xb_platform_parse("linux/s390x", &want, &err);
    ok(xb_mlist_children_of(s, listdesc, false, &want, &kids, &err) < 0 &&
           strstr(err.msg, "linux/amd64"),
       "no s390x: error lists what there is: %s", err.msg);
    xb_error_clear(&err);
    xb_platform_free(&want);
    json_t *one = NULL;
    ok(xb_mlist_children_of(s, armv7, false, NULL, &one, &err) == 0 &&
           strcmp(plat(json_array_get(one, 0), "variant"), "v7") == 0,
       "an image is its own single child, variant from its config");
    json_decref(one);

    /* validation of untrusted indexes */
    const char *bad_docs[] = {
        "[]",
        "{\"schemaVersion\":1,\"manifests\":[]}",
        "{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"manifests\":[]}",
        "{\"schemaVersion\":2,\"manifests\":{}}",
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:12\","
        "\"size\":1}]}",
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:"
        "0000000000000000000000000000000000000000000000000000000000000000\",\"size\":-1}]}",
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:"
        "0000000000000000000000000000000000000000000000000000000000000000\",\"size\":1,"
        "\"platform\":{\"os\":\"linux\"}}]}",
        NULL,
    };
    for (int i = 0; bad_docs[i]; i++) {
        json_t *j = json_loads(bad_docs[i], 0, NULL);
        ok(xb_mlist_validate(j, "test", &err) < 0, "invalid index %d rejected: %s", i,
           err.msg ? err.msg : "");
        xb_error_clear(&err);
        json_decref(j);
    }
    json_t *dl = xb_index_new(XB_MT_DOCKER_MANIFEST_LIST);
    ok(xb_mlist_validate(dl, "test", &err) == 0, "empty Docker manifest list is valid");
    json_decref(dl);

    json_decref(listdesc);
    json_decref(loaded);
    json_decref(idx);
    json_decref(d);
    json_decref(d2);
    json_decref(d3);
    json_decref(arm64);
    json_decref(amd64);
    json_decref(armv7);
    json_decref(rebuilt);
    xb_store_close(s);
    xb_rm_rf(dir, &err);
    xb_error_clear(&err);
    return tap_done();
}
