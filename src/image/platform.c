/* Platform parsing, normalisation (after containerd's platforms.Normalize), matching, JSON. */
#include "image/platform.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "util/buf.h"
#include "util/cleanup.h"

static char *lower_dup(const char *s, size_t n)
{
    char *r = strndup(s, n);
    if (r == NULL)
        return NULL;
    for (char *p = r; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return r;
}

static int set_str(char **dst, const char *v)
{
    char *n = NULL;
    if (v != NULL && (n = strdup(v)) == NULL)
        return -1;
    free(*dst);
    *dst = n;
    return 0;
}

void xb_platform_free(xb_platform_t *p)
{
    if (p == NULL)
        return;
    free(p->os);
    free(p->arch);
    free(p->variant);
    p->os = p->arch = p->variant = NULL;
}

static bool valid_component(const char *s)
{
    if (*s == '\0' || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return false;
    return true;
}

int xb_platform_normalize(xb_platform_t *p, xb_error_t *err)
{
    const char *arch = NULL, *variant = NULL;
    bool set_variant = false;

    if (p->os == NULL || *p->os == '\0') {
        if (set_str(&p->os, "linux") < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (p->arch == NULL || *p->arch == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "platform without an architecture");
    for (char *c = p->os; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (char *c = p->arch; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (p->variant != NULL) {
        for (char *c = p->variant; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (*p->variant == '\0') {
            free(p->variant);
            p->variant = NULL;
        }
    }
    if (strcmp(p->os, "macos") == 0 && set_str(&p->os, "darwin") < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");

    const char *v = p->variant ? p->variant : "";
    const char *a = p->arch;
    if (strcmp(a, "i386") == 0 || strcmp(a, "i486") == 0 || strcmp(a, "i586") == 0 ||
        strcmp(a, "i686") == 0 || strcmp(a, "x86") == 0) {
        arch = "386";
        set_variant = true;
    } else if (strcmp(a, "x86_64") == 0 || strcmp(a, "x86-64") == 0 || strcmp(a, "amd64") == 0) {
        arch = "amd64";
        if (strcmp(v, "v1") == 0)
            set_variant = true;
    } else if (strcmp(a, "aarch64") == 0 || strcmp(a, "arm64") == 0) {
        arch = "arm64";
        if (strcmp(v, "8") == 0 || strcmp(v, "v8") == 0 || strcmp(v, "v8.0") == 0)
            set_variant = true;
        else if (strcmp(v, "9") == 0 || strcmp(v, "9.0") == 0 || strcmp(v, "v9.0") == 0)
            variant = "v9", set_variant = true;
    } else if (strcmp(a, "armhf") == 0) {
        arch = "arm", variant = "v7", set_variant = true;
    } else if (strcmp(a, "armel") == 0) {
        arch = "arm", variant = "v6", set_variant = true;
    } else if (strcmp(a, "arm") == 0 || strcmp(a, "armv7l") == 0 || strcmp(a, "armv7") == 0) {
        arch = "arm";
        if (strcmp(a, "arm") != 0)
            variant = "v7", set_variant = true;
        else if (*v == '\0' || strcmp(v, "7") == 0)
            variant = "v7", set_variant = true;
        else if (strcmp(v, "5") == 0)
            variant = "v5", set_variant = true;
        else if (strcmp(v, "6") == 0)
            variant = "v6", set_variant = true;
        else if (strcmp(v, "8") == 0)
            variant = "v8", set_variant = true;
    } else if (strcmp(a, "armv6l") == 0 || strcmp(a, "armv6") == 0) {
        arch = "arm", variant = "v6", set_variant = true;
    } else if (strcmp(a, "ppc64el") == 0) {
        arch = "ppc64le";
    }
    if (arch != NULL && set_str(&p->arch, arch) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (set_variant && set_str(&p->variant, variant) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (!valid_component(p->os) || !valid_component(p->arch) ||
        (p->variant != NULL && !valid_component(p->variant)))
        return xb_error_set(err, XB_ERR_INVALID, "invalid platform '%s/%s%s%s'", p->os, p->arch,
                            p->variant ? "/" : "", p->variant ? p->variant : "");
    return 0;
}

int xb_platform_parse(const char *s, xb_platform_t *p, xb_error_t *err)
{
    const char *parts[4];
    size_t lens[4];
    size_t n = 0;
    const char *start = s;

    memset(p, 0, sizeof(*p));
    if (s == NULL || *s == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "empty platform");
    if (strlen(s) > 200)
        return xb_error_set(err, XB_ERR_INVALID, "platform too long");
    for (const char *c = s;; c++) {
        if (*c == '/' || *c == '\0') {
            if (n == 3)
                return xb_error_set(err, XB_ERR_INVALID,
                                    "invalid platform '%s': expected os/arch[/variant]", s);
            parts[n] = start;
            lens[n] = (size_t)(c - start);
            if (lens[n] == 0)
                return xb_error_set(err, XB_ERR_INVALID, "invalid platform '%s': empty component",
                                    s);
            n++;
            start = c + 1;
            if (*c == '\0')
                break;
        }
    }
    if (n == 1) {
        p->os = strdup("linux");
        p->arch = lower_dup(parts[0], lens[0]);
    } else {
        p->os = lower_dup(parts[0], lens[0]);
        p->arch = lower_dup(parts[1], lens[1]);
        if (n == 3)
            p->variant = lower_dup(parts[2], lens[2]);
    }
    if (p->os == NULL || p->arch == NULL || (n == 3 && p->variant == NULL)) {
        xb_platform_free(p);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    int r = xb_platform_normalize(p, err);
    if (r < 0) {
        xb_platform_free(p);
        return xb_error_wrap(err, "platform '%s'", s);
    }
    return 0;
}

static const char *arm_variant_host(void)
{
    /* /proc/cpuinfo "CPU architecture: 7" (as containerd's cpuinfo.go) */
    cleanup_fclose FILE *f = fopen("/proc/cpuinfo", "re");
    char line[256];
    if (f == NULL)
        return "v7";
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "CPU architecture", 16) != 0)
            continue;
        char *c = strchr(line, ':');
        if (c == NULL)
            break;
        int v = atoi(c + 1);
        if (v >= 8)
            return "v8";
        if (v == 6)
            return "v6";
        if (v == 5)
            return "v5";
        return "v7";
    }
    return "v7";
}

int xb_platform_host(xb_platform_t *p, xb_error_t *err)
{
    struct utsname u;
    memset(p, 0, sizeof(*p));
    if (uname(&u) < 0)
        return xb_error_errno(err, errno, "uname");
    p->os = strdup("linux");
    p->arch = strdup(u.machine);
    if (p->os == NULL || p->arch == NULL) {
        xb_platform_free(p);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (strncmp(u.machine, "arm", 3) == 0 && strcmp(u.machine, "arm64") != 0) {
        free(p->arch);
        p->arch = strdup("arm");
        p->variant = strdup(arm_variant_host());
        if (p->arch == NULL || p->variant == NULL) {
            xb_platform_free(p);
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
    }
    if (xb_platform_normalize(p, err) < 0) {
        xb_platform_free(p);
        return -XB_ERR_INVALID;
    }
    return 0;
}

int xb_platform_copy(xb_platform_t *dst, const xb_platform_t *src, xb_error_t *err)
{
    memset(dst, 0, sizeof(*dst));
    dst->os = src->os ? strdup(src->os) : NULL;
    dst->arch = src->arch ? strdup(src->arch) : NULL;
    dst->variant = src->variant ? strdup(src->variant) : NULL;
    if ((src->os && !dst->os) || (src->arch && !dst->arch) || (src->variant && !dst->variant)) {
        xb_platform_free(dst);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

static char *format_sep(const xb_platform_t *p, char sep)
{
    xb_buf_t b = XB_BUF_INIT;
    if (xb_buf_printf(&b, "%s%c%s", p->os ? p->os : "linux", sep, p->arch ? p->arch : "") < 0 ||
        (p->variant && *p->variant && xb_buf_printf(&b, "%c%s", sep, p->variant) < 0)) {
        xb_buf_free(&b);
        return NULL;
    }
    return xb_buf_steal(&b);
}

char *xb_platform_format(const xb_platform_t *p)
{
    return format_sep(p, '/');
}

char *xb_platform_json_format(const json_t *obj)
{
    cleanup_platform xb_platform_t p = XB_PLATFORM_INIT;
    if (xb_platform_from_json(obj, &p, NULL) < 0)
        return NULL;
    return xb_platform_format(&p);
}

char *xb_platform_format_dashed(const xb_platform_t *p)
{
    return format_sep(p, '-');
}

static const char *os_class(const char *os)
{
    return strcmp(os, "wasi") == 0 ? "wasip1" : os;
}

/* variant with the architecture's default filled in */
static const char *eff_variant(const xb_platform_t *p)
{
    if (p->variant != NULL && *p->variant)
        return p->variant;
    if (strcmp(p->arch, "arm64") == 0)
        return "v8";
    if (strcmp(p->arch, "arm") == 0)
        return "v7";
    if (strcmp(p->arch, "amd64") == 0)
        return "v1";
    return "";
}

static int norm_copy(const xb_platform_t *src, xb_platform_t *dst)
{
    if (src == NULL || src->arch == NULL)
        return -1;
    if (xb_platform_copy(dst, src, NULL) < 0)
        return -1;
    if (xb_platform_normalize(dst, NULL) < 0) {
        xb_platform_free(dst);
        return -1;
    }
    return 0;
}

int xb_platform_score(const xb_platform_t *want, const xb_platform_t *have)
{
    cleanup_platform xb_platform_t w = XB_PLATFORM_INIT;
    cleanup_platform xb_platform_t h = XB_PLATFORM_INIT;
    if (norm_copy(want, &w) < 0 || norm_copy(have, &h) < 0)
        return -1;
    if (strcmp(os_class(w.os), os_class(h.os)) != 0 || strcmp(w.arch, h.arch) != 0)
        return -1;
    bool want_explicit = w.variant != NULL;
    const char *wv = eff_variant(&w), *hv = eff_variant(&h);
    int score = strcmp(w.os, h.os) == 0 ? 1 : 0;
    if (strcmp(wv, hv) == 0)
        return score + (want_explicit == (h.variant != NULL) ? 100 : 90);
    /* arm: a v7 CPU runs v6 and v5 code */
    if (strcmp(w.arch, "arm") == 0 && wv[0] == 'v' && hv[0] == 'v') {
        int wn = atoi(wv + 1), hn = atoi(hv + 1);
        if (hn > 0 && wn > hn)
            return score + 50 - (wn - hn);
    }
    return -1;
}

bool xb_platform_compatible(const xb_platform_t *want, const xb_platform_t *have)
{
    return xb_platform_score(want, have) >= 0;
}

bool xb_platform_equal(const xb_platform_t *a, const xb_platform_t *b)
{
    cleanup_platform xb_platform_t x = XB_PLATFORM_INIT;
    cleanup_platform xb_platform_t y = XB_PLATFORM_INIT;
    if (norm_copy(a, &x) < 0 || norm_copy(b, &y) < 0)
        return false;
    return strcmp(x.os, y.os) == 0 && strcmp(x.arch, y.arch) == 0 &&
           strcmp(x.variant ? x.variant : "", y.variant ? y.variant : "") == 0;
}

json_t *xb_platform_to_json(const xb_platform_t *p)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (json_object_set_new(o, "architecture", json_string(p->arch ? p->arch : "")) < 0 ||
        json_object_set_new(o, "os", json_string(p->os ? p->os : "linux")) < 0 ||
        (p->variant && *p->variant &&
         json_object_set_new(o, "variant", json_string(p->variant)) < 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int xb_platform_from_json(const json_t *obj, xb_platform_t *p, xb_error_t *err)
{
    memset(p, 0, sizeof(*p));
    if (!json_is_object(obj))
        return xb_error_set(err, XB_ERR_PARSE, "platform is not an object");
    json_t *os = json_object_get(obj, "os"), *arch = json_object_get(obj, "architecture");
    json_t *var = json_object_get(obj, "variant");
    if (!json_is_string(os) || !json_is_string(arch))
        return xb_error_set(err, XB_ERR_PARSE, "platform without os or architecture");
    if (var != NULL && !json_is_string(var) && !json_is_null(var))
        return xb_error_set(err, XB_ERR_PARSE, "platform variant is not a string");
    p->os = strdup(json_string_value(os));
    p->arch = strdup(json_string_value(arch));
    if (json_is_string(var) && *json_string_value(var))
        p->variant = strdup(json_string_value(var));
    if (p->os == NULL || p->arch == NULL ||
        (json_is_string(var) && *json_string_value(var) && p->variant == NULL)) {
        xb_platform_free(p);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    int r = xb_platform_normalize(p, err);
    if (r < 0)
        xb_platform_free(p);
    return r;
}

void xb_platform_list_free(xb_platform_t *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        xb_platform_free(&list[i]);
    free(list);
}

int xb_platform_parse_list(const char *s, xb_platform_t **out, size_t *n, xb_error_t *err)
{
    xb_platform_t *list = NULL;
    size_t cnt = 0;
    const char *c = s ? s : "";
    *out = NULL;
    *n = 0;
    while (*c) {
        const char *end = strchr(c, ',');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        while (len > 0 && isspace((unsigned char)*c))
            c++, len--;
        while (len > 0 && isspace((unsigned char)c[len - 1]))
            len--;
        if (len > 0) {
            cleanup_free char *item = strndup(c, len);
            xb_platform_t p;
            if (item == NULL || xb_platform_parse(item, &p, err) < 0) {
                xb_platform_list_free(list, cnt);
                return item ? -XB_ERR_INVALID : xb_error_set(err, XB_ERR_INTERNAL, "oom");
            }
            bool dup = false;
            for (size_t i = 0; i < cnt && !dup; i++)
                dup = xb_platform_equal(&list[i], &p);
            if (dup) {
                xb_platform_free(&p);
            } else {
                xb_platform_t *nl = realloc(list, (cnt + 1) * sizeof(*nl));
                if (nl == NULL) {
                    xb_platform_free(&p);
                    xb_platform_list_free(list, cnt);
                    return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
                }
                list = nl;
                list[cnt++] = p;
            }
        }
        if (end == NULL)
            break;
        c = end + 1;
    }
    if (cnt == 0)
        return xb_error_set(err, XB_ERR_INVALID, "empty platform list '%s'", s ? s : "");
    *out = list;
    *n = cnt;
    return 0;
}
