/* Variables for expansion: ARGs in scope and ENV (ENV wins), and the expansion calls. */
#include <stdlib.h>
#include <string.h>

#include "build/internal.h"
#include "image/image.h"
#include "util/buf.h"
#include "util/cleanup.h"

json_t *xb_bx_vars(xb_bstage_t *st)
{
    json_t *v = json_object();
    const char *k;
    json_t *val;
    json_object_foreach(st->args, k, val)
    {
        if (json_is_string(val))
            json_object_set(v, k, val);
    }
    json_t *env = json_object_get(xb_image_config_container(st->config), "Env");
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        const char *eq = s ? strchr(s, '=') : NULL;
        if (eq == NULL)
            continue;
        cleanup_free char *name = strndup(s, (size_t)(eq - s));
        if (name != NULL)
            json_object_set_new(v, name, json_string(eq + 1));
    }
    return v;
}

int xb_bx_expand(xb_bstage_t *st, const char *word, char **out, xb_error_t *err)
{
    cleanup_json json_t *vars = xb_bx_vars(st);
    return xb_bx_expand_vars(vars, word, out, err);
}

/* --- minimal expander (replaced by dockerfile/expand.h when it lands) --- */
static const char *lookup(json_t *vars, const char *name, size_t n)
{
    char buf[256];
    if (n >= sizeof(buf))
        return NULL;
    memcpy(buf, name, n);
    buf[n] = '\0';
    json_t *v = json_object_get(vars, buf);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int expand_into(json_t *vars, const char *w, xb_buf_t *b, json_t *words, xb_error_t *err)
{
    bool sq = false, dq = false;
    for (const char *p = w; *p; p++) {
        char c = *p;
        if (c == '\'' && !dq) {
            sq = !sq;
            continue;
        }
        if (c == '"' && !sq) {
            dq = !dq;
            continue;
        }
        if (c == '\\' && !sq && p[1] != '\0') {
            p++;
            xb_buf_putc(b, *p);
            continue;
        }
        if (words != NULL && !sq && !dq && (c == ' ' || c == '\t')) {
            if (b->len > 0) {
                json_array_append_new(words, json_string(b->data));
                xb_buf_reset(b);
            }
            continue;
        }
        if (c == '$' && !sq) {
            const char *name = p + 1;
            if (*name == '{') {
                const char *end = strchr(name, '}');
                if (end == NULL)
                    return xb_error_set(err, XB_ERR_PARSE, "missing '}' in %s", w);
                const char *n0 = name + 1;
                size_t nl = strcspn(n0, ":}-+?");
                const char *val = lookup(vars, n0, nl);
                const char *op = n0 + nl;
                if (*op == '}') {
                    xb_buf_puts(b, val ? val : "");
                } else {
                    bool colon = *op == ':';
                    if (colon)
                        op++;
                    char o = *op;
                    cleanup_free char *alt = strndup(op + 1, (size_t)(end - op - 1));
                    bool set = val != NULL && (!colon || val[0] != '\0');
                    if (o == '-')
                        xb_buf_puts(b, set ? val : alt);
                    else if (o == '+')
                        xb_buf_puts(b, set ? alt : "");
                    else if (o == '?') {
                        if (!set)
                            return xb_error_set(err, XB_ERR_INVALID, "%.*s: %s", (int)nl, n0,
                                                alt[0] ? alt : "is not set");
                        xb_buf_puts(b, val);
                    }
                }
                p = end;
                continue;
            }
            size_t nl = 0;
            while (name[nl] == '_' || (name[nl] >= 'a' && name[nl] <= 'z') ||
                   (name[nl] >= 'A' && name[nl] <= 'Z') ||
                   (nl > 0 && name[nl] >= '0' && name[nl] <= '9'))
                nl++;
            if (nl == 0) {
                xb_buf_putc(b, '$');
                continue;
            }
            const char *val = lookup(vars, name, nl);
            xb_buf_puts(b, val ? val : "");
            p += nl;
            continue;
        }
        xb_buf_putc(b, c);
    }
    return 0;
}

int xb_bx_expand_vars(json_t *vars, const char *word, char **out, xb_error_t *err)
{
    xb_buf_t b = XB_BUF_INIT;
    xb_buf_puts(&b, "");
    if (expand_into(vars, word, &b, NULL, err) < 0) {
        xb_buf_free(&b);
        return -1;
    }
    *out = xb_buf_steal(&b);
    return 0;
}

int xb_bx_expand_words(xb_bstage_t *st, const char *word, json_t *out, xb_error_t *err)
{
    cleanup_json json_t *vars = xb_bx_vars(st);
    xb_buf_t b = XB_BUF_INIT;
    xb_buf_puts(&b, "");
    if (expand_into(vars, word, &b, out, err) < 0) {
        xb_buf_free(&b);
        return -1;
    }
    if (b.len > 0)
        json_array_append_new(out, json_string(b.data));
    xb_buf_free(&b);
    return 0;
}
