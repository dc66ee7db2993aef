/*
 * FUSE traffic by splice (reply.c). A big read's answer goes from the
 * socket's buffer to FUSE through a pipe, so that the kernel takes the
 * pages in runs rather than one at a time. An upload's writes are read
 * straight into the socket's queue. Below data.c; main.c takes the
 * requests here and says which is being served.
 */
#ifndef SLASHNET_REPLY_H
#define SLASHNET_REPLY_H

#include <fuse_lowlevel.h>
#include <stdint.h>
#include <sys/uio.h>

#include "conv.h"

/* The request libfuse is about to dispatch (its raw buffer, as read from
 * /dev/fuse): remembered for reply_unique. */
void reply_begin(const struct fuse_buf *b);
/* That request's FUSE unique, 0 if unknown: a parked read keeps it. */
uint64_t reply_unique(void);
/* Answer read req, FUSE unique `unique` (0: unknown), with the n bytes
 * of iov[cnt], or the first of them that fit the pipe: spliced when big
 * enough, else by libfuse's fuse_reply_iov. The bytes answered. */
size_t reply_read(fuse_req_t req, uint64_t unique, const struct iovec *iov, int cnt, size_t n);
/* Take the next request from se's device into mem, as
 * fuse_session_receive_buf: the bytes, -EAGAIN if none waits, 0 once
 * unmounted, or -errno. got: what to give fuse_session_process_buf.
 * After an upload's write to a data file (fs.stream), the request's data
 * is read onto that socket's queue, and stays queued if the request is
 * the write expected (request_queued). */
int request_receive(struct fuse_session *se, struct fuse_buf *mem, struct fuse_buf *got);
/* Of the request being served, a write to open file of: how many of its
 * bytes are already in the socket's queue (all of them, or 0). */
size_t request_queued(const struct ofile *of);
void reply_fini(void);

#endif
