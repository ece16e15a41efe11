/* Architecture table, magic/mask decoding, ELF static/dynamic detection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/arch.h"
#include "run/archprobe.h"
#include "run/binfmt.h"
#include "util/fs.h"
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
    xb_error_t err = XB_ERROR_INIT;
#ifdef __x86_64__
    ok(xb_arch_is_native(xb_arch_parse("amd64"), NULL), "amd64 native on x86_64");
    ok(!xb_arch_is_native(xb_arch_parse("arm64"), NULL), "arm64 emulated on x86_64");
    is_int(xb_arch_native(xb_arch_parse("arm64"), NULL), XB_FOREIGN, "arm64 is never probed");
    is_int(xb_arch_probe_run(xb_arch_parse("arm64")), -1, "no probe for arm64 on x86_64");
    {
        /* the probe's answer is cached per boot; a file of another boot is ignored */
        const xb_arch_t *i386 = xb_arch_parse("386");
        int ran = xb_arch_probe_run(i386);
        ok(ran == 0 || ran == 1, "the 386 probe runs or is refused (%d)", ran);
        char cdir[] = "/tmp/xb-probe-XXXXXX";
        if (mkdtemp(cdir) == NULL)
            return 1;
        char cache[128], boot[64] = "";
        snprintf(cache, sizeof cache, "%s/sub/arch-probe", cdir);
        is_int(xb_arch_native(i386, cache), ran ? XB_NATIVE_PROBED : XB_FOREIGN_PROBED,
               "386: the probe decides");
        FILE *bf = fopen("/proc/sys/kernel/random/boot_id", "r");
        ok(bf && fgets(boot, sizeof boot, bf), "boot id");
        if (bf)
            fclose(bf);
        boot[strcspn(boot, "\n")] = '\0';
        char *text = NULL;
        size_t tlen = 0;
        ok(xb_read_file(cache, 4096, &text, &tlen, &err) == 0 && strstr(text, boot) &&
               strstr(text, ran ? "386 native" : "386 emulated"),
           "the answer is cached with the boot id");
        free(text);
        FILE *cf = fopen(cache, "w");
        fprintf(cf, "boot %s\n386 %s\n", boot, ran ? "emulated" : "native");
        fclose(cf);
        is_int(xb_arch_native(i386, cache), ran ? XB_FOREIGN_PROBED : XB_NATIVE_PROBED,
               "a cached answer of this boot is used");
        cf = fopen(cache, "w");
        fprintf(cf, "boot not-this-boot\n386 %s\n", ran ? "emulated" : "native");
        fclose(cf);
        is_int(xb_arch_native(i386, cache), ran ? XB_NATIVE_PROBED : XB_FOREIGN_PROBED,
               "an answer of another boot is ignored (probed again)");
        xb_rm_rf(cdir, &err);
        xb_error_clear(&err);
    }
#endif
    is_int(xb_elf_is_dynamic("/bin/sh", &err), 1, "/bin/sh is dynamically linked");
    if (access("/usr/bin/qemu-aarch64-static", R_OK) == 0)
        is_int(xb_elf_is_dynamic("/usr/bin/qemu-aarch64-static", &err), 0,
               "qemu-aarch64-static is static");
    ok(xb_elf_is_dynamic("/etc/passwd", &err) < 0, "non-ELF refused");
    xb_error_clear(&err);

    /* binfmt entries read from a fake binfmt_misc dir in the kernel's format */
    char dir[] = "/tmp/xb-binfmt-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("XBUILD_BINFMT_DIR", dir, 1);
    char p[128];
    snprintf(p, sizeof p, "%s/register", dir);
    fclose(fopen(p, "w"));
    snprintf(p, sizeof p, "%s/other-name", dir);
    FILE *f = fopen(p, "w");
    fputs("enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OC\noffset 0\n"
          "magic 7f454c460201010000000000000000000200b700\n"
          "mask ffffffffffffff00fffffffffffffffffeffffff\n",
          f);
    fclose(f);
    snprintf(p, sizeof p, "%s/qemu-ppc64le", dir);
    f = fopen(p, "w");
    fputs("disabled\ninterpreter /usr/bin/qemu-ppc64le-static\nflags: F\noffset 0\n"
          "magic 7f454c4602010100000000000000000002001500\n"
          "mask ffffffffffffff00fffffffffffffffffeffffff\n",
          f);
    fclose(f);
    xb_binfmt_status_t st;
    ok(xb_binfmt_query(xb_arch_parse("arm64"), NULL, &st, &err) == 0 && st.registered &&
           strcmp(st.name, "other-name") == 0 && !st.fix_binary,
       "entry of another name found by its magic, F missing");
    ok(xb_binfmt_check_arch(xb_arch_parse("arm64"), NULL, false, &err) < 0 && err.msg &&
           strstr(err.msg, "lacks the F flag") && strstr(err.msg, "xbuild binfmt --install arm64"),
       "missing F diagnosed with the fix: %s", err.msg ? err.msg : "");
    ok(xb_binfmt_query(xb_arch_parse("ppc64le"), NULL, &st, &err) == 0 && st.registered &&
           !st.enabled,
       "disabled entry");
    ok(xb_binfmt_check_arch(xb_arch_parse("ppc64le"), NULL, false, &err) < 0 &&
           strstr(err.msg, "disabled"),
       "disabled entry diagnosed");
    ok(xb_binfmt_query(xb_arch_parse("s390x"), NULL, &st, &err) == 0 && !st.registered,
       "s390x missing");
    ok(xb_binfmt_check_arch(xb_arch_parse("s390x"), NULL, false, &err) < 0 &&
           strstr(err.msg, "no binfmt_misc handler for s390x: run 'xbuild binfmt --install s390x' "
                           "or pass --install-binfmt"),
       "missing handler: actionable message");
    ok(xb_binfmt_query(xb_arch_parse("arm/v7"), NULL, &st, &err) == 0 && !st.registered,
       "arm64 entry does not claim arm/v7");
    ok(xb_binfmt_check_arch(xb_arch_parse("amd64"), NULL, false, &err) == 0, "native passes");
    xb_error_clear(&err);
    xb_rm_rf(dir, &err);
    xb_error_clear(&err);
    return tap_done();
}
