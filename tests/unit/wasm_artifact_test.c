/* Unit tests: src/wasm/artifact.c (the three registry formats) and src/wasm/select.c (finding the
 * module again on the pull side). */
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "util/digest.h"
#include "util/json.h"
#include "wasm/artifact.h"
#include "wasm/inspect.h"
#include "wasm/select.h"

static const unsigned char core_mod[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00,
    0x00, 0x02, 0x24, 0x01, 0x16, 'w',  'a',  's',  'i',  '_',  's',  'n',  'a',
    'p',  's',  'h',  'o',  't',  '_',  'p',  'r',  'e',  'v',  'i',  'e',  'w',
    '1',  0x09, 'p',  'r',  'o',  'c',  '_',  'e',  'x',  'i',  't',  0x00, 0x00};

static const unsigned char component[] = {
    0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x0a, 0x1f, 0x01, 0x00, 0x1a, 'w',
    'a',  's',  'i',  ':',  'c',  'l',  'i',  '/',  'e',  'n',  'v',  'i',  'r',  'o',
    'n',  'm',  'e',  'n',  't',  '@',  '0',  '.',  '2',  '.',  '0',  0x04, 0x00, 0x0b,
    0x18, 0x01, 0x00, 0x12, 'w',  'a',  's',  'i',  ':',  'c',  'l',  'i',  '/',  'r',
    'u',  'n',  '@',  '0',  '.',  '2',  '.',  '0',  0x05, 0x00, 0x00};

#define CREATED "2024-01-02T03:04:05Z"

static json_t *parse(const struct xb_wasm_blob *b)
{
    json_t *j = NULL;
    xb_error_t err = XB_ERROR_INIT;
    xb_json_parse(b->data, b->len, "blob", &j, &err);
    xb_error_clear(&err);
    return j;
}

static const char *path_str(json_t *root, const char *path)
{
    /* dotted path, numeric parts index arrays */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *j = root;
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p && j; p = strtok_r(NULL, ".", &save))
        j = json_is_array(j) ? json_array_get(j, strtoul(p, NULL, 10)) : json_object_get(j, p);
    return json_string_value(j);
}

static long long path_int(json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *j = root;
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p && j; p = strtok_r(NULL, ".", &save))
        j = json_is_array(j) ? json_array_get(j, strtoul(p, NULL, 10)) : json_object_get(j, p);
    return json_is_integer(j) ? json_integer_value(j) : -1;
}

static void check_blob_digest(const struct xb_wasm_blob *b, const char *name)
{
    char d[XB_DIGEST_LEN];
    xb_digest_buf(b->data, b->len, d);
    is_str(b->digest, d, "%s digest matches its bytes", name);
}

static int build(int format, const void *mod, size_t len, const json_t *ann, xb_wasm_artifact_t *a)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_wasm_info_t info = XB_WASM_INFO_INIT;
    int r = xb_wasm_inspect(mod, len, "m.wasm", &info, &err);
    if (r == 0) {
        struct xb_wasm_artifact_opts o = {format, "hello.wasm", ann, CREATED, NULL};
        r = xb_wasm_artifact_build(&o, &info, mod, len, a, &err);
    }
    if (r < 0)
        printf("# error: %s\n", err.msg);
    xb_wasm_info_free(&info);
    xb_error_clear(&err);
    return r;
}

static void test_wasm_to_oci(void)
{
    xb_wasm_artifact_t a;
    json_t *ann = json_pack("{s:s}", "org.example.k", "v");
    is_int(build(XB_WASM_FMT_WASM_TO_OCI, core_mod, sizeof(core_mod), ann, &a), 0,
           "wasm-to-oci builds");
    json_t *m = parse(&a.manifest);
    ok(m != NULL, "wasm-to-oci manifest is JSON");
    ok(json_object_get(m, "mediaType") == NULL, "wasm-to-oci: no top-level mediaType");
    is_str(a.manifest.media_type, XB_WASM_MT_OCI_MANIF, "PUT as an OCI manifest");
    is_int(path_int(m, "schemaVersion"), 2, "schemaVersion 2");
    is_str(path_str(m, "config.mediaType"), "application/vnd.wasm.config.v1+json",
           "config media type");
    is_str(a.config.data, "{}", "config content {}");
    is_str(path_str(m, "config.digest"),
           "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
           "config digest of {}");
    is_int(path_int(m, "config.size"), 2, "config size 2");
    is_int(json_array_size(json_object_get(m, "layers")), 1, "one layer");
    is_str(path_str(m, "layers.0.mediaType"), "application/vnd.wasm.content.layer.v1+wasm",
           "layer media type");
    is_int(path_int(m, "layers.0.size"), sizeof(core_mod), "layer size = module size");
    char d[XB_DIGEST_LEN];
    xb_digest_buf(core_mod, sizeof(core_mod), d);
    is_str(path_str(m, "layers.0.digest"), d, "layer digest = module digest");
    is_str(json_string_value(json_object_get(
               json_object_get(json_array_get(json_object_get(m, "layers"), 0), "annotations"),
               "org.opencontainers.image.title")),
           "hello.wasm", "layer titled with the file name");
    is_str(json_string_value(json_object_get(json_object_get(m, "annotations"), "org.example.k")),
           "v", "--annotation lands on the manifest");
    ok(a.layer.data == (const char *)core_mod && !a.layer_owned, "layer is the module itself");
    check_blob_digest(&a.manifest, "manifest");
    ok(a.manifest.len + a.config.len <= 1024, "overhead %zu bytes <= 1 KiB",
       a.manifest.len + a.config.len);
    json_decref(m);

    struct xb_wasm_selection sel;
    xb_error_t err = XB_ERROR_INIT;
    m = parse(&a.manifest);
    is_int(xb_wasm_select_layer(m, "r", &sel, &err), 0, "select: wasm-to-oci recognised");
    is_str(sel.kind, "wasm-to-oci", "select: kind");
    is_str(xb_json_str(sel.layer, "digest"), d, "select: the module layer");
    json_decref(m);
    xb_wasm_artifact_free(&a);
    json_decref(ann);

    /* without annotations: no annotations object at all */
    build(XB_WASM_FMT_WASM_TO_OCI, core_mod, sizeof(core_mod), NULL, &a);
    m = parse(&a.manifest);
    ok(json_object_get(m, "annotations") == NULL, "no --annotation: no manifest annotations");
    json_decref(m);
    xb_wasm_artifact_free(&a);
}

static void test_oci_artifact(void)
{
    xb_wasm_artifact_t a;
    is_int(build(XB_WASM_FMT_OCI_ARTIFACT, core_mod, sizeof(core_mod), NULL, &a), 0,
           "oci-artifact builds (module)");
    json_t *m = parse(&a.manifest), *c = parse(&a.config);
    char d[XB_DIGEST_LEN];
    xb_digest_buf(core_mod, sizeof(core_mod), d);
    is_str(path_str(m, "mediaType"), XB_WASM_MT_OCI_MANIF, "oci-artifact: mediaType set");
    ok(json_object_get(m, "artifactType") == NULL, "no artifactType (the layout has none)");
    is_str(path_str(m, "config.mediaType"), "application/vnd.wasm.config.v0+json",
           "config v0 media type");
    is_int(path_int(m, "config.size"), a.config.len, "config size");
    is_str(path_str(m, "config.digest"), a.config.digest, "config digest");
    check_blob_digest(&a.config, "config");
    is_int(json_array_size(json_object_get(m, "layers")), 1, "one layer");
    is_str(path_str(m, "layers.0.mediaType"), "application/wasm", "layer application/wasm");
    is_str(path_str(m, "layers.0.digest"), d, "layer digest");
    is_str(path_str(c, "created"), CREATED, "config created");
    is_str(path_str(c, "architecture"), "wasm", "config architecture wasm");
    is_str(path_str(c, "os"), "wasip1", "config os wasip1 for a core module");
    is_str(path_str(c, "layerDigests.0"), d, "config layerDigests");
    is_int(json_array_size(json_object_get(c, "layerDigests")), 1, "one layer digest");
    ok(json_object_get(c, "component") == NULL, "no component section for a core module");
    ok(a.manifest.len + a.config.len <= 1024, "overhead %zu bytes <= 1 KiB",
       a.manifest.len + a.config.len);
    struct xb_wasm_selection sel;
    xb_error_t err = XB_ERROR_INIT;
    is_int(xb_wasm_select_layer(m, "r", &sel, &err), 0, "select: oci-artifact recognised");
    is_str(sel.kind, "oci-artifact", "select: kind");
    json_decref(m);
    json_decref(c);
    xb_wasm_artifact_free(&a);

    is_int(build(XB_WASM_FMT_OCI_ARTIFACT, component, sizeof(component), NULL, &a), 0,
           "oci-artifact builds (component)");
    c = parse(&a.config);
    is_str(path_str(c, "os"), "wasip2", "config os wasip2 for a component");
    is_str(path_str(c, "component.imports.0"), "wasi:cli/environment@0.2.0", "component imports");
    is_str(path_str(c, "component.exports.0"), "wasi:cli/run@0.2.0", "component exports");
    ok(a.manifest.len + a.config.len <= 1024, "component overhead %zu bytes <= 1 KiB",
       a.manifest.len + a.config.len);
    json_decref(c);
    xb_wasm_artifact_free(&a);
}

static void test_image(void)
{
    xb_wasm_artifact_t a;
    json_t *ann = json_pack("{s:s}", "org.example.k", "v");
    is_int(build(XB_WASM_FMT_IMAGE, core_mod, sizeof(core_mod), ann, &a), 0, "image builds");
    json_t *m = parse(&a.manifest), *c = parse(&a.config);
    is_str(path_str(m, "mediaType"), XB_WASM_MT_OCI_MANIF, "image: manifest mediaType");
    is_str(path_str(m, "config.mediaType"), XB_WASM_MT_OCI_CONFIG, "image config media type");
    is_str(path_str(m, "layers.0.mediaType"), XB_WASM_MT_OCI_TARGZ, "tar+gzip layer");
    is_str(path_str(m, "layers.0.digest"), a.layer.digest, "layer digest");
    check_blob_digest(&a.layer, "layer");
    is_str(json_string_value(
               json_object_get(json_object_get(m, "annotations"), "module.wasm.image/variant")),
           "compat", "module.wasm.image/variant=compat");
    is_str(json_string_value(json_object_get(json_object_get(m, "annotations"), "org.example.k")),
           "v", "user annotation kept");
    is_str(path_str(c, "architecture"), "wasm", "platform architecture wasm");
    is_str(path_str(c, "os"), "wasip1", "platform os wasip1");
    is_str(path_str(c, "config.Entrypoint.0"), "/hello.wasm", "Entrypoint is the module");
    is_str(path_str(c, "rootfs.diff_ids.0"), a.diff_id, "diff_id recorded");
    is_str(path_str(c, "created"), CREATED, "created");

    xb_error_t err = XB_ERROR_INIT;
    struct xb_wasm_selection sel;
    is_int(xb_wasm_select_layer(m, "r", &sel, &err), 0, "select: image recognised");
    ok(sel.is_image && sel.layer == NULL, "select: image needs the config");
    char *path = NULL;
    is_int(xb_wasm_image_module_path(c, "r", &path, &err), 0, "image config accepted");
    is_str(path, "hello.wasm", "module path from Entrypoint");
    char *mod = NULL;
    size_t len = 0;
    bool found = false;
    is_int(
        xb_wasm_extract_from_layer(a.layer.data, a.layer.len, path, "r", &mod, &len, &found, &err),
        0, "extract from the layer");
    ok(found && len == sizeof(core_mod) && memcmp(mod, core_mod, len) == 0,
       "extracted bytes = module");
    free(mod);
    mod = NULL;
    is_int(
        xb_wasm_extract_from_layer(a.layer.data, a.layer.len, NULL, "r", &mod, &len, &found, &err),
        0, "extract without a path (only .wasm file)");
    ok(found && len == sizeof(core_mod), "found by suffix");
    free(mod);
    mod = NULL;
    is_int(xb_wasm_extract_from_layer(a.layer.data, a.layer.len, "other.wasm", "r", &mod, &len,
                                      &found, &err),
           0, "extract a path the layer lacks");
    ok(!found && mod == NULL, "not found");
    ok(xb_wasm_extract_from_layer("not a tar at all", 16, NULL, "r", &mod, &len, &found, &err) < 0,
       "garbage layer refused (%s)", err.msg);
    xb_error_clear(&err);
    free(path);

    /* same input, same bytes (gzip header without time) */
    xb_wasm_artifact_t b;
    build(XB_WASM_FMT_IMAGE, core_mod, sizeof(core_mod), ann, &b);
    ok(a.layer.len == b.layer.len && memcmp(a.layer.data, b.layer.data, a.layer.len) == 0 &&
           strcmp(a.manifest.digest, b.manifest.digest) == 0,
       "image format is reproducible");
    xb_wasm_artifact_free(&b);
    json_decref(m);
    json_decref(c);
    json_decref(ann);
    xb_wasm_artifact_free(&a);
}

static void test_refusals(void)
{
    xb_error_t err = XB_ERROR_INIT;
    struct xb_wasm_selection sel;
    char *path = NULL;

    json_t *cfg = json_pack("{s:s, s:s, s:{s:[s]}}", "architecture", "amd64", "os", "linux",
                            "config", "Entrypoint", "/bin/sh");
    ok(xb_wasm_image_module_path(cfg, "reg/app:1", &path, &err) < 0 &&
           err.code == XB_ERR_UNSUPPORTED && strstr(err.msg, "linux/amd64") &&
           strstr(err.msg, "reg/app:1"),
       "linux/amd64 image refused (%s)", err.msg);
    xb_error_clear(&err);
    json_decref(cfg);

    json_t *m = json_pack("{s:i, s:{s:s, s:s, s:i}, s:[{s:s, s:s, s:i}]}", "schemaVersion", 2,
                          "config", "mediaType", "application/vnd.oci.empty.v1+json", "digest",
                          "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                          "size", 2, "layers", "mediaType", "text/plain", "digest",
                          "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                          "size", 2);
    ok(xb_wasm_select_layer(m, "reg/txt:1", &sel, &err) < 0 && err.code == XB_ERR_UNSUPPORTED &&
           strstr(err.msg, "not a Wasm artifact") && strstr(err.msg, "text/plain"),
       "text artifact refused (%s)", err.msg);
    xb_error_clear(&err);
    json_decref(m);

    /* Spin: one content layer among data layers */
    m = json_pack("{s:i, s:{s:s}, s:[{s:s}, {s:s, s:s}]}", "schemaVersion", 2, "config",
                  "mediaType", XB_WASM_MT_SPIN_CONFIG, "layers", "mediaType",
                  "application/vnd.wasm.content.layer.v1+data", "mediaType", XB_WASM_MT_CONTENT,
                  "digest", "sha256:00");
    is_int(xb_wasm_select_layer(m, "spin", &sel, &err), 0, "Spin application accepted");
    is_str(sel.kind, "spin", "kind spin");
    is_str(xb_json_str(sel.layer, "digest"), "sha256:00", "the wasm layer picked");
    json_decref(m);
    m = json_pack("{s:i, s:{s:s}, s:[{s:s}, {s:s}]}", "schemaVersion", 2, "config", "mediaType",
                  XB_WASM_MT_CONFIG_V0, "layers", "mediaType", XB_WASM_MT_WASM, "mediaType",
                  XB_WASM_MT_WASM);
    ok(xb_wasm_select_layer(m, "two", &sel, &err) < 0 && strstr(err.msg, "2 layers"),
       "CNCF artifact with two layers refused (%s)", err.msg);
    xb_error_clear(&err);
    json_decref(m);

    json_t *idx = json_pack("{s:i, s:[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s, s:s}}]}", "schemaVersion",
                            2, "manifests", "digest", "sha256:a", "platform", "os", "linux",
                            "architecture", "amd64", "digest", "sha256:b", "platform", "os",
                            "wasip1", "architecture", "wasm");
    const json_t *d = NULL;
    is_int(xb_wasm_select_platform(idx, "i", &d, &err), 0, "index: wasm platform found");
    is_str(xb_json_str(d, "digest"), "sha256:b", "index: the wasm entry");
    json_array_remove(json_object_get(idx, "manifests"), 1);
    ok(xb_wasm_select_platform(idx, "reg/multi:1", &d, &err) < 0 &&
           strstr(err.msg, "linux/amd64") && strstr(err.msg, "no wasm platform"),
       "index without wasm refused (%s)", err.msg);
    xb_error_clear(&err);
    json_decref(idx);

    int f = -1;
    ok(xb_wasm_format_parse("oci-artifact", &f, &err) == 0 && f == XB_WASM_FMT_OCI_ARTIFACT,
       "format parse");
    ok(xb_wasm_format_parse("docker", &f, &err) < 0 && err.code == XB_ERR_USAGE,
       "unknown format is a usage error");
    xb_error_clear(&err);
    xb_wasm_artifact_t a;
    xb_wasm_info_t info = XB_WASM_INFO_INIT;
    struct xb_wasm_artifact_opts o = {XB_WASM_FMT_IMAGE, "../x.wasm", NULL, CREATED, NULL};
    ok(xb_wasm_artifact_build(&o, &info, core_mod, sizeof(core_mod), &a, &err) < 0,
       "file name with a slash refused");
    xb_error_clear(&err);
}

int main(void)
{
    test_wasm_to_oci();
    test_oci_artifact();
    test_image();
    test_refusals();
    return tap_done();
}
