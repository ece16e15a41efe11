/* Native-execution probes for 32-bit companions of 64-bit hosts (see archprobe.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/archprobe.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sys.h"

/* clang-format off */
/* ELF32 executables of 93 (i386) and 96 (arm) bytes: one PT_LOAD, code = exit(0).
 * Byte 15 (the last of e_ident's padding) is 'x': the kernel ignores it, qemu masks do not. */
#define EHDR32(machine, flags, entry)                                                        \
    0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 'x', 2, 0, (machine), 0, 1, 0, 0, 0, \
        (entry) & 0xff, ((entry) >> 8) & 0xff, ((entry) >> 16) & 0xff, ((entry) >> 24) & 0xff, \
        52, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (flags), 52, 0, 32, 0, 1, 0, 0, 0, 0, 0, 0, 0
#define PHDR32(vaddr, size)                                                                   \
    1, 0, 0, 0, 0, 0, 0, 0, (vaddr) & 0xff, ((vaddr) >> 8) & 0xff, ((vaddr) >> 16) & 0xff,    \
        ((vaddr) >> 24) & 0xff, (vaddr) & 0xff, ((vaddr) >> 8) & 0xff, ((vaddr) >> 16) & 0xff, \
        ((vaddr) >> 24) & 0xff, (size), 0, 0, 0, (size), 0, 0, 0, 5, 0, 0, 0, 0, 0x10, 0, 0

static const unsigned char probe_386[] = {
    EHDR32(3, 0, 0x08048054), PHDR32(0x08048000, 93),
    0xb8, 1, 0, 0, 0, /* mov eax, 1 (exit) */
    0x31, 0xdb,       /* xor ebx, ebx */
    0xcd, 0x80,       /* int 0x80 */
};

static const unsigned char probe_arm[] = {
    EHDR32(40, 5, 0x00010054), PHDR32(0x00010000, 96),
    0x00, 0x00, 0xa0, 0xe3, /* mov r0, #0 */
    0x01, 0x70, 0xa0, 0xe3, /* mov r7, #1 (exit) */
    0x00, 0x00, 0x00, 0xef, /* svc #0 */
};
/* clang-format on */

/* The probe for a on this host, NULL when a is not a companion of the host. */
static const unsigned char *probe_for(const xb_arch_t *a, size_t *len)
{
    const xb_arch_t *h = xb_arch_host();
    if (h == NULL)
        return NULL;
    if (strcmp(h->arch, "amd64") == 0 && strcmp(a->arch, "386") == 0) {
        *len = sizeof probe_386;
        return probe_386;
    }
    if (strcmp(h->arch, "arm64") == 0 && strcmp(a->arch, "arm") == 0) {
        *len = sizeof probe_arm;
        return probe_arm;
    }
    return NULL;
}

/* Writes the probe into a memfd (falling back to an unlinked temp file) and executes it. */
static int exec_probe(const unsigned char *elf, size_t len)
{
    int fd = (int)syscall(SYS_memfd_create, "xbuild-arch-probe", MFD_CLOEXEC);
    char tmp[] = "/tmp/xbuild-probe.XXXXXX";
    bool is_tmp = false;
    if (fd < 0) {
        fd = mkostemp(tmp, O_CLOEXEC);
        is_tmp = true;
    }
    if (fd < 0)
        return 0;
    bool written = write(fd, elf, len) == (ssize_t)len && fchmod(fd, 0700) == 0;
    if (is_tmp) {
        /* a file open for writing cannot be executed (ETXTBSY): reopen it read-only */
        int ro = written ? open(tmp, O_RDONLY | O_CLOEXEC) : -1;
        unlink(tmp);
        close(fd);
        fd = ro;
        if (fd < 0)
            return 0;
    }
    pid_t pid = written ? fork() : -1;
    if (pid == 0) {
        char *argv[] = {(char *)"xbuild-arch-probe", NULL}, *envp[] = {NULL};
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
        _exit(127); /* the forked child only: the kernel refused the binary */
    }
    close(fd);
    if (pid < 0)
        return 0;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int xb_arch_probe_run(const xb_arch_t *a)
{
    size_t len;
    const unsigned char *elf = a ? probe_for(a, &len) : NULL;
    return elf ? exec_probe(elf, len) : -1;
}

/* The cached answer for a this boot: 1 native, 0 emulated, -1 none. */
static int cache_lookup(const char *cache, const char *boot, const char *name)
{
    cleanup_fclose FILE *f = fopen(cache, "re");
    char line[128];
    if (f == NULL || fgets(line, sizeof line, f) == NULL)
        return -1;
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "boot ", 5) != 0 || strcmp(line + 5, boot) != 0)
        return -1;
    size_t nl = strlen(name);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, name, nl) != 0 || line[nl] != ' ')
            continue;
        if (strcmp(line + nl + 1, "native") == 0)
            return 1;
        if (strcmp(line + nl + 1, "emulated") == 0)
            return 0;
    }
    return -1;
}

/* Rewrites the cache with this boot's earlier answers for other architectures plus a's. */
static void cache_store(const char *cache, const char *boot, const char *name, bool native)
{
    xb_buf_t b = XB_BUF_INIT;
    xb_buf_printf(&b, "boot %s\n", boot);
    size_t n;
    const xb_arch_t *t = xb_arch_table(&n);
    for (size_t i = 0; i < n; i++) {
        const char *other = xb_arch_name(&t[i]);
        int v = strcmp(other, name) == 0 ? native : cache_lookup(cache, boot, other);
        if (v >= 0)
            xb_buf_printf(&b, "%s %s\n", other, v ? "native" : "emulated");
    }
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    cleanup_free char *dir = strdup(cache);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        (void)xb_mkdir_p(dir, 0700, &e);
    }
    (void)xb_write_file_atomic(cache, b.data, b.len, 0644, &e);
    xb_buf_free(&b);
}

xb_native_t xb_arch_native(const xb_arch_t *a, const char *cache)
{
    const xb_arch_t *h = xb_arch_host();
    if (a == NULL || h == NULL)
        return XB_FOREIGN;
    if (strcmp(a->qemu, h->qemu) == 0)
        return XB_NATIVE_HOST;
    size_t len;
    if (probe_for(a, &len) == NULL)
        return XB_FOREIGN;
    cleanup_free char *boot = cache ? xb_sys_boot_id() : NULL;
    int v = boot ? cache_lookup(cache, boot, xb_arch_name(a)) : -1;
    if (v < 0) {
        v = xb_arch_probe_run(a);
        if (boot)
            cache_store(cache, boot, xb_arch_name(a), v == 1);
    }
    return v == 1 ? XB_NATIVE_PROBED : XB_FOREIGN_PROBED;
}

bool xb_arch_is_native(const xb_arch_t *a, const char *cache)
{
    xb_native_t n = xb_arch_native(a, cache);
    return n == XB_NATIVE_HOST || n == XB_NATIVE_PROBED;
}

const char *xb_native_describe(xb_native_t n)
{
    switch (n) {
    case XB_NATIVE_HOST:
        return "host";
    case XB_NATIVE_PROBED:
        return "probe ran";
    case XB_FOREIGN_PROBED:
        return "probe failed";
    default:
        return "foreign";
    }
}
