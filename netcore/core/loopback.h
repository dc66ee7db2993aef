/*
 * The loopback medium (as Plan 9's loopbackmedium): packets the stack
 * sends to itself — to 127.0.0.0/8, ::1 or one of its own addresses — never
 * reach the link. They wait in a bounded ring and are fed to the input
 * path at the next stack_poll, never from inside the send that made them.
 */
#ifndef NETCORE_LOOPBACK_H
#define NETCORE_LOOPBACK_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct ifstats;

enum {
	LOOPBACK_NET = 0x7f000000,	/* 127.0.0.0/8 */
	LOOPBACK_PREFIX = 8,
	LOOPBACK_ADDR = 0x7f000001,	/* 127.0.0.1, the interface's own */
	LOOPBACK_MTU = 65535,		/* nothing is cut on the way to oneself */
};

/* Is a in 127.0.0.0/8? */
static inline int loopback_addr(uint32_t a)
{
	return (a >> 24) == (LOOPBACK_NET >> 24);
}

/* Queue one whole IPv4 or IPv6 packet for the stack's own input; dropped (and
 * counted as an output error) when the ring is full. */
void loopback_output(struct stack *st, const uint8_t *pkt, size_t len);
/* Feed input the packets queued before this call (those they make wait
 * for the next call). */
void loopback_input(struct stack *st);
/* Are packets waiting? */
int loopback_pending(const struct stack *st);
/* Bytes waiting (work in progress, for stack_mem). */
size_t loopback_mem(const struct stack *st);
/* The interface's counters (zero before its first packet). */
void loopback_stats(const struct stack *st, struct ifstats *out);
void loopback_free(struct stack *st);

#endif
