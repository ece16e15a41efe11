/* xb_wasm_push: inspect, build the artifact, upload blobs, PUT the manifest. See transfer.h. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "wasm/artifact.h"
#include "wasm/inspect.h"
#include "wasm/transfer.h"

static int push_blob(xb_registry_t *r, const struct xb_wasm_blob *b, bool quiet,
                     struct xb_wasm_push_result *res, xb_error_t *err)
{
    int64_t size = -1;
    int have = xb_registry_blob_exists(r, b->digest, &size, err);
    if (have < 0)
        return have;
    if (have > 0 && size == (int64_t)b->len) {
        res->blobs_skipped++;
        if (!quiet)
            xb_info("Copying blob %.19s skipped: already exists", b->digest);
        return 0;
    }
    if (!quiet)
        xb_info("Copying blob %.19s (%zu bytes, %s)", b->digest, b->len, b->media_type);
    if (xb_registry_upload_mem(r, b->digest, b->data, b->len, err) < 0)
        return xb_error_wrap(err, "uploading %s", b->digest);
    res->blobs_uploaded++;
    return 0;
}

int xb_wasm_push(const char *module_path, const char *ref, const struct xb_wasm_push_opts *opts,
                 struct xb_wasm_push_result *res, xb_error_t *err)
{
    cleanup_wasm_info xb_wasm_info_t info = XB_WASM_INFO_INIT;
    cleanup_free char *module = NULL;
    cleanup_free char *pathcopy = NULL;
    cleanup_reference xb_reference_t *rf = NULL;
    cleanup_registry xb_registry_t *r = NULL;
    xb_wasm_artifact_t a;
    size_t len = 0;
    bool quiet = opts->registry && opts->registry->quiet;

    memset(res, 0, sizeof(*res));
    memset(&a, 0, sizeof(a));
    if (xb_reference_parse(ref, &rf, err) < 0)
        return -err->code;
    if (xb_wasm_inspect_file(module_path, &info, &module, &len, err) < 0)
        return -err->code;
    pathcopy = strdup(module_path);
    if (pathcopy == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    struct xb_wasm_artifact_opts ao = {opts->format, basename(pathcopy), opts->annotations, NULL,
                                       opts->source_date_epoch};
    if (xb_wasm_artifact_build(&ao, &info, module, len, &a, err) < 0)
        return -err->code;
    res->module_size = len;
    res->manifest_size = a.manifest.len;
    res->config_size = a.config.len;
    res->layer_size = a.layer.len;
    res->kind = info.kind;
    res->wasi = info.wasi;
    snprintf(res->digest, sizeof(res->digest), "%s", a.manifest.digest);
    if (rf->digest && strcmp(rf->digest, a.manifest.digest) != 0) {
        xb_error_set(err, XB_ERR_DIGEST,
                     "%s: the reference names digest %s but the manifest built is %s", ref,
                     rf->digest, a.manifest.digest);
        goto out;
    }
    if (!quiet)
        xb_info("Pushing %s (%s, %s) as %s to %s", module_path, xb_wasm_kind_name(info.kind),
                xb_wasm_os(&info), xb_wasm_format_name(opts->format), ref);

    xb_registry_opts_t ro = XB_REGISTRY_OPTS_INIT;
    if (xb_registry_open(rf, opts->registry ? opts->registry : &ro, true, &r, err) < 0 ||
        push_blob(r, &a.layer, quiet, res, err) < 0 || push_blob(r, &a.config, quiet, res, err) < 0)
        goto out;
    if (!quiet)
        xb_info("Writing manifest %s (%zu bytes)", a.manifest.digest, a.manifest.len);
    if (xb_registry_put_manifest(r, xb_reference_object(rf), a.manifest.media_type, a.manifest.data,
                                 a.manifest.len, NULL, err) < 0)
        goto out;
    xb_wasm_artifact_free(&a);
    return 0;
out:
    xb_wasm_artifact_free(&a);
    return -err->code;
}
