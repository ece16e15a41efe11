/* jansson helpers with size limits for untrusted JSON. */
#ifndef XB_UTIL_JSON_H
#define XB_UTIL_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"

#define XB_JSON_MAX (4u * 1024 * 1024) /* manifests, configs, index.json */

/* Parses data (what names the source in errors). Caller owns the result (json_decref). */
int xb_json_parse(const char *data, size_t len, const char *what, json_t **out, xb_error_t *err);
int xb_json_load_file(const char *path, size_t max, json_t **out, xb_error_t *err);
/* Compact serialisation, keys in insertion order; caller frees with free(). */
char *xb_json_dump(const json_t *j);
/* Field getters that tolerate missing/mistyped fields (return NULL / dflt). */
const char *xb_json_str(const json_t *obj, const char *key);
long long xb_json_int(const json_t *obj, const char *key, long long dflt);

#endif
