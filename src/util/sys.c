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
