/*
 * A scripted raw TCP peer on a tap end of the test link, in the spirit of
 * packetdrill: at a virtual time, inject this segment; expect that one.
 * Segments are written as short text, sequence numbers relative to each
 * side's initial one (the stack's is learnt from its first SYN):
 *
 *   peer_send(p, 0, "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>");
 *   peer_expect(p, 0, "S. 0:0(0) ack 1 <mss 1460,...>");
 *   peer_send(p, 2, ". 1:1(0) ack 1 win 512");
 *   peer_send(p, 3, "P. 1:101(100) ack 1");    // 100 bytes of data
 *   peer_expect(p, 3, ". 1:1(0) ack 101");
 *
 * Fields: flags (S F R P U, and . for ACK), then optionally start:end(len),
 * "ack N", "win N", and options in <…> (mss N, sackOK, wscale N,
 * TS val N ecr N, nop, sack A:B A:B …). In an expectation a field not
 * written is not checked, "<...>" checks no option, and a listed option
 * must be there with that value ("*" for any value). Times are ms from
 * the peer's start; an expected segment must arrive within the
 * tolerance (p->tol_ms) of its time.
 */
#ifndef TESTS_PEER_H
#define TESTS_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"

struct peer {
	struct link *link;
	int end;		/* the tap end */
	uint32_t addr, stack_addr;
	uint16_t port, stack_port;
	uint32_t isn, stack_isn;	/* stack_isn valid once its SYN was seen */
	int have_stack_isn;
	uint64_t start;		/* link time of ms 0 */
	uint64_t tol_ms;
	/* the last segment received */
	uint8_t flags;
	uint32_t seq, ack, len;
	uint16_t win;
	uint32_t tsval;		/* its timestamp, 0 without one */
	uint8_t data[65536];
	uint8_t last[128];	/* its first bytes, for ICMP quotes */
	size_t lastlen;
};

/* A peer at addr:port on tap end `end`, talking to stack_addr:stack_port
 * (stack_port 0: learnt from the stack's first segment). */
void peer_init(struct peer *p, struct link *l, int end, uint32_t addr, uint16_t port,
	       uint32_t stack_addr, uint16_t stack_port);
/* Run the link to time ms, then inject the segment. */
void peer_send(struct peer *p, uint64_t ms, const char *spec);
/* Run until a segment arrives (by ms + tolerance) and check it. */
void peer_expect(struct peer *p, uint64_t ms, const char *spec);
/* Nothing may arrive up to time ms. */
void peer_expect_none(struct peer *p, uint64_t ms);
/* Run the link to time ms. */
void peer_run(struct peer *p, uint64_t ms);
/* Inject an ICMP error (type, code) quoting the last segment received. */
void peer_icmp(struct peer *p, uint64_t ms, int type, int code);

#endif
