/* WebAssembly module inspection: is this a core module or a component, which WASI level does it
 * target, and (for components) which interfaces it imports and exports.
 *
 * The parser reads only what it needs (the preamble, the section headers, a core module's
 * import section, a component's top-level import and export sections) and checks every length
 * against the bytes that are there: LEB128 values that overflow 32 bits, sections that run past
 * the end, names that are not UTF-8 and unknown preamble versions are refused. */
#ifndef XB_WASM_INSPECT_H
#define XB_WASM_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Largest module xbuild reads (it is held in memory while pushed or pulled). */
#define XB_WASM_MAX_SIZE (512u * 1024 * 1024)

enum xb_wasm_kind {
    XB_WASM_CORE = 1,      /* preamble \0asm 01 00 00 00 */
    XB_WASM_COMPONENT = 2, /* preamble \0asm 0d 00 01 00 (component model, layer 1) */
};

enum xb_wasi_level {
    XB_WASI_NONE = 0, /* no WASI import (plain Wasm) */
    XB_WASI_P1 = 1,   /* wasi_snapshot_preview1 / wasi_unstable imports */
    XB_WASI_P2 = 2,   /* wasi:*@0.2.x interfaces (components) */
};

typedef struct xb_wasm_info {
    int kind; /* enum xb_wasm_kind */
    int wasi; /* enum xb_wasi_level */
    /* Core module: the distinct import module names, in first-seen order.
     * Component: the top-level import names (e.g. "wasi:cli/environment@0.2.0"). */
    char **imports;
    size_t n_imports;
    /* Component: the top-level export names (e.g. "wasi:cli/run@0.2.0"). Core: empty. */
    char **exports;
    size_t n_exports;
} xb_wasm_info_t;

#define XB_WASM_INFO_INIT                                                                          \
    {                                                                                              \
        0, 0, NULL, 0, NULL, 0                                                                     \
    }

/* Inspects len bytes of data; what names the source in errors (a file name). On success *info
 * is filled (owned by the caller, free with xb_wasm_info_free); on failure it is left empty.
 * Errors: XB_ERR_PARSE (not Wasm, truncated, malformed), XB_ERR_UNSUPPORTED (unknown version
 * or layer), XB_ERR_INVALID (larger than XB_WASM_MAX_SIZE). */
int xb_wasm_inspect(const void *data, size_t len, const char *what, xb_wasm_info_t *info,
                    xb_error_t *err);
/* Reads path (at most XB_WASM_MAX_SIZE bytes) and inspects it. When data is non-NULL the file's
 * bytes are handed to the caller in *data / *len (caller frees with free()). */
int xb_wasm_inspect_file(const char *path, xb_wasm_info_t *info, char **data, size_t *len,
                         xb_error_t *err);
void xb_wasm_info_free(xb_wasm_info_t *info);

/* "module"/"component" and "wasip1"/"wasip2": the OCI "os" value for the module (plain Wasm and
 * WASI preview 1 core modules are wasip1, components wasip2). Static strings. */
const char *xb_wasm_kind_name(int kind);
const char *xb_wasm_os(const xb_wasm_info_t *info);

#define cleanup_wasm_info __attribute__((cleanup(xb_wasm_info_free)))

#endif
