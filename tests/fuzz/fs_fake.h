/*
 * What the ctl and cs harnesses put under fs/ctl.c, fs/cs.c and
 * fs/conv.c instead of a mount: FUSE's replies are counted (every
 * request must be answered exactly once), netcore's calls answer as the
 * input chose (an errno, a TCP state, a connect under way), and dns.c
 * (c-ares over the stack) is a stand-in whose queries the harness
 * answers with bytes from the input.
 */
#ifndef TESTS_FUZZ_FS_FAKE_H
#define TESTS_FUZZ_FS_FAKE_H

#include <stddef.h>
#include <stdint.h>

struct fake {
	int fail;		/* errno of every netcore call, 0: success */
	int connecting;		/* nc_connect says EINPROGRESS */
	int state;		/* the TCP state nc_getsockopt reports */
	int so_error;		/* and SO_ERROR */
	long requests, replies;	/* FUSE requests made and answered */
};
extern struct fake fake;

/* A new FUSE request (a distinct handle, never dereferenced). */
void *fake_request(void);
/* Start cs (with a DNS server, so no lookup leaves the process) and
 * end it, answering every lookup still in flight. */
void fake_cs_start(void);
void fake_cs_end(void);
/* Answer the DNS queries under way with msg; 0 if none was. */
int fake_dns_answer(const uint8_t *msg, size_t len);
/* Abort unless every request was answered exactly once. */
void fake_check_replies(void);

#endif
