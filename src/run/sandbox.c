/* Parent side of the sandbox: host files, namespaces, waiting, signals, stub cleanup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layer/inroot.h"
#include "run/sandbox-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sys.h"

static int write_state(const char *dir, const char *name, const char *data, size_t len,
                       xb_error_t *err)
{
    cleanup_free char *p = xb_path_join(dir, name);
    cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return xb_error_errno(err, errno, "cannot create %s", p);
    return xb_write_all(fd, data, len, err);
}

static int prepare_state(const xb_sandbox_t *sb, xb_error_t *err)
{
    const char *hn = sb->hostname && *sb->hostname ? sb->hostname : "xbuild";
    cleanup_free char *resolv = NULL, *hosts = NULL;
    size_t rl = 0, hl = 0;
    cleanup_error xb_error_t e2 = XB_ERROR_INIT;
    if (xb_read_file("/etc/resolv.conf", 1 << 16, &resolv, &rl, &e2) < 0) {
        free(resolv);
        resolv = strdup("");
        rl = 0;
    }
    if (sb->network_none) {
        rl = 0; /* no network: no name servers */
    }
    if (xb_read_file("/etc/hosts", 1 << 16, &hosts, &hl, &e2) < 0) {
        free(hosts);
        hosts = strdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        hl = strlen(hosts);
    }
    char line[300];
    int n = snprintf(line, sizeof line, "127.0.1.1\t%s\n", hn);
    char hname[300];
    int hn_len = snprintf(hname, sizeof hname, "%s\n", hn);
    cleanup_free char *empty = xb_path_join(sb->state_dir, "empty");
    cleanup_free char *secrets = xb_path_join(sb->state_dir, "secrets");
    if (write_state(sb->state_dir, "resolv.conf", resolv, rl, err) < 0 ||
        write_state(sb->state_dir, "hosts", hosts, hl, err) < 0 ||
        write_state(sb->state_dir, "hostname", hname, (size_t)hn_len, err) < 0)
        return -1;
    cleanup_free char *hp = xb_path_join(sb->state_dir, "hosts");
    int fd = open(hp, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
        xb_write_all(fd, line, (size_t)n, &e2);
        /* --add-host: after the host's entries, as buildah writes them */
        for (size_t i = 0; sb->opts && sb->opts->add_hosts && sb->opts->add_hosts[i]; i++) {
            char hl2[512];
            if (xb_run_host_line(sb->opts->add_hosts[i], hl2, sizeof hl2, err) < 0 ||
                xb_write_all(fd, hl2, strlen(hl2), err) < 0) {
                close(fd);
                return -1;
            }
        }
        close(fd);
    }
    if ((mkdir(empty, 0755) < 0 && errno != EEXIST) ||
        (mkdir(secrets, 0700) < 0 && errno != EEXIST))
        return xb_error_errno(err, errno, "cannot prepare %s", sb->state_dir);
    return 0;
}

static void report(int fd, const char *what)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
    if (write(fd, msg, (size_t)n) < 0)
        _exit(XB_SANDBOX_SETUP_FAILED);
}

/* The rootfs as a fuse-overlayfs mount (lowerdir names relative to layers_dir, where the
 * daemon runs). nodev as the kernel overlay's (not with --privileged). 0, or -1 with the
 * reason written to errfd. */
static int mount_fuse_rootfs(const xb_sandbox_t *sb, int errfd, pid_t *pid)
{
    char opts[8192], log[PATH_MAX + 32], msg[1024];
    bool priv = sb->policy && sb->policy->privileged;
    /* volatile: fsync is a no-op (as for the kernel overlay; the upper dir is scratch) */
    int n = snprintf(opts, sizeof opts, "lowerdir=%s%s%s,upperdir=%s,workdir=%s,volatile%s",
                     *sb->lowerdir ? sb->lowerdir : sb->state_dir, *sb->lowerdir ? "" : "/",
                     *sb->lowerdir ? "" : "empty", sb->upper, sb->work, priv ? "" : ",nodev");
    snprintf(log, sizeof log, "%s/fuse-rootfs.log", sb->state_dir);
    if (n >= (int)sizeof opts)
        snprintf(msg, sizeof msg, "too many layers for one fuse-overlayfs mount");
    else if (xb_sandbox_fuse_mount(sb->fuse_bin, sb->layers_dir, opts, sb->rootfs, log, pid, msg,
                                   sizeof msg) == 0)
        return 0;
    char out[1100];
    int m = snprintf(out, sizeof out, "cannot mount the rootfs with %s: %s", sb->fuse_bin, msg);
    if (write(errfd, out, (size_t)(m < (int)sizeof out ? m : (int)sizeof out - 1)) < 0)
        return -1;
    return -1;
}

/* The forked child: new namespaces, then the sandbox's init (never returns). */
static void __attribute__((noreturn))
spawn(const xb_sandbox_t *sb, xb_sandbox_io_t *io, int errfd, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(XB_SANDBOX_SETUP_FAILED);
    /* nothing in the sandbox may open this process's /proc entries (exe is xbuild) */
    prctl(PR_SET_DUMPABLE, 0);
    xb_sandbox_io_child(io);
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (sb->network_none)
        flags |= CLONE_NEWNET;
    /* fuse-overlayfs: this process mounts the rootfs in a mount namespace of its own and its
     * daemon stays outside the step's PID namespace; the step's init takes a further mount
     * namespace (its pivot_root must not move this process's root), so this process can
     * unmount and wait for the daemon once the step is over */
    pid_t fused = -1;
    if (sb->fuse_bin && sb->lowerdir) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            report(errfd, "cannot create a mount namespace for fuse-overlayfs");
            _exit(XB_SANDBOX_SETUP_FAILED);
        }
        if (mount_fuse_rootfs(sb, errfd, &fused) < 0)
            _exit(XB_SANDBOX_SETUP_FAILED);
        flags &= ~CLONE_NEWNS;
    }
    if (unshare(flags) < 0) {
        report(errfd, "cannot create namespaces (needs root)");
        _exit(XB_SANDBOX_SETUP_FAILED);
    }
    pid_t p1 = fork();
    if (p1 < 0)
        _exit(XB_SANDBOX_SETUP_FAILED);
    if (p1 == 0)
        xb_sandbox_child(sb, errfd, io->tty ? io->sock[1] : -1);
    int st;
    while (waitpid(p1, &st, 0) < 0)
        if (errno != EINTR)
            _exit(XB_SANDBOX_SETUP_FAILED);
    if (fused > 0) {
        char msg[1024];
        if (xb_sandbox_fuse_unmount(sb->rootfs, fused, msg, sizeof msg) < 0) {
            if (write(errfd, msg, strlen(msg)) < 0)
                _exit(XB_SANDBOX_SETUP_FAILED);
            _exit(XB_SANDBOX_SETUP_FAILED);
        }
    }
    close(errfd);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int xb_sandbox_run(const xb_sandbox_t *sb, int *status, xb_error_t *err)
{
    if (sb->argv == NULL || sb->argv[0] == NULL)
        return xb_error_set(err, XB_ERR_INVALID, "nothing to run");
    if (prepare_state(sb, err) < 0)
        return -1;
    xb_sandbox_io_t io;
    if (xb_sandbox_io_open(&io, sb->policy, err) < 0)
        return -1;
    int errp[2];
    if (pipe2(errp, O_CLOEXEC) < 0) {
        xb_sandbox_io_close(&io);
        return xb_error_errno(err, errno, "pipe");
    }
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(errp[0]);
        close(errp[1]);
        xb_sandbox_io_close(&io);
        return xb_error_errno(err, e, "fork");
    }
    if (pid == 0) {
        close(errp[0]);
        spawn(sb, &io, errp[1], parent);
    }
    close(errp[1]);
    xb_sandbox_io_parent(&io);
    /* readable when the child exits: once its output streams are closed, the wait below
     * wakes at the exit instead of at the next 100 ms tick (-1 before Linux 5.3) */
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int st = 0, sig = 0;
    bool streams = true;
    for (;;) {
        /* relay output while waiting; poll's timeout paces the signal and exit checks */
        if (streams)
            streams = xb_sandbox_io_pump(&io, 100) != 0;
        else if (pidfd >= 0)
            poll(&(struct pollfd){.fd = pidfd, .events = POLLIN}, 1, 100);
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            break;
        struct timespec ts = {0, streams || pidfd >= 0 ? 0 : 100 * 1000 * 1000};
        siginfo_t si;
        int s = sigtimedwait(&block, &si, &ts);
        if (s > 0) {
            sig = s;
            kill(pid, SIGKILL); /* the PID namespace dies with it (PDEATHSIG of its PID 1) */
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            break;
        }
    }
    /* the namespace is gone: what is left in the pipes is the command's last output */
    if (!sig)
        while (streams && (streams = xb_sandbox_io_pump(&io, 1000) != 0))
            if (io.master < 0 && io.out[0] < 0 && io.err[0] < 0)
                break;
    xb_sandbox_io_close(&io);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    char msg[1100];
    ssize_t n = read(errp[0], msg, sizeof msg - 1);
    close(errp[0]);
    msg[n > 0 ? n : 0] = '\0';
    if (sig)
        return xb_error_set(err, XB_ERR_INTERRUPTED, "interrupted by signal %d", sig);
    if (*msg)
        return xb_error_set(err, XB_ERR_RUN, "%s", msg);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

struct stub {
    char path[PATH_MAX];
    struct timespec before, after;
};

static int parse_ts(const char *s, struct timespec *t)
{
    long long sec;
    long nsec;
    if (sscanf(s, "%lld.%ld", &sec, &nsec) != 2)
        return -1;
    t->tv_sec = (time_t)sec;
    t->tv_nsec = nsec;
    return 0;
}

/* fuse-overlayfs makes every new directory opaque: a ".wh..wh..opq" file (and a 0/0 whiteout
 * ".wh..opq" of it) in it. In a directory holding nothing else they are removed, so an unused
 * mount point is empty as with kernel overlayfs. */
static void drop_fuse_markers(int dfd, const char *leaf)
{
    cleanup_close int d = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir = d >= 0 ? fdopendir(d) : NULL;
    if (dir == NULL)
        return;
    d = -1;
    bool only = true;
    struct dirent *de;
    while (only && (de = readdir(dir)) != NULL)
        only = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
               strcmp(de->d_name, ".wh..wh..opq") == 0 || strcmp(de->d_name, ".wh..opq") == 0;
    if (only) {
        (void)unlinkat(dirfd(dir), ".wh..wh..opq", 0);
        (void)unlinkat(dirfd(dir), ".wh..opq", 0);
    }
    closedir(dir);
}

int xb_sandbox_cleanup_stubs(const char *state_dir, const char *tree, bool fuse, xb_error_t *err)
{
    cleanup_free char *sp = xb_path_join(state_dir, "stubs");
    cleanup_free char *data = NULL;
    size_t len;
    cleanup_error xb_error_t e2 = XB_ERROR_INIT;
    if (xb_read_file(sp, 1 << 20, &data, &len, &e2) < 0)
        return 0; /* nothing created */
    size_t cap = 16, n = 0;
    struct stub *v = malloc(cap * sizeof *v);
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l && v; l = strtok_r(NULL, "\n", &save)) {
        char *t1 = strchr(l, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t2 == NULL)
            continue;
        *t1 = *t2 = '\0';
        if (n == cap) {
            struct stub *nv = realloc(v, (cap *= 2) * sizeof *v);
            if (nv == NULL)
                break;
            v = nv;
        }
        snprintf(v[n].path, sizeof v[n].path, "%s", l);
        if (parse_ts(t1 + 1, &v[n].before) == 0 && parse_ts(t2 + 1, &v[n].after) == 0)
            n++;
    }
    cleanup_close int root = xb_inroot_open_root(tree, err);
    if (root < 0) {
        free(v);
        return -1;
    }
    for (size_t i = n; i-- > 0;) {
        cleanup_free char *clean = xb_inroot_clean(v[i].path, &e2);
        if (clean == NULL || !*clean)
            continue;
        const char *leaf;
        cleanup_close int pfd = xb_inroot_parent(root, clean, false, &leaf, &e2);
        if (pfd < 0)
            continue; /* not in this tree (e.g. not copied up) */
        cleanup_close int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat pst, st;
        bool parent_untouched = dfd >= 0 && fstat(dfd, &pst) == 0 &&
                                pst.st_mtim.tv_sec == v[i].after.tv_sec &&
                                pst.st_mtim.tv_nsec == v[i].after.tv_nsec;
        if (dfd < 0 || fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        int r = -1;
        if (S_ISDIR(st.st_mode) && fuse)
            drop_fuse_markers(dfd, leaf);
        if (S_ISDIR(st.st_mode))
            r = unlinkat(dfd, leaf, AT_REMOVEDIR); /* fails when not empty: kept */
        else if (S_ISREG(st.st_mode) && st.st_size == 0)
            r = unlinkat(dfd, leaf, 0);
        if (r == 0 && parent_untouched) {
            struct timespec ts[2] = {{0, UTIME_OMIT}, v[i].before};
            (void)futimens(dfd, ts);
        }
    }
    free(v);
    return 0;
}
