/* Registry client internals without a network: WWW-Authenticate parsing, URL resolution and
 * origins, credential files (lookup order, key forms, store/remove, mode 0600). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/creds.h"
#include "registry/internal.h"
#include "tests/lib/tap.h"
#include "util/fs.h"

static void challenge(void)
{
    int kind;
    char *realm, *service, *scope;
    ok(xb_auth_parse_challenge("Bearer realm=\"https://auth.example.com/token\",service=\"reg."
                               "example.com\",scope=\"repository:a/b:pull,push\"",
                               &kind, &realm, &service, &scope) == 0,
       "bearer challenge parses");
    is_int(kind, XB_AUTH_BEARER, "kind bearer");
    is_str(realm, "https://auth.example.com/token", "realm");
    is_str(service, "reg.example.com", "service");
    is_str(scope, "repository:a/b:pull,push", "scope with a comma inside quotes");
    free(realm), free(service), free(scope);
    ok(xb_auth_parse_challenge("bearer realm=x, service=y", &kind, &realm, &service, &scope) == 0,
       "case-insensitive scheme, unquoted values");
    is_str(realm, "x", "unquoted realm");
    is_str(service, "y", "unquoted service after a space");
    ok(scope == NULL, "no scope");
    free(realm), free(service), free(scope);
    ok(xb_auth_parse_challenge("Basic realm=\"Registry\"", &kind, &realm, &service, &scope) == 0 &&
           kind == XB_AUTH_BASIC,
       "basic challenge");
    free(realm), free(service), free(scope);
    ok(xb_auth_parse_challenge("Negotiate abc", &kind, &realm, &service, &scope) < 0,
       "unknown scheme rejected");
    ok(xb_auth_parse_challenge("Bearer realm=\"unterminated", &kind, &realm, &service, &scope) ==
               0 &&
           realm && strcmp(realm, "unterminated") == 0,
       "unterminated quote tolerated");
    free(realm), free(service), free(scope);
    char big[5000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "Bearer ", 7);
    ok(xb_auth_parse_challenge(big, &kind, &realm, &service, &scope) < 0,
       "oversized challenge refused");
}

static void urls(void)
{
    char *u = xb_http_resolve("http://127.0.0.1:5000/v2/a/blobs/uploads/",
                              "/v2/a/blobs/uploads/uuid?_state=x");
    is_str(u, "http://127.0.0.1:5000/v2/a/blobs/uploads/uuid?_state=x", "relative Location");
    free(u);
    u = xb_http_resolve("http://127.0.0.1:5000/v2/", "https://other.example/up?x=1");
    is_str(u, "https://other.example/up?x=1", "absolute Location");
    free(u);
    char *a = xb_http_origin("https://Registry.Example.com/v2/x");
    is_str(a, "https://registry.example.com:443", "origin with default port, lowercase");
    free(a);
    a = xb_http_origin("http://localhost:5000/v2/");
    is_str(a, "http://localhost:5000", "origin with port");
    free(a);
    char *b = xb_registry_b64("tester:s3cret");
    is_str(b, "dGVzdGVyOnMzY3JldA==", "base64");
    free(b);
}

static void write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "w");
    fputs(data, f);
    fclose(f);
}

static void creds(const char *dir)
{
    char a[512], b[512], home[512];
    snprintf(a, sizeof(a), "%s/a.json", dir);
    snprintf(b, sizeof(b), "%s/b.json", dir);
    snprintf(home, sizeof(home), "%s/home", dir);
    char dockerdir[600];
    snprintf(dockerdir, sizeof(dockerdir), "%s/.docker", home);
    xb_error_t err = XB_ERROR_INIT;
    xb_mkdir_p(dockerdir, 0700, &err);
    setenv("HOME", home, 1);
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
    unsetenv("DOCKER_CONFIG");
    char *u = NULL, *p = NULL;
    is_int(xb_creds_lookup("reg.example.com", "a/b", NULL, NULL, (const char *const *)environ, &u,
                           &p, &err),
           0, "no files: no credentials");
    is_int(xb_creds_lookup("reg.example.com", "a/b", "me:pw:with:colons", NULL,
                           (const char *const *)environ, &u, &p, &err),
           1, "--creds");
    is_str(u, "me", "--creds user");
    is_str(p, "pw:with:colons", "--creds password keeps colons");
    free(u), free(p);
    /* docker config with scheme/path keys and the docker.io aliases */
    char cfg[700];
    snprintf(cfg, sizeof(cfg), "%s/config.json", dockerdir);
    write_file(cfg, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
                    "\"http://reg.example.com:5000/v2/\":{\"auth\":\"dTE6cDE=\"},"
                    "\"reg.example.com:5000/team\":{\"auth\":\"dGVhbTp0cHc=\"}}}");
    is_int(xb_creds_lookup("docker.io", "library/alpine", NULL, NULL, (const char *const *)environ,
                           &u, &p, &err),
           1, "docker.io from https://index.docker.io/v1/");
    is_str(u, "hub", "hub user");
    free(u), free(p);
    is_int(xb_creds_lookup("reg.example.com:5000", "x/y", NULL, NULL, (const char *const *)environ,
                           &u, &p, &err),
           1, "key with scheme and /v2/");
    is_str(u, "u1", "host entry");
    free(u), free(p);
    is_int(xb_creds_lookup("reg.example.com:5000", "team/app", NULL, NULL,
                           (const char *const *)environ, &u, &p, &err),
           1, "namespace entry");
    is_str(u, "team", "the more specific host/namespace entry wins");
    free(u), free(p);
    /* REGISTRY_AUTH_FILE before the docker config, --authfile before both */
    write_file(a, "{\"auths\":{\"reg.example.com:5000\":{\"auth\":\"ZW52OmVwdw==\"}}}");
    write_file(b, "{\"auths\":{\"reg.example.com:5000\":{\"auth\":\"ZmlsZTpmcHc=\"}}}");
    setenv("REGISTRY_AUTH_FILE", a, 1);
    is_int(xb_creds_lookup("reg.example.com:5000", "x/y", NULL, NULL, (const char *const *)environ,
                           &u, &p, &err),
           1, "env");
    is_str(u, "env", "REGISTRY_AUTH_FILE before ~/.docker/config.json");
    free(u), free(p);
    is_int(xb_creds_lookup("reg.example.com:5000", "x/y", NULL, b, (const char *const *)environ, &u,
                           &p, &err),
           1, "authfile");
    is_str(u, "file", "--authfile first");
    free(u), free(p);
    ok(xb_creds_lookup("reg.example.com:5000", "x/y", NULL, "/nonexistent/auth.json",
                       (const char *const *)environ, &u, &p, &err) < 0,
       "a missing --authfile is an error");
    xb_error_clear(&err);
    write_file(a, "{\"auths\":{\"reg.example.com:5000\":{\"auth\":\"!!notbase64\"}}}");
    ok(xb_creds_lookup("reg.example.com:5000", "x/y", NULL, NULL, (const char *const *)environ, &u,
                       &p, &err) < 0,
       "malformed auth entry is an error");
    ok(err.msg && strstr(err.msg, "notbase64") == NULL, "... that does not echo the entry");
    xb_error_clear(&err);
    unsetenv("REGISTRY_AUTH_FILE");
    /* store / remove */
    char st[600];
    snprintf(st, sizeof(st), "%s/new/dir/auth.json", dir);
    write_file(
        a, "{\"credHelpers\":{\"x\":\"y\"},\"auths\":{\"https://r.io/v1/\":{\"auth\":\"eDp5\"}}}");
    ok(xb_creds_store(a, "r.io", "nu", "npw", &err) == 0, "store");
    struct stat sb;
    ok(stat(a, &sb) == 0 && (sb.st_mode & 0777) == 0600, "stored file is 0600");
    is_int(xb_creds_lookup("r.io", NULL, NULL, a, (const char *const *)environ, &u, &p, &err), 1,
           "stored credentials found");
    is_str(p, "npw", "stored password");
    free(u), free(p);
    char *data = NULL;
    size_t len;
    xb_read_file(a, 1 << 20, &data, &len, &err);
    ok(data && strstr(data, "credHelpers") && !strstr(data, "https://r.io/v1/"),
       "other keys kept, old alias replaced");
    free(data);
    ok(xb_creds_store(st, "q.io", "a", "b", &err) == 0, "store creates directories");
    is_int(xb_creds_remove(a, "r.io", &err), 1, "remove");
    is_int(xb_creds_remove(a, "r.io", &err), 0, "remove again: nothing");
    is_int(xb_creds_lookup("r.io", NULL, NULL, a, (const char *const *)environ, &u, &p, &err), 0,
           "gone after remove");
    xb_creds_store(a, "s1.io", "a", "b", &err);
    xb_creds_store(a, "s2.io", "a", "b", &err);
    is_int(xb_creds_remove(a, NULL, &err), 1, "remove all");
    is_int(xb_creds_lookup("s2.io", NULL, NULL, a, (const char *const *)environ, &u, &p, &err), 0,
           "all gone");
    char *def = xb_creds_default_authfile(NULL, (const char *const *)environ);
    char want[700];
    snprintf(want, sizeof(want), "%s/.docker/config.json", home);
    is_str(def, want, "default auth file without XDG_RUNTIME_DIR");
    free(def);
    setenv("XDG_RUNTIME_DIR", "/run/user/1", 1);
    def = xb_creds_default_authfile(NULL, (const char *const *)environ);
    is_str(def, "/run/user/1/containers/auth.json", "default auth file with XDG_RUNTIME_DIR");
    free(def);
    xb_error_clear(&err);
}

int main(void)
{
    char tmpl[] = "/tmp/xb-registry-test.XXXXXX";
    char *dir = mkdtemp(tmpl);
    challenge();
    urls();
    creds(dir);
    xb_error_t err = XB_ERROR_INIT;
    xb_rm_rf(dir, &err);
    return tap_done();
}
