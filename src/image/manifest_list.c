/* Image indexes under edit: see manifest_list.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest_list.h"
#include "image/mediatype.h"
#include "util/cleanup.h"
#include "util/json.h"

int xb_mlist_validate(const json_t *index, const char *what, xb_error_t *err)
{
    if (!json_is_object(index))
        return xb_error_set(err, XB_ERR_PARSE, "%s: an index must be a JSON object", what);
    if (xb_json_int(index, "schemaVersion", -1) != 2)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: schemaVersion is not 2", what);
    const char *mt = xb_json_str(index, "mediaType");
    if (json_object_get(index, "mediaType") != NULL && !xb_mt_is_index(mt))
        return xb_error_set(err, XB_ERR_INVALID, "%s: mediaType %s is not an image index", what,
                            mt ? mt : "(not a string)");
    json_t *m = json_object_get(index, "manifests");
    if (!json_is_array(m))
        return xb_error_set(err, XB_ERR_PARSE, "%s: \"manifests\" is not an array", what);
    size_t i;
    json_t *d;
    json_array_foreach(m, i, d)
    {
        const char *dg = xb_json_str(d, "digest");
        if (!json_is_object(d) || dg == NULL || !xb_digest_valid(dg))
            return xb_error_set(err, XB_ERR_PARSE, "%s: manifests[%zu] has no valid digest", what,
                                i);
        if (!json_is_integer(json_object_get(d, "size")) || xb_json_int(d, "size", -1) < 0)
            return xb_error_set(err, XB_ERR_PARSE, "%s: manifests[%zu] has no valid size", what, i);
        if (xb_json_str(d, "mediaType") == NULL)
            return xb_error_set(err, XB_ERR_PARSE, "%s: manifests[%zu] has no mediaType", what, i);
        json_t *p = json_object_get(d, "platform");
        if (p != NULL && (!json_is_object(p) || xb_json_str(p, "architecture") == NULL ||
                          xb_json_str(p, "os") == NULL))
            return xb_error_set(err, XB_ERR_PARSE,
                                "%s: manifests[%zu].platform needs architecture and os", what, i);
    }
    return 0;
}

int xb_mlist_load(xb_store_t *s, const char *name, json_t **index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err)
{
    cleanup_json json_t *desc = NULL;
    if (xb_store_resolve(s, name, &desc, err) < 0)
        return -err->code;
    const char *mt = xb_json_str(desc, "mediaType");
    const char *dg = xb_json_str(desc, "digest");
    if (!xb_mt_is_index(mt))
        return xb_error_set(err, XB_ERR_INVALID, "%s is an image (%s), not an image index", name,
                            mt ? mt : "no mediaType");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_PARSE, "%s: stored descriptor has no valid digest", name);
    cleanup_json json_t *j = NULL;
    if (xb_store_read_json(s, dg, &j, err) < 0)
        return xb_error_wrap(err, "reading index %s", name);
    if (xb_mlist_validate(j, name, err) < 0)
        return -err->code;
    if (digest != NULL)
        snprintf(digest, XB_DIGEST_LEN, "%s", dg);
    if (index != NULL)
        *index = steal_pointer(&j);
    return 0;
}

int xb_mlist_save(xb_store_t *s, const char *name, const json_t *index, char digest[XB_DIGEST_LEN],
                  xb_error_t *err)
{
    if (xb_mlist_validate(index, name, err) < 0)
        return -err->code;
    cleanup_free char *data = xb_json_dump(index);
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char dg[XB_DIGEST_LEN];
    size_t len = strlen(data);
    if (xb_store_put_blob(s, data, len, dg, err) < 0)
        return xb_error_wrap(err, "storing index %s", name);
    const char *mt = xb_json_str(index, "mediaType");
    cleanup_json json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", mt ? mt : XB_MT_OCI_INDEX,
                                          "digest", dg, "size", (json_int_t)len);
    if (desc == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (xb_store_ref_set(s, name, desc, err) < 0)
        return xb_error_wrap(err, "tagging index %s", name);
    if (digest != NULL)
        snprintf(digest, XB_DIGEST_LEN, "%s", dg);
    return 0;
}

/* Accepts "sha256:<hex>", "<hex>" (both possibly shortened to >= 12 hex digits). */
static bool digest_matches(const char *full, const char *want)
{
    if (full == NULL || want == NULL)
        return false;
    const char *w = strncmp(want, "sha256:", 7) == 0 ? want + 7 : want;
    size_t n = strlen(w);
    if (n < 12 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)w[i]))
            return false;
    return strncmp(full, "sha256:", 7) == 0 && strncasecmp(full + 7, w, n) == 0;
}

int xb_mlist_find(const json_t *index, const char *digest, xb_error_t *err)
{
    json_t *m = json_object_get(index, "manifests");
    int found = -1;
    size_t i;
    json_t *d;
    json_array_foreach(m, i, d)
    {
        if (!digest_matches(xb_json_str(d, "digest"), digest))
            continue;
        if (found >= 0)
            return xb_error_set(err, XB_ERR_INVALID, "%s matches more than one entry of the index",
                                digest);
        found = (int)i;
    }
    if (found < 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "no entry with digest %s in the index", digest);
    return found;
}

int xb_mlist_remove(json_t *index, const char *digest, xb_error_t *err)
{
    int i = xb_mlist_find(index, digest, err);
    if (i < 0)
        return i;
    json_array_remove(json_object_get(index, "manifests"), (size_t)i);
    return 0;
}

int xb_mlist_put(json_t *index, const json_t *descriptor, xb_error_t *err)
{
    const char *dg = xb_json_str(descriptor, "digest");
    if (!json_is_array(json_object_get(index, "manifests")) || dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_INVALID, "cannot add an entry without a valid digest");
    cleanup_free char *d = strdup(dg);
    if (d == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_index_remove_digest(index, d);
    return xb_index_add(index, descriptor, err);
}

/* Sets obj[key] to value, or deletes it when value is NULL or "". */
static void set_or_del(json_t *obj, const char *key, const char *value)
{
    if (value == NULL || *value == '\0')
        json_object_del(obj, key);
    else
        json_object_set_new(obj, key, json_string(value));
}

static int apply_annotations(json_t *obj, const char *const *kv, xb_error_t *err)
{
    if (kv == NULL)
        return 0;
    for (const char *const *p = kv; *p != NULL; p++) {
        const char *eq = strchr(*p, '=');
        if (eq == NULL || eq == *p)
            return xb_error_set(err, XB_ERR_USAGE, "annotation \"%s\" is not KEY=VALUE", *p);
        cleanup_free char *key = strndup(*p, (size_t)(eq - *p));
        json_t *a = json_object_get(obj, "annotations");
        if (a == NULL) {
            if (eq[1] == '\0')
                continue;
            a = json_object();
            json_object_set_new(obj, "annotations", a);
        }
        set_or_del(a, key, eq + 1);
        if (json_object_size(a) == 0)
            json_object_del(obj, "annotations");
    }
    return 0;
}

int xb_mlist_apply_opts(json_t *d, const struct xb_mlist_entry_opts *o, xb_error_t *err)
{
    if (o == NULL)
        return 0;
    if (o->os || o->arch || o->variant || o->os_version || o->os_features) {
        json_t *p = json_object_get(d, "platform");
        if (p == NULL) {
            p = json_object();
            json_object_set_new(d, "platform", p);
        }
        const char *os = o->os ? o->os : xb_json_str(p, "os");
        const char *arch = o->arch ? o->arch : xb_json_str(p, "architecture");
        const char *variant = o->variant ? o->variant : xb_json_str(p, "variant");
        if (o->arch && !o->variant)
            variant = NULL; /* a new architecture does not keep the old one's variant */
        if (os == NULL || arch == NULL)
            return xb_error_set(err, XB_ERR_USAGE,
                                "a platform needs both --os and --arch (the image has no %s)",
                                os == NULL ? "os" : "architecture");
        cleanup_free char *spec = NULL;
        if (asprintf(&spec, "%s/%s%s%s", os, arch, variant && *variant ? "/" : "",
                     variant ? variant : "") < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        cleanup_platform xb_platform_t pl = XB_PLATFORM_INIT;
        if (xb_platform_parse(spec, &pl, err) < 0)
            return -err->code;
        json_object_set_new(p, "architecture", json_string(pl.arch));
        json_object_set_new(p, "os", json_string(pl.os));
        set_or_del(p, "variant", pl.variant);
        if (o->os_version)
            set_or_del(p, "os.version", o->os_version);
        if (o->os_features) {
            json_t *f = json_array();
            for (const char *const *q = o->os_features; *q; q++)
                json_array_append_new(f, json_string(*q));
            json_object_set_new(p, "os.features", f);
        }
    }
    return apply_annotations(d, o->annotations, err);
}

int xb_mlist_annotate_index(json_t *index, const char *const *annotations, xb_error_t *err)
{
    return apply_annotations(index, annotations, err);
}

json_t *xb_mlist_platform_from_config(const json_t *config)
{
    cleanup_platform xb_platform_t pl = XB_PLATFORM_INIT;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    if (xb_image_config_platform(config, &pl, &e) < 0)
        return NULL;
    json_t *p = xb_platform_to_json(&pl);
    if (p == NULL)
        return NULL;
    const char *ov = xb_json_str(config, "os.version");
    if (ov != NULL && *ov != '\0')
        json_object_set_new(p, "os.version", json_string(ov));
    json_t *f = json_object_get(config, "os.features");
    if (json_is_array(f) && json_array_size(f) > 0)
        json_object_set_new(p, "os.features", json_deep_copy(f));
    return p;
}

int xb_mlist_describe_image(xb_store_t *s, const json_t *mdesc, json_t **out, xb_error_t *err)
{
    const char *dg = xb_json_str(mdesc, "digest");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_INVALID, "image descriptor without a valid digest");
    cleanup_free char *raw = NULL;
    size_t len = 0;
    if (xb_store_read_blob(s, dg, XB_JSON_MAX, &raw, &len, err) < 0)
        return xb_error_wrap(err, "reading manifest %s", dg);
    cleanup_json json_t *m = NULL;
    if (xb_json_parse(raw, len, dg, &m, err) < 0)
        return -err->code;
    const char *mt = xb_json_str(m, "mediaType");
    if (mt == NULL)
        mt = xb_json_str(mdesc, "mediaType");
    if (mt == NULL && json_is_array(json_object_get(m, "layers")))
        mt = XB_MT_OCI_MANIFEST;
    if (!xb_mt_is_manifest(mt))
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: %s is not an image manifest", dg,
                            mt ? mt : "unknown mediaType");
    json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", dg, "size", (json_int_t)len);
    if (d == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    const char *cdg = xb_json_str(json_object_get(m, "config"), "digest");
    cleanup_json json_t *cfg = NULL;
    if (cdg != NULL && xb_digest_valid(cdg) && xb_store_has_blob(s, cdg) &&
        xb_store_read_json(s, cdg, &cfg, err) == 0) {
        json_t *p = xb_mlist_platform_from_config(cfg);
        if (p != NULL)
            json_object_set_new(d, "platform", p);
    }
    xb_error_clear(err);
    /* an existing platform on the input descriptor wins (it was chosen from an index) */
    json_t *given = json_object_get(mdesc, "platform");
    if (json_is_object(given))
        json_object_set(d, "platform", given);
    *out = d;
    return 0;
}

int xb_mlist_children_of(xb_store_t *s, const json_t *desc, bool all, const xb_platform_t *want,
                         json_t **children, xb_error_t *err)
{
    const char *mt = xb_json_str(desc, "mediaType");
    const char *dg = xb_json_str(desc, "digest");
    cleanup_json json_t *out = json_array();
    if (!xb_mt_is_index(mt)) {
        json_t *d = NULL;
        if (xb_mlist_describe_image(s, desc, &d, err) < 0)
            return -err->code;
        json_array_append_new(out, d);
        *children = steal_pointer(&out);
        return 0;
    }
    cleanup_json json_t *idx = NULL;
    if (dg == NULL || xb_store_read_json(s, dg, &idx, err) < 0)
        return xb_error_wrap(err, "reading index %s", dg ? dg : "(no digest)");
    if (xb_mlist_validate(idx, dg, err) < 0)
        return -err->code;
    if (all) {
        json_array_extend(out, json_object_get(idx, "manifests"));
    } else {
        const json_t *c = NULL;
        if (xb_index_select(idx, want, &c, err) < 0)
            return xb_error_wrap(err, "index %s (use --all to add every image)", dg);
        json_array_append(out, (json_t *)c);
    }
    *children = steal_pointer(&out);
    return 0;
}

char *xb_mlist_pretty(const json_t *j)
{
    return json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
}

/* GOOS / GOARCH names (the platform vocabulary of OCI, containerd and Docker), plus Wasm's. */
static const char *const KNOWN_OS[] = {"aix",     "android", "darwin",  "dragonfly", "freebsd",
                                       "illumos", "ios",     "js",      "linux",     "netbsd",
                                       "openbsd", "plan9",   "solaris", "windows",   "zos",
                                       "wasi",    "wasip1",  "wasip2",  NULL};
static const char *const KNOWN_ARCH[] = {
    "386", "amd64", "arm",     "arm64",   "loong64", "mips",    "mipsle", "mips64", "mips64le",
    "ppc", "ppc64", "ppc64le", "riscv64", "s390x",   "sparc64", "wasm",   NULL};

static bool known(const char *const *names, const char *v)
{
    for (; *names != NULL; names++)
        if (strcmp(*names, v) == 0)
            return true;
    return false;
}

/* "os/arch[/variant]" of entry i (normalised), or NULL with *err set. Caller frees. */
static char *entry_platform(const json_t *d, const char *what, size_t i, xb_error_t *err)
{
    const json_t *p = json_object_get(d, "platform");
    const char *dg = xb_json_str(d, "digest");
    if (p == NULL) {
        xb_error_set(err, XB_ERR_INVALID,
                     "%s: entry %zu (%s) has no platform: its config names no os/architecture; "
                     "give one with `xbuild manifest annotate --os OS --arch ARCH`",
                     what, i, dg ? dg : "?");
        return NULL;
    }
    cleanup_platform xb_platform_t pl = XB_PLATFORM_INIT;
    if (xb_platform_from_json(p, &pl, err) < 0) {
        xb_error_wrap(err, "%s: entry %zu (%s)", what, i, dg ? dg : "?");
        return NULL;
    }
    if (!known(KNOWN_OS, pl.os) || !known(KNOWN_ARCH, pl.arch)) {
        xb_error_set(err, XB_ERR_INVALID,
                     "%s: entry %zu (%s) has the unknown platform %s/%s (os and architecture "
                     "must be GOOS/GOARCH names such as linux/arm64); fix it with `xbuild "
                     "manifest annotate --os OS --arch ARCH`",
                     what, i, dg ? dg : "?", pl.os, pl.arch);
        return NULL;
    }
    char *s = xb_platform_format(&pl);
    if (s == NULL)
        xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return s;
}

int xb_mlist_check_platforms(const json_t *index, const char *what, xb_error_t *err)
{
    cleanup_json json_t *seen = json_object();
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i, d)
    {
        cleanup_free char *p = entry_platform(d, what, i, err);
        if (p == NULL)
            return -err->code;
        json_t *prev = json_object_get(seen, p);
        if (prev != NULL)
            return xb_error_set(err, XB_ERR_INVALID,
                                "%s: platform %s is listed twice (%s and %s); remove one with "
                                "`xbuild manifest remove`",
                                what, p, json_string_value(prev), xb_json_str(d, "digest"));
        json_object_set_new(seen, p, json_string(xb_json_str(d, "digest")));
    }
    return 0;
}

int xb_mlist_platform_clash(const json_t *index, const json_t *descriptor)
{
    cleanup_free char *want = xb_platform_json_format(json_object_get(descriptor, "platform"));
    const char *dg = xb_json_str(descriptor, "digest");
    if (want == NULL || dg == NULL)
        return -1;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i, d)
    {
        cleanup_free char *have = xb_platform_json_format(json_object_get(d, "platform"));
        const char *hd = xb_json_str(d, "digest");
        if (have != NULL && strcmp(have, want) == 0 && hd != NULL && strcmp(hd, dg) != 0)
            return (int)i;
    }
    return -1;
}
