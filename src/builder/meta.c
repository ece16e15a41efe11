/* Metadata instructions: ENV, LABEL, EXPOSE, CMD, ENTRYPOINT, WORKDIR, USER, VOLUME,
 * STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER, and ARG. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/cache.h"
#include "builder/internal.h"
#include "image/image.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"

static int history(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    cleanup_free char *by = NULL;
    if (asprintf(&by, "/bin/sh -c #(nop) %s", in->original) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return xb_bx_add_history(st, by, err);
}

static int expand_pairs(xb_bstage_t *st, const xb_df_instr_t *in, json_t *out, xb_error_t *err)
{
    if (in->nargs % 2 != 0)
        return xb_error_set(err, XB_ERR_PARSE, "%s needs key value pairs", in->keyword);
    for (size_t i = 0; i + 1 < in->nargs; i += 2) {
        cleanup_free char *k = NULL;
        cleanup_free char *v = NULL;
        if (xb_bx_expand(st, in->args[i], &k, err) < 0 ||
            xb_bx_expand(st, in->args[i + 1], &v, err) < 0)
            return -1;
        if (k[0] == '\0')
            return xb_error_set(err, XB_ERR_INVALID, "%s: empty name", in->keyword);
        json_array_append_new(out, json_pack("[ss]", k, v));
    }
    return 0;
}

/* Shell form -> SHELL + [cmd]; JSON form -> args. Returns a new array of strings. */
static json_t *command_array(xb_bstage_t *st, const xb_df_instr_t *in, size_t skip)
{
    json_t *a = json_array();
    if (in->json) {
        for (size_t i = skip; i < in->nargs; i++)
            json_array_append_new(a, json_string(in->args[i]));
        return a;
    }
    xb_bx_shell(st, a);
    json_array_append_new(a, json_string(in->nargs > skip ? in->args[skip] : ""));
    return a;
}

static int set_array(json_t *config, const char *key, json_t *arr)
{
    json_t *cc = xb_image_config_container(config);
    return json_object_set(cc, key, arr);
}

/* Go time.ParseDuration subset: sequence of <number><unit>, units ns us ms s m h. */
static int parse_duration(const char *s, long long *ns, xb_error_t *err)
{
    long long total = 0;
    const char *p = s;
    if (*p == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "invalid duration \"%s\"", s);
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return xb_error_set(err, XB_ERR_INVALID, "invalid duration \"%s\"", s);
        p = end;
        double mul;
        if (strncmp(p, "ns", 2) == 0) {
            mul = 1;
            p += 2;
        } else if (strncmp(p, "us", 2) == 0 || strncmp(p, "µs", 3) == 0) {
            mul = 1e3;
            p += p[0] == 'u' ? 2 : 3;
        } else if (strncmp(p, "ms", 2) == 0) {
            mul = 1e6;
            p += 2;
        } else if (*p == 's') {
            mul = 1e9;
            p++;
        } else if (*p == 'm') {
            mul = 60e9;
            p++;
        } else if (*p == 'h') {
            mul = 3600e9;
            p++;
        } else {
            return xb_error_set(err, XB_ERR_INVALID, "invalid duration \"%s\": missing unit", s);
        }
        total += (long long)(v * mul);
    }
    *ns = total;
    return 0;
}

static int healthcheck(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    cleanup_json json_t *hc = json_object();
    if (in->nargs >= 1 && strcasecmp(in->args[0], "NONE") == 0) {
        json_object_set_new(hc, "Test", json_pack("[s]", "NONE"));
        return xb_image_config_set_healthcheck(st->config, hc, err);
    }
    json_t *test = json_array();
    json_object_set_new(hc, "Test", test);
    if (in->json) {
        json_array_append_new(test, json_string("CMD"));
        for (size_t i = 1; i < in->nargs; i++)
            json_array_append_new(test, json_string(in->args[i]));
    } else {
        json_array_append_new(test, json_string("CMD-SHELL"));
        json_array_append_new(test, json_string(in->nargs > 1 ? in->args[1] : ""));
    }
    static const struct {
        const char *flag, *key;
    } durs[] = {{"interval", "Interval"},
                {"timeout", "Timeout"},
                {"start-period", "StartPeriod"},
                {"start-interval", "StartInterval"}};
    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        const char *v = xb_df_flag_get(in, durs[i].flag);
        if (v == NULL)
            continue;
        long long ns = 0;
        if (parse_duration(v, &ns, err) < 0)
            return xb_error_wrap(err, "HEALTHCHECK --%s", durs[i].flag);
        if (ns != 0 && ns < 1000000)
            return xb_error_set(err, XB_ERR_INVALID, "HEALTHCHECK --%s cannot be less than 1ms",
                                durs[i].flag);
        json_object_set_new(hc, durs[i].key, json_integer(ns));
    }
    const char *r = xb_df_flag_get(in, "retries");
    if (r != NULL) {
        char *end;
        long v = strtol(r, &end, 10);
        if (*end != '\0' || v < 0)
            return xb_error_set(err, XB_ERR_INVALID, "HEALTHCHECK --retries=%s: not a number", r);
        json_object_set_new(hc, "Retries", json_integer(v));
    }
    return xb_image_config_set_healthcheck(st->config, hc, err);
}

static int expose(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    cleanup_json json_t *ports = json_array();
    for (size_t i = 0; i < in->nargs; i++)
        if (xb_bx_expand_words(st, in->args[i], ports, err) < 0)
            return -1;
    size_t i;
    json_t *v;
    json_array_foreach(ports, i, v)
    {
        const char *p = json_string_value(v);
        const char *slash = strchr(p, '/');
        const char *dash = strchr(p, '-');
        if (dash != NULL && (slash == NULL || dash < slash)) {
            char *end;
            long lo = strtol(p, &end, 10), hi;
            if (end != dash)
                return xb_error_set(err, XB_ERR_INVALID, "EXPOSE: invalid port range %s", p);
            hi = strtol(dash + 1, &end, 10);
            if ((*end != '\0' && *end != '/') || hi < lo || hi - lo > 65535)
                return xb_error_set(err, XB_ERR_INVALID, "EXPOSE: invalid port range %s", p);
            for (long n = lo; n <= hi; n++) {
                char buf[64];
                snprintf(buf, sizeof(buf), "%ld%s", n, slash ? slash : "");
                if (xb_image_config_add_port(st->config, buf, err) < 0)
                    return -1;
            }
            continue;
        }
        if (xb_image_config_add_port(st->config, p, err) < 0)
            return -1;
    }
    return 0;
}

/* A signal as Docker's STOPSIGNAL takes it: a number, or a name with or without SIG (any case),
 * RTMIN+N / RTMAX-N included. */
static bool valid_signal(const char *s)
{
    static const char *const names[] = {
        "ABRT", "ALRM",   "BUS",   "CHLD", "CLD",  "CONT",  "FPE",  "HUP",    "ILL",  "INT",
        "IO",   "IOT",    "KILL",  "PIPE", "POLL", "PROF",  "PWR",  "QUIT",   "SEGV", "STKFLT",
        "STOP", "SYS",    "TERM",  "TRAP", "TSTP", "TTIN",  "TTOU", "UNUSED", "URG",  "USR1",
        "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX"};
    if (*s == '\0')
        return false;
    if (isdigit((unsigned char)*s)) {
        char *end;
        long n = strtol(s, &end, 10);
        return *end == '\0' && n >= 1 && n <= 64;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    size_t nl = strcspn(s, "+-");
    if (s[nl] != '\0') {
        if (!((nl == 5 && strncasecmp(s, "RTMIN", 5) == 0 && s[nl] == '+') ||
              (nl == 5 && strncasecmp(s, "RTMAX", 5) == 0 && s[nl] == '-')))
            return false;
        char *end;
        long n = strtol(s + nl + 1, &end, 10);
        if (*end != '\0' || n < 1 || n > 15)
            return false;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == nl && strncasecmp(s, names[i], nl) == 0)
            return true;
    return false;
}

static int workdir(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    cleanup_free char *w = NULL;
    if (xb_bx_expand(st, in->args[0], &w, err) < 0)
        return -1;
    json_t *cc = xb_image_config_container(st->config);
    const char *cur = xb_json_str(cc, "WorkingDir");
    cleanup_free char *joined = NULL;
    if (w[0] == '/' || cur == NULL || cur[0] == '\0')
        joined = strdup(w);
    else if (asprintf(&joined, "%s/%s", cur, w) < 0)
        joined = NULL;
    if (joined == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *clean = xb_clean_image_path(joined);
    cleanup_free char *abs = NULL;
    if (clean == NULL || asprintf(&abs, "/%s", clean) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return xb_image_config_set_string(st->config, "WorkingDir", abs, err);
}

/* ENV and LABEL: every expanded name=value pair through set (the config's env or labels). */
static int set_pairs(xb_bstage_t *st, const xb_df_instr_t *in,
                     int (*set)(json_t *, const char *, const char *, xb_error_t *),
                     xb_error_t *err)
{
    cleanup_json json_t *pairs = json_array();
    if (expand_pairs(st, in, pairs, err) < 0)
        return -1;
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p)
    {
        if (set(st->config, json_string_value(json_array_get(p, 0)),
                json_string_value(json_array_get(p, 1)), err) < 0)
            return -1;
    }
    return 0;
}

/* USER and STOPSIGNAL: one expanded word into the config field. */
static int set_word(xb_bstage_t *st, const xb_df_instr_t *in, const char *field, xb_error_t *err)
{
    cleanup_free char *v = NULL;
    if (xb_bx_expand(st, in->args[0], &v, err) < 0)
        return -1;
    if (strcmp(field, "StopSignal") == 0 && !valid_signal(v))
        return xb_error_set(err, XB_ERR_INVALID, "STOPSIGNAL: invalid signal '%s'", v);
    return xb_image_config_set_string(st->config, field, v, err);
}

static int volume(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    for (size_t i = 0; i < in->nargs; i++) {
        cleanup_free char *v = NULL;
        if (xb_bx_expand(st, in->args[i], &v, err) < 0)
            return -1;
        if (v[0] == '\0')
            return xb_error_set(err, XB_ERR_INVALID, "VOLUME: empty path");
        if (xb_image_config_add_volume(st->config, v, err) < 0)
            return -1;
    }
    return 0;
}

static void onbuild(xb_bstage_t *st, const xb_df_instr_t *in)
{
    json_t *cc = xb_image_config_container(st->config);
    json_t *ob = json_object_get(cc, "OnBuild");
    if (!json_is_array(ob)) {
        ob = json_array();
        json_object_set_new(cc, "OnBuild", ob);
    }
    /* heredoc bodies travel with the trigger, as in BuildKit's OnBuild entries */
    xb_buf_t t = XB_BUF_INIT;
    xb_buf_puts(&t, in->args[0]);
    const xb_df_instr_t *sub = in->onbuild ? in->onbuild : in;
    for (size_t h = 0; h < sub->nheredocs; h++) {
        xb_buf_putc(&t, '\n');
        xb_buf_puts(&t, sub->heredocs[h].content);
        xb_buf_puts(&t, sub->heredocs[h].name);
    }
    json_array_append_new(ob, json_string(t.data ? t.data : ""));
    xb_buf_free(&t);
}

/* What the instruction changes in the image config. */
static int apply_meta(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    const char *k = in->keyword;
    if (strcmp(k, "ENV") == 0)
        return set_pairs(st, in, xb_image_config_set_env, err);
    if (strcmp(k, "LABEL") == 0)
        return set_pairs(st, in, xb_image_config_set_label, err);
    if (strcmp(k, "EXPOSE") == 0)
        return expose(st, in, err);
    if (strcmp(k, "CMD") == 0) {
        cleanup_json json_t *a = command_array(st, in, 0);
        st->cmd_set = true;
        return set_array(st->config, "Cmd", a) < 0 ? -1 : 0;
    }
    if (strcmp(k, "ENTRYPOINT") == 0) {
        cleanup_json json_t *a = command_array(st, in, 0);
        int r = set_array(st->config, "Entrypoint", a) < 0 ? -1 : 0;
        if (!st->cmd_set)
            json_object_del(xb_image_config_container(st->config), "Cmd");
        return r;
    }
    if (strcmp(k, "WORKDIR") == 0)
        return workdir(st, in, err);
    if (strcmp(k, "USER") == 0)
        return set_word(st, in, "User", err);
    if (strcmp(k, "STOPSIGNAL") == 0)
        return set_word(st, in, "StopSignal", err);
    if (strcmp(k, "VOLUME") == 0)
        return volume(st, in, err);
    if (strcmp(k, "SHELL") == 0) {
        cleanup_json json_t *a = json_array();
        for (size_t i = 0; i < in->nargs; i++)
            json_array_append_new(a, json_string(in->args[i]));
        return set_array(st->config, "Shell", a) < 0 ? -1 : 0;
    }
    if (strcmp(k, "HEALTHCHECK") == 0)
        return healthcheck(st, in, err);
    if (strcmp(k, "ONBUILD") == 0) {
        onbuild(st, in);
        return 0;
    }
    if (strcmp(k, "MAINTAINER") == 0) {
        json_object_set_new(st->config, "author", json_string(in->args[0]));
        return 0;
    }
    return xb_error_set(err, XB_ERR_UNSUPPORTED, "unknown instruction %s", k);
}

int xb_bx_meta(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    const char *k = in->keyword;
    if (apply_meta(st, in, err) < 0)
        return -1;
    /* the key covers the resulting container config and ARG state */
    cleanup_json json_t *kd =
        json_pack("{s:s,s:s,s:O,s:O?,s:O}", "instr", k, "original", in->original, "config",
                  xb_image_config_container(st->config), "author",
                  json_object_get(st->config, "author"), "args", st->args);
    cleanup_json json_t *hit = NULL;
    if (kd == NULL || xb_bx_cache_chain(st, "meta", kd, err) < 0)
        return -1;
    int g = xb_bx_cache_get(st, &hit, err);
    if (g != 0)
        return g < 0 ? -1 : xb_bx_cache_apply(st, hit, err);
    if (strcmp(k, "WORKDIR") == 0) {
        cleanup_free char *by = NULL;
        if (asprintf(&by, "/bin/sh -c #(nop) %s", in->original) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        const char *wd = xb_json_str(xb_image_config_container(st->config), "WorkingDir");
        int made = xb_bx_workdir_mkdir(st, wd ? wd : "/", by, err);
        if (made != 0)
            return made < 0 ? xb_error_wrap(err, "WORKDIR") : 0;
    }
    if (history(st, in, err) < 0)
        return -1;
    xb_bx_cache_put(st, NULL, NULL);
    return 0;
}

int xb_bx_arg(xb_bstage_t *st, const xb_df_instr_t *in, xb_error_t *err)
{
    xb_bctx_t *b = st->b;
    for (size_t i = 0; i < in->nargs; i++) {
        const char *w = in->args[i];
        const char *eq = strchr(w, '=');
        cleanup_free char *name = eq ? strndup(w, (size_t)(eq - w)) : strdup(w);
        if (name == NULL || name[0] == '\0')
            return xb_error_set(err, XB_ERR_PARSE, "ARG: empty name");
        json_t *over = json_object_get(b->build_args, name);
        if (over != NULL) {
            json_object_set(st->args, name, over);
        } else if (eq != NULL) {
            cleanup_free char *v = NULL;
            if (xb_bx_expand(st, eq + 1, &v, err) < 0)
                return -1;
            json_object_set_new(st->args, name, json_string(v));
        } else if (json_object_get(b->global_args, name) != NULL) {
            json_object_set(st->args, name, json_object_get(b->global_args, name));
        } else {
            json_object_set_new(st->args, name, json_null());
        }
    }
    return xb_bx_cache_chain(st, "arg", st->args, err);
}
