/* Filesystem helpers. All paths are host paths; functions that must stay inside a root
 * (untrusted trees) live in layer/ and snapshot/, not here. */
#ifndef XB_UTIL_FS_H
#define XB_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* mkdir -p; existing directories are fine. */
int xb_mkdir_p(const char *path, mode_t mode, xb_error_t *err);
/* Reads a whole file, refusing files larger than max bytes. *out is NUL-terminated;
 * caller frees with free(). */
int xb_read_file(const char *path, size_t max, char **out, size_t *len, xb_error_t *err);
/* Reads a small file (a /proc or /sys entry, a one-line record) with one read of at most
 * size - 1 bytes into buf, NUL-terminated; flags are added to O_RDONLY|O_CLOEXEC (O_NOFOLLOW).
 * Returns the byte count (> 0), or -1 with errno (ENODATA for an empty file). */
ssize_t xb_read_small(const char *path, char *buf, size_t size, int flags);
/* Writes to "<path>.tmp-XXXXXX" in the same directory, fsyncs, renames over path and fsyncs
 * the directory: readers see the old or the new content, never a mix. */
int xb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         xb_error_t *err);
/* Writes all bytes, retrying on EINTR/short writes. */
int xb_write_all(int fd, const void *data, size_t len, xb_error_t *err);
/* rm -rf that never follows symlinks and stays on the path given (missing path is fine). */
int xb_rm_rf(const char *path, xb_error_t *err);
/* fsync of the directory holding path. */
int xb_fsync_parent(const char *path, xb_error_t *err);
/* "a/b" with exactly one slash between; caller frees. */
char *xb_path_join(const char *a, const char *b);
/* Joins two relative paths as written ("a" + "b" -> "a/b"): an empty part yields the other
 * unchanged (so "" + "b" is "b", not "/b"), and no slash is added or removed otherwise (unlike
 * xb_path_join). NULL on allocation failure; caller frees. */
char *xb_path_join_rel(const char *a, const char *b);
bool xb_path_exists(const char *path);
bool xb_is_dir(const char *path);

#endif
