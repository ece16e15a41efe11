/* binfmt_misc: reading entries, registering qemu, diagnosing broken registrations. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/archprobe.h"
#include "run/binfmt.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/sys.h"
#include "util/fs.h"
#include "util/log.h"

#define MAGIC_MAX 128

const char *xb_binfmt_dir(const char *dir)
{
    return dir && *dir ? dir : "/proc/sys/fs/binfmt_misc";
}

int xb_binfmt_mount(const char *dir, xb_error_t *err)
{
    dir = xb_binfmt_dir(dir);
    cleanup_free char *reg = xb_path_join(dir, "register");
    if (access(reg, F_OK) == 0)
        return 0;
    if (mount("binfmt_misc", dir, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return xb_error_errno(err, errno, "cannot mount binfmt_misc on %s (needs root)", dir);
    return 0;
}

/* "7f454c46..." -> bytes */
static int unhex(const char *s, unsigned char *out, size_t max)
{
    size_t n = 0;
    while (s[0] && s[1] && xb_hex_digit(s[0]) >= 0 && xb_hex_digit(s[1]) >= 0) {
        if (n >= max)
            return -1;
        out[n++] = (unsigned char)(xb_hex_digit(s[0]) * 16 + xb_hex_digit(s[1]));
        s += 2;
    }
    return (int)n;
}

static void copy_str(char *dst, size_t n, const char *src)
{
    size_t l = strnlen(src, n - 1);
    memcpy(dst, src, l);
    dst[l] = '\0';
}

struct entry {
    bool enabled, is_magic;
    long offset;
    char interpreter[PATH_MAX];
    char flags[16];
    unsigned char magic[MAGIC_MAX], mask[MAGIC_MAX];
    int magic_len, mask_len;
};

static int read_entry(const char *path, struct entry *e)
{
    memset(e, 0, sizeof *e);
    cleanup_fclose FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    char line[PATH_MAX + 64];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "enabled") == 0)
            e->enabled = true;
        else if (strncmp(line, "interpreter ", 12) == 0)
            copy_str(e->interpreter, sizeof e->interpreter, line + 12);
        else if (strncmp(line, "flags: ", 7) == 0)
            copy_str(e->flags, sizeof e->flags, line + 7);
        else if (strncmp(line, "offset ", 7) == 0)
            e->offset = strtol(line + 7, NULL, 10);
        else if (strncmp(line, "magic ", 6) == 0) {
            e->is_magic = true;
            e->magic_len = unhex(line + 6, e->magic, sizeof e->magic);
        } else if (strncmp(line, "mask ", 5) == 0)
            e->mask_len = unhex(line + 5, e->mask, sizeof e->mask);
    }
    return 0;
}

/* Does entry e claim binaries of arch a? A sample header of a is built from a's magic (the
 * bits its mask leaves open are zero) and tested against e's magic/mask, as the kernel does. */
static bool entry_matches(const struct entry *e, const xb_arch_t *a)
{
    unsigned char m[MAGIC_MAX], k[MAGIC_MAX];
    int ml = xb_arch_unescape(a->magic, m, sizeof m);
    int kl = xb_arch_unescape(a->mask, k, sizeof k);
    if (!e->is_magic || e->offset != 0 || ml <= 0 || kl != ml || e->magic_len <= 0 ||
        e->magic_len > ml)
        return false;
    for (int i = 0; i < e->magic_len; i++) {
        unsigned char sample = m[i] & k[i];
        unsigned char emask = i < e->mask_len ? e->mask[i] : 0xff;
        if ((sample & emask) != (e->magic[i] & emask))
            return false;
    }
    return true;
}

int xb_elf_is_dynamic(const char *path, xb_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xb_error_errno(err, errno, "cannot open %s", path);
    union {
        unsigned char id[EI_NIDENT];
        Elf64_Ehdr h64;
        Elf32_Ehdr h32;
    } h;
    if (pread(fd, &h, sizeof h, 0) < (ssize_t)sizeof h.h32 || memcmp(h.id, ELFMAG, SELFMAG) != 0)
        return xb_error_set(err, XB_ERR_INVALID, "%s is not an ELF file", path);
    bool is64 = h.id[EI_CLASS] == ELFCLASS64;
    if (!is64 && h.id[EI_CLASS] != ELFCLASS32)
        return xb_error_set(err, XB_ERR_INVALID, "%s: unknown ELF class", path);
    /* p_type is the first 32-bit field of both program header layouts */
    uint64_t phoff = is64 ? h.h64.e_phoff : h.h32.e_phoff;
    unsigned phnum = is64 ? h.h64.e_phnum : h.h32.e_phnum;
    unsigned phentsize = is64 ? h.h64.e_phentsize : h.h32.e_phentsize;
    if (phnum > 512 || phentsize < sizeof(uint32_t))
        return xb_error_set(err, XB_ERR_INVALID, "%s: bad ELF program headers", path);
    for (unsigned i = 0; i < phnum; i++) {
        uint32_t type;
        if (pread(fd, &type, sizeof type, (off_t)(phoff + (uint64_t)i * phentsize)) !=
            (ssize_t)sizeof type)
            return xb_error_set(err, XB_ERR_INVALID, "%s: truncated ELF", path);
        if (type == PT_INTERP)
            return 1;
    }
    return 0;
}

/* The next entry of the binfmt_misc directory d (at dir) that handles arch a, read into *e;
 * NULL at the end. */
static struct dirent *next_match(DIR *d, const char *dir, const xb_arch_t *a, struct entry *e)
{
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "register") == 0 ||
            strcmp(de->d_name, "status") == 0)
            continue;
        cleanup_free char *p = xb_path_join(dir, de->d_name);
        if (p != NULL && read_entry(p, e) == 0 && entry_matches(e, a))
            return de;
    }
    return NULL;
}

static bool entry_is_better(const struct entry *cand, const struct entry *cur)
{
    /* prefer enabled, then with F */
    if (cand->enabled != cur->enabled)
        return cand->enabled;
    return strchr(cand->flags, 'F') && !strchr(cur->flags, 'F');
}

int xb_binfmt_query(const char *dir, const xb_arch_t *a, const char *probe_cache,
                    xb_binfmt_status_t *st, xb_error_t *err)
{
    memset(st, 0, sizeof *st);
    st->arch = a;
    st->how = xb_arch_native(a, probe_cache);
    st->native = st->how == XB_NATIVE_HOST || st->how == XB_NATIVE_PROBED;
    dir = xb_binfmt_dir(dir);
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL)
        return 0; /* not mounted: nothing registered that we can see */
    struct entry best;
    struct dirent *de;
    struct entry e;
    while ((de = next_match(d, dir, a, &e)) != NULL) {
        if (st->registered) {
            st->other_entries++;
            if (!entry_is_better(&e, &best))
                continue;
        }
        best = e;
        st->registered = true;
        copy_str(st->name, sizeof st->name, de->d_name);
    }
    if (!st->registered)
        return 0;
    st->enabled = best.enabled;
    memcpy(st->interpreter, best.interpreter, sizeof st->interpreter);
    memcpy(st->flags, best.flags, sizeof st->flags);
    st->fix_binary = strchr(st->flags, 'F') != NULL;
    st->preserve_argv0 = strchr(st->flags, 'P') != NULL;
    st->interp_exists = access(st->interpreter, X_OK) == 0;
    if (st->interp_exists) {
        cleanup_error xb_error_t e2 = XB_ERROR_INIT;
        st->interp_static = xb_elf_is_dynamic(st->interpreter, &e2) == 0;
    }
    if (st->enabled && st->fix_binary && st->interp_exists && !st->native)
        (void)xb_binfmt_exe_guard(a, &st->guard); /* UNKNOWN with a reason when it cannot tell */
    return 0;
}

static bool usable(const xb_binfmt_status_t *st)
{
    return st->registered && st->enabled && st->fix_binary && st->interp_static &&
           st->guard.state != XB_GUARD_EXPOSED;
}

/* Writes line to reg from a child in its own mount namespace where interp (the file a symlink
 * leads to) is covered by a read-only bind mount of itself. With F the kernel opens the
 * interpreter now and keeps that open file, and with it the read-only mount, for good: every
 * emulated process's /proc/PID/exe then leads through a read-only mount, so not even root in a
 * RUN step can write, truncate, chmod or chown the host's qemu through it (EROFS).
 * Returns 0 or an errno. */
static int register_readonly(const char *reg, const char *interp, const char *line, size_t n)
{
    int st[2];
    if (pipe2(st, O_CLOEXEC) < 0)
        return errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(st[0]);
        close(st[1]);
        return e;
    }
    if (pid == 0) {
        close(st[0]);
        int e = 0;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount(interp, interp, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, interp, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV | MS_NOSUID,
                  NULL) < 0)
            e = errno;
        int fd = e ? -1 : open(reg, O_WRONLY | O_CLOEXEC);
        if (!e && (fd < 0 || write(fd, line, n) != (ssize_t)n))
            e = errno;
        if (write(st[1], &e, sizeof e) != sizeof e)
            _exit(1);
        _exit(0);
    }
    close(st[1]);
    int e = EIO;
    if (read(st[0], &e, sizeof e) != sizeof e)
        e = EIO;
    close(st[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return e;
}

/* Registers name for a with interp and flags, from a read-only mount (register_readonly). */
static int register_entry(const char *dir, const char *name, const xb_arch_t *a, const char *interp,
                          const char *flags, xb_error_t *err)
{
    cleanup_free char *line = NULL;
    int n = asprintf(&line, ":%s:M::%s:%s:%s:%s", name, a->magic, a->mask, interp, flags);
    if (n < 0) {
        line = NULL;
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    cleanup_free char *reg = xb_path_join(dir, "register");
    int e = reg ? register_readonly(reg, interp, line, (size_t)n) : ENOMEM;
    if (e != 0)
        return xb_error_errno(err, e, "cannot register %s with %s/register", name, dir);
    return 0;
}

/* Removes the entry dir/name ("-1" written to it). */
static int remove_entry(const char *dir, const char *name, xb_error_t *err)
{
    cleanup_free char *p = xb_path_join(dir, name);
    int fd = p ? open(p, O_WRONLY | O_CLOEXEC) : -1;
    if (fd < 0 || write(fd, "-1", 2) != 2) {
        int e = p ? errno : ENOMEM;
        if (fd >= 0)
            close(fd);
        return xb_error_errno(err, e, "cannot remove the binfmt entry %s/%s", dir, name);
    }
    close(fd);
    return 0;
}

int xb_binfmt_install(const char *dir, const xb_arch_t *a, const char *probe_cache,
                      const char **what, xb_error_t *err)
{
    const char *dummy;
    if (what == NULL)
        what = &dummy;
    if (xb_arch_is_native(a, probe_cache)) {
        *what = "native, nothing to register";
        return 0;
    }
    if (xb_binfmt_mount(dir, err) < 0)
        return -1;
    xb_binfmt_status_t st;
    if (xb_binfmt_query(dir, a, probe_cache, &st, err) < 0)
        return -1;
    if (usable(&st)) {
        *what = "already registered";
        return 0;
    }
    char interp[PATH_MAX];
    const char *flags = "POCF";
    snprintf(interp, sizeof interp, "/usr/libexec/qemu-binfmt/%s-binfmt-P", a->qemu);
    if (access(interp, X_OK) != 0) {
        snprintf(interp, sizeof interp, "/usr/bin/qemu-%s-static", a->qemu);
        flags = "OCF";
    }
    if (access(interp, X_OK) != 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "no qemu emulator for %s: %s is missing (install the Debian "
                            "package qemu-user-static)",
                            xb_arch_name(a), interp);
    cleanup_error xb_error_t e2 = XB_ERROR_INIT;
    int dyn = xb_elf_is_dynamic(interp, &e2);
    if (dyn != 0)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "%s is %s: with the F flag it must be statically linked "
                            "(install qemu-user-static)",
                            interp, dyn > 0 ? "dynamically linked" : "not a usable ELF file");
    char name[64];
    snprintf(name, sizeof name, "qemu-%s", a->qemu);
    dir = xb_binfmt_dir(dir);
    cleanup_free char *own = xb_path_join(dir, name);
    if (access(own, F_OK) == 0) {
        /* our name, but broken (no F, disabled, dynamic, missing interpreter or exposed):
         * replace it without a moment where the architecture has no handler */
        char swap[64];
        snprintf(swap, sizeof swap, "xbuild-swap-%s", a->qemu);
        if (register_entry(dir, swap, a, interp, flags, err) < 0 ||
            remove_entry(dir, name, err) < 0 ||
            register_entry(dir, name, a, interp, flags, err) < 0 ||
            remove_entry(dir, swap, err) < 0)
            return -1;
        *what = st.guard.state == XB_GUARD_EXPOSED
                    ? "re-registered read-only (RUN steps could chmod/chown the old entry's "
                      "emulator through /proc/PID/exe)"
                    : "re-registered (the old entry lacked F or a static interpreter)";
    } else {
        if (st.registered)
            /* Entries registered later are tried first by the kernel: ours takes over. */
            xb_warn("binfmt: %s is also claimed by '%s' (%s, flags '%s'); registering %s in "
                    "front of it",
                    xb_arch_name(a), st.name, st.interpreter, st.flags, name);
        if (register_entry(dir, name, a, interp, flags, err) < 0)
            return -1;
        *what = st.registered ? "registered (in front of another entry)" : "registered";
    }
    xb_info("binfmt: %s -> %s (flags %s)", xb_arch_name(a), interp, flags);
    return 1;
}

int xb_binfmt_uninstall(const char *dir, const xb_arch_t *a, xb_error_t *err)
{
    dir = xb_binfmt_dir(dir);
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int removed = 0;
    struct dirent *de;
    struct entry e;
    while ((de = next_match(d, dir, a, &e)) != NULL) {
        if (remove_entry(dir, de->d_name, err) < 0)
            return -1;
        removed++;
    }
    return removed;
}

int xb_binfmt_check_arch(const char *dir, const xb_arch_t *a, const char *probe_cache, bool install,
                         xb_error_t *err)
{
    xb_native_t how = xb_arch_native(a, probe_cache);
    if (how == XB_NATIVE_HOST || how == XB_NATIVE_PROBED)
        return 0;
    const char *n = xb_arch_name(a);
    /* rootless (a user namespace): registering needs root in the initial namespace */
    bool rootless = xb_sys_in_userns();
    char howto[256];
    if (rootless)
        snprintf(howto, sizeof howto,
                 "as root, once per boot: 'sudo xbuild binfmt --install %s' (rootless xbuild "
                 "cannot register emulators; with the F flag it uses them)",
                 n);
    else
        snprintf(howto, sizeof howto, "run 'xbuild binfmt --install %s' or pass --install-binfmt",
                 n);
    if (install && rootless)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "--install-binfmt: cannot register a binfmt_misc handler for %s "
                            "without root; %s",
                            n, howto);
    if (install) {
        if (xb_binfmt_install(dir, a, probe_cache, NULL, err) < 0)
            return xb_error_wrap(err, "registering a binfmt_misc handler for %s", n);
        return 0;
    }
    cleanup_error xb_error_t e2 = XB_ERROR_INIT;
    (void)xb_binfmt_mount(dir, &e2); /* best effort: only to see what is registered */
    xb_binfmt_status_t st;
    if (xb_binfmt_query(dir, a, probe_cache, &st, err) < 0)
        return -1;
    if (!st.registered)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "no binfmt_misc handler for %s%s: %s", n,
                            how == XB_FOREIGN_PROBED
                                ? " (this kernel does not run its binaries natively: the "
                                  "probe binary was refused, e.g. ia32_emulation=0 or no "
                                  "AArch32)"
                                : "",
                            howto);
    if (!st.enabled)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "the binfmt_misc handler '%s' for %s is disabled: %s", st.name, n,
                            howto);
    if (!st.interp_exists)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "the binfmt_misc handler '%s' for %s points to %s, which does not "
                            "exist: install qemu-user-static and run 'xbuild binfmt --install %s'",
                            st.name, n, st.interpreter, n);
    if (!st.fix_binary)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "the binfmt_misc handler '%s' for %s (%s) lacks the F flag, so it "
                            "cannot run inside a build root: %s",
                            st.name, n, st.interpreter, howto);
    if (!st.interp_static)
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "the binfmt_misc handler '%s' for %s uses %s, which is dynamically "
                            "linked: inside the build root its loader is missing and every RUN "
                            "would fail with 'No such file or directory'; install "
                            "qemu-user-static and run 'xbuild binfmt --install %s'",
                            st.name, n, st.interpreter, n);
    if (st.guard.state == XB_GUARD_EXPOSED) {
        /* Same emulator, same flags, only from a read-only mount: nothing the user chose
         * changes, so xbuild makes the swap itself whenever it may (root). */
        cleanup_error xb_error_t e3 = XB_ERROR_INIT;
        const char *what = NULL;
        if (xb_binfmt_install(dir, a, probe_cache, &what, &e3) >= 0) {
            xb_info("binfmt: %s: %s", n, what);
            return 0;
        }
        /* another xbuild may be making the same swap (its entry names are ours): look again */
        xb_binfmt_status_t again;
        if (xb_binfmt_query(dir, a, probe_cache, &again, err) < 0)
            return -1;
        if (again.guard.state == XB_GUARD_SAFE)
            return 0;
        return xb_error_set(err, XB_ERR_UNSUPPORTED,
                            "the binfmt_misc handler '%s' for %s is not protected from the build: "
                            "%s; re-registering it read-only failed (%s): run 'xbuild binfmt "
                            "--install %s' as root (once per boot)",
                            st.name, n, st.guard.why, e3.msg ? e3.msg : "?", n);
    }
    return 0;
}

int xb_binfmt_check_name(const char *dir, const char *arch, const char *variant,
                         const char *probe_cache, bool install, xb_error_t *err)
{
    const xb_arch_t *a = xb_arch_find(arch, variant);
    if (a == NULL)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "unsupported architecture %s%s%s",
                            arch ? arch : "?", variant && *variant ? "/" : "",
                            variant ? variant : "");
    return xb_binfmt_check_arch(dir, a, probe_cache, install, err);
}
