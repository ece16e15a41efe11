/* compress-bench: throughput of xbuild's layer compressors against pigz on the same data.
 *   bench/compress-bench [-s MiB] [-l level] [FILE]
 * FILE (e.g. a layer tar) is read up to -s MiB (default 64); without FILE the input is a tar of
 * /usr (what real layers contain), generated with tar(1). Prints MB/s (input bytes per second)
 * (wall), MB per CPU-second (meaningful on a busy machine) and the compressed size for: our gzip
 * with 1 and N threads, `pigz -p N` when installed, and zstd with N threads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layer/compress.h"
#include "layer/pgzip.h"
#include "util/sys.h"

static int count_sink(void *ud, const void *data, size_t len, xb_error_t *err)
{
    (void)data;
    (void)err;
    *(size_t *)ud += len;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of this process or of its waited-for children */
static double cpu(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* MB/s of wall time, and MB per CPU-second (robust on a busy machine) */
static void report(const char *name, size_t in, size_t out, double secs, double cpus)
{
    printf("%-30s %7.1f MB/s wall %7.1f MB/cpu-s %6.2f%% (%zu -> %zu bytes, %.2fs, cpu %.2fs)\n",
           name, (double)in / 1e6 / secs, (double)in / 1e6 / cpus, 100.0 * (double)out / (double)in,
           in, out, secs, cpus);
}

static int run_ours(const char *name, xb_compression_t comp, xb_pgzip_engine_t engine, int level,
                    int threads, const unsigned char *data, size_t len)
{
    size_t out = 0;
    xb_compressor_t *z = NULL;
    xb_error_t err = XB_ERROR_INIT;
    double t0 = now(), c0 = cpu(RUSAGE_SELF);
    int r = xb_compressor_new(comp, level, threads, engine, count_sink, &out, &z, &err);
    for (size_t off = 0; r >= 0 && off < len; off += 65536)
        r = xb_compressor_write(z, data + off, len - off < 65536 ? len - off : 65536, &err);
    if (r >= 0)
        r = xb_compressor_finish(z, &err);
    double t = now() - t0, c = cpu(RUSAGE_SELF) - c0;
    xb_compressor_free(z);
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        xb_error_clear(&err);
        return 1;
    }
    report(name, len, out, t, c);
    return 0;
}

static int run_pigz(int level, int threads, const unsigned char *data, size_t len)
{
    char cmd[128];
    if (system("command -v pigz >/dev/null 2>&1") != 0) {
        printf("%-30s (pigz not installed)\n", "pigz");
        return 0;
    }
    /* write the data to a temp file first so only compression is timed */
    char tmp[] = "/tmp/compress-bench-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
        perror("temp file");
        return 1;
    }
    close(fd);
    snprintf(cmd, sizeof(cmd), "pigz -%d -p %d -c < %s | wc -c", level, threads, tmp);
    double t0 = now(), c0 = cpu(RUSAGE_CHILDREN);
    FILE *p = popen(cmd, "r");
    size_t out = 0;
    if (p == NULL || fscanf(p, "%zu", &out) != 1)
        out = 0;
    if (p)
        pclose(p);
    double t = now() - t0, c = cpu(RUSAGE_CHILDREN) - c0; /* includes sh and wc */
    unlink(tmp);
    char name[32];
    snprintf(name, sizeof(name), "pigz -p%d", threads);
    report(name, len, out, t, c);
    return out == 0;
}

int main(int argc, char **argv)
{
    size_t max = 64u << 20;
    int level = 6, opt;
    while ((opt = getopt(argc, argv, "s:l:h")) != -1) {
        if (opt == 's')
            max = (size_t)strtoul(optarg, NULL, 10) << 20;
        else if (opt == 'l')
            level = atoi(optarg);
        else {
            printf("usage: %s [-s MiB] [-l level] [FILE]\n", argv[0]);
            return opt == 'h' ? 0 : 2;
        }
    }
    FILE *f =
        optind < argc ? fopen(argv[optind], "rb") : popen("tar -C / -cf - usr 2>/dev/null", "r");
    if (f == NULL) {
        perror("input");
        return 1;
    }
    unsigned char *data = malloc(max);
    size_t len = 0, n;
    while (data && len < max && (n = fread(data + len, 1, max - len, f)) > 0)
        len += n;
    if (optind < argc)
        fclose(f);
    else
        pclose(f);
    if (len == 0) {
        fprintf(stderr, "no input data\n");
        return 1;
    }
    int cpus = xb_cpu_count(), rc = 0;
    printf("input: %zu bytes (%s), level %d, %d cpus, pgzip block %u KiB\n", len,
           optind < argc ? argv[optind] : "tar of /usr", level, cpus, XB_PGZIP_BLOCK / 1024);
    char name[48];
    /* the default gzip engine (libdeflate), then zlib's (XBUILD_GZIP_ENGINE=zlib) */
    static const char *const engines[] = {"libdeflate", "zlib"};
    static const xb_pgzip_engine_t engine_ids[] = {XB_PGZIP_LIBDEFLATE, XB_PGZIP_ZLIB};
    for (size_t e = 0; e < 2; e++) {
        snprintf(name, sizeof(name), "xbuild gzip/%s 1 thread", engines[e]);
        rc |= run_ours(name, XB_COMPRESSION_GZIP, engine_ids[e], level, 1, data, len);
        snprintf(name, sizeof(name), "xbuild gzip/%s %d thr", engines[e], cpus);
        rc |= run_ours(name, XB_COMPRESSION_GZIP, engine_ids[e], level, cpus, data, len);
    }
    rc |= run_pigz(level, cpus, data, len);
    snprintf(name, sizeof(name), "xbuild zstd %d threads", cpus);
    rc |= run_ours(name, XB_COMPRESSION_ZSTD, XB_PGZIP_LIBDEFLATE, -1, cpus, data, len);
    free(data);
    return rc;
}
