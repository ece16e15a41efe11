/* --mount and --secret parsing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layer/inroot.h"
#include "run/mounts.h"
#include "util/sys.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/suggest.h"

#define SECRET_MAX (1u << 20)

static bool parse_bool(const char *v)
{
    return v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "") == 0;
}

static int parse_long(const char *v, int base, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, base);
    if (errno || *end || end == v || x < 0)
        return -1;
    *out = x;
    return 0;
}

static int parse_size(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || x < 0)
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        x <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        x <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        x <<= 30;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return -1;
    *out = x;
    return 0;
}

void xb_run_mount_clear(xb_run_mount_t *m)
{
    free(m->target);
    free(m->source);
    free(m->from);
    free(m->id);
    free(m->env);
    free(m->lowerdir);
    free(m->src_root);
    free(m->src_rel);
    if (m->data) {
        explicit_bzero(m->data, m->len);
        free(m->data);
    }
    memset(m, 0, sizeof *m);
}

/* One key=value of a --mount spec into m (type and target kept aside until every key is read).
 * 0, or negative + err. */
static int mount_parse_key(xb_run_mount_t *m, char *kv, const char **type, char **target,
                           bool *rw_given, xb_error_t *err)
{
    int r = 0;
    char *v = strchr(kv, '=');
    if (v)
        *v++ = '\0';
    if (strcmp(kv, "type") == 0 && v)
        *type = v;
    else if ((strcmp(kv, "target") == 0 || strcmp(kv, "dst") == 0 ||
              strcmp(kv, "destination") == 0) &&
             v)
        *target = v;
    else if ((strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0) && v) {
        free(m->source);
        m->source = xb_inroot_clean(v, err);
        if (m->source == NULL)
            r = -1;
    } else if (strcmp(kv, "from") == 0 && v) {
        free(m->from);
        m->from = strdup(v);
    } else if (strcmp(kv, "id") == 0 && v) {
        free(m->id);
        m->id = strdup(v);
    } else if (strcmp(kv, "ro") == 0 || strcmp(kv, "readonly") == 0) {
        m->readonly = parse_bool(v);
        *rw_given = true;
    } else if (strcmp(kv, "rw") == 0 || strcmp(kv, "readwrite") == 0) {
        m->readonly = !parse_bool(v);
        *rw_given = true;
    } else if (strcmp(kv, "required") == 0)
        m->required = parse_bool(v);
    else if (strcmp(kv, "mode") == 0 && v) {
        if (parse_long(v, 8, &m->mode) < 0 || m->mode > 07777)
            r = xb_error_set(err, XB_ERR_INVALID, "--mount: invalid mode '%s'", v);
    } else if (strcmp(kv, "uid") == 0 && v) {
        if (parse_long(v, 10, &m->uid) < 0)
            r = xb_error_set(err, XB_ERR_INVALID, "--mount: invalid uid '%s'", v);
    } else if (strcmp(kv, "gid") == 0 && v) {
        if (parse_long(v, 10, &m->gid) < 0)
            r = xb_error_set(err, XB_ERR_INVALID, "--mount: invalid gid '%s'", v);
    } else if ((strcmp(kv, "size") == 0 || strcmp(kv, "tmpfs-size") == 0) && v) {
        if (parse_size(v, &m->size) < 0)
            r = xb_error_set(err, XB_ERR_INVALID, "--mount: invalid size '%s'", v);
    } else if (strcmp(kv, "env") == 0 && v) {
        free(m->env);
        m->env = strdup(v);
        if (m->env == NULL || !*v || strchr(v, '='))
            r = xb_error_set(err, XB_ERR_INVALID, "--mount: invalid env '%s'", v);
    } else if (strcmp(kv, "sharing") == 0) {
        /* sharing=shared|private|locked: one builder process at a time uses a cache dir */
    } else {
        static const char *const keys[] = {
            "type", "target", "dst",      "destination", "source",    "src",      "from",
            "id",   "ro",     "readonly", "rw",          "readwrite", "required", "mode",
            "uid",  "gid",    "size",     "tmpfs-size",  "sharing",   "env"};
        const char *hint = xb_suggest(kv, keys, sizeof keys / sizeof *keys, true);
        r = xb_error_set(err, XB_ERR_INVALID, "--mount: unexpected key '%s'%s%s%s", kv,
                         hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
    }
    return r;
}

/* m->type from the type= value (a bind mount is read-only unless rw was given). 0, or negative
 * + err with m cleared. */
static int mount_set_type(xb_run_mount_t *m, const char *type, bool rw_given, xb_error_t *err)
{
    if (strcmp(type, "bind") == 0) {
        m->type = XB_MOUNT_BIND;
        /* read-only unless rw was given */
        if (!rw_given)
            m->readonly = true;
    } else if (strcmp(type, "cache") == 0)
        m->type = XB_MOUNT_CACHE;
    else if (strcmp(type, "tmpfs") == 0)
        m->type = XB_MOUNT_TMPFS;
    else if (strcmp(type, "secret") == 0)
        m->type = XB_MOUNT_SECRET;
    else {
        xb_run_mount_clear(m);
        static const char *const types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
        const char *hint = xb_suggest(type, types, 5, true);
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "--mount: unsupported mount type \"%s\"%s%s%s",
                            type, hint ? " (did you mean " : "", hint ? hint : "",
                            hint ? "?)" : "");
    }
    return 0;
}

/* m->target (a secret defaults to /run/secrets/ID), the cache id and the bind source defaults.
 * 0, or negative + err with m cleared. */
static int mount_set_target(xb_run_mount_t *m, char *target, xb_error_t *err)
{
    if (m->type == XB_MOUNT_SECRET) {
        if (m->id == NULL && target) {
            const char *b = strrchr(target, '/');
            m->id = strdup(b ? b + 1 : target);
        }
        if (m->id == NULL || !*m->id) {
            xb_run_mount_clear(m);
            return xb_error_set(err, XB_ERR_INVALID, "--mount=type=secret needs an id");
        }
        char def[300];
        snprintf(def, sizeof def, "/run/secrets/%s", m->id);
        if (target == NULL && m->env != NULL)
            return 0; /* env= alone: the value in the environment, no file (BuildKit) */
        if (target == NULL)
            target = def;
        m->target = xb_inroot_clean(target, err);
    } else {
        if (target == NULL) {
            xb_run_mount_clear(m);
            return xb_error_set(err, XB_ERR_INVALID, "--mount: target is required");
        }
        m->target = xb_inroot_clean(target, err);
    }
    if (m->target == NULL) {
        xb_run_mount_clear(m);
        return xb_error_wrap(err, "--mount target");
    }
    if (*m->target == '\0' || strchr(m->target, '\n')) {
        xb_run_mount_clear(m);
        return xb_error_set(err, XB_ERR_INVALID, "--mount: invalid target '%s'", target);
    }
    if (m->type == XB_MOUNT_CACHE && m->id == NULL)
        m->id = strdup(m->target);
    if (m->source == NULL && m->type == XB_MOUNT_BIND)
        m->source = strdup("");
    return 0;
}

int xb_run_mount_parse(const char *spec, xb_run_mount_t *m, xb_error_t *err)
{
    memset(m, 0, sizeof *m);
    m->mode = m->uid = m->gid = -1;
    if (strlen(spec) > 4096)
        return xb_error_set(err, XB_ERR_INVALID, "--mount spec too long");
    cleanup_free char *copy = strdup(spec);
    char *target = NULL, *save = NULL;
    const char *type = "bind";
    bool rw_given = false;
    int r = 0;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        r = mount_parse_key(m, kv, &type, &target, &rw_given, err);
        if (r < 0)
            break;
    }
    if (r < 0) {
        xb_run_mount_clear(m);
        return r;
    }
    r = mount_set_type(m, type, rw_given, err);
    if (r < 0)
        return r;
    return mount_set_target(m, target, err);
}

static char *spec_get(const char *spec, const char *key)
{
    size_t kl = strlen(key);
    const char *p = spec;
    while (p && *p) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            return strndup(v, strcspn(v, ","));
        }
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return NULL;
}

int xb_secret_lookup(const char *const *specs, const char *const *environ_, const char *id,
                     char **data, size_t *len, bool *found, xb_error_t *err)
{
    *found = false;
    *data = NULL;
    *len = 0;
    for (size_t i = 0; specs && specs[i]; i++) {
        cleanup_free char *sid = spec_get(specs[i], "id");
        if (sid == NULL || strcmp(sid, id) != 0)
            continue;
        *found = true;
        cleanup_free char *src = spec_get(specs[i], "src");
        if (src == NULL)
            src = spec_get(specs[i], "source");
        cleanup_free char *env = spec_get(specs[i], "env");
        if (src) {
            if (xb_read_file(src, SECRET_MAX, data, len, err) < 0)
                return xb_error_wrap(err, "secret '%s'", id);
            return 0;
        }
        const char *v = xb_env_lookup(environ_, env ? env : id);
        if (v == NULL)
            return xb_error_set(err, XB_ERR_NOT_FOUND,
                                "secret '%s': environment variable %s is not set", id,
                                env ? env : id);
        *len = strlen(v);
        *data = strdup(v);
        return 0;
    }
    return 0;
}
