/* AST -> JSON (the schema of `xbuild parse --json`, also handy in tests). */
#include <jansson.h>
#include <string.h>

#include "dockerfile/dump.h"

static const char *const multi_flags[] = {"mount", "exclude", "device", NULL};

static bool is_multi(const char *name)
{
    for (const char *const *m = multi_flags; *m; m++)
        if (strcmp(*m, name) == 0)
            return true;
    return false;
}

static json_t *flags_json(const xb_df_instr_t *in)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < in->nflags; i++) {
        const xb_df_flag_t *f = &in->flags[i];
        json_t *v = f->value ? json_string(f->value) : json_true();
        if (is_multi(f->name)) {
            json_t *a = json_object_get(o, f->name);
            if (a == NULL) {
                a = json_array();
                json_object_set_new(o, f->name, a);
            }
            json_array_append_new(a, v);
        } else {
            json_object_set_new(o, f->name, v);
        }
    }
    return o;
}

json_t *xb_df_instr_to_json(const xb_df_instr_t *in)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "line", json_integer(in->line));
    json_object_set_new(o, "instruction", json_string(in->keyword));
    json_object_set_new(o, "flags", flags_json(in));
    json_t *args = json_array();
    for (size_t i = 0; args && i < in->nargs; i++)
        json_array_append_new(args, json_string(in->args[i]));
    json_object_set_new(o, "args", args);
    json_object_set_new(o, "json", json_boolean(in->json));
    if (in->nheredocs > 0) {
        json_t *hs = json_array();
        for (size_t i = 0; hs && i < in->nheredocs; i++) {
            const xb_df_heredoc_t *h = &in->heredocs[i];
            json_t *ho = json_object();
            json_object_set_new(ho, "name", json_string(h->name));
            json_object_set_new(ho, "content", json_string(h->content ? h->content : ""));
            json_object_set_new(ho, "expand", json_boolean(h->expand));
            json_object_set_new(ho, "chomp", json_boolean(h->chomp));
            json_array_append_new(hs, ho);
        }
        json_object_set_new(o, "heredocs", hs);
    }
    if (in->onbuild != NULL)
        json_object_set_new(o, "onbuild", xb_df_instr_to_json(in->onbuild));
    return o;
}

json_t *xb_dockerfile_to_json(const xb_dockerfile_t *df)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < df->ninstrs; i++)
        json_array_append_new(a, xb_df_instr_to_json(&df->instrs[i]));
    return a;
}
