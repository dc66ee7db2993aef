/* netlog.c: the log file, Plan 9's netlog (ip(3)): the stack's protocol
 * events, one line each. */
#ifndef SLASHNET_NETLOG_H
#define SLASHNET_NETLOG_H

#include "conv.h"

/* A new open of log reads from the next event on. */
void netlog_open(struct ofile *of);
/* The lines since of's last read; parked while there are none (EAGAIN
 * with O_NONBLOCK). */
void netlog_read(fuse_req_t req, struct ofile *of, size_t size, int flags);
/* Readable when a line is there to read; ph is woken by the next. */
void netlog_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph);
/* set NAME…, clear NAME…, only [ADDR]; EINVAL for anything else. */
void netlog_write(fuse_req_t req, const char *buf, size_t len);
/* At exit: the stack stops logging, parked reads are answered. */
void netlog_fini(void);

#endif
