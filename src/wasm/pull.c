/* xb_wasm_pull: manifest (via the index's wasm platform) -> module bytes -> file. See
 * transfer.h. Everything fetched is verified against its digest by the registry client; the
 * module is inspected before it is written, so a text layer never lands as FILE. */
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "wasm/artifact.h"
#include "wasm/inspect.h"
#include "wasm/select.h"
#include "wasm/transfer.h"

/* A layer of an image may hold more than the module; the tar is read in memory. */
#define MAX_IMAGE_LAYER (2 * (size_t)XB_WASM_MAX_SIZE)

static const char *const accept_types[] = {
    XB_WASM_MT_OCI_INDEX,
    XB_WASM_MT_OCI_MANIF,
    XB_MT_DOCKER_MANIFEST_LIST,
    XB_MT_DOCKER_MANIFEST,
    NULL,
};

/* Fetches a manifest and parses it; *mt is the media type (header, else the JSON field). */
static int get_manifest(xb_registry_t *r, const char *object, const char *what, json_t **out,
                        char **mt, char digest[XB_DIGEST_LEN], xb_error_t *err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (xb_registry_get_manifest(r, object, accept_types, &data, &len, mt, digest, err) < 0)
        return -err->code;
    if (xb_json_parse(data, len, what, out, err) < 0)
        return -err->code;
    if (!json_is_object(*out))
        return xb_error_set(err, XB_ERR_PARSE, "%s: manifest is not a JSON object", what);
    const char *field = xb_json_str(*out, "mediaType");
    if ((*mt == NULL || **mt == '\0' || strcmp(*mt, "application/octet-stream") == 0 ||
         strcmp(*mt, "application/json") == 0) &&
        field) {
        free(*mt);
        *mt = strdup(field);
    }
    return 0;
}

static int descriptor_digest(const json_t *d, const char *what, const char **digest, int64_t *size,
                             xb_error_t *err)
{
    *digest = xb_json_str(d, "digest");
    *size = xb_json_int(d, "size", -1);
    if (*digest == NULL || !xb_digest_valid(*digest))
        return xb_error_set(err, XB_ERR_PARSE, "%s: descriptor without a valid sha256 digest",
                            what);
    return 0;
}

/* Fetches one blob into memory, verified against its digest and its descriptor's size. */
static int fetch(xb_registry_t *r, const json_t *desc, const char *what, size_t max, char **data,
                 size_t *len, xb_error_t *err)
{
    const char *digest;
    int64_t size;
    if (descriptor_digest(desc, what, &digest, &size, err) < 0)
        return -err->code;
    if (size > (int64_t)max)
        return xb_error_set(err, XB_ERR_INVALID, "%s: blob %s is %lld bytes (limit %zu)", what,
                            digest, (long long)size, max);
    if (xb_registry_fetch_blob_mem(r, digest, max, data, len, err) < 0)
        return xb_error_wrap(err, "%s: fetching %s", what, digest);
    if (size >= 0 && (int64_t)*len != size) {
        free(*data);
        *data = NULL;
        return xb_error_set(err, XB_ERR_DIGEST, "%s: blob %s is %zu bytes, descriptor says %lld",
                            what, digest, *len, (long long)size);
    }
    return 0;
}

/* Image format: config -> module path -> layers from the top down. */
static int module_from_image(xb_registry_t *r, const json_t *manifest, const char *what, char **out,
                             size_t *out_len, xb_error_t *err)
{
    cleanup_free char *cfgdata = NULL;
    cleanup_json json_t *cfg = NULL;
    cleanup_free char *path = NULL;
    size_t cfglen = 0;
    if (fetch(r, json_object_get(manifest, "config"), what, XB_JSON_MAX, &cfgdata, &cfglen, err) <
            0 ||
        xb_json_parse(cfgdata, cfglen, what, &cfg, err) < 0 ||
        xb_wasm_image_module_path(cfg, what, &path, err) < 0)
        return -err->code;
    json_t *layers = json_object_get(manifest, "layers");
    for (size_t i = json_array_size(layers); i-- > 0;) {
        cleanup_free char *blob = NULL;
        size_t blen = 0;
        bool found = false;
        if (fetch(r, json_array_get(layers, i), what, MAX_IMAGE_LAYER, &blob, &blen, err) < 0 ||
            xb_wasm_extract_from_layer(blob, blen, path, what, out, out_len, &found, err) < 0)
            return -err->code;
        if (found)
            return 0;
    }
    if (path)
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "%s: the wasm image's Entrypoint /%s is in none of its layers", what,
                            path);
    return xb_error_set(err, XB_ERR_NOT_FOUND,
                        "%s: the wasm image names no Entrypoint and holds no .wasm file", what);
}

int xb_wasm_pull(const char *ref, const char *out_path, const xb_registry_opts_t *ropts,
                 struct xb_wasm_pull_result *res, xb_error_t *err)
{
    cleanup_reference xb_reference_t *rf = NULL;
    cleanup_registry xb_registry_t *r = NULL;
    cleanup_json json_t *m = NULL;
    cleanup_free char *mt = NULL;
    cleanup_free char *module = NULL;
    size_t len = 0;
    bool quiet = ropts && ropts->quiet;
    xb_registry_opts_t dflt = XB_REGISTRY_OPTS_INIT;

    memset(res, 0, sizeof(*res));
    if (xb_reference_parse(ref, &rf, err) < 0 ||
        xb_registry_open(rf, ropts ? ropts : &dflt, false, &r, err) < 0 ||
        get_manifest(r, xb_reference_object(rf), ref, &m, &mt, res->digest, err) < 0)
        return -err->code;

    if (xb_wasm_is_index_type(mt) || (mt == NULL && json_object_get(m, "manifests"))) {
        const json_t *d;
        const char *digest;
        int64_t size;
        if (xb_wasm_select_platform(m, ref, &d, err) < 0 ||
            descriptor_digest(d, ref, &digest, &size, err) < 0)
            return -err->code;
        cleanup_free char *dig = strdup(digest);
        if (dig == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (!quiet)
            xb_info("Index %s: using the wasm platform's manifest %s", ref, dig);
        json_decref(steal_pointer(&m));
        free(steal_pointer(&mt));
        if (get_manifest(r, dig, ref, &m, &mt, res->digest, err) < 0)
            return -err->code;
        if (xb_wasm_is_index_type(mt))
            return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: nested index %s", ref, dig);
    } else if (mt && !xb_wasm_is_manifest_type(mt)) {
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "%s: not a Wasm artifact: unsupported manifest media type %s", ref, mt);
    }

    struct xb_wasm_selection sel;
    if (xb_wasm_select_layer(m, ref, &sel, err) < 0)
        return -err->code;
    res->kind = sel.kind;
    if (!quiet)
        xb_info("Found Wasm content in %s (format %s, manifest %s)", ref, sel.kind, res->digest);
    if (sel.is_image) {
        if (module_from_image(r, m, ref, &module, &len, err) < 0)
            return -err->code;
    } else if (fetch(r, sel.layer, ref, XB_WASM_MAX_SIZE, &module, &len, err) < 0) {
        return -err->code;
    }

    cleanup_wasm_info xb_wasm_info_t info = XB_WASM_INFO_INIT;
    if (xb_wasm_inspect(module, len, ref, &info, err) < 0)
        return xb_error_wrap(err, "refusing to write %s", out_path);
    res->module_size = len;
    res->wasm_kind = info.kind;
    res->wasi = info.wasi;
    xb_digest_buf(module, len, res->module_digest);
    if (xb_write_file_atomic(out_path, module, len, 0644, err) < 0)
        return -err->code;
    return 0;
}
