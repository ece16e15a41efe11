/* Hostile and ordinary tarballs applied with layer/apply.c (both modes). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer/apply.h"
#include "layer/inroot.h"
#include "layer/whiteout.h"
#include "util/fs.h"
#include "../lib/tap.h"

static char tmp[256];
static char buf[1 << 20];
static size_t used;
static struct archive *w;

static void tb_begin(void)
{
    w = archive_write_new();
    archive_write_set_format_pax_restricted(w);
    archive_write_set_bytes_in_last_block(w, 1);
    used = 0;
    archive_write_open_memory(w, buf, sizeof buf, &used);
}

static struct archive_entry *ent(const char *path, mode_t type, mode_t perm)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_mtime(e, 1000000, 0);
    return e;
}

static void put(struct archive_entry *e, const char *data)
{
    archive_entry_set_size(e, data ? (la_int64_t)strlen(data) : 0);
    archive_write_header(w, e);
    if (data)
        archive_write_data(w, data, strlen(data));
    archive_entry_free(e);
}

static void tb_file(const char *path, const char *data, mode_t perm)
{
    put(ent(path, AE_IFREG, perm), data);
}
static void tb_dir(const char *path)
{
    put(ent(path, AE_IFDIR, 0755), NULL);
}
static void tb_symlink(const char *path, const char *target)
{
    struct archive_entry *e = ent(path, AE_IFLNK, 0777);
    archive_entry_set_symlink(e, target);
    put(e, NULL);
}
static void tb_hardlink(const char *path, const char *target)
{
    struct archive_entry *e = ent(path, AE_IFREG, 0644);
    archive_entry_set_hardlink(e, target);
    put(e, NULL);
}

static int tb_apply_max(const char *dir, enum xb_apply_mode mode, uint64_t max, char **msg)
{
    archive_write_close(w);
    archive_write_free(w);
    struct archive *r = archive_read_new();
    archive_read_support_format_tar(r);
    archive_read_support_filter_none(r);
    archive_read_open_memory(r, buf, used);
    xb_error_t err = XB_ERROR_INIT;
    int root = xb_inroot_open_root(dir, &err);
    int ret = xb_layer_apply_archive(root, r, mode, max, NULL, &err);
    close(root);
    archive_read_free(r);
    if (msg)
        *msg = err.msg ? strdup(err.msg) : NULL;
    else if (ret < 0)
        printf("# apply error: %s\n", err.msg);
    xb_error_clear(&err);
    return ret;
}

static int tb_apply(const char *dir, enum xb_apply_mode mode, char **msg)
{
    return tb_apply_max(dir, mode, 0, msg);
}

static char *P(const char *rel)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp, rel);
    return p[k];
}

static int mkroot(const char *name)
{
    xb_error_t e = XB_ERROR_INIT;
    xb_rm_rf(P(name), &e);
    int r = xb_mkdir_p(P(name), 0755, &e);
    xb_error_clear(&e);
    return r;
}

static char *slurp(const char *path)
{
    static char b[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, b, sizeof b - 1);
    close(fd);
    b[n < 0 ? 0 : n] = '\0';
    return b;
}

static void test_ordinary(void)
{
    mkroot("a");
    tb_begin();
    tb_dir("etc");
    tb_file("etc/hello", "hi\n", 0644);
    tb_file("./usr/bin/su", "suid", 04755);
    tb_dir("tmp");
    put(ent("tmp", AE_IFDIR, 01777), NULL);
    tb_hardlink("usr/bin/su2", "usr/bin/su");
    tb_symlink("bin", "usr/bin");
    struct archive_entry *e = ent("dev/null", AE_IFCHR, 0666);
    archive_entry_set_rdev(e, makedev(1, 3));
    put(e, NULL);
    put(ent("run/fifo", AE_IFIFO, 0600), NULL);
    e = ent("usr/bin/ping", AE_IFREG, 0755);
    archive_entry_set_uid(e, 1234);
    archive_entry_set_gid(e, 99);
    static const unsigned char cap[20] = {0x01, 0, 0, 0x02, 0, 0x20, 0, 0};
    archive_entry_xattr_add_entry(e, "security.capability", cap, sizeof cap);
    archive_entry_xattr_add_entry(e, "user.note", "x", 1);
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/etc", 4);
    put(e, "ping");
    is_int(tb_apply(P("a"), XB_APPLY_MERGED, NULL), 0, "ordinary layer applies");
    is_str(slurp(P("a/etc/hello")), "hi\n", "file content");
    struct stat st, st2;
    ok(stat(P("a/usr/bin/su"), &st) == 0 && (st.st_mode & 07777) == 04755, "setuid kept");
    ok(stat(P("a/tmp"), &st) == 0 && (st.st_mode & 07777) == 01777, "sticky dir mode");
    ok(stat(P("a/usr/bin/su2"), &st2) == 0 && stat(P("a/usr/bin/su"), &st) == 0 &&
           st.st_ino == st2.st_ino && st.st_nlink == 2,
       "hardlink shares the inode");
    char l[64] = {0};
    ok(readlink(P("a/bin"), l, sizeof l - 1) > 0 && strcmp(l, "usr/bin") == 0, "symlink");
    ok(lstat(P("a/dev/null"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
       "char device 1,3");
    ok(lstat(P("a/run/fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "fifo");
    ok(stat(P("a/usr/bin/ping"), &st) == 0 && st.st_uid == 1234 && st.st_gid == 99, "owner");
    unsigned char got[32];
    is_int(getxattr(P("a/usr/bin/ping"), "security.capability", got, sizeof got), 20,
           "security.capability set");
    ok(getxattr(P("a/usr/bin/ping"), "trusted.overlay.redirect", got, sizeof got) < 0,
       "trusted.overlay.* from the tar dropped");
    ok(stat(P("a/etc/hello"), &st) == 0 && st.st_mtime == 1000000, "file mtime");
    ok(stat(P("a/etc"), &st) == 0 && st.st_mtime == 1000000, "dir mtime restored at the end");
}

static void test_whiteouts(void)
{
    /* merged */
    mkroot("m");
    tb_begin();
    tb_file("keep", "k", 0644);
    tb_file("gone", "g", 0644);
    tb_file("d/old1", "1", 0644);
    tb_file("d/sub/old2", "2", 0644);
    is_int(tb_apply(P("m"), XB_APPLY_MERGED, NULL), 0, "lower layer");
    tb_begin();
    tb_file(".wh.gone", "", 0644);
    tb_dir("d");
    tb_file("d/.wh..wh..opq", "", 0644);
    tb_file("d/new", "n", 0644);
    is_int(tb_apply(P("m"), XB_APPLY_MERGED, NULL), 0, "whiteout layer applies (merged)");
    ok(access(P("m/gone"), F_OK) != 0, "whiteout deleted the file");
    ok(access(P("m/keep"), F_OK) == 0, "other file kept");
    ok(access(P("m/d/old1"), F_OK) != 0 && access(P("m/d/sub"), F_OK) != 0,
       "opaque removed lower content");
    ok(access(P("m/d/new"), F_OK) == 0, "opaque kept this layer's file (order independent)");
    /* overlay */
    mkroot("o");
    tb_begin();
    tb_file(".wh.gone", "", 0644);
    tb_file("x/.wh..wh..opq", "", 0644);
    tb_file("x/.wh.y", "", 0644);
    is_int(tb_apply(P("o"), XB_APPLY_OVERLAY, NULL), 0, "whiteout layer applies (overlay)");
    struct stat st;
    ok(lstat(P("o/gone"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
       "whiteout became a 0/0 char device");
    ok(lstat(P("o/x/y"), &st) == 0 && S_ISCHR(st.st_mode), "nested whiteout device");
    char v[4] = {0};
    ok(getxattr(P("o/x"), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y',
       "opaque dir has trusted.overlay.opaque=y");
    ok(access(P("o/.wh.gone"), F_OK) != 0, "no .wh. file left");
}

static void test_hostile(void)
{
    char *msg = NULL;
    mkroot("h");
    mkroot("outside");
    int fd = open(P("outside/sentinel"), O_CREAT | O_WRONLY, 0644);
    ok(write(fd, "host", 4) == 4, "host sentinel");
    close(fd);

    tb_begin();
    tb_file("../outside/evil", "x", 0644);
    ok(tb_apply(P("h"), XB_APPLY_MERGED, &msg) < 0, "'..' escape refused: %s", msg);
    free(msg);
    ok(access(P("outside/evil"), F_OK) != 0, "nothing written outside");

    tb_begin();
    tb_file("a/../../outside/evil2", "x", 0644);
    ok(tb_apply(P("h"), XB_APPLY_MERGED, NULL) < 0 && access(P("outside/evil2"), F_OK) != 0,
       "nested '..' escape refused");

    mkroot("h");
    tb_begin();
    tb_file(P("outside/abs"), "x", 0644); /* absolute host path */
    is_int(tb_apply(P("h"), XB_APPLY_MERGED, NULL), 0, "absolute path applied");
    ok(access(P("outside/abs"), F_OK) != 0, "absolute path did not reach the host");
    char inside[600];
    snprintf(inside, sizeof inside, "%s/h%s", tmp, P("outside/abs"));
    ok(access(inside, F_OK) == 0, "absolute path contained in the root");

    /* symlink to a host dir, then a file through it */
    mkroot("h");
    tb_begin();
    tb_symlink("link", P("outside"));
    tb_file("link/evil3", "x", 0644);
    tb_apply(P("h"), XB_APPLY_MERGED, NULL);
    ok(access(P("outside/evil3"), F_OK) != 0, "file through an absolute symlink stays inside");
    mkroot("h");
    tb_begin();
    tb_dir("etc");
    tb_symlink("up", "../../../../../../../../..");
    tb_file("up/etc/evil4", "x", 0644);
    is_int(tb_apply(P("h"), XB_APPLY_MERGED, NULL), 0, "relative escaping symlink applied");
    ok(access("/etc/evil4", F_OK) != 0 && access(P("h/etc/evil4"), F_OK) == 0,
       "write through '../..' symlink contained in the root");

    /* a file replacing a symlink must not write through it */
    mkroot("h");
    tb_begin();
    tb_symlink("s", P("outside/sentinel"));
    tb_file("s", "overwritten", 0644);
    is_int(tb_apply(P("h"), XB_APPLY_MERGED, NULL), 0, "file over symlink");
    is_str(slurp(P("outside/sentinel")), "host", "host file not written through the symlink");
    is_str(slurp(P("h/s")), "overwritten", "symlink replaced by the file");

    /* hardlinks */
    mkroot("h");
    tb_begin();
    tb_hardlink("hl", "../outside/sentinel");
    ok(tb_apply(P("h"), XB_APPLY_MERGED, NULL) < 0, "hardlink with '..' refused");
    tb_begin();
    tb_symlink("l", P("outside"));
    tb_hardlink("hl", "l/sentinel");
    tb_apply(P("h"), XB_APPLY_MERGED, NULL);
    tb_begin();
    tb_hardlink("hl2", P("outside/sentinel"));
    tb_apply(P("h"), XB_APPLY_MERGED, NULL);
    struct stat st;
    ok(stat(P("outside/sentinel"), &st) == 0 && st.st_nlink == 1,
       "no hardlink to a host file (via symlink or absolute target)");

    /* whiteouts aimed outside */
    mkroot("h");
    tb_begin();
    tb_symlink("d", P("outside"));
    tb_file("d/.wh.sentinel", "", 0644);
    tb_apply(P("h"), XB_APPLY_MERGED, NULL);
    ok(access(P("outside/sentinel"), F_OK) == 0,
       "whiteout through a symlink deletes nothing outside");
    tb_begin();
    tb_file(".wh..", "", 0644);
    ok(tb_apply(P("h"), XB_APPLY_MERGED, NULL) < 0, "whiteout of '..' refused");
    tb_begin();
    tb_symlink("o2", P("outside"));
    tb_file("o2/.wh..wh..opq", "", 0644);
    tb_apply(P("h"), XB_APPLY_MERGED, NULL);
    ok(access(P("outside/sentinel"), F_OK) == 0, "opaque marker through a symlink stays inside");
    /* overlay mode too */
    mkroot("h");
    tb_begin();
    tb_symlink("d", P("outside"));
    tb_file("d/.wh.sentinel", "", 0644);
    tb_file("d/x", "", 0644);
    tb_apply(P("h"), XB_APPLY_OVERLAY, NULL);
    ok(lstat(P("outside/sentinel"), &st) == 0 && S_ISREG(st.st_mode) &&
           access(P("outside/x"), F_OK) != 0,
       "overlay-mode whiteout and file through a symlink stay inside");
    /* garbage */
    tb_begin();
    archive_write_close(w);
    archive_write_free(w);
    memset(buf, 'A', 2048);
    used = 2048;
    struct archive *r = archive_read_new();
    archive_read_support_format_tar(r);
    archive_read_open_memory(r, buf, used);
    xb_error_t err = XB_ERROR_INIT;
    int root = xb_inroot_open_root(P("h"), &err);
    ok(xb_layer_apply_archive(root, r, XB_APPLY_MERGED, 0, NULL, &err) < 0, "garbage refused");
    close(root);
    archive_read_free(r);
    xb_error_clear(&err);
    w = NULL;
}

static void test_gzip_file(void)
{
    mkroot("g");
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    archive_write_open_filename(a, P("layer.tar.gz"));
    w = a;
    tb_file("z/file", "gz", 0600);
    archive_write_close(a);
    archive_write_free(a);
    xb_error_t err = XB_ERROR_INIT;
    xb_apply_stats_t stt;
    is_int(xb_layer_apply_path(P("g"), P("layer.tar.gz"), XB_APPLY_MERGED, 0, &stt, &err), 0,
           "gzip layer from a file");
    is_str(slurp(P("g/z/file")), "gz", "gzip content");
    is_int(stt.entries, 1, "stats count entries");
    xb_error_clear(&err);
}

/* The layer size limit: file sizes added up, checked on each header before its data. */
static void test_limit(void)
{
    char hundred[101];
    memset(hundred, 'x', 100);
    hundred[100] = '\0';
    mkroot("lim");
    tb_begin();
    tb_file("a", hundred, 0644);
    tb_dir("d");
    tb_file("d/b", hundred, 0644);
    char *msg = NULL;
    ok(tb_apply_max(P("lim"), XB_APPLY_OVERLAY, 150, &msg) < 0,
       "200 bytes of files over a limit of 150: refused");
    ok(msg && strstr(msg, "more than the limit of 150 bytes (d/b: 100 bytes"),
       "... naming the limit and the entry that crossed it");
    ok(msg && strstr(msg, "--max-layer-size"), "... and how to raise it");
    free(msg);
    struct stat st;
    ok(lstat(P("lim/d/b"), &st) < 0, "... the crossing entry is never written");
    mkroot("lim2");
    tb_begin();
    tb_file("a", hundred, 0644);
    tb_file("b", hundred, 0644);
    is_int(tb_apply_max(P("lim2"), XB_APPLY_OVERLAY, 200, NULL), 0,
           "exactly at the limit: accepted");
}

/* The file form of whiteouts (layer/whiteout.h): the helpers read both forms, and extraction
 * onto an overlayfs mount (which refuses 0/0 devices) writes the file form. */
static void test_whiteout_forms(void)
{
    mkroot("f");
    int d = open(P("f"), O_RDONLY | O_DIRECTORY);
    xb_wh_form_t form = {false, false};
    xb_error_t e = XB_ERROR_INIT;
    is_int(xb_wh_make(d, "dev", &form, "/dev", &e), 0, "device form whiteout made");
    ok(!form.files, "... the form stays the device form");
    form.files = form.opq_files = true; /* as after a refusal */
    is_int(xb_wh_make(d, "gone", &form, "/gone", &e), 0, "file form whiteout made");
    struct stat st;
    ok(lstat(P("f/.wh.gone"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
           access(P("f/gone"), F_OK) != 0,
       "... an empty .wh.gone file, no gone");
    is_int(xb_wh_make(d, "gone", &form, "/gone", &e), 0, "... made twice: no error");
    ok(xb_wh_hides(d, "gone") && xb_wh_hides(d, "dev") && !xb_wh_hides(d, "other"),
       "hides: both forms, nothing else");
    ok(lstat(P("f/.wh.gone"), &st) == 0 && xb_wh_victim(".wh.gone", &st) != NULL &&
           strcmp(xb_wh_victim(".wh.gone", &st), "gone") == 0,
       "victim of .wh.gone is gone");
    ok(lstat(P("f/dev"), &st) == 0 && xb_wh_victim("dev", &st) != NULL, "victim of a 0/0 device");
    ok(lstat(P("f"), &st) == 0 && xb_wh_victim("f", &st) == NULL &&
           xb_wh_victim(XB_WH_OPAQUE, &st) == NULL && xb_wh_is_marker(XB_WH_OPAQUE),
       "a directory and the opaque marker are no whiteouts");
    ok(!xb_wh_opaque(d, "trusted.overlay.opaque"), "not opaque yet");
    is_int(xb_wh_make_opaque(d, "trusted.overlay.opaque", &form, "/", &e), 0, "opaque marker made");
    ok(access(P("f/" XB_WH_OPAQUE), F_OK) == 0 && xb_wh_opaque(d, "trusted.overlay.opaque"),
       "... a .wh..wh..opq file, read as opaque");
    is_int(xb_wh_unhide(d, "gone", &form, "/gone", &e), 0, "unhide");
    ok(access(P("f/.wh.gone"), F_OK) != 0, "... removed the .wh. file");
    close(d);
    xb_error_clear(&e);

    /* extraction onto overlayfs: its mknod of 0/0 is refused, the .wh. form is written */
    mkroot("ov/l");
    mkroot("ov/u");
    mkroot("ov/w");
    mkroot("ov/m");
    char opts[2048];
    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", P("ov/l"), P("ov/u"),
             P("ov/w"));
    if (mount("overlay", P("ov/m"), "overlay", 0, opts) < 0) {
        printf("ok %d - extraction onto overlayfs # SKIP cannot mount overlayfs: %s\n", ++tap_n,
               strerror(errno));
        return;
    }
    int fd = open(P("f"), O_RDONLY | O_DIRECTORY), od = open(P("ov/m"), O_RDONLY | O_DIRECTORY);
    ok(!xb_wh_devices_refused(fd) && xb_wh_devices_refused(od),
       "devices_refused: not on the test's filesystem, yes on overlayfs");
    close(fd);
    close(od);
    tb_begin();
    tb_file(".wh.gone", "", 0644);
    tb_file("x/.wh..wh..opq", "", 0644);
    tb_file("x/.wh.y", "", 0644);
    tb_file(".wh.back", "", 0644);
    tb_file("back", "b", 0644);
    char *msg = NULL;
    is_int(tb_apply(P("ov/m"), XB_APPLY_OVERLAY, &msg), 0, "whiteout layer applies onto overlayfs");
    if (msg)
        printf("#   %s\n", msg);
    free(msg);
    ok(lstat(P("ov/m/.wh.gone"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
           access(P("ov/m/gone"), F_OK) != 0,
       "... the whiteout is an empty .wh.gone file");
    ok(lstat(P("ov/m/x/.wh.y"), &st) == 0 && S_ISREG(st.st_mode), "... nested .wh.y file");
    int x = open(P("ov/m/x"), O_RDONLY | O_DIRECTORY);
    ok(x >= 0 && xb_wh_opaque(x, "trusted.overlay.opaque"),
       "... the opaque dir reads as opaque (marker file, or the xattr where overlayfs keeps it)");
    if (x >= 0)
        close(x);
    ok(access(P("ov/m/back"), F_OK) == 0 && access(P("ov/m/.wh.back"), F_OK) != 0,
       "... a file made after its whiteout in the same layer drops the .wh. file");
    umount2(P("ov/m"), MNT_DETACH);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/xb-apply-XXXXXX");
    if (mkdtemp(tmp) == NULL)
        return 1;
    if (geteuid() != 0) {
        printf("1..0 # SKIP needs root (device nodes, owners, trusted xattrs)\n");
        return 0;
    }
    test_ordinary();
    test_whiteouts();
    test_whiteout_forms();
    test_hostile();
    test_gzip_file();
    test_limit();
    xb_error_t e = XB_ERROR_INIT;
    xb_rm_rf(tmp, &e);
    xb_error_clear(&e);
    return tap_done();
}
