/* The Dockerfile reader: physical lines -> logical instructions. Handles the BOM, parser
 * directives, comments, line continuations (with comment/blank lines inside), heredoc bodies,
 * and the size limits. Per-instruction argument parsing is in instr.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile/ast.h"
#include "dockerfile/internal.h"
#include "util/buf.h"
#include "util/fs.h"

#define PERR(...) xb_error_set(err, XB_ERR_PARSE, __VA_ARGS__)
#define OOM()     xb_error_set(err, XB_ERR_INTERNAL, "out of memory")

struct reader {
    const char *p, *end;
    int lineno;
};

/* Next physical line without its "\n" / "\r\n"; false at the end. */
static bool next_line(struct reader *r, const char **s, size_t *len)
{
    if (r->p >= r->end)
        return false;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *e = nl ? nl : r->end;
    *s = r->p;
    *len = (size_t)(e - r->p);
    r->p = nl ? nl + 1 : r->end;
    while (*len > 0 && ((*s)[*len - 1] == '\r' || (*s)[*len - 1] == '\n'))
        (*len)--;
    r->lineno++;
    return true;
}

static void ltrim(const char **s, size_t *len)
{
    while (*len > 0 && (xb_df_is_ws(**s) || **s == '\n')) {
        (*s)++;
        (*len)--;
    }
}

static bool is_comment(const char *s, size_t len)
{
    ltrim(&s, &len);
    return len > 0 && s[0] == '#';
}

struct directives {
    bool done, seen_escape, seen_syntax, seen_check;
    char escape;
    char *syntax;
};

/* "# key = value" at the top of the file (^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$). */
static int directive(struct directives *d, const char *s, size_t len, const char *where,
                     xb_error_t *err)
{
    if (d->done)
        return 0;
    size_t i = 0;
    if (len == 0 || s[0] != '#')
        goto done;
    i = 1;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    size_t ks = i;
    if (i >= len || !isalpha((unsigned char)s[i]))
        goto done;
    while (i < len && isalnum((unsigned char)s[i]))
        i++;
    size_t ke = i;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (i >= len || s[i] != '=')
        goto done;
    i++;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    size_t vs = i, ve = len;
    while (ve > vs && isspace((unsigned char)s[ve - 1]))
        ve--;
    if (ve == vs)
        goto done;
    size_t kl = ke - ks;
    const char *k = s + ks;
    bool *seen;
    if (kl == 6 && strncasecmp(k, "escape", 6) == 0)
        seen = &d->seen_escape;
    else if (kl == 6 && strncasecmp(k, "syntax", 6) == 0)
        seen = &d->seen_syntax;
    else if (kl == 5 && strncasecmp(k, "check", 5) == 0)
        seen = &d->seen_check;
    else
        goto done; /* unknown directive: a comment, and the end of directives */
    if (*seen)
        return PERR("%s: only one %s parser directive can be used", where,
                    seen == &d->seen_escape   ? "escape"
                    : seen == &d->seen_syntax ? "syntax"
                                              : "check");
    *seen = true;
    if (seen == &d->seen_escape) {
        if (ve - vs != 1 || (s[vs] != '\\' && s[vs] != '`'))
            return PERR("%s: invalid escape token '%.*s' does not match ^[\\\\`]$", where,
                        (int)(ve - vs > 32 ? 32 : ve - vs), s + vs);
        d->escape = s[vs];
    } else if (seen == &d->seen_syntax) {
        d->syntax = strndup(s + vs, ve - vs);
        if (d->syntax == NULL)
            return OOM();
    }
    return 0;
done:
    d->done = true;
    return 0;
}

/* Strips a trailing escape char (and blanks after it): true when the line continues. As
 * BuildKit's line continuation rule (`([^E])E[ \t]*$|^E[ \t]*$`), an escape char preceded by
 * another one (`a\\`, even `a\\\`) is no continuation: the line ends there, as written. */
static bool trim_continuation(const char *s, size_t *len, char escape)
{
    size_t l = *len;
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
        l--;
    if (l > 0 && s[l - 1] == escape && (l == 1 || s[l - 2] != escape)) {
        *len = l - 1;
        return true;
    }
    return false;
}

static int read_heredocs(struct reader *rd, xb_df_instr_t *target, const char *line,
                         const char *where, xb_error_t *err)
{
    xb_df_heredoc_t *hs = NULL;
    size_t nh = 0;
    if (xb_df_find_heredocs(line, &hs, &nh, err) < 0)
        return xb_error_wrap(err, "%s", where);
    target->heredocs = hs;
    target->nheredocs = nh;
    for (size_t i = 0; i < nh; i++) {
        xb_df_heredoc_t *h = &hs[i];
        xb_buf_t content = XB_BUF_INIT;
        bool terminated = false;
        const char *s;
        size_t len;
        while (next_line(rd, &s, &len)) {
            if (h->chomp)
                while (len > 0 && *s == '\t') {
                    s++;
                    len--;
                }
            if (len == strlen(h->name) && memcmp(s, h->name, len) == 0) {
                terminated = true;
                break;
            }
            if (xb_buf_append(&content, s, len) < 0 || xb_buf_putc(&content, '\n') < 0) {
                xb_buf_free(&content);
                return OOM();
            }
            if (content.len > XB_DF_MAX_HEREDOC) {
                xb_buf_free(&content);
                return PERR("%s: heredoc %s larger than %u bytes", where, h->name,
                            XB_DF_MAX_HEREDOC);
            }
        }
        h->content = xb_buf_steal(&content);
        if (!terminated)
            return PERR("%s: unterminated heredoc %s", where, h->name);
    }
    return 0;
}

static int check_stages(const xb_dockerfile_t *df, xb_error_t *err)
{
    if (df->ninstrs == 0)
        return PERR("%s:1: file with no instructions", df->path);
    for (size_t i = 0; i < df->ninstrs; i++) {
        const xb_df_instr_t *in = &df->instrs[i];
        if (strcmp(in->keyword, "FROM") == 0)
            return 0;
        if (strcmp(in->keyword, "ARG") != 0)
            return PERR("%s:%d: %s before the first FROM: only ARG may precede FROM", df->path,
                        in->line, in->keyword);
    }
    return PERR("%s:%d: no FROM instruction: dockerfile contains no stages to build", df->path,
                df->instrs[df->ninstrs - 1].line);
}

static int parse_body(xb_dockerfile_t *df, struct reader *rd, struct directives *d, xb_error_t *err)
{
    const char *s;
    size_t len;
    size_t cap = 0;
    xb_buf_t line = XB_BUF_INIT;
    char where[64 + 4096];
    int r = 0;
    while (next_line(rd, &s, &len)) {
        snprintf(where, sizeof(where), "%.4096s:%d", df->path, rd->lineno);
        if (rd->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            len -= 3;
        }
        ltrim(&s, &len);
        if ((r = directive(d, s, len, where, err)) < 0)
            goto out;
        if (is_comment(s, len))
            len = 0;
        int start = rd->lineno;
        bool cont = trim_continuation(s, &len, d->escape);
        if (!cont && len == 0)
            continue;
        xb_buf_reset(&line);
        if (xb_buf_append(&line, s, len) < 0) {
            r = OOM();
            goto out;
        }
        while (cont && next_line(rd, &s, &len)) {
            if (is_comment(s, len))
                continue;
            const char *t = s;
            size_t tl = len;
            ltrim(&t, &tl);
            if (tl == 0)
                continue;
            cont = trim_continuation(s, &len, d->escape);
            if (xb_buf_append(&line, s, len) < 0) {
                r = OOM();
                goto out;
            }
            if (line.len > XB_DF_MAX_LINE) {
                r = PERR("%s: instruction longer than %u bytes", where, XB_DF_MAX_LINE);
                goto out;
            }
        }
        if (line.len > XB_DF_MAX_LINE) {
            r = PERR("%s: instruction longer than %u bytes", where, XB_DF_MAX_LINE);
            goto out;
        }
        if (df->ninstrs >= XB_DF_MAX_INSTRS) {
            r = PERR("%s: more than %d instructions", where, XB_DF_MAX_INSTRS);
            goto out;
        }
        if (df->ninstrs == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            xb_df_instr_t *v = realloc(df->instrs, ncap * sizeof(*v));
            if (v == NULL) {
                r = OOM();
                goto out;
            }
            df->instrs = v;
            cap = ncap;
        }
        xb_df_instr_t *in = &df->instrs[df->ninstrs++];
        memset(in, 0, sizeof(*in));
        if ((r = xb_df_build_instr(line.data, d->escape, df->path, start, false, in, err)) < 0)
            goto out;
        xb_df_instr_t *target = xb_df_heredoc_target(in);
        if (target != NULL && strstr(line.data, "<<") != NULL) {
            snprintf(where, sizeof(where), "%.4096s:%d", df->path, start);
            if ((r = read_heredocs(rd, target, line.data, where, err)) < 0)
                goto out;
        }
        in->end_line = rd->lineno;
        if (in->onbuild)
            in->onbuild->end_line = rd->lineno;
    }
out:
    xb_buf_free(&line);
    return r;
}

int xb_dockerfile_parse(const char *path_for_errors, const char *text, size_t len,
                        xb_dockerfile_t **out, xb_error_t *err)
{
    const char *path = path_for_errors ? path_for_errors : "Dockerfile";
    *out = NULL;
    if (len > XB_DF_MAX_FILE)
        return PERR("%s: larger than %u bytes", path, XB_DF_MAX_FILE);
    if (text == NULL && len > 0)
        return PERR("%s: no text", path);
    if (len > 0 && memchr(text, '\0', len) != NULL) {
        const char *z = memchr(text, '\0', len);
        int ln = 1;
        for (const char *c = text; c < z; c++)
            ln += *c == '\n';
        return PERR("%s:%d: NUL byte in Dockerfile", path, ln);
    }
    xb_dockerfile_t *df = calloc(1, sizeof(*df));
    if (df == NULL)
        return OOM();
    df->path = strdup(path);
    if (df->path == NULL) {
        free(df);
        return OOM();
    }
    struct directives d = {.escape = '\\'};
    struct reader rd = {text ? text : "", (text ? text : "") + len, 0};
    int r = parse_body(df, &rd, &d, err);
    df->escape = d.escape;
    df->syntax = d.syntax;
    if (r >= 0)
        r = check_stages(df, err);
    if (r < 0) {
        xb_dockerfile_free(df);
        return r;
    }
    *out = df;
    return 0;
}

int xb_dockerfile_load(const char *path, xb_dockerfile_t **out, xb_error_t *err)
{
    char *data = NULL;
    size_t len = 0;
    *out = NULL;
    if (xb_read_file(path, XB_DF_MAX_FILE, &data, &len, err) < 0)
        return -err->code;
    int r = xb_dockerfile_parse(path, data, len, out, err);
    free(data);
    return r;
}

void xb_dockerfile_free(xb_dockerfile_t *df)
{
    if (df == NULL)
        return;
    for (size_t i = 0; i < df->ninstrs; i++)
        xb_df_instr_clear(&df->instrs[i]);
    free(df->instrs);
    free(df->path);
    free(df->syntax);
    free(df);
}

int xb_df_parse_trigger(const char *expr, char escape, const char *path, int line,
                        xb_df_instr_t **out, xb_error_t *err)
{
    *out = NULL;
    if (strlen(expr) > XB_DF_MAX_LINE)
        return PERR("%s:%d: ONBUILD trigger longer than %u bytes", path, line, XB_DF_MAX_LINE);
    xb_df_instr_t *in = calloc(1, sizeof(*in));
    if (in == NULL)
        return OOM();
    int r;
    if (strchr(expr, '\n') != NULL) {
        /* a trigger with heredoc bodies (ONBUILD RUN <<EOF ...): parsed as a Dockerfile line
         * with its here-documents, behind the escape directive of the Dockerfile */
        char *text = NULL;
        xb_dockerfile_t *df = NULL;
        int n = asprintf(&text, "# escape=%c\nFROM scratch\n%s\n", escape, expr);
        if (n < 0) {
            free(in);
            return OOM();
        }
        r = xb_dockerfile_parse(path, text, (size_t)n, &df, err);
        free(text);
        if (r >= 0 && df->ninstrs != 2)
            r = PERR("%s:%d: ONBUILD trigger is not one instruction", path, line);
        if (r >= 0) {
            *in = df->instrs[1];
            memset(&df->instrs[1], 0, sizeof(df->instrs[1]));
            in->line = line;
        }
        xb_dockerfile_free(df);
    } else {
        r = xb_df_build_instr(expr, escape, path, line, true, in, err);
    }
    if (r >= 0 && (strcmp(in->keyword, "FROM") == 0 || strcmp(in->keyword, "MAINTAINER") == 0))
        r = PERR("%s:%d: %s isn't allowed as an ONBUILD trigger", path, line, in->keyword);
    if (r < 0) {
        xb_df_instr_free(in);
        return r;
    }
    *out = in;
    return 0;
}

void xb_df_instr_free(xb_df_instr_t *in)
{
    if (in == NULL)
        return;
    xb_df_instr_clear(in);
    free(in);
}

const char *xb_df_flag_get(const xb_df_instr_t *in, const char *name)
{
    for (size_t i = in->nflags; i-- > 0;)
        if (strcmp(in->flags[i].name, name) == 0)
            return in->flags[i].value;
    return NULL;
}

bool xb_df_flag_has(const xb_df_instr_t *in, const char *name)
{
    for (size_t i = 0; i < in->nflags; i++)
        if (strcmp(in->flags[i].name, name) == 0)
            return true;
    return false;
}

bool xb_df_flag_bool(const xb_df_instr_t *in, const char *name, bool dflt)
{
    if (!xb_df_flag_has(in, name))
        return dflt;
    const char *v = xb_df_flag_get(in, name);
    return v == NULL || strcasecmp(v, "true") == 0;
}

size_t xb_df_flag_all(const xb_df_instr_t *in, const char *name, const char **vals, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < in->nflags; i++)
        if (strcmp(in->flags[i].name, name) == 0) {
            if (vals != NULL && n < max)
                vals[n] = in->flags[i].value;
            n++;
        }
    return n;
}

const xb_df_heredoc_t *xb_df_heredoc_for_arg(const xb_df_instr_t *in, const char *arg)
{
    xb_df_heredoc_t h;
    if (!xb_df_parse_heredoc_word(arg, &h))
        return NULL;
    const xb_df_heredoc_t *found = NULL;
    for (size_t i = 0; h.name && i < in->nheredocs; i++)
        if (strcmp(in->heredocs[i].name, h.name) == 0) {
            found = &in->heredocs[i];
            break;
        }
    free(h.name);
    return found;
}

int xb_df_heredoc_script(const xb_df_instr_t *in, char **out, xb_error_t *err)
{
    xb_buf_t b = XB_BUF_INIT;
    int r = xb_buf_puts(&b, in->raw ? in->raw : "");
    for (size_t i = 0; r == 0 && i < in->nheredocs; i++) {
        r |= xb_buf_putc(&b, '\n');
        r |= xb_buf_puts(&b, in->heredocs[i].content ? in->heredocs[i].content : "");
        r |= xb_buf_puts(&b, in->heredocs[i].name);
    }
    if (r != 0) {
        xb_buf_free(&b);
        *out = NULL;
        return OOM();
    }
    *out = xb_buf_steal(&b);
    return 0;
}
