/* Manifest, config and layer bytes for the three Wasm registry formats. See artifact.h. */
#include "wasm/artifact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "lazy/lazy.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char *const format_names[] = {"wasm-to-oci", "oci-artifact", "image"};

int xb_wasm_format_parse(const char *s, int *format, xb_error_t *err)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, format_names[i]) == 0) {
            *format = i;
            return 0;
        }
    return xb_error_set(err, XB_ERR_USAGE,
                        "unknown Wasm format '%s' (expected wasm-to-oci, oci-artifact or image)",
                        s);
}

const char *xb_wasm_format_name(int format)
{
    return format >= 0 && format < 3 ? format_names[format] : "unknown";
}

void xb_wasm_created_now(const char *sde, char *buf, size_t size)
{
    time_t t = time(NULL);
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (*end == '\0' && v >= 0)
            t = (time_t)v;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *descriptor(const struct xb_wasm_blob *b)
{
    return json_pack("{s:s, s:s, s:I}", "mediaType", b->media_type, "digest", b->digest, "size",
                     (json_int_t)b->len);
}

static json_t *string_array(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Serialises j into b (compact, in insertion order) and digests it. */
static int blob_from_json(const json_t *j, const char *media_type, struct xb_wasm_blob *b,
                          xb_error_t *err)
{
    if (j == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory building JSON");
    b->data = xb_json_dump(j);
    if (b->data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "cannot serialise JSON");
    b->len = strlen(b->data);
    b->media_type = media_type;
    xb_digest_buf(b->data, b->len, b->digest);
    return 0;
}

/* Copies the string annotations of src into dst (non-string values are refused). */
static int merge_annotations(json_t *dst, const json_t *src, xb_error_t *err)
{
    const char *k;
    json_t *v;
    if (src == NULL)
        return 0;
    json_object_foreach((json_t *)src, k, v)
    {
        if (!json_is_string(v))
            return xb_error_set(err, XB_ERR_INVALID, "annotation %s: value is not a string", k);
        if (json_object_set(dst, k, v) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

/* Adds an "annotations" object to manifest m with the (string) annotations given, if any. */
static int add_manifest_annotations(json_t *m, const json_t *annotations, xb_error_t *err)
{
    if (annotations == NULL || json_object_size(annotations) == 0)
        return 0;
    json_t *ann = json_object();
    if (json_object_set_new(m, "annotations", ann) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return merge_annotations(ann, annotations, err);
}

/* --- the image format's layer: a tar with the module, gzip-compressed (deterministic) --- */

static la_ssize_t tar_write_cb(struct archive *a, void *ud, const void *data, size_t n)
{
    (void)a;
    return xb_buf_append(ud, data, n) < 0 ? -1 : (la_ssize_t)n;
}

static int tar_module(const char *name, const void *module, size_t len, time_t mtime, xb_buf_t *out,
                      xb_error_t *err)
{
    if (xb_lazy_load(XB_LAZY_ARCHIVE, err) < 0)
        return -1;
    cleanup_archive_write struct archive *a = archive_write_new();
    cleanup_archive_entry struct archive_entry *e = archive_entry_new();
    if (a == NULL || e == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_per_block(a, 512);
    if (archive_write_open2(a, out, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_INTERNAL, "tar: %s", archive_error_string(a));
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK ||
        (len > 0 && archive_write_data(a, module, len) != (la_ssize_t)len) ||
        archive_write_close(a) != ARCHIVE_OK)
        return xb_error_set(err, XB_ERR_INTERNAL, "tar: %s", archive_error_string(a));
    return 0;
}

/* gzip with a zero header mtime, so equal input gives equal bytes. */
static int gzip_buf(const void *in, size_t len, xb_buf_t *out, xb_error_t *err)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return xb_error_set(err, XB_ERR_INTERNAL, "zlib: deflateInit2 failed");
    z.next_in = (Bytef *)in;
    unsigned char chunk[65536];
    int rc;
    size_t left = len;
    do {
        uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
        z.next_in = (Bytef *)in + (len - left);
        z.avail_in = take;
        left -= take;
        int flush = left ? Z_NO_FLUSH : Z_FINISH;
        do {
            z.next_out = chunk;
            z.avail_out = sizeof(chunk);
            rc = deflate(&z, flush);
            if (rc == Z_STREAM_ERROR) {
                deflateEnd(&z);
                return xb_error_set(err, XB_ERR_INTERNAL, "zlib: deflate failed");
            }
            if (xb_buf_append(out, chunk, sizeof(chunk) - z.avail_out) < 0) {
                deflateEnd(&z);
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            }
        } while (z.avail_out == 0);
    } while (left > 0);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "zlib: incomplete stream");
}

static time_t parse_created(const char *created)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 0;
    return timegm(&tm);
}

/* --- the three formats --- */

static int build_wasm_to_oci(const struct xb_wasm_artifact_opts *o, xb_wasm_artifact_t *a,
                             xb_error_t *err)
{
    a->config.data = strdup("{}");
    if (a->config.data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    a->config.len = 2;
    a->config.media_type = XB_WASM_MT_CONFIG_V1;
    xb_digest_buf("{}", 2, a->config.digest);
    a->layer.media_type = XB_WASM_MT_CONTENT;

    cleanup_json json_t *layer = descriptor(&a->layer);
    if (layer == NULL ||
        json_object_set_new(layer, "annotations",
                            json_pack("{s:s}", XB_WASM_TITLE_ANNOT, o->filename)) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    /* No top-level "mediaType": Krustlet's puller accepts no value but Docker's. */
    cleanup_json json_t *m = json_pack("{s:i, s:o, s:[O]}", "schemaVersion", 2, "config",
                                       descriptor(&a->config), "layers", layer);
    if (m == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (add_manifest_annotations(m, o->annotations, err) < 0)
        return -err->code;
    return blob_from_json(m, XB_WASM_MT_OCI_MANIF, &a->manifest, err);
}

static int build_oci_artifact(const struct xb_wasm_artifact_opts *o, const xb_wasm_info_t *info,
                              const char *created, xb_wasm_artifact_t *a, xb_error_t *err)
{
    a->layer.media_type = XB_WASM_MT_WASM;
    cleanup_json json_t *cfg =
        json_pack("{s:s, s:s, s:s, s:[s]}", "created", created, "architecture", "wasm", "os",
                  xb_wasm_os(info), "layerDigests", a->layer.digest);
    if (cfg == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (info->kind == XB_WASM_COMPONENT) {
        json_t *comp =
            json_pack("{s:o, s:o}", "exports", string_array(info->exports, info->n_exports),
                      "imports", string_array(info->imports, info->n_imports));
        if (comp == NULL || json_object_set_new(cfg, "component", comp) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (blob_from_json(cfg, XB_WASM_MT_CONFIG_V0, &a->config, err) < 0)
        return -err->code;

    cleanup_json json_t *m =
        json_pack("{s:i, s:s}", "schemaVersion", 2, "mediaType", XB_WASM_MT_OCI_MANIF);
    if (m == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (add_manifest_annotations(m, o->annotations, err) < 0)
        return -err->code;
    if (json_object_set_new(m, "config", descriptor(&a->config)) < 0 ||
        json_object_set_new(m, "layers", json_pack("[o]", descriptor(&a->layer))) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return blob_from_json(m, XB_WASM_MT_OCI_MANIF, &a->manifest, err);
}

static int build_image(const struct xb_wasm_artifact_opts *o, const xb_wasm_info_t *info,
                       const void *module, size_t len, const char *created, xb_wasm_artifact_t *a,
                       xb_error_t *err)
{
    cleanup_buf xb_buf_t tar = XB_BUF_INIT;
    cleanup_buf xb_buf_t gz = XB_BUF_INIT;
    if (tar_module(o->filename, module, len, parse_created(created), &tar, err) < 0 ||
        gzip_buf(tar.data, tar.len, &gz, err) < 0)
        return -err->code;
    xb_digest_buf(tar.data, tar.len, a->diff_id);
    a->layer.len = gz.len;
    a->layer.data = xb_buf_steal(&gz);
    a->layer_owned = true;
    a->layer.media_type = XB_WASM_MT_OCI_TARGZ;
    xb_digest_buf(a->layer.data, a->layer.len, a->layer.digest);

    cleanup_free char *entry = NULL;
    if (asprintf(&entry, "/%s", o->filename) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *by = NULL;
    if (asprintf(&by, "xbuild push-wasm %s (%s)", o->filename, xb_wasm_kind_name(info->kind)) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_json json_t *cfg = json_pack(
        "{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created", created,
        "architecture", "wasm", "os", xb_wasm_os(info), "config", "Entrypoint", entry, "rootfs",
        "type", "layers", "diff_ids", a->diff_id, "history", "created", created, "created_by", by);
    if (blob_from_json(cfg, XB_WASM_MT_OCI_CONFIG, &a->config, err) < 0)
        return -err->code;

    json_t *ann = json_object();
    cleanup_json json_t *m = json_pack(
        "{s:i, s:s, s:o, s:[o], s:o}", "schemaVersion", 2, "mediaType", XB_WASM_MT_OCI_MANIF,
        "config", descriptor(&a->config), "layers", descriptor(&a->layer), "annotations", ann);
    if (m == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (merge_annotations(ann, o->annotations, err) < 0)
        return -err->code;
    if (json_object_set_new(ann, XB_WASM_VARIANT_ANNOT, json_string("compat")) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return blob_from_json(m, XB_WASM_MT_OCI_MANIF, &a->manifest, err);
}

int xb_wasm_artifact_build(const struct xb_wasm_artifact_opts *opts, const xb_wasm_info_t *info,
                           const void *module, size_t len, xb_wasm_artifact_t *out, xb_error_t *err)
{
    xb_wasm_artifact_t a;
    memset(&a, 0, sizeof(a));
    memset(out, 0, sizeof(*out));
    a.format = opts->format;
    if (opts->filename == NULL || *opts->filename == '\0' || strchr(opts->filename, '/') ||
        strcmp(opts->filename, ".") == 0 || strcmp(opts->filename, "..") == 0)
        return xb_error_set(err, XB_ERR_INVALID, "invalid module file name '%s'",
                            opts->filename ? opts->filename : "");
    char created[32];
    if (opts->created)
        snprintf(created, sizeof(created), "%s", opts->created);
    else
        xb_wasm_created_now(opts->source_date_epoch, created, sizeof(created));

    if (opts->format != XB_WASM_FMT_IMAGE) {
        a.layer.data = (char *)module;
        a.layer.len = len;
        xb_digest_buf(module, len, a.layer.digest);
    }
    int r;
    switch (opts->format) {
    case XB_WASM_FMT_WASM_TO_OCI:
        r = build_wasm_to_oci(opts, &a, err);
        break;
    case XB_WASM_FMT_OCI_ARTIFACT:
        r = build_oci_artifact(opts, info, created, &a, err);
        break;
    case XB_WASM_FMT_IMAGE:
        r = build_image(opts, info, module, len, created, &a, err);
        break;
    default:
        r = xb_error_set(err, XB_ERR_INVALID, "unknown Wasm format %d", opts->format);
    }
    if (r < 0) {
        xb_wasm_artifact_free(&a);
        return r;
    }
    *out = a;
    return 0;
}

void xb_wasm_artifact_free(xb_wasm_artifact_t *a)
{
    if (a == NULL)
        return;
    free(a->manifest.data);
    free(a->config.data);
    if (a->layer_owned)
        free(a->layer.data);
    memset(a, 0, sizeof(*a));
}
