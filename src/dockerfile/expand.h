/* Dockerfile variable expansion ("environment replacement"), as BuildKit's shell lexer does it.
 *
 * Supported: $NAME, ${NAME}, ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word},
 * ${NAME:?msg}, ${NAME?msg}, and the pattern forms ${NAME#pat}, ${NAME##pat}, ${NAME%pat},
 * ${NAME%%pat}, ${NAME/pat/repl}, ${NAME//pat/repl} (pat: glob with * and ?). `word` may
 * itself contain quotes and variables. $1.., $@, $* etc. are looked up like names (normally
 * unset -> ""). A '$' not followed by a name or '{' stays literal.
 * Quoting: outside quotes the escape char (\ or `, from "# escape=") takes the next char
 * literally (so \$FOO gives $FOO); '...' suppresses everything (no escapes inside); "..."
 * expands variables and lets the escape char escape only ", $ and itself. Quotes are removed.
 * Errors (XB_ERR_PARSE): "NAME: msg" for :? / ?, "syntax error: missing '}'",
 * "syntax error: bad substitution", "unsupported modifier (c) in substitution",
 * "unexpected end of statement while looking for matching double-quote" (or single-quote).
 * The xb_df_instr_* variants prefix "path:line: " from the instruction. */
#ifndef XB_DOCKERFILE_EXPAND_H
#define XB_DOCKERFILE_EXPAND_H

#include <stddef.h>

#include "dockerfile/ast.h"
#include "util/error.h"

/* Value of a variable, or NULL when unset (set-but-empty is ""). Borrowed. */
typedef const char *(*xb_df_lookup_fn)(const char *name, void *ud);

/* Lookup adaptor for variables kept in a jansson object: ud is a json_t object whose string
 * members are set variables; a missing member or a non-string (e.g. null) is unset. */
const char *xb_df_json_lookup(const char *name, void *ud);

/* One word (BuildKit ProcessWord): expands and removes quotes; whitespace is kept, never
 * split. Used for ENV/LABEL keys and values, ARG defaults, WORKDIR, USER, STOPSIGNAL, FROM
 * image, COPY/ADD sources and dest, VOLUME/EXPOSE entries, flag values.
 * *out: caller frees with free(). lookup may be NULL (everything unset). */
int xb_df_expand_word(const char *word, char escape, xb_df_lookup_fn lookup, void *ud, char **out,
                      xb_error_t *err);

/* Expand and split (BuildKit ProcessWords): unquoted whitespace in the text and in the values
 * of unquoted variables separates words; "" produces no word. *out is a NULL-terminated
 * array (free with cleanup_strv / free each + free), *n its length (n may be NULL). */
int xb_df_expand_split(const char *text, char escape, xb_df_lookup_fn lookup, void *ud, char ***out,
                       size_t *n, xb_error_t *err);

/* Expand+split each of n words and concatenate the results (EXPOSE, VOLUME, ...). Same
 * ownership as xb_df_expand_split. */
int xb_df_expand_list(char *const *words, size_t n, char escape, xb_df_lookup_fn lookup, void *ud,
                      char ***out, size_t *nout, xb_error_t *err);

/* Heredoc bodies with expand == true (POSIX here-document rules): $-forms expand, the escape
 * char escapes $, the escape char itself and newline; quotes are not special and are kept.
 * *out: caller frees. */
int xb_df_expand_heredoc(const char *content, char escape, xb_df_lookup_fn lookup, void *ud,
                         char **out, xb_error_t *err);

/* Like xb_df_expand_word / xb_df_expand_split with df->escape, errors prefixed with
 * "df->path:in->line: ". */
int xb_df_instr_expand(const xb_dockerfile_t *df, const xb_df_instr_t *in, const char *word,
                       xb_df_lookup_fn lookup, void *ud, char **out, xb_error_t *err);
int xb_df_instr_expand_split(const xb_dockerfile_t *df, const xb_df_instr_t *in, const char *text,
                             xb_df_lookup_fn lookup, void *ud, char ***out, size_t *n,
                             xb_error_t *err);

#endif
