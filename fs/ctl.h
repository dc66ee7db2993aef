/* ctl.c: the ctl file of a conversation (SPEC.md §3, §4). */
#ifndef SLASHNET_CTL_H
#define SLASHNET_CTL_H

#include "conv.h"

void ctl_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len, int flags);
/* The socket's event while a connect is under way: answer it once done. */
void ctl_connect_done(struct conv *c);

#endif
