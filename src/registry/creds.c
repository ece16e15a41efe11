/* Credential files and helpers (see creds.h). Secrets are never logged or put in errors. */
#include "registry/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/reference.h"
#include "registry/internal.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/sys.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#define AUTHFILE_MAX (1024u * 1024)

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* "https://host:5000/v1/" -> "host:5000"; the docker.io aliases -> "docker.io". */
static char *normalize_key(const char *k)
{
    const char *p = strstr(k, "://");
    p = p ? p + 3 : k;
    char *s = strdup(p);
    if (s == NULL)
        return NULL;
    char *slash = strchr(s, '/');
    /* keep a namespace path ("host/ns"), drop API paths ("/v1/", "/v2/") */
    if (slash && (strncmp(slash, "/v1", 3) == 0 || strncmp(slash, "/v2", 3) == 0))
        *slash = '\0';
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    const char *aliases[] = {"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"};
    for (size_t i = 0; i < 3; i++) {
        size_t al = strlen(aliases[i]);
        if (strncmp(s, aliases[i], al) == 0 && (s[al] == '\0' || s[al] == '/')) {
            char *o = NULL;
            if (asprintf(&o, "docker.io%s", s + al) < 0)
                o = NULL;
            free(s);
            return o;
        }
    }
    return s;
}

static int decode_b64(const char *in, char **out)
{
    size_t n = strlen(in);
    char *o = malloc(n / 4 * 3 + 4);
    if (o == NULL)
        return -1;
    size_t len = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        int d = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
        if (c == '=')
            break;
        if (d < 0) {
            free(o);
            return -1;
        }
        v = v << 6 | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[len++] = (char)((v >> bits) & 0xff);
        }
    }
    o[len] = '\0';
    *out = o;
    return 0;
}

static int split_userpass(const char *s, char **user, char **pass)
{
    const char *c = strchr(s, ':');
    *user = c ? strndup(s, (size_t)(c - s)) : strdup(s);
    *pass = strdup(c ? c + 1 : "");
    return *user && *pass ? 1 : -1;
}

/* docker-credential-<helper> get: server on stdin, JSON on stdout; the helper gets env (the
 * user's environment, NULL: this process's). */
static int run_helper(const char *helper, const char *server, const char *const *env, char **user,
                      char **pass, xb_error_t *err)
{
    cleanup_free char *prog = NULL;
    if (asprintf(&prog, "docker-credential-%s", helper) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (const char *p = helper; *p; p++)
        if (*p == '/')
            return xb_error_set(err, XB_ERR_INVALID, "invalid credential helper name \"%s\"",
                                helper);
    int in[2], outp[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return xb_error_errno(err, errno, "pipe");
    if (pipe2(outp, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return xb_error_errno(err, errno, "pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        close(outp[0]);
        close(outp[1]);
        return xb_error_errno(err, errno, "fork");
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(outp[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        extern char **environ;
        char *const argv[] = {prog, "get", NULL};
        execvpe(prog, argv, env ? (char *const *)env : environ);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    size_t sl = strlen(server);
    ssize_t w = write(in[1], server, sl);
    (void)w;
    close(in[1]);
    xb_buf_t b = XB_BUF_INIT;
    char chunk[4096];
    ssize_t got;
    while ((got = read(outp[0], chunk, sizeof(chunk))) > 0 && b.len < 65536)
        xb_buf_append(&b, chunk, (size_t)got);
    close(outp[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && b.len > 0) {
        json_t *j = json_loadb(b.data, b.len, 0, NULL);
        const char *u = xb_json_str(j, "Username"), *s = xb_json_str(j, "Secret");
        if (u && s) {
            *user = strdup(u);
            *pass = strdup(s);
            rc = *user && *pass ? 1 : -1;
        }
        json_decref(j);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        xb_warn("credential helper %s not found in PATH", prog);
    }
    if (b.data)
        explicit_bzero(b.data, b.len);
    xb_buf_free(&b);
    if (rc < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    xb_debug("credentials for %s %s by %s", server, rc ? "provided" : "not provided", prog);
    return rc;
}

/* Looks registry (and host/repo namespaces) up in one auth file: 1 found, 0 not. */
static int lookup_file(const char *path, const char *registry, const char *repository,
                       const char *const *env, char **user, char **pass, xb_error_t *err)
{
    if (!xb_path_exists(path))
        return 0;
    cleanup_json json_t *j = NULL;
    if (xb_json_load_file(path, AUTHFILE_MAX, &j, err) < 0)
        return xb_error_wrap(err, "reading credentials");
    xb_debug("looking for credentials for %s in %s", registry, path);
    /* most specific first: host/a/b, host/a, host */
    cleanup_free char *full = NULL;
    if (asprintf(&full, "%s%s%s", registry, repository ? "/" : "", repository ? repository : "") <
        0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    json_t *auths = json_object_get(j, "auths");
    json_t *helpers = json_object_get(j, "credHelpers");
    for (;;) {
        const char *key;
        json_t *v;
        json_object_foreach(auths, key, v)
        {
            cleanup_free char *nk = normalize_key(key);
            if (nk == NULL || strcmp(nk, full) != 0)
                continue;
            const char *a = xb_json_str(v, "auth");
            if (a && *a) {
                char *dec = NULL;
                if (decode_b64(a, &dec) < 0 || strchr(dec, ':') == NULL) {
                    wipe_free(dec);
                    return xb_error_set(err, XB_ERR_PARSE,
                                        "%s: the \"auth\" entry for %s is not base64 of "
                                        "user:password",
                                        path, key);
                }
                int rc = split_userpass(dec, user, pass);
                wipe_free(dec);
                return rc < 0 ? xb_error_set(err, XB_ERR_INTERNAL, "out of memory") : 1;
            }
        }
        json_object_foreach(helpers, key, v)
        {
            cleanup_free char *nk = normalize_key(key);
            if (nk && strcmp(nk, full) == 0 && json_is_string(v))
                return run_helper(json_string_value(v), key, env, user, pass, err);
        }
        char *slash = strrchr(full, '/');
        if (slash == NULL || strlen(full) <= strlen(registry))
            break;
        *slash = '\0';
    }
    const char *store = xb_json_str(j, "credsStore");
    if (store && *store) {
        const char *server =
            strcmp(registry, "docker.io") == 0 ? "https://index.docker.io/v1/" : registry;
        return run_helper(store, server, env, user, pass, err);
    }
    return 0;
}

static char *home_docker_config(const char *const *env)
{
    const char *dc = xb_env_lookup(env, "DOCKER_CONFIG");
    char *p = NULL;
    if (dc && *dc)
        return xb_path_join(dc, "config.json");
    const char *home = xb_env_lookup(env, "HOME");
    if (home == NULL || *home == '\0')
        return NULL;
    if (asprintf(&p, "%s/.docker/config.json", home) < 0)
        return NULL;
    return p;
}

static char *xdg_authfile(const char *const *env)
{
    const char *x = xb_env_lookup(env, "XDG_RUNTIME_DIR");
    char *p = NULL;
    if (x == NULL || *x == '\0')
        return NULL;
    if (asprintf(&p, "%s/containers/auth.json", x) < 0)
        return NULL;
    return p;
}

int xb_creds_lookup(const char *registry, const char *repository, const char *creds,
                    const char *authfile, const char *const *environ_, char **user, char **pass,
                    xb_error_t *err)
{
    *user = *pass = NULL;
    if (creds && *creds) {
        if (split_userpass(creds, user, pass) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        return 1;
    }
    const char *env = xb_env_lookup(environ_, "REGISTRY_AUTH_FILE");
    cleanup_free char *xdg = xdg_authfile(environ_);
    cleanup_free char *docker = home_docker_config(environ_);
    const char *files[] = {authfile, env && *env ? env : NULL, xdg, docker};
    for (size_t i = 0; i < 4; i++) {
        if (files[i] == NULL)
            continue;
        if (i == 0 && !xb_path_exists(files[i]))
            return xb_error_set(err, XB_ERR_NOT_FOUND, "auth file %s does not exist", files[i]);
        int rc = lookup_file(files[i], registry, repository, environ_, user, pass, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

char *xb_creds_default_authfile(const char *authfile, const char *const *environ_)
{
    if (authfile && *authfile)
        return strdup(authfile);
    const char *env = xb_env_lookup(environ_, "REGISTRY_AUTH_FILE");
    if (env && *env)
        return strdup(env);
    char *x = xdg_authfile(environ_);
    return x ? x : home_docker_config(environ_);
}

static int load_or_new(const char *path, json_t **out, xb_error_t *err)
{
    if (xb_path_exists(path))
        return xb_json_load_file(path, AUTHFILE_MAX, out, err);
    *out = json_object();
    return 0;
}

static int save(const char *path, json_t *j, xb_error_t *err)
{
    cleanup_free char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        if (xb_mkdir_p(dir, 0700, err) < 0)
            return -err->code;
    }
    cleanup_free char *data = json_dumps(j, JSON_INDENT(1));
    if (data == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    int rc = xb_write_file_atomic(path, data, strlen(data), 0600, err);
    explicit_bzero(data, strlen(data));
    if (rc >= 0 && chmod(path, 0600) < 0)
        return xb_error_errno(err, errno, "chmod %s", path);
    return rc;
}

int xb_creds_store(const char *path, const char *registry, const char *user, const char *pass,
                   xb_error_t *err)
{
    cleanup_json json_t *j = NULL;
    if (load_or_new(path, &j, err) < 0)
        return -err->code;
    if (!json_is_object(j))
        return xb_error_set(err, XB_ERR_PARSE, "%s: not a JSON object", path);
    json_t *auths = json_object_get(j, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(j, "auths", auths);
    }
    /* replace every alias of this registry */
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(auths, tmp, key, v)
    {
        cleanup_free char *nk = normalize_key(key);
        if (nk && strcmp(nk, registry) == 0)
            json_object_del(auths, key);
    }
    cleanup_free char *up = NULL;
    if (asprintf(&up, "%s:%s", user, pass) < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    size_t n = strlen(up);
    cleanup_free char *enc = xb_registry_b64(up);
    if (enc == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    explicit_bzero(up, n);
    json_object_set_new(auths, registry, json_pack("{s:s}", "auth", enc));
    explicit_bzero(enc, strlen(enc));
    return save(path, j, err);
}

int xb_creds_remove(const char *path, const char *registry, xb_error_t *err)
{
    if (!xb_path_exists(path))
        return 0;
    cleanup_json json_t *j = NULL;
    if (xb_json_load_file(path, AUTHFILE_MAX, &j, err) < 0)
        return -err->code;
    json_t *auths = json_object_get(j, "auths");
    int removed = 0;
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(auths, tmp, key, v)
    {
        cleanup_free char *nk = normalize_key(key);
        if (registry == NULL || (nk && strcmp(nk, registry) == 0)) {
            json_object_del(auths, key);
            removed = 1;
        }
    }
    if (!removed)
        return 0;
    return save(path, j, err) < 0 ? -err->code : 1;
}
