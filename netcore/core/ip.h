/*
 * IPv4: validation on input, header building on output, the Internet
 * checksum, and the dispatch to ICMP, UDP and TCP.
 */
#ifndef NETCORE_IP_H
#define NETCORE_IP_H

#include <stddef.h>
#include <stdint.h>

struct stack;

enum {
	IP_HLEN = 20,		/* header without options: what we send */
	IP_MAXPACKET = 65535,
	IP_DEFTTL = 64,
	IP_PROTO_ICMP = 1,
	IP_PROTO_TCP = 6,
	IP_PROTO_UDP = 17,
	IP_DF = 0x4000,
	IP_MF = 0x2000,
	IP_OFFMASK = 0x1fff,
};

/* A received packet, validated, fields in host byte order. */
struct ippkt {
	uint32_t src, dst;
	uint8_t proto, ttl, tos;
	uint8_t *hdr;		/* the IP header */
	size_t hlen;
	uint8_t *data;		/* the payload */
	size_t len;
	int csum_ok;		/* the link vouched for the transport checksum */
};

/* How a packet is sent. */
struct ipsend {
	uint32_t src, dst;	/* src 0: the stack's address */
	uint8_t proto, ttl, tos;	/* ttl 0: IP_DEFTTL */
	int df;
	unsigned gso;		/* TCP super-packet of segments this big, or 0 */
};

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16 & 0xff; p[2] = v >> 8 & 0xff; p[3] = v & 0xff;
}

/* Internet checksum (RFC 1071). cksum_add folds len bytes into a running
 * 32-bit sum; cksum_fold finishes it into the 16-bit complement. */
uint32_t cksum_add(uint32_t sum, const void *data, size_t len);
uint16_t cksum_fold(uint32_t sum);
static inline uint16_t cksum(const void *data, size_t len)
{
	return cksum_fold(cksum_add(0, data, len));
}
/* Sum of the pseudo-header for TCP/UDP checksums. */
uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len);

/* Validate and parse; 0 on success, or a negative reason counted by the
 * caller (IPV_SHORT …). Does not look at the destination. */
enum { IPV_OK = 0, IPV_SHORT = -1, IPV_VERSION = -2, IPV_HLEN = -3,
       IPV_CKSUM = -4, IPV_LEN = -5 };
int ip_parse(uint8_t *pkt, size_t len, struct ippkt *ip);

/* The stack's input path for one packet (after the driver); csum_ok:
 * the link vouches for the transport checksum. */
void ip_input(struct stack *st, uint8_t *pkt, size_t len, int csum_ok);
/* Deliver a whole (reassembled if need be) datagram to its transport. */
void ip_deliver(struct stack *st, struct ippkt *ip);

/* Send a transport payload of len bytes that the caller wrote at
 * st->obuf + IP_HLEN. Routes it, builds the header, fragments it if it
 * exceeds the MTU and df is off. 0, or a negative errno (-ENETUNREACH when
 * no route, -EMSGSIZE when too big with DF). */
int ip_output(struct stack *st, const struct ipsend *how, size_t len);
/* Whether dst is reachable through the table (0) or -ENETUNREACH. */
int ip_route_ok(const struct stack *st, uint32_t dst);
/* Is a one of the stack's own addresses? */
int ip_is_local(const struct stack *st, uint32_t a);

#endif
