/* Unit tests of the build executor's pure parts: image path cleaning, the entry list, COPY
 * planning (Docker's source/destination rules) on synthetic trees, symlink resolution inside a
 * root, and /etc/passwd + /etc/group lookups. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/tap.h"
#include "builder/chmod.h"
#include "builder/chown.h"
#include "builder/copy.h"
#include "builder/entries.h"
#include "builder/rootfs.h"
#include "util/error.h"

static void add(xb_centries_t *t, const char *path, mode_t mode, const char *link)
{
    xb_centry_t e = {0};
    e.path = strdup(path);
    e.mode = mode;
    e.uid = 5;
    e.gid = 6;
    e.mtime = 2000;
    if (link)
        e.link = strdup(link);
    if (S_ISREG(mode)) {
        e.data = strdup(path);
        e.len = strlen(path);
    }
    xb_centries_put(t, &e);
}

/* "path:mode-octal:uid:gid" of every planned entry, space separated */
static char *dump(const xb_centries_t *l)
{
    static char buf[4096];
    buf[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        char one[256];
        snprintf(one, sizeof(one), "%s%s:%o:%u:%u", i ? " " : "", l->v[i].path,
                 (unsigned)l->v[i].mode, (unsigned)l->v[i].uid, (unsigned)l->v[i].gid);
        strncat(buf, one, sizeof(buf) - strlen(buf) - 1);
    }
    return buf;
}

static xb_centries_t ctx, img;

static int plan(const char *const *srcs, size_t n, const char *dest, const char *workdir,
                xb_copy_req_t *extra, xb_centries_t *out, xb_error_t *err)
{
    xb_copy_req_t rq;
    if (extra)
        rq = *extra;
    else
        memset(&rq, 0, sizeof(rq));
    rq.instr = "COPY";
    rq.src = &ctx;
    rq.from_context = true;
    rq.srcs = srcs;
    rq.nsrcs = n;
    rq.dest = dest;
    rq.workdir = workdir;
    rq.image = &img;
    rq.dir_mtime = 1;
    rq.clamp_mtime = -1;
    xb_centries_init(out);
    return xb_copy_plan(&rq, out, err);
}

static bool excl_txt(void *ud, const char *rel, bool is_dir)
{
    (void)ud;
    (void)is_dir;
    size_t n = strlen(rel);
    return n > 4 && strcmp(rel + n - 4, ".txt") == 0;
}

static bool excl_a(void *ud, const char *rel, bool is_dir)
{
    (void)ud;
    (void)is_dir;
    return strcmp(rel, "a") == 0;
}

/* a regular file of the context with content in host file src and identity dev:ino */
static void add_linked(xb_centries_t *t, const char *path, dev_t dev, ino_t ino)
{
    xb_centry_t e = {0};
    e.path = strdup(path);
    e.mode = S_IFREG | 0640;
    e.src = strdup("/nonexistent/content");
    e.len = 3;
    e.dev = dev;
    e.ino = ino;
    xb_centries_put(t, &e);
}

/* "path" or "path=>target" (hard link) and mode:uid:gid of every planned regular file */
static char *dump_links(const xb_centries_t *l)
{
    static char buf[4096];
    buf[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        const xb_centry_t *e = &l->v[i];
        if (!S_ISREG(e->mode))
            continue;
        char one[256];
        snprintf(one, sizeof(one), "%s%s%s%s:%o:%u:%u", buf[0] ? " " : "", e->path,
                 e->hardlink ? "=>" : "", e->hardlink ? e->link : "", (unsigned)(e->mode & 07777),
                 (unsigned)e->uid, (unsigned)e->gid);
        strncat(buf, one, sizeof(buf) - strlen(buf) - 1);
    }
    return buf;
}

int main(void)
{
    xb_error_t err = XB_ERROR_INIT;
    char *p;

    /* clean */
    p = xb_clean_image_path("/a/../../b/./c//d/");
    is_str(p, "b/c/d", "clean: .. never escapes, slashes collapse");
    free(p);
    p = xb_clean_image_path("../../..");
    is_str(p, "", "clean: all .. gives the root");
    free(p);
    p = xb_clean_image_path("./x");
    is_str(p, "x", "clean: leading ./");
    free(p);

    /* entries */
    xb_centries_t l;
    xb_centries_init(&l);
    add(&l, "b", S_IFDIR | 0755, NULL);
    add(&l, "b/x", S_IFREG | 0644, NULL);
    add(&l, "a", S_IFREG | 0600, NULL);
    add(&l, "a", S_IFREG | 0640, NULL);
    is_int(l.n, 3, "entries: put replaces the same path");
    is_int(xb_centries_get(&l, "a")->mode & 07777, 0640, "entries: last wins");
    add(&l, "b", S_IFREG | 0644, NULL);
    ok(xb_centries_get(&l, "b/x") == NULL, "entries: a file replacing a dir removes its subtree");
    xb_centries_sort(&l);
    is_str(l.v[0].path, "a", "entries: sorted");
    xb_centries_free(&l);

    /* source tree (context) and image */
    xb_centries_init(&ctx);
    xb_centries_init(&img);
    add(&ctx, "a.txt", S_IFREG | 0644, NULL);
    add(&ctx, "b.txt", S_IFREG | 0600, NULL);
    add(&ctx, "run.sh", S_IFREG | 0755, NULL);
    add(&ctx, "dir", S_IFDIR | 0750, NULL);
    add(&ctx, "dir/sub", S_IFDIR | 0755, NULL);
    add(&ctx, "dir/sub/f.txt", S_IFREG | 0644, NULL);
    add(&ctx, "dir/keep.bin", S_IFREG | 0644, NULL);
    add(&ctx, "dir/ln", S_IFLNK | 0777, "sub/f.txt");
    add(&ctx, "link", S_IFLNK | 0777, "a.txt");
    add(&ctx, "up", S_IFLNK | 0777, "../../../etc");
    add(&img, "usr", S_IFDIR | 0755, NULL);
    add(&img, "usr/bin", S_IFDIR | 0755, NULL);
    add(&img, "bin", S_IFLNK | 0777, "usr/bin");
    add(&img, "tmp", S_IFDIR | 01777, NULL);
    add(&img, "etc", S_IFDIR | 0755, NULL);
    add(&img, "etc/hosts", S_IFREG | 0644, NULL);

    xb_centries_t out;
    const char *s1[] = {"a.txt"};
    ok(plan(s1, 1, "/x/y", "/", NULL, &out, &err) == 0, "file to a file path");
    is_str(dump(&out), "x:40755:0:0 x/y:100644:0:0", "file: dest file, parent created 0755 root");
    xb_centries_free(&out);

    ok(plan(s1, 1, "rel/", "/work", NULL, &out, &err) == 0, "relative dest with trailing /");
    is_str(dump(&out), "work:40755:0:0 work/rel:40755:0:0 work/rel/a.txt:100644:0:0",
           "relative dest joins WORKDIR; trailing / makes a directory");
    xb_centries_free(&out);

    ok(plan(s1, 1, "/tmp", "/", NULL, &out, &err) == 0, "dest is an existing dir of the image");
    is_str(dump(&out), "tmp:41777:5:6 tmp/a.txt:100644:0:0",
           "copied into it, /tmp carried with the image's own metadata");
    xb_centries_free(&out);

    ok(plan(s1, 1, "/bin/", "/", NULL, &out, &err) == 0, "dest through an image symlink");
    is_str(dump(&out), "usr:40755:5:6 usr/bin:40755:5:6 usr/bin/a.txt:100644:0:0",
           "/bin -> usr/bin followed inside the image");
    xb_centries_free(&out);

    const char *s2[] = {"dir"};
    ok(plan(s2, 1, "/d", "/", NULL, &out, &err) == 0, "directory source");
    is_str(dump(&out),
           "d:40755:0:0 d/keep.bin:100644:0:0 d/ln:120777:0:0 d/sub:40755:0:0 "
           "d/sub/f.txt:100644:0:0",
           "contents copied, the new dest made as BuildKit's (0755, not the source dir's 0750), "
           "symlink kept");
    xb_centries_free(&out);

    const char *s3[] = {"*.txt"};
    ok(plan(s3, 1, "/g/", "/", NULL, &out, &err) == 0, "glob");
    is_str(dump(&out), "g:40755:0:0 g/a.txt:100644:0:0 g/b.txt:100600:0:0", "glob matches");
    xb_centries_free(&out);
    /* BuildKit: one wildcard source matching several copies into the destination as a
     * directory (only several source arguments need a "/" destination) */
    ok(plan(s3, 1, "/g", "/", NULL, &out, &err) == 0, "glob with two matches, no slash");
    is_str(dump(&out), "g:40755:0:0 g/a.txt:100644:0:0 g/b.txt:100600:0:0",
           "... copies into the destination as a directory");
    xb_error_clear(&err);
    xb_centries_free(&out);

    const char *s4[] = {"nope"};
    ok(plan(s4, 1, "/x", "/", NULL, &out, &err) < 0 && err.code == XB_ERR_NOT_FOUND,
       "missing source: not found");
    xb_error_clear(&err);
    xb_centries_free(&out);

    const char *s5[] = {"link"};
    ok(plan(s5, 1, "/l/", "/", NULL, &out, &err) == 0, "symlink source");
    is_str(dump(&out), "l:40755:0:0 l/link:100644:0:0",
           "followed, named after the source as written");
    xb_centries_free(&out);

    const char *s6[] = {"up/passwd"};
    ok(plan(s6, 1, "/x", "/", NULL, &out, &err) < 0, "a symlink out of the context stays inside");
    xb_error_clear(&err);
    xb_centries_free(&out);

    const char *s7[] = {"../../run.sh"};
    xb_copy_req_t ex;
    memset(&ex, 0, sizeof(ex));
    ex.chown = true;
    ex.uid = 1000;
    ex.gid = 50;
    ex.chmod = true;
    ex.perm = 0700;
    ok(plan(s7, 1, "/usr/bin/", "/", &ex, &out, &err) == 0, "../ clamped, --chown, --chmod");
    is_str(dump(&out), "usr:40755:5:6 usr/bin:40755:5:6 usr/bin/run.sh:100700:1000:50",
           "owner and mode applied");
    xb_centries_free(&out);
    ok(plan(s7, 1, "/new/sub/", "/", &ex, &out, &err) == 0, "--chown, --chmod, missing parents");
    is_str(dump(&out), "new:40700:1000:50 new/sub:40700:1000:50 new/sub/run.sh:100700:1000:50",
           "created parents take the --chown owner and the numeric --chmod (BuildKit)");
    xb_centries_free(&out);
    ex.chmod = false;
    ex.chmod_sym = "u=rwx";
    ok(plan(s7, 1, "/new/", "/", &ex, &out, &err) == 0, "symbolic --chmod, missing parent");
    is_str(dump(&out), "new:40755:1000:50 new/run.sh:100755:1000:50",
           "a symbolic --chmod leaves created parents 0755");
    xb_centries_free(&out);
    ex.chmod_sym = NULL;

    memset(&ex, 0, sizeof(ex));
    ex.exclude = excl_txt;
    ok(plan(s2, 1, "/e/", "/", &ex, &out, &err) == 0, "--exclude");
    ok(xb_centries_get(&out, "e/sub/f.txt") == NULL && xb_centries_get(&out, "e/keep.bin"),
       "excluded paths dropped, others kept");
    xb_centries_free(&out);

    const char *s8[] = {"dir"};
    ok(plan(s8, 1, "/etc/hosts", "/", NULL, &out, &err) < 0, "directory onto a file is an error");
    xb_error_clear(&err);
    xb_centries_free(&out);

    const char *s9[] = {"a.txt"};
    ok(plan(s9, 1, "/", "/", NULL, &out, &err) == 0, "dest /");
    is_str(dump(&out), "a.txt:100644:0:0", "into the root");
    xb_centries_free(&out);

    /* heredoc/URL style extra files */
    xb_centry_t f = {0};
    f.path = (char *)"EOF";
    f.mode = S_IFREG | 0644;
    f.data = (char *)"hi\n";
    f.len = 3;
    xb_copy_req_t hx;
    memset(&hx, 0, sizeof(hx));
    hx.files = &f;
    hx.nfiles = 1;
    ok(plan(NULL, 0, "/etc/", "/", &hx, &out, &err) == 0, "heredoc source");
    is_str(dump(&out), "etc:40755:5:6 etc/EOF:100644:0:0",
           "named after the delimiter for a dir dest");
    xb_centries_free(&out);

    /* hard links: names of one source inode become a file plus links to the first name */
    add(&ctx, "hl", S_IFDIR | 0755, NULL);
    add_linked(&ctx, "hl/c.txt", 1, 7);
    add_linked(&ctx, "hl/b", 1, 7);
    add_linked(&ctx, "hl/a", 1, 7);
    add_linked(&ctx, "hl/other-dev", 2, 7);
    add_linked(&ctx, "hl/z", 1, 8);
    const char *sh[] = {"hl"};
    ok(plan(sh, 1, "/h/", "/", NULL, &out, &err) == 0, "hard links: plan");
    is_str(dump_links(&out),
           "h/a:640:0:0 h/b=>h/a:640:0:0 h/c.txt=>h/a:640:0:0 h/other-dev:640:0:0 h/z:640:0:0",
           "the first name keeps the content, the others link to it; other inodes stay files");
    xb_centries_free(&out);
    memset(&ex, 0, sizeof(ex));
    ex.exclude = excl_a;
    ex.chown = true;
    ex.uid = 1000;
    ex.gid = 50;
    ex.chmod_sym = "u=rwX,go=";
    ok(plan(sh, 1, "/h/", "/", &ex, &out, &err) == 0,
       "hard links with --exclude, --chown, --chmod");
    is_str(dump_links(&out),
           "h/b:600:1000:50 h/c.txt=>h/b:600:1000:50 h/other-dev:600:1000:50 h/z:600:1000:50",
           "an excluded first name: the next one keeps the content; owner and mode agree");
    xb_centries_free(&out);
    const char *sh2[] = {"hl/c.txt"};
    ok(plan(sh2, 1, "/one", "/", NULL, &out, &err) == 0, "one name of a linked inode");
    is_str(dump_links(&out), "one:640:0:0", "a lone name is a plain file");
    xb_centries_free(&out);

    /* resolve */
    xb_centry_t *e = NULL;
    p = xb_rootfs_resolve(&ctx, "up/x", true, &e);
    is_str(p, "etc/x", "resolve: ../../../etc clamps at the root");
    free(p);
    p = xb_rootfs_resolve(&ctx, "dir/ln", true, &e);
    is_str(p, "dir/sub/f.txt", "resolve: relative symlink");
    ok(e != NULL && S_ISREG(e->mode), "resolve: entry returned");
    free(p);
    p = xb_rootfs_resolve(&ctx, "dir/ln", false, &e);
    is_str(p, "dir/ln", "resolve: last component not followed");
    free(p);

    /* passwd / group */
    const char *pw = "root:x:0:0::/root:/bin/sh\nappuser:x:1000:1001::/home:/bin/sh\nbad:x:zz:1\n";
    const char *gr = "root:x:0:\nstaff:x:50:appuser\n";
    uid_t u = 0;
    gid_t g = 0;
    ok(xb_passwd_lookup(pw, "appuser", &u, &g, &err) == 0 && u == 1000 && g == 1001,
       "passwd lookup");
    ok(xb_passwd_lookup(pw, "app", &u, &g, &err) < 0, "passwd: prefix of a name is no match");
    xb_error_clear(&err);
    ok(xb_passwd_lookup(pw, "bad", &u, &g, &err) < 0, "passwd: non-numeric uid refused");
    xb_error_clear(&err);
    ok(xb_group_lookup(gr, "staff", &g, &err) == 0 && g == 50, "group lookup");
    ok(xb_chown_resolve(NULL, NULL, "12:34", &u, &g, &err) == 0 && u == 12 && g == 34,
       "numeric chown needs no lookup");
    ok(xb_chown_resolve(NULL, NULL, "12", &u, &g, &err) == 0 && u == 12 && g == 12,
       "numeric user alone: gid = uid");
    ok(xb_chown_resolve(NULL, NULL, "someone", &u, &g, &err) < 0, "name without /etc/passwd");
    xb_error_clear(&err);
    ok(xb_chown_resolve_lenient(NULL, NULL, "someone:staff", &u, &g, &err) == 0 && u == 0 && g == 0,
       "lenient (WORKDIR's USER): unknown names are 0, not an error");
    ok(xb_chown_resolve_lenient(NULL, NULL, "7:nogroup", &u, &g, &err) == 0 && u == 7 && g == 7,
       "lenient: an unknown group keeps the user's");

    /* --chmod */
    bool octal = false;
    mode_t perm = 0;
    ok(xb_chmod_parse("0750", &octal, &perm, &err) == 0 && octal && perm == 0750, "chmod octal");
    ok(xb_chmod_parse("u=rwX,go=rX", &octal, &perm, &err) == 0 && !octal, "chmod symbolic");
    ok(xb_chmod_parse("u+q", &octal, &perm, &err) < 0, "chmod: bad permission letter");
    xb_error_clear(&err);
    ok(xb_chmod_parse("z=r", &octal, &perm, &err) < 0, "chmod: bad class");
    xb_error_clear(&err);
    is_int(xb_chmod_apply("u=rwX,go=rX", S_IFDIR | 0700) & 07777, 0755, "u=rwX,go=rX on a dir");
    is_int(xb_chmod_apply("u=rwX,go=rX", S_IFREG | 0600) & 07777, 0644, "... on a plain file");
    is_int(xb_chmod_apply("u=rwX,go=rX", S_IFREG | 0700) & 07777, 0755, "... on an executable");
    is_int(xb_chmod_apply("+x", S_IFREG | 0644) & 07777, 0755, "+x");
    is_int(xb_chmod_apply("g=u", S_IFREG | 0640) & 07777, 0660, "g=u");
    is_int(xb_chmod_apply("go-w", S_IFREG | 0666) & 07777, 0644, "go-w");
    ok(S_ISDIR(xb_chmod_apply("a-x", S_IFDIR | 0755)), "type bits kept");

    xb_centries_free(&ctx);
    xb_centries_free(&img);
    return tap_done();
}
