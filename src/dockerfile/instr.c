/* One logical Dockerfile line -> xb_df_instr_t: keyword, flags (checked per instruction),
 * arguments split as each instruction expects (see the table in ast.h). */
#include <ctype.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile/internal.h"
#include "util/suggest.h"

enum { F_STR, F_BOOL, F_MULTI };

struct flagspec {
    const char *name;
    int kind;
};

static const struct flagspec from_flags[] = {{"platform", F_STR}, {NULL, 0}};
static const struct flagspec run_flags[] = {
    {"mount", F_MULTI}, {"network", F_STR}, {"security", F_STR}, {"device", F_MULTI}, {NULL, 0}};
static const struct flagspec copy_flags[] = {
    {"from", F_STR},     {"chown", F_STR},     {"chmod", F_STR}, {"link", F_BOOL},
    {"parents", F_BOOL}, {"exclude", F_MULTI}, {NULL, 0}};
static const struct flagspec add_flags[] = {
    {"chown", F_STR},    {"chmod", F_STR},   {"link", F_BOOL},     {"keep-git-dir", F_BOOL},
    {"checksum", F_STR}, {"unpack", F_BOOL}, {"exclude", F_MULTI}, {NULL, 0}};
static const struct flagspec health_flags[] = {{"interval", F_STR},     {"timeout", F_STR},
                                               {"start-period", F_STR}, {"start-interval", F_STR},
                                               {"retries", F_STR},      {NULL, 0}};
static const struct flagspec no_flags[] = {{NULL, 0}};

enum argkind {
    A_JSON_OR_RAW,
    A_JSON_OR_WORDS,
    A_KV,
    A_ARG,
    A_WORDS,
    A_FROM,
    A_STRING,
    A_HEALTH,
    A_ONBUILD
};

struct instrspec {
    const char *kw;
    enum argkind kind;
    const struct flagspec *flags;
};

static const struct instrspec specs[] = {{"ADD", A_JSON_OR_WORDS, add_flags},
                                         {"ARG", A_ARG, no_flags},
                                         {"CMD", A_JSON_OR_RAW, no_flags},
                                         {"COPY", A_JSON_OR_WORDS, copy_flags},
                                         {"ENTRYPOINT", A_JSON_OR_RAW, no_flags},
                                         {"ENV", A_KV, no_flags},
                                         {"EXPOSE", A_WORDS, no_flags},
                                         {"FROM", A_FROM, from_flags},
                                         {"HEALTHCHECK", A_HEALTH, health_flags},
                                         {"LABEL", A_KV, no_flags},
                                         {"MAINTAINER", A_STRING, no_flags},
                                         {"ONBUILD", A_ONBUILD, no_flags},
                                         {"RUN", A_JSON_OR_RAW, run_flags},
                                         {"SHELL", A_JSON_OR_RAW, no_flags},
                                         {"STOPSIGNAL", A_STRING, no_flags},
                                         {"USER", A_STRING, no_flags},
                                         {"VOLUME", A_JSON_OR_WORDS, no_flags},
                                         {"WORKDIR", A_STRING, no_flags},
                                         {NULL, 0, NULL}};

#define PERR(...) xb_error_set(err, XB_ERR_PARSE, __VA_ARGS__)
#define OOM()     xb_error_set(err, XB_ERR_INTERNAL, "out of memory")

void xb_df_instr_clear(xb_df_instr_t *in)
{
    if (in == NULL)
        return;
    free(in->keyword);
    free(in->original);
    for (size_t i = 0; i < in->nflags; i++) {
        free(in->flags[i].name);
        free(in->flags[i].value);
    }
    free(in->flags);
    for (size_t i = 0; i < in->nargs; i++)
        free(in->args[i]);
    free(in->args);
    free(in->raw);
    for (size_t i = 0; i < in->nheredocs; i++) {
        free(in->heredocs[i].name);
        free(in->heredocs[i].content);
    }
    free(in->heredocs);
    if (in->onbuild != NULL) {
        xb_df_instr_clear(in->onbuild);
        free(in->onbuild);
    }
    memset(in, 0, sizeof(*in));
}

/* 1: a JSON array of strings (elements pushed); 0: not JSON (shell form); -1: a JSON array
 * with non-string elements (an error, like Docker); -2: out of memory. */
static int parse_json_array(const char *rest, xb_strv_t *out)
{
    while (*rest && isspace((unsigned char)*rest))
        rest++;
    if (*rest != '[')
        return 0;
    json_error_t je;
    json_t *j = json_loads(rest, 0, &je);
    if (j == NULL || !json_is_array(j)) {
        json_decref(j);
        return 0;
    }
    size_t i;
    json_t *e;
    int rc = 1;
    json_array_foreach(j, i, e)
    {
        if (!json_is_string(e)) {
            rc = -1;
            break;
        }
        if (xb_strv_pushn(out, json_string_value(e), json_string_length(e)) < 0) {
            rc = -2;
            break;
        }
    }
    json_decref(j);
    return rc;
}

static const struct flagspec *find_flag(const struct flagspec *fs, const char *name)
{
    for (; fs->name; fs++)
        if (strcmp(fs->name, name) == 0)
            return fs;
    return NULL;
}

static int parse_flags(const struct instrspec *sp, xb_strv_t *words, xb_df_instr_t *in,
                       const char *where, xb_error_t *err)
{
    if (words->n == 0)
        return 0;
    if (words->n > XB_DF_MAX_ARGS)
        return PERR("%s: too many flags", where);
    in->flags = calloc(words->n, sizeof(*in->flags));
    if (in->flags == NULL)
        return OOM();
    for (size_t i = 0; i < words->n; i++) {
        char *w = words->v[i] + 2; /* skip "--" */
        char *eq = strchr(w, '=');
        if (eq != NULL)
            *eq = '\0';
        const struct flagspec *fs = find_flag(sp->flags, w);
        if (fs == NULL) {
            const char *names[32];
            size_t nn = 0;
            for (const struct flagspec *f = sp->flags; f->name && nn < 32; f++)
                names[nn++] = f->name;
            const char *hint = nn ? xb_suggest(w, names, nn, true) : NULL;
            return PERR("%s: unknown flag: --%s for %s%s%s%s", where, w, sp->kw,
                        hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
        }
        if (fs->kind != F_MULTI)
            for (size_t k = 0; k < in->nflags; k++)
                if (strcmp(in->flags[k].name, w) == 0)
                    return PERR("%s: duplicate flag specified: --%s", where, w);
        if (eq == NULL && fs->kind != F_BOOL)
            return PERR("%s: missing a value on flag: --%s", where, w);
        if (eq != NULL && fs->kind == F_BOOL && strcasecmp(eq + 1, "true") != 0 &&
            strcasecmp(eq + 1, "false") != 0)
            return PERR("%s: expecting boolean value for flag --%s, not: %s", where, w, eq + 1);
        xb_df_flag_t *f = &in->flags[in->nflags];
        f->name = strdup(w);
        f->value = eq ? strdup(eq + 1) : NULL;
        in->nflags++;
        if (f->name == NULL || (eq && f->value == NULL))
            return OOM();
    }
    return 0;
}

static bool valid_stage_name(const char *s)
{
    if (!islower((unsigned char)s[0]))
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_' &&
            *s != '.')
            return false;
    return true;
}

/* ENV / LABEL: "k=v k2=v2" pairs or the legacy "k value text". */
static int parse_kv(const char *kw, const char *rest, char escape, xb_strv_t *args,
                    const char *where, xb_error_t *err)
{
    xb_strv_t words = {0};
    int r = 0;
    if (xb_df_parse_words(rest, escape, &words) < 0) {
        r = OOM();
        goto out;
    }
    if (words.n == 0) {
        r = PERR("%s: %s requires at least one argument", where, kw);
        goto out;
    }
    if (strchr(words.v[0], '=') == NULL) {
        const char *p = rest;
        while (*p && !xb_df_is_ws(*p))
            p++;
        const char *v = p;
        while (*v && xb_df_is_ws(*v))
            v++;
        if (*v == '\0') {
            r = PERR("%s: %s must have two arguments", where, kw);
            goto out;
        }
        if (xb_strv_pushn(args, rest, (size_t)(p - rest)) < 0 || xb_strv_push(args, strdup(v)) < 0)
            r = OOM();
        goto out;
    }
    for (size_t i = 0; i < words.n; i++) {
        char *eq = strchr(words.v[i], '=');
        if (eq == NULL) {
            r = PERR("%s: syntax error - can't find = in \"%s\". Must be of the form: "
                     "name=value",
                     where, words.v[i]);
            goto out;
        }
        if (eq == words.v[i]) {
            r = PERR("%s: %s names can not be blank", where, kw);
            goto out;
        }
        if (xb_strv_pushn(args, words.v[i], (size_t)(eq - words.v[i])) < 0 ||
            xb_strv_push(args, strdup(eq + 1)) < 0) {
            r = OOM();
            goto out;
        }
    }
out:
    xb_strv_free(&words);
    return r;
}

static int health_args(const char *rest, xb_strv_t *args, xb_df_instr_t *in, const char *where,
                       xb_error_t *err)
{
    size_t sep = 0;
    while (rest[sep] && !isspace((unsigned char)rest[sep]))
        sep++;
    const char *next = rest + sep;
    while (*next && isspace((unsigned char)*next))
        next++;
    char *typ = strndup(rest, sep);
    if (typ == NULL)
        return OOM();
    for (char *c = typ; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (xb_strv_push(args, typ) < 0)
        return OOM();
    if (strcmp(typ, "NONE") == 0) {
        if (*next != '\0' || in->nflags > 0)
            return PERR("%s: HEALTHCHECK NONE takes no arguments", where);
        return 0;
    }
    if (strcmp(typ, "CMD") != 0)
        return PERR("%s: unknown type \"%s\" in HEALTHCHECK (try CMD)", where, args->v[0]);
    if (*next == '\0')
        return PERR("%s: missing command after HEALTHCHECK CMD", where);
    int j = parse_json_array(next, args);
    if (j == -1)
        return PERR("%s: when using JSON array syntax, arrays must be comprised of strings only",
                    where);
    if (j == -2)
        return OOM();
    in->json = j == 1;
    if (!in->json && xb_strv_push(args, strdup(next)) < 0)
        return OOM();
    if (args->n < 2)
        return PERR("%s: missing command after HEALTHCHECK CMD", where);
    return 0;
}

static int build_args(const struct instrspec *sp, const char *rest, char escape, bool nested,
                      xb_df_instr_t *in, xb_strv_t *args, const char *path, int lineno,
                      const char *where, xb_error_t *err)
{
    const char *kw = sp->kw;
    if (*rest == '\0' && sp->kind != A_HEALTH)
        return PERR("%s: %s requires at least one argument", where, kw);
    int j;
    switch (sp->kind) {
    case A_JSON_OR_RAW:
    case A_JSON_OR_WORDS:
        j = parse_json_array(rest, args);
        if (j == -1)
            return PERR("%s: when using JSON array syntax, arrays must be comprised of "
                        "strings only",
                        where);
        if (j == -2)
            return OOM();
        in->json = j == 1;
        if (!in->json) {
            if (strcmp(kw, "SHELL") == 0)
                return PERR("%s: SHELL requires the arguments to be in JSON form", where);
            int r = sp->kind == A_JSON_OR_RAW ? xb_strv_push(args, strdup(rest))
                                              : xb_df_split_ws(rest, args);
            if (r < 0)
                return OOM();
        }
        if (args->n == 0 && (strcmp(kw, "CMD") != 0 && strcmp(kw, "ENTRYPOINT") != 0))
            return PERR("%s: %s requires at least one argument", where, kw);
        if ((strcmp(kw, "COPY") == 0 || strcmp(kw, "ADD") == 0) && args->n < 2)
            return PERR("%s: %s requires at least two arguments, but only one was provided. "
                        "Destination could not be determined",
                        where, kw);
        if (strcmp(kw, "VOLUME") == 0)
            for (size_t i = 0; i < args->n; i++)
                if (args->v[i][0] == '\0')
                    return PERR("%s: VOLUME specified can not be an empty string", where);
        return 0;
    case A_KV:
        return parse_kv(kw, rest, escape, args, where, err);
    case A_ARG:
        if (xb_df_parse_words(rest, escape, args) < 0)
            return OOM();
        for (size_t i = 0; i < args->n; i++)
            if (args->v[i][0] == '=')
                return PERR("%s: ARG names can not be blank", where);
        return 0;
    case A_WORDS:
        return xb_df_split_ws(rest, args) < 0 ? OOM() : 0;
    case A_FROM:
        if (xb_df_split_ws(rest, args) < 0)
            return OOM();
        if (args->n == 3 && strcasecmp(args->v[1], "AS") == 0) {
            strcpy(args->v[1], "AS");
            for (char *c = args->v[2]; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            if (!valid_stage_name(args->v[2]))
                return PERR("%s: invalid name for build stage: \"%s\", name can't start with a "
                            "number or contain symbols",
                            where, args->v[2]);
            return 0;
        }
        if (args->n != 1)
            return PERR("%s: FROM requires either one or three arguments", where);
        return 0;
    case A_STRING:
        return xb_strv_push(args, strdup(rest)) < 0 ? OOM() : 0;
    case A_HEALTH:
        if (*rest == '\0')
            return PERR("%s: HEALTHCHECK requires at least one argument", where);
        return health_args(rest, args, in, where, err);
    case A_ONBUILD: {
        if (nested)
            return PERR("%s: ONBUILD ONBUILD isn't allowed", where);
        in->onbuild = calloc(1, sizeof(*in->onbuild));
        if (in->onbuild == NULL)
            return OOM();
        int r = xb_df_build_instr(rest, escape, path, lineno, true, in->onbuild, err);
        if (r < 0)
            return r;
        const char *ik = in->onbuild->keyword;
        if (strcmp(ik, "FROM") == 0 || strcmp(ik, "MAINTAINER") == 0)
            return PERR("%s: %s isn't allowed as an ONBUILD trigger", where, ik);
        return xb_strv_push(args, strdup(rest)) < 0 ? OOM() : 0;
    }
    }
    return 0;
}

static char *trim_dup(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return strndup(s, len);
}

int xb_df_build_instr(const char *line, char escape, const char *path, int lineno, bool nested,
                      xb_df_instr_t *in, xb_error_t *err)
{
    char where[64 + 4096];
    snprintf(where, sizeof(where), "%.4096s:%d", path ? path : "Dockerfile", lineno);
    in->line = in->end_line = lineno;
    in->original = trim_dup(line, strlen(line));
    if (in->original == NULL)
        return OOM();
    const char *s = in->original;
    size_t kwlen = 0;
    while (s[kwlen] && !xb_df_is_ws(s[kwlen]))
        kwlen++;
    in->keyword = strndup(s, kwlen);
    if (in->keyword == NULL)
        return OOM();
    for (char *c = in->keyword; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    const struct instrspec *sp = specs;
    while (sp->kw && strcmp(sp->kw, in->keyword) != 0)
        sp++;
    if (sp->kw == NULL) {
        /* Keep the message readable for binary junk. */
        char shown[64];
        size_t k = 0;
        for (const char *c = in->keyword; *c && k < sizeof(shown) - 4; c++)
            shown[k++] = isprint((unsigned char)*c) ? *c : '?';
        shown[k] = '\0';
        const char *names[32];
        size_t nn = 0;
        for (const struct instrspec *o = specs; o->kw && nn < 32; o++)
            names[nn++] = o->kw;
        const char *hint = xb_suggest(in->keyword, names, nn, false);
        return PERR("%s: unknown instruction: %s%s%s%s%s", where, shown,
                    in->keyword[k] ? "..." : "", hint ? " (did you mean " : "", hint ? hint : "",
                    hint ? "?)" : "");
    }
    const char *after = s + kwlen;
    while (*after && xb_df_is_ws(*after))
        after++;
    xb_strv_t fwords = {0}, args = {0};
    const char *rest = after;
    int r = 0;
    if (xb_df_extract_flags(after, &fwords, &rest) < 0) {
        r = OOM();
        goto out;
    }
    r = parse_flags(sp, &fwords, in, where, err);
    if (r < 0)
        goto out;
    in->raw = trim_dup(rest, strlen(rest));
    if (in->raw == NULL) {
        r = OOM();
        goto out;
    }
    r = build_args(sp, in->raw, escape, nested, in, &args, path, lineno, where, err);
    if (r < 0)
        goto out;
    if (args.n > XB_DF_MAX_ARGS) {
        r = PERR("%s: too many arguments", where);
        goto out;
    }
    in->nargs = args.n;
    in->args = args.v ? args.v : calloc(1, sizeof(char *));
    args.v = NULL;
    args.n = 0;
    if (in->args == NULL)
        r = OOM();
out:
    xb_strv_free(&fwords);
    xb_strv_free(&args);
    return r;
}

xb_df_instr_t *xb_df_heredoc_target(xb_df_instr_t *in)
{
    if (in->onbuild != NULL)
        in = in->onbuild;
    if (in->json)
        return NULL;
    if (strcmp(in->keyword, "RUN") == 0 || strcmp(in->keyword, "COPY") == 0 ||
        strcmp(in->keyword, "ADD") == 0)
        return in;
    return NULL;
}
