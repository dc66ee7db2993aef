/*
 * The packet-path harnesses' stack: netcore's core at end A of the unit
 * tests' link (virtual clock, no delay), a tap at end B where the fuzz
 * input's packets come from, and what the tap has seen the stack send:
 * the TCP flows (so forged segments can hit the window), the echo
 * requests' id, and the last packet (to quote in ICMP errors).
 */
#ifndef TESTS_FUZZ_NET_H
#define TESTS_FUZZ_NET_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "stack.h"

enum {
	NET_ADDR = 0x0a4d0002,	/* the stack, 10.77.0.2 */
	NET_PEER = 0x0a4d0001,	/* the tap, 10.77.0.1 */
	NET_FLOWS = 8,
	NET_LAST = 128,		/* bytes kept of the stack's last packet */
	NET_MAXPKT = 65535,
};

/* A TCP flow as the tap sees the stack's segments. */
struct flow {
	uint16_t lport, fport;	/* the stack's port, the tap's */
	uint32_t snd_nxt;	/* past the stack's last segment */
	uint32_t ack;		/* the stack's last ack: what it expects */
	uint32_t tsval;		/* its last timestamp, to echo */
};

struct net {
	struct link *l;
	struct stack *st;
	struct flow flows[NET_FLOWS];
	int nflows;
	uint16_t echo_id, echo_seq;	/* of the stack's last echo request */
	uint8_t last[NET_LAST];
	size_t lastlen;
	uint8_t pkt[NET_MAXPKT];	/* scratch for building and reading */
};

/* A stack (seeded, MTU 1500) at 10.77.0.2/24; the tap is 10.77.0.1. */
void net_init(struct net *n);
/* Put a packet on the wire from the tap and run the stack on it. */
void net_inject(struct net *n, const uint8_t *pkt, size_t len);
/* Let dt µs of virtual time pass. */
void net_advance(struct net *n, uint64_t dt);
/* Run what is due now (after an app call) and read what the stack sent. */
void net_settle(struct net *n);
/* Close every socket, let the protocols finish, abort if the stack still
 * holds anything (the memory accounting must come back to zero), free. */
void net_fini(struct net *n);

/* Build at n->pkt an IPv4 packet from the tap to the stack around the
 * len bytes of transport data already at n->pkt + IP_HLEN; returns its
 * length. */
size_t net_ip(struct net *n, uint8_t proto, size_t len);
/* The flow of the stack's port lport and the tap's fport, NULL if the
 * tap has not seen it. */
struct flow *net_flow(struct net *n, uint16_t lport, uint16_t fport);

#endif
