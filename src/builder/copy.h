/* COPY/ADD planning: turns sources (patterns in a source tree, or extra files such as heredocs
 * and downloads) and a destination into the entries of one layer, with Docker's rules:
 * directory sources copy their contents, globs, trailing-slash destinations, several sources
 * need a directory destination, relative destinations against WORKDIR, --chown/--chmod,
 * --exclude, parent directories created when the image lacks them (0755 or the numeric --chmod,
 * owned by the --chown user, as BuildKit); names of one source
 * inode (xb_centry_t dev:ino) become one file plus hard links to it. */
#ifndef XB_BUILD_COPY_H
#define XB_BUILD_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "builder/entries.h"
#include "util/error.h"

/* ADD's archive hook: called for each top-level regular-file source. Returns 1 when src was an
 * archive and its entries were added to out below destdir (image path, no leading slash), 0 to
 * copy it as a plain file, < 0 on error. */
typedef int (*xb_copy_archive_fn)(void *ud, const xb_centry_t *src, const char *destdir,
                                  xb_centries_t *out, xb_error_t *err);
/* --exclude matcher: true when rel (path relative to the copied source) is excluded. */
typedef bool (*xb_copy_exclude_fn)(void *ud, const char *rel, bool is_dir);

typedef struct xb_copy_req {
    const char *instr;        /* "COPY" / "ADD" (messages) */
    const xb_centries_t *src; /* source tree (context or stage rootfs), may be NULL */
    bool from_context;        /* without --chown files become 0:0 */
    const char *const *srcs;  /* source patterns as written (after expansion) */
    size_t nsrcs;
    const xb_centry_t *files; /* extra sources not looked up in src (heredocs, URLs): path is
                                 the file name used for "dest/" */
    size_t nfiles;
    const char *dest;           /* as written */
    const char *workdir;        /* absolute; NULL = "/" */
    const xb_centries_t *image; /* current rootfs index (destination checks), may be NULL */
    bool chown;
    uid_t uid;
    gid_t gid;
    bool chmod;
    mode_t perm;
    const char *chmod_sym; /* symbolic --chmod (u=rwX,...), applied per entry; or NULL */
    xb_copy_exclude_fn exclude;
    void *exclude_ud;
    int64_t dir_mtime;   /* mtime of created directories */
    int64_t clamp_mtime; /* >= 0: no entry newer than this */
    xb_copy_archive_fn archive;
    void *archive_ud;
    bool unpack_files; /* ADD --unpack=true: the extra files (URL downloads) go through archive
                          too (BuildKit unpacks a URL only when asked) */
    bool parents;      /* COPY --parents: each match keeps its path (below a "/./" pivot in the
                          pattern, else from the tree's root) under dest, parent dirs included */
} xb_copy_req_t;

/* Fills out (initialised by the caller) with the sorted entries of the layer. */
int xb_copy_plan(const xb_copy_req_t *rq, xb_centries_t *out, xb_error_t *err);

/* True when s contains glob metacharacters (*, ?, [). */
bool xb_copy_has_glob(const char *s);

#endif
