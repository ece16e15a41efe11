/* The sandbox policy: capability sets, --device and -v parsing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "layer/inroot.h"
#include "run/policy.h"
#include "util/cleanup.h"

#define CAP(n)          (UINT64_C(1) << (n))
#define CAP_NET_RAW_BIT 13
#define CAP_LAST_BIT    40 /* CAP_CHECKPOINT_RESTORE (Linux 5.9) */

/* Docker's default set without CAP_MKNOD: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID,
 * SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, AUDIT_WRITE, SETFCAP. */
static const uint64_t default_caps = CAP(0) | CAP(1) | CAP(3) | CAP(4) | CAP(5) | CAP(6) | CAP(7) |
                                     CAP(8) | CAP(10) | CAP(13) | CAP(18) | CAP(29) | CAP(31);

static const char *const cap_names[] = {"CHOWN",
                                        "DAC_OVERRIDE",
                                        "DAC_READ_SEARCH",
                                        "FOWNER",
                                        "FSETID",
                                        "KILL",
                                        "SETGID",
                                        "SETUID",
                                        "SETPCAP",
                                        "LINUX_IMMUTABLE",
                                        "NET_BIND_SERVICE",
                                        "NET_BROADCAST",
                                        "NET_ADMIN",
                                        "NET_RAW",
                                        "IPC_LOCK",
                                        "IPC_OWNER",
                                        "SYS_MODULE",
                                        "SYS_RAWIO",
                                        "SYS_CHROOT",
                                        "SYS_PTRACE",
                                        "SYS_PACCT",
                                        "SYS_ADMIN",
                                        "SYS_BOOT",
                                        "SYS_NICE",
                                        "SYS_RESOURCE",
                                        "SYS_TIME",
                                        "SYS_TTY_CONFIG",
                                        "MKNOD",
                                        "LEASE",
                                        "AUDIT_WRITE",
                                        "AUDIT_CONTROL",
                                        "SETFCAP",
                                        "MAC_OVERRIDE",
                                        "MAC_ADMIN",
                                        "SYSLOG",
                                        "WAKE_ALARM",
                                        "BLOCK_SUSPEND",
                                        "AUDIT_READ",
                                        "PERFMON",
                                        "BPF",
                                        "CHECKPOINT_RESTORE"};

uint64_t xb_sandbox_policy_caps(const xb_sandbox_policy_t *p, bool host_network)
{
    uint64_t all = (CAP(CAP_LAST_BIT) << 1) - 1;
    if (p && p->privileged)
        return all & ~p->cap_drop;
    uint64_t caps = default_caps;
    if (host_network)
        caps &= ~CAP(CAP_NET_RAW_BIT);
    if (p)
        caps = (caps | p->cap_add) & ~p->cap_drop;
    return caps & all;
}

int xb_sandbox_cap_parse(const char *name, uint64_t *mask, xb_error_t *err)
{
    const char *n = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
    if (strcasecmp(n, "ALL") == 0) {
        *mask = (CAP(CAP_LAST_BIT) << 1) - 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
        if (strcasecmp(n, cap_names[i]) == 0) {
            *mask = CAP(i);
            return 0;
        }
    return xb_error_set(err, XB_ERR_INVALID,
                        "unknown capability '%s' (names as in capabilities(7), e.g. NET_ADMIN "
                        "or CAP_NET_ADMIN, or ALL)",
                        name);
}

static bool perms_valid(const char *s)
{
    if (*s == '\0' || strlen(s) > 3)
        return false;
    return strspn(s, "rwm") == strlen(s);
}

int xb_device_parse(const char *spec, xb_device_t *d, xb_error_t *err)
{
    memset(d, 0, sizeof *d);
    cleanup_free char *copy = strdup(spec);
    if (copy == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char *host = copy, *ctr = NULL, *perms = NULL;
    char *c1 = strchr(copy, ':');
    if (c1) {
        *c1 = '\0';
        char *c2 = strchr(c1 + 1, ':');
        if (c2) {
            *c2 = '\0';
            ctr = c1 + 1;
            perms = c2 + 1;
        } else if (perms_valid(c1 + 1)) {
            perms = c1 + 1;
        } else {
            ctr = c1 + 1;
        }
    }
    if (perms && !perms_valid(perms))
        return xb_error_set(err, XB_ERR_INVALID,
                            "--device %s: permissions '%s' must be letters of rwm", spec, perms);
    if (host[0] != '/')
        return xb_error_set(err, XB_ERR_INVALID, "--device %s: the host path must be absolute",
                            spec);
    struct stat st;
    if (stat(host, &st) < 0)
        return xb_error_errno(err, errno, "--device %s: cannot use %s", spec, host);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        return xb_error_set(err, XB_ERR_INVALID, "--device %s: %s is not a device node", spec,
                            host);
    if (ctr && ctr[0] != '/')
        return xb_error_set(err, XB_ERR_INVALID, "--device %s: the container path must be absolute",
                            spec);
    if (perms && strchr(perms, 'w') == NULL)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "--device %s: a read-only device needs a device cgroup, which xbuild "
                            "does not manage (a read-only mount does not stop writes to a device "
                            "node): pass rw or rwm",
                            spec);
    d->host = strdup(host);
    d->target = xb_inroot_clean_clamp(ctr ? ctr : host);
    if (d->host == NULL || d->target == NULL || *d->target == '\0') {
        xb_device_clear(d);
        return xb_error_set(err, XB_ERR_INVALID, "--device %s: invalid container path", spec);
    }
    return 0;
}

void xb_device_clear(xb_device_t *d)
{
    free(d->host);
    free(d->target);
    memset(d, 0, sizeof *d);
}

int xb_volume_parse(const char *spec, xb_volume_t *v, xb_error_t *err)
{
    memset(v, 0, sizeof *v);
    cleanup_free char *copy = strdup(spec);
    if (copy == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char *ctr = strchr(copy, ':');
    if (ctr == NULL || ctr == copy)
        return xb_error_set(err, XB_ERR_INVALID, "-v %s: expected HOST:CONTAINER[:ro]", spec);
    *ctr++ = '\0';
    char *opt = strchr(ctr, ':');
    if (opt) {
        *opt++ = '\0';
        if (strcmp(opt, "ro") != 0 && strcmp(opt, "rw") != 0)
            return xb_error_set(err, XB_ERR_INVALID, "-v %s: option '%s' is not ro or rw", spec,
                                opt);
        v->readonly = strcmp(opt, "ro") == 0;
    }
    if (ctr[0] != '/')
        return xb_error_set(err, XB_ERR_INVALID, "-v %s: the container path must be absolute",
                            spec);
    v->host = realpath(copy, NULL);
    if (v->host == NULL)
        return xb_error_errno(err, errno, "-v %s: cannot use host path %s", spec, copy);
    v->target = xb_inroot_clean_clamp(ctr);
    if (v->target == NULL || *v->target == '\0') {
        xb_volume_clear(v);
        return xb_error_set(err, XB_ERR_INVALID, "-v %s: cannot mount over the root", spec);
    }
    return 0;
}

void xb_volume_clear(xb_volume_t *v)
{
    free(v->host);
    free(v->target);
    memset(v, 0, sizeof *v);
}

void xb_sandbox_policy_clear(xb_sandbox_policy_t *p)
{
    for (size_t i = 0; i < p->ndevices; i++)
        xb_device_clear(&p->devices[i]);
    for (size_t i = 0; i < p->nvolumes; i++)
        xb_volume_clear(&p->volumes[i]);
    free(p->devices);
    free(p->volumes);
    p->devices = NULL;
    p->volumes = NULL;
    p->ndevices = p->nvolumes = 0;
}
