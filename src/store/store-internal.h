/* Private to src/store/: the store struct and helpers shared by its files. */
#ifndef XB_STORE_STORE_INTERNAL_H
#define XB_STORE_STORE_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "store/store.h"

struct xb_store {
    char *root;
    char *blobdir;           /* <root>/blobs/sha256 */
    char *index;             /* <root>/index.json */
    char *lockpath;          /* <root>/xbuild/lock */
    int usersfd;             /* shared flock on xbuild/users while open (prune checks for others) */
    uint64_t max_layer_size; /* 0: XB_LAYER_MAX_SIZE_DEFAULT (layer/apply.h) */
};

/* Prefix of temp files in blobs/sha256/: ".tmp-<pid>-XXXXXX". */
#define XB_STORE_TMP_PREFIX ".tmp-"

/* Loads index.json (an empty index when missing); caller json_decref()s. */
int xb_store_index_load(xb_store_t *s, json_t **index, xb_error_t *err);
/* Writes index.json atomically; caller holds the lock. */
int xb_store_index_save(xb_store_t *s, const json_t *index, xb_error_t *err);
/* True for the name of a blob file or layer dir: 64 lowercase hex digits. */
bool xb_store_hex_name(const char *name);
/* Parses the pid from a name shaped "<anything>-<pid>-<suffix>" (or ".tmp-<pid>-..."); 0 when
 * there is none. */
pid_t xb_store_name_pid(const char *name);
/* True when pid is a running process (or we cannot tell). */
bool xb_store_pid_alive(pid_t pid);

#endif
