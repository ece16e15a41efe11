/* --cache-from / --cache-to / --cache-ttl values (buildah's and buildx's spellings). */
#include "builder/cacheopts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer/writer.h"
#include "util/cleanup.h"

#define PREFIX_MAX 63 /* "<prefix>-<64 hex>" stays within the 128 characters of a tag */

void xb_rcache_spec_free(xb_rcache_spec_t *s)
{
    free(s->ref);
    free(s->prefix);
    s->ref = s->prefix = NULL;
}

static int parse_bool(const char *opt, const char *v, bool *out, xb_error_t *err)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return xb_error_set(err, XB_ERR_USAGE, "%s=%s: expected true or false", opt, v);
    return 0;
}

/* "REG/REPO[:TAG]" -> ref "REG/REPO" and prefix TAG (else "xbc"). Digests are refused. */
static int split_ref(const char *v, xb_rcache_spec_t *out, xb_error_t *err)
{
    if (v[0] == '\0')
        return xb_error_set(err, XB_ERR_USAGE, "empty cache reference");
    if (strchr(v, '@') != NULL)
        return xb_error_set(err, XB_ERR_USAGE,
                            "cache reference %s: a digest names one image; give REG/REPO[:TAG]", v);
    const char *slash = strrchr(v, '/');
    const char *colon = strrchr(slash ? slash : v, ':');
    if (slash == NULL)
        colon = NULL; /* "host:port" alone is not a repository */
    out->ref = colon ? strndup(v, (size_t)(colon - v)) : strdup(v);
    out->prefix = strdup(colon ? colon + 1 : "xbc");
    if (out->ref == NULL || out->prefix == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    size_t pl = strlen(out->prefix);
    bool ok = pl > 0 && pl <= PREFIX_MAX &&
              (isalnum((unsigned char)out->prefix[0]) || out->prefix[0] == '_');
    for (size_t i = 0; ok && i < pl; i++) {
        char c = out->prefix[i];
        ok = isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
    }
    if (!ok)
        return xb_error_set(err, XB_ERR_USAGE,
                            "cache reference %s: the tag is the prefix of every entry's tag "
                            "(<tag>-<64 hex>) and must be 1-%d characters of [A-Za-z0-9_.-]",
                            v, PREFIX_MAX);
    return 0;
}

static int parse_kv(const char *s, bool to, xb_rcache_spec_t *out, xb_error_t *err)
{
    cleanup_free char *copy = strdup(s);
    if (copy == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    const char *ref = NULL, *dir = NULL;
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq == NULL)
            return xb_error_set(err, XB_ERR_USAGE, "%s: expected KEY=VALUE, got '%s'", s, kv);
        *eq = '\0';
        const char *k = kv, *v = eq + 1;
        int r = 0;
        if (strcmp(k, "type") == 0) {
            if (strcmp(v, "registry") == 0)
                out->type = XB_RCACHE_REGISTRY;
            else if (strcmp(v, "local") == 0)
                out->type = XB_RCACHE_LOCAL;
            else
                return xb_error_set(err, XB_ERR_USAGE,
                                    "%s: cache type %s is not supported (registry or local)", s, v);
        } else if (strcmp(k, "ref") == 0) {
            ref = v;
        } else if (strcmp(k, to ? "dest" : "src") == 0) {
            dir = v;
        } else if (to && strcmp(k, "mode") == 0) {
            if (strcmp(v, "max") != 0 && strcmp(v, "min") != 0)
                return xb_error_set(err, XB_ERR_USAGE, "%s: mode=%s: expected min or max", s, v);
            out->mode_max = strcmp(v, "max") == 0;
        } else if (to && strcmp(k, "compression") == 0) {
            xb_compression_t c;
            if (xb_compression_parse(v, &c, err) < 0 || c == XB_COMPRESSION_NONE)
                return xb_error_set(err, XB_ERR_USAGE, "%s: compression=%s: expected gzip or zstd",
                                    s, v);
            out->compression = (int)c;
        } else if (to && strcmp(k, "ignore-error") == 0) {
            bool b;
            r = parse_bool(k, v, &b, err);
            out->ignore_error = b;
        } else if (!to && strcmp(k, "required") == 0) {
            r = parse_bool(k, v, &out->required, err);
        } else if (strcmp(k, "oci-mediatypes") == 0 || strcmp(k, "image-manifest") == 0) {
            /* entries are always OCI image manifests: only the value that says so is right */
            bool b;
            r = parse_bool(k, v, &b, err);
            if (r == 0 && !b)
                return xb_error_set(err, XB_ERR_USAGE,
                                    "%s: %s=false: xbuild's cache entries are OCI image manifests",
                                    s, k);
        } else {
            return xb_error_set(err, XB_ERR_USAGE, "%s: unknown cache option %s", s, k);
        }
        if (r < 0)
            return xb_error_wrap(err, "%s", s);
    }
    if (out->type == XB_RCACHE_REGISTRY) {
        if (ref == NULL || dir != NULL)
            return xb_error_set(err, XB_ERR_USAGE, "%s: type=registry needs ref=REG/REPO[:TAG]", s);
        return split_ref(ref, out, err) < 0 ? xb_error_wrap(err, "%s", s) : 0;
    }
    if (dir == NULL || dir[0] == '\0' || ref != NULL)
        return xb_error_set(err, XB_ERR_USAGE, "%s: type=local needs %s=DIR", s,
                            to ? "dest" : "src");
    out->ref = strdup(dir);
    out->prefix = strdup("xbc");
    if (out->ref == NULL || out->prefix == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

int xb_rcache_spec_parse(const char *s, bool to, xb_rcache_spec_t *out, xb_error_t *err)
{
    memset(out, 0, sizeof(*out));
    out->type = XB_RCACHE_REGISTRY;
    out->ignore_error = -1;
    out->compression = -1;
    int r = strchr(s, '=') != NULL ? parse_kv(s, to, out, err) : split_ref(s, out, err);
    if (r < 0) {
        xb_rcache_spec_free(out);
        return xb_error_wrap(err, "--cache-%s", to ? "to" : "from");
    }
    return 0;
}

int xb_rcache_opts_add(xb_rcache_opts_t *o, const char *s, bool to, xb_error_t *err)
{
    xb_rcache_spec_t **v = to ? &o->to : &o->from;
    size_t *n = to ? &o->nto : &o->nfrom;
    xb_rcache_spec_t *nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (nv == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    *v = nv;
    if (xb_rcache_spec_parse(s, to, &nv[*n], err) < 0)
        return -1;
    (*n)++;
    return 0;
}

void xb_rcache_opts_free(xb_rcache_opts_t *o)
{
    for (size_t i = 0; i < o->nfrom; i++)
        xb_rcache_spec_free(&o->from[i]);
    for (size_t i = 0; i < o->nto; i++)
        xb_rcache_spec_free(&o->to[i]);
    free(o->from);
    free(o->to);
    o->from = o->to = NULL;
    o->nfrom = o->nto = 0;
}

int xb_rcache_ttl_parse(const char *s, int64_t *seconds, xb_error_t *err)
{
    const char *p = s;
    double total = 0;
    bool any = false;
    while (*p != '\0') {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            goto bad;
        p = end;
        double unit;
        if (*p == '\0' && !any) {
            unit = 1; /* a bare number: seconds */
        } else if (strncmp(p, "ms", 2) == 0) {
            unit = 0.001;
            p += 2;
        } else if (*p == 'h' || *p == 'm' || *p == 's') {
            unit = *p == 'h' ? 3600 : *p == 'm' ? 60 : 1;
            p++;
        } else {
            goto bad;
        }
        total += v * unit;
        any = true;
    }
    if (!any || total > 1e12)
        goto bad;
    *seconds = (int64_t)total;
    return 0;
bad:
    return xb_error_set(err, XB_ERR_USAGE,
                        "--cache-ttl %s: expected a duration such as 168h, 1h30m or 90s", s);
}

void xb_rcache_tag(const char *prefix, const char *key, char out[129])
{
    snprintf(out, 129, "%.*s-%.64s", PREFIX_MAX, prefix, key);
}
