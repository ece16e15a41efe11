/* xb_registry_push: store -> registry. Blobs first (HEAD, mount, upload; in parallel), then
 * the image manifests, then the index, so the registry never holds a dangling manifest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/internal.h"
#include "registry/registry.h"
#include "store/remote.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"

#define MAX_MANIFESTS 256
#define MAX_BLOBS     4096

struct push_job {
    xb_registry_t *r;
    xb_store_t *s;
    json_t *blobs; /* unique config/layer descriptors */
    bool quiet;
};

/* A blob that needed no upload from here: state "Exists" ("Blob <digest> already in <where>"),
 * "Mounted" or "Copied" ("<what> blob <digest> from <where>"). */
static void report(struct push_job *j, const char *dg, int64_t size, const char *state,
                   const char *what, const char *where)
{
    const xb_registry_opts_t *o = xb_registry_options(j->r);
    if (o->progress)
        o->progress(dg, state, size, size, XB_PROGRESS_SKIPPED, o->progress_ud);
    else if (j->quiet)
        return;
    else if (strcmp(state, "Exists") == 0)
        xb_info("Blob %.19s already in %s", dg, where);
    else
        xb_info("%s blob %.19s from %s", what, dg, where);
}

/* Cross-repository mounts from every repository of the destination registry the blob is known
 * in (pulled from, pushed to, or the source of a remote-backed manifest): 1 mounted, 0 not. */
static int try_mounts(struct push_job *j, const json_t *d, const char *dg, xb_error_t *err)
{
    cleanup_json json_t *from = NULL;
    xb_registry_sources(j->s, dg, xb_registry_host(j->r), &from);
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(d, "sources"), k, v)
    {
        if (strcmp(xb_json_str(v, "registry"), xb_registry_host(j->r)) == 0)
            json_array_append(from, json_object_get(v, "repository"));
    }
    json_array_foreach(from, k, v)
    {
        const char *repo = json_string_value(v);
        if (strcmp(repo, xb_registry_repository(j->r)) == 0)
            continue;
        int rc = xb_registry_blob_mount(j->r, dg, repo, err);
        if (rc != 0) {
            if (rc > 0)
                report(j, dg, xb_json_int(d, "size", -1), "Mounted", "Mounted", repo);
            return rc;
        }
    }
    return 0;
}

/* A layer of a remote-backed manifest that is not in the store: streamed from its source
 * registry (another registry, or a repository of this one that refused the mount). */
static int copy_remote(struct push_job *j, const json_t *d, const char *dg, xb_error_t *err)
{
    json_t *sources = json_object_get(d, "sources");
    cleanup_error xb_error_t last = XB_ERROR_INIT;
    size_t k;
    json_t *v;
    json_array_foreach(sources, k, v)
    {
        cleanup_free char *name = NULL;
        cleanup_reference xb_reference_t *ref = NULL;
        cleanup_registry xb_registry_t *src = NULL;
        xb_error_clear(&last);
        if (asprintf(&name, "%s/%s@%s", xb_json_str(v, "registry"), xb_json_str(v, "repository"),
                     dg) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (xb_reference_parse(name, &ref, &last) < 0 ||
            xb_registry_open(ref, xb_registry_options(j->r), false, &src, &last) < 0 ||
            xb_registry_copy_blob(src, j->r, dg, xb_json_int(d, "size", -1), &last) < 0)
            continue;
        report(j, dg, xb_json_int(d, "size", -1), "Copied", "Copied", name);
        return 0;
    }
    if (json_array_size(sources) == 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "blob %s is not in the local store", dg);
    xb_error_move(err, &last);
    return xb_error_wrap(err,
                         "blob %s is not in the local store and could not be copied from "
                         "the registry its manifest came from",
                         dg);
}

static int push_blob(size_t i, void *ud, xb_error_t *err)
{
    struct push_job *j = ud;
    json_t *d = json_array_get(j->blobs, i);
    const char *dg = xb_json_str(d, "digest");
    char hs[32];
    const xb_registry_opts_t *o = xb_registry_options(j->r);
    int64_t dsize = xb_json_int(d, "size", -1);
    int rc = xb_registry_blob_exists(j->r, dg, NULL, err);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        report(j, dg, dsize, "Exists", "Blob", xb_registry_name(j->r));
        return 0;
    }
    if ((rc = try_mounts(j, d, dg, err)) != 0)
        return rc < 0 ? rc : 0;
    if (!xb_store_has_blob(j->s, dg))
        return copy_remote(j, d, dg, err);
    cleanup_free char *path = xb_store_blob_path(j->s, dg);
    cleanup_close int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return xb_error_errno(err, errno, "blob %s is not in the local store", dg);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return xb_error_errno(err, errno, "stat %s", path);
    if (dsize >= 0 && dsize != (int64_t)st.st_size)
        return xb_error_set(err, XB_ERR_DIGEST, "blob %s: %lld bytes in the store, %lld expected",
                            dg, (long long)st.st_size, (long long)dsize);
    if (o->progress)
        o->progress(dg, "Uploading", 0, (int64_t)st.st_size, XB_PROGRESS_START, o->progress_ud);
    if (xb_registry_upload_fd(j->r, dg, fd, (int64_t)st.st_size, err) < 0)
        return -err->code;
    xb_registry_note_source(j->s, dg, xb_registry_host(j->r), xb_registry_repository(j->r));
    if (o->progress)
        o->progress(dg, "Uploaded", (int64_t)st.st_size, (int64_t)st.st_size, XB_PROGRESS_DONE,
                    o->progress_ud);
    else if (!j->quiet)
        xb_info("Uploaded blob %.19s (%s)", dg,
                xb_registry_human_size((int64_t)st.st_size, hs, sizeof(hs)));
    return 0;
}

static bool is_index(const char *mt, const json_t *doc)
{
    if (mt && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
               strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0))
        return true;
    return json_object_get(doc, "manifests") != NULL && json_object_get(doc, "config") == NULL;
}

/* Queues d once per digest; sources (the registries of a remote-backed manifest, or NULL) are
 * kept on the queued copy for push_blob. */
static void add_unique(json_t *blobs, json_t *seen, const json_t *d, json_t *sources)
{
    const char *dg = xb_json_str(d, "digest");
    if (dg == NULL || json_object_get(seen, dg))
        return;
    json_object_set_new(seen, dg, json_true());
    json_t *c = json_deep_copy(d);
    if (c != NULL && json_array_size(sources) > 0)
        json_object_set(c, "sources", sources);
    json_array_append_new(blobs, c);
}

struct manifest {
    char *data;
    size_t len;
    char *media_type;
    char digest[XB_DIGEST_LEN];
};

static int load_manifest(xb_store_t *s, const json_t *desc, struct manifest *m, json_t **doc,
                         xb_error_t *err)
{
    const char *dg = xb_json_str(desc, "digest");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_PARSE, "descriptor without a valid digest");
    if (!xb_store_has_blob(s, dg))
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "manifest %s is not in the local store (the image is incomplete)", dg);
    if (xb_store_read_blob(s, dg, XB_MANIFEST_MAX, &m->data, &m->len, err) < 0)
        return -err->code;
    if (xb_json_parse(m->data, m->len, dg, doc, err) < 0)
        return -err->code;
    const char *mt = xb_json_str(desc, "mediaType");
    if (mt == NULL)
        mt = xb_json_str(*doc, "mediaType");
    if (mt == NULL)
        mt = json_object_get(*doc, "manifests") ? "application/vnd.oci.image.index.v1+json"
                                                : "application/vnd.oci.image.manifest.v1+json";
    m->media_type = strdup(mt);
    snprintf(m->digest, sizeof(m->digest), "%s", dg);
    return 0;
}

static int collect_blobs(xb_store_t *s, const json_t *doc, json_t *blobs, json_t *seen,
                         const char *dg, xb_error_t *err)
{
    cleanup_json json_t *sources = NULL;
    if (xb_store_remote_sources(s, dg, &sources, err) < 0)
        return -err->code;
    json_t *cfg = json_object_get(doc, "config");
    const char *cd = xb_json_str(cfg, "digest");
    if (cd == NULL || !xb_digest_valid(cd))
        return xb_error_set(err, XB_ERR_PARSE, "manifest %s: invalid config descriptor", dg);
    add_unique(blobs, seen, cfg, sources);
    size_t i;
    json_t *l;
    json_t *layers = json_object_get(doc, "layers");
    if (layers == NULL)
        layers = json_object_get(doc, "blobs"); /* artifact manifests */
    json_array_foreach(layers, i, l)
    {
        const char *ld = xb_json_str(l, "digest");
        if (ld == NULL || !xb_digest_valid(ld))
            return xb_error_set(err, XB_ERR_PARSE, "manifest %s: invalid layer %zu", dg, i);
        add_unique(blobs, seen, l, sources);
    }
    if (json_array_size(blobs) > MAX_BLOBS)
        return xb_error_set(err, XB_ERR_INVALID, "too many blobs");
    return 0;
}

int xb_registry_push(xb_store_t *s, const json_t *descriptor, const char *refstr,
                     const xb_registry_opts_t *opts, char digest_out[XB_DIGEST_LEN],
                     xb_error_t *err)
{
    cleanup_reference xb_reference_t *ref = NULL;
    if (xb_reference_parse(refstr, &ref, err) < 0)
        return -err->code;
    bool quiet = opts && opts->quiet;
    struct manifest top = {0};
    struct manifest *children = NULL;
    size_t nchildren = 0;
    cleanup_json json_t *topdoc = NULL;
    cleanup_json json_t *blobs = json_array();
    cleanup_json json_t *seen = json_object();
    cleanup_registry xb_registry_t *r = NULL;
    int rc = -1;
    if (load_manifest(s, descriptor, &top, &topdoc, err) < 0)
        goto out;
    if (ref->digest && strcmp(ref->digest, top.digest) != 0) {
        xb_error_set(err, XB_ERR_INVALID, "cannot push %s as %s: its digest is %s", top.digest,
                     refstr, top.digest);
        goto out;
    }
    if (is_index(top.media_type, topdoc)) {
        json_t *ms = json_object_get(topdoc, "manifests");
        size_t n = json_array_size(ms);
        if (n > MAX_MANIFESTS) {
            xb_error_set(err, XB_ERR_INVALID, "index %s: too many manifests", top.digest);
            goto out;
        }
        children = calloc(n ? n : 1, sizeof(*children));
        for (size_t i = 0; i < n; i++) {
            cleanup_json json_t *doc = NULL;
            json_t *cd = json_array_get(ms, i);
            if (load_manifest(s, cd, &children[i], &doc, err) < 0) {
                nchildren = i + 1;
                xb_error_wrap(err, "index %s, entry %zu", top.digest, i);
                goto out;
            }
            nchildren = i + 1;
            if (is_index(children[i].media_type, doc)) {
                xb_error_set(err, XB_ERR_UNSUPPORTED, "nested index %s", children[i].digest);
                goto out;
            }
            if (collect_blobs(s, doc, blobs, seen, children[i].digest, err) < 0)
                goto out;
        }
    } else if (collect_blobs(s, topdoc, blobs, seen, top.digest, err) < 0) {
        goto out;
    }
    if (xb_registry_open(ref, opts, true, &r, err) < 0)
        goto out;
    if (!quiet)
        xb_info("Pushing %s to %s (%zu blobs)", top.digest, refstr, json_array_size(blobs));
    struct push_job job = {r, s, blobs, quiet};
    if (xb_parallel(xb_registry_options(r)->jobs, json_array_size(blobs), push_blob, &job, err) < 0)
        goto out;
    for (size_t i = 0; i < nchildren; i++) {
        /* an index pushed by reference: the children the registry has are not sent again */
        int has = xb_registry_head_manifest(r, children[i].digest, NULL, NULL, NULL, err);
        if (has < 0)
            goto out;
        if (has == 0 && xb_registry_put_manifest(r, children[i].digest, children[i].media_type,
                                                 children[i].data, children[i].len, NULL, err) < 0)
            goto out;
        if (!quiet)
            xb_info("%s manifest %s", has ? "Present:" : "Pushed", children[i].digest);
    }
    if (xb_registry_put_manifest(r, xb_reference_object(ref), top.media_type, top.data, top.len,
                                 NULL, err) < 0)
        goto out;
    if (!quiet)
        xb_info("Pushed %s %s", nchildren ? "index" : "manifest", top.digest);
    if (digest_out)
        snprintf(digest_out, XB_DIGEST_LEN, "%s", top.digest);
    rc = 0;
out:
    for (size_t i = 0; i < nchildren; i++) {
        free(children[i].data);
        free(children[i].media_type);
    }
    free(children);
    free(top.data);
    free(top.media_type);
    return rc < 0 ? (err->code ? -err->code : -XB_ERR_INTERNAL) : 0;
}
