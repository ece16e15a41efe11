/* .dockerignore matching against Docker's semantics (cases after moby/patternmatcher). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/tap.h"
#include "dockerfile/ignore.h"
#include "util/fs.h"

static xb_ignore_t *load(const char *text)
{
    xb_ignore_t *ig = NULL;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_ignore_parse(text, strlen(text), ".dockerignore", &ig, &err) < 0) {
        printf("# parse error: %s\n", err.msg);
        xb_error_clear(&err);
    }
    return ig;
}

/* One pattern against one path. */
static bool m1(const char *pattern, const char *path)
{
    xb_ignore_t *ig = load(pattern);
    bool r = xb_ignore_match(ig, path);
    xb_ignore_free(ig);
    return r;
}

int main(void)
{
    /* single patterns (Docker's TestMatches table, selected) */
    ok(m1("fileutils.go", "fileutils.go"), "literal");
    ok(!m1("fileutils.go", "fileutils.gox"), "literal is anchored at the end");
    ok(m1("*.go", "fileutils.go"), "*.go");
    ok(!m1("*.go", "dir/fileutils.go"), "* does not cross /");
    ok(m1("**/*.go", "fileutils.go"), "**/*.go at the top");
    ok(m1("**/*.go", "a/b/c/fileutils.go"), "**/*.go deep");
    ok(!m1("**/*.go", "a/b/c/fileutils.gox"), "**/*.go wrong ext");
    ok(m1("**", "anything/at/all"), "** alone");
    ok(m1("a/**", "a/b/c"), "a/** below a");
    ok(!m1("a/**", "ab/c"), "a/** not ab");
    ok(m1("**/foo", "foo"), "**/foo at top");
    ok(m1("**/foo", "x/y/foo"), "**/foo deep");
    ok(!m1("**/foo", "x/barfoo"), "**/foo needs the separator");
    ok(m1("**foo", "x/barfoo"), "**foo is a plain suffix (patternmatcher's suffixMatch)");
    ok(m1("**/*.go", "x.go") && !m1("**/*.go", "x.gox"), "** with wildcards uses the regexp");
    ok(m1("a/**/b", "a/b"), "a/**/b zero dirs");
    ok(m1("a/**/b", "a/x/y/b"), "a/**/b several dirs");
    ok(!m1("a/**/b", "a/x/yb"), "a/**/b needs a separator");
    ok(m1("abc?", "abcd"), "? one char");
    ok(!m1("abc?", "abc"), "? needs a char");
    ok(!m1("a?b", "a/b"), "? not /");
    ok(m1("[a-c]x", "bx"), "[a-c] range");
    ok(!m1("[a-c]x", "dx"), "[a-c] outside");
    ok(m1("[^a-c]x", "dx"), "[^a-c] negation");
    ok(!m1("[^a-c]x", "ax"), "[^a-c] excludes");
    ok(m1("[!a]x", "bx"), "[!a] negation");
    ok(m1("[abc]", "c"), "[abc] set");
    ok(m1("a\\*b", "a*b"), "escaped *");
    ok(!m1("a\\*b", "axb"), "escaped * is literal");
    ok(m1("/foo/bar", "foo/bar"), "leading slash stripped");
    ok(m1("./foo", "foo"), "./ cleaned");
    ok(m1("foo/../bar", "bar"), ".. cleaned");
    ok(m1("foo//bar/", "foo/bar"), "double and trailing slashes cleaned");
    ok(m1("  spaced  ", "spaced"), "whitespace trimmed");
    ok(m1("dir", "dir/sub/file"), "excluded dir excludes its contents");
    ok(m1("dir/*", "dir/sub/file"), "dir/* excludes sub's contents through the parent");
    ok(!m1("dir", "dirx/file"), "dir does not match dirx");
    ok(m1("foo", "./foo"), "path ./ ignored");
    ok(!m1("foo", "."), "context root never excluded");

    /* exceptions and order */
    {
        xb_ignore_t *ig = load("# comment\n\n*.md\n!README.md\n");
        ok(ig != NULL, "parsed");
        is_int(xb_ignore_count(ig), 2, "comment and blank skipped");
        ok(xb_ignore_match(ig, "CHANGES.md"), "*.md excluded");
        ok(!xb_ignore_match(ig, "README.md"), "!README.md re-included");
        ok(!xb_ignore_match(ig, "main.c"), "others kept");
        is_str(xb_ignore_pattern(ig, 1), "!README.md", "pattern text");
        xb_ignore_free(ig);
    }
    {
        xb_ignore_t *ig = load("!README.md\n*.md\n");
        ok(xb_ignore_match(ig, "README.md"), "last match wins (exception first)");
        xb_ignore_free(ig);
    }
    {
        xb_ignore_t *ig = load("docs\n!docs/keep.txt\n");
        ok(xb_ignore_match(ig, "docs"), "dir excluded");
        ok(xb_ignore_match(ig, "docs/a.txt"), "content excluded");
        ok(!xb_ignore_match(ig, "docs/keep.txt"), "exception below excluded dir");
        ok(xb_ignore_may_match_below(ig, "docs"), "walk must descend into docs");
        ok(xb_ignore_has_exceptions(ig), "has exceptions");
        ok(xb_ignore_match_cb(ig, "docs/a.txt", false), "callback form");
        ok(!xb_ignore_may_match_below(ig, "other"), "no need to descend elsewhere");
        xb_ignore_free(ig);
    }
    {
        xb_ignore_t *ig = load("*\n!**/*.c\n");
        ok(xb_ignore_match(ig, "a/b.h"), "everything excluded");
        ok(!xb_ignore_match(ig, "a/b.c"), "**/*.c re-included");
        ok(xb_ignore_may_match_below(ig, "a/deep"), "** exception: descend everywhere");
        xb_ignore_free(ig);
    }
    {
        xb_ignore_t *ig = load("build\n");
        ok(!xb_ignore_may_match_below(ig, "build"), "no exceptions: skip the dir");
        ok(!xb_ignore_has_exceptions(ig), "no exceptions");
        xb_ignore_free(ig);
    }
    {
        xb_ignore_t *ig = load("\xEF\xBB\xBF*.o\r\n  # not a comment?\n");
        ok(xb_ignore_match(ig, "x.o"), "BOM and CRLF handled");
        ok(xb_ignore_match(ig, "# not a comment?"), "# after blanks is a pattern, like Docker");
        xb_ignore_free(ig);
    }

    /* errors */
    {
        xb_ignore_t *ig = NULL;
        xb_error_t err = XB_ERROR_INIT;
        ok(xb_ignore_parse("a\n!\n", 4, "ctx/.dockerignore", &ig, &err) < 0, "! alone fails");
        ok(err.msg && strstr(err.msg, "ctx/.dockerignore:2: illegal exclusion pattern"),
           "error names file:line (%s)", err.msg);
        xb_error_clear(&err);
        ok(xb_ignore_parse("[abc\n", 5, "x", &ig, &err) < 0, "unclosed class fails");
        xb_error_clear(&err);
    }
    ok(!xb_ignore_match(NULL, "a"), "NULL matcher excludes nothing");

    /* loading: context .dockerignore and <Dockerfile>.dockerignore precedence */
    {
        char dir[] = "/tmp/xbign.XXXXXX";
        ok(mkdtemp(dir) != NULL, "temp dir");
        char p1[256], p2[256], df[256];
        snprintf(p1, sizeof(p1), "%s/.dockerignore", dir);
        snprintf(df, sizeof(df), "%s/sub/app.Dockerfile", dir);
        snprintf(p2, sizeof(p2), "%s/sub/app.Dockerfile.dockerignore", dir);
        xb_error_t err = XB_ERROR_INIT;
        xb_ignore_t *ig = NULL;
        ok(xb_ignore_load(dir, NULL, &ig, &err) == 0 && ig && xb_ignore_count(ig) == 0,
           "no file: empty matcher");
        xb_ignore_free(ig);
        xb_write_file_atomic(p1, "*.tmp\n", 6, 0644, &err);
        ok(xb_ignore_load(dir, df, &ig, &err) == 0 && xb_ignore_match(ig, "a.tmp"),
           "context .dockerignore used");
        xb_ignore_free(ig);
        char sub[256];
        snprintf(sub, sizeof(sub), "%s/sub", dir);
        mkdir(sub, 0755);
        xb_write_file_atomic(p2, "*.log\n", 6, 0644, &err);
        ok(xb_ignore_load(dir, df, &ig, &err) == 0 && xb_ignore_match(ig, "a.log") &&
               !xb_ignore_match(ig, "a.tmp"),
           "<Dockerfile>.dockerignore takes precedence");
        xb_ignore_free(ig);
        xb_rm_rf(dir, &err);
        xb_error_clear(&err);
    }
    return tap_done();
}
