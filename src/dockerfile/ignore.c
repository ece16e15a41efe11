/* .dockerignore parsing and matching (see ignore.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/ignore.h"
#include "util/path.h"
#include "util/buf.h"
#include "util/fs.h"

struct pat {
    char *text; /* cleaned, without '!' */
    char *shown;
    bool exclusion;
    bool suffix; /* "**" + literal: Docker matches it as a plain suffix (see pat_match) */
};

struct xb_ignore {
    struct pat *p;
    size_t n;
};

#define MATCH_BUDGET 100000 /* backtracking steps per match call */

/* Go's path.Clean (as BuildKit cleans patterns and paths). Caller frees. */
static char *clean_path(const char *in)
{
    return xb_path_clean(in, XB_PATH_GO, NULL);
}

/* Character class at p (just after '['): sets *end after ']'; -1 when malformed. */
static int class_match(const char *p, char c, const char **end)
{
    bool neg = false, hit = false;
    if (*p == '^' || *p == '!') {
        neg = true;
        p++;
    }
    bool first = true;
    while (*p && (*p != ']' || first)) {
        first = false;
        char lo = *p;
        if (lo == '\\' && p[1])
            lo = *++p;
        p++;
        char hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            p++;
            hi = *p;
            if (hi == '\\' && p[1])
                hi = *++p;
            p++;
        }
        if (lo <= c && c <= hi)
            hit = true;
    }
    if (*p != ']')
        return -1;
    *end = p + 1;
    return (hit != neg) && c != '/';
}

static bool match_at(const char *p, const char *s, long *budget)
{
    while (*p) {
        if (--*budget < 0)
            return false;
        if (p[0] == '*' && p[1] == '*') {
            const char *q = p + 2;
            if (*q == '/')
                q++;
            if (*q == '\0')
                return true;
            if (match_at(q, s, budget))
                return true;
            for (const char *t = s; *t; t++)
                if (*t == '/' && match_at(q, t + 1, budget))
                    return true;
            return false;
        }
        if (*p == '*') {
            for (const char *t = s;; t++) {
                if (match_at(p + 1, t, budget))
                    return true;
                if (*t == '\0' || *t == '/')
                    return false;
            }
        }
        if (*s == '\0')
            return false;
        if (*p == '?') {
            if (*s == '/')
                return false;
        } else if (*p == '[') {
            const char *end;
            int m = class_match(p + 1, *s, &end);
            if (m <= 0)
                return false;
            p = end;
            s++;
            continue;
        } else if (*p == '\\' && p[1]) {
            p++;
            if (*p != *s)
                return false;
        } else if (*p != *s) {
            return false;
        }
        p++;
        s++;
    }
    return *s == '\0';
}

static bool pat_match(const struct pat *pt, const char *path)
{
    if (pt->suffix) {
        /* patternmatcher's suffixMatch: "**foo" matches any path ending in "foo" (even
         * "barfoo"), and "**\/foo" also matches "foo" itself. */
        const char *suf = pt->text + 2;
        size_t sl = strlen(suf), pl = strlen(path);
        if (pl >= sl && strcmp(path + pl - sl, suf) == 0)
            return true;
        return suf[0] == '/' && strcmp(path, suf + 1) == 0;
    }
    long budget = MATCH_BUDGET;
    return match_at(pt->text, path, &budget);
}

/* Validation like filepath.Match(p, "."): unclosed classes are errors. */
static bool pattern_ok(const char *p)
{
    for (; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == '[') {
            const char *end;
            if (class_match(p + 1, 'a', &end) < 0)
                return false;
            p = end - 1;
        }
    }
    return true;
}

static int add_pattern(xb_ignore_t *ig, const char *line, size_t len, const char *what, int lineno,
                       xb_error_t *err)
{
    while (len > 0 &&
           (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\v' || *line == '\f')) {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r' ||
                       line[len - 1] == '\v' || line[len - 1] == '\f'))
        len--;
    if (len == 0)
        return 0;
    bool invert = line[0] == '!';
    if (invert) {
        line++;
        len--;
        while (len > 0 && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
    }
    if (len == 0)
        return xb_error_set(err, XB_ERR_PARSE, "%s:%d: illegal exclusion pattern: \"!\"", what,
                            lineno);
    if (ig->n >= XB_IGNORE_MAX_PATTERNS)
        return xb_error_set(err, XB_ERR_PARSE, "%s: more than %d patterns", what,
                            XB_IGNORE_MAX_PATTERNS);
    char *raw = strndup(line, len);
    char *c = raw ? clean_path(raw) : NULL;
    free(raw);
    if (c == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (c[0] == '/' && c[1] != '\0')
        memmove(c, c + 1, strlen(c));
    if (!pattern_ok(c)) {
        int r = xb_error_set(err, XB_ERR_PARSE, "%s:%d: syntax error in pattern \"%s\"", what,
                             lineno, c);
        free(c);
        return r;
    }
    struct pat *np = realloc(ig->p, (ig->n + 1) * sizeof(*np));
    if (np == NULL) {
        free(c);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    ig->p = np;
    struct pat *pt = &ig->p[ig->n];
    pt->text = c;
    pt->exclusion = invert;
    pt->suffix =
        c[0] == '*' && c[1] == '*' && c[2] != '\0' && strcspn(c + 2, "*?[\\") == strlen(c + 2);
    if (asprintf(&pt->shown, "%s%s", invert ? "!" : "", c) < 0) {
        free(c);
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    ig->n++;
    return 0;
}

int xb_ignore_parse(const char *text, size_t len, const char *what, xb_ignore_t **out,
                    xb_error_t *err)
{
    *out = NULL;
    if (len > XB_IGNORE_MAX_FILE)
        return xb_error_set(err, XB_ERR_PARSE, "%s: larger than %u bytes", what,
                            XB_IGNORE_MAX_FILE);
    xb_ignore_t *ig = calloc(1, sizeof(*ig));
    if (ig == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    const char *p = text, *end = text + len;
    int lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        lineno++;
        const char *s = p;
        if (lineno == 1 && e - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;
        if (s < e && *s != '#' && memchr(s, '\0', (size_t)(e - s)) == NULL) {
            int r = add_pattern(ig, s, (size_t)(e - s), what, lineno, err);
            if (r < 0) {
                xb_ignore_free(ig);
                return r;
            }
        }
        p = nl ? nl + 1 : end;
    }
    *out = ig;
    return 0;
}

int xb_ignore_load(const char *context_dir, const char *dockerfile, xb_ignore_t **out,
                   xb_error_t *err)
{
    char *path = NULL;
    *out = NULL;
    if (dockerfile != NULL) {
        if (asprintf(&path, "%s.dockerignore", dockerfile) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (!xb_path_exists(path)) {
            free(path);
            path = NULL;
        }
    }
    if (path == NULL) {
        path = xb_path_join(context_dir, ".dockerignore");
        if (path == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (!xb_path_exists(path)) {
            free(path);
            return xb_ignore_parse("", 0, ".dockerignore", out, err);
        }
    }
    char *data = NULL;
    size_t len = 0;
    int r = xb_read_file(path, XB_IGNORE_MAX_FILE, &data, &len, err);
    if (r >= 0)
        r = xb_ignore_parse(data, len, path, out, err);
    free(data);
    free(path);
    return r;
}

void xb_ignore_free(xb_ignore_t *ig)
{
    if (ig == NULL)
        return;
    for (size_t i = 0; i < ig->n; i++) {
        free(ig->p[i].text);
        free(ig->p[i].shown);
    }
    free(ig->p);
    free(ig);
}

bool xb_ignore_match(const xb_ignore_t *ig, const char *relpath)
{
    if (ig == NULL || ig->n == 0)
        return false;
    char *path = clean_path(relpath);
    if (path == NULL)
        return false;
    const char *f = path[0] == '/' ? path + 1 : path;
    if (*f == '\0' || strcmp(f, ".") == 0) {
        free(path);
        return false; /* the context root itself is never excluded */
    }
    bool matched = false;
    char *parent = strdup(f);
    for (size_t i = 0; parent && i < ig->n; i++) {
        const struct pat *pt = &ig->p[i];
        if (pt->exclusion != matched)
            continue;
        bool m = pat_match(pt, f);
        /* parent directories: "a", "a/b", ... of "a/b/c" */
        for (char *sl = strchr(parent, '/'); !m && sl; sl = strchr(sl + 1, '/')) {
            *sl = '\0';
            m = pat_match(pt, parent);
            *sl = '/';
        }
        if (m)
            matched = !pt->exclusion;
    }
    free(parent);
    free(path);
    return matched;
}

bool xb_ignore_may_match_below(const xb_ignore_t *ig, const char *reldir)
{
    if (ig == NULL)
        return false;
    char *dir = clean_path(reldir);
    if (dir == NULL)
        return true;
    const char *d = dir[0] == '/' ? dir + 1 : dir;
    size_t dl = strcmp(d, ".") == 0 ? 0 : strlen(d);
    bool may = false;
    for (size_t i = 0; !may && i < ig->n; i++) {
        if (!ig->p[i].exclusion)
            continue;
        const char *t = ig->p[i].text;
        size_t lit = strcspn(t, "*?[\\");
        /* compare the literal prefix with "dir/" */
        size_t k = 0;
        bool same = true;
        while (k < lit && k <= dl) {
            char dc = k < dl ? d[k] : '/';
            if (dl == 0)
                break;
            if (t[k] != dc) {
                same = false;
                break;
            }
            k++;
        }
        may = same;
    }
    free(dir);
    return may;
}

size_t xb_ignore_count(const xb_ignore_t *ig)
{
    return ig ? ig->n : 0;
}

const char *xb_ignore_pattern(const xb_ignore_t *ig, size_t i)
{
    return ig && i < ig->n ? ig->p[i].shown : NULL;
}

bool xb_ignore_match_cb(void *ud, const char *relpath, bool is_dir)
{
    (void)is_dir;
    return xb_ignore_match((const xb_ignore_t *)ud, relpath);
}

bool xb_ignore_has_exceptions(const xb_ignore_t *ig)
{
    for (size_t i = 0; ig != NULL && i < ig->n; i++)
        if (ig->p[i].exclusion)
            return true;
    return false;
}
