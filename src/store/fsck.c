/* fsck: every blob re-digested, every reference walked. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/remote.h"
#include "store/store-internal.h"
#include "store/store.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

struct fsck {
    xb_store_t *s;
    json_t *problems;
    json_t *warnings;
    json_t *corrupt;  /* digest -> actual digest */
    const char *ref;  /* name of the index.json entry being walked */
    long long remote; /* layers of remote-backed manifests, absent by design */
};

static void addf(json_t *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(json_t *arr, const char *fmt, ...)
{
    char *m = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&m, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        json_array_append_new(arr, json_string(m));
        free(m);
    }
}

static int scan_blobs(struct fsck *f, long long *count, long long *bytes, xb_error_t *err)
{
    cleanup_free char *dir = xb_store_path(f->s, "blobs/sha256");
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL)
        return xb_error_errno(err, errno, "open %s", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        cleanup_free char *p = xb_path_join(dir, n);
        if (strncmp(n, XB_STORE_TMP_PREFIX, strlen(XB_STORE_TMP_PREFIX)) == 0) {
            pid_t pid = xb_store_name_pid(n);
            addf(f->warnings, "temp file blobs/sha256/%s (%s; 'xbuild prune' removes it)", n,
                 xb_store_pid_alive(pid) ? "writer still running" : "writer gone");
            continue;
        }
        if (!xb_store_hex_name(n)) {
            addf(f->warnings, "unexpected file blobs/sha256/%s", n);
            continue;
        }
        struct stat st;
        if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
            addf(f->problems, "blobs/sha256/%s is not a regular file", n);
            continue;
        }
        char want[XB_DIGEST_LEN], got[XB_DIGEST_LEN];
        snprintf(want, sizeof want, "sha256:%.64s", n);
        xb_error_t e = XB_ERROR_INIT;
        if (xb_digest_file(p, got, &e) < 0) {
            addf(f->problems, "cannot read blob %s: %s", want, e.msg ? e.msg : "error");
            xb_error_clear(&e);
            continue;
        }
        (*count)++;
        *bytes += st.st_size;
        if (strcmp(want, got) != 0) {
            addf(f->problems, "corrupt blob %s (content has digest %s)", want, got);
            json_object_set_new(f->corrupt, want, json_string(got));
        }
    }
    return 0;
}

static int check_fn(const json_t *desc, enum xb_blob_kind kind, const char *parent, int status,
                    void *ud, xb_error_t *err)
{
    struct fsck *f = ud;
    const char *d = xb_json_str(desc, "digest");
    char via[128] = "";
    if (parent != NULL)
        snprintf(via, sizeof via, " (listed in %.80s)", parent);
    if (!xb_digest_valid(d)) {
        addf(f->problems, "%s descriptor with invalid digest '%s' in image '%s'%s",
             xb_blob_kind_name(kind), d ? d : "", f->ref, via);
        return 0;
    }
    bool have = xb_store_has_blob(f->s, d);
    if (!have && kind == XB_BLOB_LAYER && parent != NULL && xb_store_remote_backed(f->s, parent)) {
        f->remote++; /* stays in the registry the manifest came from (store/remote.h) */
        return 0;
    }
    if (!have) {
        addf(f->problems, "missing %s blob %s needed by image '%s'%s", xb_blob_kind_name(kind), d,
             f->ref, via);
        return 0;
    }
    if (json_object_get(f->corrupt, d) != NULL) {
        addf(f->problems, "corrupt %s blob %s needed by image '%s'%s", xb_blob_kind_name(kind), d,
             f->ref, via);
        return 0;
    }
    if (status == XB_ERR_PARSE) {
        addf(f->problems, "%s blob %s needed by image '%s'%s is not valid JSON",
             xb_blob_kind_name(kind), d, f->ref, via);
        return 0;
    }
    if (status != 0) {
        addf(f->problems, "unreadable %s blob %s needed by image '%s'%s", xb_blob_kind_name(kind),
             d, f->ref, via);
        return 0;
    }
    long long want = xb_json_int(desc, "size", -1);
    cleanup_free char *p = xb_store_blob_path(f->s, d);
    struct stat st;
    if (want >= 0 && stat(p, &st) == 0 && st.st_size != want)
        addf(f->problems, "%s blob %s of image '%s' has %lld bytes, its descriptor says %lld",
             xb_blob_kind_name(kind), d, f->ref, (long long)st.st_size, want);
    return 0;
}

int xb_store_fsck_report(xb_store_t *s, json_t **report, xb_error_t *err)
{
    cleanup_json json_t *problems = json_array();
    cleanup_json json_t *warnings = json_array();
    cleanup_json json_t *corrupt = json_object();
    struct fsck f = {s, problems, warnings, corrupt, NULL, 0};
    long long count = 0, bytes = 0;

    cleanup_free char *layout = xb_store_path(s, "oci-layout");
    json_t *lj = NULL;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_json_load_file(layout, 65536, &lj, &e) < 0) {
        addf(problems, "oci-layout: %s", e.msg ? e.msg : "unreadable");
        xb_error_clear(&e);
    } else {
        if (xb_json_str(lj, "imageLayoutVersion") == NULL)
            addf(problems, "oci-layout has no imageLayoutVersion");
        json_decref(lj);
    }
    if (scan_blobs(&f, &count, &bytes, err) < 0)
        return -err->code;

    cleanup_json json_t *index = NULL;
    if (xb_store_index_load(s, &index, &e) < 0) {
        addf(problems, "index.json: %s", e.msg ? e.msg : "unreadable");
        xb_error_clear(&e);
    }
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(index, "manifests"), i, entry)
    {
        const char *name = xb_store_ref_name(entry);
        char unnamed[64];
        snprintf(unnamed, sizeof unnamed, "index.json entry %zu", i);
        f.ref = name ? name : unnamed;
        if (!json_is_object(entry) || xb_json_str(entry, "mediaType") == NULL)
            addf(problems, "%s has no mediaType", f.ref);
        if (xb_store_walk(s, entry, XB_WALK_TOLERANT, check_fn, &f, &e) < 0) {
            addf(problems, "image '%s': %s", f.ref, e.msg ? e.msg : "walk failed");
            xb_error_clear(&e);
        }
    }
    /* leftovers of interrupted index.json writes (xb_write_file_atomic temp names) */
    cleanup_dir DIR *rd = opendir(xb_store_root(s));
    struct dirent *de;
    while (rd != NULL && (de = readdir(rd)) != NULL)
        if (strncmp(de->d_name, "index.json.tmp-", 15) == 0)
            addf(warnings, "temp file %s ('xbuild prune' removes it)", de->d_name);

    *report = json_pack("{s:O,s:O,s:I,s:I,s:I,s:I}", "problems", problems, "warnings", warnings,
                        "blobs", (json_int_t)count, "bytes", (json_int_t)bytes, "refs",
                        (json_int_t)json_array_size(json_object_get(index, "manifests")),
                        "remote_layers", (json_int_t)f.remote);
    return *report ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

int xb_store_fsck(xb_store_t *s, json_t **problems, xb_error_t *err)
{
    cleanup_json json_t *rep = NULL;
    if (xb_store_fsck_report(s, &rep, err) < 0)
        return -err->code;
    *problems = json_incref(json_object_get(rep, "problems"));
    return 0;
}
