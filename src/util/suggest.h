/* "did you mean ...?" for misspelt names (instructions, flags, mount keys, stage names). */
#ifndef XB_UTIL_SUGGEST_H
#define XB_UTIL_SUGGEST_H
#include <stdbool.h>
#include <stddef.h>

/* Returns the candidate closest to word by edit distance (case-insensitive unless
 * case_sensitive), or NULL when none is close enough to be a likely typo (distance at most 2,
 * as BuildKit's suggest.Search). cands ends with
 * NULL when n is 0, else n entries are read. The result points into cands (not owned). */
const char *xb_suggest(const char *word, const char *const *cands, size_t n, bool case_sensitive);

#endif
