/* Word-level lexing shared by the parser: string vectors, Docker's parseWords (quote-aware
 * splitting that keeps quotes and escapes), builder flag extraction and heredoc words. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/internal.h"
#include "util/buf.h"

int xb_strv_push(xb_strv_t *s, char *owned)
{
    if (owned == NULL)
        return -1;
    if (s->n + 1 >= s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL) {
            free(owned);
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = owned;
    s->v[s->n] = NULL;
    return 0;
}

int xb_strv_pushn(xb_strv_t *s, const char *p, size_t len)
{
    return xb_strv_push(s, strndup(p, len));
}

void xb_strv_free(xb_strv_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

bool xb_df_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_space(char c)
{
    return xb_df_is_ws(c) || c == '\n';
}

int xb_df_split_ws(const char *s, xb_strv_t *out)
{
    const char *p = s;
    while (*p) {
        while (*p && xb_df_is_ws(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !xb_df_is_ws(*p))
            p++;
        if (xb_strv_pushn(out, start, (size_t)(p - start)) < 0)
            return -1;
    }
    return 0;
}

/* BuildKit's parseWords: splits on unquoted whitespace; quotes and escapes stay in the word
 * (expansion removes them later); an escape token at the very end is dropped. */
int xb_df_parse_words(const char *rest, char escape, xb_strv_t *out)
{
    enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
    xb_buf_t w = XB_BUF_INIT;
    char quote = 0;
    bool blank_ok = false;
    size_t len = strlen(rest);
    int rc = 0;
    for (size_t pos = 0; pos <= len; pos++) {
        char ch = pos < len ? rest[pos] : 0;
        if (phase == IN_SPACES) {
            if (pos == len)
                break;
            if (is_space(ch))
                continue;
            phase = IN_WORD;
        }
        if (pos == len) {
            if (blank_ok || w.len > 0)
                rc |= xb_strv_pushn(out, w.data ? w.data : "", w.len);
            break;
        }
        if (phase == IN_WORD) {
            if (is_space(ch)) {
                phase = IN_SPACES;
                if (blank_ok || w.len > 0)
                    rc |= xb_strv_pushn(out, w.data ? w.data : "", w.len);
                xb_buf_reset(&w);
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blank_ok = true;
                phase = IN_QUOTE;
            }
            if (ch == escape) {
                if (pos + 1 == len)
                    continue;
                rc |= xb_buf_putc(&w, ch);
                ch = rest[++pos];
            }
            rc |= xb_buf_putc(&w, ch);
            continue;
        }
        /* IN_QUOTE */
        if (ch == quote)
            phase = IN_WORD;
        if (ch == escape && quote != '\'') {
            if (pos + 1 == len) {
                phase = IN_WORD;
                continue;
            }
            rc |= xb_buf_putc(&w, ch);
            ch = rest[++pos];
        }
        rc |= xb_buf_putc(&w, ch);
    }
    xb_buf_free(&w);
    return rc < 0 ? -1 : 0;
}

/* BuildKit's extractBuilderFlags: leading words that start with "--" (quotes removed, '\'
 * escapes), stopping at the first other word or at a bare "--". *rest points into line. */
int xb_df_extract_flags(const char *line, xb_strv_t *flags, const char **rest)
{
    enum { IN_SPACES, IN_WORD, IN_QUOTE } phase = IN_SPACES;
    xb_buf_t w = XB_BUF_INIT;
    char quote = 0;
    bool blank_ok = false;
    size_t len = strlen(line);
    int rc = 0;
    *rest = line + len;
    for (size_t pos = 0; pos <= len; pos++) {
        char ch = pos < len ? line[pos] : 0;
        if (phase == IN_SPACES) {
            if (pos == len)
                break;
            if (is_space(ch))
                continue;
            if (ch != '-' || pos + 1 == len || line[pos + 1] != '-') {
                *rest = line + pos;
                break;
            }
            phase = IN_WORD;
        }
        if (pos == len) {
            bool dashdash = w.len == 2 && memcmp(w.data, "--", 2) == 0;
            if (!dashdash && (blank_ok || w.len > 0))
                rc |= xb_strv_pushn(flags, w.data ? w.data : "", w.len);
            break;
        }
        if (phase == IN_WORD) {
            if (is_space(ch)) {
                phase = IN_SPACES;
                if (w.len == 2 && memcmp(w.data, "--", 2) == 0) {
                    *rest = line + pos;
                    break;
                }
                if (blank_ok || w.len > 0)
                    rc |= xb_strv_pushn(flags, w.data ? w.data : "", w.len);
                xb_buf_reset(&w);
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blank_ok = true;
                phase = IN_QUOTE;
                continue;
            }
            if (ch == '\\') {
                if (pos + 1 == len)
                    continue;
                ch = line[++pos];
            }
            rc |= xb_buf_putc(&w, ch);
            continue;
        }
        if (ch == quote) {
            phase = IN_WORD;
            continue;
        }
        if (ch == '\\') {
            if (pos + 1 == len) {
                phase = IN_WORD;
                continue;
            }
            ch = line[++pos];
        }
        rc |= xb_buf_putc(&w, ch);
    }
    xb_buf_free(&w);
    return rc < 0 ? -1 : 0;
}

/* Raw shell-like words of a line for heredoc detection: quotes and escapes kept. */
static int raw_words(const char *line, xb_strv_t *out)
{
    const char *p = line;
    while (*p) {
        while (*p && is_space(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !is_space(*p)) {
            if (*p == '\\' && p[1]) {
                p += 2;
            } else if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && p[1])
                        p++;
                    p++;
                }
                if (*p)
                    p++;
            } else {
                p++;
            }
        }
        if (xb_strv_pushn(out, start, (size_t)(p - start)) < 0)
            return -1;
    }
    return 0;
}

bool xb_df_parse_heredoc_word(const char *word, xb_df_heredoc_t *h)
{
    const char *p = word;
    int fd = 0;
    while (isdigit((unsigned char)*p)) {
        if (fd < 100000)
            fd = fd * 10 + (*p - '0');
        p++;
    }
    if (p[0] != '<' || p[1] != '<')
        return false;
    p += 2;
    bool chomp = false;
    if (*p == '-') {
        chomp = true;
        p++;
    }
    if (*p == '\0' || strchr(p, '<') != NULL)
        return false;
    /* Remove quotes and escapes; a quote anywhere disables expansion. The name must stay
     * one word (no unquoted whitespace, balanced quotes). */
    xb_buf_t name = XB_BUF_INIT;
    bool quoted = false;
    for (; *p; p++) {
        if (*p == '\\') {
            if (p[1])
                p++;
            xb_buf_putc(&name, *p);
        } else if (*p == '\'' || *p == '"') {
            char q = *p++;
            quoted = true;
            while (*p && *p != q) {
                if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$'))
                    p++;
                xb_buf_putc(&name, *p++);
            }
            if (!*p) {
                xb_buf_free(&name);
                return false;
            }
        } else if (is_space(*p)) {
            xb_buf_free(&name);
            return false;
        } else {
            xb_buf_putc(&name, *p);
        }
    }
    if (name.len == 0) {
        xb_buf_free(&name);
        return false;
    }
    if (h != NULL) {
        memset(h, 0, sizeof(*h));
        h->name = xb_buf_steal(&name);
        h->expand = !quoted;
        h->chomp = chomp;
        h->fd = fd;
    }
    xb_buf_free(&name);
    return true;
}

int xb_df_find_heredocs(const char *line, xb_df_heredoc_t **out, size_t *n, xb_error_t *err)
{
    xb_strv_t words = {0};
    *out = NULL;
    *n = 0;
    if (raw_words(line, &words) < 0)
        goto oom;
    for (size_t i = 0; i < words.n; i++) {
        xb_df_heredoc_t h;
        if (!xb_df_parse_heredoc_word(words.v[i], &h))
            continue;
        if (h.name == NULL)
            goto oom;
        if (*n >= XB_DF_MAX_HEREDOCS) {
            free(h.name);
            xb_strv_free(&words);
            return xb_error_set(err, XB_ERR_PARSE, "more than %d heredocs in one instruction",
                                XB_DF_MAX_HEREDOCS);
        }
        xb_df_heredoc_t *v = realloc(*out, (*n + 1) * sizeof(*v));
        if (v == NULL) {
            free(h.name);
            goto oom;
        }
        *out = v;
        v[(*n)++] = h;
    }
    xb_strv_free(&words);
    return 0;
oom:
    xb_strv_free(&words);
    return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}
