/* Platform strings and blob provenance for the pull/push code. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char *norm_arch(const char *a)
{
    static const char *const map[][2] = {
        {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"aarch64", "arm64"},
        {"armhf", "arm"},    {"armel", "arm"},    {"i386", "386"},
        {"i686", "386"},     {"x86", "386"},      {"ppc64el", "ppc64le"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(a, map[i][0]) == 0)
            return map[i][1];
    return a;
}

static int compose(const char *os, const char *arch, const char *variant, char *out, size_t outlen)
{
    if (os == NULL || arch == NULL || *os == '\0' || *arch == '\0')
        return -1;
    const char *orig = arch;
    arch = norm_arch(arch);
    if (variant && *variant == '\0')
        variant = NULL;
    if (strcmp(arch, "arm64") == 0 && variant && strcmp(variant, "v8") == 0)
        variant = NULL;
    if (strcmp(arch, "arm") == 0 && variant == NULL)
        variant = strcmp(orig, "armel") == 0 ? "v6" : "v7";
    if (strcmp(arch, "arm") == 0 && variant &&
        (strcmp(variant, "8") == 0 || strcmp(variant, "7") == 0 || strcmp(variant, "6") == 0 ||
         strcmp(variant, "5") == 0)) {
        static const char *const vs[] = {"v5", "v6", "v7", "v8"};
        variant = vs[variant[0] - '5'];
    }
    int n =
        snprintf(out, outlen, "%s/%s%s%s", os, arch, variant ? "/" : "", variant ? variant : "");
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int xb_registry_platform_normalize(const char *in, char *out, size_t outlen)
{
    if (in == NULL || strlen(in) > 200)
        return -1;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", in);
    char *os = buf, *arch = strchr(buf, '/'), *variant = NULL;
    if (arch == NULL)
        return -1;
    *arch++ = '\0';
    variant = strchr(arch, '/');
    if (variant) {
        *variant++ = '\0';
        if (strchr(variant, '/'))
            return -1;
    }
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return compose(os, arch, variant, out, outlen);
}

int xb_registry_platform_of(const json_t *platform, char *out, size_t outlen)
{
    if (!json_is_object(platform))
        return -1;
    return compose(xb_json_str(platform, "os"), xb_json_str(platform, "architecture"),
                   xb_json_str(platform, "variant"), out, outlen);
}

static char *source_path(xb_store_t *s, const char *digest)
{
    if (!xb_digest_valid(digest))
        return NULL;
    char rel[128];
    snprintf(rel, sizeof(rel), "xbuild/blob-sources/%s", xb_digest_hex(digest));
    return xb_store_path(s, rel);
}

int xb_registry_note_source(xb_store_t *s, const char *digest, const char *registry,
                            const char *repository)
{
    cleanup_free char *p = source_path(s, digest);
    if (p == NULL)
        return -1;
    cleanup_json json_t *have = NULL;
    if (xb_registry_sources(s, digest, registry, &have) == 0) {
        size_t i;
        json_t *v;
        json_array_foreach(have, i, v) if (strcmp(json_string_value(v), repository) == 0) return 0;
    }
    cleanup_free char *dir = xb_store_path(s, "xbuild/blob-sources");
    xb_error_t e = XB_ERROR_INIT;
    if (dir == NULL || xb_mkdir_p(dir, 0755, &e) < 0) {
        xb_error_clear(&e);
        return -1;
    }
    cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    cleanup_free char *line = NULL;
    if (asprintf(&line, "%s %s\n", registry, repository) < 0)
        return -1;
    /* one short O_APPEND write: concurrent writers do not interleave */
    return write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : -1;
}

int xb_registry_sources(xb_store_t *s, const char *digest, const char *registry, json_t **repos)
{
    *repos = json_array();
    cleanup_free char *p = source_path(s, digest);
    cleanup_free char *data = NULL;
    size_t len = 0;
    xb_error_t e = XB_ERROR_INIT;
    if (p == NULL || !xb_path_exists(p))
        return 0;
    if (xb_read_file(p, 1u << 20, &data, &len, &e) < 0) {
        xb_error_clear(&e);
        return 0;
    }
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (sp == NULL)
            continue;
        *sp = '\0';
        if (strcmp(line, registry) == 0)
            json_array_append_new(*repos, json_string(sp + 1));
    }
    return 0;
}
