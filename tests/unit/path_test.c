/* util/path: the one lexical path cleaner, every policy. The XB_PATH_GO rows are Go's own
 * path.Clean test table (src/path/path_test.go cleantests). */
#include <stdlib.h>
#include <string.h>

#include "util/path.h"
#include "../lib/tap.h"

static void row(xb_path_mode_t mode, const char *in, const char *want, const char *what)
{
    xb_error_t err = XB_ERROR_INIT;
    char *got = xb_path_clean(in, mode, &err);
    if (want == NULL)
        ok(got == NULL && err.msg && strstr(err.msg, in), "%s: '%s' refused (%s)", what, in,
           err.msg ? err.msg : "no message");
    else
        is_str(got, want, "%s: '%s' -> '%s'", what, in, want);
    free(got);
    xb_error_clear(&err);
}

int main(void)
{
    static const char *go[][2] = {
        {"", "."},
        {"abc", "abc"},
        {"abc/def", "abc/def"},
        {"a/b/c", "a/b/c"},
        {".", "."},
        {"..", ".."},
        {"../..", "../.."},
        {"../../abc", "../../abc"},
        {"/abc", "/abc"},
        {"/", "/"},
        {"abc/", "abc"},
        {"abc/def/", "abc/def"},
        {"a/b/c/", "a/b/c"},
        {"./", "."},
        {"../", ".."},
        {"../../", "../.."},
        {"/abc/", "/abc"},
        {"abc//def//ghi", "abc/def/ghi"},
        {"//abc", "/abc"},
        {"///abc", "/abc"},
        {"//abc//", "/abc"},
        {"abc//", "abc"},
        {"abc/./def", "abc/def"},
        {"/./abc/def", "/abc/def"},
        {"abc/.", "abc"},
        {"abc/def/ghi/../jkl", "abc/def/jkl"},
        {"abc/def/../ghi/../jkl", "abc/jkl"},
        {"abc/def/..", "abc"},
        {"abc/def/../..", "."},
        {"/abc/def/../..", "/"},
        {"abc/def/../../..", ".."},
        {"/abc/def/../../..", "/"},
        {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
        {"abc/./../def", "def"},
        {"abc//./../def", "def"},
        {"abc/../../././../def", "../../def"},
    };
    for (size_t i = 0; i < sizeof go / sizeof go[0]; i++)
        row(XB_PATH_GO, go[i][0], go[i][1], "go");

    row(XB_PATH_IN_ROOT, "/a//b/./c/", "a/b/c", "in-root");
    row(XB_PATH_IN_ROOT, "a/b/../../c", "c", "in-root");
    row(XB_PATH_IN_ROOT, "/", "", "in-root: the root itself");
    row(XB_PATH_IN_ROOT, "a/../..", NULL, "in-root");
    row(XB_PATH_IN_ROOT, "../etc/passwd", NULL, "in-root");

    row(XB_PATH_CLAMP, "../../etc/passwd", "etc/passwd", "clamp");
    row(XB_PATH_CLAMP, "/a/../../b", "b", "clamp");
    row(XB_PATH_CLAMP, "a/./b/..", "a", "clamp");
    row(XB_PATH_CLAMP, "..", "", "clamp");

    row(XB_PATH_ENTRY, "./usr/bin/", "usr/bin", "entry");
    row(XB_PATH_ENTRY, "a/../b", NULL, "entry: any '..'");
    row(XB_PATH_ENTRY, "./", NULL, "entry: empty");

    char *big = malloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    xb_error_t err = XB_ERROR_INIT;
    ok(xb_path_clean(big, XB_PATH_IN_ROOT, &err) == NULL && strstr(err.msg, "too long"),
       "a path over PATH_MAX is refused: %s", err.msg ? err.msg : "");
    xb_error_clear(&err);
    char *g = xb_path_clean(big, XB_PATH_GO, &err);
    ok(g && strlen(g) == 4999, "Go mode has no length limit");
    free(g);
    free(big);
    return tap_done();
}
