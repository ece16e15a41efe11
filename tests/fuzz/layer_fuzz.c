/* Fuzz target for untrusted layer tars (layer/apply.c, both modes) and --mount specs: the
 * input is applied into a fresh directory inside a jail dir; afterwards the jail must hold only
 * that directory and a sentinel file (nothing written, linked or deleted outside), else abort.
 * The same bytes are also parsed as a --mount spec. Needs root for device nodes; without root
 * those entries are skipped by apply. */
#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer/apply.h"
#include "layer/inroot.h"
#include "replay.h"
#include "run/mounts.h"
#include "util/fs.h"

static void check_jail(const char *jail)
{
    DIR *d = opendir(jail);
    if (d == NULL)
        abort();
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strcmp(de->d_name, "root") != 0 && strcmp(de->d_name, "sentinel") != 0)
            abort(); /* something escaped the root */
        n++;
    }
    closedir(d);
    struct stat st;
    char p[512];
    snprintf(p, sizeof p, "%s/sentinel", jail);
    if (n != 2 || lstat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_size != 4)
        abort();
}

static void apply(const uint8_t *data, size_t size, enum xb_apply_mode mode)
{
    char jail[] = "/tmp/xb-layer-fuzz-XXXXXX";
    if (mkdtemp(jail) == NULL)
        return;
    char root[64], sentinel[64];
    snprintf(root, sizeof root, "%s/root", jail);
    snprintf(sentinel, sizeof sentinel, "%s/sentinel", jail);
    mkdir(root, 0755);
    int fd = open(sentinel, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, "host", 4) != 4)
            abort();
        close(fd);
    }
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    xb_error_t err = XB_ERROR_INIT;
    int rfd = xb_inroot_open_root(root, &err);
    if (rfd >= 0 && archive_read_open_memory(a, data, size) == ARCHIVE_OK)
        (void)xb_layer_apply_archive(rfd, a, mode, 0, NULL, &err);
    if (rfd >= 0)
        close(rfd);
    archive_read_free(a);
    xb_error_clear(&err);
    check_jail(jail);
    xb_rm_rf(jail, &err);
    xb_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apply(data, size, XB_APPLY_MERGED);
    apply(data, size, XB_APPLY_OVERLAY);
    char spec[512];
    size_t n = size < sizeof spec - 1 ? size : sizeof spec - 1;
    memcpy(spec, data, n);
    spec[n] = '\0';
    xb_run_mount_t m;
    xb_error_t err = XB_ERROR_INIT;
    if (xb_run_mount_parse(spec, &m, &err) == 0) {
        if (m.target == NULL || m.target[0] == '\0' || m.target[0] == '/')
            abort();                         /* targets are cleaned and relative */
        for (const char *c = m.target; c;) { /* no "", "." or ".." component */
            size_t l = strcspn(c, "/");
            if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
                abort();
            c = c[l] ? c + l + 1 : NULL;
        }
        xb_run_mount_clear(&m);
    }
    xb_error_clear(&err);
    return 0;
}
