/* The variadic libcurl functions, forwarded with the argument type libcurl itself reads: the
 * option number's range says long, object pointer, function pointer, curl_off_t or blob. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "lazy/lazy.h"

typedef void (*fnptr_t)(void);

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    static void *fp;
    va_list ap;
    va_start(ap, opt);
    CURLcode r;
    if (opt < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        r = ((CURLcode(*)(CURL *, CURLoption, long))xb_lazy_sym(XB_LAZY_CURL, "curl_easy_setopt",
                                                                &fp))(h, opt, v);
    } else if (opt < CURLOPTTYPE_FUNCTIONPOINT || opt >= CURLOPTTYPE_BLOB) {
        void *v = va_arg(ap, void *);
        r = ((CURLcode(*)(CURL *, CURLoption, void *))xb_lazy_sym(XB_LAZY_CURL, "curl_easy_setopt",
                                                                  &fp))(h, opt, v);
    } else if (opt < CURLOPTTYPE_OFF_T) {
        fnptr_t v = va_arg(ap, fnptr_t);
        r = ((CURLcode(*)(CURL *, CURLoption, fnptr_t))xb_lazy_sym(XB_LAZY_CURL, "curl_easy_setopt",
                                                                   &fp))(h, opt, v);
    } else {
        curl_off_t v = va_arg(ap, curl_off_t);
        r = ((CURLcode(*)(CURL *, CURLoption, curl_off_t))xb_lazy_sym(
            XB_LAZY_CURL, "curl_easy_setopt", &fp))(h, opt, v);
    }
    va_end(ap);
    return r;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    static void *fp;
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *); /* every CURLINFO writes through a pointer */
    va_end(ap);
    return ((CURLcode(*)(CURL *, CURLINFO, void *))xb_lazy_sym(XB_LAZY_CURL, "curl_easy_getinfo",
                                                               &fp))(h, info, out);
}

CURLSHcode curl_share_setopt(CURLSH *sh, CURLSHoption opt, ...)
{
    static void *fp;
    va_list ap;
    va_start(ap, opt);
    CURLSHcode r;
    if (opt == CURLSHOPT_SHARE || opt == CURLSHOPT_UNSHARE) {
        int v = va_arg(ap, int); /* a curl_lock_data: an enum, passed as int (libcurl reads int) */
        r = ((CURLSHcode(*)(CURLSH *, CURLSHoption, int))xb_lazy_sym(
            XB_LAZY_CURL, "curl_share_setopt", &fp))(sh, opt, v);
    } else if (opt == CURLSHOPT_LOCKFUNC || opt == CURLSHOPT_UNLOCKFUNC) {
        fnptr_t v = va_arg(ap, fnptr_t);
        r = ((CURLSHcode(*)(CURLSH *, CURLSHoption, fnptr_t))xb_lazy_sym(
            XB_LAZY_CURL, "curl_share_setopt", &fp))(sh, opt, v);
    } else {
        void *v = va_arg(ap, void *);
        r = ((CURLSHcode(*)(CURLSH *, CURLSHoption, void *))xb_lazy_sym(
            XB_LAZY_CURL, "curl_share_setopt", &fp))(sh, opt, v);
    }
    va_end(ap);
    return r;
}
