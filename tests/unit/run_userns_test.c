/* Rootless mode's id plan: /etc/subuid and /etc/subgid lines by name or number, both files or
 * neither, first match wins, malformed lines named with file and line. The kept namespace's
 * record: only this boot's live process with the recorded start time counts (not a zombie). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/userns.h"
#include "util/fs.h"
#include "util/sys.h"
#include "../lib/tap.h"

static char dir[] = "/tmp/xb-userns-XXXXXX";

static const char *put(const char *name, const char *text)
{
    static char paths[8][128];
    static int n;
    char *p = paths[n++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

/* Field 22 of /proc/PID/stat, read independently of the code under test. */
static unsigned long long start_of(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *q = strrchr(buf, ')');
    unsigned long long v = 0;
    if (q && sscanf(q + 2,
                    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                    "%*d %*d %llu",
                    &v) != 1)
        v = 0;
    return v;
}

static void records(void)
{
    char *boot = xb_sys_boot_id();
    ok(boot && strlen(boot) == 36, "the boot id: %s", boot ? boot : "(none)");
    char rec[256], line[256];
    int me = (int)getpid();
    snprintf(rec, sizeof rec, "%d %llu %s -1 -1 -1 -1\n", me, start_of(me), boot ? boot : "");
    ok(xb_userns_holder_pid(put("rec1", rec)) == me, "a record of this live process names it");
    snprintf(line, sizeof line, "%d %llu %s -1 -1 -1 -1\n", me, start_of(me) + 1, boot ? boot : "");
    ok(xb_userns_holder_pid(put("rec2", line)) == 0, "another start time: a reused pid, none");
    snprintf(line, sizeof line, "%d %llu 00000000-0000-0000-0000-000000000000 -1 -1 -1 -1\n", me,
             start_of(me));
    ok(xb_userns_holder_pid(put("rec3", line)) == 0, "another boot's record: none");
    ok(xb_userns_holder_pid(put("rec4", "garbage\n")) == 0, "a garbled record: none");
    snprintf(line, sizeof line, "%d %llu %s\n", me, start_of(me), boot ? boot : "");
    ok(xb_userns_holder_pid(put("rec7", line)) == 0, "a record without the ceilings: none");
    ok(xb_userns_holder_pid(put("rec5", "")) == 0, "an empty record: none");
    ok(xb_userns_holder_pid("/nonexistent/xbuild/userns") == 0, "no record: none");
    pid_t z = fork();
    if (z == 0)
        _exit(0);
    unsigned long long zs = start_of(z);
    usleep(200000); /* z exits; not reaped yet, it is a zombie */
    snprintf(line, sizeof line, "%d %llu %s -1 -1 -1 -1\n", (int)z, zs, boot ? boot : "");
    ok(zs != 0 && xb_userns_holder_pid(put("rec6", line)) == 0, "a zombie's record: none");
    waitpid(z, NULL, 0);
    char buf[8];
    errno = 0;
    ok(xb_read_small(put("empty", ""), buf, sizeof buf, 0) == -1 && errno == ENODATA,
       "xb_read_small: an empty file is ENODATA");
    ok(xb_read_small(put("long", "0123456789"), buf, sizeof buf, 0) == 7 &&
           strcmp(buf, "0123456") == 0,
       "xb_read_small: at most size - 1 bytes, NUL-terminated");
    free(boot);
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    xb_error_t err = XB_ERROR_INIT;
    xb_userns_plan_t p;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none", dir);

    ok(xb_userns_plan(4242, 4343, missing, missing, &p, &err) == 0, "no files: a plan");
    is_int(p.nuids, 1, "... with one id");
    ok(p.uids[0].inside == 0 && p.uids[0].outside == 4242 && p.uids[0].count == 1,
       "... 0 -> the caller's uid");
    ok(p.gids[0].inside == 0 && p.gids[0].outside == 4343 && p.gids[0].count == 1,
       "... 0 -> the caller's gid");

    const char *su = put("subuid", "# comment\nother:100000:65536\n4242:200000:65536\n"
                                   "4242:300000:10\n");
    const char *sg = put("subgid", "4242:500000:1000\n");
    ok(xb_userns_plan(4242, 4343, su, sg, &p, &err) == 0, "ranges by number");
    is_int(p.nuids, 2, "... two uid lines");
    ok(p.uids[1].inside == 1 && p.uids[1].outside == 200000 && p.uids[1].count == 65536,
       "... 1.. -> the first matching range");
    ok(p.gids[1].inside == 1 && p.gids[1].outside == 500000 && p.gids[1].count == 1000,
       "... and the gid range");

    ok(xb_userns_plan(0, 0, put("subuid2", "root:700000:5\n"), put("subgid2", "0:800000:6\n"), &p,
                      &err) == 0 &&
           p.nuids == 2 && p.uids[1].outside == 700000 && p.gids[1].outside == 800000,
       "by name (root) in one file, by number in the other");

    ok(xb_userns_plan(4242, 4343, su, missing, &p, &err) == 0 && p.nuids == 1 && p.ngids == 1,
       "a uid range without a gid range: one id (both or neither)");

    const char *bad = put("subuid3", "x:1:1\n4242:12ab:5\n");
    ok(xb_userns_plan(4242, 4343, bad, sg, &p, &err) < 0, "a malformed line is an error");
    ok(err.msg && strstr(err.msg, "subuid3:2: malformed range"), "... naming file and line: %s",
       err.msg ? err.msg : "");
    xb_error_clear(&err);
    ok(xb_userns_plan(4242, 4343, put("subuid4", "4242:100:0\n"), sg, &p, &err) < 0,
       "a zero count is malformed");
    xb_error_clear(&err);

    records();

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}
