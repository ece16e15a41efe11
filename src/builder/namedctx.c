/* --build-context NAME=VALUE (buildx): named contexts that FROM NAME and COPY --from=NAME use
 * instead of a stage or an image of that name (a named context wins over a stage, as in
 * BuildKit). VALUE is a local directory, docker-image://REF or oci-layout://DIR[:TAG|@DIGEST]
 * (the image is copied from the layout into the store, platform chosen from an index). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "builder/context.h"
#include "builder/internal.h"
#include "dockerfile/ignore.h"
#include "image/image.h"
#include "image/mediatype.h"
#include "store/images.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

#define MAX_JSON (4u << 20)

static const char *value_of(const char *spec, const char *name)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || (size_t)(eq - spec) != strlen(name) ||
        strncasecmp(spec, name, (size_t)(eq - spec)) != 0)
        return NULL;
    return eq + 1;
}

int xb_bx_named_contexts_check(const xb_build_opts_t *o, xb_error_t *err)
{
    for (size_t i = 0; i < o->ncontexts; i++) {
        const char *spec = o->contexts[i], *eq = strchr(spec, '=');
        if (eq == NULL || eq == spec || eq[1] == '\0')
            return xb_error_set(err, XB_ERR_USAGE,
                                "--build-context %s: expected NAME=DIR, NAME=docker-image://REF "
                                "or NAME=oci-layout://DIR[:TAG|@DIGEST]",
                                spec);
        const char *v = eq + 1;
        if (strncmp(v, "docker-image://", 15) == 0 || strncmp(v, "oci-layout://", 13) == 0)
            continue;
        if (strstr(v, "://") != NULL || strncmp(v, "git@", 4) == 0)
            return xb_error_set(err, XB_ERR_USAGE,
                                "--build-context %s: Git and HTTP contexts are not supported "
                                "(a directory, docker-image:// or oci-layout://)",
                                spec);
        if (!xb_is_dir(v))
            return xb_error_set(err, XB_ERR_NOT_FOUND, "--build-context %s: %s is not a directory",
                                spec, v);
    }
    return 0;
}

const char *xb_bx_named_context(const xb_bctx_t *b, const char *name)
{
    const char *found = NULL;
    for (size_t i = 0; name != NULL && i < b->o->ncontexts; i++) {
        const char *v = value_of(b->o->contexts[i], name);
        if (v != NULL)
            found = v; /* the last one given wins */
    }
    return found;
}

/* Copies blob digest from the layout's blobs/ into the store (verified). */
static int copy_blob(xb_store_t *s, const char *layout, const char *digest, xb_error_t *err)
{
    if (!xb_digest_valid(digest))
        return xb_error_set(err, XB_ERR_INVALID, "%s: invalid digest '%s'", layout, digest);
    if (xb_store_has_blob(s, digest))
        return 0;
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/blobs/sha256/%s", layout, xb_digest_hex(digest)) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "oci-layout: blob %s", path);
    xb_blob_writer_t *w = NULL;
    if (xb_store_blob_begin(s, &w, err) < 0)
        return -1;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            xb_blob_abort(w);
            return xb_error_errno(err, errno, "reading %s", path);
        }
        if (n == 0)
            break;
        if (xb_blob_write(w, buf, (size_t)n, err) < 0) {
            xb_blob_abort(w);
            return -1;
        }
    }
    return xb_blob_commit(w, digest, NULL, NULL, err);
}

/* The descriptor in the layout's index.json that sel names: "@sha256:..." a digest, ":tag"
 * the org.opencontainers.image.ref.name annotation, "" the only entry. New reference. */
static int layout_pick(const char *dir, const char *sel, json_t **out, xb_error_t *err)
{
    cleanup_free char *ip = xb_path_join(dir, "index.json");
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (ip == NULL || xb_read_file(ip, MAX_JSON, &data, &len, err) < 0)
        return xb_error_wrap(err, "oci-layout://%s", dir);
    json_error_t je;
    cleanup_json json_t *idx = json_loadb(data, len, 0, &je);
    json_t *ms = json_object_get(idx, "manifests");
    if (!json_is_array(ms))
        return xb_error_set(err, XB_ERR_PARSE, "%s: not an OCI image index", ip);
    size_t i;
    json_t *d, *hit = NULL;
    json_array_foreach(ms, i, d)
    {
        const char *dg = xb_json_str(d, "digest");
        const char *rn =
            xb_json_str(json_object_get(d, "annotations"), "org.opencontainers.image.ref.name");
        if ((sel[0] == '@' && dg && strcmp(dg, sel + 1) == 0) ||
            (sel[0] == ':' && rn && strcmp(rn, sel + 1) == 0) ||
            (sel[0] == '\0' && json_array_size(ms) == 1))
            hit = d;
    }
    if (hit == NULL)
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "oci-layout://%s: %s%s not found in index.json%s", dir,
                            sel[0] ? "" : "an image", sel[0] ? sel + 1 : "",
                            sel[0] ? "" : " (several images: add :TAG or @DIGEST)");
    if (xb_descriptor_check(hit, ip, err) < 0)
        return -1;
    *out = json_deep_copy(hit);
    json_object_del(*out, "annotations");
    return 0;
}

/* oci-layout://DIR[:TAG|@DIGEST]: the image for platform p, copied into the store. */
static int load_layout(xb_bctx_t *b, const char *v, const xb_platform_t *p, json_t **config,
                       json_t **layers, xb_error_t *err)
{
    cleanup_free char *dir = strdup(v);
    if (dir == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char sel[160] = "";
    char *at = strchr(dir, '@');
    char *slash = strrchr(dir, '/');
    char *colon = strrchr(slash ? slash : dir, ':');
    if (at != NULL) {
        snprintf(sel, sizeof sel, "%s", at);
        *at = '\0';
    } else if (colon != NULL) {
        snprintf(sel, sizeof sel, "%s", colon);
        *colon = '\0';
    }
    cleanup_json json_t *desc = NULL;
    if (layout_pick(dir, sel, &desc, err) < 0)
        return -1;
    const char *mt = xb_json_str(desc, "mediaType");
    if (copy_blob(b->store, dir, xb_json_str(desc, "digest"), err) < 0)
        return -1;
    if (xb_mt_is_index(mt)) {
        cleanup_json json_t *index = NULL;
        const json_t *child = NULL;
        if (xb_store_read_json(b->store, xb_json_str(desc, "digest"), &index, err) < 0 ||
            xb_index_select(index, p, &child, err) < 0)
            return xb_error_wrap(err, "oci-layout://%s", v);
        json_t *c = json_deep_copy(child);
        json_decref(desc);
        desc = c;
        if (copy_blob(b->store, dir, xb_json_str(desc, "digest"), err) < 0)
            return -1;
    }
    cleanup_json json_t *man = NULL;
    if (xb_store_read_json(b->store, xb_json_str(desc, "digest"), &man, err) < 0)
        return -1;
    if (copy_blob(b->store, dir, xb_json_str(json_object_get(man, "config"), "digest"), err) < 0)
        return -1;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(man, "layers"), i, l)
    {
        if (copy_blob(b->store, dir, xb_json_str(l, "digest"), err) < 0)
            return -1;
    }
    cleanup_image xb_image_t *img = NULL;
    if (xb_image_load(b->store, desc, p, &img, err) < 0)
        return xb_error_wrap(err, "oci-layout://%s", v);
    *config = json_deep_copy(img->config);
    *layers = json_deep_copy(xb_image_layers(img));
    if (*layers == NULL)
        *layers = json_array();
    return *config ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

int xb_bx_scratch_config(const xb_platform_t *p, json_t **config, xb_error_t *err)
{
    if (xb_image_config_new(p, -1, config, err) < 0)
        return -1;
    /* BuildKit's empty image: the default PATH (Linux) and WorkingDir / */
    json_t *cc = xb_image_config_container(*config);
    if (p->os == NULL || strcmp(p->os, "windows") != 0)
        json_object_set_new(cc, "Env",
                            json_pack("[s]", "PATH=/usr/local/sbin:/usr/local/bin:"
                                             "/usr/sbin:/usr/bin:/sbin:/bin"));
    return xb_image_config_set_string(*config, "WorkingDir", "/", err);
}

int xb_bx_named_image(xb_bctx_t *b, const char *value, const xb_platform_t *p, json_t **config,
                      json_t **layers, xb_error_t *err)
{
    if (strcasecmp(value, "docker-image://scratch") == 0) { /* as FROM scratch */
        *layers = json_array();
        return *layers ? xb_bx_scratch_config(p, config, err)
                       : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (strncmp(value, "docker-image://", 15) == 0)
        return xb_bx_image_load(b, value + 15, p, config, layers, err);
    if (strncmp(value, "oci-layout://", 13) == 0)
        return load_layout(b, value + 13, p, config, layers, err);
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "the build context %s is a directory: use it with COPY --from, not "
                        "FROM",
                        value);
}

static bool dir_ignored(void *ud, const char *rel, bool is_dir)
{
    (void)is_dir;
    return xb_ignore_match(ud, rel);
}

int xb_bx_named_dir_scan(const char *dir, xb_centries_t *out, xb_error_t *err)
{
    cleanup_ignore xb_ignore_t *ig = NULL;
    if (xb_ignore_load(dir, NULL, &ig, err) < 0)
        return xb_error_wrap(err, "--build-context %s", dir);
    bool has_neg = false;
    for (size_t i = 0; i < xb_ignore_count(ig); i++)
        if (xb_ignore_pattern(ig, i)[0] == '!')
            has_neg = true;
    return xb_context_scan(dir, xb_ignore_count(ig) > 0 ? dir_ignored : NULL, ig, has_neg, out,
                           err);
}
