/* The flag table of xbuild bud (cli/bud_flags.h). */
#include <stdlib.h>
#include <string.h>

#include "cli/bud_flags.h"
#include "cli/cli.h"

#define NA   no_argument
#define RA   required_argument
#define OA   optional_argument
#define BH   XB_FROM_BUILDAH
#define BX   XB_FROM_BUILDX
#define BOTH (XB_FROM_BUILDAH | XB_FROM_BUILDX)
#define SUP  XB_FLAG_SUPPORTED
#define IGN  XB_FLAG_IGNORED
#define REF  XB_FLAG_REFUSED

/* clang-format off */
const struct xb_bud_flag xb_bud_flags[] = {
    /* supported */
    {"add-host", 0, RA, BOTH, SUP, O_ADD_HOST, NULL, false, "HOST:IP",
     "an /etc/hosts line in every RUN step (HOST=IP and [IPv6] too)"},
    {"all-platforms", 0, OA, BH, SUP, O_ALL_PLATFORMS, NULL, false, NULL,
     "every platform of the base image's index"},
    {"annotation", 0, RA, BOTH, SUP, O_ANNOTATION, NULL, false, "[TYPE:]K=V",
     "OCI annotation; TYPE manifest (default), index, manifest-descriptor, index-descriptor, "
     "with an optional [os/arch] for the manifest ones"},
    {"arch", 0, RA, BH, SUP, O_ARCH, NULL, false, "ARCH", "target architecture"},
    {"attest", 0, RA, BX, SUP, O_ATTEST, NULL, false, "type=...",
     "refused (attestations are not produced yet) unless it has disabled=true"},
    {"authfile", 0, RA, BH, SUP, O_AUTHFILE, NULL, false, "FILE",
     "auth file for FROM pulls and --push"},
    {"build-arg", 0, RA, BOTH, SUP, O_BUILD_ARG, NULL, false, "K=V", "build argument"},
    {"build-context", 0, RA, BOTH, SUP, O_BUILD_CONTEXT, NULL, false, "NAME=VALUE",
     "named context for FROM NAME / COPY --from=NAME: a directory, docker-image://REF or "
     "oci-layout://DIR[:TAG|@DIGEST] (Git and HTTP contexts are refused)"},
    {"cap-add", 0, RA, BH, SUP, O_CAP_ADD, NULL, false, "CAP",
     "capability added to RUN's bounding set (ALL: every one)"},
    {"cap-drop", 0, RA, BH, SUP, O_CAP_DROP, NULL, false, "CAP",
     "capability dropped from RUN's bounding set (ALL: every one not added again)"},
    {"cert-dir", 0, RA, BH, SUP, O_CERT_DIR, NULL, false, "DIR",
     "TLS certificates for pulls and --push"},
    {"compression", 0, RA, 0, SUP, O_COMPRESSION, NULL, false, "ALGO",
     "layer compression: gzip, zstd, none"},
    {"compression-level", 0, RA, 0, SUP, O_COMPRESSION_LEVEL, NULL, false, "N",
     "layer compression level"},
    {"creds", 0, RA, BH, SUP, O_CREDS, NULL, false, "USER[:PASS]",
     "credentials for FROM pulls and --push"},
    {"disable-compression", 'D', OA, BH, SUP, O_DISABLE_COMPRESSION, NULL, false, NULL,
     "uncompressed layers (as --compression none)"},
    {"env", 0, RA, BH, SUP, O_ENV, NULL, false, "K=V",
     "environment variable of the final image (K: value from the environment, K-: removed)"},
    {"file", 'f', RA, BOTH, SUP, O_FILE, NULL, false, "FILE", "the Dockerfile (- for stdin)"},
    {"flag-table", 0, NA, 0, SUP, O_FLAG_TABLE, NULL, false, NULL,
     "print this table (tab-separated) and exit"},
    {"format", 0, RA, BH, SUP, O_FORMAT, NULL, false, "FORMAT", "oci or docker"},
    {"help", 'h', NA, BOTH, SUP, O_HELP, NULL, false, NULL, "the usage text"},
    {"iidfile", 0, RA, BOTH, SUP, O_IIDFILE, NULL, false, "FILE",
     "write the image digest to FILE"},
    {"cache-from", 0, RA, BOTH, SUP, O_CACHE_FROM, NULL, false, "SRC",
     "shared build cache to reuse steps from (repeatable): REG/REPO, type=registry,ref=REG/REPO"
     "[:TAG][,required=true] or type=local,src=DIR (an OCI layout; docs/design/cache.md)"},
    {"cache-to", 0, RA, BOTH, SUP, O_CACHE_TO, NULL, false, "DEST",
     "export this build's steps: REG/REPO, type=registry,ref=REG/REPO[:TAG][,mode=min|max]"
     "[,ignore-error=BOOL] or type=local,dest=DIR[,mode=min|max]"},
    {"cache-ttl", 0, RA, BH, SUP, O_CACHE_TTL, NULL, false, "DURATION",
     "shared cache entries older than this are misses (e.g. 168h)"},
    {"install-binfmt", 0, NA, 0, SUP, O_INSTALL_BINFMT, NULL, false, NULL,
     "register missing qemu binfmt_misc handlers"},
    {"jobs", 0, RA, BH, SUP, O_JOBS, NULL, false, "N", "platforms/stages built at once"},
    {"label", 0, RA, BOTH, SUP, O_LABEL, NULL, false, "K=V", "image label"},
    {"load", 0, OA, BX, SUP, O_LOAD, NULL, false, NULL,
     "no-op: the image is always kept in xbuild's local store"},
    {"logfile", 0, RA, BH, SUP, O_LOGFILE, NULL, false, "FILE",
     "write the output (stdout and stderr) to FILE"},
    {"manifest", 0, RA, BH, SUP, O_MANIFEST, NULL, false, "LIST",
     "add the image(s) to the local index LIST (created when missing; a platform already in "
     "it is replaced)"},
    {"max-layer-size", 0, RA, 0, SUP, O_MAX_LAYER_SIZE, NULL, false, "SIZE",
     "refuse a layer whose files add up to more (FROM, COPY --from, ADD archives; default 64G, "
     "sparse files count in full; env XBUILD_MAX_LAYER_SIZE)"},
    {"metadata-file", 0, RA, BX, SUP, O_METADATA, NULL, false, "FILE",
     "write build metadata (JSON) to FILE"},
    {"network", 0, RA, BOTH, SUP, O_NETWORK, NULL, false, "MODE",
     "RUN network: default, none, host"},
    {"no-cache", 0, OA, BOTH, SUP, O_NO_CACHE, NULL, false, NULL, "do not use the build cache"},
    {"no-cache-filter", 0, RA, BX, SUP, O_NO_CACHE_FILTER, NULL, false, "STAGE",
     "do not use the cache for this stage"},
    {"os", 0, RA, BH, SUP, O_OS, NULL, false, "OS", "target OS"},
    {"output", 'o', RA, BOTH, SUP, O_OUTPUT, NULL, false, "SPEC",
     "export (repeatable): DIR or type=local,dest=DIR, type=tar,dest=FILE|-, type=oci, "
     "type=docker, type=image[,name=N][,push=true][,push-by-digest=true], type=registry"},
    {"override-arch", 0, RA, 0, SUP, O_ARCH, NULL, false, "ARCH",
     "the same as --arch (buildah pull/from spelling)"},
    {"override-os", 0, RA, 0, SUP, O_OS, NULL, false, "OS",
     "the same as --os (buildah pull/from spelling)"},
    {"platform", 0, RA, BOTH, SUP, O_PLATFORM, NULL, false, "P[,P...]", "target platform(s)"},
    {"progress", 0, RA, BX, SUP, O_PROGRESS, NULL, false, "MODE",
     "auto, tty, plain: step output; quiet: as -q; rawjson is refused (not implemented)"},
    {"provenance", 0, OA, BX, SUP, O_ATTEST_SHORT, NULL, false, "false",
     "only false/0 is accepted: provenance attestations are not produced yet"},
    {"pull", 0, OA, BOTH, SUP, O_PULL, NULL, false, "POLICY",
     "missing, always, never; newer (as always: the registry is always asked), true "
     "(xbuild's default, missing), false (missing, as buildah), bare: always"},
    {"push", 0, OA, BX, SUP, O_PUSH, NULL, false, NULL, "push the result to every -t name"},
    {"quiet", 'q', NA, BOTH, SUP, O_QUIET, NULL, false, NULL, "print only the digest"},
    {"sbom", 0, OA, BX, SUP, O_ATTEST_SHORT, NULL, false, "false",
     "only false/0 is accepted: SBOM attestations are not produced yet"},
    {"secret", 0, RA, BOTH, SUP, O_SECRET, NULL, false, "id=ID,src=F",
     "secret for RUN --mount=type=secret"},
    {"security-opt", 0, RA, BH, SUP, O_SECURITY_OPT, NULL, false, "OPT",
     "no-new-privileges, seccomp=unconfined, apparmor=unconfined and label=disable (xbuild "
     "applies no AppArmor profile or SELinux label); custom seccomp/AppArmor profiles, SELinux "
     "labels, mask/unmask are refused"},
    {"tag", 't', RA, BOTH, SUP, O_TAG, NULL, false, "NAME", "name the image"},
    {"target", 0, RA, BOTH, SUP, O_TARGET, NULL, false, "STAGE", "build up to this stage"},
    {"timestamp", 0, RA, BH, SUP, O_TIMESTAMP, NULL, false, "N",
     "created time and mtime clamp (Unix seconds)"},
    {"tls-verify", 0, OA, BH, SUP, O_TLS_VERIFY, NULL, false, "BOOL",
     "verify TLS for pulls and --push"},
    {"ulimit", 0, RA, BOTH, SUP, O_ULIMIT, NULL, false, "TYPE=SOFT[:HARD]",
     "resource limit (setrlimit) of every RUN step"},
    {"unsetenv", 0, RA, BH, SUP, O_UNSETENV, NULL, false, "K",
     "remove an environment variable from the final image"},
    {"variant", 0, RA, BH, SUP, O_VARIANT, NULL, false, "V", "target architecture variant"},
    {"volume", 'v', RA, BH, SUP, O_VOLUME, NULL, false, "HOST:CTR[:ro]",
     "bind mount in every RUN step (writes reach the host, never a layer)"},

    /* accepted, ignored */
    {"builder", 0, RA, BX, IGN, O_NONE, NULL, false, "NAME",
     "xbuild has no builder instances: it builds in this process"},
    {"call", 0, RA, BX, IGN, O_NONE, "build", true, "METHOD",
     "build is what xbuild does; check, outline, targets are not implemented"},
    {"cgroupns", 0, RA, BH, IGN, O_NONE, "host", true, "MODE",
     "RUN shares the host's cgroup namespace (host); private is not implemented"},
    {"compress", 0, OA, BH, IGN, O_NONE, NULL, true, NULL,
     "no effect in buildah either; layers are compressed per --compression"},
    {"disable-content-trust", 0, OA, BH, IGN, O_NONE, NULL, true, NULL,
     "no effect in buildah either (Docker compatibility)"},
    {"force-rm", 0, OA, BH, IGN, O_NONE, NULL, true, NULL,
     "xbuild always removes its intermediate state"},
    {"identity-label", 0, OA, BH, IGN, O_NONE, NULL, false, NULL,
     "xbuild never adds a builder identity label (as --identity-label=false)"},
    {"ipc", 0, RA, BH, IGN, O_NONE, "private|", true, "MODE",
     "RUN always has its own IPC namespace; host or a path is not implemented"},
    {"isolation", 0, RA, BH, IGN, O_NONE, NULL, false, "TYPE",
     "RUN always uses xbuild's namespace sandbox (like buildah's oci isolation)"},
    {"layers", 0, OA, BH, IGN, O_NONE, NULL, true, NULL,
     "xbuild always caches per instruction (--no-cache turns it off)"},
    {"pid", 0, RA, BH, IGN, O_NONE, "private|", true, "MODE",
     "RUN always has its own PID namespace; host or a path is not implemented"},
    {"retry", 0, RA, BH, IGN, O_NONE, NULL, false, "N",
     "xbuild's registry client retries transient errors by its own policy"},
    {"retry-delay", 0, RA, BH, IGN, O_NONE, NULL, false, "DURATION",
     "xbuild's registry client retries transient errors by its own policy"},
    {"rm", 0, OA, BH, IGN, O_NONE, NULL, true, NULL,
     "xbuild always removes its intermediate state"},
    {"skip-unused-stages", 0, OA, BH, IGN, O_NONE, "true|1", true, NULL,
     "xbuild always skips stages the target does not need"},
    {"userns", 0, RA, BH, IGN, O_NONE, "host|", true, "MODE",
     "RUN runs as real root without a user namespace (host); others are not implemented"},
    {"uts", 0, RA, BH, IGN, O_NONE, "private|", true, "MODE",
     "RUN always has its own UTS namespace; host or a path is not implemented"},
    {"allow", 0, RA, BX, IGN, O_NONE, "network.host", true, "ENTITLEMENT",
     "network.host: --network host needs no entitlement in xbuild; security.insecure is not "
     "implemented"},
    {"http-proxy", 0, OA, BH, IGN, O_NONE, "false|0", true, NULL,
     "xbuild does not pass the host's proxy variables to RUN; give them with --build-arg "
     "http_proxy=... (a predefined ARG)"},
    {"logsplit", 0, OA, BH, IGN, O_NONE, "false|0", true, NULL,
     "one log for all platforms only"},

    /* refused */
    {"cgroup-parent", 0, RA, BOTH, REF, O_NONE, NULL, false, "PATH",
     "RUN steps are not placed in cgroups"},
    {"check", 0, OA, BX, REF, O_NONE, NULL, false, NULL,
     "build checks (--call=check) are not implemented"},
    {"cpp-flag", 0, RA, BH, REF, O_NONE, NULL, false, "FLAG",
     "Containerfile.in preprocessing is not supported"},
    {"cpu-period", 0, RA, BH, REF, O_NONE, NULL, false, "N",
     "CPU and memory limits for RUN are not supported (no cgroups)"},
    {"cpu-quota", 0, RA, BH, REF, O_NONE, NULL, false, "N",
     "CPU and memory limits for RUN are not supported (no cgroups)"},
    {"cpu-shares", 'c', RA, BH, REF, O_NONE, NULL, false, "N",
     "CPU and memory limits for RUN are not supported (no cgroups)"},
    {"cpuset-cpus", 0, RA, BH, REF, O_NONE, NULL, false, "CPUS",
     "CPU and memory limits for RUN are not supported (no cgroups)"},
    {"cpuset-mems", 0, RA, BH, REF, O_NONE, NULL, false, "MEMS",
     "CPU and memory limits for RUN are not supported (no cgroups)"},
    {"decryption-key", 0, RA, BH, REF, O_NONE, NULL, false, "KEY",
     "encrypted images are not supported"},
    {"device", 0, RA, BH, REF, O_NONE, NULL, false, "DEV",
     "host devices are never reachable from RUN"},
    {"dns", 0, RA, BH, REF, O_NONE, NULL, false, "IP",
     "not supported yet: RUN uses a copy of the host's resolv.conf"},
    {"dns-option", 0, RA, BH, REF, O_NONE, NULL, false, "OPT",
     "not supported yet: RUN uses a copy of the host's resolv.conf"},
    {"dns-search", 0, RA, BH, REF, O_NONE, NULL, false, "DOMAIN",
     "not supported yet: RUN uses a copy of the host's resolv.conf"},
    {"from", 0, RA, BH, REF, O_NONE, NULL, false, "IMAGE",
     "not supported: use --build-context NAME=docker-image://IMAGE"},
    {"hooks-dir", 0, RA, BH, REF, O_NONE, NULL, false, "DIR", "OCI hooks are not supported"},
    {"ignorefile", 0, RA, BH, REF, O_NONE, NULL, false, "FILE",
     "not supported yet: CONTEXT/.dockerignore is used"},
    {"memory", 'm', RA, BH, REF, O_NONE, NULL, false, "SIZE",
     "CPU and memory limits for RUN are not supported (no cgroups)"},
    {"memory-swap", 0, RA, BH, REF, O_NONE, NULL, false, "SIZE",
     "CPU and memory limits for RUN are not supported (no cgroups)"},
    {"no-hosts", 0, OA, BH, REF, O_NONE, "false|0", false, NULL,
     "not supported yet: RUN always gets a copy of the host's /etc/hosts"},
    {"omit-history", 0, OA, BH, REF, O_NONE, "false|0", false, NULL,
     "not supported yet: the history is always written"},
    {"os-feature", 0, RA, BH, REF, O_NONE, NULL, false, "FEATURE",
     "not supported: platforms with OS features (Windows) are not built"},
    {"os-version", 0, RA, BH, REF, O_NONE, NULL, false, "VERSION",
     "not supported: platforms with an OS version (Windows) are not built"},
    {"runtime", 0, RA, BH, REF, O_NONE, NULL, false, "PATH",
     "RUN uses xbuild's built-in sandbox, not an OCI runtime"},
    {"runtime-flag", 0, RA, BH, REF, O_NONE, NULL, false, "FLAG",
     "RUN uses xbuild's built-in sandbox, not an OCI runtime"},
    {"shm-size", 0, RA, BOTH, REF, O_NONE, NULL, false, "SIZE",
     "not supported yet: RUN's /dev/shm is 64 MiB"},
    {"sign-by", 0, RA, BH, REF, O_NONE, NULL, false, "FINGERPRINT",
     "signing is not supported: sign the pushed image with another tool (skopeo, cosign)"},
    {"squash", 0, OA, BH, REF, O_NONE, "false|0", false, NULL,
     "not supported yet: every layer is kept"},
    {"ssh", 0, RA, BOTH, REF, O_NONE, NULL, false, "default|ID=SOCK",
     "not supported yet: SSH agent forwarding (RUN --mount=type=ssh)"},
    {"stdin", 0, OA, BH, REF, O_NONE, "false|0", false, NULL,
     "RUN's standard input is always /dev/null"},
    {"userns-gid-map", 0, RA, BH, REF, O_NONE, NULL, false, "MAP",
     "RUN runs without a user namespace"},
    {"userns-gid-map-group", 0, RA, BH, REF, O_NONE, NULL, false, "GROUP",
     "RUN runs without a user namespace"},
    {"userns-uid-map", 0, RA, BH, REF, O_NONE, NULL, false, "MAP",
     "RUN runs without a user namespace"},
    {"userns-uid-map-user", 0, RA, BH, REF, O_NONE, NULL, false, "USER",
     "RUN runs without a user namespace"},
};
/* clang-format on */
const size_t xb_bud_nflags = sizeof xb_bud_flags / sizeof xb_bud_flags[0];

int xb_bud_getopt_init(struct xb_bud_getopt *g, xb_error_t *err)
{
    g->longopts = calloc(xb_bud_nflags + 1, sizeof *g->longopts);
    if (g->longopts == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    size_t k = 0; /* options may follow CONTEXT, as with buildah and buildx */
    for (size_t i = 0; i < xb_bud_nflags; i++) {
        const struct xb_bud_flag *f = &xb_bud_flags[i];
        g->longopts[i] = (struct option){f->name, f->arg, NULL, XB_BUD_VAL + (int)i};
        if (f->shortopt && k + 3 < sizeof g->shortopts) {
            g->shortopts[k++] = f->shortopt;
            if (f->arg == RA)
                g->shortopts[k++] = ':';
        }
    }
    g->shortopts[k] = '\0';
    return 0;
}

void xb_bud_getopt_free(struct xb_bud_getopt *g)
{
    free(g->longopts);
    g->longopts = NULL;
}

const struct xb_bud_flag *xb_bud_flag_of(int c)
{
    if (c >= XB_BUD_VAL && (size_t)(c - XB_BUD_VAL) < xb_bud_nflags)
        return &xb_bud_flags[c - XB_BUD_VAL];
    for (size_t i = 0; c > 0 && c < 128 && i < xb_bud_nflags; i++)
        if (xb_bud_flags[i].shortopt == c)
            return &xb_bud_flags[i];
    return NULL;
}

static bool value_ok(const char *ok, const char *v)
{
    for (const char *p = ok; p != NULL;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (strlen(v) == len && strncmp(p, v, len) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

int xb_bud_flag_unsupported(const struct xb_bud_flag *f, const char *arg, bool quiet,
                            xb_error_t *err)
{
    const char *v = arg != NULL ? arg : (f->arg == NA || f->arg == OA ? "true" : "");
    if (f->status == XB_FLAG_REFUSED && !(f->ok && value_ok(f->ok, v)))
        return xb_cli_usage(err, "bud", "--%s is refused: %s", f->name, f->note);
    if (f->status == XB_FLAG_IGNORED && f->ok != NULL && !value_ok(f->ok, v))
        return xb_cli_usage(err, "bud", "--%s %s is refused: %s", f->name, v, f->note);
    if (f->status == XB_FLAG_IGNORED && !f->quiet && !quiet)
        fprintf(stderr, "xbuild bud: --%s ignored: %s\n", f->name, f->note);
    return 0;
}

void xb_bud_flags_print(FILE *out)
{
    static const char *const status[] = {"supported", "ignored", "refused"};
    for (size_t i = 0; i < xb_bud_nflags; i++) {
        const struct xb_bud_flag *f = &xb_bud_flags[i];
        const char *tools = f->from == BOTH ? "buildah,buildx"
                            : f->from == BH ? "buildah"
                            : f->from == BX ? "buildx"
                                            : "xbuild";
        fprintf(out, "%s\t%c\t%s\t%s\t%s\t%s\t%s\n", f->name, f->shortopt ? f->shortopt : '-',
                f->argname ? f->argname : (f->arg == OA ? "[=BOOL]" : "-"), tools,
                status[f->status], f->ok ? f->ok : "-", f->note);
    }
}
