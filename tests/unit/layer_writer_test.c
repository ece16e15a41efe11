/* Unit tests of src/layer/writer: reproducible blobs, tar contents read back with libarchive,
 * gzip/zstd validity checked with the gzip/zstd tools, diffID = sha256 of the tar. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "../lib/tap.h"
#include "layer/writer.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CLAMP 1000000

static char tmpdir[256];

static void write_file(const char *rel, const char *content, mode_t mode, time_t mtime)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/src/%s", tmpdir, rel);
    FILE *f = fopen(p, "w");
    fputs(content, f);
    fclose(f);
    chmod(p, mode);
    struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
    utimes(p, tv);
}

static void make_tree(void)
{
    char p[512], q[512];
    snprintf(p, sizeof(p), "%s/src/d/sub", tmpdir);
    xb_mkdir_p(p, 0755, NULL);
    write_file("b.txt", "bee\n", 0644, 500);
    write_file("d/file", "hello world\n", 0640, 2000000000);
    write_file("d/suid", "x", 04755, 500);
    write_file("a-first", "a", 0600, 500);
    snprintf(p, sizeof(p), "%s/src/d/file", tmpdir);
    if (chown(p, 1000, 1001) < 0)
        perror("chown");
    snprintf(q, sizeof(q), "%s/src/d/sub/hard", tmpdir);
    if (link(p, q) < 0)
        perror("link");
    snprintf(q, sizeof(q), "%s/src/d/link", tmpdir);
    if (symlink("file", q) < 0)
        perror("symlink");
    snprintf(q, sizeof(q), "%s/src/d/fifo", tmpdir);
    mkfifo(q, 0600);
    snprintf(q, sizeof(q), "%s/src/d/sub", tmpdir);
    chmod(q, 01777);
    snprintf(q, sizeof(q), "%s/src/skipme", tmpdir);
    mkdir(q, 0755);
}

static bool filter(const char *rel, bool is_dir, void *ud)
{
    (void)ud;
    return !(is_dir && strcmp(rel, "skipme") == 0);
}

static int build(xb_store_t *s, xb_compression_t c, int threads, xb_layer_result_t *res)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_layer_opts_t o = XB_LAYER_OPTS_INIT;
    o.compression = c;
    o.threads = threads;
    o.clamp_mtime = CLAMP;
    xb_layer_writer_t *w = NULL;
    int r = xb_layer_writer_new(s, &o, &w, &err);
    char src[300];
    snprintf(src, sizeof(src), "%s/src", tmpdir);
    xb_tree_opts_t to = XB_TREE_OPTS_INIT;
    to.filter = filter;
    to.include_root = true;
    if (r >= 0)
        r = xb_layer_writer_add_tree(w, src, "/app/", &to, &err);
    if (r >= 0)
        r = xb_layer_writer_add_data(w, "etc/generated", "data\n", 5, 0755, 0, 0, 3000000000LL,
                                     &err);
    static const unsigned char cap[] = {1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    xb_xattr_t xa[] = {{"security.capability", cap, sizeof(cap)}, {NULL, NULL, 0}};
    struct stat st;
    memset(&st, 0, sizeof(st));
    st.st_mode = S_IFREG | 0755;
    st.st_mtime = 10;
    if (r >= 0)
        r = xb_layer_writer_add(w, "./usr/bin/ping", &st, -1, NULL, NULL, xa, &err);
    if (r >= 0)
        r = xb_layer_writer_add_whiteout(w, "/old/gone", 0, &err);
    if (r >= 0)
        r = xb_layer_writer_add_opaque(w, "opq", 0, &err);
    if (r >= 0)
        r = xb_layer_writer_finish(w, res, &err);
    if (r < 0)
        printf("#   error: %s\n", err.msg);
    xb_layer_writer_free(w);
    xb_error_clear(&err);
    return r;
}

/* runs "<pre>'<arg>'<post>" and returns "sha256:" + the first word of its output */
static char *cmd_out(const char *pre, const char *arg, const char *post)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s'%s'%s", pre, arg, post);
    FILE *f = popen(cmd, "r");
    char buf[256] = "";
    if (f == NULL)
        return NULL;
    if (fgets(buf, sizeof(buf), f) == NULL)
        buf[0] = '\0';
    pclose(f);
    buf[strcspn(buf, " \n")] = '\0';
    xb_buf_t b = XB_BUF_INIT;
    xb_buf_printf(&b, "sha256:%s", buf);
    return xb_buf_steal(&b);
}

struct seen {
    char name[64];
    mode_t mode;
    int64_t uid, gid, mtime, size;
    char link[64], hard[64];
    int nxattr;
};

static int read_back(const char *path, struct seen *out, int max)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    int n = 0;
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        printf("# open: %s\n", archive_error_string(a));
        archive_read_free(a);
        return -1;
    }
    struct archive_entry *e;
    while (n < max && archive_read_next_header(a, &e) == ARCHIVE_OK) {
        struct seen *s = &out[n++];
        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", archive_entry_pathname(e));
        s->mode = archive_entry_mode(e);
        s->uid = archive_entry_uid(e);
        s->gid = archive_entry_gid(e);
        s->mtime = archive_entry_mtime(e);
        s->size = archive_entry_size(e);
        if (archive_entry_symlink(e))
            snprintf(s->link, sizeof(s->link), "%s", archive_entry_symlink(e));
        if (archive_entry_hardlink(e))
            snprintf(s->hard, sizeof(s->hard), "%s", archive_entry_hardlink(e));
        s->nxattr = archive_entry_xattr_count(e);
        if (archive_entry_uname(e) != NULL && *archive_entry_uname(e))
            printf("# unexpected uname on %s\n", s->name), s->nxattr = -100;
    }
    archive_read_free(a);
    return n;
}

static struct seen *find(struct seen *s, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return &s[i];
    return NULL;
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/xb-layer-test-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    make_tree();
    char root[300];
    snprintf(root, sizeof(root), "%s/store", tmpdir);
    xb_store_t *s = NULL;
    xb_error_t err = XB_ERROR_INIT;
    ok(xb_store_open(root, &s, &err) == 0, "store open");

    xb_layer_result_t r1, r2;
    ok(build(s, XB_COMPRESSION_GZIP, 0, &r1) == 0, "gzip layer built");
    /* touch atimes/ctimes: must not change anything */
    sleep(1);
    write_file("b.txt", "bee\n", 0644, 500);
    ok(build(s, XB_COMPRESSION_GZIP, 1, &r2) == 0, "gzip layer built again");
    is_str(r1.digest, r2.digest, "gzip blob reproducible");
    is_str(r1.diff_id, r2.diff_id, "diff_id reproducible");
    is_str(r1.media_type, "application/vnd.oci.image.layer.v1.tar+gzip", "gzip media type");
    ok(strcmp(r1.diff_id, r1.digest) != 0, "diff_id differs from digest");

    cleanup_free char *blob = xb_store_blob_path(s, r1.digest);
    struct stat st;
    ok(stat(blob, &st) == 0 && st.st_size == r1.size, "blob stored with the reported size");
    char d[XB_DIGEST_LEN];
    ok(xb_digest_file(blob, d, NULL) == 0 && strcmp(d, r1.digest) == 0, "blob digest matches");
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "gzip -t '%s'", blob);
    is_int(system(cmd), 0, "gzip -t accepts the blob");
    cleanup_free char *zdiff = cmd_out("zcat ", blob, " | sha256sum");
    is_str(zdiff, r1.diff_id, "diff_id = sha256(zcat blob)");
    cleanup_free char *tarsz = cmd_out("zcat ", blob, " | wc -c");
    ok(tarsz && atoll(tarsz + 7) == r1.tar_size, "tar_size = uncompressed size");
    /* gzip header: mtime 0, no name flag, OS 255 */
    {
        unsigned char h[10] = {0};
        FILE *f = fopen(blob, "rb");
        size_t n = f ? fread(h, 1, 10, f) : 0;
        if (f)
            fclose(f);
        ok(n == 10 && h[0] == 0x1f && h[1] == 0x8b && h[3] == 0 && h[4] == 0 && h[5] == 0 &&
               h[6] == 0 && h[7] == 0 && h[9] == 255,
           "gzip header: no flags, mtime 0, OS 255");
    }

    struct seen e[64];
    int n = read_back(blob, e, 64);
    is_int(n, 14, "entry count");
    const char *order[] = {"app/",           "app/a-first",     "app/b.txt",     "app/d/",
                           "app/d/fifo",     "app/d/file",      "app/d/link",    "app/d/sub/",
                           "app/d/sub/hard", "app/d/suid",      "etc/generated", "usr/bin/ping",
                           "old/.wh.gone",   "opq/.wh..wh..opq"};
    int ordered = 1;
    for (int i = 0; i < 14 && i < n; i++)
        if (strcmp(e[i].name, order[i]) != 0) {
            printf("#   entry %d: %s, want %s\n", i, e[i].name, order[i]);
            ordered = 0;
        }
    ok(ordered, "entries in sorted walk order, skipme filtered");
    ok(find(e, n, "app/skipme/") == NULL, "filtered dir absent");
    struct seen *x;
    x = find(e, n, "app/d/file");
    ok(x && x->uid == 1000 && x->gid == 1001, "owner kept");
    ok(x && (x->mode & 07777) == 0640 && S_ISREG(x->mode), "mode kept");
    ok(x && x->mtime == CLAMP, "future mtime clamped");
    ok(x && x->size == 12, "size");
    x = find(e, n, "app/b.txt");
    ok(x && x->mtime == 500, "older mtime kept");
    x = find(e, n, "app/d/suid");
    ok(x && (x->mode & 07777) == 04755, "setuid kept");
    x = find(e, n, "app/d/sub/");
    ok(x && S_ISDIR(x->mode) && (x->mode & 07777) == 01777, "sticky dir");
    x = find(e, n, "app/d/link");
    ok(x && S_ISLNK(x->mode) && strcmp(x->link, "file") == 0, "symlink");
    x = find(e, n, "app/d/sub/hard");
    ok(x && strcmp(x->hard, "app/d/file") == 0, "hardlink to first path");
    x = find(e, n, "app/d/fifo");
    ok(x && S_ISFIFO(x->mode), "fifo");
    x = find(e, n, "etc/generated");
    ok(x && x->mtime == CLAMP && (x->mode & 07777) == 0755 && x->size == 5, "generated data");
    x = find(e, n, "usr/bin/ping");
    ok(x && x->nxattr == 1, "xattr written");
    x = find(e, n, "old/.wh.gone");
    ok(x && x->size == 0 && S_ISREG(x->mode), "whiteout");
    int noname = 1;
    for (int i = 0; i < n; i++)
        if (e[i].nxattr < 0)
            noname = 0;
    ok(noname, "no uname/gname");

    /* zstd */
    xb_layer_result_t z1, z2;
    ok(build(s, XB_COMPRESSION_ZSTD, 1, &z1) == 0, "zstd layer (1 thread)");
    ok(build(s, XB_COMPRESSION_ZSTD, 2, &z2) == 0, "zstd layer (2 threads)");
    is_str(z1.digest, z2.digest, "zstd output independent of threads");
    is_str(z1.diff_id, r1.diff_id, "same tar whatever the compression");
    is_str(z1.media_type, "application/vnd.oci.image.layer.v1.tar+zstd", "zstd media type");
    cleanup_free char *zblob = xb_store_blob_path(s, z1.digest);
    snprintf(cmd, sizeof(cmd), "zstd -q -t '%s'", zblob);
    is_int(system(cmd), 0, "zstd -t accepts the blob");
    cleanup_free char *zsdiff = cmd_out("zstd -q -dc ", zblob, " | sha256sum");
    is_str(zsdiff, z1.diff_id, "diff_id = sha256(zstd -dc blob)");

    /* none */
    xb_layer_result_t u;
    ok(build(s, XB_COMPRESSION_NONE, 0, &u) == 0, "uncompressed layer");
    is_str(u.digest, u.diff_id, "uncompressed: digest = diff_id");
    is_int(u.size, u.tar_size, "uncompressed size");
    ok(u.tar_size % 512 == 0, "tar is a multiple of 512 bytes");

    /* errors */
    {
        xb_layer_writer_t *w = NULL;
        ok(xb_layer_writer_new(s, NULL, &w, &err) == 0, "writer with default opts");
        ok(xb_layer_writer_add_data(w, "a/../../etc/x", "", 0, 0644, 0, 0, 0, &err) < 0,
           "'..' refused");
        ok(err.msg && strstr(err.msg, "..") != NULL, "error names the problem: %s", err.msg);
        xb_error_clear(&err);
        ok(xb_layer_writer_add_data(w, "/", "", 0, 0644, 0, 0, 0, &err) < 0, "empty path refused");
        xb_error_clear(&err);
        /* a short file */
        char p[400];
        snprintf(p, sizeof(p), "%s/src/b.txt", tmpdir);
        int fd = open(p, O_RDONLY);
        struct stat fst;
        fstat(fd, &fst);
        fst.st_size = 100;
        ok(xb_layer_writer_add(w, "short", &fst, fd, NULL, NULL, NULL, &err) < 0,
           "file shorter than st_size refused");
        close(fd);
        xb_error_clear(&err);
        xb_layer_result_t rr;
        ok(xb_layer_writer_finish(w, &rr, &err) < 0, "finish after failure refused");
        xb_error_clear(&err);
        xb_layer_writer_free(w); /* aborts the blob */
        xb_compression_t c;
        ok(xb_compression_parse("zstd", &c, NULL) == 0 && c == XB_COMPRESSION_ZSTD, "parse zstd");
        ok(xb_compression_parse("lz4", &c, &err) < 0, "parse lz4 refused");
        xb_error_clear(&err);
        xb_layer_opts_t o = XB_LAYER_OPTS_INIT;
        o.level = 42;
        ok(xb_layer_writer_new(s, &o, &w, &err) < 0, "gzip level 42 refused");
        xb_error_clear(&err);
    }
    xb_store_close(s);
    char rm[400];
    snprintf(rm, sizeof(rm), "rm -rf '%s'", tmpdir);
    ok(system(rm) == 0, "cleanup");
    return tap_done();
}
