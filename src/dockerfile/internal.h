/* Private helpers shared by the files of src/dockerfile/ (not for other modules). */
#ifndef XB_DOCKERFILE_INTERNAL_H
#define XB_DOCKERFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile/ast.h"
#include "util/error.h"

/* A growable vector of malloc'd strings. */
typedef struct xb_strv {
    char **v;
    size_t n, cap;
} xb_strv_t;

int xb_strv_push(xb_strv_t *s, char *owned); /* takes ownership; frees it on failure */
int xb_strv_pushn(xb_strv_t *s, const char *p, size_t len);
void xb_strv_free(xb_strv_t *s);

/* Docker's reWhitespace: space, \t, \v, \f, \r. */
bool xb_df_is_ws(char c);

/* Splits on runs of xb_df_is_ws (Docker's parseStringsWhitespaceDelimited). */
int xb_df_split_ws(const char *s, xb_strv_t *out);
/* Docker's parseWords: quote-aware split keeping quotes and escapes in the words. */
int xb_df_parse_words(const char *rest, char escape, xb_strv_t *out);
/* Leading "--flag[=value]" words (quotes removed); *rest points into line after them. */
int xb_df_extract_flags(const char *line, xb_strv_t *flags, const char **rest);

/* Builds *in (zeroed by the caller) from one logical line (continuations joined).
 * nested: parsing an ONBUILD trigger. Errors are "path:lineno: msg". */
int xb_df_build_instr(const char *line, char escape, const char *path, int lineno, bool nested,
                      xb_df_instr_t *in, xb_error_t *err);
/* The instruction whose heredocs a line feeds: in itself, or its ONBUILD trigger; NULL when
 * the instruction cannot take heredocs (not RUN/COPY/ADD, or JSON form). */
xb_df_instr_t *xb_df_heredoc_target(xb_df_instr_t *in);
/* Finds heredoc words ("<<EOF", "<<-'EOF'", "2<<EOF") in line, in order; names set,
 * content NULL. */
int xb_df_find_heredocs(const char *line, xb_df_heredoc_t **out, size_t *n, xb_error_t *err);
/* Whether word is a heredoc reference; fills name (malloc'd) and flags. */
bool xb_df_parse_heredoc_word(const char *word, xb_df_heredoc_t *h);
void xb_df_instr_clear(xb_df_instr_t *in);

#endif
