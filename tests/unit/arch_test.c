/* Architecture table, magic/mask decoding, ELF static/dynamic detection. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run/arch.h"
#include "run/binfmt.h"
#include "../lib/tap.h"

int main(void)
{
    const xb_arch_t *a = xb_arch_parse("linux/arm64");
    ok(a && strcmp(a->qemu, "aarch64") == 0, "linux/arm64 -> aarch64");
    a = xb_arch_parse("arm");
    ok(a && strcmp(xb_arch_name(a), "arm/v7") == 0, "arm defaults to arm/v7");
    a = xb_arch_parse("linux/arm/v6");
    ok(a && strcmp(a->qemu, "arm") == 0 && strcmp(xb_arch_name(a), "arm/v6") == 0, "arm/v6");
    ok(xb_arch_parse("aarch64") == xb_arch_parse("arm64"), "qemu name alias");
    ok(xb_arch_parse("ppc64el") == xb_arch_parse("ppc64le"), "Debian name alias");
    ok(xb_arch_parse("arm64/v8") == xb_arch_parse("arm64"), "arm64/v8 is arm64");
    ok(xb_arch_parse("sparc") == NULL, "unknown arch");
    ok(xb_arch_parse("loong64") && strcmp(xb_arch_parse("loong64")->qemu, "loongarch64") == 0,
       "loong64");
    size_t n;
    const xb_arch_t *t = xb_arch_table(&n);
    is_int(n, 10, "ten architectures");
    int good = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char m[64], k[64];
        int ml = xb_arch_unescape(t[i].magic, m, sizeof m);
        int kl = xb_arch_unescape(t[i].mask, k, sizeof k);
        if (ml == 20 && kl == 20 &&
            memcmp(m,
                   "\x7f"
                   "ELF",
                   4) == 0)
            good++;
    }
    is_int(good, (int)n, "every magic/mask decodes to 20 ELF bytes");
#ifdef __x86_64__
    ok(xb_arch_is_native(xb_arch_parse("amd64")), "amd64 native on x86_64");
    ok(!xb_arch_is_native(xb_arch_parse("arm64")), "arm64 emulated on x86_64");
#endif
    xb_error_t err = XB_ERROR_INIT;
    is_int(xb_elf_is_dynamic("/bin/sh", &err), 1, "/bin/sh is dynamically linked");
    if (access("/usr/bin/qemu-aarch64-static", R_OK) == 0)
        is_int(xb_elf_is_dynamic("/usr/bin/qemu-aarch64-static", &err), 0,
               "qemu-aarch64-static is static");
    ok(xb_elf_is_dynamic("/etc/passwd", &err) < 0, "non-ELF refused");
    xb_error_clear(&err);
    return tap_done();
}
