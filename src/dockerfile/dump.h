/* The AST as JSON: the output schema of `xbuild parse --json`.
 * One object per instruction:
 *   {"line":N, "instruction":"COPY", "flags":{"from":"build","link":true,"mount":["..."]},
 *    "args":[...], "json":false,
 *    "heredocs":[{"name":"EOF","content":"...","expand":true,"chomp":false}],   (if any)
 *    "onbuild":{...the trigger, same schema...}}                                  (ONBUILD)
 * Bare boolean flags are true; repeatable flags (mount, exclude, device) are always arrays. */
#ifndef XB_DOCKERFILE_DUMP_H
#define XB_DOCKERFILE_DUMP_H

#include <jansson.h>

#include "dockerfile/ast.h"

/* New references (json_decref); NULL when out of memory. */
json_t *xb_df_instr_to_json(const xb_df_instr_t *in);
json_t *xb_dockerfile_to_json(const xb_dockerfile_t *df);

#endif
