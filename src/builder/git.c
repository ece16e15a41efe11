#include "builder/git.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "layer/inroot.h"
#include "util/cleanup.h"
#include "util/fs.h"

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t l = strlen(suffix);
    return n >= l && strncmp(s + n - l, suffix, l) == 0;
}

bool xb_git_is_url(const char *s)
{
    if (strncmp(s, "git@", 4) == 0 || strncmp(s, "git://", 6) == 0)
        return true;
    if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
        return false;
    const char *frag = strchr(s, '#');
    return ends_with(s, frag ? (size_t)(frag - s) : strlen(s), ".git");
}

void xb_git_checkout_free(xb_git_checkout_t *c)
{
    free(c->dir);
    free(c->commit);
    memset(c, 0, sizeof(*c));
}

/* Runs git with argv (argv[0] = "git"), its stdout and stderr into files under work; *out (if
 * not NULL) gets stdout with the trailing newline cut, *msg the last line of stderr. Returns
 * the exit status, -1 when git cannot run. */
static int run_git(const char *work, char *const argv[], char **out, char **msg)
{
    char op[4096], ep[4096];
    snprintf(op, sizeof op, "%s/git.out", work);
    snprintf(ep, sizeof ep, "%s/git.err", work);
    /* never a prompt: no terminal, no askpass (the user's ssh keys and config still apply);
     * the environment is built before fork (the child only execs) */
    static const char *const set[] = {"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false",
                                      "SSH_ASKPASS=/bin/false", "LC_ALL=C", NULL};
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    cleanup_free char **env = calloc(n + 6, sizeof(char *));
    if (env == NULL)
        return -1;
    size_t k = 0;
    bool ssh_cmd = false;
    for (size_t i = 0; i < n; i++) {
        const char *v = environ[i];
        bool over = false;
        for (size_t j = 0; set[j]; j++)
            over |= strncmp(v, set[j], (size_t)(strchr(set[j], '=') - set[j]) + 1) == 0;
        ssh_cmd |= strncmp(v, "GIT_SSH_COMMAND=", 16) == 0 || strncmp(v, "GIT_SSH=", 8) == 0;
        if (!over)
            env[k++] = environ[i];
    }
    for (size_t j = 0; set[j]; j++)
        env[k++] = (char *)set[j];
    if (!ssh_cmd)
        env[k++] = "GIT_SSH_COMMAND=ssh -o BatchMode=yes";
    env[k] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int o = open(op, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int e = open(ep, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (o < 0 || e < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        execvpe("git", argv, env);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    xb_error_t e = XB_ERROR_INIT;
    if (out != NULL) {
        size_t len = 0;
        *out = NULL;
        if (xb_read_file(op, 65536, out, &len, &e) == 0)
            while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
                (*out)[--len] = '\0';
        xb_error_clear(&e);
    }
    if (msg != NULL) {
        char *all = NULL;
        size_t len = 0;
        free(*msg);
        *msg = NULL;
        if (xb_read_file(ep, 1 << 20, &all, &len, &e) == 0) {
            while (len > 0 && (all[len - 1] == '\n' || all[len - 1] == '\r'))
                all[--len] = '\0';
            char *last = strrchr(all, '\n');
            *msg = strdup(last ? last + 1 : all);
        }
        free(all);
        xb_error_clear(&e);
    }
    if (!WIFEXITED(st))
        return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return WEXITSTATUS(st) == 127 ? -1 : WEXITSTATUS(st);
}

static bool is_hex(const char *s)
{
    size_t n = strlen(s);
    if (n < 7 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* SUBDIR must stay inside the checkout: relative, no ".." component. */
static bool subdir_ok(const char *s)
{
    if (s[0] == '/')
        return false;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 2 && strncmp(p, "..", 2) == 0)
            return false;
        p += l + (e ? 1 : 0);
    }
    return true;
}

/* The directory SUBDIR names inside the checkout repo, as a host path: resolved with the
 * in-root resolver, so a symlink (SUBDIR itself or a component of it, absolute or climbing
 * with "..") is followed only inside the checkout, as BuildKit does, never to a host
 * directory. *dir: caller frees. */
static int resolve_subdir(const char *src, const char *url, const char *want, const char *repo,
                          const char *sub, char **dir, xb_error_t *err)
{
    *dir = NULL;
    cleanup_free char *real = realpath(repo, NULL);
    if (real == NULL)
        return xb_error_errno(err, errno, "ADD %s: checkout %s", src, repo);
    if (sub == NULL || *sub == '\0') {
        *dir = steal_pointer(&real);
        return 0;
    }
    cleanup_free char *clean = xb_inroot_clean(sub, err);
    if (clean == NULL)
        return xb_error_wrap(err, "ADD %s: subdirectory '%s'", src, sub);
    cleanup_close int root = xb_inroot_open_root(real, err);
    if (root < 0)
        return -1;
    cleanup_close int fd = xb_inroot_open(root, clean, O_PATH | O_DIRECTORY, 0);
    if (fd < 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "ADD %s: no directory '%s' in %s at %s%s", src,
                            sub, url, want,
                            fd == -ELOOP || fd == -ENOENT || fd == -ENOTDIR
                                ? " (symlinks in it resolve inside the repository)"
                                : "");
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n < 0)
        return xb_error_errno(err, errno, "ADD %s: subdirectory '%s'", src, sub);
    buf[n] = '\0';
    size_t rl = strlen(real);
    /* the resolver stays in the root; checked again so a surprise is an error, not a copy */
    if (strncmp(buf, real, rl) != 0 || (buf[rl] != '\0' && buf[rl] != '/'))
        return xb_error_set(err, XB_ERR_INVALID,
                            "ADD %s: subdirectory '%s' resolves outside the repository", src, sub);
    *dir = strdup(buf);
    return *dir ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
}

/* --keep-git-dir: a .git that is the same bytes for the same commit, so that the ADD is a cache
 * hit: no fetch records or reflogs (they hold times), an index without stat data (git
 * refreshes it on the first `git status`). Else: no .git, in submodules neither. */
static int settle_git_dir(const char *src, const char *work, const char *repo, bool keep_git,
                          bool submodules, xb_error_t *err)
{
    cleanup_free char *msg = NULL;
    cleanup_free char *dotgit = xb_path_join(repo, ".git");
    if (dotgit == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (keep_git) {
        static const char *const noise[] = {"FETCH_HEAD", "ORIG_HEAD", "logs"};
        for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++) {
            cleanup_free char *p = xb_path_join(dotgit, noise[i]);
            if (p == NULL || xb_rm_rf(p, err) < 0)
                return p ? -1 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        char *rt[] = {"git", "-C", (char *)repo, "read-tree", "HEAD", NULL};
        if (run_git(work, rt, NULL, &msg) != 0)
            return xb_error_set(err, XB_ERR_IO, "ADD %s: git read-tree: %s", src, msg ? msg : "");
        return 0;
    }
    /* .git of the checkout and of submodules (files naming their git dir) */
    char *files[] = {"git", "-C",          (char *)repo,  "submodule", "foreach",
                     "-q",  "--recursive", "rm -rf .git", NULL};
    if (submodules)
        (void)run_git(work, files, NULL, &msg);
    return xb_rm_rf(dotgit, err);
}

/* ADD --checksum of a Git source: hex digits (BuildKit's check, before any fetch). */
static int checksum_valid(const char *src, const char *checksum, xb_error_t *err)
{
    if (checksum == NULL ||
        (checksum[0] != '\0' && strspn(checksum, "0123456789abcdefABCDEF") == strlen(checksum)))
        return 0;
    return xb_error_set(err, XB_ERR_INVALID,
                        "ADD --checksum=%s %s: invalid checksum %s for Git URL, expected hex "
                        "commit hash",
                        checksum, src, checksum);
}

int xb_git_fetch(const char *src, const char *tmpdir, bool keep_git, const char *checksum,
                 xb_git_checkout_t *out, xb_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (checksum_valid(src, checksum, err) < 0)
        return -1;
    cleanup_free char *url = strdup(src);
    if (url == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    char *ref = strchr(url, '#'), *sub = NULL;
    if (ref != NULL) {
        *ref++ = '\0';
        if ((sub = strchr(ref, ':')) != NULL)
            *sub++ = '\0';
    }
    const char *want = ref && *ref ? ref : "HEAD";
    if (ref && *ref == '-')
        return xb_error_set(err, XB_ERR_INVALID, "ADD %s: invalid ref '%s'", src, ref);
    if (sub && *sub && !subdir_ok(sub))
        return xb_error_set(err, XB_ERR_INVALID,
                            "ADD %s: subdirectory '%s' is outside the repository", src, sub);
    cleanup_free char *work = xb_path_join(tmpdir, "git-XXXXXX");
    if (work == NULL || mkdtemp(work) == NULL)
        return xb_error_errno(err, errno, "cannot create a directory under %s", tmpdir);
    cleanup_free char *repo = xb_path_join(work, "repo");
    cleanup_free char *msg = NULL, *commit = NULL, *when = NULL;
    if (repo == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    /* the repository's object format (SHA-1 or SHA-256): the length of the wanted ref's hash
     * (a commit is its own hash; else one ls-remote, which dumb HTTP answers too) */
    cleanup_free char *refs = NULL;
    char *lsr[] = {"git", "ls-remote", "--", url, (char *)want, NULL};
    size_t hlen = strlen(want);
    if (!is_hex(want) && run_git(work, lsr, &refs, &msg) == 0 && refs != NULL)
        hlen = strcspn(refs, " \t\n");
    char *init[] = {"git", "init", "-q", hlen == 64 ? "--object-format=sha256" : "-q", repo, NULL};
    int r = run_git(work, init, NULL, &msg);
    if (r < 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND,
                            "ADD %s: git is needed for Git sources (apt-get install git)", src);
    char *remote[] = {"git", "-C", repo, "remote", "add", "origin", url, NULL};
    if (r != 0 || run_git(work, remote, NULL, &msg) != 0)
        return xb_error_set(err, XB_ERR_IO, "ADD %s: git init failed: %s", src, msg ? msg : "");
    /* shallow first; then the whole ref (dumb HTTP has no shallow fetch); a commit that is no
     * ref's tip: everything, then check it out by name */
    char *wantc = (char *)want;
    char *shallow[] = {"git", "-C",        repo,     "fetch", "-q", "--depth",
                       "1",   "--no-tags", "origin", wantc,   NULL};
    char *full[] = {"git", "-C", repo, "fetch", "-q", "--no-tags", "origin", wantc, NULL};
    char *all[] = {"git", "-C",     repo,     "fetch",
                   "-q",  "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*",
                   NULL};
    const char *checkout_what = "FETCH_HEAD";
    if (run_git(work, shallow, NULL, &msg) != 0 && run_git(work, full, NULL, &msg) != 0) {
        cleanup_free char *first = msg ? strdup(msg) : NULL;
        if (!is_hex(want) || run_git(work, all, NULL, &msg) != 0)
            return xb_error_set(err, XB_ERR_NOT_FOUND, "ADD %s: cannot fetch %s from %s: %s", src,
                                want, url, first ? first : (msg ? msg : ""));
        checkout_what = want;
    }
    char *co[] = {"git",
                  "-C",
                  repo,
                  "-c",
                  "advice.detachedHead=false",
                  "checkout",
                  "-q",
                  "--detach",
                  (char *)checkout_what,
                  NULL};
    if (run_git(work, co, NULL, &msg) != 0)
        return xb_error_set(err, XB_ERR_NOT_FOUND, "ADD %s: cannot check out %s: %s", src, want,
                            msg ? msg : "");
    cleanup_free char *gm = xb_path_join(repo, ".gitmodules");
    char *subm[] = {"git", "-C", repo, "submodule", "update", "-q", "--init", "--recursive", NULL};
    if (gm != NULL && xb_path_exists(gm) && run_git(work, subm, NULL, &msg) != 0)
        return xb_error_set(err, XB_ERR_IO, "ADD %s: submodules: %s", src, msg ? msg : "");
    char *rev[] = {"git", "-C", repo, "rev-parse", "HEAD", NULL};
    char *log[] = {"git", "-C", repo, "log", "-1", "--format=%ct", NULL};
    if (run_git(work, rev, &commit, &msg) != 0 || commit == NULL ||
        run_git(work, log, &when, &msg) != 0 || when == NULL)
        return xb_error_set(err, XB_ERR_IO, "ADD %s: cannot read the commit: %s", src,
                            msg ? msg : "");
    /* --checksum: a prefix of the commit the ref resolved to (as BuildKit) */
    if (checksum != NULL && strncmp(commit, checksum, strlen(checksum)) != 0)
        return xb_error_set(err, XB_ERR_INVALID,
                            "ADD --checksum=%s %s: expected checksum to match %s, got %.40s: the "
                            "ref moved or the checksum is wrong",
                            checksum, src, checksum, commit);
    if (settle_git_dir(src, work, repo, keep_git, gm != NULL && xb_path_exists(gm), err) < 0)
        return -1;
    if (resolve_subdir(src, url, want, repo, sub, &out->dir, err) < 0)
        return -1;
    out->commit = commit;
    commit = NULL;
    out->commit_time = strtoll(when, NULL, 10);
    return 0;
}
