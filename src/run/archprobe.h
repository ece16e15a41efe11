/* Does the kernel run an architecture's binaries without an emulator? The host's own
 * architecture always; its 32-bit companion (386 on amd64, arm/v6 and arm/v7 on arm64) only when
 * a tiny embedded static binary of that architecture actually runs, as tonistiigi/binfmt checks:
 * a kernel can be built without compat support, or have it switched off at boot
 * (ia32_emulation=0) or by the hypervisor, and many arm64 CPUs have no AArch32 at all.
 *
 * The probe binaries carry a non-zero byte in e_ident's padding, which the kernel's ELF loader
 * ignores but every qemu binfmt_misc mask rejects, so a registered emulator cannot answer for
 * the kernel (binfmt_misc handlers are tried before the native ELF loader).
 *
 * Answers are kept for the running boot in a cache file (the store's xbuild/arch-probe): one
 * line "boot <boot_id>" then "<arch> native|emulated" lines. A file whose boot id is not the
 * running kernel's is ignored and rewritten. */
#ifndef XB_RUN_ARCHPROBE_H
#define XB_RUN_ARCHPROBE_H

#include <stdbool.h>

#include "run/arch.h"

/* Where the cache lives, relative to the store root. */
#define XB_ARCH_PROBE_CACHE "xbuild/arch-probe"

typedef enum {
    XB_NATIVE_HOST,    /* the host's own architecture */
    XB_NATIVE_PROBED,  /* a companion whose probe ran (now or earlier this boot) */
    XB_FOREIGN_PROBED, /* a companion whose probe did not run: needs an emulator */
    XB_FOREIGN,        /* another architecture: needs an emulator */
} xb_native_t;

/* How binaries of a run here. cache: the per-boot answer file (NULL: probe every time); it is
 * created when missing (best effort: a cache that cannot be written only costs a probe). */
xb_native_t xb_arch_native(const xb_arch_t *a, const char *cache);
/* True for XB_NATIVE_HOST and XB_NATIVE_PROBED. */
bool xb_arch_is_native(const xb_arch_t *a, const char *cache);
/* Runs a's embedded probe now, ignoring any cache: 1 when it ran, 0 when the kernel refused it,
 * -1 when a has no probe (not a companion of this host). */
int xb_arch_probe_run(const xb_arch_t *a);
/* "host", "probe ran", "probe failed" or "foreign" (static strings). */
const char *xb_native_describe(xb_native_t n);

#endif
