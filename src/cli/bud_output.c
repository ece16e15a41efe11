/* bud --output: see bud_output.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/bud_output.h"
#include "cli/cli.h"
#include "cli/metadata.h"
#include "image/mediatype.h"
#include "image/platform.h"
#include "layer/apply.h"
#include "layer/writer.h"
#include "registry/registry.h"
#include "store/export.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

static const char TYPES[] = "local, tar, oci, docker, image, registry";

static int bad(xb_error_t *err, const char *spec, const char *what)
{
    return xb_cli_usage(err, "bud", "--output %s: %s", spec, what);
}

static bool truthy(const char *v)
{
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0';
}

/* Appends v to *names ("a,b"). */
static int add_name(char **names, const char *v)
{
    char *n = NULL;
    if (asprintf(&n, "%s%s%s", *names ? *names : "", *names ? "," : "", v) < 0)
        return -1;
    free(*names);
    *names = n;
    return 0;
}

static int set_type(struct xb_bud_output *out, const char *v, const char *spec, xb_error_t *err)
{
    static const struct {
        const char *name;
        enum xb_bud_out_type type;
    } T[] = {{"local", XB_OUT_LOCAL},   {"tar", XB_OUT_TAR},     {"oci", XB_OUT_OCI},
             {"docker", XB_OUT_DOCKER}, {"image", XB_OUT_IMAGE}, {"registry", XB_OUT_IMAGE}};
    for (size_t i = 0; i < sizeof(T) / sizeof(T[0]); i++)
        if (strcmp(v, T[i].name) == 0) {
            out->type = T[i].type;
            if (strcmp(v, "registry") == 0)
                out->push = true;
            return 0;
        }
    cleanup_free char *m = NULL;
    if (asprintf(&m, "unknown type '%s' (expected %s)", v, TYPES) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return bad(err, spec, m);
}

/* One key=value of a spec. */
static int set_key(struct xb_bud_output *out, char *kv, const char *spec, xb_error_t *err)
{
    char *eq = strchr(kv, '=');
    const char *v = eq ? eq + 1 : "";
    if (eq)
        *eq = '\0';
    if (strcmp(kv, "type") == 0)
        return set_type(out, v, spec, err);
    if (strcmp(kv, "dest") == 0) {
        free(out->dest);
        out->dest = strdup(v);
        return 0;
    }
    if (strcmp(kv, "name") == 0)
        return add_name(&out->name, v) < 0 ? xb_error_set(err, XB_ERR_INTERNAL, "out of memory")
                                           : 0;
    if (strcmp(kv, "push") == 0) {
        out->push = truthy(v);
        return 0;
    }
    if (strcmp(kv, "push-by-digest") == 0) {
        out->by_digest = truthy(v);
        return 0;
    }
    /* buildx keys with no effect here: the store keeps one format, layers are compressed per
     * --compression, tar/local outputs are not platform-split differently */
    static const char *const accepted[] = {"oci-mediatypes",    "compression", "compression-level",
                                           "force-compression", "unpack",      "store",
                                           "platform-split",    "annotation",  NULL};
    for (const char *const *a = accepted; *a; a++)
        if (strcmp(kv, *a) == 0 || strncmp(kv, "annotation.", 11) == 0)
            return 0;
    cleanup_free char *m = NULL;
    if (asprintf(&m, "unknown key '%s' (expected type, dest, name, push, push-by-digest)", kv) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return bad(err, spec, m);
}

int xb_bud_output_add(struct xb_bud_outputs *o, const char *spec, xb_error_t *err)
{
    struct xb_bud_output out = {0};
    if (strchr(spec, '=') == NULL) { /* short form: -o DIR, -o - (a tar on stdout) */
        out.type = strcmp(spec, "-") == 0 ? XB_OUT_TAR : XB_OUT_LOCAL;
        out.dest = strdup(spec);
    } else {
        cleanup_free char *copy = strdup(spec);
        char *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
            if (set_key(&out, kv, spec, err) < 0) {
                free(out.dest);
                free(out.name);
                return -err->code;
            }
    }
    const char *why = NULL;
    if (out.type == 0)
        why = "needs type=TYPE (local, tar, oci, docker, image, registry)";
    else if (out.type != XB_OUT_IMAGE && (out.dest == NULL || out.dest[0] == '\0'))
        why = "needs dest=PATH";
    else if (out.type != XB_OUT_IMAGE && (out.push || out.by_digest))
        why = "push and push-by-digest go with type=image or type=registry";
    else if (out.dest != NULL && strcmp(out.dest, "-") == 0 && out.type != XB_OUT_TAR)
        why = "dest=- (stdout) is for type=tar";
    else if (out.by_digest && !out.push)
        why = "push-by-digest=true needs push=true (or type=registry)";
    if (why != NULL) {
        free(out.dest);
        free(out.name);
        return bad(err, spec, why);
    }
    struct xb_bud_output *nv = realloc(o->v, (o->n + 1) * sizeof(*nv));
    if (nv == NULL) {
        free(out.dest);
        free(out.name);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    o->v = nv;
    o->v[o->n++] = out;
    return 0;
}

int xb_bud_outputs_prepare(struct xb_bud_outputs *o, xb_error_t *err)
{
    size_t users = 0;
    for (size_t i = 0; i < o->n; i++)
        users += o->v[i].dest != NULL && strcmp(o->v[i].dest, "-") == 0;
    if (users == 0)
        return 0;
    if (users > 1)
        return xb_cli_usage(err, "bud", "--output: only one output can go to stdout");
    if (isatty(STDOUT_FILENO))
        return xb_error_set(err, XB_ERR_USAGE,
                            "--output dest=-: stdout is a terminal; redirect it to a file or pipe");
    fflush(stdout);
    o->stdout_fd = dup(STDOUT_FILENO);
    if (o->stdout_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
        return xb_error_errno(err, errno, "--output dest=-: redirecting stdout");
    return 0;
}

void xb_bud_outputs_free(struct xb_bud_outputs *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].dest);
        free(o->v[i].name);
    }
    free(o->v);
    o->v = NULL;
    o->n = 0;
    if (o->stdout_fd >= 0)
        close(o->stdout_fd);
    o->stdout_fd = -1;
}

/* --- files of the image --- */

/* Applies the layers of the manifest md onto dir. */
static int unpack_manifest(xb_store_t *s, const char *md, const char *dir, xb_error_t *err)
{
    cleanup_json json_t *m = NULL;
    if (xb_store_read_json(s, md, &m, err) < 0)
        return -err->code;
    if (xb_mkdir_p(dir, 0755, err) < 0)
        return -err->code;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(m, "layers"), i, l)
    {
        const char *dg = xb_json_str(l, "digest");
        cleanup_free char *blob = dg ? xb_store_blob_path(s, dg) : NULL;
        if (blob == NULL || !xb_store_has_blob(s, dg))
            return xb_error_set(err, XB_ERR_NOT_FOUND, "layer %s of %s is not in the store",
                                dg ? dg : "?", md);
        if (xb_layer_apply_path(dir, blob, XB_APPLY_MERGED, NULL, err) < 0)
            return xb_error_wrap(err, "unpacking layer %s into %s", dg, dir);
    }
    return 0;
}

/* The final stage's files under dir: for an index one subdirectory per platform
 * ("linux_arm64", "linux_arm_v7"), as buildx's local exporter. */
static int unpack_image(xb_store_t *s, const json_t *desc, const char *dir, xb_error_t *err)
{
    const char *dg = xb_json_str(desc, "digest");
    if (!xb_mt_is_index(xb_json_str(desc, "mediaType")))
        return unpack_manifest(s, dg, dir, err);
    cleanup_json json_t *index = NULL;
    if (xb_store_read_json(s, dg, &index, err) < 0)
        return -err->code;
    json_t *ms = json_object_get(index, "manifests");
    if (json_array_size(ms) == 1)
        return unpack_manifest(s, xb_json_str(json_array_get(ms, 0), "digest"), dir, err);
    size_t i;
    json_t *c;
    json_array_foreach(ms, i, c)
    {
        cleanup_platform xb_platform_t p = XB_PLATFORM_INIT;
        if (xb_platform_from_json(json_object_get(c, "platform"), &p, err) < 0)
            return xb_error_wrap(err, "entry %zu of %s", i, dg);
        cleanup_free char *sub = NULL;
        if (asprintf(&sub, "%s/%s_%s%s%s", dir, p.os, p.arch, p.variant ? "_" : "",
                     p.variant ? p.variant : "") < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (unpack_manifest(s, xb_json_str(c, "digest"), sub, err) < 0)
            return -err->code;
    }
    return 0;
}

static int copy_to_fd(const char *path, int out, xb_error_t *err)
{
    cleanup_close int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return xb_error_errno(err, errno, "open %s", path);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (xb_write_all(out, buf, (size_t)n, err) < 0)
            return -err->code;
    return n < 0 ? xb_error_errno(err, errno, "read %s", path) : 0;
}

/* type=tar: the files as an uncompressed tar, made by the layer writer (sorted, numeric
 * owners) from an unpacked copy; the blob it leaves in the store is unreferenced (prune). */
static int write_tar(xb_store_t *s, const json_t *desc, const char *dest, int stdout_fd,
                     xb_error_t *err)
{
    cleanup_free char *tmp = NULL;
    if (xb_store_mkdtemp(s, "output", &tmp, err) < 0)
        return -err->code;
    cleanup_free char *root = xb_path_join(tmp, "rootfs");
    xb_layer_result_t res;
    cleanup_layer_writer xb_layer_writer_t *w = NULL;
    xb_layer_opts_t lo = XB_LAYER_OPTS_INIT;
    lo.compression = XB_COMPRESSION_NONE;
    int rc = root ? unpack_image(s, desc, root, err) : xb_error_set(err, XB_ERR_INTERNAL, "oom");
    if (rc >= 0)
        rc = xb_layer_writer_new(s, &lo, &w, err);
    if (rc >= 0)
        rc = xb_layer_writer_add_tree(w, root, "", NULL, err);
    if (rc >= 0)
        rc = xb_layer_writer_finish(w, &res, err);
    xb_error_t e = XB_ERROR_INIT;
    xb_rm_rf(tmp, &e);
    xb_error_clear(&e);
    if (rc < 0)
        return rc;
    cleanup_free char *blob = xb_store_blob_path(s, res.digest);
    if (strcmp(dest, "-") == 0)
        return copy_to_fd(blob, stdout_fd, err);
    cleanup_free char *part = NULL;
    if (asprintf(&part, "%s.tmp-%d", dest, (int)getpid()) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_close int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return xb_error_errno(err, errno, "--output: create %s", dest);
    if (copy_to_fd(blob, fd, err) < 0 || fsync(fd) < 0 || rename(part, dest) < 0) {
        int e2 = errno;
        unlink(part);
        return err->code ? -err->code : xb_error_errno(err, e2, "--output: write %s", dest);
    }
    return 0;
}

/* type=docker: `docker save` holds one image: a one-entry index gives its platform, more are
 * an error (as buildx's docker exporter). */
static int write_docker(xb_store_t *s, const json_t *desc, const struct xb_bud_output *out,
                        const char *image_name, xb_error_t *err)
{
    cleanup_free char *platform = NULL;
    if (xb_mt_is_index(xb_json_str(desc, "mediaType"))) {
        cleanup_json json_t *index = NULL;
        if (xb_store_read_json(s, xb_json_str(desc, "digest"), &index, err) < 0)
            return -err->code;
        json_t *ms = json_object_get(index, "manifests");
        if (json_array_size(ms) != 1)
            return xb_error_set(err, XB_ERR_USAGE,
                                "type=docker holds one platform, the build made %zu: build one "
                                "--platform per output, or use type=oci",
                                json_array_size(ms));
        platform = xb_platform_json_format(json_object_get(json_array_get(ms, 0), "platform"));
    }
    struct xb_export_opts eo = {platform, image_name};
    return xb_export_docker_archive(s, desc, out->dest, out->name, &eo, NULL, err);
}

/* type=image: names in the store, pushes. */
static int write_image(xb_store_t *s, const json_t *desc, const struct xb_bud_output *out,
                       const char *const *tags, size_t ntags, const xb_registry_opts_t *ro,
                       bool quiet, json_t *metadata, xb_error_t *err)
{
    cleanup_json json_t *names = json_array();
    if (out->name != NULL) {
        cleanup_free char *copy = strdup(out->name);
        char *save = NULL;
        for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save))
            json_array_append_new(names, json_string(n));
    } else {
        for (size_t i = 0; i < ntags; i++)
            json_array_append_new(names, json_string(tags[i]));
    }
    if (json_array_size(names) == 0 && out->push)
        return xb_cli_usage(err, "bud",
                            "--output type=image,push=true needs name=REGISTRY/REPO "
                            "or -t");
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        const char *name = json_string_value(n);
        if (!out->by_digest) {
            cleanup_free char *local = xb_store_normalize_name(name);
            if (xb_store_ref_set(s, local ? local : name, desc, err) < 0)
                return xb_error_wrap(err, "--output name=%s", name);
        }
        if (!out->push)
            continue;
        cleanup_free char *target = NULL;
        char pd[XB_DIGEST_LEN];
        xb_registry_opts_t o = *ro;
        o.quiet = quiet;
        if (xb_cli_push_target(name, out->by_digest, desc, &target, err) < 0 ||
            xb_registry_push(s, desc, target, &o, pd, err) < 0)
            return xb_error_wrap(err, "pushing %s", name);
        if (!quiet)
            printf("pushed %s%s%s\n", target, out->by_digest ? "" : "@", out->by_digest ? "" : pd);
        if (metadata != NULL)
            json_object_set_new(metadata, "image.name", json_string(target));
    }
    return 0;
}

int xb_bud_outputs_write(struct xb_bud_outputs *o, xb_store_t *s, const char *image_name,
                         const char *const *tags, size_t ntags, const xb_registry_opts_t *ro,
                         bool quiet, json_t *metadata, xb_error_t *err)
{
    if (o->n == 0)
        return 0;
    cleanup_json json_t *desc = NULL;
    if (xb_store_resolve(s, image_name, &desc, err) < 0)
        return -err->code;
    for (size_t i = 0; i < o->n; i++) {
        const struct xb_bud_output *out = &o->v[i];
        int rc = 0;
        switch (out->type) {
        case XB_OUT_LOCAL:
            rc = unpack_image(s, desc, out->dest, err);
            break;
        case XB_OUT_TAR:
            rc = write_tar(s, desc, out->dest, o->stdout_fd, err);
            break;
        case XB_OUT_OCI:
            rc = xb_export_oci_archive(s, desc, out->dest, out->name, err);
            break;
        case XB_OUT_DOCKER:
            rc = write_docker(s, desc, out, image_name, err);
            break;
        case XB_OUT_IMAGE:
            rc = write_image(s, desc, out, tags, ntags, ro, quiet, metadata, err);
            break;
        }
        if (rc < 0)
            return xb_error_wrap(err, "--output %s", out->dest ? out->dest : "type=image");
        if (!quiet && out->type != XB_OUT_IMAGE && strcmp(out->dest, "-") != 0)
            xb_info("Output written to %s", out->dest);
    }
    return 0;
}
