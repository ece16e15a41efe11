/* xbuild binfmt: show, install or remove qemu binfmt_misc registrations. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "run/binfmt.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char usage[] =
    "Usage: xbuild binfmt [--status] [--json]\n"
    "       xbuild binfmt --install [ARCH...|all]\n"
    "       xbuild binfmt --uninstall [ARCH...]\n"
    "\n"
    "Shows, registers or removes qemu-user emulators in binfmt_misc. ARCH is an OCI\n"
    "architecture (arm64, arm/v7, ppc64le, s390x, riscv64, mips64le, loong64, 386, amd64).\n"
    "Registrations use the F flag (the interpreter works inside build roots) and P\n"
    "(argv[0] preserved) with Debian's /usr/libexec/qemu-binfmt/<arch>-binfmt-P.\n"
    "A 32-bit companion of the host (386 on amd64, arm on arm64) counts as native only when\n"
    "a tiny embedded binary of it runs (the kernel may lack or disable 32-bit support); the\n"
    "answer is kept for the boot in the store (xbuild/arch-probe).\n"
    "  --status      per architecture: native, emulated (interpreter, flags, static), missing;\n"
    "                NATIVE says why: host, probe ran, probe failed (needs qemu), foreign;\n"
    "                GUARD says whether a RUN step could chmod/chown the emulator through\n"
    "                /proc/PID/exe: read-only (xbuild's registration), unmapped (rootless),\n"
    "                EXPOSED (status 'exposed': re-register it with --install)\n"
    "  --json        status as JSON\n"
    "  --install     register the given (default: all non-native) architectures\n"
    "  --uninstall   remove registrations of the given (default: all non-native) ones\n";

const char *xb_cli_binfmt_state(const struct xb_binfmt_status *st, const char **problem)
{
    *problem = NULL;
    if (st->native)
        return "native";
    if (!st->registered)
        return "missing";
    if (!st->enabled)
        *problem = "entry disabled";
    else if (!st->interp_exists)
        *problem = "interpreter missing";
    else if (!st->fix_binary)
        *problem = "no F flag: does not work inside build roots";
    else if (!st->interp_static)
        *problem = "interpreter dynamically linked: does not work inside build roots with F";
    if (*problem)
        return "broken";
    if (st->guard.state == XB_GUARD_EXPOSED) {
        *problem = "RUN steps could chmod/chown the emulator: xbuild binfmt --install";
        return "exposed";
    }
    return "emulated";
}

/* GUARD column: can a RUN step modify the emulator through /proc/PID/exe? */
const char *xb_cli_binfmt_guard(const struct xb_binfmt_status *st)
{
    switch (st->guard.state) {
    case XB_GUARD_SAFE:
        return st->guard.read_only ? "read-only" : "unmapped";
    case XB_GUARD_EXPOSED:
        return "EXPOSED";
    default:
        return "-";
    }
}

static int status(const char *binfmt_dir, const char *probe_cache, bool json)
{
    size_t n;
    const xb_arch_t *t = xb_arch_table(&n);
    cleanup_json json_t *arr = json_array();
    if (!json)
        printf("%-10s %-9s %-13s %-16s %-44s %-6s %-7s %s\n", "ARCH", "STATUS", "NATIVE", "ENTRY",
               "INTERPRETER", "FLAGS", "LINKING", "GUARD");
    for (size_t i = 0; i < n; i++) {
        xb_binfmt_status_t st;
        cleanup_error xb_error_t e = XB_ERROR_INIT;
        xb_binfmt_query(binfmt_dir, &t[i], probe_cache, &st, &e);
        const char *how = xb_native_describe(st.how);
        const char *problem;
        const char *state = xb_cli_binfmt_state(&st, &problem);
        if (json) {
            json_t *o = json_object();
            json_object_set_new(o, "arch", json_string(xb_arch_name(&t[i])));
            json_object_set_new(o, "qemu", json_string(t[i].qemu));
            json_object_set_new(o, "status", json_string(state));
            json_object_set_new(o, "native", json_string(how));
            if (st.registered) {
                json_object_set_new(o, "entry", json_string(st.name));
                json_object_set_new(o, "interpreter", json_string(st.interpreter));
                json_object_set_new(o, "flags", json_string(st.flags));
                json_object_set_new(o, "enabled", json_boolean(st.enabled));
                json_object_set_new(o, "static", json_boolean(st.interp_static));
                json_object_set_new(o, "preserve_argv0", json_boolean(st.preserve_argv0));
                json_object_set_new(o, "guard", json_string(xb_cli_binfmt_guard(&st)));
                if (st.guard.why[0])
                    json_object_set_new(o, "guard_reason", json_string(st.guard.why));
            }
            if (problem)
                json_object_set_new(o, "problem", json_string(problem));
            json_array_append_new(arr, o);
            continue;
        }
        if (!st.registered) {
            printf("%-10s %-9s %s\n", xb_arch_name(&t[i]), state, how);
            continue;
        }
        printf("%-10s %-9s %-13s %-16s %-44s %-6s %-7s %s%s%s\n", xb_arch_name(&t[i]), state, how,
               st.name, st.interpreter, st.flags[0] ? st.flags : "-",
               !st.interp_exists  ? "-"
               : st.interp_static ? "static"
                                  : "dynamic",
               xb_cli_binfmt_guard(&st), problem ? "  # " : "", problem ? problem : "");
    }
    if (json) {
        cleanup_free char *s = xb_json_dump(arr);
        printf("%s\n", s ? s : "[]");
    }
    return 0;
}

static int collect(int argc, char **argv, int first, const char *probe_cache, const xb_arch_t **out,
                   size_t *nout, xb_error_t *err)
{
    size_t n;
    const xb_arch_t *t = xb_arch_table(&n);
    *nout = 0;
    bool all = first >= argc;
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], "all") == 0)
            all = true;
    if (all) {
        for (size_t i = 0; i < n; i++) {
            if (xb_arch_is_native(&t[i], probe_cache))
                continue;
            /* arm/v6 shares arm/v7's registration */
            if (t[i].variant && strcmp(t[i].variant, "v6") == 0)
                continue;
            out[(*nout)++] = &t[i];
        }
        return 0;
    }
    for (int i = first; i < argc; i++) {
        const xb_arch_t *a = xb_arch_parse(argv[i]);
        if (a == NULL)
            return xb_cli_usage(err, "binfmt", "unknown architecture '%s'", argv[i]);
        if (*nout < 32)
            out[(*nout)++] = a;
    }
    return 0;
}

XB_CMD(binfmt)
{
    cleanup_free char *probe_cache = xb_path_join(cli->root, XB_ARCH_PROBE_CACHE);
    bool json = false;
    int mode = 0; /* 0 status, 1 install, 2 uninstall */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return xb_cli_help(usage);
        else if (strcmp(a, "--status") == 0)
            mode = 0;
        else if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--install") == 0)
            mode = 1;
        else if (strcmp(a, "--uninstall") == 0)
            mode = 2;
        else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else
            return xb_cli_usage(err, "binfmt", "unknown option '%s'", a);
    }
    if (mode == 0) {
        if (i < argc)
            return xb_cli_usage(err, "binfmt", "--status takes no arguments");
        cleanup_error xb_error_t e = XB_ERROR_INIT;
        (void)xb_binfmt_mount(cli->binfmt_dir, &e); /* best effort (root only) */
        return status(cli->binfmt_dir, probe_cache, json);
    }
    const xb_arch_t *archs[64];
    size_t n;
    if (collect(argc, argv, i, probe_cache, archs, &n, err) < 0)
        return -1;
    int failed = 0;
    for (size_t k = 0; k < n; k++) {
        const char *name = xb_arch_name(archs[k]);
        if (mode == 1) {
            const char *what = NULL;
            cleanup_error xb_error_t e = XB_ERROR_INIT;
            if (xb_binfmt_install(cli->binfmt_dir, archs[k], probe_cache, &what, &e) < 0) {
                fprintf(stderr, "error: %s: %s\n", name, e.msg);
                failed++;
                continue;
            }
            printf("%s: %s\n", name, what);
        } else {
            if (xb_arch_is_native(archs[k], probe_cache)) {
                printf("%s: native, nothing to remove\n", name);
                continue;
            }
            cleanup_error xb_error_t e = XB_ERROR_INIT;
            int r = xb_binfmt_uninstall(cli->binfmt_dir, archs[k], &e);
            if (r < 0) {
                fprintf(stderr, "error: %s: %s\n", name, e.msg);
                failed++;
                continue;
            }
            printf("%s: %d entr%s removed\n", name, r, r == 1 ? "y" : "ies");
        }
    }
    if (failed)
        return xb_error_set(err, XB_ERR_RUN, "binfmt: %d architecture%s failed", failed,
                            failed == 1 ? "" : "s");
    return 0;
}
