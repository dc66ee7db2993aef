/* dgdata.c: the data file of udp and icmp conversations (datagrams). */
#ifndef SLASHNET_DGDATA_H
#define SLASHNET_DGDATA_H

#include "conv.h"

/* Answer req with the next datagram: 1, or 0 when none is waiting. */
int dgdata_try_read(fuse_req_t req, struct conv *c, size_t size);
void dgdata_write(fuse_req_t req, struct conv *c, const char *buf, size_t len);

#endif
