/*
 * IPv6: input with the extension headers walked, routing, output with
 * fragmentation at the path MTU, and the dispatch to ICMPv6, UDP and
 * TCP. The headers themselves are wire.h's.
 */
#ifndef NETCORE_IP6_H
#define NETCORE_IP6_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"
#include "wire.h"

struct stack;

/* One IPv6 packet from the link (ip_input hands over version 6). */
void ip6_input(struct stack *st, uint8_t *pkt, size_t len, int csum_ok);
/* One IPv6 packet from the loopback interface (whole, checksums vouched
 * for); -1 if its header is malformed. */
int ip6_input_loopback(struct stack *st, uint8_t *pkt, size_t len);
/* Send a transport payload of len bytes the caller wrote at
 * st->obuf + IP_HLEN (the v6 header goes in the headroom before it),
 * as how says (how->v6). Fragments it past the path MTU. 0, or
 * -ENETUNREACH (no route), -EMSGSIZE. */
int ip6_output(struct stack *st, const struct ipsend *how, size_t len);
/* The path MTU towards dst (RFC 8201): the link's, or less once a packet
 * too big said so. */
int ip6_path_mtu(const struct stack *st, const struct in6_addr *dst);
/* A packet too big said mtu for dst: remember it (never under 1280). */
void ip6_pmtu_update(struct stack *st, const struct in6_addr *dst, uint32_t mtu);
/* Whether dst is reachable through the table (0) or -ENETUNREACH. */
int ip6_route_ok(const struct stack *st, const struct in6_addr *dst);
/* Is a the stack's own IPv6 address, or ::1? */
int ip6_is_local(const struct stack *st, const struct in6_addr *a);
/* The source address for a packet to dst: ::1 to ::1, else the stack's. */
struct in6_addr ip6_source(const struct stack *st, const struct in6_addr *dst);

/* Addresses (no memcmp: the core calls only the memory copies). */
static inline int in6_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	uint64_t x[2], y[2];

	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}
static inline int in6_is_any(const struct in6_addr *a)
{
	return in6_eq(a, &(struct in6_addr){ 0 });
}
/* ::1, the loopback address (RFC 4291 2.5.3). */
static inline int in6_is_loopback(const struct in6_addr *a)
{
	return in6_eq(a, &(struct in6_addr){ .s6_addr = { [15] = 1 } });
}
/* ::ffff:a.b.c.d, and back (host-order v4 address). */
static inline int in6_is_v4mapped(const struct in6_addr *a)
{
	return get32(a->s6_addr) == 0 && get32(a->s6_addr + 4) == 0 &&
	       get32(a->s6_addr + 8) == 0xffff;
}
static inline uint32_t in6_v4(const struct in6_addr *a)
{
	return get32(a->s6_addr + 12);
}
static inline void in6_set_v4mapped(struct in6_addr *a, uint32_t v4)
{
	__builtin_memset(a, 0, 10);
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	put32(a->s6_addr + 12, v4);
}

/* A packet's source as an IPv6 address (IPv4 mapped). */
static inline struct in6_addr ippkt_src6(const struct ippkt *ip)
{
	struct in6_addr a = ip->src6;

	if (!ip->v6)
		in6_set_v4mapped(&a, ip->src);
	return a;
}

#endif
