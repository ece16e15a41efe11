/* --cache-from / --cache-to / --cache-ttl parsing (src/builder/cacheopts.c). */
#include <stdlib.h>
#include <string.h>

#include "builder/cacheopts.h"
#include "layer/writer.h"
#include "tests/lib/tap.h"

static int parse(const char *s, bool to, xb_rcache_spec_t *sp)
{
    xb_error_t e = XB_ERROR_INIT;
    int r = xb_rcache_spec_parse(s, to, sp, &e);
    if (r < 0 && e.code != XB_ERR_USAGE)
        r = -1000; /* every refusal is a usage error */
    xb_error_clear(&e);
    return r;
}

int main(void)
{
    xb_rcache_spec_t sp;
    ok(parse("reg.example:5000/team/cache", false, &sp) == 0, "buildah's bare repository");
    is_int(sp.type, XB_RCACHE_REGISTRY, "... is a registry cache");
    is_str(sp.ref, "reg.example:5000/team/cache", "... the repository");
    is_str(sp.prefix, "xbc", "... with the default tag prefix");
    ok(!sp.mode_max && !sp.required, "... mode=min, not required");
    xb_rcache_spec_free(&sp);

    ok(parse("type=registry,ref=reg/app:buildcache,mode=max,compression=zstd,ignore-error=false",
             true, &sp) == 0,
       "buildx's registry spelling");
    is_str(sp.ref, "reg/app", "... the repository without the tag");
    is_str(sp.prefix, "buildcache", "... the tag is the entries' prefix");
    ok(sp.mode_max, "... mode=max");
    is_int(sp.compression, XB_COMPRESSION_ZSTD, "... compression=zstd");
    is_int(sp.ignore_error, 0, "... ignore-error=false");
    xb_rcache_spec_free(&sp);

    ok(parse("type=registry,ref=reg/app,required=true", false, &sp) == 0 && sp.required,
       "required=true on a source");
    xb_rcache_spec_free(&sp);
    ok(parse("type=local,src=/ci/cache", false, &sp) == 0 && sp.type == XB_RCACHE_LOCAL &&
           strcmp(sp.ref, "/ci/cache") == 0,
       "type=local,src=DIR");
    xb_rcache_spec_free(&sp);
    ok(parse("type=local,dest=/ci/cache,mode=max", true, &sp) == 0 && sp.mode_max,
       "type=local,dest=DIR,mode=max");
    xb_rcache_spec_free(&sp);
    ok(parse("localhost:5000", false, &sp) == 0 && strcmp(sp.ref, "localhost:5000") == 0 &&
           strcmp(sp.prefix, "xbc") == 0,
       "host:port alone is not a tag");
    xb_rcache_spec_free(&sp);

    int r = parse("type=local,src=/d", true, &sp);
    ok(r < 0 && r != -1000, "src= is for --cache-from (a usage error)");
    ok(parse("type=local,dest=/d", false, &sp) < 0, "dest= is for --cache-to");
    ok(parse("type=gha", true, &sp) < 0, "an unsupported type is refused");
    ok(parse("type=registry,ref=r/x,mode=all", true, &sp) < 0, "a bad mode is refused");
    ok(parse("type=registry,ref=r/x,mode=max", false, &sp) < 0, "mode is a --cache-to option");
    ok(parse("type=registry,ref=r/x,compression=none", true, &sp) < 0, "compression=none");
    ok(parse("type=registry,ref=r/x,bogus=1", true, &sp) < 0, "an unknown key is refused");
    ok(parse("type=registry,ref=r/x,oci-mediatypes=false", true, &sp) < 0,
       "oci-mediatypes=false is refused");
    ok(parse("type=registry,ref=r/x,oci-mediatypes=true", true, &sp) == 0,
       "oci-mediatypes=true is accepted");
    xb_rcache_spec_free(&sp);
    ok(parse("r/x@sha256:0000000000000000000000000000000000000000000000000000000000000000", false,
             &sp) < 0,
       "a digest reference is refused");
    char longtag[200];
    memset(longtag, 'a', sizeof(longtag));
    memcpy(longtag, "r/x:", 4);
    longtag[4 + 64] = '\0'; /* a 64-character tag prefix */
    ok(parse(longtag, false, &sp) < 0, "a prefix over 63 characters is refused");
    longtag[4 + 63] = '\0';
    ok(parse(longtag, false, &sp) == 0, "63 characters are fine");
    char tag[129];
    xb_rcache_tag(sp.prefix, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  tag);
    is_int(strlen(tag), 128, "... giving a tag of 128 characters, the distribution limit");
    xb_rcache_spec_free(&sp);

    int64_t t = 0;
    xb_error_t e = XB_ERROR_INIT;
    ok(xb_rcache_ttl_parse("168h", &t, &e) == 0 && t == 168 * 3600, "--cache-ttl 168h");
    ok(xb_rcache_ttl_parse("1h30m", &t, &e) == 0 && t == 5400, "--cache-ttl 1h30m");
    ok(xb_rcache_ttl_parse("90", &t, &e) == 0 && t == 90, "--cache-ttl 90 (seconds)");
    ok(xb_rcache_ttl_parse("soon", &t, &e) < 0 && e.code == XB_ERR_USAGE, "--cache-ttl soon");
    xb_error_clear(&e);
    ok(xb_rcache_ttl_parse("5d", &t, &e) < 0, "days are not a Go duration unit");
    xb_error_clear(&e);
    return tap_done();
}
