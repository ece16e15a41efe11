/* The sandbox policy: capability sets (defaults, host network, --cap-add/--cap-drop,
 * --privileged) and the --device / -v parsers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/policy.h"
#include "../lib/tap.h"

static void test_caps(void)
{
    xb_error_t err = XB_ERROR_INIT;
    is_int((long long)xb_sandbox_policy_caps(NULL, false), 0xa00425fbLL,
           "default: Docker's set minus MKNOD");
    is_int((long long)xb_sandbox_policy_caps(NULL, true), 0xa00405fbLL,
           "host network: NET_RAW dropped too");
    uint64_t m = 0;
    ok(xb_sandbox_cap_parse("CAP_NET_RAW", &m, &err) == 0 && m == (1ULL << 13), "CAP_NET_RAW");
    ok(xb_sandbox_cap_parse("net_admin", &m, &err) == 0 && m == (1ULL << 12), "net_admin");
    ok(xb_sandbox_cap_parse("nosuch", &m, &err) < 0 && strstr(err.msg, "unknown capability"),
       "unknown capability refused");
    xb_error_clear(&err);
    xb_sandbox_policy_t p;
    memset(&p, 0, sizeof p);
    p.cap_add = 1ULL << 13;
    is_int((long long)xb_sandbox_policy_caps(&p, true), 0xa00425fbLL,
           "--cap-add NET_RAW keeps it on the host network");
    p.cap_drop = 1ULL << 0;
    is_int((long long)xb_sandbox_policy_caps(&p, true), 0xa00425faLL, "--cap-drop CHOWN");
    ok(xb_sandbox_cap_parse("ALL", &m, &err) == 0, "ALL parses");
    p.cap_add = 0;
    p.cap_drop = m;
    is_int((long long)xb_sandbox_policy_caps(&p, false), 0, "--cap-drop ALL");
    memset(&p, 0, sizeof p);
    p.privileged = true;
    is_int((long long)xb_sandbox_policy_caps(&p, true), (long long)((1ULL << 41) - 1),
           "--privileged: every capability");
}

static void test_devices(void)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_device_t d;
    ok(xb_device_parse("/dev/null", &d, &err) == 0, "--device /dev/null");
    is_str(d.host, "/dev/null", "host path");
    is_str(d.target, "dev/null", "same path inside by default");
    xb_device_clear(&d);
    ok(xb_device_parse("/dev/null:/dev/mine:rwm", &d, &err) == 0, "HOST:CTR:PERMS");
    is_str(d.target, "dev/mine", "renamed");
    xb_device_clear(&d);
    ok(xb_device_parse("/dev/null:rw", &d, &err) == 0, "HOST:PERMS");
    is_str(d.target, "dev/null", "PERMS is not taken for a path");
    xb_device_clear(&d);
    ok(xb_device_parse("/dev/null:/dev/x:r", &d, &err) < 0 &&
           strstr(err.msg, "device cgroup") != NULL,
       "read-only device refused with the reason");
    xb_error_clear(&err);
    ok(xb_device_parse("/dev/null:/dev/x:rq", &d, &err) < 0, "bad permission letters");
    xb_error_clear(&err);
    ok(xb_device_parse("/etc/passwd", &d, &err) < 0 && strstr(err.msg, "not a device node"),
       "a regular file is refused");
    xb_error_clear(&err);
    ok(xb_device_parse("dev/null", &d, &err) < 0, "relative host path refused");
    xb_error_clear(&err);
    ok(xb_device_parse("/dev/null:/../../dev/z", &d, &err) == 0, "CTR with .. parses");
    is_str(d.target, "dev/z", "... clamped at the root");
    xb_device_clear(&d);
}

static void test_volumes(void)
{
    xb_error_t err = XB_ERROR_INIT;
    xb_volume_t v;
    ok(xb_volume_parse("/tmp:/data", &v, &err) == 0 && !v.readonly, "-v HOST:CTR");
    is_str(v.target, "data", "target cleaned");
    xb_volume_clear(&v);
    ok(xb_volume_parse("/tmp:/data:ro", &v, &err) == 0 && v.readonly, ":ro");
    xb_volume_clear(&v);
    ok(xb_volume_parse("/tmp:/data:xx", &v, &err) < 0, "unknown option refused");
    xb_error_clear(&err);
    ok(xb_volume_parse("/tmp:/", &v, &err) < 0, "the root cannot be replaced");
    xb_error_clear(&err);
    ok(xb_volume_parse("/nonexistent-xb:/x", &v, &err) < 0, "missing host path refused");
    xb_error_clear(&err);
    ok(xb_volume_parse("/tmp", &v, &err) < 0, "no container path refused");
    xb_error_clear(&err);
}

int main(void)
{
    test_caps();
    test_devices();
    test_volumes();
    return tap_done();
}
