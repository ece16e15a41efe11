/* Unit tests of the local store: blobs, refs, resolve, fsck, prune, walking. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/store_fixture.h"
#include "../lib/tap.h"
#include "store/store.h"
#include "store/walk.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static int count_dir(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' || (prefix && strncmp(de->d_name, prefix, strlen(prefix)) == 0))
            if (prefix == NULL || strncmp(de->d_name, prefix, strlen(prefix)) == 0)
                n++;
    if (d)
        closedir(d);
    return n;
}

/* Builds a one-layer image; returns its manifest descriptor; layer/config digests out. */
static json_t *make_image(xb_store_t *s, const char *content, char layer[XB_DIGEST_LEN],
                          char config[XB_DIGEST_LEN])
{
    xb_error_t err = XB_ERROR_INIT;
    xb_store_put_blob(s, content, strlen(content), layer, &err);
    json_t *cfg = put_json(s,
                           json_pack("{s:s,s:s,s:{s:s,s:[s]}}", "architecture", "amd64", "os",
                                     "linux", "rootfs", "type", "layers", "diff_ids", layer),
                           XB_MT_OCI_CONFIG);
    snprintf(config, XB_DIGEST_LEN, "%s", xb_json_str(cfg, "digest"));
    json_t *man =
        put_json(s,
                 json_pack("{s:i,s:s,s:O,s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "mediaType",
                           XB_MT_OCI_MANIFEST, "config", cfg, "layers", "mediaType",
                           XB_MT_OCI_LAYER, "digest", layer, "size", (json_int_t)strlen(content)),
                 XB_MT_OCI_MANIFEST);
    json_decref(cfg);
    return man;
}

static void test_blobs(xb_store_t *s, const char *root)
{
    xb_error_t err = XB_ERROR_INIT;
    cleanup_free char *bdir = xb_path_join(root, "blobs/sha256");
    xb_blob_writer_t *w = NULL;
    char d[XB_DIGEST_LEN], want[XB_DIGEST_LEN];
    int64_t size = -1;
    xb_digest_buf("hello world", 11, want);
    ok(xb_store_blob_begin(s, &w, &err) == 0, "blob_begin");
    is_int(count_dir(bdir, ".tmp-"), 1, "a temp file exists while writing");
    ok(xb_blob_write(w, "hello ", 6, &err) == 0 && xb_blob_write(w, "world", 5, &err) == 0,
       "blob_write in two pieces");
    ok(xb_blob_commit(w, want, d, &size, &err) == 0, "commit with the right expected digest");
    is_str(d, want, "digest returned");
    is_int(size, 11, "size returned");
    ok(xb_store_has_blob(s, want), "has_blob after commit");
    is_int(count_dir(bdir, ".tmp-"), 0, "no temp file after commit");
    cleanup_free char *data = NULL;
    size_t len = 0;
    ok(xb_store_read_blob(s, want, 100, &data, &len, &err) == 0 && len == 11 &&
           memcmp(data, "hello world", 11) == 0,
       "read_blob returns the content");

    /* mismatch stores nothing */
    char other[XB_DIGEST_LEN];
    xb_digest_buf("other", 5, other);
    ok(xb_store_blob_begin(s, &w, &err) == 0, "blob_begin 2");
    xb_blob_write(w, "not other", 9, &err);
    int r = xb_blob_commit(w, other, d, NULL, &err);
    ok(r < 0 && err.code == XB_ERR_DIGEST, "mismatch -> XB_ERR_DIGEST");
    ok(err.msg && strstr(err.msg, other) != NULL, "mismatch error names the expected digest");
    xb_error_clear(&err);
    char notother[XB_DIGEST_LEN];
    xb_digest_buf("not other", 9, notother);
    ok(!xb_store_has_blob(s, other) && !xb_store_has_blob(s, notother),
       "mismatch stored nothing under either digest");
    is_int(count_dir(bdir, ".tmp-"), 0, "mismatch left no temp file");

    /* abort */
    ok(xb_store_blob_begin(s, &w, &err) == 0, "blob_begin 3");
    xb_blob_write(w, "abc", 3, &err);
    xb_blob_abort(w);
    is_int(count_dir(bdir, ".tmp-"), 0, "abort removes the temp file");
    xb_blob_abort(NULL);

    /* put_blob, read_blob limits, corrupt read */
    ok(xb_store_put_blob(s, "hello world", 11, d, &err) == 0 && strcmp(d, want) == 0,
       "put_blob of existing content is fine");
    cleanup_free char *big = NULL;
    ok(xb_store_read_blob(s, want, 5, &big, &len, &err) < 0, "read_blob refuses > max");
    xb_error_clear(&err);
    ok(xb_store_blob_path(s, "sha256:zz") == NULL, "blob_path NULL for an invalid digest");
}

static void test_names(void)
{
    static const char *cases[][2] = {
        {"app", "app:latest"},
        {"app:1", "app:1"},
        {"localhost:5000/app", "localhost:5000/app:latest"},
        {"localhost:5000/app:1", "localhost:5000/app:1"},
        {"reg.io/a/b", "reg.io/a/b:latest"},
        {"app@sha256:0123456789012345678901234567890123456789012345678901234567890123",
         "app@sha256:0123456789012345678901234567890123456789012345678901234567890123"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cleanup_free char *n = xb_store_normalize_name(cases[i][0]);
        is_str(n, cases[i][1], "normalize %s", cases[i][0]);
    }
    ok(xb_store_name_valid("localhost:5000/app:1"), "name valid: host:port/path:tag");
    ok(!xb_store_name_valid("app/"), "name invalid: trailing slash");
    ok(!xb_store_name_valid("a b"), "name invalid: space");
    ok(!xb_store_name_valid(""), "name invalid: empty");
}

static void test_refs(xb_store_t *s)
{
    xb_error_t err = XB_ERROR_INIT;
    char l1[XB_DIGEST_LEN], c1[XB_DIGEST_LEN], l2[XB_DIGEST_LEN], c2[XB_DIGEST_LEN];
    cleanup_json json_t *m1 = make_image(s, "layer one", l1, c1);
    cleanup_json json_t *m2 = make_image(s, "layer two", l2, c2);
    ok(m1 && m2, "two images built");
    ok(xb_store_ref_set(s, "app:latest", m1, &err) == 0, "ref_set app:latest");
    ok(xb_store_ref_set(s, "localhost:5000/app:1", m1, &err) == 0, "ref_set host:port name");
    ok(xb_store_ref_set(s, "other:1", m2, &err) == 0, "ref_set other:1");
    ok(xb_store_ref_set(s, "bad name", m2, &err) < 0, "ref_set refuses an invalid name");
    xb_error_clear(&err);

    cleanup_json json_t *list = NULL;
    ok(xb_store_refs_list(s, &list, &err) == 0 && json_array_size(list) == 3, "3 refs listed");
    ok(xb_store_ref_set(s, "other:1", m1, &err) == 0, "ref_set replaces other:1");
    json_decref(list);
    list = NULL;
    xb_store_refs_list(s, &list, &err);
    is_int(json_array_size(list), 3, "still 3 refs after replace");
    json_t *d = NULL;
    ok(xb_store_resolve(s, "other:1", &d, &err) == 0, "resolve other:1");
    is_str(xb_json_str(d, "digest"), xb_json_str(m1, "digest"), "other:1 now points to m1");
    is_str(xb_store_ref_name(d), "other:1", "resolved descriptor carries its name");
    json_decref(d);

    ok(xb_store_resolve(s, "app", &d, &err) == 0, "resolve 'app' finds app:latest");
    json_decref(d);
    ok(xb_store_resolve(s, xb_json_str(m1, "digest"), &d, &err) == 0, "resolve full digest");
    json_decref(d);
    char prefix[20];
    snprintf(prefix, sizeof prefix, "%.12s", xb_json_str(m1, "digest") + 7);
    ok(xb_store_resolve(s, prefix, &d, &err) == 0, "resolve 12-hex prefix");
    is_str(xb_json_str(d, "digest"), xb_json_str(m1, "digest"), "prefix -> m1");
    json_decref(d);
    char byat[120];
    snprintf(byat, sizeof byat, "whatever@%s", xb_json_str(m1, "digest"));
    ok(xb_store_resolve(s, byat, &d, &err) == 0, "resolve name@digest");
    is_str(xb_json_str(d, "digest"), xb_json_str(m1, "digest"), "name@digest -> m1");
    json_decref(d);
    char shortp[12];
    snprintf(shortp, sizeof shortp, "%.8s", xb_json_str(m1, "digest") + 7);
    ok(xb_store_resolve(s, shortp, &d, &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "8-hex prefix is not accepted");
    xb_error_clear(&err);
    ok(xb_store_resolve(s, "nosuch", &d, &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "unknown name -> NOT_FOUND");
    xb_error_clear(&err);

    ok(xb_store_ref_delete(s, "other:1", &err) == 0, "ref_delete other:1");
    ok(xb_store_resolve(s, "other:1", &d, &err) < 0, "other:1 gone");
    xb_error_clear(&err);
    ok(xb_store_ref_delete(s, "other:1", &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "deleting a missing name -> NOT_FOUND");
    xb_error_clear(&err);
    xb_store_ref_delete(s, "app:latest", &err);
    xb_store_ref_delete(s, "localhost:5000/app:1", &err);
    xb_error_clear(&err);
}

/* Finds two manifests whose digests share the first hex digit... ambiguity needs a shared
 * 12-hex prefix, which we cannot forge; test it with hand-made index entries instead. */
static void test_ambiguous(xb_store_t *s, const char *root)
{
    xb_error_t err = XB_ERROR_INIT;
    const char *a = "sha256:abcdef0123450000000000000000000000000000000000000000000000000001";
    const char *b = "sha256:abcdef0123450000000000000000000000000000000000000000000000000002";
    json_t *da =
        json_pack("{s:s,s:s,s:i}", "mediaType", XB_MT_OCI_MANIFEST, "digest", a, "size", 1);
    json_t *db =
        json_pack("{s:s,s:s,s:i}", "mediaType", XB_MT_OCI_MANIFEST, "digest", b, "size", 1);
    xb_store_ref_set(s, "amb:a", da, &err);
    xb_store_ref_set(s, "amb:b", db, &err);
    json_t *d = NULL;
    int r = xb_store_resolve(s, "abcdef012345", &d, &err);
    ok(r < 0 && err.code == XB_ERR_INVALID, "ambiguous prefix is an error");
    ok(err.msg && strstr(err.msg, a) && strstr(err.msg, b), "error lists both candidates");
    xb_error_clear(&err);
    ok(xb_store_resolve(s, "abcdef0123450000000000000000000000000000000000000000000000000002", &d,
                        &err) == 0,
       "a longer prefix disambiguates");
    json_decref(d);
    xb_store_ref_delete(s, "amb:a", &err);
    xb_store_ref_delete(s, "amb:b", &err);
    json_decref(da);
    json_decref(db);
    (void)root;
}

static bool has_problem(json_t *arr, const char *needle, const char *needle2)
{
    size_t i;
    json_t *v;
    json_array_foreach(
        arr, i, v) if (strstr(json_string_value(v), needle) &&
                       (needle2 == NULL || strstr(json_string_value(v), needle2))) return true;
    return false;
}

static void test_fsck_prune(xb_store_t *s, const char *root)
{
    xb_error_t err = XB_ERROR_INIT;
    char l1[XB_DIGEST_LEN], c1[XB_DIGEST_LEN], l2[XB_DIGEST_LEN], c2[XB_DIGEST_LEN];
    char l3[XB_DIGEST_LEN], c3[XB_DIGEST_LEN];
    cleanup_json json_t *m1 = make_image(s, "fsck layer one", l1, c1);
    cleanup_json json_t *m2 = make_image(s, "fsck layer two", l2, c2);
    cleanup_json json_t *m3 = make_image(s, "cached layer three", l3, c3);
    xb_store_ref_set(s, "keep:1", m1, &err);

    json_t *problems = NULL;
    ok(xb_store_fsck(s, &problems, &err) == 0, "fsck runs");
    is_int(json_array_size(problems), 0, "healthy store: no problems");
    json_decref(problems);

    /* walking */
    json_t *blobs = NULL;
    ok(xb_store_image_blobs(s, m1, &blobs, &err) == 0, "image_blobs");
    is_int(json_array_size(blobs), 3, "manifest + config + layer");
    is_str(xb_json_str(json_array_get(blobs, 2), "kind"), "manifest", "manifest last");
    is_str(xb_json_str(json_array_get(blobs, 2), "digest"), xb_json_str(m1, "digest"),
           "the manifest is the root");
    json_decref(blobs);

    /* a cache entry references m3's manifest */
    cleanup_free char *cfile = xb_path_join(root, "xbuild/cache/entry1.json");
    char *txt = NULL;
    if (asprintf(&txt, "{\"key\":\"x\",\"manifest\":\"%s\"}", xb_json_str(m3, "digest")) > 0)
        xb_write_file_atomic(cfile, txt, strlen(txt), 0644, &err);
    free(txt);
    /* layer dirs: one referenced by keep:1's config, one stale */
    cleanup_free char *ld1 = NULL, *ld2 = NULL, *stale_tmp = NULL, *dead_tmp = NULL;
    if (asprintf(&ld1, "%s/xbuild/layers/%s", root, l1 + 7) < 0 ||
        asprintf(&ld2, "%s/xbuild/layers/%s", root, l2 + 7) < 0 ||
        asprintf(&stale_tmp, "%s/blobs/sha256/.tmp-999999999-abcdef", root) < 0 ||
        asprintf(&dead_tmp, "%s/xbuild/tmp/build-999999999-abcdef", root) < 0)
        return;
    xb_mkdir_p(ld1, 0755, &err);
    xb_mkdir_p(ld2, 0755, &err);
    xb_mkdir_p(dead_tmp, 0755, &err);
    xb_write_file_atomic(stale_tmp, "junk", 4, 0644, &err);
    cleanup_free char *live_tmp = NULL;
    ok(xb_store_mkdtemp(s, "unit", &live_tmp, &err) == 0, "mkdtemp");
    ok(live_tmp && strstr(live_tmp, "/xbuild/tmp/unit-") != NULL, "mkdtemp path shape");

    json_t *rep = NULL;
    ok(xb_store_fsck_report(s, &rep, &err) == 0, "fsck_report");
    is_int(json_array_size(json_object_get(rep, "problems")), 0, "temp file is no problem");
    ok(has_problem(json_object_get(rep, "warnings"), ".tmp-999999999", NULL),
       "temp file is a warning");
    json_decref(rep);

    /* The live tmp dir is ours (alive); in this process we hold the only users lock. Blobs
     * younger than our live tmp dir would be spared, so remove it first. */
    xb_rm_rf(live_tmp, &err);
    json_t *pr = NULL;
    ok(xb_store_prune(s, &pr, &err) == 0, "prune");
    if (err.msg)
        printf("# %s\n", err.msg);
    xb_error_clear(&err);
    ok(!xb_store_has_blob(s, l2) && !xb_store_has_blob(s, c2) &&
           !xb_store_has_blob(s, xb_json_str(m2, "digest")),
       "unreachable image blobs removed");
    ok(xb_store_has_blob(s, l1) && xb_store_has_blob(s, c1) &&
           xb_store_has_blob(s, xb_json_str(m1, "digest")),
       "tagged image blobs kept");
    ok(xb_store_has_blob(s, l3) && xb_store_has_blob(s, c3) &&
           xb_store_has_blob(s, xb_json_str(m3, "digest")),
       "cache-referenced image blobs kept");
    ok(xb_is_dir(ld1), "layer dir of a reachable config kept");
    ok(!xb_is_dir(ld2), "unreferenced layer dir removed");
    ok(!xb_path_exists(stale_tmp), "stale temp blob removed");
    ok(!xb_path_exists(dead_tmp), "work dir of a dead pid removed");
    is_int(xb_json_int(pr, "blobs", -1), 10,
           "report: 10 blobs (hello world, 2 untagged images of 3 blobs, m2)");
    is_int(xb_json_int(pr, "layers", -1), 1, "report: 1 layer dir");
    is_int(xb_json_int(pr, "tmp", -1), 2, "report: 2 temp items");
    json_decref(pr);

    /* corrupt and missing blobs */
    cleanup_free char *p1 = xb_store_blob_path(s, l1);
    cleanup_free char *pc = xb_store_blob_path(s, c1);
    xb_write_file_atomic(p1, "tampered", 8, 0644, &err);
    unlink(pc);
    problems = NULL;
    ok(xb_store_fsck(s, &problems, &err) == 0, "fsck runs on a damaged store");
    ok(has_problem(problems, "corrupt blob", l1), "fsck names the corrupt blob");
    ok(has_problem(problems, "corrupt layer blob", "keep:1"),
       "fsck says which image needs the corrupt blob");
    ok(has_problem(problems, "missing config blob", c1), "fsck names the missing blob");
    ok(has_problem(problems, c1, "keep:1"), "missing blob names the image");
    json_decref(problems);
    xb_error_clear(&err);

    /* writing the right content again repairs the corrupt blob (same-size corruption too) */
    xb_write_file_atomic(p1, "fsck layer XXX", 14, 0644, &err);
    char again[XB_DIGEST_LEN];
    ok(xb_store_put_blob(s, "fsck layer one", 14, again, &err) == 0 && strcmp(again, l1) == 0,
       "put_blob of the original content");
    problems = NULL;
    xb_store_fsck(s, &problems, &err);
    ok(!has_problem(problems, "corrupt", l1), "corrupt blob repaired by put_blob");
    json_decref(problems);
    xb_write_file_atomic(p1, "fsck layer XXX", 14, 0644, &err);
    xb_blob_writer_t *w = NULL;
    xb_store_blob_begin(s, &w, &err);
    xb_blob_write(w, "fsck layer one", 14, &err);
    ok(xb_blob_commit(w, l1, NULL, NULL, &err) == 0, "commit over a corrupt blob");
    char now[XB_DIGEST_LEN] = "";
    xb_digest_file(p1, now, &err);
    is_str(now, l1, "blob writer repaired the corrupt blob");
    xb_error_clear(&err);
}

static void test_walk_types(xb_store_t *s)
{
    is_int(xb_media_type_kind(XB_MT_DOCKER_MANIFEST_LIST), XB_BLOB_INDEX,
           "docker list is an index");
    is_int(xb_media_type_kind(XB_MT_DOCKER_MANIFEST), XB_BLOB_MANIFEST, "docker manifest");
    is_int(xb_media_type_kind(XB_MT_DOCKER_CONFIG), XB_BLOB_CONFIG, "docker config");
    is_int(xb_media_type_kind(XB_MT_DOCKER_LAYER_GZIP), XB_BLOB_LAYER, "docker layer");
    is_int(xb_media_type_kind(XB_MT_OCI_LAYER_ZSTD), XB_BLOB_LAYER, "oci zstd layer");
    is_int(xb_media_type_kind("application/wasm"), XB_BLOB_OTHER, "unknown type is OTHER");
    is_int(xb_mt_layer_compression(XB_MT_OCI_LAYER), 0, "tar: no compression");
    is_int(xb_mt_layer_compression(XB_MT_DOCKER_LAYER), 0, "docker diff.tar: no compression");
    is_int(xb_mt_layer_compression(XB_MT_OCI_LAYER_GZIP), 1, "+gzip");
    is_int(xb_mt_layer_compression(XB_MT_DOCKER_LAYER_GZIP), 1, "docker tar.gzip");
    is_int(xb_mt_layer_compression(XB_MT_OCI_LAYER_ZSTD), 2, "+zstd");

    /* a Docker manifest list of two Docker schema2 manifests sharing a layer */
    xb_error_t err = XB_ERROR_INIT;
    char l[XB_DIGEST_LEN], c1[XB_DIGEST_LEN], c2[XB_DIGEST_LEN];
    xb_store_put_blob(s, "shared layer", 12, l, &err);
    json_t *cfg1 = put_json(s, json_pack("{s:s,s:s}", "architecture", "amd64", "os", "linux"),
                            XB_MT_DOCKER_CONFIG);
    json_t *cfg2 = put_json(s, json_pack("{s:s,s:s}", "architecture", "arm64", "os", "linux"),
                            XB_MT_DOCKER_CONFIG);
    snprintf(c1, sizeof c1, "%s", xb_json_str(cfg1, "digest"));
    snprintf(c2, sizeof c2, "%s", xb_json_str(cfg2, "digest"));
    json_t *m1 = put_json(s,
                          json_pack("{s:i,s:s,s:O,s:[{s:s,s:s,s:i}]}", "schemaVersion", 2,
                                    "mediaType", XB_MT_DOCKER_MANIFEST, "config", cfg1, "layers",
                                    "mediaType", XB_MT_DOCKER_LAYER_GZIP, "digest", l, "size", 12),
                          XB_MT_DOCKER_MANIFEST);
    json_t *m2 = put_json(s,
                          json_pack("{s:i,s:s,s:O,s:[{s:s,s:s,s:i}]}", "schemaVersion", 2,
                                    "mediaType", XB_MT_DOCKER_MANIFEST, "config", cfg2, "layers",
                                    "mediaType", XB_MT_DOCKER_LAYER_GZIP, "digest", l, "size", 12),
                          XB_MT_DOCKER_MANIFEST);
    json_object_set_new(m1, "platform",
                        json_pack("{s:s,s:s}", "architecture", "amd64", "os", "linux"));
    json_object_set_new(m2, "platform",
                        json_pack("{s:s,s:s}", "architecture", "arm64", "os", "linux"));
    json_t *list = put_json(s,
                            json_pack("{s:i,s:s,s:[O,O]}", "schemaVersion", 2, "mediaType",
                                      XB_MT_DOCKER_MANIFEST_LIST, "manifests", m1, m2),
                            XB_MT_DOCKER_MANIFEST_LIST);
    json_t *blobs = NULL;
    ok(xb_store_image_blobs(s, list, &blobs, &err) == 0, "image_blobs of a docker list");
    is_int(json_array_size(blobs), 6, "list + 2 manifests + 2 configs + 1 shared layer");
    is_str(xb_json_str(json_array_get(blobs, 5), "kind"), "index", "the list comes last");
    int layer_pos = -1, man_pos = -1;
    for (size_t i = 0; i < json_array_size(blobs); i++) {
        const char *d = xb_json_str(json_array_get(blobs, i), "digest");
        if (strcmp(d, l) == 0)
            layer_pos = (int)i;
        if (strcmp(d, xb_json_str(m1, "digest")) == 0)
            man_pos = (int)i;
    }
    ok(layer_pos >= 0 && man_pos > layer_pos, "children before parents");
    json_decref(blobs);
    json_t *md = NULL, *man = NULL;
    ok(xb_store_select_manifest(s, list, "linux/arm64", &md, &man, &err) == 0,
       "select_manifest linux/arm64");
    is_str(xb_json_str(md, "digest"), xb_json_str(m2, "digest"), "picked the arm64 manifest");
    json_decref(md);
    json_decref(man);
    ok(xb_store_select_manifest(s, list, "linux/aarch64/v8", &md, NULL, &err) == 0 &&
           strcmp(xb_json_str(md, "digest"), xb_json_str(m2, "digest")) == 0,
       "select_manifest normalises: linux/aarch64/v8 is the arm64 manifest");
    json_decref(md);
    ok(xb_store_select_manifest(s, list, "linux/s390x", &md, &man, &err) < 0 &&
           err.code == XB_ERR_NOT_FOUND && strstr(err.msg, "linux/arm64") != NULL,
       "missing platform: NOT_FOUND listing the available ones");
    xb_error_clear(&err);
    json_t *sum = NULL;
    ok(xb_store_image_summary(s, list, &sum, &err) == 0, "image_summary of a list");
    is_int(json_array_size(json_object_get(sum, "platforms")), 2, "summary: 2 platforms");
    ok(json_is_true(json_object_get(sum, "complete")), "summary: complete");
    json_decref(sum);
    /* a missing child manifest: the walk fails, tolerant walk reports it */
    cleanup_free char *mp = xb_store_blob_path(s, xb_json_str(m2, "digest"));
    unlink(mp);
    ok(xb_store_image_blobs(s, list, &blobs, &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "image_blobs fails on a missing manifest");
    xb_error_clear(&err);
    json_decref(cfg1);
    json_decref(cfg2);
    json_decref(m1);
    json_decref(m2);
    json_decref(list);
}

int main(void)
{
    char tmpl[] = "/tmp/store_test.XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        return 1;
    cleanup_free char *root = xb_path_join(tmpl, "store");
    xb_error_t err = XB_ERROR_INIT;
    xb_store_t *s = NULL;
    ok(xb_store_open(root, &s, &err) == 0, "open creates the store");
    cleanup_free char *layout = xb_path_join(root, "oci-layout");
    cleanup_free char *lj = NULL;
    xb_read_file(layout, 4096, &lj, NULL, &err);
    is_str(lj, "{\"imageLayoutVersion\":\"1.0.0\"}", "oci-layout content");
    cleanup_free char *ij = xb_path_join(root, "index.json");
    json_t *idx = NULL;
    ok(xb_json_load_file(ij, 4096, &idx, &err) == 0 && xb_json_int(idx, "schemaVersion", 0) == 2,
       "index.json schemaVersion 2");
    json_decref(idx);
    cleanup_free char *cache = xb_path_join(root, "xbuild/cache");
    ok(xb_is_dir(cache), "xbuild/cache exists");

    test_blobs(s, root);
    test_names();
    test_refs(s);
    test_ambiguous(s, root);
    test_fsck_prune(s, root);
    test_walk_types(s);

    xb_store_close(s);
    xb_store_t *s2 = NULL;
    ok(xb_store_open(root, &s2, &err) == 0, "reopen an existing store");
    xb_store_close(s2);
    xb_rm_rf(tmpl, &err);
    xb_error_clear(&err);
    return tap_done();
}
