/* Shared between sandbox.c (parent side) and sandbox_child.c (inside the namespaces). */
#ifndef XB_RUN_SANDBOX_INTERNAL_H
#define XB_RUN_SANDBOX_INTERNAL_H

#include "run/sandbox.h"

#define XB_SANDBOX_SETUP_FAILED 125
#define XB_SANDBOX_EXEC_FAILED  127

/* The PID 1 of the sandbox: sets everything up, forks the command, reaps, exits with the
 * command's status. Setup errors are written to errfd. Never returns. */
void xb_sandbox_child(const xb_sandbox_t *sb, int errfd) __attribute__((noreturn));

/* mount(2) of an overlay with an upper dir at target: options opts, tried first with
 * ",volatile" (Linux 5.10+): the upper dir is a step's scratch tree, so unmounting it need not
 * sync the whole store filesystem (which made each RUN wait for all writeback so far, e.g. of
 * a base image just extracted). Extracted layers are caches of their fsynced blobs either way.
 * Returns mount's result (errno set). */
int xb_sandbox_mount_overlay(const char *target, unsigned long flags, const char *opts);

#endif
