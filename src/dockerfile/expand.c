/* Variable expansion with quote removal, after BuildKit's shell.Lex (see expand.h). */
#include <ctype.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/expand.h"
#include "dockerfile/internal.h"
#include "util/buf.h"

#define LEX_EOF           (-1)
#define MAX_OUT           (16u * 1024 * 1024) /* bound on one expansion result */
#define MAX_PATTERN_VALUE 1024u /* ${V#p} ${V/p/r}: quadratic+ work, keep inputs small */
#define MAX_PATTERN       256u

struct words {
    xb_strv_t v;
    xb_buf_t cur;
    bool in_word;
};

struct lex {
    const char *s;
    size_t pos, len;
    char esc;
    xb_df_lookup_fn lookup;
    void *ud;
    xb_error_t *err;
    int depth;
};

static int peek(const struct lex *l)
{
    return l->pos < l->len ? (unsigned char)l->s[l->pos] : LEX_EOF;
}

static int next(struct lex *l)
{
    return l->pos < l->len ? (unsigned char)l->s[l->pos++] : LEX_EOF;
}

static bool is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int oom(struct lex *l)
{
    return xb_error_set(l->err, XB_ERR_INTERNAL, "out of memory");
}

/* The words of ProcessWords: "raw" text never splits, plain text splits on whitespace. */
static int w_end(struct words *w)
{
    if (w == NULL || !w->in_word)
        return 0;
    w->in_word = false;
    if (w->cur.len == 0)
        return 0;
    int r = xb_strv_pushn(&w->v, w->cur.data, w->cur.len);
    xb_buf_reset(&w->cur);
    return r;
}

static int w_char(struct words *w, char c, bool raw)
{
    if (w == NULL)
        return 0;
    if (!raw && is_ws((unsigned char)c))
        return w_end(w);
    w->in_word = true;
    return xb_buf_putc(&w->cur, c);
}

static int w_str(struct words *w, const char *s, size_t n, bool raw)
{
    if (w == NULL)
        return 0;
    if (raw) {
        w->in_word = true;
        return xb_buf_append(&w->cur, s, n);
    }
    for (size_t i = 0; i < n; i++)
        if (w_char(w, s[i], false) < 0)
            return -1;
    return 0;
}

static int stop_on(struct lex *l, int stop, bool raw_escapes, xb_buf_t *res, struct words *w);
static int dollar(struct lex *l, xb_buf_t *res);

static int single_quote(struct lex *l, xb_buf_t *res)
{
    next(l);
    for (;;) {
        int c = next(l);
        if (c == LEX_EOF)
            return xb_error_set(l->err, XB_ERR_PARSE,
                                "unexpected end of statement while looking for matching "
                                "single-quote");
        if (c == '\'')
            return 0;
        if (xb_buf_putc(res, (char)c) < 0)
            return oom(l);
    }
}

static int double_quote(struct lex *l, xb_buf_t *res)
{
    next(l);
    for (;;) {
        int c = peek(l);
        if (c == LEX_EOF)
            return xb_error_set(l->err, XB_ERR_PARSE,
                                "unexpected end of statement while looking for matching "
                                "double-quote");
        if (c == '"') {
            next(l);
            return 0;
        }
        if (c == '$') {
            int r = dollar(l, res);
            if (r < 0)
                return r;
            continue;
        }
        c = next(l);
        if (c == l->esc) {
            int p = peek(l);
            if (p == LEX_EOF)
                continue;
            if (p == '"' || p == '$' || p == l->esc)
                c = next(l);
        }
        if (xb_buf_putc(res, (char)c) < 0)
            return oom(l);
    }
}

static bool is_special_param(int c)
{
    return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
           c == '0';
}

static int read_name(struct lex *l, xb_buf_t *name)
{
    int c = peek(l);
    if (c != LEX_EOF && isdigit(c)) {
        while (peek(l) != LEX_EOF && isdigit(peek(l)))
            if (xb_buf_putc(name, (char)next(l)) < 0)
                return -1;
        return 0;
    }
    if (c != LEX_EOF && is_special_param(c))
        return xb_buf_putc(name, (char)next(l));
    while ((c = peek(l)) != LEX_EOF && (isalnum(c) || c == '_'))
        if (xb_buf_putc(name, (char)next(l)) < 0)
            return -1;
    return 0;
}

static const char *get(struct lex *l, const char *name)
{
    return l->lookup ? l->lookup(name, l->ud) : NULL;
}

static int missing_brace(struct lex *l)
{
    return xb_error_set(l->err, XB_ERR_PARSE, "syntax error: missing '}'");
}

/* ${V#p} ${V##p} ${V%p} ${V%%p} on val into res. */
static int trim_pattern(struct lex *l, const char *val, int op, bool longest, const char *pat,
                        xb_buf_t *res)
{
    size_t n = strlen(val);
    char *tmp = strdup(val);
    if (tmp == NULL)
        return oom(l);
    size_t keep_from = 0, keep_to = n;
    for (size_t k = 0; k <= n; k++) {
        size_t i = op == '#' ? (longest ? n - k : k) : (longest ? k : n - k);
        bool m;
        if (op == '#') {
            char save = tmp[i];
            tmp[i] = '\0';
            m = fnmatch(pat, tmp, 0) == 0;
            tmp[i] = save;
            if (m) {
                keep_from = i;
                break;
            }
        } else if (fnmatch(pat, tmp + i, 0) == 0) {
            keep_to = i;
            break;
        }
    }
    int r = xb_buf_append(res, val + keep_from, keep_to - keep_from);
    free(tmp);
    return r < 0 ? oom(l) : 0;
}

static int replace_pattern(struct lex *l, const char *val, bool all, const char *pat,
                           const char *repl, xb_buf_t *res)
{
    size_t n = strlen(val);
    char *tmp = strdup(val);
    if (tmp == NULL)
        return oom(l);
    size_t i = 0;
    bool done = false;
    int r = 0;
    while (i < n) {
        size_t j = n + 1;
        if (!done && *pat) {
            for (j = n; j > i; j--) {
                char save = tmp[j];
                tmp[j] = '\0';
                bool m = fnmatch(pat, tmp + i, 0) == 0;
                tmp[j] = save;
                if (m)
                    break;
            }
        }
        if (!done && *pat && j > i) {
            r |= xb_buf_puts(res, repl);
            i = j;
            done = !all;
        } else {
            r |= xb_buf_putc(res, val[i++]);
        }
    }
    free(tmp);
    return r < 0 ? oom(l) : 0;
}

/* ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}; the lexer is after the operator char. */
static int pattern_op(struct lex *l, int ch, const char *nm, const char *v, xb_buf_t *res)
{
    xb_buf_t pat = XB_BUF_INIT, repl = XB_BUF_INIT;
    bool twice = peek(l) == ch;
    int r;
    if (twice)
        next(l);
    if (ch == '/')
        r = stop_on(l, '/', true, &pat, NULL);
    else
        r = stop_on(l, '}', true, &pat, NULL);
    if (r == 0 && ch == '/')
        r = stop_on(l, '}', false, &repl, NULL);
    if (r < 0)
        goto out;
    if ((v ? strlen(v) : 0) > MAX_PATTERN_VALUE || pat.len > MAX_PATTERN) {
        r = xb_error_set(l->err, XB_ERR_PARSE,
                         "${%s%c...}: pattern operations need a value under %u bytes and a "
                         "pattern under %u bytes",
                         nm, (char)ch, MAX_PATTERN_VALUE, MAX_PATTERN);
        goto out;
    }
    if (ch == '/')
        r = replace_pattern(l, v ? v : "", twice, pat.data ? pat.data : "",
                            repl.data ? repl.data : "", res);
    else
        r = trim_pattern(l, v ? v : "", ch, twice, pat.data ? pat.data : "", res);
out:
    xb_buf_free(&pat);
    xb_buf_free(&repl);
    return r;
}

static int dollar_brace(struct lex *l, xb_buf_t *res)
{
    int c = peek(l);
    if (c == LEX_EOF)
        return missing_brace(l);
    if (c == '{' || c == '}' || c == ':')
        return xb_error_set(l->err, XB_ERR_PARSE, "syntax error: bad substitution");
    xb_buf_t name = XB_BUF_INIT, word = XB_BUF_INIT;
    int r = 0;
    if (read_name(l, &name) < 0) {
        r = oom(l);
        goto out;
    }
    const char *nm = name.data ? name.data : "";
    const char *v = get(l, nm);
    int ch = next(l);
    int mod = 0;
    switch (ch) {
    case '}':
        r = xb_buf_puts(res, v ? v : "") < 0 ? oom(l) : 0;
        goto out;
    case ':':
        mod = next(l);
        if (mod == LEX_EOF) {
            r = missing_brace(l);
            goto out;
        }
        if (mod != '+' && mod != '-' && mod != '?') {
            r = xb_error_set(l->err, XB_ERR_PARSE, "unsupported modifier (%c) in substitution",
                             (char)mod);
            goto out;
        }
        break;
    case '?':
    case '+':
    case '-':
        break;
    case '#':
    case '%':
    case '/':
        r = pattern_op(l, ch, nm, v, res);
        goto out;
    case LEX_EOF:
        r = missing_brace(l);
        goto out;
    default:
        r = xb_error_set(l->err, XB_ERR_PARSE, "unsupported modifier (%c) in substitution",
                         (char)ch);
        goto out;
    }
    if ((r = stop_on(l, '}', false, &word, NULL)) < 0)
        goto out;
    const char *wd = word.data ? word.data : "";
    bool colon = ch == ':';
    int op = colon ? mod : ch;
    bool empty = v == NULL || (colon && *v == '\0');
    const char *result = "";
    if (op == '+') {
        result = empty ? "" : wd;
    } else if (op == '-') {
        result = empty ? wd : v;
    } else { /* '?' */
        if (v == NULL || empty) {
            const char *msg = *wd         ? wd
                              : v == NULL ? "is not allowed to be unset"
                                          : "is not allowed to be empty";
            r = xb_error_set(l->err, XB_ERR_PARSE, "%s: %s", nm, msg);
            goto out;
        }
        result = v;
    }
    r = xb_buf_puts(res, result) < 0 ? oom(l) : 0;
out:
    xb_buf_free(&name);
    xb_buf_free(&word);
    return r;
}

static int dollar(struct lex *l, xb_buf_t *res)
{
    next(l);
    if (++l->depth > 64) {
        l->depth--;
        return xb_error_set(l->err, XB_ERR_PARSE, "variable substitutions nested too deeply");
    }
    int r = 0;
    if (peek(l) == '{') {
        next(l);
        r = dollar_brace(l, res);
    } else {
        xb_buf_t name = XB_BUF_INIT;
        if (read_name(l, &name) < 0) {
            r = oom(l);
        } else if (name.len == 0) {
            r = xb_buf_putc(res, '$') < 0 ? oom(l) : 0;
        } else {
            const char *v = get(l, name.data);
            r = xb_buf_puts(res, v ? v : "") < 0 ? oom(l) : 0;
        }
        xb_buf_free(&name);
    }
    l->depth--;
    if (r == 0 && res->len > MAX_OUT)
        r = xb_error_set(l->err, XB_ERR_PARSE, "expansion larger than %u bytes", MAX_OUT);
    return r;
}

static int stop_on(struct lex *l, int stop, bool raw_escapes, xb_buf_t *res, struct words *w)
{
    while (peek(l) != LEX_EOF) {
        int c = peek(l);
        if (stop != LEX_EOF && c == stop) {
            next(l);
            return 0;
        }
        if (c == '\'' || c == '"' || c == '$') {
            xb_buf_t tmp = XB_BUF_INIT;
            int r = c == '\''  ? single_quote(l, &tmp)
                    : c == '"' ? double_quote(l, &tmp)
                               : dollar(l, &tmp);
            if (r == 0 && (xb_buf_append(res, tmp.data ? tmp.data : "", tmp.len) < 0 ||
                           w_str(w, tmp.data ? tmp.data : "", tmp.len, c != '$') < 0))
                r = oom(l);
            xb_buf_free(&tmp);
            if (r == 0 && res->len > MAX_OUT)
                r = xb_error_set(l->err, XB_ERR_PARSE, "expansion larger than %u bytes", MAX_OUT);
            if (r < 0)
                return r;
            continue;
        }
        c = next(l);
        bool raw = false;
        if (c == l->esc) {
            if (raw_escapes && xb_buf_putc(res, (char)c) < 0)
                return oom(l);
            c = next(l);
            if (c == LEX_EOF)
                break;
            raw = true;
        }
        if (w_char(w, (char)c, raw) < 0 || xb_buf_putc(res, (char)c) < 0)
            return oom(l);
    }
    if (stop != LEX_EOF)
        return stop == '}'
                   ? missing_brace(l)
                   : xb_error_set(l->err, XB_ERR_PARSE, "syntax error: missing '%c'", (char)stop);
    return 0;
}

int xb_df_expand_word(const char *word, char escape, xb_df_lookup_fn lookup, void *ud, char **out,
                      xb_error_t *err)
{
    struct lex l = {word, 0, strlen(word), escape, lookup, ud, err, 0};
    xb_buf_t res = XB_BUF_INIT;
    *out = NULL;
    int r = stop_on(&l, LEX_EOF, false, &res, NULL);
    if (r < 0) {
        xb_buf_free(&res);
        return r;
    }
    *out = xb_buf_steal(&res);
    return 0;
}

int xb_df_expand_split(const char *text, char escape, xb_df_lookup_fn lookup, void *ud, char ***out,
                       size_t *n, xb_error_t *err)
{
    struct lex l = {text, 0, strlen(text), escape, lookup, ud, err, 0};
    xb_buf_t res = XB_BUF_INIT;
    struct words w = {{0}, XB_BUF_INIT, false};
    *out = NULL;
    int r = stop_on(&l, LEX_EOF, false, &res, &w);
    if (r == 0 && w_end(&w) < 0)
        r = oom(&l);
    if (r == 0 && w.v.v == NULL && (w.v.v = calloc(1, sizeof(char *))) == NULL)
        r = oom(&l);
    xb_buf_free(&res);
    xb_buf_free(&w.cur);
    if (r < 0) {
        xb_strv_free(&w.v);
        return r;
    }
    if (n != NULL)
        *n = w.v.n;
    *out = w.v.v;
    return 0;
}

int xb_df_expand_list(char *const *words, size_t n, char escape, xb_df_lookup_fn lookup, void *ud,
                      char ***out, size_t *nout, xb_error_t *err)
{
    xb_strv_t all = {0};
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        char **v = NULL;
        size_t k = 0;
        int r = xb_df_expand_split(words[i], escape, lookup, ud, &v, &k, err);
        if (r < 0) {
            xb_strv_free(&all);
            return r;
        }
        for (size_t j = 0; j < k; j++) {
            if (xb_strv_push(&all, v[j]) < 0) {
                for (size_t m = j + 1; m < k; m++)
                    free(v[m]);
                free(v);
                xb_strv_free(&all);
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            }
        }
        free(v);
    }
    if (all.v == NULL) {
        all.v = calloc(1, sizeof(char *));
        if (all.v == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if (nout != NULL)
        *nout = all.n;
    *out = all.v;
    return 0;
}

int xb_df_expand_heredoc(const char *content, char escape, xb_df_lookup_fn lookup, void *ud,
                         char **out, xb_error_t *err)
{
    struct lex l = {content, 0, strlen(content), escape, lookup, ud, err, 0};
    xb_buf_t res = XB_BUF_INIT;
    int r = 0;
    *out = NULL;
    while (r == 0 && peek(&l) != LEX_EOF) {
        int c = peek(&l);
        if (c == '$') {
            r = dollar(&l, &res);
            continue;
        }
        next(&l);
        if (c == escape && l.pos < l.len) {
            int p = peek(&l);
            /* \$ and \\ are literal; so is an escaped newline (BuildKit keeps the newline,
             * where a POSIX here-document would join the lines) */
            if (p == '$' || p == escape || p == '\n')
                c = next(&l);
        }
        if (xb_buf_putc(&res, (char)c) < 0)
            r = oom(&l);
    }
    if (r < 0) {
        xb_buf_free(&res);
        return r;
    }
    *out = xb_buf_steal(&res);
    return 0;
}

int xb_df_instr_expand(const xb_dockerfile_t *df, const xb_df_instr_t *in, const char *word,
                       xb_df_lookup_fn lookup, void *ud, char **out, xb_error_t *err)
{
    int r = xb_df_expand_word(word, df->escape, lookup, ud, out, err);
    if (r < 0)
        return xb_error_wrap(err, "%s:%d", df->path, in->line);
    return r;
}

int xb_df_instr_expand_split(const xb_dockerfile_t *df, const xb_df_instr_t *in, const char *text,
                             xb_df_lookup_fn lookup, void *ud, char ***out, size_t *n,
                             xb_error_t *err)
{
    int r = xb_df_expand_split(text, df->escape, lookup, ud, out, n, err);
    if (r < 0)
        return xb_error_wrap(err, "%s:%d", df->path, in->line);
    return r;
}

const char *xb_df_json_lookup(const char *name, void *ud)
{
    json_t *v = json_object_get((const json_t *)ud, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}
