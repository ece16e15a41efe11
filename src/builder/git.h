/* ADD <git ref> (BuildKit's syntax): a Git repository fetched with the host's git into a
 * checkout whose content ADD copies into the destination directory.
 *
 *   https://host/path/repo.git[#REF[:SUBDIR]]   (http:// too; the URL ends in .git)
 *   git://host/path/repo[.git][#REF[:SUBDIR]]
 *   git@host:path/repo.git[#REF[:SUBDIR]]        (ssh, with the user's own ssh setup)
 *
 * REF is a branch, tag or commit (default: the remote's HEAD); SUBDIR a directory of the
 * checkout (never climbing out of it; symlinks in it are followed only inside the checkout,
 * as BuildKit does, so a link to a host directory finds nothing). The fetch is shallow when the
 * server allows it, then falls back to a full fetch (dumb HTTP servers, commits that are not a
 * ref's tip); submodules are checked out too. git runs without a terminal prompt. */
#ifndef XB_BUILD_GIT_H
#define XB_BUILD_GIT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* True when src names a Git repository in one of the forms above. */
bool xb_git_is_url(const char *src);

typedef struct xb_git_checkout {
    char *dir;           /* the checkout (SUBDIR applied); under the caller's tmpdir */
    char *commit;        /* resolved commit (hex) */
    int64_t commit_time; /* committer time, seconds: the mtime of every file */
} xb_git_checkout_t;

/* Fetches src into a new directory under tmpdir. keep_git: keep the .git directory
 * (--keep-git-dir). checksum (ADD --checksum, may be NULL): hex digits that the resolved
 * commit must start with (BuildKit's rule); anything else is an error. Errors name the URL and
 * ref, with git's own last message. */
int xb_git_fetch(const char *src, const char *tmpdir, bool keep_git, const char *checksum,
                 xb_git_checkout_t *out, xb_error_t *err);
void xb_git_checkout_free(xb_git_checkout_t *c);

#endif
