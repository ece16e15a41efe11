/* ADD specifics: local tar archives (plain, gzip, bzip2, xz, zstd; detected by content) are
 * extracted into the destination, keeping their hard links and xattrs; http(s) URLs are
 * downloaded (mode 0600, mtime from Last-Modified, optional sha256 checksum) and never
 * extracted. */
#ifndef XB_BUILD_ADD_H
#define XB_BUILD_ADD_H

#include <stdbool.h>
#include <stdint.h>

#include "builder/entries.h"
#include "registry/client.h"
#include "util/error.h"

#define XB_ADD_ARCHIVE_MAX_ENTRIES 1000000

typedef struct xb_add_ctx {
    const char *tmpdir; /* where extracted file contents are spilled */
    bool chown;
    uid_t uid;
    gid_t gid;
    bool chmod;
    mode_t perm;
    const char *chmod_sym; /* symbolic --chmod or NULL */
    int64_t clamp_mtime;   /* >= 0: clamp */
    uint64_t max_size;     /* an archive's file sizes added up; 0: XB_LAYER_MAX_SIZE_DEFAULT */
} xb_add_ctx_t;

/* True when the regular file open at fd is a tar archive (possibly compressed); reads from
 * fd's offset (the caller seeks back). */
bool xb_add_is_archive(int fd);

/* Extracts the tar archive at path into out below destdir (image path, no leading slash),
 * sanitising names (no absolute paths, no ".." escapes). Returns 1 when extracted, 0 when the
 * file is not an archive, < 0 on error. Matches xb_copy_archive_fn with ud = xb_add_ctx_t. */
int xb_add_archive_hook(void *ud, const xb_centry_t *src, const char *destdir, xb_centries_t *out,
                        xb_error_t *err);

/* True for http:// and https:// sources. */
bool xb_add_is_url(const char *src);

/* Downloads url into a new file in tmpdir through the registry module's HTTP client (ropts:
 * --tls-verify, --cert-dir, retries; NULL: defaults); fills e (path = the file name from the
 * URL, src = the downloaded file, mode 0600 regular, owner 0:0, mtime from Last-Modified or
 * dflt_mtime). With checksum ("sha256:<hex>") the content must match. Caller frees e's
 * strings. */
int xb_add_download(const char *url, const char *checksum, const char *tmpdir, int64_t dflt_mtime,
                    const xb_registry_opts_t *ropts, xb_centry_t *e, xb_error_t *err);

#endif
