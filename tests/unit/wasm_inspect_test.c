/* Unit tests: src/wasm/inspect.c on hand-made module and component bytes. */
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "wasm/inspect.h"

#define U8 (const unsigned char[])

/* Core module: type section (one func type), import section: wasi_snapshot_preview1.fd_write
 * (func 0), env.memory (memory, limits min 1), wasi_snapshot_preview1.proc_exit (func 0),
 * env.table (funcref table 0..10), env.g (mutable i32 global). */
static const unsigned char core_wasi[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    /* type section: 1 type: (func (param i32) (result i32)) */
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    /* import section, size 0x6c */
    0x02, 0x6c, 0x05,
    /* "wasi_snapshot_preview1" "fd_write" func 0 */
    0x16, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r', 'e', 'v',
    'i', 'e', 'w', '1', 0x08, 'f', 'd', '_', 'w', 'r', 'i', 't', 'e', 0x00, 0x00,
    /* "env" "memory" memory {min 1} */
    0x03, 'e', 'n', 'v', 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, 0x01,
    /* "wasi_snapshot_preview1" "proc_exit" func 0 */
    0x16, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r', 'e', 'v',
    'i', 'e', 'w', '1', 0x09, 'p', 'r', 'o', 'c', '_', 'e', 'x', 'i', 't', 0x00, 0x00,
    /* "env" "table" table funcref {min 0 max 10} */
    0x03, 'e', 'n', 'v', 0x05, 't', 'a', 'b', 'l', 'e', 0x01, 0x70, 0x01, 0x00, 0x0a,
    /* "env" "g" global i32 mut */
    0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7f, 0x01,
    /* custom section "name" (empty payload) */
    0x00, 0x05, 0x04, 'n', 'a', 'm', 'e'};

static const unsigned char core_unstable[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00,
    0x00, 0x02, 0x17, 0x01, 0x0d, 'w',  'a',  's',  'i',  '_',  'u',  'n',  's',
    't',  'a',  'b',  'l',  'e',  0x05, 'f',  'd',  '_',  'r',  'd',  0x00, 0x00};

/* Component: import "wasi:cli/environment@0.2.0" (instance type 0), export
 * "wasi:cli/run@0.2.0" (instance 0, no type ascription), plus an opaque type section. */
static const unsigned char component[] = {
    0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00,
    /* type section (skipped by size) */
    0x07, 0x03, 0x01, 0x42, 0x00,
    /* import section */
    0x0a, 0x1f, 0x01, 0x00, 0x1a, 'w', 'a', 's', 'i', ':', 'c', 'l', 'i', '/', 'e', 'n', 'v', 'i',
    'r', 'o', 'n', 'm', 'e', 'n', 't', '@', '0', '.', '2', '.', '0', 0x04, 0x00,
    /* export section */
    0x0b, 0x18, 0x01, 0x00, 0x12, 'w', 'a', 's', 'i', ':', 'c', 'l', 'i', '/', 'r', 'u', 'n', '@',
    '0', '.', '2', '.', '0', 0x05, 0x00, 0x00};

static int inspect(const unsigned char *b, size_t n, xb_wasm_info_t *info, xb_error_t *err)
{
    xb_error_clear(err);
    return xb_wasm_inspect(b, n, "test.wasm", info, err);
}

static void expect_fail(const unsigned char *b, size_t n, int code, const char *needle,
                        const char *name)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_wasm_info_t info = XB_WASM_INFO_INIT;
    int r = inspect(b, n, &info, &err);
    ok(r < 0 && err.code == code, "%s: refused (code %d)", name, err.code);
    ok(err.msg && strstr(err.msg, needle) && strstr(err.msg, "test.wasm"),
       "%s: message names the file and says '%s' (%s)", name, needle, err.msg ? err.msg : "(null)");
    ok(info.imports == NULL && info.kind == 0, "%s: info left empty", name);
    xb_wasm_info_free(&info);
    xb_error_clear(&err);
}

int main(void)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_wasm_info_t info = XB_WASM_INFO_INIT;

    /* core module with WASI preview 1 imports */
    is_int(inspect(core_wasi, sizeof(core_wasi), &info, &err), 0, "core module parses (%s)",
           err.msg ? err.msg : "");
    is_int(info.kind, XB_WASM_CORE, "kind: core module");
    is_int(info.wasi, XB_WASI_P1, "wasi_snapshot_preview1 -> wasip1");
    is_int(info.n_imports, 2, "two distinct import modules");
    is_str(info.imports[0], "wasi_snapshot_preview1", "first import module");
    is_str(info.imports[1], "env", "second import module");
    ok(info.imports[2] == NULL, "import list NULL-terminated");
    is_int(info.n_exports, 0, "core: no export list");
    is_str(xb_wasm_os(&info), "wasip1", "os wasip1");
    is_str(xb_wasm_kind_name(info.kind), "module", "kind name");
    xb_wasm_info_free(&info);

    is_int(inspect(core_unstable, sizeof(core_unstable), &info, &err), 0, "wasi_unstable parses");
    is_int(info.wasi, XB_WASI_P1, "wasi_unstable -> wasip1");
    xb_wasm_info_free(&info);

    /* no imports at all: just a preamble and a type section */
    is_int(inspect(core_wasi, 16, &info, &err), 0, "module without imports parses");
    is_int(info.kind, XB_WASM_CORE, "kind: core");
    is_int(info.wasi, XB_WASI_NONE, "no WASI imports");
    is_int(info.n_imports, 0, "no imports");
    ok(info.imports && info.imports[0] == NULL, "empty list is allocated");
    is_str(xb_wasm_os(&info), "wasip1", "plain Wasm is wasip1 (CNCF layout)");
    xb_wasm_info_free(&info);
    is_int(inspect(core_wasi, 8, &info, &err), 0, "empty module (preamble only) parses");
    xb_wasm_info_free(&info);

    /* component */
    is_int(inspect(component, sizeof(component), &info, &err), 0, "component parses (%s)",
           err.msg ? err.msg : "");
    is_int(info.kind, XB_WASM_COMPONENT, "kind: component");
    is_int(info.wasi, XB_WASI_P2, "wasi:* interfaces -> wasip2");
    is_int(info.n_imports, 1, "one import");
    is_str(info.imports[0], "wasi:cli/environment@0.2.0", "import name");
    is_int(info.n_exports, 1, "one export");
    is_str(info.exports[0], "wasi:cli/run@0.2.0", "export name");
    is_str(xb_wasm_os(&info), "wasip2", "os wasip2");
    xb_wasm_info_free(&info);

    /* refusals */
    const unsigned char text[] = "hello, this is a text file\n";
    expect_fail(text, sizeof(text) - 1, XB_ERR_PARSE, "not a WebAssembly module", "text file");
    expect_fail(U8{0x00, 0x61, 0x73}, 3, XB_ERR_PARSE, "not a WebAssembly module", "3 bytes");
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00}, 6, XB_ERR_PARSE, "truncated",
                "cut preamble");
    expect_fail(core_wasi, 40, XB_ERR_PARSE, "truncated", "truncated module (mid-section)");
    expect_fail(core_wasi, 17, XB_ERR_PARSE, "truncated", "truncated section header");
    expect_fail(component, sizeof(component) - 3, XB_ERR_PARSE, "truncated", "truncated component");
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}, 8, XB_ERR_UNSUPPORTED,
                "unknown WebAssembly version", "unknown core version");
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00}, 8, XB_ERR_UNSUPPORTED,
                "unsupported WebAssembly component version", "older component version");
    /* section size 0xffffffff7f: more than 32 bits */
    expect_fail(
        U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x7f}, 14,
        XB_ERR_PARSE, "overflows 32 bits", "LEB128 overflow (5th byte)");
    /* six-byte LEB (continuation on the 5th byte) */
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x80, 0x80, 0x80, 0x80,
                   0x80, 0x00},
                15, XB_ERR_PARSE, "overflows 32 bits", "LEB128 too long");
    /* import count with the continuation bit set at the end of the section */
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x80}, 11,
                XB_ERR_PARSE, "truncated", "LEB128 cut by the section end");
    /* name longer than the section */
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x03, 0x01, 0x7f, 'a'}, 13,
                XB_ERR_PARSE, "truncated", "name past section end");
    /* invalid UTF-8 in an import module name */
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01, 0x02, 0xc3,
                   0x28, 0x01, 'f', 0x00, 0x00},
                18, XB_ERR_PARSE, "UTF-8", "invalid UTF-8 name");
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x07, 0x01, 0x01, 'm',
                   0x01, 'f', 0x09, 0x00},
                17, XB_ERR_PARSE, "unknown import kind", "unknown import kind");
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01, 0x01, 'm',
                   0x01, 'f', 0x00, 0x00, 0x00},
                18, XB_ERR_PARSE, "trailing bytes", "import section with trailing bytes");
    expect_fail(U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00}, 10, XB_ERR_PARSE,
                "unknown section id", "unknown section id");
    expect_fail(
        U8{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00}, 14,
        XB_ERR_PARSE, "duplicate section", "duplicate type section");
    /* component import with an unknown extern descriptor */
    expect_fail(
        U8{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x0a, 0x05, 0x01, 0x00, 0x01, 'a', 0x09},
        15, XB_ERR_PARSE, "unknown extern descriptor", "component: bad externdesc");

    /* every prefix of a valid module either parses (at a section boundary) or is refused */
    int bad = 0;
    for (size_t n = 0; n < sizeof(core_wasi); n++) {
        int r = inspect(core_wasi, n, &info, &err);
        if (r == 0 && n != 8 && n != 16 && n != 126)
            bad++;
        xb_wasm_info_free(&info);
    }
    is_int(bad, 0, "prefixes of a module: only section boundaries parse");

    /* files */
    is_int(xb_wasm_inspect_file("/nonexistent/x.wasm", &info, NULL, NULL, &err), -XB_ERR_IO,
           "missing file: I/O error");
    ok(err.msg && strstr(err.msg, "/nonexistent/x.wasm"), "message names the path");
    xb_error_clear(&err);
    return tap_done();
}
