/* ifc.c: writes to ipifc/N/ctl and iproute, Plan 9's commands (ip(3)). */
#ifndef SLASHNET_IFC_H
#define SLASHNET_IFC_H

#include "conv.h"

/* The interfaces ipifc lists: 0, the TUN. */
int ifc_count(void);
/* iproute: add TARGET MASK GATEWAY, remove TARGET MASK, flush. */
void iproute_write(fuse_req_t req, const char *buf, size_t len);
/* ipifc/N/ctl: add ADDR MASK [REMOTE], remove ADDR MASK, mtu N; unbind
 * and the commands of other media are refused. */
void ifc_ctl_write(fuse_req_t req, int ifc, const char *buf, size_t len);

#endif
