/* Image config and manifest model, loading an image through an index. */
#include "image/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/cleanup.h"
#include "util/json.h"

#define OOM(err) xb_error_set(err, XB_ERR_INTERNAL, "out of memory")

json_t *xb_descriptor_new(const char *media_type, const char *digest, int64_t size,
                          const xb_platform_t *platform, const json_t *annotations)
{
    cleanup_json json_t *d = json_object();
    if (d == NULL || json_object_set_new(d, "mediaType", json_string(media_type)) < 0 ||
        json_object_set_new(d, "digest", json_string(digest)) < 0 ||
        json_object_set_new(d, "size", json_integer(size)) < 0)
        return NULL;
    if (annotations != NULL && json_object_size(annotations) > 0 &&
        json_object_set_new(d, "annotations", json_deep_copy(annotations)) < 0)
        return NULL;
    if (platform != NULL && json_object_set_new(d, "platform", xb_platform_to_json(platform)) < 0)
        return NULL;
    return steal_pointer(&d);
}

int xb_descriptor_check(const json_t *desc, const char *what, xb_error_t *err)
{
    if (!json_is_object(desc))
        return xb_error_set(err, XB_ERR_PARSE, "%s: descriptor is not an object", what);
    const char *mt = xb_json_str(desc, "mediaType");
    const char *dg = xb_json_str(desc, "digest");
    json_t *size = json_object_get(desc, "size");
    if (mt == NULL || *mt == '\0' || strlen(mt) > 255)
        return xb_error_set(err, XB_ERR_PARSE, "%s: descriptor without a valid mediaType", what);
    if (dg == NULL || !xb_digest_valid(dg))
        return xb_error_set(err, XB_ERR_PARSE, "%s: descriptor digest '%s' is not a valid sha256",
                            what, dg ? dg : "(missing)");
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return xb_error_set(err, XB_ERR_PARSE, "%s: descriptor size missing or negative", what);
    return 0;
}

void xb_image_time_format(int64_t epoch, char buf[32])
{
    struct tm tm;
    time_t t = (time_t)epoch;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    xb_image_time_format(t, buf);
    return json_string(buf);
}

int xb_image_config_new(const xb_platform_t *p, int64_t created, json_t **out, xb_error_t *err)
{
    cleanup_json json_t *c = json_object();
    *out = NULL;
    if (c == NULL)
        return OOM(err);
    if (created >= 0 && json_object_set_new(c, "created", time_json(created)) < 0)
        return OOM(err);
    if (json_object_set_new(c, "architecture", json_string(p->arch)) < 0 ||
        json_object_set_new(c, "os", json_string(p->os)) < 0)
        return OOM(err);
    if (p->variant && *p->variant && json_object_set_new(c, "variant", json_string(p->variant)) < 0)
        return OOM(err);
    json_t *rootfs = json_pack("{s:s,s:[]}", "type", "layers", "diff_ids");
    if (json_object_set_new(c, "config", json_object()) < 0 ||
        json_object_set_new(c, "rootfs", rootfs) < 0 ||
        json_object_set_new(c, "history", json_array()) < 0)
        return OOM(err);
    *out = steal_pointer(&c);
    return 0;
}

int xb_image_config_set_created(json_t *config, int64_t created, xb_error_t *err)
{
    if (created < 0) {
        json_object_del(config, "created");
        return 0;
    }
    if (json_object_set_new(config, "created", time_json(created)) < 0)
        return OOM(err);
    return 0;
}

static int add_history(json_t *config, int64_t created, const char *created_by, const char *comment,
                       bool empty, xb_error_t *err)
{
    json_t *hist = json_object_get(config, "history");
    if (!json_is_array(hist)) {
        hist = json_array();
        if (hist == NULL || json_object_set_new(config, "history", hist) < 0)
            return OOM(err);
    }
    cleanup_json json_t *h = json_object();
    if (h == NULL)
        return OOM(err);
    if (created >= 0 && json_object_set_new(h, "created", time_json(created)) < 0)
        return OOM(err);
    if (created_by && json_object_set_new(h, "created_by", json_string(created_by)) < 0)
        return OOM(err);
    if (comment && json_object_set_new(h, "comment", json_string(comment)) < 0)
        return OOM(err);
    if (empty && json_object_set_new(h, "empty_layer", json_true()) < 0)
        return OOM(err);
    if (json_array_append(hist, h) < 0)
        return OOM(err);
    return 0;
}

int xb_image_config_add_layer(json_t *config, const char *diff_id, int64_t created,
                              const char *created_by, const char *comment, xb_error_t *err)
{
    if (!xb_digest_valid(diff_id))
        return xb_error_set(err, XB_ERR_INVALID, "invalid diff_id '%s'", diff_id);
    json_t *rootfs = json_object_get(config, "rootfs");
    if (!json_is_object(rootfs)) {
        rootfs = json_pack("{s:s,s:[]}", "type", "layers", "diff_ids");
        if (rootfs == NULL || json_object_set_new(config, "rootfs", rootfs) < 0)
            return OOM(err);
    }
    json_t *ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_array(ids)) {
        ids = json_array();
        if (ids == NULL || json_object_set_new(rootfs, "diff_ids", ids) < 0)
            return OOM(err);
    }
    if (json_array_append_new(ids, json_string(diff_id)) < 0)
        return OOM(err);
    return add_history(config, created, created_by, comment, false, err);
}

int xb_image_config_add_history(json_t *config, int64_t created, const char *created_by,
                                const char *comment, xb_error_t *err)
{
    return add_history(config, created, created_by, comment, true, err);
}

json_t *xb_image_config_container(json_t *config)
{
    json_t *c = json_object_get(config, "config");
    if (json_is_object(c))
        return c;
    c = json_object();
    if (c == NULL || json_object_set_new(config, "config", c) < 0)
        return NULL;
    return c;
}

int xb_image_config_set_env(json_t *config, const char *name, const char *value, xb_error_t *err)
{
    json_t *cc = xb_image_config_container(config);
    if (cc == NULL)
        return OOM(err);
    if (*name == '\0' || strchr(name, '=') != NULL)
        return xb_error_set(err, XB_ERR_INVALID, "invalid environment variable name '%s'", name);
    json_t *env = json_object_get(cc, "Env");
    if (!json_is_array(env)) {
        if (value == NULL)
            return 0;
        env = json_array();
        if (env == NULL || json_object_set_new(cc, "Env", env) < 0)
            return OOM(err);
    }
    size_t nlen = strlen(name);
    cleanup_free char *kv = NULL;
    if (value != NULL) {
        xb_buf_t b = XB_BUF_INIT;
        if (xb_buf_printf(&b, "%s=%s", name, value) < 0)
            return OOM(err);
        kv = xb_buf_steal(&b);
    }
    for (size_t i = 0; i < json_array_size(env); i++) {
        const char *e = json_string_value(json_array_get(env, i));
        if (e && strncmp(e, name, nlen) == 0 && e[nlen] == '=') {
            if (value == NULL)
                return json_array_remove(env, i) < 0 ? OOM(err) : 0;
            return json_array_set_new(env, i, json_string(kv)) < 0 ? OOM(err) : 0;
        }
    }
    if (value != NULL && json_array_append_new(env, json_string(kv)) < 0)
        return OOM(err);
    return 0;
}

const char *xb_image_config_get_env(const json_t *config, const char *name)
{
    json_t *env = json_object_get(json_object_get(config, "config"), "Env");
    size_t nlen = strlen(name);
    for (size_t i = 0; i < json_array_size(env); i++) {
        const char *e = json_string_value(json_array_get(env, i));
        if (e && strncmp(e, name, nlen) == 0 && e[nlen] == '=')
            return e + nlen + 1;
    }
    return NULL;
}

int xb_image_config_set_string(json_t *config, const char *key, const char *value, xb_error_t *err)
{
    json_t *cc = xb_image_config_container(config);
    if (cc == NULL)
        return OOM(err);
    if (value == NULL) {
        json_object_del(cc, key);
        return 0;
    }
    return json_object_set_new(cc, key, json_string(value)) < 0 ? OOM(err) : 0;
}

int xb_image_config_set_strv(json_t *config, const char *key, const char *const *argv, size_t n,
                             xb_error_t *err)
{
    json_t *cc = xb_image_config_container(config);
    if (cc == NULL)
        return OOM(err);
    if (argv == NULL) {
        json_object_del(cc, key);
        return 0;
    }
    cleanup_json json_t *a = json_array();
    if (a == NULL)
        return OOM(err);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(a, json_string(argv[i])) < 0)
            return OOM(err);
    return json_object_set(cc, key, a) < 0 ? OOM(err) : 0;
}

static int set_in_object(json_t *config, const char *obj, const char *key, json_t *value,
                         xb_error_t *err)
{
    json_t *cc = xb_image_config_container(config);
    if (cc == NULL || value == NULL) {
        json_decref(value);
        return OOM(err);
    }
    json_t *o = json_object_get(cc, obj);
    if (!json_is_object(o)) {
        o = json_object();
        if (o == NULL || json_object_set_new(cc, obj, o) < 0) {
            json_decref(value);
            return OOM(err);
        }
    }
    return json_object_set_new(o, key, value) < 0 ? OOM(err) : 0;
}

int xb_image_config_set_label(json_t *config, const char *name, const char *value, xb_error_t *err)
{
    return set_in_object(config, "Labels", name, json_string(value), err);
}

int xb_image_config_add_port(json_t *config, const char *port, xb_error_t *err)
{
    const char *slash = strchr(port, '/');
    size_t nlen = slash ? (size_t)(slash - port) : strlen(port);
    if (nlen == 0 || nlen > 11 || strspn(port, "0123456789-") != nlen)
        return xb_error_set(err, XB_ERR_INVALID, "invalid port '%s'", port);
    const char *proto = slash ? slash + 1 : "tcp";
    char buf[32];
    char lproto[8] = {0};
    for (size_t i = 0; proto[i] && i < sizeof(lproto) - 1; i++)
        lproto[i] = (char)(proto[i] >= 'A' && proto[i] <= 'Z' ? proto[i] + 32 : proto[i]);
    if (strlen(proto) >= sizeof(lproto) ||
        (strcmp(lproto, "tcp") != 0 && strcmp(lproto, "udp") != 0 && strcmp(lproto, "sctp") != 0))
        return xb_error_set(err, XB_ERR_INVALID, "invalid port protocol in '%s'", port);
    snprintf(buf, sizeof(buf), "%.*s/%s", (int)nlen, port, lproto);
    return set_in_object(config, "ExposedPorts", buf, json_object(), err);
}

int xb_image_config_add_volume(json_t *config, const char *path, xb_error_t *err)
{
    if (*path == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "empty volume path");
    return set_in_object(config, "Volumes", path, json_object(), err);
}

int xb_image_config_set_healthcheck(json_t *config, const json_t *hc, xb_error_t *err)
{
    json_t *cc = xb_image_config_container(config);
    if (cc == NULL)
        return OOM(err);
    if (hc == NULL) {
        json_object_del(cc, "Healthcheck");
        return 0;
    }
    return json_object_set_new(cc, "Healthcheck", json_deep_copy(hc)) < 0 ? OOM(err) : 0;
}

int xb_image_config_platform(const json_t *config, xb_platform_t *p, xb_error_t *err)
{
    return xb_platform_from_json(config, p, err);
}

void xb_image_free(xb_image_t *img)
{
    if (img == NULL)
        return;
    json_decref(img->manifest);
    json_decref(img->config);
    json_decref(img->index);
    free(img->manifest_media_type);
    xb_platform_free(&img->platform);
    free(img);
}

const json_t *xb_image_layers(const xb_image_t *img)
{
    return json_object_get(img->manifest, "layers");
}
