/* Settings that apply to every RUN step of a build, from the command line (buildah/buildx
 * `bud --add-host --ulimit --volume --cap-add --cap-drop --security-opt`). The build passes
 * one of these, unchanged, with every RUN request; the sandbox applies it.
 *
 * Every string is borrowed (owned by the caller, usually argv); every list is NULL-terminated
 * or NULL. xb_run_opts_check() validates the whole struct up front, so a bad value is a usage
 * error before anything is built; the sandbox re-parses the same strings with the same
 * functions (pure, no allocation) when it applies them. */
#ifndef XB_RUN_RUNOPTS_H
#define XB_RUN_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "util/error.h"

typedef struct xb_run_opts {
    const char *const *add_hosts; /* "name:ip" or "name=ip" (ip may be "[v6]"): /etc/hosts */
    const char *const *ulimits;   /* "type=soft[:hard]" (-1: unlimited), e.g. "nofile=1024:2048" */
    const char *const *volumes;   /* "HOSTPATH:CTRPATH[:OPTS]", OPTS a comma list of ro/rw/z/Z/
                                     [r]shared/[r]slave/[r]private/[no]exec/[no]suid/[no]dev */
    const char *const *cap_add;   /* "CAP_NET_ADMIN", "NET_ADMIN" or "ALL" (any case) */
    const char *const *cap_drop;
    bool no_new_privileges;  /* --security-opt no-new-privileges */
    bool seccomp_unconfined; /* --security-opt seccomp=unconfined: no seccomp filter in RUN */
} xb_run_opts_t;

/* Validates every field; errors (XB_ERR_INVALID) name the flag and the value. */
int xb_run_opts_check(const xb_run_opts_t *o, xb_error_t *err);

/* "name:ip" / "name=ip" -> the /etc/hosts line "ip\tname\n" into buf (size n). */
int xb_run_host_line(const char *spec, char *buf, size_t n, xb_error_t *err);

/* "nofile=1024[:2048]" -> RLIMIT_NOFILE and the limits (hard = soft when not given). */
int xb_run_ulimit_parse(const char *spec, int *resource, struct rlimit *rl, xb_error_t *err);

/* "CAP_SYS_ADMIN" / "sys_admin" -> 21; "ALL" -> -1. */
int xb_run_cap_parse(const char *name, int *cap, xb_error_t *err);

/* Whether capability cap stays in RUN's bounding set: deflt (the sandbox's default set)
 * changed by --cap-add/--cap-drop in the order buildah applies them (drop wins over add for
 * the same capability; ALL in either list applies to every capability). */
bool xb_run_cap_kept(const xb_run_opts_t *o, int cap, bool deflt);

/* A volume spec split: host path, container path (cleaned, relative to the root), read-only.
 * host and ctr are new strings (caller frees). */
int xb_run_volume_parse(const char *spec, char **host, char **ctr, bool *readonly, xb_error_t *err);

#endif
