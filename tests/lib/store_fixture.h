/* Helpers for unit tests that build images in a store by hand. */
#ifndef XB_TESTS_STORE_FIXTURE_H
#define XB_TESTS_STORE_FIXTURE_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/json.h"

/* Stores doc (compact JSON; doc is consumed) as a blob; returns its descriptor with media type
 * mt (caller json_decref()s), NULL on failure. */
static inline json_t *put_json(xb_store_t *s, json_t *doc, const char *mt)
{
    char *txt = xb_json_dump(doc);
    char d[XB_DIGEST_LEN];
    xb_error_t err = XB_ERROR_INIT;
    int r = txt ? xb_store_put_blob(s, txt, strlen(txt), d, &err) : -1;
    json_t *desc = r < 0 ? NULL
                         : json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", d, "size",
                                     (json_int_t)strlen(txt));
    free(txt);
    json_decref(doc);
    xb_error_clear(&err);
    return desc;
}

#endif
