/* RUN steps: snapshot (overlay or copy) + sandbox + diff -> layer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layer/apply.h"
#include "layer/inroot.h"
#include "layer/whiteout.h"
#include "run/arch.h"
#include "run/binfmt.h"
#include "run/sandbox.h"
#include "run/snapshotter.h"
#include "run/step.h"
#include "snapshot/diff.h"
#include "snapshot/layers.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

/* A 32-bit platform run natively on its 64-bit sibling (386 on amd64, arm on arm64) gets the
 * 32-bit personality, so uname -m reports i686/armv8l as Docker's runtimes do. Emulated
 * platforms (also a companion the kernel refused in the probe) are left to qemu, which reports
 * its own machine. */
static bool needs_linux32(const xb_platform_t *p, const char *probe_cache)
{
    if (p == NULL || p->arch == NULL)
        return false;
    return xb_arch_native(xb_arch_find(p->arch, p->variant), probe_cache) == XB_NATIVE_PROBED;
}

int xb_binfmt_check(const xb_platform_t *p, const char *dir, const char *probe_cache, bool install,
                    xb_error_t *err)
{
    if (p == NULL || p->arch == NULL)
        return 0;
    if (p->os && strcmp(p->os, "linux") != 0)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "cannot run binaries for os '%s'", p->os);
    return xb_binfmt_check_name(dir, p->arch, p->variant, probe_cache, install, err);
}

static char *argv_string(char *const *argv)
{
    xb_buf_t b = XB_BUF_INIT;
    for (size_t i = 0; argv && argv[i]; i++) {
        if (i)
            xb_buf_putc(&b, ' ');
        xb_buf_puts(&b, argv[i]);
    }
    if (b.len > 200) {
        b.data[197] = b.data[198] = b.data[199] = '.';
        b.data[200] = '\0';
    }
    return xb_buf_steal(&b);
}

struct mounts {
    xb_run_mount_t *v;
    size_t n;
};

static void mounts_free(struct mounts *m)
{
    for (size_t i = 0; i < m->n; i++)
        xb_run_mount_clear(&m->v[i]);
    free(m->v);
}

static int prepare_cache(const xb_run_request_t *rq, xb_run_mount_t *m, xb_error_t *err)
{
    cleanup_free char *plat = rq->platform ? xb_platform_format_dashed(rq->platform) : NULL;
    cleanup_free char *rel = NULL;
    /* a cache with uid/gid/mode options is another cache than the plain one of that id (in
     * BuildKit those options make the cache's base directory, part of its identity) */
    int n = m->mode >= 0 || m->uid >= 0 || m->gid >= 0
                ? asprintf(&rel, "xbuild/cache-mounts/%s/.uid%ld.gid%ld.mode%lo",
                           plat ? plat : "host", m->uid, m->gid, m->mode >= 0 ? m->mode : 0755)
                : asprintf(&rel, "xbuild/cache-mounts/%s", plat ? plat : "host");
    if (n < 0)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    cleanup_free char *dir = xb_store_path(rq->store, rel);
    if (xb_mkdir_p(dir, 0700, err) < 0)
        return -1;
    cleanup_free char *id = xb_inroot_clean(m->id, err);
    if (id == NULL)
        return xb_error_wrap(err, "cache id '%s'", m->id);
    if (*id == '\0')
        return xb_error_set(err, XB_ERR_INVALID, "invalid cache id '%s'", m->id);
    cleanup_close int root = xb_inroot_open_root(dir, err);
    if (root < 0)
        return -1;
    int probe = xb_inroot_open(root, id, O_PATH, 0);
    bool created = probe < 0;
    if (probe >= 0)
        close(probe);
    cleanup_close int d = xb_inroot_mkdir_p(root, id, 0755, err);
    if (d < 0)
        return -1;
    if (created && (m->mode >= 0 || m->uid >= 0 || m->gid >= 0)) {
        cleanup_close int rd = xb_inroot_open(root, id, O_RDONLY | O_DIRECTORY, 0);
        if (rd >= 0) {
            if ((m->uid >= 0 || m->gid >= 0) &&
                fchown(rd, m->uid >= 0 ? (uid_t)m->uid : 0, m->gid >= 0 ? (gid_t)m->gid : 0) < 0)
                return xb_error_errno(err, errno, "chown of cache '%s'", m->id);
            if (m->mode >= 0)
                (void)fchmod(rd, (mode_t)m->mode);
        }
    }
    m->src_root = strdup(dir);
    m->src_rel = strdup(id);
    if (m->src_root == NULL || m->src_rel == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

/* Appends s to b with overlayfs' lowerdir escapes (":", "," and "\\"). */
static void put_escaped(xb_buf_t *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ':' || *s == ',' || *s == '\\')
            xb_buf_putc(b, '\\');
        xb_buf_putc(b, *s);
    }
}

/* "mask:context": the lowerdir of the filtered context. Caller frees. */
static char *context_lower(const xb_run_request_t *rq, const char *ctx)
{
    xb_buf_t b = XB_BUF_INIT;
    put_escaped(&b, rq->context_mask);
    xb_buf_putc(&b, ':');
    put_escaped(&b, ctx);
    return xb_buf_steal(&b);
}

/* --volume HOST:CTR[:ro]: a bind of the host path (writes reach the host, never the layer),
 * set up like a cache mount. */
static int prepare_volume(const char *spec, xb_run_mount_t *m, xb_error_t *err)
{
    cleanup_free char *host = NULL;
    memset(m, 0, sizeof *m);
    m->type = XB_MOUNT_CACHE;
    m->mode = m->uid = m->gid = -1;
    if (xb_run_volume_parse(spec, &host, &m->target, &m->readonly, err) < 0)
        return -1;
    cleanup_free char *real = realpath(host, NULL);
    if (real == NULL)
        return xb_error_errno(err, errno, "--volume %s: host path %s", spec, host);
    char *slash = strrchr(real, '/');
    m->src_rel = strdup(slash[1] ? slash + 1 : "");
    slash[slash == real ? 1 : 0] = '\0';
    m->src_root = strdup(real);
    if (m->src_root == NULL || m->src_rel == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    return 0;
}

static int prepare_mounts(const xb_run_request_t *rq, struct mounts *ms, xb_error_t *err)
{
    size_t n = 0, nv = 0;
    while (rq->mounts && rq->mounts[n])
        n++;
    while (rq->run_opts && rq->run_opts->volumes && rq->run_opts->volumes[nv])
        nv++;
    ms->v = calloc(n + nv + 2, sizeof *ms->v);
    if (ms->v == NULL)
        return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        xb_run_mount_t *m = &ms->v[ms->n];
        if (xb_run_mount_parse(rq->mounts[i], m, err) < 0)
            return -1;
        ms->n++;
        if (m->type == XB_MOUNT_CACHE) {
            if (prepare_cache(rq, m, err) < 0)
                return -1;
        } else if (m->type == XB_MOUNT_BIND && m->from) {
            if (rq->stage_lookup == NULL)
                return xb_error_set(err, XB_ERR_UNSUPPORTED, "--mount from=%s: no stages here",
                                    m->from);
            cleanup_json json_t *layers = NULL, *diff_ids = NULL;
            if (rq->stage_lookup(rq->stage_lookup_ud, m->from, &layers, &diff_ids, err) < 0 ||
                xb_snapshot_lowerdir(rq->store, layers, diff_ids, &m->lowerdir, err) < 0)
                return xb_error_wrap(err, "--mount from=%s", m->from);
        } else if (m->type == XB_MOUNT_BIND) {
            if (rq->context_dir == NULL)
                return xb_error_set(err, XB_ERR_INVALID, "--mount type=bind: no build context");
            cleanup_close int ctx = xb_inroot_open_root(rq->context_dir, err);
            if (ctx < 0)
                return -1;
            int fd = xb_inroot_open(ctx, m->source, O_PATH, 0);
            if (fd < 0)
                return xb_error_errno(err, -fd, "--mount type=bind: source '%s' in the context",
                                      m->source);
            close(fd);
            m->src_root = realpath(rq->context_dir, NULL);
            m->src_rel = strdup(m->source);
            if (m->src_root == NULL || m->src_rel == NULL)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
            /* the .dockerignore'd paths hidden: an overlay of the whiteouts over the context */
            if (rq->context_mask != NULL && (m->lowerdir = context_lower(rq, m->src_root)) == NULL)
                return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        } else if (m->type == XB_MOUNT_SECRET) {
            bool found;
            if (xb_secret_lookup(rq->secrets, rq->host_env, m->id, &m->data, &m->len, &found, err) <
                0)
                return -1;
            if (!found) {
                if (m->required)
                    return xb_error_set(
                        err, XB_ERR_NOT_FOUND,
                        "secret %s: not found (it is required: pass --secret id=%s,src=FILE)",
                        m->id, m->id);
                xb_run_mount_clear(m);
                ms->n--;
            }
        }
    }
    for (size_t i = 0; i < nv; i++) {
        if (prepare_volume(rq->run_opts->volumes[i], &ms->v[ms->n], err) < 0) {
            xb_run_mount_clear(&ms->v[ms->n]);
            return -1;
        }
        ms->n++;
    }
    /* RUN <<EOF with a shebang: the script as an executable file under /dev/pipes */
    if (rq->script != NULL) {
        xb_run_mount_t *m = &ms->v[ms->n];
        memset(m, 0, sizeof *m);
        m->type = XB_MOUNT_SECRET;
        m->exec = true;
        m->mode = 0755;
        m->uid = m->gid = -1;
        m->readonly = true;
        m->id = strdup(rq->script_name ? rq->script_name : "script");
        m->data = strdup(rq->script);
        m->len = strlen(rq->script);
        if (m->id == NULL || m->data == NULL || asprintf(&m->target, "dev/pipes/%s", m->id) < 0) {
            m->target = NULL;
            return xb_error_set(err, XB_ERR_INTERNAL, "out of memory");
        }
        ms->n++;
    }
    return 0;
}

static int apply_all(const xb_run_request_t *rq, const char *rootfs, xb_error_t *err)
{
    size_t n = json_array_size(rq->layers);
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_object_get(json_array_get(rq->layers, i), "digest"));
        cleanup_free char *blob = d ? xb_store_blob_path(rq->store, d) : NULL;
        if (blob == NULL)
            return xb_error_set(err, XB_ERR_INVALID, "layer %zu has no valid digest", i);
        if (xb_layer_apply_path(rootfs, blob, XB_APPLY_MERGED, xb_store_max_layer_size(rq->store),
                                NULL, err) < 0)
            return xb_error_wrap(err, "layer %s", d);
    }
    return 0;
}

/* A --mount from a stage, or of the .dockerignore-filtered context, is a read-only overlay of
 * trees whose whiteouts are .wh. files where the store's filesystem refuses 0/0 devices
 * (layer/whiteout.h): only fuse-overlayfs reads those, the kernel overlay would show what they
 * delete. An error naming the mount then; 0 otherwise. */
static int check_lower_binds(const struct mounts *ms, bool fuse, const char *state,
                             const char *where, xb_error_t *err)
{
    const xb_run_mount_t *m = NULL;
    for (size_t i = 0; i < ms->n && m == NULL; i++)
        if (ms->v[i].type == XB_MOUNT_BIND && ms->v[i].lowerdir != NULL)
            m = &ms->v[i];
    if (fuse || m == NULL)
        return 0;
    cleanup_close int d = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0 || !xb_wh_devices_refused(d))
        return 0;
    return xb_error_set(err, XB_ERR_UNSUPPORTED,
                        "%s: --mount=type=bind%s%s on /%s: the store's filesystem refuses "
                        "whiteout devices (is it on overlayfs?), so the deletions in %s are .wh. "
                        "files, which only fuse-overlayfs reads; install fuse-overlayfs and make "
                        "/dev/fuse usable, or put the store on another filesystem with --root",
                        where, m->from ? ",from=" : "", m->from ? m->from : "", m->target,
                        m->from ? "that stage" : "the .dockerignore'd context");
}

static int mk(const char *work, const char *name, mode_t mode, char **out, xb_error_t *err)
{
    *out = xb_path_join(work, name);
    if (*out == NULL || mkdir(*out, mode) < 0)
        return xb_error_errno(err, errno, "cannot create %s", *out ? *out : name);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether the overlay snapshotter can take this step: *overlay stays true only when the
 * layers' lowerdir fits one overlay mount and the store path has no overlay option syntax in it
 * (else the copy snapshotter, said with xb_info). 0, or negative + err. */
static int choose_snapshotter(const xb_run_request_t *rq, const char *where, const char *work,
                              const char *layers_dir, char **lowerdir, bool *overlay,
                              xb_error_t *err)
{
    if (!*overlay)
        return 0;
    int r = xb_snapshot_lowerdir(rq->store, rq->layers, rq->diff_ids, lowerdir, err);
    if (r < 0)
        return r;
    /* one page of mount options: a very deep image falls back to the copy snapshotter */
    if (strpbrk(work, ",:\\") || strpbrk(layers_dir, ",:\\")) {
        xb_info("%s: the store path has ',' ':' or '\\' (overlay option syntax), using "
                "copies",
                where);
        *overlay = false;
    } else if (strlen(*lowerdir) + 2 * strlen(work) > 3800) {
        xb_info("%s: %zu layers are too many for one overlay mount, using copies", where,
                json_array_size(rq->layers));
        *overlay = false;
    }
    return 0;
}

/* The step's root directory under work: the overlay's upper, work and merged dirs, or a copy of
 * every layer (and, to commit, its state before the command). 0, or negative + err. */
static int prepare_rootfs(const xb_run_request_t *rq, bool commit, bool overlay, const char *work,
                          char **upper, char **wdir, char **root, xb_tree_state_t **before,
                          xb_error_t *err)
{
    int r;
    if (overlay) {
        if ((r = mk(work, "upper", 0755, upper, err)) < 0 ||
            (r = mk(work, "work", 0700, wdir, err)) < 0 ||
            (r = mk(work, "merged", 0755, root, err)) < 0)
            return r;
        return 0;
    }
    if ((r = mk(work, "rootfs", 0755, root, err)) < 0 || (r = apply_all(rq, *root, err)) < 0)
        return r;
    if (commit && (r = xb_tree_state_capture(*root, before, err)) < 0)
        return r;
    return 0;
}

/* Warns when an emulated step cannot be kept from writing the host's qemu binary; refuses a
 * --network this sandbox does not have. 0, or negative + err. */
static int check_step_options(const xb_run_request_t *rq, const char *where,
                              const char *probe_cache, xb_error_t *err)
{
    const xb_arch_t *arch = rq->platform && rq->platform->arch
                                ? xb_arch_find(rq->platform->arch, rq->platform->variant)
                                : NULL;
    if (arch && !xb_arch_is_native(arch, probe_cache) && !xb_sandbox_write_guard_available())
        xb_warn("%s: this kernel has no Landlock: the emulated step is not kept from writing "
                "to the host's qemu binary through /proc/PID/exe (docs/design/run.md)",
                where);
    if (rq->network && *rq->network && strcmp(rq->network, "none") != 0 &&
        strcmp(rq->network, "host") != 0 && strcmp(rq->network, "default") != 0)
        return xb_error_set(err, XB_ERR_UNSUPPORTED, "--network=%s is not supported (none, host)",
                            rq->network);
    return 0;
}

/* The layer of what the command changed (the overlay's upper dir, or the copy against its state
 * before) into out, *empty when it changed nothing; the overlay's upper dir is kept as that
 * layer's snapshot. t1 is when the command ended. 0, or negative + err. */
static int commit_layer(const xb_run_request_t *rq, const char *where, bool overlay, bool fuse,
                        const char *state, const char *upper, const char *root,
                        const char *layers_dir, const char *lowerdir, const xb_tree_state_t *before,
                        double t1, xb_layer_result_t *out, bool *empty, xb_error_t *err)
{
    const char *tree = overlay ? upper : root;
    int r = xb_sandbox_cleanup_stubs(state, tree, fuse, err);
    if (r < 0)
        return r;
    xb_layer_writer_t *w = NULL;
    if ((r = xb_layer_writer_new(rq->store, rq->layer_opts, &w, err)) < 0)
        goto out;
    size_t count = 0;
    r = overlay ? xb_diff_overlay(w, upper, layers_dir, lowerdir, fuse, &count, err)
                : xb_diff_copy(w, root, before, &count, err);
    if (r < 0)
        goto out;
    if (count == 0) {
        if (empty)
            *empty = true;
        goto out;
    }
    r = xb_layer_writer_finish(w, out, err);
    if (r == 0)
        xb_debug("run: %s: layer of %zu entries written in %.2f s", where, count, now_s() - t1);
    /* the upper dir is that layer, extracted: the next step uses it as is (unless mtimes were
     * clamped in the layer, which the tree does not show); fuse-overlayfs' forms are turned
     * into overlayfs' first */
    if (r == 0 && overlay && (rq->layer_opts == NULL || rq->layer_opts->clamp_mtime < 0)) {
        cleanup_error xb_error_t e = XB_ERROR_INIT;
        if (fuse && xb_diff_fuse_normalize(upper, layers_dir, lowerdir, &e) < 0)
            xb_debug("run: %s: the upper dir is not adopted: %s", where, e.msg);
        else
            (void)xb_snapshot_layer_adopt(rq->store, out->diff_id, upper);
    }
out:
    xb_layer_writer_free(w);
    return r;
}

int xb_run_execute(const xb_run_request_t *rq, bool commit, xb_layer_result_t *out, bool *empty,
                   int *exit_status, xb_error_t *err)
{
    const char *where = rq->where ? rq->where : "RUN";
    if (empty)
        *empty = false;
    cleanup_free char *probe_cache = xb_store_path(rq->store, XB_ARCH_PROBE_CACHE);
    if (xb_binfmt_check(rq->platform, rq->binfmt_dir, probe_cache, rq->install_binfmt, err) < 0)
        return xb_error_wrap(err, "%s", where);
    struct mounts ms = {NULL, 0};
    cleanup_free char *work = NULL, *state = NULL, *upper = NULL, *wdir = NULL, *root = NULL;
    cleanup_free char *lowerdir = NULL, *layers_dir = xb_snapshot_layers_dir(rq->store);
    xb_tree_state_t *before = NULL;
    int r = xb_store_mkdtemp(rq->store, "run", &work, err);
    if (r < 0)
        goto out;
    xb_snapshotter_choice_t snap;
    if ((r = xb_snapshotter_select(rq->snapshotter, rq->search_path, work, &snap, err)) < 0)
        goto out;
    bool overlay = snap.kind != XB_SNAP_COPY, fuse = snap.kind == XB_SNAP_FUSE;
    if ((r = mk(work, "state", 0700, &state, err)) < 0 ||
        (r = xb_mkdir_p(layers_dir, 0700, err)) < 0)
        goto out;
    if ((r = prepare_mounts(rq, &ms, err)) < 0)
        goto out;
    if ((r = choose_snapshotter(rq, where, work, layers_dir, &lowerdir, &overlay, err)) < 0 ||
        (r = check_lower_binds(&ms, fuse && overlay, state, where, err)) < 0)
        goto out;
    if ((r = prepare_rootfs(rq, commit, overlay, work, &upper, &wdir, &root, &before, err)) < 0)
        goto out;
    xb_sandbox_t sb = {
        .rootfs = root,
        .layers_dir = layers_dir,
        .lowerdir = overlay ? lowerdir : NULL,
        .upper = upper,
        .work = wdir,
        .fuse_bin = fuse && overlay ? snap.fuse_bin : NULL,
        .state_dir = state,
        .argv = rq->argv,
        .env = rq->env,
        .cwd = rq->workdir,
        .user = rq->user,
        .hostname = rq->hostname,
        .network_none = rq->network && strcmp(rq->network, "none") == 0,
        .linux32 = needs_linux32(rq->platform, probe_cache),
        .mounts = ms.v,
        .nmounts = ms.n,
        .policy = rq->policy,
        .opts = rq->run_opts,
    };
    if ((r = check_step_options(rq, where, probe_cache, err)) < 0)
        goto out;
    int status = 0;
    xb_debug("run: %s (%s snapshotter: %s)", where,
             xb_snapshotter_name(overlay ? snap.kind : XB_SNAP_COPY), snap.reason);
    double t0 = now_s();
    if ((r = xb_sandbox_run(&sb, &status, err)) < 0)
        goto out;
    double t1 = now_s();
    xb_debug("run: %s: the command ran %.2f s (exit status %d)", where, t1 - t0, status);
    if (exit_status)
        *exit_status = status;
    if (!commit)
        goto out;
    if (status != 0) {
        cleanup_free char *cmd = argv_string(rq->argv);
        r = xb_error_set(err, XB_ERR_RUN, "RUN %s: exited with code %d", cmd, status);
        goto out;
    }
    r = commit_layer(rq, where, overlay, overlay && fuse, state, upper, root, layers_dir, lowerdir,
                     before, t1, out, empty, err);
out:
    xb_tree_state_free(before);
    mounts_free(&ms);
    if (work) {
        cleanup_error xb_error_t e2 = XB_ERROR_INIT;
        if (xb_rm_rf(work, &e2) < 0)
            xb_warn("run: cannot remove %s: %s", work, e2.msg);
    }
    if (r < 0)
        return xb_error_wrap(err, "%s", where);
    return 0;
}

int xb_run_step(const xb_run_request_t *rq, xb_layer_result_t *out, bool *empty, xb_error_t *err)
{
    return xb_run_execute(rq, true, out, empty, NULL, err);
}
