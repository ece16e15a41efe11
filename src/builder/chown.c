#include "builder/chown.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "builder/rootfs.h"
#include "util/cleanup.h"

#define ID_FILE_MAX (4u * 1024 * 1024)

static bool parse_id(const char *s, size_t n, unsigned long *out)
{
    if (n == 0 || n > 10)
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > UINT32_MAX - 1)
        return false;
    *out = v;
    return true;
}

/* Finds the line whose first field is name; returns field idx (0-based) as number. */
static int field_lookup(const char *text, const char *name, int f1, unsigned long *v1, int f2,
                        unsigned long *v2)
{
    size_t nl = strlen(name);
    const char *line = text;
    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t ll = end ? (size_t)(end - line) : strlen(line);
        if (ll > nl && strncmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *fields[8] = {0};
            size_t lens[8] = {0};
            int nf = 0;
            const char *p = line;
            while (nf < 8 && p <= line + ll) {
                const char *c = memchr(p, ':', (size_t)(line + ll - p));
                fields[nf] = p;
                lens[nf] = c ? (size_t)(c - p) : (size_t)(line + ll - p);
                nf++;
                if (c == NULL)
                    break;
                p = c + 1;
            }
            if (f1 < nf && parse_id(fields[f1], lens[f1], v1) &&
                (f2 < 0 || (f2 < nf && parse_id(fields[f2], lens[f2], v2))))
                return 0;
            return -1;
        }
        line = end ? end + 1 : NULL;
    }
    return -1;
}

int xb_passwd_lookup(const char *passwd, const char *name, uid_t *uid, gid_t *gid, xb_error_t *err)
{
    unsigned long u, g;
    if (passwd == NULL || field_lookup(passwd, name, 2, &u, 3, &g) < 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "user %s not found in /etc/passwd", name);
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

int xb_group_lookup(const char *group, const char *name, gid_t *gid, xb_error_t *err)
{
    unsigned long g;
    if (group == NULL || field_lookup(group, name, 2, &g, -1, NULL) < 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "group %s not found in /etc/group", name);
    *gid = (gid_t)g;
    return 0;
}

static int read_id_file(xb_store_t *s, const json_t *layers, const char *path, char **out,
                        xb_error_t *err)
{
    size_t len;
    xb_error_t e = XB_ERROR_INIT;
    if (layers == NULL || json_array_size(layers) == 0) {
        *out = NULL;
        return 0;
    }
    int r = xb_layer_stack_read_file(s, layers, path, ID_FILE_MAX, out, &len, &e);
    if (r < 0 && e.code == XB_ERR_NOT_FOUND) {
        xb_error_clear(&e);
        *out = NULL;
        return 0;
    }
    if (r < 0) {
        xb_error_move(err, &e);
        return -1;
    }
    return 0;
}

/* lenient (BuildKit's owner of WORKDIR's directories): a name missing from the image's files,
 * or files missing, leaves the id as it is (user 0, group the user's) instead of failing. */
static int resolve(xb_store_t *s, const json_t *layers, const char *spec, bool lenient, uid_t *uid,
                   gid_t *gid, xb_error_t *err)
{
    const char *colon = strchr(spec, ':');
    cleanup_free char *user = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
    const char *group = colon ? colon + 1 : NULL;
    unsigned long v;
    if (user == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (user[0] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "--chown=%s: empty user", spec);
    if (group != NULL && group[0] == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "--chown=%s: empty group", spec);
    cleanup_free char *passwd = NULL;
    cleanup_free char *grp = NULL;
    *uid = 0;
    *gid = 0;
    bool user_num = parse_id(user, strlen(user), &v);
    if (user_num) {
        *uid = (uid_t)v;
        *gid = (gid_t)v;
    } else {
        if (read_id_file(s, layers, "/etc/passwd", &passwd, err) < 0)
            return -1;
        if (passwd == NULL && !lenient)
            return xb_error_set(err, XB_ERR_NOT_FOUND,
                                "--chown=%s: the image has no /etc/passwd to look up user %s", spec,
                                user);
        gid_t pg = 0;
        xb_error_t e = XB_ERROR_INIT;
        if (xb_passwd_lookup(passwd, user, uid, &pg, &e) < 0) {
            if (!lenient) {
                xb_error_move(err, &e);
                return xb_error_wrap(err, "--chown=%s", spec);
            }
            xb_error_clear(&e);
            *uid = 0;
        }
        /* a user name without group: the user's primary group from /etc/passwd (BuildKit) */
        *gid = pg;
    }
    if (group == NULL)
        return 0;
    if (parse_id(group, strlen(group), &v)) {
        *gid = (gid_t)v;
        return 0;
    }
    if (read_id_file(s, layers, "/etc/group", &grp, err) < 0)
        return -1;
    if (grp == NULL && !lenient)
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "--chown=%s: the image has no /etc/group to look up group %s", spec,
                            group);
    gid_t g = 0;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_group_lookup(grp, group, &g, &e) < 0) {
        if (!lenient) {
            xb_error_move(err, &e);
            return xb_error_wrap(err, "--chown=%s", spec);
        }
        xb_error_clear(&e);
        return 0;
    }
    *gid = g;
    return 0;
}

int xb_chown_resolve(xb_store_t *s, const json_t *layers, const char *spec, uid_t *uid, gid_t *gid,
                     xb_error_t *err)
{
    return resolve(s, layers, spec, false, uid, gid, err);
}

int xb_chown_resolve_lenient(xb_store_t *s, const json_t *layers, const char *spec, uid_t *uid,
                             gid_t *gid, xb_error_t *err)
{
    return resolve(s, layers, spec, true, uid, gid, err);
}
