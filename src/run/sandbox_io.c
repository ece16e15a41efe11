/* The command's standard streams: never a host terminal. Output goes through pipes that xbuild
 * copies to its own stdout/stderr; with a terminal requested (xbuild run -t) the sandbox's
 * init allocates a pty in the step's own devpts instance and hands the master to xbuild over
 * a socket, and xbuild relays it; stdin is /dev/null unless -i relays xbuild's stdin. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "run/sandbox-internal.h"
#include "util/fs.h"

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0) {
            close(p[i]);
            p[i] = -1;
        }
}

int xb_sandbox_io_open(xb_sandbox_io_t *io, const xb_sandbox_policy_t *p, xb_error_t *err)
{
    memset(io, 0, sizeof *io);
    io->out[0] = io->out[1] = io->err[0] = io->err[1] = -1;
    io->in[0] = io->in[1] = io->sock[0] = io->sock[1] = io->master = -1;
    io->tty = p && p->tty;
    io->interactive = p && p->interactive;
    if (io->tty) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, io->sock) < 0)
            return xb_error_errno(err, errno, "socketpair");
        return 0;
    }
    /* stdout and stderr on the same file (a terminal, one log): one pipe keeps their order */
    struct stat so, se;
    bool same = fstat(1, &so) == 0 && fstat(2, &se) == 0 && so.st_dev == se.st_dev &&
                so.st_ino == se.st_ino;
    if (pipe2(io->out, O_CLOEXEC) < 0 || (!same && pipe2(io->err, O_CLOEXEC) < 0) ||
        (io->interactive && pipe2(io->in, O_CLOEXEC) < 0)) {
        int e = errno;
        xb_sandbox_io_close(io);
        return xb_error_errno(err, e, "pipe");
    }
    return 0;
}

void xb_sandbox_io_child(xb_sandbox_io_t *io)
{
    if (io->tty) {
        close(io->sock[0]);
        io->sock[0] = -1;
        return;
    }
    dup2(io->out[1], 1);
    dup2(io->err[1] >= 0 ? io->err[1] : io->out[1], 2);
    if (io->interactive)
        dup2(io->in[0], 0);
    /* xbuild's ends (and the originals) must not stay open in here: the command would never
     * see the end of its stdin */
    close_pair(io->out);
    close_pair(io->err);
    close_pair(io->in);
}

void xb_sandbox_io_parent(xb_sandbox_io_t *io)
{
    if (io->tty) {
        close(io->sock[1]);
        io->sock[1] = -1;
    }
    if (io->out[1] >= 0)
        close(io->out[1]);
    if (io->err[1] >= 0)
        close(io->err[1]);
    if (io->in[0] >= 0)
        close(io->in[0]);
    io->out[1] = io->err[1] = io->in[0] = -1;
    io->stdin_open = io->interactive;
}

static int recv_master(int sock)
{
    char cbuf[CMSG_SPACE(sizeof(int))], b;
    struct iovec iov = {&b, 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) <= 0)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/* copies what is readable on from to to; 0 on EOF/error (from is then done) */
static int relay(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n <= 0)
        return 0;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    (void)xb_write_all(to, buf, (size_t)n, &e);
    return 1;
}

static void tty_start(xb_sandbox_io_t *io)
{
    struct winsize ws;
    if (ioctl(1, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(io->master, TIOCSWINSZ, &ws);
    if (io->interactive && isatty(0) && tcgetattr(0, &io->saved) == 0) {
        struct termios raw = io->saved;
        cfmakeraw(&raw);
        if (tcsetattr(0, TCSANOW, &raw) == 0)
            io->raw = true;
    }
}

int xb_sandbox_io_pump(xb_sandbox_io_t *io, int timeout_ms)
{
    struct pollfd pf[4];
    int n = 0, i_out = -1, i_err = -1, i_in = -1, i_sock = -1;
    if (io->sock[0] >= 0)
        pf[i_sock = n++] = (struct pollfd){io->sock[0], POLLIN, 0};
    int out = io->tty ? io->master : io->out[0];
    if (out >= 0)
        pf[i_out = n++] = (struct pollfd){out, POLLIN, 0};
    if (io->err[0] >= 0)
        pf[i_err = n++] = (struct pollfd){io->err[0], POLLIN, 0};
    if (io->stdin_open && (!io->tty || io->master >= 0))
        pf[i_in = n++] = (struct pollfd){0, POLLIN, 0};
    if (n == 0)
        return 0;
    if (poll(pf, (nfds_t)n, timeout_ms) <= 0)
        return 1;
    if (i_sock >= 0 && pf[i_sock].revents) {
        io->master = recv_master(io->sock[0]);
        close(io->sock[0]);
        io->sock[0] = -1;
        if (io->master >= 0)
            tty_start(io);
    }
    if (i_out >= 0 && pf[i_out].revents && !relay(out, 1)) {
        close(out);
        if (io->tty)
            io->master = -1;
        else
            io->out[0] = -1;
    }
    if (i_err >= 0 && pf[i_err].revents && !relay(io->err[0], 2)) {
        close(io->err[0]);
        io->err[0] = -1;
    }
    if (i_in >= 0 && pf[i_in].revents) {
        int to = io->tty ? io->master : io->in[1];
        if (!relay(0, to)) {
            io->stdin_open = false;
            if (!io->tty) {
                close(io->in[1]);
                io->in[1] = -1;
            }
        }
    }
    return 1;
}

void xb_sandbox_io_close(xb_sandbox_io_t *io)
{
    if (io->raw)
        (void)tcsetattr(0, TCSANOW, &io->saved);
    io->raw = false;
    close_pair(io->out);
    close_pair(io->err);
    close_pair(io->in);
    close_pair(io->sock);
    if (io->master >= 0)
        close(io->master);
    io->master = -1;
}

int xb_sandbox_pty_open(int sock, char *msg, size_t len)
{
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int unlock = 0;
    char name[64];
    if (m < 0 || ioctl(m, TIOCSPTLCK, &unlock) < 0 || ptsname_r(m, name, sizeof name) != 0) {
        snprintf(msg, len, "cannot allocate a pty in the sandbox: %s", strerror(errno));
        return -1;
    }
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0) {
        snprintf(msg, len, "cannot open %s: %s", name, strerror(errno));
        return -1;
    }
    char cbuf[CMSG_SPACE(sizeof(int))], b = 't';
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {&b, 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &m, sizeof m);
    if (sendmsg(sock, &mh, 0) < 0) {
        snprintf(msg, len, "cannot hand the pty to xbuild: %s", strerror(errno));
        return -1;
    }
    close(m);
    close(sock);
    return s;
}
