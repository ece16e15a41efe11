/* The architecture table: OCI architecture/variant <-> qemu name <-> ELF magic/mask used by
 * binfmt_misc. Magic and mask strings are those of Debian's qemu-user-static
 * (/usr/lib/binfmt.d/qemu-*.conf), in binfmt_misc's "\xNN" escaped form. */
#ifndef XB_RUN_ARCH_H
#define XB_RUN_ARCH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct xb_arch {
    const char *arch;    /* OCI architecture: "arm64" */
    const char *variant; /* OCI variant or NULL: "v7" */
    const char *qemu;    /* qemu target name: "aarch64" (qemu-aarch64-static) */
    const char *uname;   /* what `uname -m` says under it: "aarch64" */
    const char *magic;   /* binfmt_misc escaped magic */
    const char *mask;    /* binfmt_misc escaped mask */
} xb_arch_t;

/* The whole table (static storage); *n receives its length. */
const xb_arch_t *xb_arch_table(size_t *n);
/* Finds an entry by OCI arch and variant (variant NULL/"" = the default one for the arch:
 * arm -> v7). Also accepts common aliases: x86_64, aarch64, armhf, armel, ppc64el, i386,
 * i686, riscv64, loongarch64. NULL when unknown. */
const xb_arch_t *xb_arch_find(const char *arch, const char *variant);
/* Parses "arm64", "arm/v7", "linux/arm/v7" or a qemu name ("aarch64"). NULL when unknown. */
const xb_arch_t *xb_arch_parse(const char *spec);
/* The entry matching the host (compile-time), NULL when the host is not in the table. */
const xb_arch_t *xb_arch_host(void);
/* "arm64" or "arm/v7"; points into a static buffer per entry (never freed). */
const char *xb_arch_name(const xb_arch_t *a);
/* Decodes a "\xNN"-escaped magic string into bytes; returns the length or -1 (max bytes). */
int xb_arch_unescape(const char *s, unsigned char *out, size_t max);

#endif
