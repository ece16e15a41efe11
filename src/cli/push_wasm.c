/* xbuild push-wasm MODULE REF: push a WebAssembly module in the format its runtime pulls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/registry_flags.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "wasm/artifact.h"
#include "wasm/inspect.h"
#include "wasm/transfer.h"

static const char usage[] =
    "Usage: xbuild push-wasm [OPTIONS] MODULE REF\n"
    "\n"
    "Push a WebAssembly module or component (MODULE, a .wasm file) to a registry as REF\n"
    "([docker://]registry/repository[:tag]). The module is inspected first: anything that is\n"
    "not a Wasm core module or component is refused.\n"
    "\n"
    "  --format FORMAT       wasm-to-oci (default; Krustlet), oci-artifact (CNCF Wasm OCI\n"
    "                        artifact layout: containerd, Spin, wasmCloud, wkg) or image\n"
    "                        (an OCI image for platform wasip1/wasm: runwasi, crun/youki)\n"
    "  --annotation K=V      manifest annotation (repeatable)\n"
    "  --digestfile FILE     write the manifest digest to FILE\n" XB_REGISTRY_FLAGS_HELP "\n"
    "Prints the manifest digest.\n";

XB_CMD(push_wasm)
{
    const char *module = NULL, *ref = NULL, *digestfile = NULL, *v = NULL;
    int format = XB_WASM_FMT_WASM_TO_OCI;
    cleanup_json json_t *ann = json_object();
    xb_registry_opts_t ro = XB_REGISTRY_OPTS_INIT;
    xb_cli_registry_env(cli, &ro);
    int r;

    if (ann == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return xb_cli_help(usage);
        if ((r = xb_cli_registry_flag(&ro, argc, argv, &i, "push-wasm", err)) != 0) {
            if (r < 0)
                return r;
        } else if ((r = xb_cli_flag_value("--format", argc, argv, &i, &v, "push-wasm", err)) != 0) {
            if (r < 0)
                return r;
            if (xb_wasm_format_parse(v, &format, err) < 0)
                return xb_cli_usage(err, "push-wasm",
                                    "unknown --format '%s' (expected "
                                    "wasm-to-oci, oci-artifact or image)",
                                    v);
        } else if ((r = xb_cli_flag_value("--annotation", argc, argv, &i, &v, "push-wasm", err)) !=
                   0) {
            if (r < 0)
                return r;
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v)
                return xb_cli_usage(err, "push-wasm", "--annotation needs KEY=VALUE, not '%s'", v);
            cleanup_free char *k = strndup(v, (size_t)(eq - v));
            json_t *s = json_string(eq + 1);
            if (k == NULL || s == NULL || json_object_set_new(ann, k, s) < 0)
                return xb_cli_usage(err, "push-wasm", "invalid annotation '%s' (not UTF-8?)", v);
        } else if ((r = xb_cli_flag_value("--digestfile", argc, argv, &i, &digestfile, "push-wasm",
                                          err)) != 0) {
            if (r < 0)
                return r;
        } else if (a[0] == '-' && a[1] != '\0') {
            return xb_cli_usage(err, "push-wasm", "unknown option '%s'", a);
        } else if (module == NULL) {
            module = a;
        } else if (ref == NULL) {
            ref = a;
        } else {
            return xb_cli_usage(err, "push-wasm", "unexpected argument '%s'", a);
        }
    }
    if (module == NULL || ref == NULL)
        return xb_cli_usage(err, "push-wasm", "needs MODULE and REF");
    if (strncmp(ref, "docker://", 9) == 0)
        ref += 9;

    struct xb_wasm_push_opts po = {format, ann, &ro, cli->source_date_epoch};
    struct xb_wasm_push_result res;
    if (xb_wasm_push(module, ref, &po, &res, err) < 0)
        return -err->code;
    if (!ro.quiet)
        xb_info("Pushed %s (%s, %zu bytes) as %s: manifest %zu + config %zu bytes%s", ref,
                xb_wasm_kind_name(res.kind), res.module_size, xb_wasm_format_name(format),
                res.manifest_size, res.config_size,
                format == XB_WASM_FMT_IMAGE ? " + tar.gz layer" : "");
    if (digestfile) {
        cleanup_free char *line = NULL;
        if (asprintf(&line, "%s\n", res.digest) < 0)
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        if (xb_write_file_atomic(digestfile, line, strlen(line), 0644, err) < 0)
            return -err->code;
    }
    if (!ro.quiet)
        printf("%s\n", res.digest);
    return 0;
}
