/* --metadata-file: see metadata.h. */
#include <stdio.h>
#include <string.h>

#include "cli/metadata.h"
#include "image/reference.h"
#include "util/digest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

int xb_cli_write_metadata(const char *path, const char *name, const char *digest,
                          const json_t *desc, xb_error_t *err)
{
    cleanup_json json_t *m = json_pack("{s:s}", "containerimage.digest", digest);
    if (m == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    if (desc != NULL) {
        json_t *d = json_pack("{s:s?,s:s,s:I}", "mediaType", xb_json_str(desc, "mediaType"),
                              "digest", digest, "size", (json_int_t)xb_json_int(desc, "size", 0));
        json_object_set_new(m, "containerimage.descriptor", d);
    }
    if (name != NULL)
        json_object_set_new(m, "image.name", json_string(name));
    cleanup_free char *data = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *line = NULL;
    if (asprintf(&line, "%s\n", data) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return xb_write_file_atomic(path, line, strlen(line), 0644, err);
}

int xb_cli_push_target(const char *dest, bool by_digest, const json_t *desc, char **out,
                       xb_error_t *err)
{
    if (!by_digest) {
        *out = strdup(dest);
        return *out ? 0 : xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    }
    cleanup_reference xb_reference_t *ref = NULL;
    if (xb_reference_parse(dest, &ref, err) < 0)
        return -err->code;
    /* a parsed "REG/REPO" gets the tag "latest": only an explicit tag is refused */
    const char *after = strrchr(dest, '/');
    if (ref->digest != NULL || (after != NULL && strchr(after, ':') != NULL))
        return xb_error_set(err, XB_ERR_USAGE,
                            "%s: pushing by digest takes REGISTRY/REPO without a tag or digest",
                            dest);
    const char *dg = xb_json_str(desc, "digest");
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_INVALID, "%s: the image has no valid digest", dest);
    cleanup_free char *name = xb_reference_name(ref);
    if (name == NULL || asprintf(out, "%s@%s", name, dg) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}
