/* data.c: the data and listen files of a conversation. */
#ifndef SLASHNET_DATA_H
#define SLASHNET_DATA_H

#include "conv.h"

void data_read(fuse_req_t req, struct ofile *of, size_t size, int flags);
void data_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len, int flags);
void data_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph);
/* The socket's readiness changed: answer the parked reads, writes and
 * listens. */
void data_event(struct conv *c);
void listen_open(fuse_req_t req, struct conv *c, struct fuse_file_info *fi);

#endif
