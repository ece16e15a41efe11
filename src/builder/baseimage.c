/* Base images of the build (FROM, COPY --from=<image>, RUN --mount from=<image>): from the
 * store, pulled per the pull policy for the stage's platform. */
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "image/image.h"
#include "registry/registry.h"
#include "store/images.h"
#include "util/cleanup.h"
#include "util/json.h"

/* Pull flags for FROM: a Dockerfile with RUN steps will need the layers extracted, so that
 * happens while they download. */
static int pull_flags(const xb_bctx_t *b)
{
    if (b->o->snapshotter == XB_SNAP_COPY)
        return 0;
    for (size_t i = 0; i < b->df->ninstrs; i++)
        if (strcmp(b->df->instrs[i].keyword, "RUN") == 0)
            return XB_PULL_EXTRACT;
    return 0;
}

int xb_bx_image_load(xb_bctx_t *b, const char *ref, const xb_platform_t *p, json_t **config,
                     json_t **layers, xb_error_t *err)
{
    cleanup_json json_t *desc = NULL;
    int policy = b->o->pull_policy;
    xb_error_t e = XB_ERROR_INIT;
    int r = -1;
    if (policy != XB_PULL_ALWAYS)
        r = xb_store_resolve(b->store, ref, &desc, &e);
    if (r < 0) {
        if (r < 0 && e.code != 0 && e.code != XB_ERR_NOT_FOUND) {
            xb_error_move(err, &e);
            return -1;
        }
        xb_error_clear(&e);
        if (policy == XB_PULL_NEVER)
            return xb_error_set(err, XB_ERR_NOT_FOUND, "image %s not found in the local store",
                                ref);
        if (xb_registry_pull(b->store, ref, p, policy | pull_flags(b), b->o->registry, &desc, err) <
            0)
            return xb_error_wrap(err, "pulling %s", ref);
    }
    cleanup_image xb_image_t *img = NULL;
    if (xb_image_load(b->store, desc, p, &img, err) < 0) {
        /* a local image of another platform: try pulling the right one */
        if (err->code == XB_ERR_NOT_FOUND && policy == XB_PULL_MISSING) {
            json_decref(desc);
            desc = NULL;
            xb_error_t local = XB_ERROR_INIT;
            xb_error_move(&local, err);
            if (xb_registry_pull(b->store, ref, p, policy | pull_flags(b), b->o->registry, &desc,
                                 err) < 0 ||
                xb_image_load(b->store, desc, p, &img, err) < 0) {
                /* say first why the local image did not do: usually a missing --platform */
                cleanup_free char *want = xb_platform_format(p);
                xb_error_wrap(err,
                              "%s (use --platform to build for the local image's platform); "
                              "pulling %s for %s failed",
                              local.msg ? local.msg : "local image unusable", ref,
                              want ? want : "this platform");
                xb_error_clear(&local);
                return xb_error_wrap(err, "image %s", ref);
            }
            xb_error_clear(&local);
        } else {
            return xb_error_wrap(err, "image %s", ref);
        }
    }
    *config = json_deep_copy(img->config);
    *layers = json_deep_copy(xb_image_layers(img));
    if (*layers == NULL)
        *layers = json_array();
    return 0;
}
