/* The image index of a layer chain read from layers already extracted for RUN (overlay form:
 * whiteouts as 0/0 char devices, opaque dirs by xattr) equals the index read from the layer
 * tarballs: same paths, types, modes, owners and symlink targets, whiteouts and opaque dirs
 * applied. Needs root (mknod, trusted.* xattrs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/tap.h"
#include "builder/rootfs.h"
#include "layer/writer.h"
#include "snapshot/layers.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/json.h"

static json_t *layer(xb_store_t *s, int which, char diff_id[XB_DIGEST_LEN])
{
    xb_error_t err = XB_ERROR_INIT;
    xb_layer_writer_t *w = NULL;
    xb_layer_result_t res;
    int r = xb_layer_writer_new(s, NULL, &w, &err);
    if (which == 1) {
        struct stat st = {0};
        st.st_mode = S_IFLNK | 0777;
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "etc", 0755, 0, 0, 100, &err);
        r = r < 0 ? r : xb_layer_writer_add_data(w, "etc/a", "a", 1, 0644, 1, 2, 100, &err);
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "etc/sub", 0700, 3, 4, 100, &err);
        r = r < 0 ? r : xb_layer_writer_add_data(w, "etc/sub/x", "x", 1, 0600, 0, 0, 100, &err);
        r = r < 0 ? r : xb_layer_writer_add(w, "lnk", &st, -1, "etc/a", NULL, NULL, &err);
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "opt", 0755, 0, 0, 100, &err);
        r = r < 0 ? r : xb_layer_writer_add_data(w, "opt/keep", "k", 1, 0644, 0, 0, 100, &err);
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "opt/o", 0755, 0, 0, 100, &err);
        r = r < 0 ? r : xb_layer_writer_add_data(w, "opt/o/old", "o", 1, 0644, 0, 0, 100, &err);
    } else {
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "etc", 0755, 0, 0, 200, &err);
        r = r < 0 ? r : xb_layer_writer_add_whiteout(w, "etc/a", 200, &err);
        r = r < 0 ? r : xb_layer_writer_add_data(w, "etc/b", "b", 1, 0600, 7, 8, 200, &err);
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "etc/sub", 0750, 3, 4, 200, &err);
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "opt", 0755, 0, 0, 200, &err);
        r = r < 0 ? r : xb_layer_writer_add_dir(w, "opt/o", 0711, 0, 0, 200, &err);
        r = r < 0 ? r : xb_layer_writer_add_opaque(w, "opt/o", 200, &err);
        r = r < 0 ? r : xb_layer_writer_add_data(w, "opt/o/new", "n", 1, 0644, 0, 0, 200, &err);
    }
    r = r < 0 ? r : xb_layer_writer_finish(w, &res, &err);
    xb_layer_writer_free(w);
    if (r < 0) {
        printf("# layer %d: %s\n", which, err.msg);
        xb_error_clear(&err);
        return NULL;
    }
    memcpy(diff_id, res.diff_id, XB_DIGEST_LEN);
    return json_pack("{s:s,s:s,s:I}", "mediaType", res.media_type, "digest", res.digest, "size",
                     (json_int_t)res.size);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("1..0 # SKIP needs root: extracted layers hold 0/0 char devices and trusted.* "
               "xattrs\n");
        return 0;
    }
    char tmpl[] = "/tmp/xb-rootfs-test.XXXXXX";
    ok(mkdtemp(tmpl) != NULL, "temp store dir");
    xb_error_t err = XB_ERROR_INIT;
    xb_store_t *s = NULL;
    ok(xb_store_open(tmpl, &s, &err) == 0, "store opened");
    char d1[XB_DIGEST_LEN], d2[XB_DIGEST_LEN];
    json_t *layers = json_array(), *diff_ids = json_array();
    json_t *l1 = layer(s, 1, d1), *l2 = layer(s, 2, d2);
    ok(l1 != NULL && l2 != NULL, "two layers written");
    json_array_append_new(layers, l1);
    json_array_append_new(layers, l2);
    json_array_append_new(diff_ids, json_string(d1));
    json_array_append_new(diff_ids, json_string(d2));

    xb_centries_t tar, dir;
    xb_centries_init(&tar);
    xb_centries_init(&dir);
    ok(xb_rootfs_build(&tar, s, layers, NULL, NULL, &err) == 0, "index from the tarballs");
    for (size_t i = 0; i < 2; i++) {
        char *name = NULL;
        ok(xb_snapshot_layer_ensure(s, json_string_value(json_array_get(diff_ids, i)),
                                    xb_json_str(json_array_get(layers, i), "digest"), &name,
                                    &err) == 0,
           "layer %zu extracted", i + 1);
        free(name);
        /* the directory is what gets read: the blob is gone */
        char *blob = xb_store_blob_path(s, xb_json_str(json_array_get(layers, i), "digest"));
        ok(blob && unlink(blob) == 0, "blob %zu removed", i + 1);
        free(blob);
    }
    ok(xb_rootfs_build_index(&dir, s, layers, diff_ids, &err) == 0,
       "index from the extracted dirs (without the blobs): %s", err.msg ? err.msg : "ok");

    is_int((long long)dir.n, (long long)tar.n, "same number of entries");
    for (size_t i = 0; i < tar.n; i++) {
        const xb_centry_t *t = &tar.v[i], *d = xb_centries_get(&dir, t->path);
        ok(d != NULL, "%s present in both", t->path);
        if (d == NULL)
            continue;
        is_int((long long)d->mode, (long long)t->mode, "%s: same type and mode", t->path);
        ok(d->uid == t->uid && d->gid == t->gid, "%s: same owner", t->path);
        is_str(d->link ? d->link : "", t->link ? t->link : "", "%s: same link", t->path);
    }
    ok(xb_centries_get(&dir, "etc/a") == NULL, "whiteout applied: etc/a gone");
    ok(xb_centries_get(&dir, "opt/o/old") == NULL, "opaque dir applied: opt/o/old gone");
    ok(xb_centries_get(&dir, "opt/o/new") != NULL && xb_centries_get(&dir, "opt/keep") != NULL,
       "opt/o/new and opt/keep present");
    xb_centry_t *sub = xb_centries_get(&dir, "etc/sub");
    ok(sub && (sub->mode & 07777) == 0750, "etc/sub has the upper layer's mode");
    xb_centry_t *ln = xb_centries_get(&dir, "lnk");
    ok(ln && S_ISLNK(ln->mode) && ln->link && strcmp(ln->link, "etc/a") == 0, "symlink kept");

    xb_centries_free(&tar);
    xb_centries_free(&dir);
    json_decref(layers);
    json_decref(diff_ids);
    xb_store_close(s);
    xb_rm_rf(tmpl, &err);
    xb_error_clear(&err);
    return tap_done();
}
