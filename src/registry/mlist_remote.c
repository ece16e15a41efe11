/* The registry side of `xbuild manifest`: see mlist_remote.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "image/manifest_list.h"
#include "image/mediatype.h"
#include "image/reference.h"
#include "registry/client.h"
#include "registry/mlist_remote.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/json.h"

/* Options for the calls here: the caller's, quiet (the library never prints). */
static void map_opts(const xb_registry_opts_t *o, xb_registry_opts_t *ro)
{
    *ro = o ? *o : (xb_registry_opts_t)XB_REGISTRY_OPTS_INIT;
    ro->quiet = true;
}

static const char *strip_transport(const char *ref)
{
    return strncmp(ref, "docker://", 9) == 0 ? ref + 9 : ref;
}

static int open_ref(const char *ref, const xb_registry_opts_t *o, bool push, xb_reference_t **rp,
                    xb_registry_t **out, xb_error_t *err)
{
    if (xb_reference_parse(strip_transport(ref), rp, err) < 0)
        return -err->code;
    xb_registry_opts_t ro;
    map_opts(o, &ro);
    return xb_registry_open(*rp, &ro, push, out, err);
}

/* GETs object (tag or digest) and stores the bytes as a blob; *m parsed, *mt its media type. */
static int fetch_manifest(xb_registry_t *r, xb_store_t *s, const char *object, json_t **m,
                          char **mt, char digest[XB_DIGEST_LEN], int64_t *size, xb_error_t *err)
{
    cleanup_free char *data = NULL;
    cleanup_free char *ctype = NULL;
    size_t len = 0;
    if (xb_registry_get_manifest(r, object, NULL, &data, &len, &ctype, digest, err) < 0)
        return -err->code;
    cleanup_json json_t *j = NULL;
    if (xb_json_parse(data, len, object, &j, err) < 0)
        return -err->code;
    const char *inner = xb_json_str(j, "mediaType");
    const char *type = inner != NULL ? inner : ctype;
    if (!xb_mt_is_index(type) && !xb_mt_is_manifest(type))
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s/%s: unsupported manifest type %s",
                            xb_registry_name(r), object, type ? type : "(none)");
    char stored[XB_DIGEST_LEN];
    if (xb_store_put_blob(s, data, len, stored, err) < 0)
        return -err->code;
    *mt = strdup(type);
    *size = (int64_t)len;
    *m = steal_pointer(&j);
    return *mt ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

/* Fetches one blob unless the store has it, and remembers where it came from (for mounts). */
static int fetch_blob(xb_registry_t *r, xb_store_t *s, const json_t *d, xb_error_t *err)
{
    const char *dg = xb_json_str(d, "digest");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_PARSE, "%s: a descriptor has no valid digest",
                            xb_registry_name(r));
    if (!xb_store_has_blob(s, dg) &&
        xb_registry_fetch_blob(r, s, dg, xb_json_int(d, "size", -1), err) < 0)
        return xb_error_wrap(err, "fetching %s", dg);
    xb_registry_note_source(s, dg, xb_registry_host(r), xb_registry_repository(r));
    return 0;
}

/* An image manifest (already parsed): its config and layers. */
static int fetch_image_blobs(xb_registry_t *r, xb_store_t *s, const json_t *m, xb_error_t *err)
{
    if (fetch_blob(r, s, json_object_get(m, "config"), err) < 0)
        return -err->code;
    json_t *layers = json_object_get(m, "layers");
    if (!json_is_array(layers))
        return xb_error_set(err, XB_ERR_PARSE, "%s: manifest without layers", xb_registry_name(r));
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (fetch_blob(r, s, l, err) < 0)
            return -err->code;
    }
    return 0;
}

static int fetch_child(xb_registry_t *r, xb_store_t *s, const json_t *c, xb_error_t *err)
{
    const char *dg = xb_json_str(c, "digest");
    cleanup_json json_t *m = NULL;
    cleanup_free char *mt = NULL;
    char got[XB_DIGEST_LEN];
    int64_t size;
    if (fetch_manifest(r, s, dg, &m, &mt, got, &size, err) < 0)
        return -err->code;
    if (!xb_mt_is_manifest(mt))
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: nested index %s is not supported",
                            xb_registry_name(r), dg);
    return fetch_image_blobs(r, s, m, err);
}

int xb_mlist_fetch_remote(xb_store_t *s, const char *ref, bool all, const xb_platform_t *want,
                          const xb_registry_opts_t *o, json_t **desc, xb_error_t *err)
{
    cleanup_reference xb_reference_t *rp = NULL;
    cleanup_registry xb_registry_t *r = NULL;
    if (open_ref(ref, o, false, &rp, &r, err) < 0)
        return -err->code;
    cleanup_json json_t *m = NULL;
    cleanup_free char *mt = NULL;
    char dg[XB_DIGEST_LEN];
    int64_t size = 0;
    if (fetch_manifest(r, s, xb_reference_object(rp), &m, &mt, dg, &size, err) < 0)
        return -err->code;
    if (rp->digest != NULL && strcmp(rp->digest, dg) != 0)
        return xb_error_set(err, XB_ERR_DIGEST, "%s: the registry sent %s", ref, dg);
    if (xb_mt_is_manifest(mt)) {
        if (fetch_image_blobs(r, s, m, err) < 0)
            return -err->code;
    } else {
        if (xb_mlist_validate(m, ref, err) < 0)
            return -err->code;
        if (all) {
            size_t i;
            json_t *c;
            json_array_foreach(json_object_get(m, "manifests"), i, c)
            {
                if (fetch_child(r, s, c, err) < 0)
                    return -err->code;
            }
        } else {
            const json_t *c = NULL;
            if (xb_index_select(m, want, &c, err) < 0 || fetch_child(r, s, c, err) < 0)
                return xb_error_wrap(err, "%s", ref);
        }
    }
    *desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", dg, "size", (json_int_t)size);
    return *desc ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

int xb_mlist_inspect_remote(const char *ref, const xb_registry_opts_t *o, char **raw, size_t *len,
                            xb_error_t *err)
{
    cleanup_reference xb_reference_t *rp = NULL;
    cleanup_registry xb_registry_t *r = NULL;
    if (open_ref(ref, o, false, &rp, &r, err) < 0)
        return -err->code;
    cleanup_free char *mt = NULL;
    char dg[XB_DIGEST_LEN];
    return xb_registry_get_manifest(r, xb_reference_object(rp), NULL, raw, len, &mt, dg, err);
}

int xb_mlist_push(xb_store_t *s, const char *name, const char *dest, const xb_registry_opts_t *o,
                  char digest[XB_DIGEST_LEN], xb_error_t *err)
{
    char dg[XB_DIGEST_LEN];
    if (xb_mlist_load(s, name, NULL, dg, err) < 0)
        return -err->code;
    cleanup_json json_t *desc = NULL;
    if (xb_store_resolve(s, name, &desc, err) < 0)
        return -err->code;
    xb_registry_opts_t ro;
    map_opts(o, &ro);
    if (xb_registry_push(s, desc, strip_transport(dest), &ro, digest, err) < 0)
        return xb_error_wrap(err, "pushing %s to %s", name, dest);
    return 0;
}
