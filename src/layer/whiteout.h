/* Whiteouts in an extracted layer's tree (an overlay lower dir: snapshot/layers.h), in either
 * of the two forms such a tree may hold, and the one place that writes and reads them:
 *   device form: a whiteout of NAME is a 0/0 character device NAME; an opaque directory has
 *                the overlay opaque xattr (util/sys.h) set to "y". Kernel overlayfs and
 *                fuse-overlayfs read it; every store whose filesystem allows it gets it.
 *   file form:   a whiteout of NAME is an empty regular file ".wh.NAME"; an opaque directory
 *                holds an empty regular file ".wh..wh..opq". Written only where the store's
 *                filesystem refuses the device (overlayfs: EPERM) or the xattr; fuse-overlayfs
 *                reads it in its lower dirs (kernel overlayfs does not, but it cannot be
 *                mounted over such a store either).
 * No image file can be named ".wh.*" (the OCI image spec reserves the prefix and layer/apply.c
 * turns such tar entries into whiteouts), so the file form is unambiguous. */
#ifndef XB_LAYER_WHITEOUT_H
#define XB_LAYER_WHITEOUT_H

#include <stdbool.h>
#include <sys/stat.h>

#include "util/error.h"

#define XB_WH_PREFIX ".wh."
#define XB_WH_OPAQUE ".wh..wh..opq"

/* The form one extraction writes: it starts with the device form and switches for the rest
 * of the extraction the first time the filesystem refuses it (decided by the filesystem, not
 * guessed up front). Zero-initialise. */
typedef struct xb_wh_form {
    bool files;     /* whiteouts as ".wh.NAME" files */
    bool opq_files; /* opaque directories marked by a ".wh..wh..opq" file */
} xb_wh_form_t;

/* The name an entry of an extracted tree whites out (a pointer into name), or NULL when it is
 * no whiteout. st: its lstat. The opaque marker ".wh..wh..opq" is no whiteout (NULL), but no
 * entry of the image either: see xb_wh_is_marker. */
const char *xb_wh_victim(const char *name, const struct stat *st);
/* Whether name is the file form's opaque marker. */
bool xb_wh_is_marker(const char *name);
/* Whether name in the directory dfd (any fd that openat accepts) is whited out in this tree,
 * in either form: name is a 0/0 device, or ".wh.name" exists. */
bool xb_wh_hides(int dfd, const char *name);
/* Whether the directory dirfd (opened O_RDONLY) is opaque in either form; xattr: the opaque
 * xattr of this process's overlays (xb_sys_overlay_opaque_xattr()). */
bool xb_wh_opaque(int dirfd, const char *xattr);

/* Makes a whiteout of name in the directory dfd, in the form of *form (which it updates); one
 * that exists is kept (the caller removes an entry it replaces).
 * shown: the path for messages. 0, or negative + err (the filesystem refuses both forms: the
 * message says which and what to do). */
int xb_wh_make(int dfd, const char *name, xb_wh_form_t *form, const char *shown, xb_error_t *err);
/* Marks the directory dirfd (opened O_RDONLY) opaque, in the form of *form (updated). */
int xb_wh_make_opaque(int dirfd, const char *xattr, xb_wh_form_t *form, const char *shown,
                      xb_error_t *err);
/* Removes a file form whiteout ".wh.name" from dfd (a layer entry named name is made there
 * after its whiteout): 0, or negative + err. A no-op for the device form, whose whiteout the
 * entry replaces. */
int xb_wh_unhide(int dfd, const char *name, const xb_wh_form_t *form, const char *shown,
                 xb_error_t *err);
/* Whether the filesystem of the directory dfd refuses the device form (a 0/0 device probed
 * under a temporary name and removed): where it does, extracted trees hold the file form,
 * which the kernel overlay does not read. */
bool xb_wh_devices_refused(int dfd);

#endif
