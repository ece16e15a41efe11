/* .dockerignore matching with Docker's semantics (moby/patternmatcher):
 *  - one pattern per line; lines starting with '#' are comments; surrounding whitespace is
 *    trimmed; blank lines are skipped; a UTF-8 BOM is dropped;
 *  - "!pattern" is an exception (re-includes what earlier patterns excluded); "!" alone is an
 *    error; patterns are cleaned like Go's filepath.Clean and a leading '/' is dropped;
 *  - '*' matches any run of characters except '/', '?' one character except '/',
 *    "[a-c]" / "[^a]" / "[!a]" a character class (never '/'), '\' escapes the next
 *    character, "**" any number of directories ("**\/" included; a trailing "**" anything);
 *  - a path is excluded when the last pattern that matches it, or one of its parent
 *    directories, is not an exception (last match wins).
 * Paths are relative to the context root, '/'-separated ("./" and leading '/' are ignored). */
#ifndef XB_DOCKERFILE_IGNORE_H
#define XB_DOCKERFILE_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define XB_IGNORE_MAX_FILE     (1u * 1024 * 1024) /* bytes of a .dockerignore */
#define XB_IGNORE_MAX_PATTERNS 10000

typedef struct xb_ignore xb_ignore_t;

/* Parses .dockerignore text; what names the source in errors. Free with xb_ignore_free(). */
int xb_ignore_parse(const char *text, size_t len, const char *what, xb_ignore_t **out,
                    xb_error_t *err);
/* Loads the ignore file of a build: "<dockerfile>.dockerignore" next to the Dockerfile when it
 * exists (it takes precedence), else CONTEXT/.dockerignore, else an empty matcher (nothing
 * excluded). dockerfile may be NULL. *out is never NULL on success. */
int xb_ignore_load(const char *context_dir, const char *dockerfile, xb_ignore_t **out,
                   xb_error_t *err);
void xb_ignore_free(xb_ignore_t *ig);
#define cleanup_ignore __attribute__((cleanup(xb_ignore_freep)))
static inline void xb_ignore_freep(xb_ignore_t **ig)
{
    if (*ig != NULL)
        xb_ignore_free(*ig);
}

/* Whether relpath (a file or directory of the context) is excluded. ig may be NULL. */
bool xb_ignore_match(const xb_ignore_t *ig, const char *relpath);
/* For an excluded directory: whether an exception pattern could re-include something below
 * it, so a context walk must still descend into it (and test each entry). */
bool xb_ignore_may_match_below(const xb_ignore_t *ig, const char *reldir);
/* Callback form of xb_ignore_match for context walkers: ud is a const xb_ignore_t *; is_dir
 * is not needed (a pattern matches files and directories alike). */
bool xb_ignore_match_cb(void *ud, const char *relpath, bool is_dir);
/* Whether any pattern is an exception ("!..."): without one no excluded dir needs a walk. */
bool xb_ignore_has_exceptions(const xb_ignore_t *ig);
/* Number of patterns, and pattern i ("!..." for exceptions; borrowed), for diagnostics. */
size_t xb_ignore_count(const xb_ignore_t *ig);
const char *xb_ignore_pattern(const xb_ignore_t *ig, size_t i);

#endif
