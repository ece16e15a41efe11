/* Wasm binary inspection (core module / component preamble, imports, exports). See inspect.h.
 * Core format: WebAssembly Core Specification, binary format (sections, imports, LEB128).
 * Components: component-model design/mvp/Binary.md (preamble version 0x0d, layer 0x01). */
#include "wasm/inspect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* A component or core module with more entries than this is refused (no real one comes close;
 * the limit bounds the memory a hostile file can make us allocate for names). */
#define MAX_NAMES 65536

struct rd {
    const uint8_t *base, *p, *end;
    const char *what;
    xb_error_t *err;
};

static size_t off(const struct rd *r)
{
    return (size_t)(r->p - r->base);
}

static int truncated(struct rd *r, const char *ctx)
{
    return xb_error_set(r->err, XB_ERR_PARSE, "%s: truncated Wasm module: %s at offset %zu",
                        r->what, ctx, off(r));
}

static int malformed(struct rd *r, const char *ctx)
{
    return xb_error_set(r->err, XB_ERR_PARSE, "%s: malformed Wasm module: %s at offset %zu",
                        r->what, ctx, off(r));
}

static int rd_byte(struct rd *r, const char *ctx, uint8_t *out)
{
    if (r->p >= r->end)
        return truncated(r, ctx);
    *out = *r->p++;
    return 0;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64): overlong encodings and set bits beyond the
 * width are refused, as the core spec requires. */
static int rd_uleb(struct rd *r, unsigned bits, const char *ctx, uint64_t *out)
{
    uint64_t v = 0;
    unsigned maxbytes = (bits + 6) / 7;
    for (unsigned i = 0;; i++) {
        uint8_t b = 0;
        if (r->p >= r->end)
            return truncated(r, ctx);
        b = *r->p++;
        if (i == maxbytes - 1) {
            unsigned used = bits - 7 * i; /* value bits left for this byte */
            if ((b & 0x80) || (b >> used) != 0)
                return xb_error_set(r->err, XB_ERR_PARSE,
                                    "%s: malformed Wasm module: LEB128 %s overflows %u bits at "
                                    "offset %zu",
                                    r->what, ctx, bits, off(r) - 1);
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    *out = v;
    return 0;
}

static int rd_u32(struct rd *r, const char *ctx, uint32_t *out)
{
    uint64_t v = 0;
    if (rd_uleb(r, 32, ctx, &v) < 0)
        return -r->err->code;
    *out = (uint32_t)v;
    return 0;
}

/* Signed 33-bit LEB128 (heap types, type indices); only skipped, but bounds-checked. */
static int skip_s33(struct rd *r, const char *ctx)
{
    for (unsigned i = 0; i < 5; i++) {
        uint8_t b = 0;
        if (rd_byte(r, ctx, &b) < 0)
            return -r->err->code;
        if (!(b & 0x80))
            return 0;
    }
    return xb_error_set(r->err, XB_ERR_PARSE,
                        "%s: malformed Wasm module: LEB128 %s overflows 33 bits at offset %zu",
                        r->what, ctx, off(r) - 1);
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp = 0;
        if (c < 0x80) {
            if (c == 0) /* legal in Wasm, but no interface or module name has one */
                return false;
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* name ::= len:u32 bytes (UTF-8). Points into the module; not NUL-terminated. */
static int rd_name(struct rd *r, const char *ctx, const uint8_t **s, size_t *n)
{
    uint32_t len = 0;
    if (rd_u32(r, ctx, &len) < 0)
        return -r->err->code;
    if ((size_t)(r->end - r->p) < len)
        return truncated(r, ctx);
    if (!utf8_valid(r->p, len))
        return malformed(r, "name is not valid UTF-8");
    *s = r->p;
    *n = len;
    r->p += len;
    return 0;
}

struct names {
    char **v;
    size_t n, cap;
};

static int names_add(struct rd *r, struct names *l, const uint8_t *s, size_t n, bool unique)
{
    if (unique)
        for (size_t i = 0; i < l->n; i++)
            if (strlen(l->v[i]) == n && memcmp(l->v[i], s, n) == 0)
                return 0;
    if (l->n >= MAX_NAMES)
        return xb_error_set(r->err, XB_ERR_INVALID, "%s: more than %d imports or exports", r->what,
                            MAX_NAMES);
    if (l->n + 1 >= l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **nv = realloc(l->v, cap * sizeof(*nv));
        if (nv == NULL)
            return xb_error_set(r->err, XB_ERR_INTERNAL, "out of memory");
        l->v = nv;
        l->cap = cap;
    }
    char *c = strndup((const char *)s, n);
    if (c == NULL)
        return xb_error_set(r->err, XB_ERR_INTERNAL, "out of memory");
    l->v[l->n++] = c;
    l->v[l->n] = NULL;
    return 0;
}

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* --- core modules --- */

/* reftype / valtype: one byte, or 0x63/0x64 (ref null? ht) followed by an s33 heap type. */
static int skip_reftype(struct rd *r, const char *ctx)
{
    uint8_t b = 0;
    if (rd_byte(r, ctx, &b) < 0)
        return -r->err->code;
    if (b == 0x63 || b == 0x64)
        return skip_s33(r, ctx);
    return 0;
}

/* limits: flags (bit 0 max, bit 1 shared, bit 2 64-bit, bit 3 custom page size), min, max?,
 * page size?. */
static int skip_limits(struct rd *r)
{
    uint8_t flags = 0;
    uint64_t v = 0;
    if (rd_byte(r, "limits", &flags) < 0)
        return -r->err->code;
    if (flags > 0x0f)
        return malformed(r, "unknown limits flags");
    unsigned bits = (flags & 0x04) ? 64 : 32;
    if (rd_uleb(r, bits, "limits minimum", &v) < 0)
        return -r->err->code;
    if ((flags & 0x01) && rd_uleb(r, bits, "limits maximum", &v) < 0)
        return -r->err->code;
    if ((flags & 0x08) && rd_uleb(r, 32, "page size", &v) < 0)
        return -r->err->code;
    return 0;
}

static int core_imports(struct rd *r, xb_wasm_info_t *info, struct names *mods)
{
    uint32_t count = 0;
    if (rd_u32(r, "import count", &count) < 0)
        return -r->err->code;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *mod, *field;
        size_t modlen, fieldlen;
        uint8_t kind = 0, b = 0;
        uint32_t idx = 0;
        if (rd_name(r, "import module name", &mod, &modlen) < 0 ||
            rd_name(r, "import field name", &field, &fieldlen) < 0 ||
            rd_byte(r, "import kind", &kind) < 0)
            return -r->err->code;
        switch (kind) {
        case 0x00: /* func: typeidx */
            if (rd_u32(r, "function type index", &idx) < 0)
                return -r->err->code;
            break;
        case 0x01: /* table: reftype limits */
            if (skip_reftype(r, "table element type") < 0 || skip_limits(r) < 0)
                return -r->err->code;
            break;
        case 0x02: /* memory: limits */
            if (skip_limits(r) < 0)
                return -r->err->code;
            break;
        case 0x03: /* global: valtype mut */
            if (skip_reftype(r, "global type") < 0 || rd_byte(r, "global mutability", &b) < 0)
                return -r->err->code;
            if (b > 1)
                return malformed(r, "bad global mutability");
            break;
        case 0x04: /* tag: attribute 0, typeidx */
            if (rd_byte(r, "tag attribute", &b) < 0 || rd_u32(r, "tag type index", &idx) < 0)
                return -r->err->code;
            break;
        default:
            return malformed(r, "unknown import kind");
        }
        if ((modlen == 22 && memcmp(mod, "wasi_snapshot_preview1", 22) == 0) ||
            (modlen == 13 && memcmp(mod, "wasi_unstable", 13) == 0))
            info->wasi = XB_WASI_P1;
        if (names_add(r, mods, mod, modlen, true) < 0)
            return -r->err->code;
    }
    if (r->p != r->end)
        return malformed(r, "import section has trailing bytes");
    return 0;
}

/* --- components --- */

/* importname' / exportname': 0x00 name (0x01 name in earlier encoders). */
static int comp_extern_name(struct rd *r, const uint8_t **s, size_t *n)
{
    uint8_t prefix = 0;
    if (rd_byte(r, "extern name", &prefix) < 0)
        return -r->err->code;
    if (prefix > 0x01)
        return xb_error_set(r->err, XB_ERR_UNSUPPORTED,
                            "%s: unsupported component extern name encoding 0x%02x at offset %zu",
                            r->what, prefix, off(r) - 1);
    return rd_name(r, "extern name", s, n);
}

static int comp_externdesc(struct rd *r)
{
    uint8_t tag = 0, b = 0;
    uint32_t idx = 0;
    if (rd_byte(r, "extern descriptor", &tag) < 0)
        return -r->err->code;
    switch (tag) {
    case 0x00: /* core module: 0x11 typeidx */
        if (rd_byte(r, "core module sort", &b) < 0)
            return -r->err->code;
        if (b != 0x11)
            return malformed(r, "bad core module extern descriptor");
        return rd_u32(r, "type index", &idx);
    case 0x01: /* func */
    case 0x04: /* instance */
    case 0x05: /* component */
        return rd_u32(r, "type index", &idx);
    case 0x03: /* type: eq typeidx | sub resource */
        if (rd_byte(r, "type bound", &b) < 0)
            return -r->err->code;
        if (b == 0x00)
            return rd_u32(r, "type index", &idx);
        if (b == 0x01)
            return 0;
        return malformed(r, "bad type bound");
    case 0x02:
        return xb_error_set(r->err, XB_ERR_UNSUPPORTED,
                            "%s: component value imports/exports are not supported (offset %zu)",
                            r->what, off(r) - 1);
    default:
        return malformed(r, "unknown extern descriptor");
    }
}

static int comp_imports(struct rd *r, struct names *l)
{
    uint32_t count = 0;
    if (rd_u32(r, "import count", &count) < 0)
        return -r->err->code;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *s;
        size_t n;
        if (comp_extern_name(r, &s, &n) < 0 || comp_externdesc(r) < 0 ||
            names_add(r, l, s, n, false) < 0)
            return -r->err->code;
    }
    if (r->p != r->end)
        return malformed(r, "import section has trailing bytes");
    return 0;
}

static int comp_exports(struct rd *r, struct names *l)
{
    uint32_t count = 0, idx = 0;
    if (rd_u32(r, "export count", &count) < 0)
        return -r->err->code;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *s;
        size_t n;
        uint8_t sort = 0, b = 0;
        if (comp_extern_name(r, &s, &n) < 0 || rd_byte(r, "export sort", &sort) < 0)
            return -r->err->code;
        if (sort > 0x05)
            return malformed(r, "unknown sort");
        if (sort == 0x00 && rd_byte(r, "core sort", &b) < 0)
            return -r->err->code;
        if (rd_u32(r, "export index", &idx) < 0 || rd_byte(r, "export type flag", &b) < 0)
            return -r->err->code;
        if (b > 1)
            return malformed(r, "bad export type flag");
        if (b == 1 && comp_externdesc(r) < 0)
            return -r->err->code;
        if (names_add(r, l, s, n, false) < 0)
            return -r->err->code;
    }
    if (r->p != r->end)
        return malformed(r, "export section has trailing bytes");
    return 0;
}

static bool is_wasi_p2_name(const char *s)
{
    return strncmp(s, "wasi:", 5) == 0;
}

/* --- preamble and sections --- */

/* The 8-byte preamble: magic, then a core module's version or a component's version and
 * layer (*kind). */
static int preamble(const uint8_t *data, size_t len, const char *what, int *kind, xb_error_t *err)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    if (len > XB_WASM_MAX_SIZE)
        return xb_error_set(err, XB_ERR_INVALID, "%s: Wasm module larger than %u bytes", what,
                            XB_WASM_MAX_SIZE);
    if (len < 4 || memcmp(data, magic, 4) != 0)
        return xb_error_set(err, XB_ERR_PARSE,
                            "%s: not a WebAssembly module (missing \\0asm magic)", what);
    if (len < 8)
        return xb_error_set(err, XB_ERR_PARSE,
                            "%s: truncated Wasm module: %zu bytes, no complete preamble", what,
                            len);
    const uint8_t *v = data + 4;
    if (v[0] == 1 && v[1] == 0 && v[2] == 0 && v[3] == 0) {
        *kind = XB_WASM_CORE;
        return 0;
    }
    if (v[2] == 1 && v[3] == 0) {
        if (!(v[0] == 0x0d && v[1] == 0))
            return xb_error_set(err, XB_ERR_UNSUPPORTED,
                                "%s: unsupported WebAssembly component version 0x%02x%02x "
                                "(xbuild reads version 0x000d, layer 1)",
                                what, v[1], v[0]);
        *kind = XB_WASM_COMPONENT;
        return 0;
    }
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "%s: unknown WebAssembly version/layer %02x %02x %02x %02x", what, v[0],
                        v[1], v[2], v[3]);
}

/* One section (sec: its bytes) of a core module or component: the import and export names. */
static int section(struct rd *sec, uint8_t id, uint32_t *seen, xb_wasm_info_t *res,
                   struct names *imports, struct names *exports)
{
    if (res->kind == XB_WASM_CORE) {
        if (id > 13)
            return malformed(sec, "unknown section id");
        if (id != 0 && (*seen & (1u << id)))
            return malformed(sec, "duplicate section");
        *seen |= 1u << id;
        if (id == 2)
            return core_imports(sec, res, imports);
        return 0;
    }
    if (id > 12)
        return malformed(sec, "unknown component section id");
    if (id == 10)
        return comp_imports(sec, imports);
    if (id == 11)
        return comp_exports(sec, exports);
    return 0;
}

int xb_wasm_inspect(const void *data, size_t len, const char *what, xb_wasm_info_t *info,
                    xb_error_t *err)
{
    xb_error_t local = XB_ERROR_INIT;
    if (err == NULL) /* the helpers below report through err */
        err = &local;
    struct rd r = {data, data, (const uint8_t *)data + len, what, err};
    struct names imports = {0}, exports = {0};
    xb_wasm_info_t res = XB_WASM_INFO_INIT;
    int kind = 0;

    memset(info, 0, sizeof(*info));
    if (preamble(data, len, what, &kind, err) < 0)
        goto fail;
    res.kind = kind;
    r.p = r.base + 8;

    uint32_t seen = 0; /* core sections other than custom ones appear at most once */
    while (r.p < r.end) {
        uint8_t id = 0;
        uint32_t size = 0;
        if (rd_byte(&r, "section id", &id) < 0 || rd_u32(&r, "section size", &size) < 0)
            goto fail;
        if ((size_t)(r.end - r.p) < size) {
            xb_error_set(err, XB_ERR_PARSE,
                         "%s: truncated Wasm module: section %u at offset %zu needs %u bytes, "
                         "%zu left",
                         what, id, off(&r), size, (size_t)(r.end - r.p));
            goto fail;
        }
        struct rd sec = {r.base, r.p, r.p + size, what, err};
        r.p += size;
        if (section(&sec, id, &seen, &res, &imports, &exports) < 0)
            goto fail;
    }
    if (res.kind == XB_WASM_COMPONENT) {
        for (size_t i = 0; i < imports.n; i++)
            if (is_wasi_p2_name(imports.v[i]))
                res.wasi = XB_WASI_P2;
        for (size_t i = 0; i < exports.n; i++)
            if (is_wasi_p2_name(exports.v[i]))
                res.wasi = XB_WASI_P2;
    }
    /* Empty lists are allocated too, so callers can always walk a NULL-terminated array. */
    if ((imports.v == NULL && (imports.v = calloc(1, sizeof(char *))) == NULL) ||
        (exports.v == NULL && (exports.v = calloc(1, sizeof(char *))) == NULL)) {
        xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        goto fail;
    }
    res.imports = imports.v;
    res.n_imports = imports.n;
    res.exports = exports.v;
    res.n_exports = exports.n;
    *info = res;
    return 0;
fail:
    names_free(&imports);
    names_free(&exports);
    int code = err->code;
    xb_error_clear(&local);
    return -code;
}

int xb_wasm_inspect_file(const char *path, xb_wasm_info_t *info, char **data, size_t *len,
                         xb_error_t *err)
{
    cleanup_free char *buf = NULL;
    size_t n = 0;
    memset(info, 0, sizeof(*info));
    if (xb_read_file(path, XB_WASM_MAX_SIZE, &buf, &n, err) < 0)
        return -err->code;
    if (xb_wasm_inspect(buf, n, path, info, err) < 0)
        return -err->code;
    if (data) {
        *data = steal_pointer(&buf);
        *len = n;
    }
    return 0;
}

void xb_wasm_info_free(xb_wasm_info_t *info)
{
    if (info == NULL)
        return;
    struct names l = {info->imports, info->n_imports, 0};
    names_free(&l);
    l = (struct names){info->exports, info->n_exports, 0};
    names_free(&l);
    memset(info, 0, sizeof(*info));
}

const char *xb_wasm_kind_name(int kind)
{
    return kind == XB_WASM_COMPONENT ? "component" : "module";
}

const char *xb_wasm_os(const xb_wasm_info_t *info)
{
    return info->kind == XB_WASM_COMPONENT ? "wasip2" : "wasip1";
}
