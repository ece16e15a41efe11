#include "builder/chmod.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Applies spec to mode; returns -1 when spec is malformed. */
static int apply(const char *spec, mode_t mode, mode_t *out)
{
    mode_t m = mode & 07777;
    bool isdir = S_ISDIR(mode);
    const char *p = spec;
    if (*p == '\0')
        return -1;
    while (*p) {
        mode_t who = 0;
        for (; *p == 'u' || *p == 'g' || *p == 'o' || *p == 'a'; p++)
            who |= *p == 'u' ? 04700 : *p == 'g' ? 02070 : *p == 'o' ? 01007 : 07777;
        if (who == 0)
            who = 07777; /* no umask applied: "+x" means "a+x" */
        if (*p != '+' && *p != '-' && *p != '=')
            return -1;
        while (*p == '+' || *p == '-' || *p == '=') {
            char op = *p++;
            mode_t bits = 0;
            if (*p == 'u' || *p == 'g' || *p == 'o') {
                mode_t src = *p == 'u' ? (m >> 6) & 7 : *p == 'g' ? (m >> 3) & 7 : m & 7;
                bits = (src << 6) | (src << 3) | src;
                p++;
            } else {
                for (; *p && strchr("rwxXst", *p); p++) {
                    switch (*p) {
                    case 'r':
                        bits |= 0444;
                        break;
                    case 'w':
                        bits |= 0222;
                        break;
                    case 'x':
                        bits |= 0111;
                        break;
                    case 'X':
                        if (isdir || (m & 0111))
                            bits |= 0111;
                        break;
                    case 's':
                        bits |= 06000;
                        break;
                    case 't':
                        bits |= 01000;
                        break;
                    }
                }
            }
            bits &= who;
            if (op == '+')
                m |= bits;
            else if (op == '-')
                m &= ~bits;
            else
                m = (m & ~who) | bits;
        }
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return -1;
    }
    *out = (mode & S_IFMT) | m;
    return 0;
}

int xb_chmod_parse(const char *spec, bool *octal, mode_t *perm, xb_error_t *err)
{
    if (spec[0] >= '0' && spec[0] <= '7') {
        char *end;
        long v = strtol(spec, &end, 8);
        if (*end != '\0' || v < 0 || v > 07777)
            return xb_error_set(
                err, XB_ERR_INVALID,
                "invalid chmod parameter: '%s'. it should be octal string and between 0 "
                "and 07777",
                spec);
        *octal = true;
        *perm = (mode_t)v;
        return 0;
    }
    mode_t out;
    if (apply(spec, S_IFREG | 0644, &out) < 0)
        return xb_error_set(err, XB_ERR_INVALID,
                            "--chmod=%s: expected an octal mode (755) or symbolic clauses "
                            "(u=rwX,go=rX)",
                            spec);
    *octal = false;
    *perm = 0;
    return 0;
}

mode_t xb_chmod_apply(const char *spec, mode_t mode)
{
    mode_t out;
    return apply(spec, mode, &out) < 0 ? mode : out;
}
