/* binfmt_misc management for qemu-user emulators: status, install, uninstall, and the check
 * the build runs before the first RUN of a non-native platform. */
#ifndef XB_RUN_BINFMT_H
#define XB_RUN_BINFMT_H

#include <limits.h>
#include <stdbool.h>

#include "run/arch.h"
#include "run/archprobe.h"
#include "util/error.h"

/* Whether a RUN step could modify the emulator the kernel starts for an architecture: a
 * registration with F keeps the interpreter's open file, and every emulated process's
 * /proc/PID/exe leads to it. */
typedef enum {
    XB_GUARD_UNKNOWN = 0, /* not probed (no F registration) or the probe failed */
    XB_GUARD_SAFE,        /* read-only mount, or an owner this user namespace cannot map */
    XB_GUARD_EXPOSED,     /* root in a RUN step can chmod/chown it (not write: ETXTBSY) */
} xb_guard_state_t;

typedef struct xb_binfmt_guard {
    xb_guard_state_t state;
    bool read_only;      /* the emulator's mount, as the kernel holds it, is read-only */
    bool owner_unmapped; /* its owner is not mapped in our user namespace */
    char exe[PATH_MAX];  /* what /proc/PID/exe of an emulated process names */
    char why[PATH_MAX + 128];
} xb_binfmt_guard_t;

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
    bool interp_static;      /* the interpreter has no PT_INTERP (statically linked) */
    int other_entries;       /* further matching entries (e.g. a second registration) */
    xb_binfmt_guard_t guard; /* probed for an enabled F registration, else UNKNOWN */
} xb_binfmt_status_t;

/* Every function takes dir, the binfmt_misc directory: NULL or "" is /proc/sys/fs/binfmt_misc
 * (the CLI passes XBUILD_BINFMT_DIR, which tests point at a stand-in). */
/* dir, or the default when it is NULL or "". Borrowed. */
const char *xb_binfmt_dir(const char *dir);
/* Mounts binfmt_misc when it is not mounted yet. */
int xb_binfmt_mount(const char *dir, xb_error_t *err);
/* Fills *st for one architecture (never fails for a missing registration). probe_cache, in
 * every call here: the per-boot answers of the native probe (see run/archprobe.h), or NULL. */
int xb_binfmt_query(const char *dir, const xb_arch_t *a, const char *probe_cache,
                    xb_binfmt_status_t *st, xb_error_t *err);
/* Registers qemu for a (no-op for an arch the kernel runs natively, as probed, or a working F
 * registration that is not EXPOSED), always from a read-only bind mount of the interpreter. An
 * entry of our name (qemu-<qemu>) that is broken or EXPOSED is replaced through a temporary
 * entry "xbuild-swap-<qemu>", so the architecture is never without a handler. Uses Debian's
 * /usr/libexec/qemu-binfmt/<qemu>-binfmt-P with flags POCF, else /usr/bin/qemu-<qemu>-static
 * with OCF. *what (may be NULL) receives a static description of what was done. */
int xb_binfmt_install(const char *dir, const xb_arch_t *a, const char *probe_cache,
                      const char **what, xb_error_t *err);
/* Removes every registration matching a's magic. Returns the number removed. */
int xb_binfmt_uninstall(const char *dir, const xb_arch_t *a, xb_error_t *err);
/* Checks that binaries of a run here (natively or via a usable F registration); with install
 * registers on the fly. An F registration whose emulator a RUN step could chmod/chown (GUARD
 * EXPOSED: registered the ordinary way, not by xbuild) is swapped, without a gap, for the same
 * emulator from a read-only mount whenever this process may register (root); otherwise it is
 * an error. Errors say which arch and which command fixes it. */
int xb_binfmt_check_arch(const char *dir, const xb_arch_t *a, const char *probe_cache, bool install,
                         xb_error_t *err);
/* Same with an OCI architecture/variant pair (variant may be NULL). */
int xb_binfmt_check_name(const char *dir, const char *arch, const char *variant,
                         const char *probe_cache, bool install, xb_error_t *err);
/* Probes which emulator the kernel really starts for a (the newest matching registration wins)
 * by exec'ing a header-only binary of a under ptrace, stopping it before the emulator runs, and
 * inspecting its /proc/PID/exe. Fills *g; returns 0, or -1 with g->why when it cannot tell. */
int xb_binfmt_exe_guard(const xb_arch_t *a, xb_binfmt_guard_t *g);
/* ELF inspection: 1 when path is an ELF file with a PT_INTERP program header (dynamically
 * linked), 0 when static, negative on error (not ELF, unreadable). */
int xb_elf_is_dynamic(const char *path, xb_error_t *err);

#endif
