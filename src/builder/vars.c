/* Variables for expansion: ARGs in scope and ENV (ENV wins), and the expansion calls. */
#include <stdlib.h>
#include <string.h>

#include "builder/internal.h"
#include "dockerfile/expand.h"
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
    return xb_bx_expand_vars(st->b, vars, word, out, err);
}

static const char *json_lookup(const char *name, void *ud)
{
    json_t *v = json_object_get(ud, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int xb_bx_expand_vars(xb_bctx_t *b, json_t *vars, const char *word, char **out, xb_error_t *err)
{
    return xb_df_expand_word(word, b->df->escape, json_lookup, vars, out, err);
}

int xb_bx_expand_words(xb_bstage_t *st, const char *word, json_t *out, xb_error_t *err)
{
    cleanup_json json_t *vars = xb_bx_vars(st);
    cleanup_strv char **words = NULL;
    size_t n = 0;
    if (xb_df_expand_split(word, st->b->df->escape, json_lookup, vars, &words, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_string(words[i]));
    return 0;
}

int xb_bx_expand_heredoc(xb_bstage_t *st, const char *content, char **out, xb_error_t *err)
{
    cleanup_json json_t *vars = xb_bx_vars(st);
    return xb_df_expand_heredoc(content, st->b->df->escape, json_lookup, vars, out, err);
}
