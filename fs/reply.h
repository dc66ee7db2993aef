/*
 * Answering a big read by splice (reply.c): the bytes go from the
 * socket's buffer to FUSE through a pipe, so that the kernel takes the
 * pages in runs rather than one at a time. Below data.c; main.c says
 * which request is being served.
 */
#ifndef SLASHNET_REPLY_H
#define SLASHNET_REPLY_H

#include <fuse_lowlevel.h>
#include <stdint.h>
#include <sys/uio.h>

/* The request libfuse is about to dispatch (its raw buffer, as read from
 * /dev/fuse): remembered for reply_unique. */
void reply_begin(const struct fuse_buf *b);
/* That request's FUSE unique, 0 if unknown: a parked read keeps it. */
uint64_t reply_unique(void);
/* Answer read req, FUSE unique `unique` (0: unknown), with the n bytes
 * of iov[cnt], or the first of them that fit the pipe: spliced when big
 * enough, else by libfuse's fuse_reply_iov. The bytes answered. */
size_t reply_read(fuse_req_t req, uint64_t unique, const struct iovec *iov, int cnt, size_t n);
void reply_fini(void);

#endif
