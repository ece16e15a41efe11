/* References: index.json entries annotated org.opencontainers.image.ref.name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"

int xb_store_index_load(xb_store_t *s, json_t **index, xb_error_t *err)
{
    json_t *j = NULL;
    if (!xb_path_exists(s->index)) {
        j = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType",
                      "application/vnd.oci.image.index.v1+json", "manifests");
    } else if (xb_json_load_file(s->index, XB_JSON_MAX, &j, err) < 0) {
        return -err->code;
    }
    if (j == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    json_t *m = json_object_get(j, "manifests");
    if (m == NULL) {
        json_object_set_new(j, "manifests", json_array());
    } else if (!json_is_array(m)) {
        json_decref(j);
        return xb_error_set(err, XB_ERR_PARSE, "%s: \"manifests\" is not an array", s->index);
    }
    *index = j;
    return 0;
}

int xb_store_index_save(xb_store_t *s, const json_t *index, xb_error_t *err)
{
    char *data = json_dumps(index, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int r = xb_write_file_atomic(s->index, data, strlen(data), 0644, err);
    free(data);
    return r;
}

const char *xb_store_ref_name(const json_t *descriptor)
{
    return xb_json_str(json_object_get(descriptor, "annotations"), REF_ANNOTATION);
}

char *xb_store_normalize_name(const char *name)
{
    if (name == NULL || *name == '\0')
        return NULL;
    const char *last = strrchr(name, '/');
    last = last ? last + 1 : name;
    char *r = NULL;
    if (strchr(name, '@') != NULL || strchr(last, ':') != NULL)
        return strdup(name);
    if (asprintf(&r, "%s:latest", name) < 0)
        return NULL;
    return r;
}

bool xb_store_name_valid(const char *name)
{
    /* annotations.md: ref ::= component ("/" component)*;
     * component ::= alphanum (separator alphanum)*; separator ::= [-._:@+] | "--" */
    if (name == NULL || *name == '\0' || strlen(name) > 1024)
        return false;
    bool prev_alnum = false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum) {
            prev_alnum = true;
            continue;
        }
        if (!prev_alnum)
            return false;
        if (c == '-' && p[1] == '-') {
            p++;
        } else if (strchr("-._:@+/", c) == NULL) {
            return false;
        }
        prev_alnum = false;
    }
    return prev_alnum;
}

int xb_store_ref_set(xb_store_t *s, const char *name, const json_t *descriptor, xb_error_t *err)
{
    if (!xb_store_name_valid(name))
        return xb_error_set(err, XB_ERR_INVALID,
                            "invalid image name '%s' (allowed: A-Za-z0-9 separated by -._:@/+)",
                            name ? name : "");
    const char *mt = xb_json_str(descriptor, "mediaType");
    const char *dg = xb_json_str(descriptor, "digest");
    if (!json_is_object(descriptor) || mt == NULL || !xb_digest_valid(dg) ||
        !json_is_integer(json_object_get(descriptor, "size")))
        return xb_error_set(err, XB_ERR_INVALID,
                            "descriptor for '%s' needs mediaType, a sha256 digest and size", name);
    cleanup_json json_t *entry = json_deep_copy(descriptor);
    if (entry == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    json_t *ann = json_object_get(entry, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        json_object_set_new(entry, "annotations", ann);
    }
    json_object_set_new(ann, REF_ANNOTATION, json_string(name));

    int lk = xb_store_lock(s, err);
    if (lk < 0)
        return lk;
    cleanup_json json_t *index = NULL;
    int r = xb_store_index_load(s, &index, err);
    if (r >= 0) {
        json_t *m = json_object_get(index, "manifests");
        size_t i = 0;
        bool placed = false;
        while (i < json_array_size(m)) {
            const char *n = xb_store_ref_name(json_array_get(m, i));
            if (n != NULL && strcmp(n, name) == 0) {
                if (!placed) {
                    json_array_set(m, i, entry);
                    placed = true;
                    i++;
                } else {
                    json_array_remove(m, i);
                }
                continue;
            }
            i++;
        }
        if (!placed)
            json_array_append(m, entry);
        r = xb_store_index_save(s, index, err);
    }
    xb_store_unlock(lk);
    return r < 0 ? xb_error_wrap(err, "tag %s", name) : 0;
}

int xb_store_ref_delete(xb_store_t *s, const char *name, xb_error_t *err)
{
    int lk = xb_store_lock(s, err);
    if (lk < 0)
        return lk;
    cleanup_json json_t *index = NULL;
    int r = xb_store_index_load(s, &index, err);
    if (r >= 0) {
        json_t *m = json_object_get(index, "manifests");
        size_t removed = 0;
        for (size_t i = 0; i < json_array_size(m);) {
            const char *n = xb_store_ref_name(json_array_get(m, i));
            if (n != NULL && strcmp(n, name) == 0) {
                json_array_remove(m, i);
                removed++;
            } else {
                i++;
            }
        }
        if (removed == 0)
            r = xb_error_set(err, XB_ERR_NOT_FOUND, "no image named '%s' in %s", name, s->root);
        else
            r = xb_store_index_save(s, index, err);
    }
    xb_store_unlock(lk);
    return r < 0 ? r : 0;
}

int xb_store_refs_list(xb_store_t *s, json_t **manifests, xb_error_t *err)
{
    cleanup_json json_t *index = NULL;
    if (xb_store_index_load(s, &index, err) < 0)
        return -err->code;
    json_t *m = json_deep_copy(json_object_get(index, "manifests"));
    if (m == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    *manifests = m;
    return 0;
}

static bool is_hex(const char *p)
{
    for (; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static json_t *find_by_name(json_t *m, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(m, i, e)
    {
        const char *n = xb_store_ref_name(e);
        if (n != NULL && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

int xb_store_resolve(xb_store_t *s, const char *image, json_t **descriptor, xb_error_t *err)
{
    if (image == NULL || *image == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "empty image name");
    cleanup_json json_t *m = NULL;
    if (xb_store_refs_list(s, &m, err) < 0)
        return -err->code;
    json_t *e = find_by_name(m, image);
    if (e == NULL) {
        cleanup_free char *norm = xb_store_normalize_name(image);
        if (norm != NULL)
            e = find_by_name(m, norm);
    }
    if (e == NULL) {
        /* A digest or a digest prefix (with or without "sha256:"). */
        const char *at = strchr(image, '@'); /* "name@sha256:..." -> the digest */
        const char *dpart = at ? at + 1 : image;
        const char *hex = strncmp(dpart, "sha256:", 7) == 0 ? dpart + 7 : dpart;
        if (at != NULL && strlen(hex) != 64)
            hex = ""; /* a name@digest must carry the full digest */
        size_t hl = strlen(hex);
        if (hl >= 12 && hl <= 64 && is_hex(hex)) {
            cleanup_buf xb_buf_t cands = XB_BUF_INIT;
            const char *found = NULL;
            size_t i, n = 0;
            json_t *c;
            json_array_foreach(m, i, c)
            {
                const char *d = xb_json_str(c, "digest");
                if (!xb_digest_valid(d) || strncmp(d + 7, hex, hl) != 0)
                    continue;
                if (found != NULL && strcmp(found, d) == 0)
                    continue; /* several names of the same image */
                if (found == NULL)
                    e = c;
                found = d;
                const char *nm = xb_store_ref_name(c);
                xb_buf_printf(&cands, "%s%s (%s)", n ? ", " : "", d, nm ? nm : "untagged");
                n++;
            }
            if (n > 1)
                return xb_error_set(err, XB_ERR_INVALID, "'%s' is ambiguous: %s", image,
                                    cands.data);
        }
    }
    if (e == NULL)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "image '%s' not found in %s", image, s->root);
    *descriptor = json_deep_copy(e);
    return *descriptor ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

int xb_store_ref_delete_digest(xb_store_t *s, const char *digest, json_t **names, xb_error_t *err)
{
    int lk = xb_store_lock(s, err);
    if (lk < 0)
        return lk;
    cleanup_json json_t *index = NULL;
    cleanup_json json_t *removed = json_array();
    int r = xb_store_index_load(s, &index, err);
    if (r >= 0) {
        json_t *m = json_object_get(index, "manifests");
        for (size_t i = 0; i < json_array_size(m);) {
            json_t *e = json_array_get(m, i);
            const char *d = xb_json_str(e, "digest");
            if (d != NULL && strcmp(d, digest) == 0) {
                const char *n = xb_store_ref_name(e);
                json_array_append_new(removed, n ? json_string(n) : json_null());
                json_array_remove(m, i);
            } else {
                i++;
            }
        }
        if (json_array_size(removed) == 0)
            r = xb_error_set(err, XB_ERR_NOT_FOUND, "no image with digest %s in %s", digest,
                             s->root);
        else
            r = xb_store_index_save(s, index, err);
    }
    xb_store_unlock(lk);
    if (r < 0)
        return r;
    if (names != NULL)
        *names = json_incref(removed);
    return 0;
}
