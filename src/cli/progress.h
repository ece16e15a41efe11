/* Per-blob progress bars for pull/push on a terminal (stderr); one line per blob otherwise. */
#ifndef XB_CLI_PROGRESS_H
#define XB_CLI_PROGRESS_H

#include "registry/client.h"

/* Installs the bar renderer into o when stderr is a terminal, TERM is not "dumb" and o is not
 * quiet; otherwise leaves o alone (the library then logs one line per blob). */
void xb_cli_progress_setup(xb_registry_opts_t *o);
/* Forgets every bar (the final states are already on screen). */
void xb_cli_progress_end(void);

#endif
