/* The registry side of `xbuild manifest`: see mlist_remote.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "image/manifest_list.h"
#include "image/mediatype.h"
#include "image/reference.h"
#include "registry/client.h"
#include "registry/internal.h"
#include "registry/mlist_remote.h"
#include "registry/registry.h"
#include "store/remote.h"
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

/* Config blobs to fetch, keyed by digest (a config shared by several images is fetched once). */
struct fetch_job {
    xb_registry_t *r;
    xb_store_t *s;
    json_t *list; /* array of descriptors */
};

static int want_blob(struct fetch_job *j, json_t *seen, const json_t *d, xb_error_t *err)
{
    const char *dg = xb_json_str(d, "digest");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_PARSE, "%s: a descriptor has no valid digest",
                            xb_registry_name(j->r));
    if (json_object_get(seen, dg) != NULL)
        return 0;
    json_object_set_new(seen, dg, json_true());
    return json_array_append(j->list, (json_t *)d) == 0
               ? 0
               : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

/* Worker: one config blob unless the store has it; remembers where it came from (mounts). */
static int fetch_one(size_t i, void *ud, xb_error_t *err)
{
    struct fetch_job *j = ud;
    const json_t *d = json_array_get(j->list, i);
    const char *dg = xb_json_str(d, "digest");
    if (!xb_store_has_blob(j->s, dg) &&
        xb_registry_fetch_blob(j->r, j->s, dg, xb_json_int(d, "size", -1), err) < 0)
        return xb_error_wrap(err, "fetching %s", dg);
    xb_registry_note_source(j->s, dg, xb_registry_host(j->r), xb_registry_repository(j->r));
    return 0;
}

/* An image manifest (already parsed, its bytes stored): queues its config, and records that
 * its layers stay in this repository (store/remote.h): they are never downloaded here. */
static int image_blobs(struct fetch_job *j, json_t *seen, const json_t *m, const char *digest,
                       xb_error_t *err)
{
    if (want_blob(j, seen, json_object_get(m, "config"), err) < 0)
        return -err->code;
    json_t *layers = json_object_get(m, "layers");
    if (layers == NULL)
        layers = json_object_get(m, "blobs"); /* artifact manifests */
    if (!json_is_array(layers))
        return xb_error_set(err, XB_ERR_PARSE, "%s: manifest %s without layers",
                            xb_registry_name(j->r), digest);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (!xb_digest_valid(xb_json_str(l, "digest")))
            return xb_error_set(err, XB_ERR_PARSE, "%s: manifest %s: layer %zu has no valid digest",
                                xb_registry_name(j->r), digest, i);
    }
    return xb_store_remote_note(j->s, digest, xb_registry_host(j->r), xb_registry_repository(j->r),
                                err);
}

static int child_blobs(struct fetch_job *j, json_t *seen, const json_t *c, xb_error_t *err)
{
    const char *dg = xb_json_str(c, "digest");
    cleanup_json json_t *m = NULL;
    cleanup_free char *mt = NULL;
    char got[XB_DIGEST_LEN];
    int64_t size;
    if (fetch_manifest(j->r, j->s, dg, &m, &mt, got, &size, err) < 0)
        return -err->code;
    if (!xb_mt_is_manifest(mt))
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: nested index %s is not supported",
                            xb_registry_name(j->r), dg);
    return image_blobs(j, seen, m, dg, err);
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
    cleanup_json json_t *list = json_array();
    cleanup_json json_t *seen = json_object();
    struct fetch_job j = {r, s, list};
    if (xb_mt_is_manifest(mt)) {
        if (image_blobs(&j, seen, m, dg, err) < 0)
            return -err->code;
    } else {
        if (xb_mlist_validate(m, ref, err) < 0)
            return -err->code;
        if (all) {
            size_t i;
            json_t *c;
            json_array_foreach(json_object_get(m, "manifests"), i, c)
            {
                if (child_blobs(&j, seen, c, err) < 0)
                    return -err->code;
            }
        } else {
            const json_t *c = NULL;
            if (xb_index_select(m, want, &c, err) < 0 || child_blobs(&j, seen, c, err) < 0)
                return xb_error_wrap(err, "%s", ref);
        }
    }
    int jobs = o != NULL && o->jobs > 0 ? o->jobs : 4;
    if (xb_parallel(jobs, json_array_size(list), fetch_one, &j, err) < 0)
        return xb_error_wrap(err, "%s", ref);
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

static int push_desc(xb_store_t *s, const json_t *index, const json_t *desc, const char *what,
                     const char *dest, const xb_registry_opts_t *o, char digest[XB_DIGEST_LEN],
                     xb_error_t *err)
{
    if (xb_mlist_check_platforms(index, what, err) < 0)
        return -err->code;
    xb_registry_opts_t ro;
    map_opts(o, &ro);
    if (xb_registry_push(s, desc, strip_transport(dest), &ro, digest, err) < 0)
        return xb_error_wrap(err, "pushing %s to %s", what, dest);
    return 0;
}

int xb_mlist_push(xb_store_t *s, const char *name, const char *dest, const xb_registry_opts_t *o,
                  char digest[XB_DIGEST_LEN], xb_error_t *err)
{
    cleanup_json json_t *index = NULL;
    if (xb_mlist_load(s, name, &index, NULL, err) < 0)
        return -err->code;
    cleanup_json json_t *desc = NULL;
    if (xb_store_resolve(s, name, &desc, err) < 0)
        return -err->code;
    return push_desc(s, index, desc, name, dest, o, digest, err);
}

int xb_mlist_push_index(xb_store_t *s, const json_t *index, const char *dest,
                        const xb_registry_opts_t *o, char digest[XB_DIGEST_LEN], xb_error_t *err)
{
    if (xb_mlist_validate(index, dest, err) < 0)
        return -err->code;
    cleanup_free char *data = xb_json_dump(index);
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char dg[XB_DIGEST_LEN];
    if (xb_store_put_blob(s, data, strlen(data), dg, err) < 0)
        return -err->code;
    const char *mt = xb_json_str(index, "mediaType");
    cleanup_json json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt ? mt : XB_MT_OCI_INDEX,
                                          "digest", dg, "size", (json_int_t)strlen(data));
    if (desc == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return push_desc(s, index, desc, "the new index", dest, o, digest, err);
}
