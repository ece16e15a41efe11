/* The last steps before a sandboxed command is exec'd: the seccomp filter (libseccomp) and the
 * Landlock domain that keeps every file outside the sandbox's tree (the host's qemu binary
 * behind /proc/PID/exe, map_files, ...) from being opened for writing. Runs in the forked
 * command process, as root, before the capabilities are dropped. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run/sandbox-internal.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* Docker's and Podman's default profile refuse these (most need a capability the step does
 * not have anyway; the filter also covers --cap-add and the i386/x32 ABIs). ptrace stays
 * allowed (strace in a build; the PID namespace bounds it), as in Docker on Linux >= 4.8. */
static const char *const blocked[] = {"acct",
                                      "add_key",
                                      "bpf",
                                      "clock_adjtime",
                                      "clock_settime",
                                      "create_module",
                                      "delete_module",
                                      "finit_module",
                                      "fsconfig",
                                      "fsmount",
                                      "fsopen",
                                      "fspick",
                                      "get_kernel_syms",
                                      "init_module",
                                      "io_uring_enter",
                                      "io_uring_register",
                                      "io_uring_setup",
                                      "ioperm",
                                      "iopl",
                                      "kexec_file_load",
                                      "kexec_load",
                                      "keyctl",
                                      "lookup_dcookie",
                                      "mount",
                                      "mount_setattr",
                                      "move_mount",
                                      "nfsservctl",
                                      "open_by_handle_at",
                                      "open_tree",
                                      "perf_event_open",
                                      "pivot_root",
                                      "query_module",
                                      "quotactl",
                                      "quotactl_fd",
                                      "reboot",
                                      "request_key",
                                      "setns",
                                      "settimeofday",
                                      "stime",
                                      "swapoff",
                                      "swapon",
                                      "_sysctl",
                                      "sysfs",
                                      "syslog",
                                      "umount",
                                      "umount2",
                                      "uselib",
                                      "userfaultfd",
                                      "ustat",
                                      "vhangup",
                                      "vm86",
                                      "vm86old"};

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                const struct scmp_arg_cmp *cmp, char *msg, size_t len)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0; /* not a system call on any of the filter's architectures */
    int r =
        n ? seccomp_rule_add_array(ctx, action, nr, n, cmp) : seccomp_rule_add(ctx, action, nr, 0);
    if (r < 0 && r != -EDOM) { /* -EDOM: not on one of the architectures */
        snprintf(msg, len, "seccomp rule for %s: %s", name, strerror(-r));
        return -1;
    }
    return 0;
}

int xb_sandbox_seccomp_load(char *msg, size_t len)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) {
        snprintf(msg, len, "seccomp_init failed");
        return -1;
    }
    const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
    int r = 0;
    /* loaded with CAP_SYS_ADMIN: no_new_privs stays off, setuid programs keep working */
    r |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    uint32_t native = seccomp_arch_native();
    if (native == SCMP_ARCH_X86_64) {
        r |= seccomp_arch_add(ctx, SCMP_ARCH_X86); /* int 0x80 and 386 images */
        r |= seccomp_arch_add(ctx, SCMP_ARCH_X32);
    } else if (native == SCMP_ARCH_AARCH64) {
        r |= seccomp_arch_add(ctx, SCMP_ARCH_ARM);
    }
    if (r != 0) {
        snprintf(msg, len, "seccomp: cannot set up the filter's architectures");
        seccomp_release(ctx);
        return -1;
    }
    for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
        if (rule(ctx, eperm, blocked[i], 0, NULL, msg, len) < 0)
            goto fail;
    /* the kernel compares ioctl's request as an unsigned int: mask off the upper bits */
    struct scmp_arg_cmp sti = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
    struct scmp_arg_cmp linux_ = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
    struct scmp_arg_cmp newuser = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
    if (rule(ctx, eperm, "ioctl", 1, &sti, msg, len) < 0 ||
        rule(ctx, eperm, "ioctl", 1, &linux_, msg, len) < 0 ||
        rule(ctx, eperm, "unshare", 1, &newuser, msg, len) < 0 ||
        rule(ctx, eperm, "clone", 1, &newuser, msg, len) < 0 ||
        /* clone3's flags are behind a pointer: ENOSYS makes libc fall back to clone */
        rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, msg, len) < 0)
        goto fail;
    if ((r = seccomp_load(ctx)) < 0) {
        snprintf(msg, len, "cannot load the seccomp filter: %s", strerror(-r));
        goto fail;
    }
    seccomp_release(ctx);
    return 0;
fail:
    seccomp_release(ctx);
    return -1;
}

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#define XB_LANDLOCK_FS_TRUNCATE (1ULL << 14)

int xb_sandbox_landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : (int)abi;
}

bool xb_sandbox_write_guard_available(void)
{
    return xb_sandbox_landlock_abi() > 0;
}

int xb_sandbox_landlock_confine(char *msg, size_t len)
{
    int abi = xb_sandbox_landlock_abi();
    if (abi < 1)
        return 1; /* not available: the caller says so */
    /* every file right, granted beneath "/" (the sandbox's root after pivot_root): files of
     * the sandbox and of everything mounted in it stay as before, and anything reached
     * outside it (the host's emulator through /proc/PID/exe) cannot be written */
    uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
    if (abi >= 2)
        fs |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        fs |= XB_LANDLOCK_FS_TRUNCATE;
    struct landlock_ruleset_attr ra = {.handled_access_fs = fs};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
    if (rs < 0) {
        snprintf(msg, len, "landlock: cannot create a ruleset: %s", strerror(errno));
        return -1;
    }
    struct landlock_path_beneath_attr pb = {.allowed_access = fs, .parent_fd = -1};
    pb.parent_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int r = pb.parent_fd < 0
                ? -1
                : (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
    if (r == 0)
        r = (int)syscall(SYS_landlock_restrict_self, rs, 0);
    int e = errno;
    if (pb.parent_fd >= 0)
        close(pb.parent_fd);
    close(rs);
    if (r < 0) {
        snprintf(msg, len, "landlock: cannot confine the step: %s", strerror(e));
        return -1;
    }
    return 0;
}
