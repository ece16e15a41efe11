/* xbuild info: what this xbuild sees (store, snapshotter, emulators, rootless mode, versions),
 * as `buildah info` shows it. */
#include <getopt.h>
#include <jansson.h>
#include <libdeflate.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zstd.h>

#include "cli/cli.h"
#include "cli/store_util.h"
#include "run/arch.h"
#include "run/binfmt.h"
#include "run/snapshotter.h"
#include "run/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sys.h"

static const char usage[] =
    "Usage: xbuild info [--format json]\n"
    "\n"
    "Shows the store, the snapshotter RUN uses (kernel overlayfs, fuse-overlayfs or the copy\n"
    "snapshotter, and why; XBUILD_SNAPSHOTTER forces one),\n"
    "the binfmt_misc emulators, rootless mode (an ordinary user's xbuild runs in a user\n"
    "namespace: its uid/gid mappings) and versions.\n"
    "  --format json   the same as one JSON object\n"
    "  -h, --help      this text\n";

static json_t *maps_json(const xb_idmap_t *m, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:I,s:I,s:I}", "inside", (json_int_t)m[i].inside,
                                           "outside", (json_int_t)m[i].outside, "count",
                                           (json_int_t)m[i].count));
    return a;
}

static json_t *rootless_json(const struct xb_cli *cli)
{
    xb_idmap_t u[8], g[8];
    int nu = 0, ng = 0;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    xb_userns_current(u, &nu, g, &ng, &e);
    json_t *o = json_object();
    json_object_set_new(o, "rootless", json_boolean(cli->rootless || xb_sys_in_userns()));
    if (cli->rootless)
        json_object_set_new(o, "subordinate_ids", json_boolean(cli->subids));
    if (cli->rootless && cli->subids) {
        /* the namespace kept for the next commands (run/userns.h), 0: none */
        int holder = cli->userns_seconds ? xb_userns_holder_pid(cli->userns_record) : 0;
        json_object_set_new(o, "kept_by", json_integer(holder));
        json_object_set_new(o, "joined", json_boolean(cli->userns_joined != 0));
        json_object_set_new(o, "keep_seconds", json_integer(cli->userns_seconds));
    }
    json_object_set_new(o, "uid_map", maps_json(u, nu));
    json_object_set_new(o, "gid_map", maps_json(g, ng));
    return o;
}

static json_t *store_json(struct xb_cli *cli, xb_error_t *err)
{
    xb_store_t *s = NULL;
    if (xb_cli_open_store(cli, &s, err) < 0)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "root", json_string(cli->root));
    xb_snapshotter_t want;
    cleanup_free char *dir = NULL;
    if (xb_cli_snapshotter(cli, "info", &want, err) < 0 ||
        xb_store_mkdtemp(s, "info", &dir, err) < 0) {
        xb_store_close(s);
        json_decref(o);
        return NULL;
    }
    xb_snapshotter_choice_t ch;
    cleanup_error xb_error_t se = XB_ERROR_INIT;
    if (xb_snapshotter_select(want, cli->search_path, dir, &ch, &se) < 0) {
        /* a forced snapshotter that cannot work here: shown, the command goes on */
        json_object_set_new(o, "snapshotter", json_string("unusable"));
        json_object_set_new(o, "snapshotter_reason", json_string(se.msg));
    } else {
        json_object_set_new(o, "snapshotter", json_string(xb_snapshotter_name(ch.kind)));
        json_object_set_new(o, "snapshotter_reason", json_string(ch.reason));
        if (ch.kind == XB_SNAP_FUSE)
            json_object_set_new(o, "fuse_overlayfs", json_string(ch.fuse_bin));
        if (ch.kind == XB_SNAP_OVERLAY)
            json_object_set_new(o, "overlay_xattrs",
                                json_string(xb_sys_in_userns() ? "user.overlay.* (userxattr)"
                                                               : "trusted.overlay.*"));
    }
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    xb_rm_rf(dir, &e);
    xb_store_close(s);
    return o;
}

static json_t *binfmt_json(struct xb_cli *cli)
{
    size_t n;
    const xb_arch_t *t = xb_arch_table(&n);
    cleanup_free char *probe_cache = xb_path_join(cli->root, XB_ARCH_PROBE_CACHE);
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        xb_binfmt_status_t st;
        cleanup_error xb_error_t e = XB_ERROR_INIT;
        xb_binfmt_query(cli->binfmt_dir, &t[i], probe_cache, &st, &e);
        const char *problem;
        const char *state = xb_cli_binfmt_state(&st, &problem);
        char v[PATH_MAX + 64];
        if (st.registered && !st.native)
            snprintf(v, sizeof v, "%s (%s, flags %s, guard %s%s%s)", state, st.interpreter,
                     st.flags, xb_cli_binfmt_guard(&st), problem ? ": " : "",
                     problem ? problem : "");
        else
            snprintf(v, sizeof v, "%s", state);
        json_object_set_new(o, xb_arch_name(&t[i]), json_string(v));
    }
    return o;
}

static json_t *host_json(void)
{
    struct utsname u;
    json_t *o = json_object();
    if (uname(&u) == 0) {
        json_object_set_new(o, "kernel", json_string(u.release));
        json_object_set_new(o, "arch", json_string(u.machine));
    }
    cleanup_free char *osr = NULL;
    size_t len;
    cleanup_error xb_error_t e = XB_ERROR_INIT;
    if (xb_read_file("/etc/os-release", 1 << 16, &osr, &len, &e) == 0) {
        char *p = strstr(osr, "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            json_object_set_new(o, "os", json_stringn(p, strcspn(p, "\"\n")));
        }
    }
    json_object_set_new(o, "cpus", json_integer(xb_cpu_count()));
    return o;
}

static json_t *versions_json(void)
{
    char sc[32];
    const struct scmp_version *v = seccomp_version();
    snprintf(sc, sizeof sc, "%u.%u.%u", v->major, v->minor, v->micro);
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "xbuild", PACKAGE_VERSION, "jansson", JANSSON_VERSION,
                     "zstd", ZSTD_versionString(), "libdeflate", LIBDEFLATE_VERSION_STRING,
                     "libseccomp", sc);
}

/* YAML-like text: "key: value", nested objects indented, arrays of maps one line each. */
static void print_text(const json_t *o, int depth)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        printf("%*s%s:", depth * 2, "", k);
        if (json_is_object(v)) {
            printf("\n");
            print_text(v, depth + 1);
        } else if (json_is_array(v)) {
            size_t i;
            const json_t *m;
            printf("\n");
            json_array_foreach(v, i, m)
                printf("%*s- %lld %lld %lld\n", depth * 2 + 2, "", xb_json_int(m, "inside", 0),
                       xb_json_int(m, "outside", 0), xb_json_int(m, "count", 0));
        } else if (json_is_string(v)) {
            printf(" %s\n", json_string_value(v));
        } else if (json_is_integer(v)) {
            printf(" %lld\n", (long long)json_integer_value(v));
        } else {
            printf(" %s\n", json_is_true(v) ? "yes" : "no");
        }
    }
}

XB_CMD(info)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (c == 'f' && strcmp(optarg, "json") == 0)
            json = true;
        else if (c == 'f')
            return xb_cli_usage(err, "info", "--format: only 'json' is known, not '%s'", optarg);
        else
            return xb_cli_other_option("info", usage, c, argv, err);
    }
    if (xb_cli_no_arguments("info", argc, argv, err) < 0)
        return -err->code;
    json_t *store = store_json(cli, err);
    if (store == NULL)
        return -1;
    cleanup_json json_t *o = json_object();
    json_object_set_new(o, "host", host_json());
    json_object_set_new(o, "store", store);
    json_object_set_new(o, "rootless", rootless_json(cli));
    json_object_set_new(o, "binfmt", binfmt_json(cli));
    json_object_set_new(o, "versions", versions_json());
    if (json)
        xb_cli_print_json(o, 0);
    else
        print_text(o, 0);
    return 0;
}
