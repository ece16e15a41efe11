/* Media type helpers (pure: no store dependency, usable from any module). */
#include "image/mediatype.h"

#include <string.h>

int xb_mt_layer_compression(const char *mt)
{
    if (mt == NULL)
        return -1;
    if (strcmp(mt, XB_MT_OCI_LAYER) == 0 || strcmp(mt, XB_MT_OCI_LAYER_ND) == 0 ||
        strcmp(mt, XB_MT_DOCKER_LAYER) == 0)
        return 0;
    if (strcmp(mt, XB_MT_OCI_LAYER_GZIP) == 0 || strcmp(mt, XB_MT_OCI_LAYER_ND_GZIP) == 0 ||
        strcmp(mt, XB_MT_DOCKER_LAYER_GZIP) == 0 || strcmp(mt, XB_MT_DOCKER_LAYER_FOREIGN) == 0)
        return 1;
    if (strcmp(mt, XB_MT_OCI_LAYER_ZSTD) == 0 || strcmp(mt, XB_MT_OCI_LAYER_ND_ZSTD) == 0)
        return 2;
    return -1;
}
