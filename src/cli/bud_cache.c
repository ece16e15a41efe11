/* bud --cache-from / --cache-to / --cache-ttl. */
#include "cli/bud_cache.h"

int xb_bud_cache_flag(xb_rcache_opts_t *o, int opt, const char *arg, xb_error_t *err)
{
    int r;
    if (opt == XB_BUD_CACHE_TTL)
        r = xb_rcache_ttl_parse(arg, &o->ttl_seconds, err);
    else
        r = xb_rcache_opts_add(o, arg, opt == XB_BUD_CACHE_TO, err);
    if (r < 0) {
        err->code = XB_ERR_USAGE;
        return xb_error_wrap(err, "bud");
    }
    return 0;
}
