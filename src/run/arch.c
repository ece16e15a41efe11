/* Architecture table. The ELF magics/masks are copied from Debian 12's qemu-user-static
 * (/usr/lib/binfmt.d/qemu-<name>.conf). Debian does not ship x86 registrations for an x86
 * host; the 386/amd64 rows use the values of qemu's scripts/qemu-binfmt-conf.sh. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "run/arch.h"
#include "util/digest.h"

#define ELF_PFX "\\x7f\\x45\\x4c\\x46"

static const xb_arch_t table[] = {
    {"amd64", NULL, "x86_64", "x86_64",
     ELF_PFX "\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x3e\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
    {"386", NULL, "i386", "i686",
     ELF_PFX "\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x03\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
    {"arm64", NULL, "aarch64", "aarch64",
     ELF_PFX "\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
    {"arm", "v7", "arm", "armv7l",
     ELF_PFX "\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
    {"arm", "v6", "arm", "armv7l",
     ELF_PFX "\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
    {"ppc64le", NULL, "ppc64le", "ppc64le",
     ELF_PFX "\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x15\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\x00"},
    {"s390x", NULL, "s390x", "s390x",
     ELF_PFX "\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe"
     "\\xff\\xff"},
    {"riscv64", NULL, "riscv64", "riscv64",
     ELF_PFX "\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf3\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
    {"mips64le", NULL, "mips64el", "mips64",
     ELF_PFX "\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x08\\x00",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xfe\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
    {"loong64", NULL, "loongarch64", "loongarch64",
     ELF_PFX "\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x02\\x01",
     "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
     "\\xff\\xff"},
};
#define NTABLE (sizeof table / sizeof table[0])

const xb_arch_t *xb_arch_table(size_t *n)
{
    *n = NTABLE;
    return table;
}

static const struct {
    const char *alias, *arch, *variant;
} aliases[] = {
    {"x86_64", "amd64", NULL},
    {"x86-64", "amd64", NULL},
    {"i386", "386", NULL},
    {"i686", "386", NULL},
    {"aarch64", "arm64", NULL},
    {"armhf", "arm", "v7"},
    {"armel", "arm", "v6"},
    {"armv7l", "arm", "v7"},
    {"armv7", "arm", "v7"},
    {"armv6", "arm", "v6"},
    {"ppc64el", "ppc64le", NULL},
    {"mips64el", "mips64le", NULL},
    {"loongarch64", "loong64", NULL},
};

const xb_arch_t *xb_arch_find(const char *arch, const char *variant)
{
    if (arch == NULL)
        return NULL;
    if (variant && *variant == '\0')
        variant = NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(arch, aliases[i].alias) == 0) {
            arch = aliases[i].arch;
            if (variant == NULL)
                variant = aliases[i].variant;
            break;
        }
    if (strcmp(arch, "arm64") == 0 && variant && strcmp(variant, "v8") == 0)
        variant = NULL;
    if (strcmp(arch, "arm") == 0 && variant == NULL)
        variant = "v7";
    if (strcmp(arch, "arm") == 0 && strcmp(variant, "v5") == 0)
        variant = "v6";
    for (size_t i = 0; i < NTABLE; i++) {
        if (strcmp(table[i].arch, arch) != 0)
            continue;
        if (table[i].variant == NULL && variant == NULL)
            return &table[i];
        if (table[i].variant && variant && strcmp(table[i].variant, variant) == 0)
            return &table[i];
    }
    return NULL;
}

const xb_arch_t *xb_arch_parse(const char *spec)
{
    if (spec == NULL)
        return NULL;
    char buf[64];
    if (strlen(spec) >= sizeof buf)
        return NULL;
    strcpy(buf, spec);
    char *s = buf;
    if (strncmp(s, "linux/", 6) == 0)
        s += 6;
    char *variant = strchr(s, '/');
    if (variant)
        *variant++ = '\0';
    return xb_arch_find(s, variant);
}

const xb_arch_t *xb_arch_host(void)
{
#if defined(__x86_64__)
    return xb_arch_find("amd64", NULL);
#elif defined(__i386__)
    return xb_arch_find("386", NULL);
#elif defined(__aarch64__)
    return xb_arch_find("arm64", NULL);
#elif defined(__arm__)
    return xb_arch_find("arm", "v7");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return xb_arch_find("ppc64le", NULL);
#elif defined(__s390x__)
    return xb_arch_find("s390x", NULL);
#elif defined(__riscv) && __riscv_xlen == 64
    return xb_arch_find("riscv64", NULL);
#else
    return NULL;
#endif
}

const char *xb_arch_name(const xb_arch_t *a)
{
    static char names[NTABLE][24];
    size_t i = (size_t)(a - table);
    if (i >= NTABLE)
        return "?";
    if (names[i][0] == '\0') {
        if (a->variant)
            snprintf(names[i], sizeof names[i], "%s/%s", a->arch, a->variant);
        else
            snprintf(names[i], sizeof names[i], "%s", a->arch);
    }
    return names[i];
}

int xb_arch_unescape(const char *s, unsigned char *out, size_t max)
{
    size_t n = 0;
    while (*s) {
        if (n >= max)
            return -1;
        if (s[0] == '\\' && s[1] == 'x' && xb_hex_digit(s[2]) >= 0 && xb_hex_digit(s[3]) >= 0) {
            out[n++] = (unsigned char)(xb_hex_digit(s[2]) * 16 + xb_hex_digit(s[3]));
            s += 4;
        } else {
            out[n++] = (unsigned char)*s++;
        }
    }
    return (int)n;
}
