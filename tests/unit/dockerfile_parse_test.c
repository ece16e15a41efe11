/* Parser API checks: structure of the AST, flag helpers, heredocs, triggers, errors, limits,
 * and the vars map. */
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "dockerfile/ast.h"
#include "dockerfile/vars.h"
#include "util/cleanup.h"

static xb_dockerfile_t *parse(const char *text)
{
    xb_dockerfile_t *df = NULL;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_dockerfile_parse("Dockerfile", text, strlen(text), &df, &err) < 0) {
        printf("# parse error: %s\n", err.msg);
        xb_error_clear(&err);
    }
    return df;
}

/* The error message of a failing parse, or "OK". Static buffer. */
static const char *perr(const char *text)
{
    static char buf[1024];
    xb_dockerfile_t *df = NULL;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_dockerfile_parse("Dockerfile", text, strlen(text), &df, &err) == 0) {
        xb_dockerfile_free(df);
        return "OK";
    }
    snprintf(buf, sizeof(buf), "%s", err.msg);
    xb_error_clear(&err);
    return buf;
}

static void test_basic(void)
{
    cleanup_dockerfile xb_dockerfile_t *df = parse("# escape=`\n"
                                                   "ARG V=1\n"
                                                   "from --platform=linux/arm64 img:$V as Build\n"
                                                   "copy --from=build --link --exclude=*.md `\n"
                                                   "     --exclude=*.txt a b /d/\n"
                                                   "RUN --mount=type=cache,target=/c `\n"
                                                   "    --mount=type=tmpfs,target=/t make\n");
    ok(df != NULL, "parsed");
    if (df == NULL)
        return;
    is_int(df->escape, '`', "escape directive");
    is_int(df->ninstrs, 4, "4 instructions");
    xb_df_instr_t *f = &df->instrs[1];
    is_str(f->keyword, "FROM", "keyword upper-cased");
    is_int(f->line, 3, "FROM line");
    is_str(xb_df_flag_get(f, "platform"), "linux/arm64", "--platform");
    is_int(f->nargs, 3, "FROM args");
    is_str(f->args[1], "AS", "AS normalised");
    is_str(f->args[2], "build", "stage name lower-cased");
    xb_df_instr_t *c = &df->instrs[2];
    is_int(c->line, 4, "COPY line");
    is_int(c->end_line, 5, "COPY end line");
    ok(xb_df_flag_bool(c, "link", false), "bare --link is true");
    ok(!xb_df_flag_bool(c, "parents", false), "absent bool -> default");
    const char *ex[4];
    is_int(xb_df_flag_all(c, "exclude", ex, 4), 2, "two --exclude");
    is_str(ex[1], "*.txt", "second --exclude");
    is_int(c->nargs, 3, "COPY args");
    is_str(c->args[2], "/d/", "destination");
    is_str(c->original, "copy --from=build --link --exclude=*.md      --exclude=*.txt a b /d/",
           "original joined");
    xb_df_instr_t *r = &df->instrs[3];
    is_int(xb_df_flag_all(r, "mount", NULL, 0), 2, "two --mount");
    is_str(xb_df_flag_get(r, "mount"), "type=tmpfs,target=/t", "flag_get returns the last");
    is_str(r->raw, "make", "RUN raw");
    ok(!r->json, "shell form");
}

static void test_heredocs(void)
{
    cleanup_dockerfile xb_dockerfile_t *df = parse("FROM scratch\n"
                                                   "COPY <<A <<-\"B\" /dst/\n"
                                                   "one $X\n"
                                                   "A\n"
                                                   "\t\ttwo\n"
                                                   "\tB\n"
                                                   "RUN 2<<EOF cat\n"
                                                   "x\n"
                                                   "EOF\n"
                                                   "RUN [\"sh\", \"<<EOF\"]\n");
    ok(df != NULL, "heredocs parsed");
    if (df == NULL)
        return;
    is_int(df->ninstrs, 4, "heredoc bodies are not instructions");
    xb_df_instr_t *c = &df->instrs[1];
    is_int(c->nheredocs, 2, "two heredocs");
    is_str(c->heredocs[0].content, "one $X\n", "first body");
    ok(c->heredocs[0].expand, "unquoted expands");
    is_str(c->heredocs[1].name, "B", "quoted name unquoted");
    is_str(c->heredocs[1].content, "two\n", "<<- strips tabs");
    ok(!c->heredocs[1].expand && c->heredocs[1].chomp, "quoted: no expansion; chomp");
    ok(xb_df_heredoc_for_arg(c, c->args[0]) == &c->heredocs[0], "arg <<A -> heredoc A");
    ok(xb_df_heredoc_for_arg(c, c->args[1]) == &c->heredocs[1], "arg <<-\"B\" -> heredoc B");
    ok(xb_df_heredoc_for_arg(c, "/dst/") == NULL, "dest is not a heredoc");
    is_int(c->end_line, 6, "end line after the last terminator");
    is_int(df->instrs[2].heredocs[0].fd, 2, "fd prefix");
    is_int(df->instrs[2].line, 7, "line after heredocs");
    is_int(df->instrs[3].nheredocs, 0, "JSON form takes no heredoc");
    char *script = NULL;
    xb_error_t err = XB_ERROR_INIT;
    ok(xb_df_heredoc_script(&df->instrs[2], &script, &err) == 0, "heredoc script");
    is_str(script, "2<<EOF cat\nx\nEOF", "script = command + bodies + delimiters");
    free(script);
    ok(xb_df_heredoc_for_arg(&df->instrs[2], df->instrs[2].args[0]) == NULL,
       "not a single-heredoc RUN");
}

static void test_trigger(void)
{
    xb_df_instr_t *in = NULL;
    xb_error_t err = XB_ERROR_INIT;
    ok(xb_df_parse_trigger("COPY --from=x a /b", '\\', "Dockerfile", 3, &in, &err) == 0,
       "trigger parsed");
    if (in) {
        is_str(in->keyword, "COPY", "trigger keyword");
        is_str(xb_df_flag_get(in, "from"), "x", "trigger flag");
        is_int(in->line, 3, "trigger line");
    }
    xb_df_instr_free(in);
    ok(xb_df_parse_trigger("FROM x", '\\', "Dockerfile", 3, &in, &err) < 0, "FROM trigger");
    is_str(err.msg, "Dockerfile:3: FROM isn't allowed as an ONBUILD trigger", "trigger error");
    xb_error_clear(&err);
}

static void test_errors(void)
{
    is_str(perr(""), "Dockerfile:1: file with no instructions", "empty file");
    is_str(perr("# syntax=x\n# just a comment\n\n"), "Dockerfile:1: file with no instructions",
           "only comments");
    is_str(perr("FROM a\nFOO bar\n"), "Dockerfile:2: unknown instruction: FOO (did you mean FROM?)",
           "unknown, a hint");
    is_str(perr("FROM a\nXYZZY bar\n"), "Dockerfile:2: unknown instruction: XYZZY",
           "unknown, nothing close");
    is_str(perr("FROM a\nRUN --mont=x y\n"),
           "Dockerfile:2: unknown flag: --mont for RUN (did you mean mount?)", "flag hint");
    is_str(perr("FROM a\nRUN --foo=1 x\n"), "Dockerfile:2: unknown flag: --foo for RUN",
           "unknown flag");
    is_str(perr("FROM a\nCOPY --from=a --from=b x y\n"),
           "Dockerfile:2: duplicate flag specified: --from", "duplicate flag");
    is_str(perr("FROM a\nCOPY --link=maybe x y\n"),
           "Dockerfile:2: expecting boolean value for flag --link, not: maybe", "bad bool");
    is_str(perr("FROM a\nCOPY --chown x y\n"), "Dockerfile:2: missing a value on flag: --chown",
           "missing value");
    is_str(perr("RUN x\n"), "Dockerfile:1: RUN before the first FROM: only ARG may precede FROM",
           "RUN first");
    is_str(perr("ARG x\n"),
           "Dockerfile:1: no FROM instruction: dockerfile contains no stages to build", "no FROM");
    is_str(perr("FROM a\nRUN <<EOF\nx\n"), "Dockerfile:2: unterminated heredoc EOF",
           "unterminated heredoc");
    is_str(perr("# escape=x\nFROM a\n"),
           "Dockerfile:1: invalid escape token 'x' does not match ^[\\\\`]$", "bad escape");
    is_str(perr("# escape=\\\n# escape=`\nFROM a\n"),
           "Dockerfile:2: only one escape parser directive can be used", "escape twice");
    is_str(perr("FROM a\n# escape=x\nRUN a\n"), "OK", "late directive is a comment");
    is_str(perr("# hello\n# escape=x\nFROM a\n"), "OK", "directive after a comment ignored");
    is_str(perr("FROM a b\n"), "Dockerfile:1: FROM requires either one or three arguments",
           "FROM two args");
    is_str(perr("FROM a AS 1x\n"),
           "Dockerfile:1: invalid name for build stage: \"1x\", name can't start with a "
           "number or contain symbols",
           "bad stage name");
    is_str(perr("FROM a\nSHELL sh -c\n"),
           "Dockerfile:2: SHELL requires the arguments to be in JSON form", "SHELL shell form");
    is_str(perr("FROM a\nCMD [1]\n"),
           "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings "
           "only",
           "non-string JSON");
    is_str(perr("FROM a\nENV\n"), "Dockerfile:2: ENV requires at least one argument", "ENV empty");
    is_str(perr("FROM a\nENV X\n"), "Dockerfile:2: ENV must have two arguments", "ENV one word");
    is_str(perr("FROM a\nENV a=b c\n"),
           "Dockerfile:2: syntax error - can't find = in \"c\". Must be of the form: name=value",
           "ENV mixed");
    is_str(perr("FROM a\nCOPY x\n"),
           "Dockerfile:2: COPY requires at least two arguments, but only one was provided. "
           "Destination could not be determined",
           "COPY one arg");
    is_str(perr("FROM a\nHEALTHCHECK NONE x\n"),
           "Dockerfile:2: HEALTHCHECK NONE takes no arguments", "HEALTHCHECK NONE args");
    is_str(perr("FROM a\nHEALTHCHECK FOO\n"),
           "Dockerfile:2: unknown type \"FOO\" in HEALTHCHECK (try CMD)", "HEALTHCHECK type");
    is_str(perr("FROM a\nONBUILD ONBUILD RUN x\n"), "Dockerfile:2: ONBUILD ONBUILD isn't allowed",
           "ONBUILD ONBUILD");
    is_str(perr("FROM a\nONBUILD MAINTAINER me\n"),
           "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger", "ONBUILD MAINTAINER");
    is_str(perr("FROM a\nRUN x\0y\n"), "OK", "(strlen stops at NUL)");
    {
        xb_dockerfile_t *df = NULL;
        xb_error_t err = XB_ERROR_INIT;
        ok(xb_dockerfile_parse("D", "FROM a\nRUN x\0y\n", 14, &df, &err) < 0, "NUL rejected");
        is_str(err.msg, "D:2: NUL byte in Dockerfile", "NUL error");
        xb_error_clear(&err);
    }
}

static void test_limits(void)
{
    size_t n = XB_DF_MAX_FILE + 1;
    char *big = malloc(n + 1);
    memset(big, '#', n);
    big[n] = '\0';
    xb_dockerfile_t *df = NULL;
    xb_error_t err = XB_ERROR_INIT;
    ok(xb_dockerfile_parse("D", big, n, &df, &err) < 0, "file size limit");
    xb_error_clear(&err);
    /* one long continued instruction */
    size_t m = XB_DF_MAX_LINE * 3 / 2;
    char *p = big;
    p += sprintf(p, "FROM a\nRUN ");
    while ((size_t)(p - big) < m) {
        memcpy(p, "xxxxxxx\\\n", 9);
        p += 9;
    }
    strcpy(p, "x\n");
    ok(xb_dockerfile_parse("D", big, strlen(big), &df, &err) < 0, "line length limit");
    ok(err.msg && strstr(err.msg, "instruction longer than"), "line limit message");
    xb_error_clear(&err);
    /* too many instructions */
    p = big;
    p += sprintf(p, "FROM a\n");
    for (int i = 0; i < XB_DF_MAX_INSTRS + 1; i++)
        p += sprintf(p, "RUN x\n");
    ok(xb_dockerfile_parse("D", big, strlen(big), &df, &err) < 0, "instruction count limit");
    xb_error_clear(&err);
    free(big);
}

static void test_vars(void)
{
    xb_df_vars_t v = XB_DF_VARS_INIT, c = XB_DF_VARS_INIT;
    xb_df_vars_set(&v, "A", "1");
    xb_df_vars_set(&v, "B", "2");
    xb_df_vars_set(&v, "C", NULL);
    xb_df_vars_set(&v, "A", "3");
    is_int(v.n, 3, "three vars");
    is_str(v.keys[0], "A", "order kept on update");
    is_str(xb_df_vars_get(&v, "A"), "3", "updated");
    ok(xb_df_vars_has(&v, "C") && xb_df_vars_get(&v, "C") == NULL, "declared, unset");
    cleanup_strv char **env = xb_df_vars_environ(&v);
    ok(env && strcmp(env[0], "A=3") == 0 && strcmp(env[1], "B=2") == 0 && env[2] == NULL,
       "environ skips unset");
    xb_df_vars_copy(&c, &v);
    is_int(xb_df_vars_unset(&v, "A"), 1, "unset");
    is_int(xb_df_vars_unset(&v, "A"), 0, "unset again");
    is_str(v.keys[0], "B", "order after unset");
    is_str(xb_df_vars_get(&c, "A"), "3", "copy independent");
    xb_df_vars_free(&v);
    xb_df_vars_free(&c);
}

int main(void)
{
    test_basic();
    test_heredocs();
    test_trigger();
    test_errors();
    test_limits();
    test_vars();
    return tap_done();
}
