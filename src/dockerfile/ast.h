/* The Dockerfile AST: what the parser produces and the build executor consumes.
 *
 * Parsing follows BuildKit's frontend (the reference in specs/dockerfile/reference.md):
 * parser directives (escape, syntax, check) at the top, comments, line continuations (comment
 * and blank lines inside a continuation are dropped), JSON (exec) vs shell form, heredocs on
 * RUN/COPY/ADD (also behind ONBUILD), instruction flags checked per instruction.
 *
 * No variable expansion happens here: words are stored raw (quotes and escapes kept) and the
 * executor expands them at build time with dockerfile/expand.h, which also removes quotes.
 *
 * What `args` holds per instruction (shell form unless json is true):
 *   FROM         [image] or [image, "AS", name]: "AS" normalised to upper case, name lower-cased
 *                and checked against ^[a-z][a-z0-9_.-]*$. image is raw (expand it).
 *   RUN, CMD,    json: the array elements (never expanded by the builder).
 *   ENTRYPOINT   shell: [raw] (the command text, unsplit; the shell expands it).
 *   SHELL        json only (shell form is an error); args = the array, at least one element.
 *   COPY, ADD    json: the array; shell: whitespace-separated words (no quote awareness, like
 *                Docker). At least two; the last one is the destination. Sources that are
 *                heredoc words ("<<EOF", "<<-'EOF'") name an entry of heredocs: see
 *                xb_df_heredoc_for_arg().
 *   ENV, LABEL   pairs: [key1, value1, key2, value2, ...], both raw words (quotes kept); expand
 *                each with xb_df_expand_word (which removes quotes). The legacy form
 *                "ENV key value with spaces" gives [key, "value with spaces"].
 *   ARG          raw words "name" or "name=default" (at least one); split at the first '='.
 *                Only the default is expanded; a word without '=' declares without default.
 *   EXPOSE       whitespace-separated words (expand each; each may expand to several).
 *   VOLUME       json: the array; shell: whitespace-separated words.
 *   USER, WORKDIR, STOPSIGNAL, MAINTAINER   [raw]: the whole argument text (expand as one word;
 *                MAINTAINER is not expanded).
 *   HEALTHCHECK  ["NONE"] (no flags, nothing else allowed) or ["CMD", ...]: with json true the
 *                exec array follows "CMD"; otherwise args[1] is the shell command text.
 *   ONBUILD      [expression]: the trigger text after ONBUILD (what goes into the image's
 *                config OnBuild); `onbuild` holds the parsed trigger instruction (never FROM,
 *                MAINTAINER or ONBUILD). A trigger's heredocs live on the inner instruction.
 *
 * Flags (--name=value before the arguments) are checked per instruction: unknown flags,
 * duplicates of single-valued flags, missing values and bad booleans are errors.
 *   FROM: platform          RUN: mount*, network, security, device*
 *   COPY: from, chown, chmod, link(b), parents(b), exclude*
 *   ADD:  chown, chmod, link(b), keep-git-dir(b), checksum, unpack(b), exclude*
 *   HEALTHCHECK: interval, timeout, start-period, start-interval, retries
 * (* may repeat; (b) boolean: bare "--link" has value NULL meaning true, otherwise "true" or
 * "false" in any case.) Flag values have quotes removed but are not variable-expanded; expand
 * them with xb_df_expand_word where Docker does (--platform, --chown, --chmod, --from, ...).
 */
#ifndef XB_DOCKERFILE_AST_H
#define XB_DOCKERFILE_AST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Limits for untrusted Dockerfiles. */
#define XB_DF_MAX_FILE     (4u * 1024 * 1024) /* bytes of the whole file */
#define XB_DF_MAX_LINE     (1u * 1024 * 1024) /* bytes of one instruction after joining */
#define XB_DF_MAX_INSTRS   10000              /* instructions per file */
#define XB_DF_MAX_HEREDOCS 16                 /* heredocs per instruction */
#define XB_DF_MAX_ARGS     4096               /* args or flags per instruction */
#define XB_DF_MAX_HEREDOC  (4u * 1024 * 1024) /* bytes of one heredoc */

typedef struct xb_df_flag {
    char *name;  /* without the leading "--" */
    char *value; /* quotes removed; NULL for a bare boolean flag such as --link */
} xb_df_flag_t;

typedef struct xb_df_heredoc {
    char *name;    /* the delimiter with quotes removed ("EOF") */
    char *content; /* every line up to the delimiter, each ending in "\n"; for <<- the
                    * leading tabs of each line are already stripped */
    bool expand;   /* false when any part of the delimiter was quoted (<<"EOF", <<'EOF') */
    bool chomp;    /* <<-EOF */
    int fd;        /* the file descriptor prefix (2<<EOF), 0 when absent */
} xb_df_heredoc_t;

typedef struct xb_df_instr {
    int line;       /* 1-based line of the instruction keyword */
    int end_line;   /* last line (continuations and heredocs included) */
    char *keyword;  /* upper case: "FROM", "RUN", ... */
    char *original; /* the instruction as written, continuations joined, trimmed (history) */
    xb_df_flag_t *flags;
    size_t nflags;
    char **args; /* see the table above; never NULL (may be empty for JSON "[]") */
    size_t nargs;
    bool json; /* exec/JSON form */
    char *raw; /* the argument text after the flags, trimmed, unsplit; never NULL */
    xb_df_heredoc_t *heredocs;
    size_t nheredocs;
    struct xb_df_instr *onbuild; /* ONBUILD: the parsed trigger; NULL otherwise */
} xb_df_instr_t;

typedef struct xb_dockerfile {
    char *path;   /* as given for error messages */
    char escape;  /* '\\' (default) or '`' from "# escape=" */
    char *syntax; /* "# syntax=" value or NULL (accepted, ignored) */
    xb_df_instr_t *instrs;
    size_t ninstrs;
} xb_dockerfile_t;

/* Parses text (len bytes, need not be NUL-terminated). Errors are "path:line: message" with
 * code XB_ERR_PARSE; a file with no instructions, or with an instruction other than ARG
 * before the first FROM, is an error. *out is freed with xb_dockerfile_free(). */
int xb_dockerfile_parse(const char *path_for_errors, const char *text, size_t len,
                        xb_dockerfile_t **out, xb_error_t *err);
/* Reads path (at most XB_DF_MAX_FILE bytes) and parses it. */
int xb_dockerfile_load(const char *path, xb_dockerfile_t **out, xb_error_t *err);
void xb_dockerfile_free(xb_dockerfile_t *df);
#define cleanup_dockerfile __attribute__((cleanup(xb_dockerfile_freep)))
static inline void xb_dockerfile_freep(xb_dockerfile_t **df)
{
    if (*df != NULL)
        xb_dockerfile_free(*df);
}

/* Parses one ONBUILD trigger expression taken from a base image's config ("RUN make",
 * "COPY --from=x a b"); path/line name the FROM that pulled it in, for errors. Heredocs are
 * not supported there. Caller frees with xb_df_instr_free(). */
int xb_df_parse_trigger(const char *expr, char escape, const char *path, int line,
                        xb_df_instr_t **out, xb_error_t *err);
void xb_df_instr_free(xb_df_instr_t *in);

/* The value of the last --name flag, or NULL when absent. A bare boolean flag has value NULL
 * too: use xb_df_flag_has / xb_df_flag_bool for those. Borrowed from in. */
const char *xb_df_flag_get(const xb_df_instr_t *in, const char *name);
bool xb_df_flag_has(const xb_df_instr_t *in, const char *name);
/* Boolean flag: absent -> dflt, bare -> true, else its value ("true"/"false", checked by the
 * parser). */
bool xb_df_flag_bool(const xb_df_instr_t *in, const char *name, bool dflt);
/* All values of a repeatable flag (--mount, --exclude) in order: returns how many, and stores
 * up to max borrowed pointers into vals (vals may be NULL to count). */
size_t xb_df_flag_all(const xb_df_instr_t *in, const char *name, const char **vals, size_t max);

/* For a COPY/ADD source word: the heredoc it names ("<<EOF", "<<-EOF", "<<'EOF'", ...) or
 * NULL when the word is not a heredoc reference. Borrowed from in. */
const xb_df_heredoc_t *xb_df_heredoc_for_arg(const xb_df_instr_t *in, const char *arg);

/* RUN (shell form) with heredocs, like BuildKit: when args[0] is exactly one heredoc word
 * ("<<EOF"), xb_df_heredoc_for_arg(in, in->args[0]) gives the script to run (its content,
 * written to a file and run by the shell, so a "#!" line picks the interpreter). Otherwise the
 * heredocs are handed back to the shell: *out = raw + "\n" + content1 + name1 + "\n" +
 * content2 + name2 ..., one script for SHELL's "-c". Without heredocs *out is a copy of raw.
 * Caller frees *out. */
int xb_df_heredoc_script(const xb_df_instr_t *in, char **out, xb_error_t *err);

#endif
