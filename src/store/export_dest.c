/* xb_export: picks the transport a destination names (oci:, oci-archive:, docker-archive:) and
 * hands the image to it (export.c, export_archive.c, export_docker.c; OCI destinations get
 * the media-type conversion plan of export_convert.c). */
#include <stdio.h>

#include "store/export.h"
#include "util/cleanup.h"
#include "util/json.h"

int xb_export(xb_store_t *s, const json_t *desc, const char *dest,
              const struct xb_export_opts *opts, char digest_out[XB_DIGEST_LEN], xb_error_t *err)
{
    enum xb_export_transport t;
    cleanup_free char *path = NULL;
    cleanup_free char *tag = NULL;
    if (xb_export_parse_dest(dest, &t, &path, &tag, err) < 0)
        return -err->code;
    struct xb_export_opts none = {NULL, NULL, false};
    if (opts == NULL)
        opts = &none;
    if (t == XB_EXPORT_DOCKER_ARCHIVE)
        return xb_export_docker_archive(s, desc, path, tag, opts, digest_out, err);
    xb_export_plan_t plan;
    if (xb_export_plan(s, desc, !opts->keep_docker, &plan, err) < 0)
        return -err->code;
    int r = t == XB_EXPORT_OCI_DIR ? xb_export_oci_dir(s, &plan, path, tag, err)
                                   : xb_export_oci_archive(s, &plan, path, tag, err);
    if (r >= 0 && digest_out != NULL)
        snprintf(digest_out, XB_DIGEST_LEN, "%s", xb_json_str(plan.desc, "digest"));
    xb_export_plan_free(&plan);
    return r;
}
