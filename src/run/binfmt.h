/* binfmt_misc management for qemu-user emulators: status, install, uninstall, and the check
 * the build runs before the first RUN of a non-native platform. */
#ifndef XB_RUN_BINFMT_H
#define XB_RUN_BINFMT_H

#include <limits.h>
#include <stdbool.h>

#include "run/arch.h"
#include "run/archprobe.h"
#include "util/error.h"

typedef struct xb_binfmt_status {
    const xb_arch_t *arch;
    bool native;     /* the kernel runs it directly */
    xb_native_t how; /* why native or not: host, probe ran/failed, foreign */
    bool registered; /* an entry whose magic/mask matches the arch exists */
    bool enabled;    /* ... and is enabled */
    char name[64];   /* entry name under /proc/sys/fs/binfmt_misc */
    char interpreter[PATH_MAX];
    char flags[16];      /* e.g. "POCF" */
    bool fix_binary;     /* F: the interpreter was opened at registration (works in chroots) */
    bool preserve_argv0; /* P */
    bool interp_exists;
    bool interp_static; /* the interpreter has no PT_INTERP (statically linked) */
    int other_entries;  /* further matching entries (e.g. a second registration) */
} xb_binfmt_status_t;

/* The binfmt_misc directory (XBUILD_BINFMT_DIR overrides /proc/sys/fs/binfmt_misc). */
const char *xb_binfmt_dir(void);
/* Mounts binfmt_misc when it is not mounted yet. */
int xb_binfmt_mount(xb_error_t *err);
/* Fills *st for one architecture (never fails for a missing registration). probe_cache, in
 * every call here: the per-boot answers of the native probe (see run/archprobe.h), or NULL. */
int xb_binfmt_query(const xb_arch_t *a, const char *probe_cache, xb_binfmt_status_t *st,
                    xb_error_t *err);
/* Registers qemu for a (no-op for an arch the kernel runs natively, as probed, or a working F
 * registration). Uses Debian's
 * /usr/libexec/qemu-binfmt/<qemu>-binfmt-P with flags POCF, else /usr/bin/qemu-<qemu>-static
 * with OCF. *what (may be NULL) receives a static description of what was done. */
int xb_binfmt_install(const xb_arch_t *a, const char *probe_cache, const char **what,
                      xb_error_t *err);
/* Removes every registration matching a's magic. Returns the number removed. */
int xb_binfmt_uninstall(const xb_arch_t *a, xb_error_t *err);
/* Checks that binaries of a run here (natively or via a usable F registration); with install
 * registers on the fly. Errors say which arch and which command fixes it. */
int xb_binfmt_check_arch(const xb_arch_t *a, const char *probe_cache, bool install,
                         xb_error_t *err);
/* Same with an OCI architecture/variant pair (variant may be NULL). */
int xb_binfmt_check_name(const char *arch, const char *variant, const char *probe_cache,
                         bool install, xb_error_t *err);
/* ELF inspection: 1 when path is an ELF file with a PT_INTERP program header (dynamically
 * linked), 0 when static, negative on error (not ELF, unreadable). */
int xb_elf_is_dynamic(const char *path, xb_error_t *err);

#endif
