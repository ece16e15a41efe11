/* Records of remote-backed manifests: see remote.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/remote.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define RECORD_MAX (64u * 1024)

static char *record_path(xb_store_t *s, const char *digest)
{
    if (!xb_digest_valid(digest))
        return NULL;
    char rel[128];
    snprintf(rel, sizeof(rel), "xbuild/remote/%s", xb_digest_hex(digest));
    return xb_store_path(s, rel);
}

int xb_store_remote_sources(xb_store_t *s, const char *manifest_digest, json_t **out,
                            xb_error_t *err)
{
    *out = json_array();
    if (*out == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *p = record_path(s, manifest_digest);
    if (p == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "invalid manifest digest \"%s\"",
                            manifest_digest ? manifest_digest : "");
    if (!xb_path_exists(p))
        return 0;
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (xb_read_file(p, RECORD_MAX, &data, &len, err) < 0)
        return -err->code;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (sp == NULL || sp == line || sp[1] == '\0')
            continue;
        *sp = '\0';
        json_array_append_new(*out, json_pack("{s:s,s:s}", "registry", line, "repository", sp + 1));
    }
    return 0;
}

bool xb_store_remote_backed(xb_store_t *s, const char *manifest_digest)
{
    cleanup_free char *p = record_path(s, manifest_digest);
    return p != NULL && xb_path_exists(p);
}

int xb_store_remote_note(xb_store_t *s, const char *manifest_digest, const char *registry,
                         const char *repository, xb_error_t *err)
{
    if (strchr(registry, ' ') || strchr(registry, '\n') || strchr(repository, ' ') ||
        strchr(repository, '\n'))
        return xb_error_set(err, XB_ERR_INVALID, "invalid repository %s/%s", registry, repository);
    cleanup_json json_t *have = NULL;
    if (xb_store_remote_sources(s, manifest_digest, &have, err) < 0)
        return -err->code;
    size_t i;
    json_t *v;
    json_array_foreach(have, i, v)
    {
        if (strcmp(xb_json_str(v, "registry"), registry) == 0 &&
            strcmp(xb_json_str(v, "repository"), repository) == 0)
            return 0;
    }
    cleanup_free char *dir = xb_store_path(s, "xbuild/remote");
    if (dir == NULL || xb_mkdir_p(dir, 0755, err) < 0)
        return dir ? -err->code : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *p = record_path(s, manifest_digest);
    cleanup_free char *line = NULL;
    if (p == NULL || asprintf(&line, "%s %s\n", registry, repository) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return xb_error_errno(err, errno, "open %s", p);
    if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        return xb_error_errno(err, errno, "write %s", p);
    return 0;
}
