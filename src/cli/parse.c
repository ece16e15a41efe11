/* xbuild parse [-f FILE] [--json] [CONTEXT]: parse a Dockerfile and print its instructions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dockerfile/ast.h"
#include "dockerfile/dump.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild parse [-f FILE] [--json] [CONTEXT]\n"
    "\n"
    "Parse a Dockerfile and print one line per instruction (LINE: KEYWORD flags args),\n"
    "or with --json a JSON array with one object per instruction.\n"
    "\n"
    "  -f, --file FILE   the Dockerfile (default: CONTEXT/Dockerfile; - for stdin)\n"
    "      --json        JSON output\n"
    "  CONTEXT           the build context directory (default: .)\n";

static void print_plain(const xb_df_instr_t *in)
{
    printf("%s", in->keyword);
    for (size_t i = 0; i < in->nflags; i++) {
        if (in->flags[i].value)
            printf(" --%s=%s", in->flags[i].name, in->flags[i].value);
        else
            printf(" --%s", in->flags[i].name);
    }
    if (in->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < in->nargs; i++)
            json_array_append_new(a, json_string(in->args[i]));
        if (strcmp(in->keyword, "HEALTHCHECK") == 0 && in->nargs > 0) {
            printf(" %s", in->args[0]);
            json_array_remove(a, 0);
        }
        char *s = xb_json_dump(a);
        printf(" %s", s ? s : "[]");
        free(s);
        json_decref(a);
    } else if (in->onbuild != NULL) {
        printf(" ");
        print_plain(in->onbuild);
        return;
    } else {
        bool kv = strcmp(in->keyword, "ENV") == 0 || strcmp(in->keyword, "LABEL") == 0;
        for (size_t i = 0; i < in->nargs; i++) {
            if (kv && i % 2 == 1)
                printf("=%s", in->args[i]);
            else
                printf(" %s", in->args[i]);
        }
    }
    for (size_t i = 0; i < in->nheredocs; i++)
        printf(" [heredoc %s: %zu bytes%s]", in->heredocs[i].name, strlen(in->heredocs[i].content),
               in->heredocs[i].expand ? "" : ", no expansion");
}

/* -f -: the Dockerfile from standard input (same size limit as files). */
static int parse_stdin(xb_dockerfile_t **df, xb_error_t *err)
{
    cleanup_free char *buf = malloc(XB_DF_MAX_FILE + 1);
    if (buf == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    size_t len = fread(buf, 1, XB_DF_MAX_FILE + 1, stdin);
    if (ferror(stdin))
        return xb_error_errno(err, errno, "reading standard input");
    if (len > XB_DF_MAX_FILE)
        return xb_error_set(err, XB_ERR_PARSE, "-: larger than %u bytes", XB_DF_MAX_FILE);
    return xb_dockerfile_parse("-", buf, len, df, err);
}

XB_CMD(parse)
{
    const char *file = NULL, *context = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return xb_cli_help(usage);
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) {
            if (i + 1 >= argc)
                return xb_cli_usage(err, "parse", "%s needs a file name", a);
            file = argv[++i];
        } else if (strncmp(a, "--file=", 7) == 0) {
            file = a + 7;
        } else if (a[0] == '-' && a[1] != '\0') {
            return xb_cli_usage(err, "parse", "unknown option '%s'", a);
        } else if (context == NULL) {
            context = a;
        } else {
            return xb_cli_usage(err, "parse", "more than one context given");
        }
    }
    if (context == NULL)
        context = ".";
    cleanup_free char *deflt = NULL;
    if (file == NULL) {
        deflt = xb_path_join(context, "Dockerfile");
        if (deflt == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        file = deflt;
    }
    cleanup_dockerfile xb_dockerfile_t *df = NULL;
    int r = strcmp(file, "-") == 0 ? parse_stdin(&df, err) : xb_dockerfile_load(file, &df, err);
    if (r < 0)
        return r;
    if (json) {
        cleanup_json json_t *j = xb_dockerfile_to_json(df);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (s == NULL)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        printf("%s\n", s);
        free(s);
        return 0;
    }
    for (size_t i = 0; i < df->ninstrs; i++) {
        printf("%d: ", df->instrs[i].line);
        print_plain(&df->instrs[i]);
        printf("\n");
    }
    return 0;
}
