#include "util/suggest.h"

#include <ctype.h>
#include <string.h>

#define MAXLEN 64

static size_t distance(const char *a, const char *b, bool cs)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[MAXLEN + 1];
    if (la > MAXLEN || lb > MAXLEN)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = (unsigned char)a[i - 1], cb = (unsigned char)b[j - 1];
            if (!cs) {
                ca = tolower(ca);
                cb = tolower(cb);
            }
            size_t best = diag + (ca != cb);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = row[j];
            row[j] = best;
        }
    }
    return row[lb];
}

const char *xb_suggest(const char *word, const char *const *cands, size_t n, bool case_sensitive)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1, len = strlen(word);
    for (size_t i = 0; n ? i < n : cands[i] != NULL; i++) {
        if (cands[i] == NULL)
            continue;
        size_t d = distance(word, cands[i], case_sensitive);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    /* a typo: at most two edits (BuildKit's suggest.Search) */
    if (best == NULL || bestd == 0 || bestd > 2 || len == 0)
        return NULL;
    return best;
}
