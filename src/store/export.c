/* Exports: destination parsing, blob copying, the oci: (layout directory) transport. */
#include "store/export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/walk.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/json.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"

int xb_export_parse_dest(const char *dest, enum xb_export_transport *transport, char **path,
                         char **tag, xb_error_t *err)
{
    static const struct {
        const char *prefix;
        enum xb_export_transport t;
    } map[] = {
        {"oci:", XB_EXPORT_OCI_DIR},
        {"oci-archive:", XB_EXPORT_OCI_ARCHIVE},
        {"docker-archive:", XB_EXPORT_DOCKER_ARCHIVE},
    };
    *path = NULL;
    *tag = NULL;
    if (strncmp(dest, "docker://", 9) == 0)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "%s: docker:// is handled by the registry",
                            dest);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t n = strlen(map[i].prefix);
        if (strncmp(dest, map[i].prefix, n) != 0)
            continue;
        const char *rest = dest + n;
        const char *colon = strchr(rest, ':');
        size_t plen = colon ? (size_t)(colon - rest) : strlen(rest);
        if (plen == 0)
            return xb_error_set(err, XB_ERR_USAGE, "%s: missing path after '%s'", dest,
                                map[i].prefix);
        *path = strndup(rest, plen);
        if (colon != NULL && colon[1] != '\0') {
            *tag = strdup(colon + 1);
            if (!xb_store_name_valid(*tag)) {
                free(*path);
                free(*tag);
                *path = *tag = NULL;
                return xb_error_set(err, XB_ERR_USAGE, "%s: invalid tag '%s'", dest, colon + 1);
            }
        }
        *transport = map[i].t;
        return 0;
    }
    return xb_error_set(err, XB_ERR_USAGE,
                        "unsupported destination '%s' (supported: docker://REF, oci:DIR[:TAG], "
                        "oci-archive:FILE[:TAG], docker-archive:FILE[:TAG])",
                        dest);
}

int xb_export_copy_blob(xb_store_t *s, const char *digest, const char *dir, xb_error_t *err)
{
    cleanup_free char *src = xb_store_blob_path(s, digest);
    if (src == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "invalid digest '%s'", digest);
    cleanup_free char *dst = xb_path_join(dir, xb_digest_hex(digest));
    cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno == ENOENT ? xb_error_set(err, XB_ERR_NOT_FOUND, "blob %s missing from %s",
                                              digest, xb_store_root(s))
                               : xb_error_errno(err, errno, "open %s", src);
    struct stat sst, dst_st;
    if (fstat(in, &sst) < 0)
        return xb_error_errno(err, errno, "stat %s", src);
    if (stat(dst, &dst_st) == 0 && S_ISREG(dst_st.st_mode) && dst_st.st_size == sst.st_size) {
        /* already there: keep it when its content is right (re-exports stay cheap) */
        char have[XB_DIGEST_LEN] = "";
        xb_error_t e = XB_ERROR_INIT;
        int r = xb_digest_file(dst, have, &e);
        xb_error_clear(&e);
        if (r == 0 && strcmp(have, digest) == 0)
            return 0;
    }
    cleanup_free char *tmp = NULL;
    if (asprintf(&tmp, "%s/.tmp-%ld-XXXXXX", dir, (long)getpid()) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_close int out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0)
        return xb_error_errno(err, errno, "create temp file in %s", dir);
    xb_sha256_t h = {NULL};
    int r = xb_sha256_init(&h, err);
    static char buf[1 << 16];
    while (r >= 0) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = xb_error_errno(err, errno, "read %s", src);
            break;
        }
        if (n == 0)
            break;
        xb_sha256_update(&h, buf, (size_t)n);
        r = xb_write_all(out, buf, (size_t)n, err);
    }
    char got[XB_DIGEST_LEN];
    xb_sha256_final(&h, got);
    if (r >= 0 && strcmp(got, digest) != 0)
        r = xb_error_set(err, XB_ERR_DIGEST, "store blob %s is corrupt (content has digest %s)",
                         digest, got);
    if (r >= 0 && (fchmod(out, 0644) < 0 || fsync(out) < 0))
        r = xb_error_errno(err, errno, "fsync %s", tmp);
    if (r >= 0 && rename(tmp, dst) < 0)
        r = xb_error_errno(err, errno, "rename %s", dst);
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    return xb_fsync_parent(dst, err);
}

static int write_if_missing(const char *dir, const char *name, const char *content, xb_error_t *err)
{
    cleanup_free char *p = xb_path_join(dir, name);
    if (xb_path_exists(p))
        return 0;
    return xb_write_file_atomic(p, content, strlen(content), 0644, err);
}

/* The index.json entry for desc in an exported layout: desc without store annotations. */
static json_t *export_entry(const json_t *desc, const char *tag)
{
    json_t *e = json_deep_copy(desc);
    if (e == NULL)
        return NULL;
    json_object_del(e, "kind");
    json_t *ann = json_object_get(e, "annotations");
    if (json_is_object(ann)) {
        json_object_del(ann, REF_ANNOTATION);
        if (json_object_size(ann) == 0)
            json_object_del(e, "annotations");
    }
    if (tag != NULL) {
        ann = json_object_get(e, "annotations");
        if (!json_is_object(ann)) {
            ann = json_object();
            json_object_set_new(e, "annotations", ann);
        }
        json_object_set_new(ann, REF_ANNOTATION, json_string(tag));
    }
    return e;
}

json_t *xb_export_index_entry(const json_t *desc, const char *tag)
{
    return export_entry(desc, tag);
}

static int update_layout_index(const char *dir, const json_t *entry, const char *tag,
                               xb_error_t *err)
{
    cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return xb_error_errno(err, errno, "open %s", dir);
    while (flock(dfd, LOCK_EX) < 0)
        if (errno != EINTR)
            return xb_error_errno(err, errno, "flock %s", dir);
    cleanup_free char *ip = xb_path_join(dir, "index.json");
    cleanup_json json_t *index = NULL;
    if (xb_path_exists(ip)) {
        if (xb_json_load_file(ip, XB_JSON_MAX, &index, err) < 0)
            return -err->code;
    } else {
        index = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", XB_MT_OCI_INDEX,
                          "manifests");
    }
    json_t *m = json_object_get(index, "manifests");
    if (!json_is_array(m))
        return xb_error_set(err, XB_ERR_PARSE, "%s: \"manifests\" is not an array", ip);
    const char *digest = xb_json_str(entry, "digest");
    for (size_t i = 0; i < json_array_size(m);) {
        json_t *e = json_array_get(m, i);
        const char *n = xb_json_str(json_object_get(e, "annotations"), REF_ANNOTATION);
        bool same =
            tag ? (n && strcmp(n, tag) == 0)
                : (!n && xb_json_str(e, "digest") && strcmp(xb_json_str(e, "digest"), digest) == 0);
        if (same)
            json_array_remove(m, i);
        else
            i++;
    }
    json_array_append(m, (json_t *)entry);
    char *data = json_dumps(index, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int r = xb_write_file_atomic(ip, data, strlen(data), 0644, err);
    free(data);
    return r;
}

/* Writes a rewritten blob (plan "data") to "<dir>/<hex>" unless a file with its content is
 * there. */
static int put_data_blob(const char *dir, const char *digest, const char *data, xb_error_t *err)
{
    cleanup_free char *dst = xb_path_join(dir, xb_digest_hex(digest));
    char have[XB_DIGEST_LEN] = "";
    xb_error_t e = XB_ERROR_INIT;
    if (xb_path_exists(dst) && xb_digest_file(dst, have, &e) == 0 && strcmp(have, digest) == 0)
        return 0;
    xb_error_clear(&e);
    if (xb_write_file_atomic(dst, data, strlen(data), 0644, err) < 0)
        return -1;
    return xb_fsync_parent(dst, err);
}

int xb_export_oci_dir(xb_store_t *s, const xb_export_plan_t *plan, const char *dir, const char *tag,
                      xb_error_t *err)
{
    cleanup_free char *bdir = xb_path_join(dir, "blobs/sha256");
    if (xb_mkdir_p(bdir, 0755, err) < 0 ||
        write_if_missing(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err) < 0)
        return xb_error_wrap(err, "oci:%s", dir);
    size_t i;
    json_t *b;
    json_array_foreach(plan->blobs, i, b)
    {
        /* children first: a manifest is written only once everything it names is there */
        const char *d = xb_json_str(b, "digest");
        const char *data = xb_json_str(b, "data");
        int r = data ? put_data_blob(bdir, d, data, err) : xb_export_copy_blob(s, d, bdir, err);
        if (r < 0)
            return xb_error_wrap(err, "oci:%s", dir);
    }
    cleanup_json json_t *entry = export_entry(plan->desc, tag);
    if (entry == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (update_layout_index(dir, entry, tag, err) < 0)
        return xb_error_wrap(err, "oci:%s", dir);
    return 0;
}

int xb_export(xb_store_t *s, const json_t *desc, const char *dest,
              const struct xb_export_opts *opts, char digest_out[XB_DIGEST_LEN], xb_error_t *err)
{
    enum xb_export_transport t;
    cleanup_free char *path = NULL;
    cleanup_free char *tag = NULL;
    if (xb_export_parse_dest(dest, &t, &path, &tag, err) < 0)
        return -err->code;
    struct xb_export_opts none = {NULL, NULL, false};
    if (opts == NULL)
        opts = &none;
    if (t == XB_EXPORT_DOCKER_ARCHIVE)
        return xb_export_docker_archive(s, desc, path, tag, opts, digest_out, err);
    xb_export_plan_t plan;
    if (xb_export_plan(s, desc, !opts->keep_docker, &plan, err) < 0)
        return -err->code;
    int r = t == XB_EXPORT_OCI_DIR ? xb_export_oci_dir(s, &plan, path, tag, err)
                                   : xb_export_oci_archive(s, &plan, path, tag, err);
    if (r >= 0 && digest_out != NULL)
        snprintf(digest_out, XB_DIGEST_LEN, "%s", xb_json_str(plan.desc, "digest"));
    xb_export_plan_free(&plan);
    return r;
}
