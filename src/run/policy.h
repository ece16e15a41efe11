/* What a RUN step or `xbuild run` may reach beyond its rootfs: capabilities, the seccomp
 * filter, host devices and host volumes, the terminal. A zeroed struct (or NULL where a
 * policy pointer is taken) is the default, hardened policy (docs/design/run.md, "Sandbox
 * policy"): Docker's default capabilities minus CAP_MKNOD (and minus CAP_NET_RAW on the host
 * network), the default seccomp filter, no host device, no host volume, no terminal.
 * The build side (bud --cap-add/--security-opt) fills the same struct. */
#ifndef XB_RUN_POLICY_H
#define XB_RUN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* A host device node made visible in the sandbox (--device HOST[:CTR][:rwm]). */
typedef struct xb_device {
    char *host;   /* absolute host path of a character or block device node (owned) */
    char *target; /* cleaned path inside the container, relative to its root (owned) */
} xb_device_t;

/* A host directory or file bind-mounted into the sandbox (-v HOST:CTR[:ro]); writes reach
 * the host. */
typedef struct xb_volume {
    char *host;   /* absolute host path (owned) */
    char *target; /* cleaned path inside the container, relative to its root (owned) */
    bool readonly;
} xb_volume_t;

typedef struct xb_sandbox_policy {
    bool privileged;         /* all capabilities, no seccomp filter, writable /sys and /proc/sys,
                                a /dev without nodev; devices still only with --device */
    bool seccomp_unconfined; /* --security-opt seccomp=unconfined */
    bool no_new_privs;       /* --security-opt no-new-privileges */
    uint64_t cap_add;        /* bit N = capability N, added to the default set */
    uint64_t cap_drop;       /* removed from it (wins over cap_add; ALL = ~0) */
    xb_device_t *devices;    /* owned by whoever filled the struct */
    size_t ndevices;
    xb_volume_t *volumes;
    size_t nvolumes;
    bool tty;         /* the command gets a fresh pty (allocated by xbuild) as 0/1/2 */
    bool interactive; /* xbuild's stdin is relayed to the command's stdin (else /dev/null) */
} xb_sandbox_policy_t;

/* The bounding set a step gets under p (NULL = defaults); host_network: the step shares the
 * host's network namespace (CAP_NET_RAW then leaves the default set). */
uint64_t xb_sandbox_policy_caps(const xb_sandbox_policy_t *p, bool host_network);

/* Capability name ("NET_RAW", "CAP_NET_RAW", "net_raw", or "ALL") -> mask. */
int xb_sandbox_cap_parse(const char *name, uint64_t *mask, xb_error_t *err);

/* Parses --device HOST[:CTR][:PERMS] (PERMS from r, w, m; default rwm; without w it is refused:
 * only a device cgroup could enforce it): HOST must be a device node. *d owns its strings
 * afterwards (xb_device_clear). */
int xb_device_parse(const char *spec, xb_device_t *d, xb_error_t *err);
void xb_device_clear(xb_device_t *d);

/* Parses -v HOST:CTR[:ro|rw] (HOST made absolute and must exist). */
int xb_volume_parse(const char *spec, xb_volume_t *v, xb_error_t *err);
void xb_volume_clear(xb_volume_t *v);

/* Frees the devices and volumes arrays of p (and their strings). */
void xb_sandbox_policy_clear(xb_sandbox_policy_t *p);

#endif
