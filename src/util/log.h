/* Library diagnostics go through a handler the CLI installs; the library never prints. */
#ifndef XB_UTIL_LOG_H
#define XB_UTIL_LOG_H

enum xb_log_level { XB_LOG_ERROR = 0, XB_LOG_WARN, XB_LOG_INFO, XB_LOG_DEBUG };

typedef void (*xb_log_fn)(int level, const char *msg, void *userdata);

/* Install a handler (NULL drops all messages) and the most verbose level passed to it. */
void xb_log_set_handler(xb_log_fn fn, void *userdata, int max_level);
int xb_log_level(void);
void xb_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define xb_warn(...)  xb_log(XB_LOG_WARN, __VA_ARGS__)
#define xb_info(...)  xb_log(XB_LOG_INFO, __VA_ARGS__)
#define xb_debug(...) xb_log(XB_LOG_DEBUG, __VA_ARGS__)

#endif
