/* Registry credentials, looked up in the order users expect:
 *   1. --creds user:pass
 *   2. --authfile FILE
 *   3. $REGISTRY_AUTH_FILE
 *   4. ${XDG_RUNTIME_DIR}/containers/auth.json
 *   5. ~/.docker/config.json ($DOCKER_CONFIG/config.json)
 * In each auth file: "auths" entries (base64 "user:pass" in "auth"; keys may carry a scheme,
 * an API path, or a repository namespace "host/namespace"), "credHelpers" per registry, and
 * "credsStore" for all, both through `docker-credential-<name> get`. */
#ifndef XB_REGISTRY_CREDS_H
#define XB_REGISTRY_CREDS_H

#include "util/error.h"

/* env: the caller's environment ("K=V", NULL-terminated, may be NULL), where REGISTRY_AUTH_FILE,
 * XDG_RUNTIME_DIR, DOCKER_CONFIG and HOME are looked up (docs/environment.md). */
/* Finds credentials for registry (as in a reference: docker.io, localhost:5000) and
 * repository (may be NULL). Returns 1 with *user and *pass set (caller frees; wipe pass), 0 when
 * none are configured. creds/authfile may be NULL. */
int xb_creds_lookup(const char *registry, const char *repository, const char *creds,
                    const char *authfile, const char *const *env, char **user, char **pass,
                    xb_error_t *err);
/* The auth file login/logout write: authfile, $REGISTRY_AUTH_FILE,
 * ${XDG_RUNTIME_DIR}/containers/auth.json, else ~/.docker/config.json. Caller frees. */
char *xb_creds_default_authfile(const char *authfile, const char *const *env);
/* Stores user:pass for registry in path (created with mode 0600, directories 0700; other
 * keys of the file are kept). */
int xb_creds_store(const char *path, const char *registry, const char *user, const char *pass,
                   xb_error_t *err);
/* Removes registry's entry (all entries when registry is NULL). Returns 1 when something was
 * removed, 0 when there was nothing to remove. */
int xb_creds_remove(const char *path, const char *registry, xb_error_t *err);

#endif
