/* Fuzz target for the Dockerfile front end: parser, JSON dump, expansion of every word and
 * flag value, heredoc expansion, and .dockerignore parsing/matching of the same bytes. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile/ast.h"
#include "dockerfile/dump.h"
#include "dockerfile/expand.h"
#include "dockerfile/ignore.h"
#include "replay.h"

static const char *lookup(const char *name, void *ud)
{
    (void)ud;
    if (name[0] == 'U') /* names starting with U are unset */
        return NULL;
    return name[0] == 'E' ? "" : "v a l";
}

static void expand_all(const xb_dockerfile_t *df, const xb_df_instr_t *in)
{
    xb_error_t err = XB_ERROR_INIT;
    for (size_t i = 0; i < in->nargs; i++) {
        char *out = NULL, **v = NULL;
        size_t n = 0;
        if (xb_df_instr_expand(df, in, in->args[i], lookup, NULL, &out, &err) == 0)
            free(out);
        xb_error_clear(&err);
        if (xb_df_instr_expand_split(df, in, in->args[i], lookup, NULL, &v, &n, &err) == 0) {
            for (size_t k = 0; k < n; k++)
                free(v[k]);
            free(v);
        }
        xb_error_clear(&err);
        (void)xb_df_heredoc_for_arg(in, in->args[i]);
    }
    for (size_t i = 0; i < in->nflags; i++) {
        char *out = NULL;
        if (in->flags[i].value &&
            xb_df_expand_word(in->flags[i].value, df->escape, lookup, NULL, &out, &err) == 0)
            free(out);
        xb_error_clear(&err);
    }
    for (size_t i = 0; i < in->nheredocs; i++) {
        char *out = NULL;
        if (xb_df_expand_heredoc(in->heredocs[i].content, df->escape, lookup, NULL, &out, &err) ==
            0)
            free(out);
        xb_error_clear(&err);
    }
    if (in->onbuild) {
        expand_all(df, in->onbuild);
        xb_df_instr_t *t = NULL;
        if (xb_df_parse_trigger(in->args[0], df->escape, df->path, in->line, &t, &err) == 0)
            xb_df_instr_free(t);
        xb_error_clear(&err);
    }
    char *script = NULL;
    if (xb_df_heredoc_script(in, &script, &err) == 0)
        free(script);
    xb_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xb_dockerfile_t *df = NULL;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_dockerfile_parse("fuzz", (const char *)data, size, &df, &err) == 0) {
        json_t *j = xb_dockerfile_to_json(df);
        char *s = json_dumps(j, JSON_COMPACT);
        free(s);
        json_decref(j);
        for (size_t i = 0; i < df->ninstrs; i++)
            expand_all(df, &df->instrs[i]);
        xb_dockerfile_free(df);
    }
    xb_error_clear(&err);

    xb_ignore_t *ig = NULL;
    if (xb_ignore_parse((const char *)data, size, "fuzz", &ig, &err) == 0) {
        static const char *paths[] = {"a", "a/b/c.go", "docs/x.md", ".git/config", "x/y/z"};
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
            (void)xb_ignore_match(ig, paths[i]);
            (void)xb_ignore_may_match_below(ig, paths[i]);
        }
        xb_ignore_free(ig);
    }
    xb_error_clear(&err);
    return 0;
}
