/* /etc/passwd and /etc/group parsing for USER. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/user.h"
#include "util/cleanup.h"

/* Opens a regular file only (a FIFO or device planted as /etc/passwd must not block or feed
 * endless data). */
static FILE *open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (f == NULL)
        close(fd);
    return f;
}

static bool parse_id(const char *s, unsigned long *out)
{
    if (*s == '\0')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 0x7fffffffUL)
        return false;
    *out = v;
    return true;
}

/* Splits a colon-separated line in place (max n fields). Returns the count. */
static int split(char *line, char **f, int n)
{
    int k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == ':') {
            *p = '\0';
            f[k++] = p + 1;
        }
    return k;
}

int xb_user_resolve(const char *spec, const char *passwd, const char *group, xb_user_t *u,
                    xb_error_t *err)
{
    memset(u, 0, sizeof *u);
    strcpy(u->home, "/root");
    char user[256], grp[256];
    const char *colon = strchr(spec ? spec : "", ':');
    snprintf(user, sizeof user, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec ? spec : ""),
             spec ? spec : "");
    snprintf(grp, sizeof grp, "%s", colon ? colon + 1 : "");
    /* no USER: uid 0, with root's supplementary groups from /etc/group (BuildKit) */
    bool dflt = *user == '\0' && *grp == '\0';
    if (dflt)
        strcpy(user, "0");
    unsigned long num;
    bool user_numeric = parse_id(user, &num);
    bool found = false;
    char uname[256] = "";
    cleanup_fclose FILE *pf = open_regular(passwd);
    char line[1024];
    while (pf && fgets(line, sizeof line, pf)) {
        line[strcspn(line, "\n")] = '\0';
        char *f[7];
        if (split(line, f, 7) < 7)
            continue;
        unsigned long uid, gid;
        if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
            continue;
        if (user_numeric ? uid == num : strcmp(f[0], user) == 0) {
            u->uid = (uid_t)uid;
            u->gid = (gid_t)gid;
            snprintf(uname, sizeof uname, "%s", f[0]);
            snprintf(u->home, sizeof u->home, "%s", f[5]);
            found = true;
            break;
        }
    }
    if (!found) {
        if (!user_numeric)
            return xb_error_set(err, XB_ERR_NOT_FOUND,
                                "unable to find user %s: no matching "
                                "entries in passwd file",
                                user);
        u->uid = (uid_t)num;
        u->gid = 0;
        strcpy(u->home, dflt ? "/root" : "/");
    }
    bool gid_set = false;
    if (*grp) {
        if (parse_id(grp, &num)) {
            u->gid = (gid_t)num;
            gid_set = true;
        }
    }
    cleanup_fclose FILE *gf = open_regular(group);
    char gline[4096];
    u->ngroups = 0;
    while (gf && fgets(gline, sizeof gline, gf)) {
        gline[strcspn(gline, "\n")] = '\0';
        char *f[4];
        if (split(gline, f, 4) < 4)
            continue;
        unsigned long gid;
        if (!parse_id(f[2], &gid))
            continue;
        if (*grp && !gid_set && strcmp(f[0], grp) == 0) {
            u->gid = (gid_t)gid;
            gid_set = true;
        }
        if (*uname && !*grp) { /* supplementary groups only without an explicit group */
            char *save = NULL;
            for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
                if (strcmp(m, uname) == 0 && u->ngroups < XB_USER_MAX_GROUPS - 1)
                    u->groups[u->ngroups++] = (gid_t)gid;
        }
    }
    if (*grp && !gid_set)
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "unable to find group %s: no matching "
                            "entries in group file",
                            grp);
    bool has = false;
    for (size_t i = 0; i < u->ngroups; i++)
        has |= u->groups[i] == u->gid;
    if (!has && u->ngroups < XB_USER_MAX_GROUPS)
        u->groups[u->ngroups++] = u->gid;
    return 0;
}
