/* Finding the Wasm module in a pulled index / manifest / image. See select.h. */
#include "wasm/select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy/lazy.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "wasm/artifact.h"
#include "wasm/inspect.h"

bool xb_wasm_is_index_type(const char *mt)
{
    return xb_mt_is_index(mt);
}

bool xb_wasm_is_manifest_type(const char *mt)
{
    return xb_mt_is_manifest(mt);
}

static bool is_wasm_os(const char *os)
{
    return os && (strcmp(os, "wasi") == 0 || strcmp(os, "wasip1") == 0 ||
                  strcmp(os, "wasip2") == 0 || strcmp(os, "wasm") == 0);
}

int xb_wasm_select_platform(const json_t *index, const char *what, const json_t **desc,
                            xb_error_t *err)
{
    json_t *ms = json_object_get(index, "manifests");
    cleanup_buf xb_buf_t seen = XB_BUF_INIT;
    size_t i;
    json_t *d;
    if (!json_is_array(ms))
        return xb_error_set(err, XB_ERR_PARSE, "%s: index has no manifests array", what);
    json_array_foreach(ms, i, d)
    {
        json_t *p = json_object_get(d, "platform");
        const char *arch = xb_json_str(p, "architecture"), *os = xb_json_str(p, "os");
        if (arch && strcmp(arch, "wasm") == 0 && (os == NULL || is_wasm_os(os))) {
            *desc = d;
            return 0;
        }
        xb_buf_printf(&seen, "%s%s/%s", seen.len ? ", " : "", os ? os : "?", arch ? arch : "?");
    }
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "%s: not a Wasm artifact: the index has no wasm platform (it has: %s)",
                        what, seen.len ? seen.data : "no manifests");
}

static const char *mt_of(const json_t *desc)
{
    const char *mt = xb_json_str(desc, "mediaType");
    return mt ? mt : "(none)";
}

static int not_wasm(const json_t *manifest, const char *what, const char *why, xb_error_t *err)
{
    cleanup_buf xb_buf_t layers = XB_BUF_INIT;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(manifest, "layers"), i, l)
        xb_buf_printf(&layers, "%s%s", i ? ", " : "", mt_of(l));
    return xb_error_set(
        err, XB_ERR_UNSUPPORTED, "%s: not a Wasm artifact: %s (config %s, layers: %s)", what, why,
        mt_of(json_object_get(manifest, "config")), layers.len ? layers.data : "none");
}

/* The only layer of media type mt; error when there are none or several. */
static int only_layer(const json_t *manifest, const char *what, const char *mt,
                      const json_t **layer, xb_error_t *err)
{
    size_t i, n = 0;
    json_t *l;
    json_array_foreach(json_object_get(manifest, "layers"), i, l)
    {
        if (strcmp(mt_of(l), mt) == 0) {
            if (n++ == 0)
                *layer = l;
        }
    }
    if (n == 1)
        return 0;
    if (n == 0)
        return not_wasm(manifest, what, "no Wasm layer", err);
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "%s: the artifact holds %zu Wasm layers (%s); pull-wasm writes a single "
                        "module",
                        what, n, mt);
}

int xb_wasm_select_layer(const json_t *manifest, const char *what, struct xb_wasm_selection *sel,
                         xb_error_t *err)
{
    memset(sel, 0, sizeof(*sel));
    const json_t *config = json_object_get(manifest, "config");
    const char *cmt = xb_json_str(config, "mediaType");
    json_t *layers = json_object_get(manifest, "layers");
    if (!json_is_object(config) || cmt == NULL || !json_is_array(layers))
        return xb_error_set(err, XB_ERR_PARSE, "%s: manifest without config or layers", what);

    if (strcmp(cmt, XB_WASM_MT_CONFIG_V0) == 0) {
        /* CNCF layout v0: exactly one application/wasm layer ("reject more than one"). */
        if (json_array_size(layers) != 1)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "%s: Wasm OCI artifact with %zu layers (this version of the "
                                "layout has exactly one)",
                                what, json_array_size(layers));
        sel->kind = "oci-artifact";
        return only_layer(manifest, what, XB_WASM_MT_WASM, &sel->layer, err);
    }
    if (strcmp(cmt, XB_WASM_MT_CONFIG_V1) == 0) {
        sel->kind = "wasm-to-oci";
        return only_layer(manifest, what, XB_WASM_MT_CONTENT, &sel->layer, err);
    }
    if (strcmp(cmt, XB_WASM_MT_SPIN_CONFIG) == 0) {
        sel->kind = "spin";
        return only_layer(manifest, what, XB_WASM_MT_CONTENT, &sel->layer, err);
    }
    if (strcmp(cmt, XB_WASM_MT_OCI_CONFIG) == 0 || strcmp(cmt, XB_MT_DOCKER_CONFIG) == 0) {
        if (json_array_size(layers) == 0)
            return not_wasm(manifest, what, "an image without layers", err);
        sel->kind = "image";
        sel->is_image = true;
        return 0;
    }
    /* Another artifact type: accept it when it carries exactly one Wasm layer. */
    size_t i, n = 0;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (strcmp(mt_of(l), XB_WASM_MT_WASM) == 0 || strcmp(mt_of(l), XB_WASM_MT_CONTENT) == 0) {
            if (n++ == 0)
                sel->layer = l;
        }
    }
    if (n == 1) {
        sel->kind = "wasm-artifact";
        return 0;
    }
    sel->layer = NULL;
    if (n > 1)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "%s: the artifact holds %zu Wasm layers; pull-wasm writes a single "
                            "module",
                            what, n);
    return not_wasm(manifest, what, "no Wasm layer and not a wasm image", err);
}

static const char *strip_root(const char *p)
{
    for (;;) {
        if (p[0] == '/')
            p++;
        else if (p[0] == '.' && p[1] == '/')
            p += 2;
        else
            return p;
    }
}

int xb_wasm_image_module_path(const json_t *config, const char *what, char **path, xb_error_t *err)
{
    const char *arch = xb_json_str(config, "architecture");
    const char *os = xb_json_str(config, "os");
    *path = NULL;
    if (arch == NULL || strcmp(arch, "wasm") != 0)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "%s: not a Wasm artifact: an image for %s/%s (a wasm image has "
                            "architecture \"wasm\")",
                            what, os ? os : "?", arch ? arch : "?");
    json_t *c = json_object_get(config, "config");
    json_t *ep = json_object_get(c, "Entrypoint");
    if (!json_is_array(ep) || json_array_size(ep) == 0)
        ep = json_object_get(c, "Cmd");
    const char *p = json_is_array(ep) ? json_string_value(json_array_get(ep, 0)) : NULL;
    if (p && *strip_root(p)) {
        *path = strdup(strip_root(p));
        if (*path == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int xb_wasm_extract_from_layer(const void *blob, size_t len, const char *path, const char *what,
                               char **out, size_t *out_len, bool *found, xb_error_t *err)
{
    if (xb_lazy_load(XB_LAZY_ARCHIVE, err) < 0)
        return -1;
    cleanup_archive_read struct archive *a = archive_read_new();
    cleanup_free char *data = NULL;
    cleanup_free char *name = NULL;
    struct archive_entry *e;
    size_t matches = 0, n = 0;
    int r;

    *found = false;
    if (a == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    if (archive_read_open_memory(a, blob, len) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_PARSE, "%s: layer is not a tar archive: %s", what,
                            archive_error_string(a));
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *p = strip_root(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        bool want = path ? strcmp(p, path) == 0 : ends_with(p, ".wasm");
        if (!want)
            continue;
        if (archive_entry_filetype(e) != AE_IFREG) {
            if (path)
                return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                    "%s: /%s in the image is not a regular file", what, p);
            continue;
        }
        if (++matches > 1 && path == NULL)
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "%s: the image holds several .wasm files (/%s, /%s) and no "
                                "Entrypoint names one",
                                what, name, p);
        free(name);
        name = strdup(p);
        la_int64_t size = archive_entry_size(e);
        if (name == NULL || size < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if ((uint64_t)size > XB_WASM_MAX_SIZE)
            return xb_error_set(err, XB_ERR_INVALID, "%s: /%s is larger than %u bytes", what, p,
                                XB_WASM_MAX_SIZE);
        free(data);
        data = malloc((size_t)size + 1);
        if (data == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        n = 0;
        while (n < (size_t)size) {
            la_ssize_t k = archive_read_data(a, data + n, (size_t)size - n);
            if (k < 0)
                return xb_error_set(err, XB_ERR_PARSE, "%s: reading /%s from the layer: %s", what,
                                    p, archive_error_string(a));
            if (k == 0)
                return xb_error_set(err, XB_ERR_PARSE, "%s: /%s is truncated in the layer", what,
                                    p);
            n += (size_t)k;
        }
        data[n] = '\0'; /* with a path, a later entry of the same name wins, as in a layer */
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
        return xb_error_set(err, XB_ERR_PARSE, "%s: bad layer: %s", what, archive_error_string(a));
    if (matches == 0)
        return 0;
    *found = true;
    *out = steal_pointer(&data);
    *out_len = n;
    return 0;
}
