#include "util/json.h"

#include <stdlib.h>

#include "util/fs.h"

int xb_json_parse(const char *data, size_t len, const char *what, json_t **out, xb_error_t *err)
{
    json_error_t je;
    if (len > XB_JSON_MAX)
        return xb_error_set(err, XB_ERR_PARSE, "%s: JSON larger than %u bytes", what, XB_JSON_MAX);
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return xb_error_set(err, XB_ERR_PARSE, "%s:%d:%d: invalid JSON: %s", what, je.line,
                            je.column, je.text);
    *out = j;
    return 0;
}

int xb_json_load_file(const char *path, size_t max, json_t **out, xb_error_t *err)
{
    char *data = NULL;
    size_t len = 0;
    if (xb_read_file(path, max, &data, &len, err) < 0)
        return -err->code;
    int r = xb_json_parse(data, len, path, out, err);
    free(data);
    return r;
}

char *xb_json_dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

const char *xb_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long long xb_json_int(const json_t *obj, const char *key, long long dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}
