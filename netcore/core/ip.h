/*
 * IPv4: input, routing, output with fragmentation, and the dispatch to
 * ICMP, UDP and TCP. The header itself is wire.h's.
 */
#ifndef NETCORE_IP_H
#define NETCORE_IP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "wire.h"

struct stack;

/* How a packet is sent. v6: to dst6 from src6 (:: the stack's address),
 * ttl the hop limit, tos the traffic class; src, dst and df unused. */
struct ipsend {
	uint32_t src, dst;	/* src 0: the stack's address */
	uint8_t proto, ttl, tos;	/* ttl 0: IP_DEFTTL */
	int df;
	unsigned gso;		/* TCP super-packet of segments this big, or 0 */
	int v6;
	struct in6_addr src6, dst6;
	/* The payload's last bytes left in pieces elsewhere (a TCP payload in
	 * its send buffer, stack_output_iov_fn); len counts them, and they
	 * are copied behind the rest where a path needs the packet whole. */
	const struct iovec *tail;
	int ntail;
};

enum { IPSEND_TAIL_MAX = 8 };

/* The stack's input path for one packet (after the driver); csum_ok:
 * the link vouches for the transport checksum. */
void ip_input(struct stack *st, uint8_t *pkt, size_t len, int csum_ok);
/* Deliver a whole (reassembled if need be) datagram to its transport. */
void ip_deliver(struct stack *st, struct ippkt *ip);

/* Send a transport payload of len bytes that the caller wrote at
 * st->obuf + IP_HLEN (IPv6 too: ip6_output). Routes it, builds the header, fragments it if it
 * exceeds the MTU and df is off. 0, or a negative errno (-ENETUNREACH when
 * no route, -EMSGSIZE when too big with DF). */
int ip_output(struct stack *st, const struct ipsend *how, size_t len);
/* ip_output and ip6_output's last step: the packet (len bytes at pkt, how's
 * tail included; how NULL: none) to the link. */
void ip_link_output(struct stack *st, const uint8_t *pkt, size_t len, unsigned gso,
		    const struct ipsend *how);
/* Copy how's tail behind the rest of the len-byte payload at
 * st->obuf + IP_HLEN: the packet whole, for loopback and fragments. */
void ip_gather(struct stack *st, const struct ipsend *how, size_t len);
/* Whether dst is reachable through the table (0) or -ENETUNREACH. */
int ip_route_ok(const struct stack *st, uint32_t dst);
/* Is a one of the stack's own addresses (127.0.0.0/8 included)? What
 * goes to one of them takes the loopback interface (loopback.h). */
int ip_is_local(const struct stack *st, uint32_t a);
/* The source address of what the stack sends to dst when the socket
 * chose none: 127.0.0.1 towards the loopback net, else its address. */
uint32_t ip_source(const struct stack *st, uint32_t dst);

#endif
