/* Variable expansion: every form of the reference, quotes, escapes, unset vs empty, errors. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../lib/tap.h"
#include "dockerfile/expand.h"
#include "dockerfile/vars.h"
#include "util/cleanup.h"

static xb_df_vars_t V = XB_DF_VARS_INIT;

/* Expands w with V and '\\'; returns a static copy or "ERR:<message>". */
static const char *ex_esc(const char *w, char esc)
{
    static char buf[4096];
    char *out = NULL;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_df_expand_word(w, esc, xb_df_vars_lookup, &V, &out, &err) < 0) {
        snprintf(buf, sizeof(buf), "ERR:%s", err.msg);
        xb_error_clear(&err);
        return buf;
    }
    snprintf(buf, sizeof(buf), "%s", out);
    free(out);
    return buf;
}

static const char *ex(const char *w)
{
    return ex_esc(w, '\\');
}

/* Expand+split, words joined with '|'. */
static const char *split(const char *w)
{
    static char buf[4096];
    char **v = NULL;
    size_t n = 0;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_df_expand_split(w, '\\', xb_df_vars_lookup, &V, &v, &n, &err) < 0) {
        snprintf(buf, sizeof(buf), "ERR:%s", err.msg);
        xb_error_clear(&err);
        return buf;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(buf, "|");
        strcat(buf, v[i]);
    }
    ok(v[n] == NULL, "split result of '%s' is NULL-terminated", w);
    cleanup_strv char **vv = v;
    (void)vv;
    return buf;
}

static const char *heredoc(const char *w)
{
    static char buf[4096];
    char *out = NULL;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_df_expand_heredoc(w, '\\', xb_df_vars_lookup, &V, &out, &err) < 0) {
        snprintf(buf, sizeof(buf), "ERR:%s", err.msg);
        xb_error_clear(&err);
        return buf;
    }
    snprintf(buf, sizeof(buf), "%s", out);
    free(out);
    return buf;
}

int main(void)
{
    xb_df_vars_set(&V, "FOO", "/bar");
    xb_df_vars_set(&V, "EMPTY", "");
    xb_df_vars_set(&V, "SP", "a b  c");
    xb_df_vars_set(&V, "str", "foobarbaz");
    xb_df_vars_set(&V, "DECL", NULL); /* declared ARG without value: unset */

    /* plain forms */
    is_str(ex("$FOO"), "/bar", "$V");
    is_str(ex("${FOO}"), "/bar", "${V}");
    is_str(ex("${FOO}_x"), "/bar_x", "${V}_suffix");
    is_str(ex("$FOO_x"), "", "$V_x reads the longer name");
    is_str(ex("x$FOO/y"), "x/bar/y", "$V inside a word");
    is_str(ex("$UNSET"), "", "unset is empty");
    is_str(ex("$DECL"), "", "declared without value is unset");
    is_str(ex("a$"), "a$", "trailing $ is literal");
    is_str(ex("$ x"), "$ x", "$ before a space is literal");
    is_str(ex("$1"), "", "$1 is looked up (unset)");

    /* modifiers */
    is_str(ex("${FOO:-w}"), "/bar", ":- set");
    is_str(ex("${EMPTY:-w}"), "w", ":- empty");
    is_str(ex("${UNSET:-w}"), "w", ":- unset");
    is_str(ex("${FOO-w}"), "/bar", "- set");
    is_str(ex("${EMPTY-w}"), "", "- empty keeps empty");
    is_str(ex("${UNSET-w}"), "w", "- unset");
    is_str(ex("${FOO:+w}"), "w", ":+ set");
    is_str(ex("${EMPTY:+w}"), "", ":+ empty");
    is_str(ex("${UNSET:+w}"), "", ":+ unset");
    is_str(ex("${FOO+w}"), "w", "+ set");
    is_str(ex("${EMPTY+w}"), "w", "+ empty counts as set");
    is_str(ex("${UNSET+w}"), "", "+ unset");
    is_str(ex("${UNSET:-$FOO}"), "/bar", "word may hold variables");
    is_str(ex("${UNSET:-${EMPTY:-deep}}"), "deep", "nested substitution");
    is_str(ex("${UNSET:-\"a b\"}"), "a b", "quotes in word removed");
    is_str(ex("${UNSET:-a\\}b}"), "a}b", "escaped } in word");
    is_str(ex("${FOO:?oops}"), "/bar", ":? set");
    is_str(ex("${UNSET:?need it}"), "ERR:UNSET: need it", ":? unset error names var + msg");
    is_str(ex("${EMPTY:?need it}"), "ERR:EMPTY: need it", ":? empty error");
    is_str(ex("${UNSET:?}"), "ERR:UNSET: is not allowed to be unset", ":? default message");
    is_str(ex("${EMPTY:?}"), "ERR:EMPTY: is not allowed to be empty", ":? empty default");
    is_str(ex("${EMPTY?x}"), "", "? empty is fine");
    is_str(ex("${UNSET?x}"), "ERR:UNSET: x", "? unset errors");

    /* pattern forms */
    is_str(ex("${str#f*b}"), "arbaz", "# shortest prefix");
    is_str(ex("${str##f*b}"), "az", "## longest prefix");
    is_str(ex("${str%b*}"), "foobar", "%% shortest suffix");
    is_str(ex("${str%%b*}"), "foo", "%%%% longest suffix");
    is_str(ex("${str/ba/fo}"), "fooforbaz", "/ first");
    is_str(ex("${str//ba/fo}"), "fooforfoz", "// all");
    is_str(ex("${str#x}"), "foobarbaz", "# no match");

    /* limits on untrusted input */
    {
        char *bigv = malloc(2 * 1024 * 1024 + 1);
        memset(bigv, 'a', 2 * 1024 * 1024);
        bigv[2 * 1024 * 1024] = '\0';
        xb_df_vars_set(&V, "BIG", bigv);
        free(bigv);
        ok(strncmp(ex("${BIG//a/b}"), "ERR:${BIG/...}: pattern operations need", 39) == 0,
           "pattern op on a huge value refused");
        ok(strcmp(ex("$BIG$BIG$BIG$BIG$BIG$BIG$BIG$BIG$BIG"),
                  "ERR:expansion larger than 16777216 bytes") == 0,
           "expansion size bounded");
        xb_df_vars_unset(&V, "BIG");
    }

    /* syntax errors */
    is_str(ex("${FOO"), "ERR:syntax error: missing '}'", "missing }");
    is_str(ex("${"), "ERR:syntax error: missing '}'", "${ at end");
    is_str(ex("${}"), "ERR:syntax error: bad substitution", "${}");
    is_str(ex("${:-x}"), "ERR:syntax error: bad substitution", "${:-x}");
    is_str(ex("${FOO:=x}"), "ERR:unsupported modifier (=) in substitution", ":= unsupported");
    is_str(ex("${FOO:-x"), "ERR:syntax error: missing '}'", "unterminated word");

    /* quotes and escapes */
    is_str(ex("'$FOO'"), "$FOO", "single quotes suppress expansion");
    is_str(ex("\"$FOO\""), "/bar", "double quotes expand");
    is_str(ex("\"a 'b' $FOO\""), "a 'b' /bar", "single quotes inside double are literal");
    is_str(ex("'a \"b\"'"), "a \"b\"", "double quotes inside single are literal");
    is_str(ex("\\$FOO"), "$FOO", "escaped $");
    is_str(ex("\\${FOO}"), "${FOO}", "escaped ${}");
    is_str(ex("\"\\$FOO\""), "$FOO", "escaped $ in double quotes");
    is_str(ex("\"a\\\"b\""), "a\"b", "escaped \" in double quotes");
    is_str(ex("\"a\\nb\""), "a\\nb", "other escapes kept in double quotes");
    is_str(ex("'a\\'"), "a\\", "no escapes in single quotes");
    is_str(ex("a\\ b"), "a b", "escaped space");
    is_str(ex("a\\\\b"), "a\\b", "escaped escape");
    is_str(ex("ab\\"), "ab", "trailing escape dropped");
    is_str(ex("Rex\\ The\\ Dog"), "Rex The Dog", "ENV example from the reference");
    is_str(ex("\"John Doe\""), "John Doe", "quoted value");
    is_str(ex("a b  c"), "a b  c", "a word keeps its whitespace");
    is_str(ex("\"unterminated"),
           "ERR:unexpected end of statement while looking for matching double-quote",
           "unterminated double quote");
    is_str(ex("'unterminated"),
           "ERR:unexpected end of statement while looking for matching single-quote",
           "unterminated single quote");
    is_str(ex("\"\""), "", "empty quotes");

    /* backtick escape */
    is_str(ex_esc("`$FOO", '`'), "$FOO", "` escapes $ with escape=`");
    is_str(ex_esc("c:\\dir\\$FOO", '`'), "c:\\dir\\/bar", "\\ is literal with escape=`");
    is_str(ex_esc("\"a`\"b\"", '`'), "a\"b", "` escapes \" in double quotes");

    /* splitting */
    is_str(split("a b"), "a|b", "split on space");
    is_str(split("  a\t b  "), "a|b", "leading/trailing blanks");
    is_str(split("\"a b\" c"), "a b|c", "quoted words stay whole");
    is_str(split("$SP"), "a|b|c", "unquoted value splits");
    is_str(split("\"$SP\""), "a b  c", "quoted value does not split");
    is_str(split("x\\ y z"), "x y|z", "escaped blank does not split");
    is_str(split("\"\" a"), "a", "empty quotes give no word");
    is_str(split(""), "", "nothing");
    is_str(split("pre$SP"), "prea|b|c", "value joined to the word before");

    /* list */
    {
        char *words[] = {"80/tcp", "$SP", "'x y'"};
        char **out = NULL;
        size_t n = 0;
        xb_error_t err = XB_ERROR_INIT;
        int r = xb_df_expand_list(words, 3, '\\', xb_df_vars_lookup, &V, &out, &n, &err);
        is_int(r, 0, "expand_list ok");
        is_int(n, 5, "expand_list count");
        is_str(n == 5 ? out[4] : NULL, "x y", "expand_list quoted word");
        ok(out && out[n] == NULL, "expand_list NULL-terminated");
        cleanup_strv char **o = out;
        (void)o;
    }

    /* heredoc bodies */
    is_str(heredoc("hello $FOO\n"), "hello /bar\n", "heredoc expands");
    is_str(heredoc("echo \"${FOO}\" '$FOO'\n"), "echo \"/bar\" '/bar'\n",
           "heredoc: quotes not special, kept");
    is_str(heredoc("a \\$FOO \\\\ \\n\n"), "a $FOO \\ \\n\n", "heredoc escapes");
    is_str(heredoc("don't\n"), "don't\n", "heredoc: lone apostrophe fine");
    is_str(heredoc("a\\\nb\n"), "a\nb\n", "heredoc: an escaped newline stays (BuildKit)");
    is_str(heredoc("${FOO"), "ERR:syntax error: missing '}'", "heredoc syntax error");

    /* location wrapper */
    {
        xb_dockerfile_t df = {.path = "dir/Dockerfile", .escape = '\\'};
        xb_df_instr_t in = {.line = 7};
        char *out = NULL;
        xb_error_t err = XB_ERROR_INIT;
        int r =
            xb_df_instr_expand(&df, &in, "${NOPE:?set NOPE}", xb_df_vars_lookup, &V, &out, &err);
        ok(r < 0, "instr_expand fails on :?");
        is_str(err.msg, "dir/Dockerfile:7: NOPE: set NOPE", "error names file:line and msg");
        xb_error_clear(&err);
    }

    /* scope: ENV before ARG */
    {
        xb_df_vars_t env = XB_DF_VARS_INIT, args = XB_DF_VARS_INIT;
        xb_df_vars_set(&args, "V", "arg");
        xb_df_vars_set(&args, "A", "only-arg");
        xb_df_vars_set(&env, "V", "env");
        struct xb_df_scope sc = {&env, &args};
        char *out = NULL;
        xb_error_t err = XB_ERROR_INIT;
        xb_df_expand_word("$V-$A-${B:-none}", '\\', xb_df_scope_lookup, &sc, &out, &err);
        is_str(out, "env-only-arg-none", "ENV overrides ARG in lookups");
        free(out);
        xb_df_vars_free(&env);
        xb_df_vars_free(&args);
    }
    /* jansson-object lookup */
    {
        json_t *o = json_pack("{s:s, s:n, s:s}", "A", "x y", "N", "E", "");
        char *out = NULL;
        xb_error_t err = XB_ERROR_INIT;
        xb_df_expand_word("$A|${N-unset}|${E-unset}|${M:-dflt}", '\\', xb_df_json_lookup, o, &out,
                          &err);
        is_str(out, "x y|unset||dflt", "json lookup: strings set, null/missing unset");
        free(out);
        json_decref(o);
    }
    xb_df_vars_free(&V);
    return tap_done();
}
