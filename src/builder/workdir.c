/* WORKDIR's directories: as BuildKit's mkdir (with parents) of the new working directory, the
 * missing directories are created in a layer of their own, mode 0755, owned by the stage's USER
 * (names looked up in the image, BuildKit's lenient rules); existing ones are left alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/cache.h"
#include "builder/chown.h"
#include "builder/internal.h"
#include "builder/rootfs.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/json.h"

/* Fills out with the directories of abs (absolute image path) missing from st's rootfs. */
static int plan(xb_bstage_t *st, const char *abs, xb_centries_t *out, xb_error_t *err)
{
    xb_centry_t *e = NULL;
    cleanup_free char *r = xb_rootfs_resolve(&st->idx, abs, true, &e);
    if (r == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (r[0] == '\0' || (e != NULL && S_ISDIR(e->mode)))
        return 0; /* the root (through a symlink to it), or there already */
    uid_t uid = 0;
    gid_t gid = 0;
    const char *user = xb_json_str(xb_image_config_container(st->config), "User");
    if (user != NULL && user[0] != '\0' &&
        xb_chown_resolve_lenient(st->b->store, st->layers, user, &uid, &gid, err) < 0)
        return xb_error_wrap(err, "USER %s", user);
    for (char *s = r; s != NULL;) {
        s = strchr(s + 1, '/');
        if (s != NULL)
            *s = '\0';
        xb_centry_t *x = xb_centries_get(&st->idx, r);
        if (x != NULL && !S_ISDIR(x->mode))
            return xb_error_set(err, XB_ERR_INVALID,
                                "cannot create the working directory %s: /%s is not a directory "
                                "in the image",
                                abs, r);
        if (x == NULL) {
            xb_centry_t d = {0};
            d.path = strdup(r);
            d.mode = S_IFDIR | 0755;
            d.uid = uid;
            d.gid = gid;
            d.mtime = st->b->created;
            if (d.path == NULL || xb_centries_put(out, &d) == NULL) {
                free(d.path);
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            }
        }
        if (s != NULL)
            *s = '/';
    }
    return 0;
}

int xb_bx_workdir_mkdir(xb_bstage_t *st, const char *abs, const char *created_by, xb_error_t *err)
{
    if (abs[0] == '\0' || strcmp(abs, "/") == 0)
        return 0;
    if (xb_bx_stage_index(st, err) < 0)
        return -1;
    xb_centries_t out;
    xb_centries_init(&out);
    int ret = -1;
    xb_layer_result_t res;
    if (plan(st, abs, &out, err) < 0)
        goto done;
    ret = 0;
    if (out.n == 0)
        goto done;
    xb_centries_sort(&out);
    ret = -1;
    if (xb_bx_write_layer(st->b, &out, &res, err) < 0 ||
        xb_bx_add_layer(st, &res, created_by, err) < 0)
        goto done;
    xb_bx_cache_put(st, json_array_get(st->layers, json_array_size(st->layers) - 1), res.diff_id);
    ret = 1;
done:
    xb_centries_free(&out);
    return ret;
}
