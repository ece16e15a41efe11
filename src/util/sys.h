/* Facts about the machine and the process that the caller passes down explicitly. */
#ifndef XB_UTIL_SYS_H
#define XB_UTIL_SYS_H

/* Number of online CPUs (1..256). */
int xb_cpu_count(void);

/* The value of name in env (an environ-style "K=V" array, NULL-terminated; NULL: empty), or
 * NULL when absent. Borrowed from env. The library reads variables only from arrays its caller
 * hands it (main passes the process environment, see docs/environment.md), never getenv(). */
const char *xb_env_lookup(const char *const *env, const char *name);

#endif
