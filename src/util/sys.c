#include "util/sys.h"
#include "util/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int xb_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

const char *xb_env_lookup(const char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (; env != NULL && *env != NULL; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

bool xb_sys_in_userns(void)
{
    char buf[256];
    ssize_t n = xb_read_small("/proc/self/uid_map", buf, sizeof buf, 0);
    if (n <= 0)
        return false;
    unsigned long in, out, count;
    /* the initial namespace: "0 0 4294967295", one line */
    if (sscanf(buf, "%lu %lu %lu", &in, &out, &count) == 3 && in == 0 && out == 0 &&
        count == 4294967295UL && strchr(buf, '\n') == buf + n - 1)
        return false;
    return true;
}

const char *xb_sys_overlay_opaque_xattr(void)
{
    return xb_sys_in_userns() ? "user.overlay.opaque" : "trusted.overlay.opaque";
}

char *xb_sys_boot_id(void)
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f == NULL)
        return NULL;
    char line[64];
    char *r = NULL;
    if (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        r = strdup(line);
    }
    fclose(f);
    return r;
}

int xb_sys_proc_stat(int pid, char *state, int first, int n, unsigned long long *out)
{
    char path[48], buf[1024];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    if (first < 4 || xb_read_small(path, buf, sizeof buf, 0) < 0)
        return -1;
    char *q = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (q == NULL || q[1] != ' ' || q[2] == '\0')
        return -1;
    *state = q[2];
    q += 3; /* at the space before field 4 */
    for (int field = 4; field < first + n; field++) {
        if (*q != ' ')
            return -1;
        char *end;
        unsigned long long v = strtoull(q + 1, &end, 10);
        if (end == q + 1)
            return -1;
        if (field >= first)
            out[field - first] = v;
        q = end;
    }
    return 0;
}
