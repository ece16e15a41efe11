/* --mount parsing, secrets, USER resolution, lexical in-root paths, and the two tree diffs
 * (overlay upper dir vs before/after comparison) giving the same layer. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer/inroot.h"
#include "layer/writer.h"
#include "run/mounts.h"
#include "run/user.h"
#include "snapshot/diff.h"
#include "store/store.h"
#include "util/fs.h"
#include "../lib/tap.h"

static char tmp[256];

static void test_mounts(void)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_run_mount_t m;
    ok(xb_run_mount_parse("type=cache,target=/root/.cache", &m, &err) == 0, "cache parses");
    is_str(m.target, "root/.cache", "target cleaned");
    is_str(m.id, "root/.cache", "cache id defaults to the target");
    ok(!m.readonly, "cache is read-write");
    xb_run_mount_clear(&m);
    ok(xb_run_mount_parse("target=/src,source=dir/sub", &m, &err) == 0 && m.type == XB_MOUNT_BIND,
       "bind is the default type");
    ok(m.readonly, "bind read-only by default");
    is_str(m.source, "dir/sub", "bind source");
    xb_run_mount_clear(&m);
    ok(xb_run_mount_parse("type=bind,target=/src,rw", &m, &err) == 0 && !m.readonly, "bind rw");
    xb_run_mount_clear(&m);
    ok(xb_run_mount_parse("type=secret,id=tok", &m, &err) == 0, "secret parses");
    is_str(m.target, "run/secrets/tok", "secret target default");
    xb_run_mount_clear(&m);
    ok(xb_run_mount_parse("type=tmpfs,target=/t,size=64m", &m, &err) == 0 && m.size == 64ll << 20,
       "tmpfs size");
    xb_run_mount_clear(&m);
    ok(xb_run_mount_parse("type=cache,target=../../etc", &m, &err) < 0, "target above / refused");
    ok(xb_run_mount_parse("type=nfs,target=/x", &m, &err) < 0, "unknown type refused");
    ok(xb_run_mount_parse("type=cache,target=/x,bogus=1", &m, &err) < 0, "unknown option refused");
    ok(xb_run_mount_parse("type=cache", &m, &err) < 0, "target required");
    xb_error_clear(&err);

    char path[300];
    snprintf(path, sizeof path, "%s/secret", tmp);
    FILE *f = fopen(path, "w");
    fputs("filevalue", f);
    fclose(f);
    char spec1[400];
    snprintf(spec1, sizeof spec1, "id=a,src=%s", path);
    const char *env[] = {"XB_TEST_SECRETX=no", "XB_TEST_SECRET=envvalue", NULL};
    const char *specs[] = {spec1, "id=b,env=XB_TEST_SECRET", NULL};
    char *data;
    size_t len;
    bool found;
    ok(xb_secret_lookup(specs, env, "a", &data, &len, &found, &err) == 0 && found && len == 9 &&
           memcmp(data, "filevalue", 9) == 0,
       "secret from a file");
    free(data);
    ok(xb_secret_lookup(specs, env, "b", &data, &len, &found, &err) == 0 && found &&
           strcmp(data, "envvalue") == 0,
       "secret from the environment");
    free(data);
    ok(xb_secret_lookup(specs, env, "c", &data, &len, &found, &err) == 0 && !found,
       "unknown secret");
    xb_error_clear(&err);
}

static void test_user(void)
{
    char pw[300], gr[300];
    snprintf(pw, sizeof pw, "%s/passwd", tmp);
    snprintf(gr, sizeof gr, "%s/group", tmp);
    FILE *f = fopen(pw, "w");
    fputs("root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1001:Bob:/home/bob:/bin/sh\n", f);
    fclose(f);
    f = fopen(gr, "w");
    fputs("root:x:0:\nwheel:x:10:bob,alice\nbob:x:1001:\nstaff:x:50:\n", f);
    fclose(f);
    xb_error_t err = XB_ERROR_INIT;
    xb_user_t u;
    ok(xb_user_resolve("bob", pw, gr, &u, &err) == 0 && u.uid == 1000 && u.gid == 1001,
       "user by name");
    is_str(u.home, "/home/bob", "home from passwd");
    ok(u.ngroups == 2 && u.groups[0] == 10 && u.groups[1] == 1001, "supplementary groups");
    ok(xb_user_resolve("1000:staff", pw, gr, &u, &err) == 0 && u.uid == 1000 && u.gid == 50,
       "uid:group name");
    ok(xb_user_resolve("4242:7", pw, gr, &u, &err) == 0 && u.uid == 4242 && u.gid == 7,
       "numeric ids without entries");
    ok(xb_user_resolve("4242", pw, gr, &u, &err) == 0 && u.gid == 0, "unknown uid gets gid 0");
    ok(xb_user_resolve("nobody", pw, gr, &u, &err) < 0 && strstr(err.msg, "unable to find user"),
       "unknown user name fails");
    ok(xb_user_resolve("bob:nogroup", pw, gr, &u, &err) < 0, "unknown group fails");
    ok(xb_user_resolve("", pw, gr, &u, &err) == 0 && u.uid == 0, "empty is root");
    xb_error_clear(&err);
}

static void test_clean(void)
{
    char *s = xb_inroot_clean_clamp("/../../etc/./x/../passwd");
    is_str(s, "etc/passwd", "clamped clean");
    free(s);
    xb_error_t err = XB_ERROR_INIT;
    s = xb_inroot_clean("a/../../b", &err);
    ok(s == NULL, "strict clean refuses climbing");
    xb_error_clear(&err);
}

static int sh(const char *cmd, const char *dir)
{
    setenv("D", dir, 1);
    return system(cmd);
}

#define OPS                                                                                        \
    "cd \"$D\" && rm f1 && rm -rf d && mkdir d && echo n > d/n && echo x >> keep/k2 && mkdir -p "  \
    "new/sub && echo h > new/h && ln new/h new/h2 && chmod 4755 new/h && ln -s ../keep new/l && "  \
    "rm -rf gone && mkfifo new/fifo"
#define LOWER                                                                                      \
    "mkdir -p \"$D\" && cd \"$D\" && echo 1 > f1 && mkdir -p d/x keep gone/deep && echo o > "      \
    "d/x/o && "                                                                                    \
    "echo k > keep/k1 && echo k > keep/k2 && echo g > gone/deep/g && touch -d @1000 . d keep "     \
    "gone"

static int diff_to_layer(xb_store_t *st, bool overlay, const char *a, const char *b,
                         const xb_tree_state_t *before, xb_layer_result_t *res, size_t *count)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_layer_writer_t *w = NULL;
    xb_layer_opts_t o = XB_LAYER_OPTS_INIT;
    o.clamp_mtime = 1000000;
    int r = xb_layer_writer_new(st, &o, &w, &err);
    if (r >= 0)
        r = overlay ? xb_diff_overlay(w, a, b, "lower", false, count, &err)
                    : xb_diff_copy(w, a, before, count, &err);
    if (r >= 0)
        r = xb_layer_writer_finish(w, res, &err);
    if (r < 0)
        printf("# %s\n", err.msg);
    xb_layer_writer_free(w);
    xb_error_clear(&err);
    return r;
}

static void test_diffs(void)
{
    char p[1600], q[512], lay[300], up[300], wk[300], mp[300], root[300];
    xb_error_t err = XB_ERROR_INIT;
    xb_store_t *st = NULL;
    snprintf(p, sizeof p, "%s/store", tmp);
    if (xb_store_open(p, &st, &err) < 0) {
        ok(0, "store: %s", err.msg);
        return;
    }
    snprintf(lay, sizeof lay, "%s/layers", tmp);
    snprintf(q, sizeof q, "%s/lower", lay);
    sh(LOWER, q);
    /* copy: a copy of the lower tree, captured, changed */
    snprintf(root, sizeof root, "%s/rootfs", tmp);
    snprintf(p, sizeof p, "cp -a %s %s", q, root);
    ok(system(p) == 0, "copy of the lower tree");
    xb_tree_state_t *before = NULL;
    ok(xb_tree_state_capture(root, &before, &err) == 0, "capture");
    ok(sh(OPS, root) == 0, "changes applied to the copy");
    xb_layer_result_t rc, ro;
    size_t nc = 0, no = 0;
    ok(diff_to_layer(st, false, root, NULL, before, &rc, &nc) == 0, "copy diff written");
    xb_tree_state_free(before);
    /* overlay: the same changes through a real overlay mount */
    snprintf(up, sizeof up, "%s/upper", tmp);
    snprintf(wk, sizeof wk, "%s/work", tmp);
    snprintf(mp, sizeof mp, "%s/merged", tmp);
    mkdir(up, 0755);
    mkdir(wk, 0755);
    mkdir(mp, 0755);
    snprintf(p, sizeof p, "lowerdir=%s,upperdir=%s,workdir=%s", q, up, wk);
    if (mount("overlay", mp, "overlay", 0, p) < 0) {
        ok(1, "# SKIP overlayfs not available");
    } else {
        ok(sh(OPS, mp) == 0, "changes applied through overlayfs");
        umount(mp);
        ok(diff_to_layer(st, true, up, lay, NULL, &ro, &no) == 0, "overlay diff written");
        is_int(no, nc, "same number of entries");
        is_str(ro.diff_id, rc.diff_id, "overlay and copy diffs give the same diffID");
    }
    ok(nc >= 12, "diff has the expected entries (%zu)", nc);
    /* unchanged tree: empty diff */
    ok(xb_tree_state_capture(root, &before, &err) == 0, "capture again");
    xb_layer_result_t re;
    size_t ne = 99;
    diff_to_layer(st, false, root, NULL, before, &re, &ne);
    is_int(ne, 0, "no change, no entries");
    xb_tree_state_free(before);
    /* read the copy layer back */
    char *blob = xb_store_blob_path(st, rc.digest);
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    char names[4096] = "";
    if (blob && archive_read_open_filename(a, blob, 10240) == ARCHIVE_OK) {
        struct archive_entry *e;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
            strncat(names, archive_entry_pathname(e), sizeof names - strlen(names) - 2);
            strcat(names, " ");
        }
    }
    archive_read_free(a);
    free(blob);
    printf("# %s\n", names);
    ok(strstr(names, "d/.wh..wh..opq ") != NULL, "recreated dir is opaque");
    ok(strstr(names, ".wh.f1 ") != NULL && strstr(names, ".wh.gone ") != NULL, "whiteouts");
    ok(strstr(names, "gone/") == NULL || strstr(names, ".wh.gone") != NULL,
       "no whiteouts below a deleted dir");
    ok(strstr(names, "keep/k2 ") != NULL && strstr(names, "keep/k1") == NULL,
       "only the changed file of a dir");
    ok(strstr(names, "keep/ keep/k2 ") != NULL,
       "the unchanged dir keep/ is written before keep/k2");
    xb_store_close(st);
    xb_error_clear(&err);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/xb-runparts-XXXXXX");
    if (mkdtemp(tmp) == NULL)
        return 1;
    test_mounts();
    test_user();
    test_clean();
    if (geteuid() == 0)
        test_diffs();
    else
        ok(1, "# SKIP diff tests need root");
    xb_error_t e = XB_ERROR_INIT;
    xb_rm_rf(tmp, &e);
    xb_error_clear(&e);
    return tap_done();
}
