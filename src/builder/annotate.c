/* --annotation specs (build/annotate.h). */
#include <stdlib.h>
#include <string.h>

#include "builder/annotate.h"
#include "util/cleanup.h"

struct ann {
    unsigned levels;
    xb_platform_t plat; /* arch NULL: every platform */
    char *key;
    const char *value; /* points into the spec */
};

static void ann_free(struct ann *a)
{
    xb_platform_free(&a->plat);
    free(a->key);
}

static int level_of(const char *s, size_t n, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned level;
    } names[] = {{"manifest", XB_ANN_MANIFEST},
                 {"manifest-descriptor", XB_ANN_MANIFEST_DESC},
                 {"index", XB_ANN_INDEX},
                 {"index-descriptor", XB_ANN_INDEX_DESC}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && strncmp(s, names[i].name, n) == 0) {
            *out = names[i].level;
            return 0;
        }
    return -1;
}

/* The type prefix ends at the first ':' before the first '=' (keys such as
 * org.opencontainers.image.title have no ':'). */
static int parse(const char *spec, struct ann *a, xb_error_t *err)
{
    memset(a, 0, sizeof *a);
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec)
        return xb_error_set(err, XB_ERR_USAGE, "--annotation %s: expected [TYPE:]KEY=VALUE", spec);
    const char *colon = memchr(spec, ':', (size_t)(eq - spec));
    const char *kstart = spec;
    a->levels = XB_ANN_MANIFEST;
    if (colon != NULL) {
        a->levels = 0;
        kstart = colon + 1;
        for (const char *t = spec; t < colon;) {
            size_t len = strcspn(t, ",[");
            if (t + len > colon)
                len = (size_t)(colon - t);
            unsigned lv;
            if (level_of(t, len, &lv) < 0)
                return xb_error_set(err, XB_ERR_USAGE,
                                    "--annotation %s: unknown type '%.*s' (manifest, index, "
                                    "manifest-descriptor, index-descriptor)",
                                    spec, (int)len, t);
            a->levels |= lv;
            t += len;
            if (*t == '[') {
                const char *close = memchr(t, ']', (size_t)(colon - t));
                if (close == NULL)
                    return xb_error_set(err, XB_ERR_USAGE, "--annotation %s: missing ']'", spec);
                cleanup_free char *ps = strndup(t + 1, (size_t)(close - t - 1));
                xb_platform_free(&a->plat);
                if (ps == NULL || xb_platform_parse(ps, &a->plat, err) < 0) {
                    xb_error_wrap(err, "--annotation %s", spec);
                    err->code = XB_ERR_USAGE;
                    return -XB_ERR_USAGE;
                }
                if (lv & (XB_ANN_INDEX | XB_ANN_INDEX_DESC))
                    return xb_error_set(err, XB_ERR_USAGE,
                                        "--annotation %s: a platform applies to manifest and "
                                        "manifest-descriptor only",
                                        spec);
                t = close + 1;
            }
            if (*t == ',')
                t++;
        }
    }
    if (eq == kstart)
        return xb_error_set(err, XB_ERR_USAGE, "--annotation %s: empty key", spec);
    a->key = strndup(kstart, (size_t)(eq - kstart));
    a->value = eq + 1;
    if (a->key == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

int xb_bx_annotations_check(const char *const *specs, size_t n, unsigned *levels, xb_error_t *err)
{
    *levels = 0;
    for (size_t i = 0; i < n; i++) {
        struct ann a;
        int r = parse(specs[i], &a, err);
        *levels |= a.levels;
        ann_free(&a);
        if (r < 0)
            return r;
    }
    return 0;
}

int xb_bx_annotations_apply(const char *const *specs, size_t n, unsigned level,
                            const xb_platform_t *p, json_t **obj, xb_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        struct ann a;
        if (parse(specs[i], &a, err) < 0) {
            ann_free(&a);
            return -1;
        }
        bool applies = (a.levels & level) != 0 &&
                       (a.plat.arch == NULL || (p != NULL && xb_platform_equal(&a.plat, p)));
        if (applies) {
            if (*obj == NULL)
                *obj = json_object();
            if (*obj == NULL || json_object_set_new(*obj, a.key, json_string(a.value)) < 0) {
                ann_free(&a);
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            }
        }
        ann_free(&a);
    }
    return 0;
}
