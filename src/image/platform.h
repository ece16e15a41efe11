/* Platforms ("linux/arm64", "linux/arm/v7", "wasip1/wasm"): parsing, normalisation (as
 * containerd's platforms.Normalize), host detection, matching, JSON.
 *
 * Normalisation: os lowercased, "" -> "linux" (an architecture alone like "arm64" means
 * linux/arm64); arch aliases x86_64/x86-64 -> amd64, aarch64 -> arm64, armhf -> arm/v7,
 * armel -> arm/v6, i386/i486/i586/i686 -> 386, ppc64el -> ppc64le; arm64 variant "v8" is dropped
 * (arm64/v8 == arm64), arm without variant -> arm/v7, variants "7"/"8" -> "v7"/"v8",
 * amd64/v1 -> amd64.
 * WebAssembly: "wasi/wasm", "wasip1/wasm", "wasip2/wasm" are accepted; the os is kept as typed
 * (Docker/containerd runwasi use "wasi", the CNCF Wasm artifact config uses "wasip1"/"wasip2"),
 * and matching treats "wasi" and "wasip1" as the same os. */
#ifndef XB_IMAGE_PLATFORM_H
#define XB_IMAGE_PLATFORM_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

typedef struct xb_platform {
    char *os;      /* owned, never NULL after parse/host/from_json */
    char *arch;    /* owned, never NULL */
    char *variant; /* owned, NULL when none */
} xb_platform_t;

#define XB_PLATFORM_INIT                                                                           \
    {                                                                                              \
        NULL, NULL, NULL                                                                           \
    }

/* Parses and normalises "os/arch[/variant]" or "arch" into *p (which must be empty or freed;
 * it is overwritten). Caller frees with xb_platform_free(). */
int xb_platform_parse(const char *s, xb_platform_t *p, xb_error_t *err);
/* Normalises p in place (see above). */
int xb_platform_normalize(xb_platform_t *p, xb_error_t *err);
/* The platform the process runs on (uname machine; arm variant from the kernel/auxv). */
int xb_platform_host(xb_platform_t *p, xb_error_t *err);
/* Frees the strings and resets to XB_PLATFORM_INIT. */
void xb_platform_free(xb_platform_t *p);
int xb_platform_copy(xb_platform_t *dst, const xb_platform_t *src, xb_error_t *err);

/* "os/arch[/variant]"; caller frees. */
char *xb_platform_format(const xb_platform_t *p);
/* "os/arch[/variant]" of a platform object (a descriptor "platform" or an image config),
 * normalised; NULL when obj is not one (no os or architecture). Caller frees. */
char *xb_platform_json_format(const json_t *obj);
/* Directory-friendly form "os-arch[-variant]" (e.g. for per-platform work dirs); caller frees. */
char *xb_platform_format_dashed(const xb_platform_t *p);

/* True when an image for `have` satisfies a request for `want` (both normalised copies are
 * compared): os and arch equal, variant equal with defaults (arm64: "" == "v8", arm: "" == "v7",
 * amd64: "" == "v1"). A want without variant on arm/arm64 accepts lower variants that a CPU of
 * the default variant runs (arm/v7 wants accept v6, v5 too, but an exact match is preferred by
 * xb_platform_score). */
bool xb_platform_compatible(const xb_platform_t *want, const xb_platform_t *have);
/* Ranking for selection from an index: < 0 no match, higher is better (exact variant > default
 * variant > compatible lower variant). */
int xb_platform_score(const xb_platform_t *want, const xb_platform_t *have);
/* Exact equality after normalisation. */
bool xb_platform_equal(const xb_platform_t *a, const xb_platform_t *b);

/* {"architecture":..,"os":..[,"variant":..]} (OCI descriptor platform / config fields).
 * Caller json_decref()s. */
json_t *xb_platform_to_json(const xb_platform_t *p);
/* Reads architecture/os/variant from an object (a descriptor "platform" or an image config)
 * and normalises. Missing os or architecture is an error. */
int xb_platform_from_json(const json_t *obj, xb_platform_t *p, xb_error_t *err);

/* Comma-separated list ("linux/amd64, linux/arm64"); whitespace around items ignored,
 * duplicates (after normalisation) removed keeping the first. *out: array of *n platforms,
 * caller frees with xb_platform_list_free(). An empty list is an error. */
int xb_platform_parse_list(const char *s, xb_platform_t **out, size_t *n, xb_error_t *err);
void xb_platform_list_free(xb_platform_t *list, size_t n);

#define cleanup_platform __attribute__((cleanup(xb_platform_free)))

#endif
