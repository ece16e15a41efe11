/* Running a command on top of an image's layers: the RUN step of a build (xb_run_step in
 * build/hooks.h: the change becomes a layer) and `xbuild run` (throwaway upper dir). */
#ifndef XB_RUN_STEP_H
#define XB_RUN_STEP_H

#include <stdbool.h>

#include "build/hooks.h"
#include "image/platform.h"
#include "layer/writer.h"
#include "util/error.h"

/* Runs rq. With commit, a command exiting non-zero is an error ("Dockerfile:N: RUN ...
 * exited with code X") and the change is written as a layer into *out (or *empty = true);
 * without commit nothing is kept and *exit_status gets the command's status.
 * exit_status, out and empty may be NULL when unused. */
int xb_run_execute(const xb_run_request_t *rq, bool commit, xb_layer_result_t *out, bool *empty,
                   int *exit_status, xb_error_t *err);

/* Checks (or with install, registers) the binfmt_misc handler for a platform; platforms the
 * kernel runs natively (as probed, see run/archprobe.h; probe_cache may be NULL) pass. The
 * error names the architecture and the command that fixes it. */
int xb_binfmt_check(const xb_platform_t *p, const char *probe_cache, bool install, xb_error_t *err);

#endif
