/* Parsing of the build-wide RUN settings (run/runopts.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "layer/inroot.h"
#include "run/policy.h"
#include "run/runopts.h"
#include "util/cleanup.h"

int xb_run_cap_parse(const char *name, int *cap, xb_error_t *err)
{
    uint64_t mask; /* the one capability name table is run/policy.c's */
    if (xb_sandbox_cap_parse(name, &mask, err) < 0)
        return -1;
    *cap = (mask & (mask - 1)) != 0 ? -1 : __builtin_ctzll(mask); /* ALL: -1 */
    return 0;
}

static bool in_list(const char *const *list, int cap)
{
    for (size_t i = 0; list && list[i]; i++) {
        int c;
        xb_error_t e = XB_ERROR_INIT;
        if (xb_run_cap_parse(list[i], &c, &e) < 0) {
            xb_error_clear(&e);
            continue;
        }
        if (c == -1 || c == cap)
            return true;
    }
    return false;
}

bool xb_run_cap_kept(const xb_run_opts_t *o, int cap, bool deflt)
{
    if (o == NULL)
        return deflt;
    if (in_list(o->cap_drop, cap)) {
        /* "--cap-drop ALL --cap-add X" keeps X, as in buildah and Docker */
        bool named_add = false;
        for (size_t i = 0; o->cap_add && o->cap_add[i]; i++) {
            int c;
            xb_error_t e = XB_ERROR_INIT;
            if (xb_run_cap_parse(o->cap_add[i], &c, &e) == 0 && c == cap)
                named_add = true;
            xb_error_clear(&e);
        }
        bool named_drop = false;
        for (size_t i = 0; o->cap_drop && o->cap_drop[i]; i++) {
            int c;
            xb_error_t e = XB_ERROR_INIT;
            if (xb_run_cap_parse(o->cap_drop[i], &c, &e) == 0 && c == cap)
                named_drop = true;
            xb_error_clear(&e);
        }
        return named_add && !named_drop;
    }
    return deflt || in_list(o->cap_add, cap);
}

static const struct {
    const char *name;
    int res;
} ulimit_names[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},       {"as", RLIMIT_AS},
};

static int parse_limit(const char *s, const char *end, rlim_t *out)
{
    if (end - s == 2 && strncmp(s, "-1", 2) == 0) {
        *out = RLIM_INFINITY;
        return 0;
    }
    if (s == end)
        return -1;
    unsigned long long v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9' || v > (~0ULL - 9) / 10)
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    *out = (rlim_t)v;
    return 0;
}

int xb_run_ulimit_parse(const char *spec, int *resource, struct rlimit *rl, xb_error_t *err)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL)
        return xb_error_set(err, XB_ERR_INVALID,
                            "--ulimit %s: expected TYPE=SOFT[:HARD], e.g. nofile=1024:2048", spec);
    size_t i, n = sizeof ulimit_names / sizeof ulimit_names[0];
    for (i = 0; i < n; i++)
        if (strlen(ulimit_names[i].name) == (size_t)(eq - spec) &&
            strncmp(spec, ulimit_names[i].name, (size_t)(eq - spec)) == 0)
            break;
    if (i == n)
        return xb_error_set(err, XB_ERR_INVALID,
                            "--ulimit %s: unknown type (core, cpu, data, fsize, locks, memlock, "
                            "msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, "
                            "stack, as)",
                            spec);
    const char *v = eq + 1, *colon = strchr(v, ':');
    const char *vend = colon ? colon : v + strlen(v);
    if (parse_limit(v, vend, &rl->rlim_cur) < 0 ||
        (colon && parse_limit(colon + 1, colon + 1 + strlen(colon + 1), &rl->rlim_max) < 0))
        return xb_error_set(err, XB_ERR_INVALID, "--ulimit %s: limits are numbers or -1", spec);
    if (colon == NULL)
        rl->rlim_max = rl->rlim_cur;
    if (rl->rlim_max != RLIM_INFINITY &&
        (rl->rlim_cur == RLIM_INFINITY || rl->rlim_cur > rl->rlim_max))
        return xb_error_set(err, XB_ERR_INVALID,
                            "--ulimit %s: the soft limit is above the hard limit", spec);
    *resource = ulimit_names[i].res;
    return 0;
}

int xb_run_host_line(const char *spec, char *buf, size_t n, xb_error_t *err)
{
    /* "name=ip" first (an IPv6 address has colons), then "name:ip" */
    const char *sep = strchr(spec, '=');
    if (sep == NULL)
        sep = strchr(spec, ':');
    if (sep == NULL || sep == spec || sep[1] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "--add-host %s: expected HOST:IP or HOST=IP",
                            spec);
    char ip[64];
    const char *a = sep + 1;
    size_t al = strlen(a);
    if (a[0] == '[' && al > 2 && a[al - 1] == ']') {
        a++;
        al -= 2;
    }
    if (al >= sizeof ip)
        return xb_error_set(err, XB_ERR_INVALID, "--add-host %s: not an IP address", spec);
    memcpy(ip, a, al);
    ip[al] = '\0';
    unsigned char addr[16];
    if (strcmp(ip, "host-gateway") == 0)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "--add-host %s: host-gateway is not supported (RUN shares the "
                            "host's network or has none); give the address",
                            spec);
    if (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
        return xb_error_set(err, XB_ERR_INVALID, "--add-host %s: '%s' is not an IP address", spec,
                            ip);
    size_t hl = (size_t)(sep - spec);
    for (size_t i = 0; i < hl; i++)
        if (spec[i] == ' ' || spec[i] == '\t' || spec[i] == '\n' || spec[i] == '#')
            return xb_error_set(err, XB_ERR_INVALID, "--add-host %s: invalid host name", spec);
    int w = snprintf(buf, n, "%s\t%.*s\n", ip, (int)hl, spec);
    if (w < 0 || (size_t)w >= n)
        return xb_error_set(err, XB_ERR_INVALID, "--add-host %s: too long", spec);
    return 0;
}

static bool volume_opt_ok(const char *o, size_t len)
{
    static const char *const ok[] = {"ro",      "rw",     "z",      "Z",       "shared",
                                     "rshared", "slave",  "rslave", "private", "rprivate",
                                     "exec",    "noexec", "suid",   "nosuid",  "dev",
                                     "nodev",   "bind",   "rbind",  "U",       "O"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strlen(ok[i]) == len && strncmp(o, ok[i], len) == 0)
            return true;
    return false;
}

int xb_run_volume_parse(const char *spec, char **host, char **ctr, bool *readonly, xb_error_t *err)
{
    *host = *ctr = NULL;
    *readonly = false;
    const char *c1 = strchr(spec, ':');
    if (c1 == NULL || c1 == spec || spec[0] != '/')
        return xb_error_set(err, XB_ERR_INVALID,
                            "--volume %s: expected /HOST/PATH:/CONTAINER/PATH[:ro] (named "
                            "volumes are not supported)",
                            spec);
    const char *c2 = strchr(c1 + 1, ':');
    size_t cl = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    if (cl == 0 || c1[1] != '/')
        return xb_error_set(err, XB_ERR_INVALID, "--volume %s: the container path must be absolute",
                            spec);
    for (const char *o = c2 ? c2 + 1 : NULL; o && *o;) {
        size_t len = strcspn(o, ",");
        if (len == 1 && o[0] == 'O')
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "--volume %s: overlay volumes (O) are not supported", spec);
        if (!volume_opt_ok(o, len))
            return xb_error_set(err, XB_ERR_INVALID, "--volume %s: unknown option '%.*s'", spec,
                                (int)len, o);
        if (len == 2 && strncmp(o, "ro", 2) == 0)
            *readonly = true;
        o += len + (o[len] == ',');
    }
    cleanup_free char *cpath = strndup(c1 + 1, cl);
    *host = strndup(spec, (size_t)(c1 - spec));
    *ctr = cpath ? xb_inroot_clean(cpath, err) : NULL;
    if (*host == NULL || *ctr == NULL) {
        free(*host);
        free(*ctr);
        *host = *ctr = NULL;
        return err->code ? -err->code : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    if ((*ctr)[0] == '\0') {
        free(*host);
        free(*ctr);
        *host = *ctr = NULL;
        return xb_error_set(err, XB_ERR_INVALID, "--volume %s: cannot mount over /", spec);
    }
    return 0;
}

int xb_run_opts_check(const xb_run_opts_t *o, xb_error_t *err)
{
    if (o == NULL)
        return 0;
    char line[512];
    for (size_t i = 0; o->add_hosts && o->add_hosts[i]; i++)
        if (xb_run_host_line(o->add_hosts[i], line, sizeof line, err) < 0)
            return -err->code;
    for (size_t i = 0; o->ulimits && o->ulimits[i]; i++) {
        int res;
        struct rlimit rl;
        if (xb_run_ulimit_parse(o->ulimits[i], &res, &rl, err) < 0)
            return -err->code;
    }
    for (size_t i = 0; o->volumes && o->volumes[i]; i++) {
        cleanup_free char *h = NULL, *c = NULL;
        bool ro;
        if (xb_run_volume_parse(o->volumes[i], &h, &c, &ro, err) < 0)
            return -err->code;
    }
    const char *const *lists[] = {o->cap_add, o->cap_drop};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            int cap;
            if (xb_run_cap_parse(lists[l][i], &cap, err) < 0)
                return xb_error_wrap(err, "%s", l == 0 ? "--cap-add" : "--cap-drop");
        }
    }
    return 0;
}
