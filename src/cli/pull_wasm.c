/* xbuild pull-wasm REF -o FILE: fetch a WebAssembly module from a registry. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/registry_flags.h"
#include "util/log.h"
#include "wasm/inspect.h"
#include "wasm/transfer.h"

static const char usage[] =
    "Usage: xbuild pull-wasm [OPTIONS] REF -o FILE\n"
    "\n"
    "Fetch the WebAssembly module stored as REF ([docker://]registry/repository[:tag|@digest])\n"
    "and write it to FILE. Accepts wasm-to-oci artifacts, the CNCF Wasm OCI artifact layout,\n"
    "Spin applications with one Wasm layer, wasm images (platform wasi*/wasm) and indexes with\n"
    "a wasm platform. Every digest is verified and the bytes must be a Wasm module; anything\n"
    "else is refused and FILE is left untouched.\n"
    "\n"
    "  -o, --output FILE     where to write the module (required)\n" XB_REGISTRY_FLAGS_HELP;

XB_CMD(pull_wasm)
{
    const char *ref = NULL, *out = NULL;
    xb_registry_opts_t ro = XB_REGISTRY_OPTS_INIT;
    xb_cli_registry_env(cli, &ro);
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return xb_cli_help(usage);
        if ((r = xb_cli_registry_flag(&ro, argc, argv, &i, "pull-wasm", err)) != 0) {
            if (r < 0)
                return r;
        } else if ((r = xb_cli_flag_value("--output", argc, argv, &i, &out, "pull-wasm", err)) !=
                       0 ||
                   (r = xb_cli_flag_value("-o", argc, argv, &i, &out, "pull-wasm", err)) != 0) {
            if (r < 0)
                return r;
        } else if (a[0] == '-' && a[1] != '\0') {
            return xb_cli_usage(err, "pull-wasm", "unknown option '%s'", a);
        } else if (ref == NULL) {
            ref = a;
        } else {
            return xb_cli_usage(err, "pull-wasm", "unexpected argument '%s'", a);
        }
    }
    if (ref == NULL)
        return xb_cli_usage(err, "pull-wasm", "needs REF");
    if (out == NULL || *out == '\0')
        return xb_cli_usage(err, "pull-wasm", "needs -o FILE");
    if (strncmp(ref, "docker://", 9) == 0)
        ref += 9;
    struct xb_wasm_pull_result res;
    if (xb_wasm_pull(ref, out, &ro, &res, err) < 0)
        return -err->code;
    if (!ro.quiet)
        printf("Wrote %s: %s %s, %zu bytes, %s (format %s, manifest %s)\n", out,
               xb_wasm_os(&(xb_wasm_info_t){.kind = res.wasm_kind}),
               xb_wasm_kind_name(res.wasm_kind), res.module_size, res.module_digest, res.kind,
               res.digest);
    return 0;
}
