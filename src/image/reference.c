#include "image/reference.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/digest.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN  128

void xb_reference_free(xb_reference_t *r)
{
    if (r == NULL)
        return;
    free(r->registry);
    free(r->repository);
    free(r->tag);
    free(r->digest);
    free(r);
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* ; returns NULL or a static reason. */
static const char *check_component(const char *c, size_t n)
{
    if (n == 0)
        return "empty path component";
    for (size_t i = 0; i < n; i++)
        if (c[i] >= 'A' && c[i] <= 'Z')
            return "repository name must be lowercase";
    if (!is_lower_alnum(c[0]) || !is_lower_alnum(c[n - 1]))
        return "path components must start and end with a lowercase letter or digit";
    for (size_t i = 0; i < n;) {
        if (is_lower_alnum(c[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_lower_alnum(c[j]))
            j++;
        size_t sep = j - i;
        bool okay = (sep == 1 && (c[i] == '.' || c[i] == '_' || c[i] == '-')) ||
                    (sep == 2 && c[i] == '_' && c[i + 1] == '_');
        if (!okay) {
            okay = true;
            for (size_t k = i; k < j; k++)
                if (c[k] != '-')
                    okay = false;
        }
        if (!okay)
            return "invalid character or separator in repository name";
        i = j;
    }
    return NULL;
}

static const char *check_domain(const char *d, size_t n)
{
    if (n == 0)
        return "empty registry name";
    size_t i = 0;
    if (d[0] == '[') {
        const char *end = memchr(d, ']', n);
        if (end == NULL)
            return "unterminated IPv6 address in registry name";
        for (const char *p = d + 1; p < end; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return "invalid IPv6 address in registry name";
        i = (size_t)(end - d) + 1;
    } else {
        for (; i < n && d[i] != ':'; i++)
            if (!isalnum((unsigned char)d[i]) && d[i] != '.' && d[i] != '-')
                return "invalid character in registry name";
        if (d[0] == '.' || d[0] == '-' || (i > 0 && (d[i - 1] == '.' || d[i - 1] == '-')))
            return "invalid registry name";
    }
    if (i < n) {
        if (d[i] != ':' || i + 1 == n)
            return "invalid registry port";
        for (size_t k = i + 1; k < n; k++)
            if (!isdigit((unsigned char)d[k]))
                return "invalid registry port";
        if (n - i - 1 > 5 || atoi(d + i + 1) > 65535)
            return "registry port out of range";
    }
    return NULL;
}

static bool is_tag_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* "@digest" and ":tag" split off copy in place; returns what is wrong, or NULL. */
static const char *split_tag_digest(char *copy, char **tag, char **digest)
{
    *tag = *digest = NULL;
    char *at = strchr(copy, '@');
    if (at) {
        *at = '\0';
        *digest = at + 1;
        if (!xb_digest_valid(*digest))
            return strncmp(*digest, "sha256:", 7) == 0 || strchr(*digest, ':') == NULL
                       ? "invalid digest (want sha256:<64 lowercase hex digits>)"
                       : "unsupported digest algorithm (only sha256)";
    }
    /* A tag is after the last ':' that follows the last '/'. */
    char *slash = strrchr(copy, '/');
    char *colon = strrchr(slash ? slash : copy, ':');
    if (colon == NULL)
        return NULL;
    *colon = '\0';
    *tag = colon + 1;
    size_t tl = strlen(*tag);
    if (tl == 0 || tl > TAG_MAX_LEN || (*tag)[0] == '.' || (*tag)[0] == '-')
        return tl > TAG_MAX_LEN ? "tag longer than 128 characters" : "invalid tag";
    for (size_t i = 0; i < tl; i++)
        if (!is_tag_char((*tag)[i]))
            return "invalid character in tag";
    return NULL;
}

/* Splits name into its domain (NULL when the first component is not one) and path, and checks
 * both; returns what is wrong, or NULL. */
static const char *split_name(char *name, const char **domain, size_t *dlen, char **path)
{
    *domain = NULL;
    *dlen = 0;
    *path = name;
    if (*name == '\0')
        return "missing repository name";
    char *first = strchr(name, '/');
    if (first) {
        size_t fl = (size_t)(first - name);
        if (memchr(name, '.', fl) || memchr(name, ':', fl) || name[0] == '[' ||
            (fl == 9 && strncmp(name, "localhost", 9) == 0)) {
            *domain = name;
            *dlen = fl;
            *path = first + 1;
            const char *what = check_domain(name, fl);
            if (what)
                return what;
        }
    }
    if (strlen(*path) > NAME_MAX_LEN)
        return "repository name longer than 255 characters";
    for (char *p = *path;;) {
        char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *what = check_component(p, n);
        if (what)
            return what;
        if (!e)
            return NULL;
        p = e + 1;
    }
}

/* The parsed parts as a reference (Docker Hub's defaults applied); *what set when the whole
 * name is too long. NULL with *what NULL: out of memory. */
static xb_reference_t *assemble(const char *domain, size_t dlen, const char *path, const char *tag,
                                const char *digest, const char **what)
{
    *what = NULL;
    xb_reference_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    if (domain == NULL || (dlen == 15 && strncmp(domain, "index.docker.io", 15) == 0))
        r->registry = strdup(XB_DOCKER_HUB);
    else
        r->registry = strndup(domain, dlen);
    if (r->registry && strcmp(r->registry, XB_DOCKER_HUB) == 0 && strchr(path, '/') == NULL) {
        if (asprintf(&r->repository, "library/%s", path) < 0)
            r->repository = NULL;
    } else {
        r->repository = strdup(path);
    }
    if (r->registry && r->repository &&
        strlen(r->registry) + 1 + strlen(r->repository) > NAME_MAX_LEN) {
        xb_reference_free(r);
        *what = "name longer than 255 characters";
        return NULL;
    }
    if (tag)
        r->tag = strdup(tag);
    else if (!digest)
        r->tag = strdup("latest");
    if (digest)
        r->digest = strdup(digest);
    if (!r->registry || !r->repository || (!r->tag && !digest) || (digest && !r->digest)) {
        xb_reference_free(r);
        return NULL;
    }
    return r;
}

int xb_reference_parse(const char *s, xb_reference_t **out, xb_error_t *err)
{
    *out = NULL;
    if (s == NULL || *s == '\0')
        return xb_error_set(err, XB_ERR_PARSE, "invalid reference: empty");
    if (strlen(s) > 4096)
        return xb_error_set(err, XB_ERR_PARSE, "invalid reference: too long");
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return xb_error_set(err, XB_ERR_PARSE,
                                "invalid reference \"%s\": contains whitespace or a control "
                                "character",
                                s);
    if (strncmp(s, "docker://", 9) == 0)
        s += 9;
    cleanup_free char *copy = strdup(s);
    if (copy == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char *digest, *tag, *path;
    const char *domain;
    size_t dlen;
    const char *what = split_tag_digest(copy, &tag, &digest);
    if (what == NULL)
        what = split_name(copy, &domain, &dlen, &path);
    if (what == NULL && (*out = assemble(domain, dlen, path, tag, digest, &what)) == NULL &&
        what == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (what)
        return xb_error_set(err, XB_ERR_PARSE, "invalid reference \"%s\": %s", s, what);
    return 0;
}

const char *xb_reference_api_host(const xb_reference_t *r)
{
    return strcmp(r->registry, XB_DOCKER_HUB) == 0 ? XB_DOCKER_HUB_API : r->registry;
}

char *xb_reference_name(const xb_reference_t *r)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s", r->registry, r->repository) < 0)
        return NULL;
    return s;
}

char *xb_reference_string(const xb_reference_t *r)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s%s%s%s%s", r->registry, r->repository, r->tag ? ":" : "",
                 r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
        return NULL;
    return s;
}

const char *xb_reference_object(const xb_reference_t *r)
{
    return r->digest ? r->digest : r->tag;
}

bool xb_reference_host_is_loopback(const char *host)
{
    size_t n = strlen(host);
    /* strip the port */
    if (host[0] == '[') {
        const char *e = strchr(host, ']');
        if (e == NULL)
            return false;
        return (size_t)(e - host) == 4 && strncmp(host, "[::1]", 5) == 0;
    }
    const char *c = strchr(host, ':');
    if (c)
        n = (size_t)(c - host);
    if (n == 9 && strncmp(host, "localhost", 9) == 0)
        return true;
    if (n >= 4 && strncmp(host, "127.", 4) == 0) {
        int dots = 0;
        for (size_t i = 0; i < n; i++) {
            if (host[i] == '.')
                dots++;
            else if (!isdigit((unsigned char)host[i]))
                return false;
        }
        return dots == 3;
    }
    return false;
}
