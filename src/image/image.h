/* The image model on jansson: config, manifest and index JSON, kept thin — callers may edit the
 * json_t objects directly. Blobs are written compact with keys in insertion order
 * (xb_json_dump), so the same model always gives the same digest. */
#ifndef XB_IMAGE_IMAGE_H
#define XB_IMAGE_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/mediatype.h"
#include "image/platform.h"
#include "util/digest.h"
#include "util/error.h"

/* Limits for manifests/configs/indexes read from the store or a registry. */
#define XB_IMAGE_JSON_MAX (4u * 1024 * 1024)

/* --- descriptors --- */
/* {"mediaType","digest","size"[,"platform"][,"annotations"]}; platform/annotations may be NULL
 * (annotations is copied). Caller json_decref()s. NULL when out of memory. */
json_t *xb_descriptor_new(const char *media_type, const char *digest, int64_t size,
                          const xb_platform_t *platform, const json_t *annotations);
/* Validates mediaType (string), digest (valid sha256) and size (>= 0). what names the source. */
int xb_descriptor_check(const json_t *desc, const char *what, xb_error_t *err);

/* --- time --- */
/* RFC 3339 UTC "2006-01-02T15:04:05Z" for a Unix time; buf of at least 32 bytes. */
void xb_image_time_format(int64_t epoch, char buf[32]);

/* --- config --- */
/* New config {"architecture","os"[,"variant"],"created"?,"config":{},"rootfs":{"type":"layers",
 * "diff_ids":[]},"history":[]}. created < 0 omits "created". Caller json_decref()s. */
int xb_image_config_new(const xb_platform_t *p, int64_t created, json_t **out, xb_error_t *err);
/* Sets/removes (created < 0) the top-level "created". */
int xb_image_config_set_created(json_t *config, int64_t created, xb_error_t *err);
/* Appends diff_id to rootfs.diff_ids and a history entry {"created"?, "created_by"?,
 * "comment"?} (NULL/negative fields omitted). */
int xb_image_config_add_layer(json_t *config, const char *diff_id, int64_t created,
                              const char *created_by, const char *comment, xb_error_t *err);
/* Appends a history entry with "empty_layer": true (metadata-only instructions). */
int xb_image_config_add_history(json_t *config, int64_t created, const char *created_by,
                                const char *comment, xb_error_t *err);
/* The "config" (container config) object, created when missing. Borrowed reference. */
json_t *xb_image_config_container(json_t *config);
/* Env: replaces "NAME=..." or appends; value NULL removes it. */
int xb_image_config_set_env(json_t *config, const char *name, const char *value, xb_error_t *err);
/* Value of NAME in Env, borrowed; NULL when unset. */
const char *xb_image_config_get_env(const json_t *config, const char *name);
/* Sets config.<key> to a string (WorkingDir, User, StopSignal) or removes it (value NULL). */
int xb_image_config_set_string(json_t *config, const char *key, const char *value, xb_error_t *err);
/* Sets config.<key> (Cmd, Entrypoint, Shell, OnBuild) to a copy of an array of strings of n
 * items, or removes it when argv is NULL. n == 0 with argv != NULL sets []. */
int xb_image_config_set_strv(json_t *config, const char *key, const char *const *argv, size_t n,
                             xb_error_t *err);
/* config.Labels[name] = value (object created when missing). */
int xb_image_config_set_label(json_t *config, const char *name, const char *value, xb_error_t *err);
/* config.ExposedPorts["80/tcp"] = {} ("80" gets "/tcp"; proto must be tcp, udp or sctp). */
int xb_image_config_add_port(json_t *config, const char *port, xb_error_t *err);
/* config.Volumes[path] = {}. */
int xb_image_config_add_volume(json_t *config, const char *path, xb_error_t *err);
/* config.Healthcheck = copy of hc (NULL removes). */
int xb_image_config_set_healthcheck(json_t *config, const json_t *hc, xb_error_t *err);
/* Platform from the config's architecture/os/variant. */
int xb_image_config_platform(const json_t *config, xb_platform_t *p, xb_error_t *err);

/* A loaded single-platform image. All members owned by the struct. */
typedef struct xb_image {
    json_t *manifest;
    json_t *config;
    json_t *index; /* the index/manifest list it came through, or NULL */
    char manifest_digest[XB_DIGEST_LEN];
    int64_t manifest_size;
    char *manifest_media_type;
    char config_digest[XB_DIGEST_LEN];
    char index_digest[XB_DIGEST_LEN]; /* "" when loaded from a manifest directly */
    xb_platform_t platform;           /* from the config */
} xb_image_t;

void xb_image_free(xb_image_t *img);
/* Layer descriptors (borrowed from img->manifest). */
const json_t *xb_image_layers(const xb_image_t *img);

#define cleanup_image __attribute__((cleanup(xb_image_freep)))
static inline void xb_image_freep(xb_image_t **img)
{
    xb_image_free(*img);
}

/* --- indexes (OCI image index / Docker manifest list) --- */
/* {"schemaVersion":2,"mediaType":media_type,"manifests":[]}; media_type NULL: OCI index. */
json_t *xb_index_new(const char *media_type);
/* Appends a copy of descriptor; an existing entry with an equal (normalised) platform is
 * replaced when the descriptor has a platform. */
int xb_index_add(json_t *index, const json_t *descriptor, xb_error_t *err);
/* Removes entries with that digest; returns how many were removed. */
int xb_index_remove_digest(json_t *index, const char *digest);
/* Removes entries for that platform; returns how many were removed. */
int xb_index_remove_platform(json_t *index, const xb_platform_t *p);
/* Chooses the manifest for want (NULL: host platform, else the only manifest entry) among
 * entries with a platform; best xb_platform_score wins, first on ties. Entries that are not
 * manifests (attestations with platform unknown/unknown) are skipped. XB_ERR_NOT_FOUND with a
 * message listing the available platforms when none matches. *desc is borrowed from index. */
int xb_index_select(const json_t *index, const xb_platform_t *want, const json_t **desc,
                    xb_error_t *err);
/* "linux/amd64, linux/arm64" of the entries; caller frees. */
char *xb_index_platforms_string(const json_t *index);

#endif
