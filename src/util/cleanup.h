/* Scope-bound cleanup helpers (as in crun/systemd). Initialise at declaration:
 *   cleanup_free char *s = NULL;  cleanup_close int fd = -1;
 * Hand ownership on with steal_pointer(&p) / steal_fd(&fd). */
#ifndef XB_UTIL_CLEANUP_H
#define XB_UTIL_CLEANUP_H

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void xb_freep(void *p)
{
    free(*(void **)p);
}
static inline void xb_closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
static inline void xb_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}
static inline void xb_closedirp(DIR **d)
{
    if (*d != NULL)
        closedir(*d);
}
static inline void xb_json_decrefp(json_t **j)
{
    if (*j != NULL)
        json_decref(*j);
}
static inline void xb_archive_read_freep(struct archive **a)
{
    if (*a != NULL)
        archive_read_free(*a);
}
static inline void xb_archive_write_freep(struct archive **a)
{
    if (*a != NULL)
        archive_write_free(*a);
}
static inline void xb_archive_entry_freep(struct archive_entry **e)
{
    if (*e != NULL)
        archive_entry_free(*e);
}
/* NULL-terminated array of malloc'd strings */
static inline void xb_strvfreep(char ***v)
{
    if (*v == NULL)
        return;
    for (char **p = *v; *p != NULL; p++)
        free(*p);
    free(*v);
}

#define cleanup_free          __attribute__((cleanup(xb_freep)))
#define cleanup_close         __attribute__((cleanup(xb_closep)))
#define cleanup_fclose        __attribute__((cleanup(xb_fclosep)))
#define cleanup_dir           __attribute__((cleanup(xb_closedirp)))
#define cleanup_json          __attribute__((cleanup(xb_json_decrefp)))
#define cleanup_archive_read  __attribute__((cleanup(xb_archive_read_freep)))
#define cleanup_archive_write __attribute__((cleanup(xb_archive_write_freep)))
#define cleanup_archive_entry __attribute__((cleanup(xb_archive_entry_freep)))
#define cleanup_strv          __attribute__((cleanup(xb_strvfreep)))

static inline void *xb_steal_pointer(void *pp)
{
    void **p = (void **)pp;
    void *r = *p;
    *p = NULL;
    return r;
}
#define steal_pointer(pp) xb_steal_pointer(pp)

static inline int steal_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}

#endif
