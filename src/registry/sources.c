/* Blob provenance for cross-repository mounts: xbuild/blob-sources/<hex> in the store holds
 * "registry repository" lines, one per place the blob was pulled from or pushed to. */
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
