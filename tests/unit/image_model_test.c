/* Unit tests of src/image/image + index: config model, commit, index selection, loading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "image/image.h"
#include "store/images.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char *L1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/* commits a one-layer image for platform p; returns its descriptor */
static json_t *make_image(xb_store_t *s, const char *plat, const char *mmt)
{
    xb_platform_t p;
    json_t *cfg = NULL;
    xb_error_t err = XB_ERROR_INIT;
    char md[XB_DIGEST_LEN];
    int64_t size = 0;
    if (xb_platform_parse(plat, &p, &err) < 0)
        return NULL;
    xb_image_config_new(&p, 0, &cfg, &err);
    xb_image_config_add_layer(cfg, L1, 0, "ADD x /", NULL, &err);
    cleanup_json json_t *layers = json_array();
    json_array_append_new(layers, xb_descriptor_new(XB_MT_OCI_LAYER_GZIP, L1, 10, NULL, NULL));
    json_t *d = NULL;
    if (xb_image_commit(s, cfg, layers, mmt, NULL, md, &size, NULL, &err) == 0)
        d = xb_descriptor_new(mmt, md, size, &p, NULL);
    else
        printf("# commit: %s\n", err.msg);
    xb_error_clear(&err);
    json_decref(cfg);
    xb_platform_free(&p);
    return d;
}

int main(void)
{
    char root[] = "/tmp/xb-image-test-XXXXXX";
    if (mkdtemp(root) == NULL)
        return 1;
    xb_store_t *s = NULL;
    xb_error_t err = XB_ERROR_INIT;
    ok(xb_store_open(root, &s, &err) == 0, "store open");

    /* config model */
    xb_platform_t p;
    xb_platform_parse("linux/arm/v7", &p, NULL);
    json_t *cfg = NULL;
    ok(xb_image_config_new(&p, 0, &cfg, &err) == 0, "config new");
    cleanup_free char *c0 = xb_json_dump(cfg);
    is_str(c0,
           "{\"created\":\"1970-01-01T00:00:00Z\",\"architecture\":\"arm\",\"os\":\"linux\","
           "\"variant\":\"v7\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
           "\"history\":[]}",
           "new config JSON");
    ok(xb_image_config_set_env(cfg, "PATH", "/usr/bin", &err) == 0, "set env");
    ok(xb_image_config_set_env(cfg, "A", "1", &err) == 0, "set env A");
    ok(xb_image_config_set_env(cfg, "PATH", "/bin:/usr/bin", &err) == 0, "replace env");
    is_str(xb_image_config_get_env(cfg, "PATH"), "/bin:/usr/bin", "get env");
    ok(xb_image_config_set_env(cfg, "A", NULL, &err) == 0, "unset env");
    ok(xb_image_config_get_env(cfg, "A") == NULL, "A gone");
    ok(xb_image_config_set_env(cfg, "B=C", "x", &err) < 0, "bad env name refused");
    xb_error_clear(&err);
    const char *cmd[] = {"/bin/sh", "-c", "echo hi"};
    xb_image_config_set_strv(cfg, "Cmd", cmd, 3, &err);
    xb_image_config_set_string(cfg, "WorkingDir", "/app", &err);
    xb_image_config_set_label(cfg, "org.example", "yes", &err);
    ok(xb_image_config_add_port(cfg, "8080", &err) == 0, "port");
    ok(xb_image_config_add_port(cfg, "53/UDP", &err) == 0, "udp port");
    ok(xb_image_config_add_port(cfg, "http", &err) < 0, "named port refused");
    xb_error_clear(&err);
    xb_image_config_add_volume(cfg, "/data", &err);
    ok(xb_image_config_add_layer(cfg, L1, 100, "RUN x", NULL, &err) == 0, "add layer");
    ok(xb_image_config_add_layer(cfg, "sha256:xyz", 100, "RUN x", NULL, &err) < 0,
       "bad diff_id refused");
    xb_error_clear(&err);
    ok(xb_image_config_add_history(cfg, -1, "ENV A=1", "c", &err) == 0, "empty history");
    cleanup_free char *cc = xb_json_dump(json_object_get(cfg, "config"));
    is_str(cc,
           "{\"Env\":[\"PATH=/bin:/usr/bin\"],\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"],"
           "\"WorkingDir\":\"/app\",\"Labels\":{\"org.example\":\"yes\"},\"ExposedPorts\":"
           "{\"8080/tcp\":{},\"53/udp\":{}},\"Volumes\":{\"/data\":{}}}",
           "container config");
    cleanup_free char *hist = xb_json_dump(json_object_get(cfg, "history"));
    is_str(hist,
           "[{\"created\":\"1970-01-01T00:01:40Z\",\"created_by\":\"RUN x\"},"
           "{\"created_by\":\"ENV A=1\",\"comment\":\"c\",\"empty_layer\":true}]",
           "history");
    is_int(json_array_size(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids")), 1,
           "diff_ids");

    /* commit + load a single manifest */
    cleanup_json json_t *layers = json_array();
    json_array_append_new(layers, xb_descriptor_new(XB_MT_OCI_LAYER_GZIP, L1, 10, NULL, NULL));
    char md[XB_DIGEST_LEN], cd[XB_DIGEST_LEN];
    int64_t msize = 0;
    cleanup_json json_t *ann = json_pack("{s:s}", "org.opencontainers.image.title", "t");
    ok(xb_image_commit(s, cfg, layers, NULL, ann, md, &msize, cd, &err) == 0, "commit");
    ok(xb_store_has_blob(s, md) && xb_store_has_blob(s, cd), "blobs stored");
    cleanup_json json_t *man = NULL;
    xb_store_read_json(s, md, &man, &err);
    is_str(xb_json_str(man, "mediaType"), XB_MT_OCI_MANIFEST, "manifest media type");
    is_str(xb_json_str(json_object_get(man, "config"), "mediaType"), XB_MT_OCI_CONFIG,
           "config media type");
    is_str(xb_json_str(json_object_get(man, "config"), "digest"), cd, "config digest");
    is_int(xb_json_int(man, "schemaVersion", 0), 2, "schemaVersion");
    cleanup_free char *mtext = xb_json_dump(man);
    ok(mtext && strncmp(mtext, "{\"schemaVersion\":2,\"mediaType\":", 31) == 0,
       "manifest key order");
    ok(json_object_get(man, "annotations") != NULL, "annotations");

    cleanup_json json_t *mdesc = xb_descriptor_new(XB_MT_OCI_MANIFEST, md, msize, NULL, NULL);
    xb_image_t *img = NULL;
    ok(xb_image_load(s, mdesc, NULL, &img, &err) == 0, "load manifest");
    if (img) {
        is_str(img->manifest_digest, md, "loaded manifest digest");
        is_str(img->config_digest, cd, "loaded config digest");
        is_str(img->index_digest, "", "no index");
        is_str(img->platform.arch, "arm", "platform from config");
        is_int(json_array_size(xb_image_layers(img)), 1, "layers");
    }
    xb_image_free(img);
    img = NULL;
    xb_platform_t want;
    xb_platform_parse("linux/amd64", &want, NULL);
    ok(xb_image_load(s, mdesc, &want, &img, &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "manifest for another platform refused");
    ok(err.msg && strstr(err.msg, "linux/arm/v7") != NULL, "error names it: %s", err.msg);
    xb_error_clear(&err);
    xb_platform_free(&want);

    /* docker manifest */
    char dmd[XB_DIGEST_LEN];
    ok(xb_image_commit(s, cfg, layers, XB_MT_DOCKER_MANIFEST, NULL, dmd, &msize, cd, &err) == 0,
       "docker commit");
    cleanup_json json_t *dman = NULL;
    xb_store_read_json(s, dmd, &dman, &err);
    is_str(xb_json_str(json_object_get(dman, "config"), "mediaType"), XB_MT_DOCKER_CONFIG,
           "docker config media type");
    ok(xb_image_commit(s, cfg, layers, "text/plain", NULL, dmd, &msize, cd, &err) < 0,
       "unknown manifest type refused");
    xb_error_clear(&err);
    json_decref(cfg);
    xb_platform_free(&p);

    /* index */
    json_t *amd = make_image(s, "linux/amd64", XB_MT_OCI_MANIFEST);
    json_t *arm = make_image(s, "linux/arm64", XB_MT_OCI_MANIFEST);
    json_t *arm2 = make_image(s, "linux/arm64/v8", XB_MT_DOCKER_MANIFEST);
    ok(amd && arm && arm2, "platform images");
    cleanup_json json_t *idx = xb_index_new(NULL);
    ok(xb_index_add(idx, amd, &err) == 0 && xb_index_add(idx, arm, &err) == 0, "index add");
    cleanup_json json_t *att =
        json_pack("{s:s,s:s,s:i,s:{s:s,s:s}}", "mediaType", XB_MT_OCI_MANIFEST, "digest", L1,
                  "size", 1, "platform", "architecture", "unknown", "os", "unknown");
    ok(xb_index_add(idx, att, &err) == 0, "attestation entry");
    is_int(json_array_size(json_object_get(idx, "manifests")), 3, "3 entries");
    ok(xb_index_add(idx, arm2, &err) == 0, "re-add arm64 (as v8)");
    is_int(json_array_size(json_object_get(idx, "manifests")), 3, "same platform replaced");
    is_str(xb_json_str(json_array_get(json_object_get(idx, "manifests"), 1), "digest"),
           xb_json_str(arm2, "digest"), "replaced in place");
    xb_index_add(idx, arm, &err);
    cleanup_free char *plats = xb_index_platforms_string(idx);
    is_str(plats, "linux/amd64, linux/arm64, unknown/unknown", "platforms string");

    char id[XB_DIGEST_LEN];
    int64_t isize;
    ok(xb_index_commit(s, idx, id, &isize, &err) == 0, "index commit");
    cleanup_json json_t *idesc = xb_descriptor_new(XB_MT_OCI_INDEX, id, isize, NULL, NULL);
    xb_platform_parse("linux/aarch64", &want, NULL);
    ok(xb_image_load(s, idesc, &want, &img, &err) == 0, "load arm64 through index");
    if (img) {
        is_str(img->manifest_digest, xb_json_str(arm, "digest"), "arm64 manifest chosen");
        is_str(img->index_digest, id, "index digest recorded");
        ok(img->index != NULL, "index kept");
    }
    xb_image_free(img);
    img = NULL;
    xb_platform_free(&want);
    ok(xb_image_load(s, idesc, NULL, &img, &err) == 0, "load host platform: %s",
       err.msg ? err.msg : "");
    xb_error_clear(&err);
    xb_image_free(img);
    img = NULL;
    xb_platform_parse("linux/s390x", &want, NULL);
    ok(xb_image_load(s, idesc, &want, &img, &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "missing platform -> not found");
    ok(err.msg && strstr(err.msg, "linux/s390x") && strstr(err.msg, "linux/amd64, linux/arm64"),
       "error lists platforms: %s", err.msg);
    ok(err.msg && strstr(err.msg, "unknown") == NULL, "attestation entries not listed");
    xb_error_clear(&err);
    xb_platform_free(&want);

    /* single-entry index without a platform match picks the only entry when want is NULL */
    cleanup_json json_t *one = xb_index_new(XB_MT_DOCKER_MANIFEST_LIST);
    cleanup_json json_t *noplat = json_deep_copy(arm);
    json_object_del(noplat, "platform");
    xb_index_add(one, noplat, &err);
    const json_t *sel = NULL;
    ok(xb_index_select(one, NULL, &sel, &err) == 0 && sel != NULL, "only entry chosen");
    xb_error_clear(&err);

    is_int(xb_index_remove_digest(idx, xb_json_str(amd, "digest")), 1, "remove by digest");
    xb_platform_parse("linux/arm64/v8", &want, NULL);
    is_int(xb_index_remove_platform(idx, &want), 1, "remove by platform");
    xb_platform_free(&want);
    is_int(json_array_size(json_object_get(idx, "manifests")), 1, "one left");
    json_decref(amd);
    json_decref(arm);
    json_decref(arm2);

    /* descriptor checks */
    cleanup_json json_t *bad =
        json_pack("{s:s,s:s,s:i}", "mediaType", "x", "digest", "md5:00", "size", 1);
    ok(xb_descriptor_check(bad, "test", &err) < 0, "bad digest refused");
    xb_error_clear(&err);
    is_int(xb_mt_layer_compression(XB_MT_DOCKER_LAYER_GZIP), 1, "docker layer gzip");
    is_int(xb_mt_layer_compression(XB_MT_OCI_LAYER_ZSTD), 2, "zstd layer");
    is_int(xb_mt_layer_compression(XB_MT_WASM_LAYER), -1, "wasm is not a tar layer");

    xb_store_close(s);
    char rm[100];
    snprintf(rm, sizeof(rm), "rm -rf '%s'", root);
    ok(system(rm) == 0, "cleanup");
    return tap_done();
}
