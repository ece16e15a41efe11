/* Inside the sandbox's namespaces: the rootfs, the system and user mounts, pivot_root, then the
 * command through sandbox_exec.c. Runs in a forked child: on any error a message goes to errfd
 * and the process exits. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layer/inroot.h"
#include "run/sandbox-internal.h"
#include "run/sandbox_child.h"
#include "run/user.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sys.h"

static const char *fdpath(int fd, char buf[64])
{
    snprintf(buf, 64, "/proc/self/fd/%d", fd);
    return buf;
}

/* The path of fd relative to the root (for the stubs list). */
static int rel_of(struct child *c, int fd, char *out, size_t n)
{
    char p[64], full[PATH_MAX];
    ssize_t l = readlink(fdpath(fd, p), full, sizeof full - 1);
    if (l < 0)
        return -1;
    full[l] = '\0';
    size_t rl = strlen(c->rootpath);
    if (strncmp(full, c->rootpath, rl) != 0 || (full[rl] != '/' && full[rl] != '\0'))
        return -1;
    snprintf(out, n, "%s", full[rl] == '/' ? full + rl + 1 : "");
    return 0;
}

/* Creates what is missing of rel (a dir, or a file when !dir) inside the root; a dangling
 * symlink on the way is followed inside the root. Returns 0, or 1 with *next set to the
 * path to retry with (a symlink was met). */
static int create_path(struct child *c, const char *rel, bool dir, bool record, bool optional,
                       char *next, size_t nn)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", rel);
    size_t n = strlen(buf);
    for (size_t end = 0; end <= n; end++) {
        if (buf[end] != '/' && buf[end] != '\0')
            continue;
        char save = buf[end];
        buf[end] = '\0';
        int e = xb_inroot_open(c->rootfd, buf, O_PATH, 0);
        if (e >= 0) {
            close(e);
            buf[end] = save;
            continue;
        }
        char *slash = strrchr(buf, '/');
        const char *comp = slash ? slash + 1 : buf;
        if (slash)
            *slash = '\0';
        int pfd = xb_inroot_open(c->rootfd, slash ? buf : "", O_PATH | O_DIRECTORY, 0);
        if (slash)
            *slash = '/';
        if (pfd < 0) {
            if (optional)
                return -1;
            FAIL(c, "mount target /%s: parent of /%s: %s", rel, buf, strerror(-pfd));
        }
        char prel[PATH_MAX];
        if (rel_of(c, pfd, prel, sizeof prel) < 0)
            FAIL(c, "mount target /%s: cannot locate /%s", rel, buf);
        struct stat lst;
        if (fstatat(pfd, comp, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
            /* dangling symlink: continue at its target, inside the root */
            char lt[PATH_MAX], joined[3 * PATH_MAX];
            ssize_t ll = readlinkat(pfd, comp, lt, sizeof lt - 1);
            close(pfd);
            if (ll < 0)
                FAIL(c, "mount target /%s: readlink /%s: %s", rel, buf, strerror(errno));
            lt[ll] = '\0';
            snprintf(joined, sizeof joined, "%s/%s/%s", lt[0] == '/' ? "" : prel, lt,
                     save ? buf + end + 1 : "");
            char *cl = xb_inroot_clean_clamp(joined);
            if (cl == NULL)
                FAIL(c, "mount target /%s: path too long", rel);
            snprintf(next, nn, "%s", cl);
            free(cl);
            return 1;
        }
        struct stat before, after;
        fstat(pfd, &before);
        bool last = save == '\0';
        int r;
        if (!last || dir) {
            r = mkdirat(pfd, comp, 0755);
        } else {
            r = openat(pfd, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (r >= 0)
                close(r);
        }
        if (r < 0) {
            close(pfd);
            if (optional)
                return -1;
            FAIL(c, "cannot create mount point /%s: %s", buf, strerror(errno));
        }
        fstat(pfd, &after);
        if (record && c->stubs)
            fprintf(c->stubs, "%s%s%s\t%lld.%09ld\t%lld.%09ld\n", prel, *prel ? "/" : "", comp,
                    (long long)before.st_mtim.tv_sec, before.st_mtim.tv_nsec,
                    (long long)after.st_mtim.tv_sec, after.st_mtim.tv_nsec);
        close(pfd);
        buf[end] = save;
    }
    if (c->stubs)
        fflush(c->stubs);
    return 0;
}

/* Opens (creating when missing, and recording what was created when record is set) the mount
 * target rel inside the root. Returns an O_PATH fd, or -1 when optional and impossible. */
static int target_ex(struct child *c, const char *rel, bool dir, bool optional, bool record)
{
    char cur[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", rel);
    for (int hops = 0; hops < 40; hops++) {
        int fd = xb_inroot_open(c->rootfd, cur, O_PATH, 0);
        if (fd >= 0) {
            struct stat st;
            if (fstat(fd, &st) == 0 && (S_ISDIR(st.st_mode) != dir)) {
                close(fd);
                if (optional)
                    return -1;
                FAIL(c, "mount target /%s exists and is %sa directory", rel, dir ? "not " : "");
            }
            return fd;
        }
        if (fd != -ENOENT) {
            if (optional)
                return -1;
            FAIL(c, "mount target /%s: %s", rel, strerror(-fd));
        }
        char next[PATH_MAX];
        int r = create_path(c, cur, dir, record, optional, next, sizeof next);
        if (r < 0)
            return -1;
        if (r == 1)
            snprintf(cur, sizeof cur, "%s", next);
    }
    if (optional)
        return -1;
    FAIL(c, "mount target /%s: too many levels of symbolic links", rel);
}

static int target(struct child *c, const char *rel, bool dir, bool optional)
{
    return target_ex(c, rel, dir, optional, true);
}

/* Sets the flags of the bind mount at rel (looked up again: an fd opened before the mount
 * names what is under it). */
static void remount(struct child *c, const char *rel, unsigned long flags, const char *what)
{
    int fd = xb_inroot_open(c->rootfd, rel, O_PATH, 0);
    char p[64];
    if (fd < 0 || mount(NULL, fdpath(fd, p), NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
        FAIL(c, "cannot make /%s %s: %s", rel, what, strerror(fd < 0 ? -fd : errno));
    close(fd);
}

static void remount_ro(struct child *c, const char *rel, unsigned long flags)
{
    remount(c, rel, MS_RDONLY | flags, "read-only");
}

static void bind_fd(struct child *c, int src, const char *rel, bool readonly)
{
    struct stat st;
    if (fstat(src, &st) < 0)
        FAIL(c, "bind source for /%s: %s", rel, strerror(errno));
    int t = target(c, rel, S_ISDIR(st.st_mode), false);
    char p1[64], p2[64];
    if (mount(fdpath(src, p1), fdpath(t, p2), NULL, MS_BIND | MS_REC, NULL) < 0)
        FAIL(c, "cannot bind-mount onto /%s: %s", rel, strerror(errno));
    close(t);
    /* device nodes in a bind source (a cache dir, the context, a host volume) stay inert */
    remount(c, rel, MS_NOSUID | MS_NODEV | (readonly ? MS_RDONLY : 0),
            readonly ? "nodev and read-only" : "nodev");
}

static void bind_host(struct child *c, const char *host, const char *rel, bool optional)
{
    int src = open(host, O_PATH | O_CLOEXEC);
    if (src < 0) {
        if (optional)
            return;
        FAIL(c, "cannot open %s: %s", host, strerror(errno));
    }
    struct stat st;
    fstat(src, &st);
    int t = target(c, rel, S_ISDIR(st.st_mode), optional);
    char p1[64], p2[64];
    if (t >= 0 && mount(fdpath(src, p1), fdpath(t, p2), NULL, MS_BIND, NULL) < 0 && !optional)
        FAIL(c, "cannot bind %s onto /%s: %s", host, rel, strerror(errno));
    if (t >= 0)
        close(t);
    close(src);
}

static void mount_fs(struct child *c, const char *rel, const char *type, unsigned long flags,
                     const char *data)
{
    int t = target(c, rel, true, false);
    char p[64];
    if (mount(type, fdpath(t, p), type, flags, data) < 0)
        FAIL(c, "cannot mount %s on /%s: %s", type, rel, strerror(errno));
    close(t);
}

/* The --device nodes: the host's node bind-mounted (a bind keeps the host devtmpfs's mount
 * flags, so it is the one usable node on the nodev /dev). */
static void bind_devices(struct child *c)
{
    const xb_sandbox_policy_t *p = c->sb->policy;
    for (size_t i = 0; p && i < p->ndevices; i++) {
        const xb_device_t *d = &p->devices[i];
        int s = open(d->host, O_PATH | O_CLOEXEC);
        if (s < 0)
            FAIL(c, "--device %s: %s", d->host, strerror(errno));
        int t = target(c, d->target, false, false);
        char p1[64], p2[64];
        if (mount(fdpath(s, p1), fdpath(t, p2), NULL, MS_BIND, NULL) < 0)
            FAIL(c, "--device %s: cannot bind it onto /%s: %s", d->host, d->target,
                 strerror(errno));
        close(t);
        close(s);
    }
}

/* Host volumes (-v HOST:CTR[:ro]): writes reach the host. */
static void bind_volumes(struct child *c)
{
    const xb_sandbox_policy_t *p = c->sb->policy;
    for (size_t i = 0; p && i < p->nvolumes; i++) {
        const xb_volume_t *v = &p->volumes[i];
        int s = open(v->host, O_PATH | O_CLOEXEC);
        if (s < 0)
            FAIL(c, "-v %s: %s", v->host, strerror(errno));
        bind_fd(c, s, v->target, v->readonly);
        close(s);
    }
}

/* /dev: a nodev tmpfs with the host's null, zero, full, random, urandom and tty (the generic
 * "controlling terminal" node) bind-mounted, a new devpts instance and a /dev/shm. */
static void setup_dev(struct child *c)
{
    mount_fs(c, "dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME | c->nodev,
             "mode=755,size=65536k");
    int dev = xb_inroot_open(c->rootfd, "dev", O_PATH | O_DIRECTORY, 0);
    if (dev < 0)
        FAIL(c, "cannot open /dev: %s", strerror(-dev));
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        char host[32], p1[64], p2[64];
        snprintf(host, sizeof host, "/dev/%s", nodes[i]);
        int f = openat(dev, nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (f < 0)
            FAIL(c, "cannot create /dev/%s: %s", nodes[i], strerror(errno));
        close(f);
        int t = openat(dev, nodes[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        int s = open(host, O_PATH | O_CLOEXEC);
        if (t < 0 || s < 0 || mount(fdpath(s, p1), fdpath(t, p2), NULL, MS_BIND, NULL) < 0) {
            if (strcmp(nodes[i], "tty") != 0) /* no controlling tty on the host is fine */
                FAIL(c, "cannot bind %s: %s", host, strerror(errno));
        }
        if (t >= 0)
            close(t);
        if (s >= 0)
            close(s);
    }
    mkdirat(dev, "pts", 0755);
    mkdirat(dev, "shm", 01777);
    close(dev);
    /* gid 5 (tty) is not mapped in a one-id user namespace (rootless without a range) */
    int pts = target(c, "dev/pts", true, false);
    char pp[64];
    if (mount("devpts", fdpath(pts, pp), "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0 &&
        (errno != EINVAL || mount("devpts", fdpath(pts, pp), "devpts", MS_NOSUID | MS_NOEXEC,
                                  "newinstance,ptmxmode=0666,mode=0620") < 0))
        FAIL(c, "cannot mount devpts on /dev/pts: %s", strerror(errno));
    close(pts);
    mount_fs(c, "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
    dev = xb_inroot_open(c->rootfd, "dev", O_PATH | O_DIRECTORY, 0);
    static const char *const links[][2] = {{"pts/ptmx", "ptmx"},
                                           {"/proc/self/fd", "fd"},
                                           {"/proc/self/fd/0", "stdin"},
                                           {"/proc/self/fd/1", "stdout"},
                                           {"/proc/self/fd/2", "stderr"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlinkat(links[i][0], dev, links[i][1]) < 0)
            FAIL(c, "cannot create /dev/%s: %s", links[i][1], strerror(errno));
    close(dev);
}

/* Opens a --mount source inside its own root, in the sandbox's mount namespace. */
static int open_source(struct child *c, const xb_run_mount_t *m)
{
    int root = open(m->src_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        FAIL(c, "--mount source root %s: %s", m->src_root, strerror(errno));
    int fd = xb_inroot_open(root, m->src_rel, O_PATH, 0);
    if (fd < 0)
        FAIL(c, "--mount source '%s': %s", m->src_rel, strerror(-fd));
    close(root);
    return fd;
}

/* A fuse-overlayfs mount for --mount i (a stage or a rw bind); its daemon is a child of this
 * init and dies with the step (its upper dir is thrown away). */
static void fuse_mount(struct child *c, const char *opts, const char *target, const char *flags,
                       size_t i)
{
    char all[3 * PATH_MAX + 320], log[PATH_MAX + 32], msg[768];
    snprintf(all, sizeof all, "%s,%s", opts, flags);
    snprintf(log, sizeof log, "%s/fuse-mount-%zu.log", c->sb->state_dir, i);
    pid_t pid;
    if (xb_sandbox_fuse_mount(c->sb->fuse_bin, NULL, all, target, log, &pid, msg, sizeof msg) < 0)
        FAIL(c, "cannot mount /%s with %s: %s", c->sb->mounts[i].target, c->sb->fuse_bin, msg);
}

/* The source of a --mount from a stage (or the .dockerignore-filtered context): a read-only
 * overlay of its layers at STATE/stage-i, and the source path in it. */
static int open_stage_source(struct child *c, const xb_run_mount_t *m, size_t i)
{
    const xb_sandbox_t *sb = c->sb;
    char mp[PATH_MAX + 32], opts[3 * PATH_MAX + 256];
    snprintf(mp, sizeof mp, "%s/stage-%zu", sb->state_dir, i);
    mkdir(mp, 0700);
    snprintf(opts, sizeof opts, "lowerdir=%s%s%s/empty%s", m->lowerdir, *m->lowerdir ? ":" : "",
             sb->state_dir, sb->fuse_bin || !xb_sys_in_userns() ? "" : ",userxattr");
    if (sb->fuse_bin)
        fuse_mount(c, opts, mp, "ro,nodev,nosuid", i);
    else if (mount("overlay", mp, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opts) < 0)
        FAIL(c, "cannot mount stage '%s' for /%s: %s", m->from ? m->from : "context", m->target,
             strerror(errno));
    int sroot = open(mp, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int src = sroot < 0 ? sroot : xb_inroot_open(sroot, m->source, O_PATH, 0);
    if (src < 0)
        FAIL(c, "bind source /%s in stage '%s' not found", m->source,
             m->from ? m->from : "context");
    return src;
}

/* A rw bind of the directory src: an overlay whose writes land in a throwaway upper dir.
 * false, with errno, when the kernel overlay cannot be mounted. */
static bool mount_rw_overlay(struct child *c, const xb_run_mount_t *m, int src, size_t i)
{
    const xb_sandbox_t *sb = c->sb;
    char up[PATH_MAX + 32], wk[PATH_MAX + 32], real[PATH_MAX], p[64], tp[64];
    char opts[3 * PATH_MAX + 256];
    snprintf(up, sizeof up, "%s/bind-%zu-u", sb->state_dir, i);
    snprintf(wk, sizeof wk, "%s/bind-%zu-w", sb->state_dir, i);
    mkdir(up, 0755);
    mkdir(wk, 0700);
    ssize_t rl = readlink(fdpath(src, p), real, sizeof real - 1);
    real[rl > 0 ? rl : 0] = '\0';
    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s",
             sb->fuse_bin ? real : fdpath(src, p), up, wk);
    int t = target(c, m->target, true, false);
    bool done = true;
    if (sb->fuse_bin) {
        /* the daemon has its own fds: it mounts on the target's real path */
        rl = readlink(fdpath(t, tp), real, sizeof real - 1);
        real[rl > 0 ? rl : 0] = '\0';
        fuse_mount(c, opts, real, "volatile,nodev,nosuid", i);
    } else {
        done = xb_sandbox_mount_overlay(fdpath(t, tp), MS_NODEV | MS_NOSUID, opts) == 0;
    }
    int e = errno;
    close(t);
    errno = e;
    return done;
}

static void setup_user_mounts(struct child *c)
{
    const xb_sandbox_t *sb = c->sb;
    bool secrets_fs = false;
    char sdir[PATH_MAX + 16];
    snprintf(sdir, sizeof sdir, "%s/secrets", sb->state_dir);
    for (size_t i = 0; i < sb->nmounts; i++) {
        xb_run_mount_t *m = &sb->mounts[i];
        char opts[3 * PATH_MAX + 256];
        switch (m->type) {
        case XB_MOUNT_TMPFS:
            snprintf(opts, sizeof opts, "mode=1777%s%lld", m->size ? ",size=" : "",
                     m->size ? m->size : 0);
            if (!m->size)
                snprintf(opts, sizeof opts, "mode=1777");
            mount_fs(c, m->target, "tmpfs", MS_NOSUID | MS_NODEV, opts);
            break;
        case XB_MOUNT_CACHE: {
            int src = open_source(c, m);
            bind_fd(c, src, m->target, m->readonly);
            close(src);
            break;
        }
        case XB_MOUNT_BIND: {
            /* another stage (or the filtered context): a read-only overlay */
            int src = m->lowerdir ? open_stage_source(c, m, i) : open_source(c, m);
            struct stat st;
            bool rw_dir = !m->readonly && fstat(src, &st) == 0 && S_ISDIR(st.st_mode);
            if (rw_dir && mount_rw_overlay(c, m, src, i))
                break;
            if (rw_dir) /* never a silent read-only bind */
                FAIL(c,
                     "--mount=type=bind,rw on /%s: the overlay that takes its writes cannot be "
                     "mounted here (%s); use a store on a filesystem that holds overlayfs "
                     "upper dirs (--root), or XBUILD_SNAPSHOTTER=fuse-overlayfs",
                     m->target, strerror(errno));
            bind_fd(c, src, m->target, true);
            break;
        }
        case XB_MOUNT_SECRET: {
            if (m->target == NULL) /* env= only */
                break;
            if (!secrets_fs) {
                /* noexec unless a heredoc script is among them */
                bool any_exec = false;
                for (size_t k = 0; k < sb->nmounts; k++)
                    any_exec |= sb->mounts[k].exec;
                if (mount("tmpfs", sdir, "tmpfs", MS_NOSUID | MS_NODEV | (any_exec ? 0 : MS_NOEXEC),
                          "mode=700,size=16m") < 0)
                    FAIL(c, "cannot mount the secrets tmpfs: %s", strerror(errno));
                secrets_fs = true;
            }
            char f[PATH_MAX + 48];
            snprintf(f, sizeof f, "%s/%zu", sdir, i);
            int fd = open(f, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0400);
            if (fd < 0)
                FAIL(c, "secret %s: %s", m->id, strerror(errno));
            if (xb_write_all(fd, m->data, m->len, NULL) < 0)
                FAIL(c, "secret %s: cannot write", m->id);
            if (fchown(fd, m->uid >= 0 ? (uid_t)m->uid : 0, m->gid >= 0 ? (gid_t)m->gid : 0) < 0 ||
                fchmod(fd, m->mode >= 0 ? (mode_t)m->mode : 0400) < 0)
                FAIL(c, "secret %s: %s", m->id, strerror(errno));
            close(fd);
            int src = open(f, O_PATH | O_CLOEXEC);
            bind_fd(c, src, m->target, true);
            close(src);
            break;
        }
        }
    }
}

/* As Docker: kernel knobs under /proc read-only, a few informational files masked. */
static void harden_proc(struct child *c)
{
    static const char *const ro[] = {"proc/sys", "proc/sysrq-trigger", "proc/irq", "proc/bus",
                                     "proc/fs"};
    static const char *const masked[] = {"proc/kcore", "proc/keys", "proc/timer_list",
                                         "proc/sched_debug", "proc/latency_stats"};
    char p1[64], p2[64];
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        int fd = xb_inroot_open(c->rootfd, ro[i], O_PATH | O_NOFOLLOW, 0);
        if (fd < 0)
            continue;
        if (mount(fdpath(fd, p1), fdpath(fd, p2), NULL, MS_BIND | MS_REC, NULL) == 0)
            remount_ro(c, ro[i], MS_NOSUID | MS_NODEV | MS_NOEXEC);
        close(fd);
    }
    int null = open("/dev/null", O_PATH | O_CLOEXEC);
    for (size_t i = 0; null >= 0 && i < sizeof masked / sizeof masked[0]; i++) {
        int fd = xb_inroot_open(c->rootfd, masked[i], O_PATH | O_NOFOLLOW, 0);
        if (fd < 0)
            continue;
        (void)mount(fdpath(null, p1), fdpath(fd, p2), NULL, MS_BIND, NULL);
        close(fd);
    }
    if (null >= 0)
        close(null);
}

/* The command keeps the policy's capabilities (run/policy.h); the rest leave the bounding set
 * (root's exec then gets only these). */
static void loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        (void)ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

/* A working directory missing from the image is created (and kept in the layer) as BuildKit's
 * executor does: the missing components 0755, owned by the user the command runs as; existing
 * ones are left alone. Runs after pivot_root, so the path resolves inside the root. */
static void make_cwd(struct child *c, const char *cwd, uid_t uid, gid_t gid)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", cwd) >= (int)sizeof buf)
        FAIL(c, "WORKDIR %s: path too long", cwd);
    for (char *s = buf + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char save = *s;
        *s = '\0';
        if (s > buf && s[-1] != '/') {
            if (mkdir(buf, 0755) == 0) {
                if (chown(buf, uid, gid) < 0 || chmod(buf, 0755) < 0)
                    FAIL(c, "cannot create WORKDIR %s: %s: %s", cwd, buf, strerror(errno));
            } else if (errno != EEXIST) {
                FAIL(c, "cannot create WORKDIR %s: %s: %s", cwd, buf, strerror(errno));
            }
        }
        *s = save;
        if (save == '\0')
            break;
    }
}

/* The rootfs mounted on itself (the overlay of the layers, or a bind of the copy), opened as
 * c->rootfd and named in c->rootpath. */
static void mount_rootfs(struct child *c)
{
    const xb_sandbox_t *sb = c->sb;
    /* lowerdirs (the rootfs overlay's, and those of --mount from= stages and of the filtered
     * context under every snapshotter, copy included) are relative to the layers dir */
    if (chdir(sb->layers_dir) < 0)
        FAIL(c, "cannot enter %s: %s", sb->layers_dir, strerror(errno));
    if (sb->lowerdir && sb->fuse_bin) {
        /* mounted by the parent with fuse-overlayfs (sandbox.c) */
    } else if (sb->lowerdir) {
        char opts[8192];
        const char *lower = *sb->lowerdir ? sb->lowerdir : NULL;
        char empty[PATH_MAX];
        snprintf(empty, sizeof empty, "%s/empty", sb->state_dir);
        int n = snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s",
                         lower ? lower : empty, sb->upper, sb->work);
        if (n >= 4000)
            FAIL(c, "too many layers for one overlay mount (%d bytes of options)", n);
        size_t base = strlen(opts);
        snprintf(opts + base, sizeof opts - base, ",index=off,redirect_dir=off,metacopy=off");
        if (xb_sandbox_mount_overlay(sb->rootfs, c->nodev, opts) < 0) {
            opts[base] = '\0';
            if (xb_sandbox_mount_overlay(sb->rootfs, c->nodev, opts) < 0)
                FAIL(c, "cannot mount the overlay rootfs: %s", strerror(errno));
        }
    } else if (mount(sb->rootfs, sb->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0 ||
               mount(NULL, sb->rootfs, NULL, MS_REMOUNT | MS_BIND | c->nodev, NULL) < 0) {
        FAIL(c, "cannot bind the rootfs: %s", strerror(errno));
    }
    c->rootfd = open(sb->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    char p[64];
    ssize_t rl =
        c->rootfd < 0 ? -1 : readlink(fdpath(c->rootfd, p), c->rootpath, sizeof c->rootpath - 1);
    if (rl < 0)
        FAIL(c, "cannot open the rootfs: %s", strerror(errno));
    c->rootpath[rl] = '\0';
}

/* /proc, /dev, /sys and the state dir's resolv.conf, hosts and hostname in the rootfs. */
static void mount_system(struct child *c)
{
    char p[64];
    mount_fs(c, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    if (!c->privileged)
        harden_proc(c);
    setup_dev(c);
    bind_devices(c);
    int t = target(c, "sys", true, false);
    unsigned long ro = c->privileged ? 0 : MS_RDONLY;
    if (mount("sysfs", fdpath(t, p), "sysfs", ro | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        if (mount("/sys", fdpath(t, p), NULL, MS_BIND | MS_REC, NULL) < 0)
            FAIL(c, "cannot mount /sys: %s", strerror(errno));
        if (!c->privileged)
            remount_ro(c, "sys", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }
    close(t);
    static const char *const files[] = {"resolv.conf", "hosts", "hostname"};
    for (size_t i = 0; i < 3; i++) {
        char host[PATH_MAX], rel[64];
        snprintf(host, sizeof host, "%s/%s", c->sb->state_dir, files[i]);
        snprintf(rel, sizeof rel, "etc/%s", files[i]);
        bind_host(c, host, rel, true);
    }
}

/* The step's init (this process, a fork of xbuild) is pid 1 of the step's PID namespace, and
 * /proc/1/cmdline is readable by every process there, whatever the dumpable flag: xbuild's own
 * command line, with every --build-arg value (declared in the Dockerfile or not), --creds
 * USER:PASS and --secret sources. Once the command's process is forked (it keeps its copy:
 * sb's strings may point into argv), the init overwrites its own argument and environment
 * areas, and only then lets the command go on; /proc/1/cmdline reads "xbuild-init". */
static void scrub_command_line(void)
{
    char state;
    unsigned long long a[4]; /* arg_start, arg_end, env_start, env_end: fields 48-51 */
    if (xb_sys_proc_stat(0, &state, 48, 4, a) < 0 || a[1] <= a[0] || a[3] < a[2])
        return;
    static const char name[] = "xbuild-init";
    memset((void *)(uintptr_t)a[0], 0, a[1] - a[0]);
    memset((void *)(uintptr_t)a[2], 0, a[3] - a[2]);
    if (a[1] - a[0] > sizeof name)
        memcpy((void *)(uintptr_t)a[0], name, sizeof name);
}

void xb_sandbox_child(const xb_sandbox_t *sb, int errfd, int ptysock)
{
    bool priv = sb->policy && sb->policy->privileged;
    struct child cc = {sb, errfd, priv, priv ? 0 : MS_NODEV, -1, "", NULL};
    struct child *c = &cc;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* with fuse-overlayfs the parent kept the mount namespace (sandbox.c): one of our own */
    if (sb->fuse_bin && sb->lowerdir && unshare(CLONE_NEWNS) < 0)
        FAIL(c, "cannot create the step's mount namespace: %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        FAIL(c, "cannot make mounts private: %s", strerror(errno));
    char sp[PATH_MAX];
    snprintf(sp, sizeof sp, "%s/stubs", sb->state_dir);
    c->stubs = fopen(sp, "we");
    mount_rootfs(c);
    mount_system(c);
    setup_user_mounts(c);
    bind_volumes(c);
    if (chdir(sb->rootfs) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
        umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        FAIL(c, "pivot_root: %s", strerror(errno));
    close(c->rootfd);
    if (c->stubs)
        fclose(c->stubs);
    const char *hn = sb->hostname && *sb->hostname ? sb->hostname : "xbuild";
    if (sethostname(hn, strlen(hn)) < 0)
        FAIL(c, "sethostname: %s", strerror(errno));
    if (sb->network_none)
        loopback_up();
    int slave = -1;
    if (ptysock >= 0) {
        char msg[256];
        if ((slave = xb_sandbox_pty_open(ptysock, msg, sizeof msg)) < 0)
            FAIL(c, "%s", msg);
    }

    xb_user_t u;
    xb_error_t e = XB_ERROR_INIT;
    if (xb_user_resolve(sb->user, "/etc/passwd", "/etc/group", &u, &e) < 0)
        FAIL(c, "%s", e.msg);
    const char *cwd = sb->cwd && *sb->cwd ? sb->cwd : "/";
    make_cwd(c, cwd, u.uid, u.gid);
    char **env = xb_sandbox_make_env(sb, u.home);
    int nul = sb->policy && sb->policy->interactive ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul >= 0) {
        dup2(nul, 0);
        close(nul);
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int go[2];
    if (pipe2(go, O_CLOEXEC) < 0)
        FAIL(c, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        FAIL(c, "fork: %s", strerror(errno));
    if (pid == 0) {
        char b;
        close(go[1]);
        if (read(go[0], &b, 1) != 1) /* the init hides xbuild's command line first */
            _exit(XB_SANDBOX_SETUP_FAILED);
        close(go[0]);
        xb_sandbox_exec_command(c, &u, cwd, env, slave);
    }
    close(go[0]);
    scrub_command_line();
    if (write(go[1], "x", 1) != 1)
        FAIL(c, "cannot start the command: %s", strerror(errno));
    close(go[1]);
    if (slave >= 0)
        close(slave);
    xb_sandbox_reap(pid);
}
