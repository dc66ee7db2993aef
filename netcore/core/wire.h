/*
 * The wire: each header's layout, its parse and its emit, in one place
 * per protocol (wire_ip.c, wire_tcp.c, wire_udp.c, wire_icmp.c) and the
 * Internet checksum (cksum.c). Nothing here knows a stack, a socket or a
 * connection: a parse reads bytes into a struct in host byte order, an
 * emit writes such a struct back as bytes, and test_wire.c checks that
 * the two agree to the byte. (As smoltcp's src/wire.)
 */
#ifndef NETCORE_WIRE_H
#define NETCORE_WIRE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* ---- byte order ---- */

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

/* ---- the Internet checksum (RFC 1071), cksum.c ---- */

/* cksum_add folds len bytes into a running 32-bit sum; cksum_fold
 * finishes it into the 16-bit complement, ready for put16(). */
uint32_t cksum_add(uint32_t sum, const void *data, size_t len);
uint16_t cksum_fold(uint32_t sum);
static inline uint16_t cksum(const void *data, size_t len)
{
	return cksum_fold(cksum_add(0, data, len));
}
/* The sum folded but not complemented, ready for put16(): what a checksum
 * field holds for a link that finishes the checksum (a partial one). */
uint16_t cksum_partial(uint32_t sum);
/* Sum of the pseudo-header for TCP/UDP checksums. */
uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len);
/* The same for IPv6 (RFC 8200 8.1): both addresses, the upper-layer
 * length (32 bits) and next header; also ICMPv6's. */
uint32_t cksum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t proto,
		       size_t len);

/* ---- IPv4 (RFC 791), wire_ip.c ---- */

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

/* A received packet, validated, fields in host byte order. An IPv6 one
 * (v6) has its addresses in src6/dst6 (src, dst 0), proto the upper-layer
 * next header, ttl the hop limit, tos the traffic class, hlen the fixed
 * header and every extension header, frag 0. */
struct ippkt {
	uint32_t src, dst;
	uint8_t proto, ttl, tos;
	uint8_t v6;
	struct in6_addr src6, dst6;
	uint16_t id, frag;	/* identification; flags and fragment offset */
	uint8_t *hdr;		/* the IP header */
	size_t hlen;
	uint8_t *data;		/* the payload */
	size_t len;
	int csum_ok;		/* the link vouched for the transport checksum */
};

/* Validate and parse; 0 on success, or a negative reason counted by the
 * caller (IPV_SHORT …). Options are skipped; the destination is not
 * looked at. */
enum { IPV_OK = 0, IPV_SHORT = -1, IPV_VERSION = -2, IPV_HLEN = -3,
       IPV_CKSUM = -4, IPV_LEN = -5 };
int ip_parse(uint8_t *pkt, size_t len, struct ippkt *ip);

/* An IPv4 header as we send it: no options. */
struct iphdr {
	uint8_t tos, ttl, proto;
	uint16_t total;		/* header and payload, bytes */
	uint16_t id, frag;
	uint32_t src, dst;
};
/* Write hdr at h (IP_HLEN bytes), header checksum included. */
void ip_emit(uint8_t *h, const struct iphdr *hdr);

/* The pseudo-header sum of ip's transport payload of len bytes. */
uint32_t cksum_pseudo_pkt(const struct ippkt *ip, uint8_t proto, size_t len);

/* ---- IPv6 (RFC 8200), wire_ip6.c ---- */

enum {
	IP6_HLEN = 40,
	IP6_MINMTU = 1280,	/* every link carries this much */
	IP6_DEFHLIM = 64,
	IP6_FRAG_HLEN = 8,
	/* next header values */
	IP6_NH_HOPOPTS = 0, IP6_NH_ROUTING = 43, IP6_NH_FRAGMENT = 44,
	IP6_NH_ICMP = 58, IP6_NH_NONE = 59, IP6_NH_DSTOPTS = 60,
};

/* The fixed header. */
struct ip6hdr {
	uint8_t tclass;
	uint32_t flow;		/* 20 bits */
	uint16_t plen;		/* payload length: everything after the fixed header */
	uint8_t nxt, hlim;
	struct in6_addr src, dst;
};
/* 0 and *h from the fixed header at pkt (len bytes received), or
 * IP6V_SHORT (under 40 bytes, or fewer than the payload length says),
 * IP6V_VERSION. */
enum { IP6V_OK = 0, IP6V_SHORT = -1, IP6V_VERSION = -2 };
int ip6_parse_hdr(const uint8_t *pkt, size_t len, struct ip6hdr *h);
void ip6_emit(uint8_t *p, const struct ip6hdr *h);

/* An extension header of the kinds that share the layout next header,
 * length in 8-byte units past the first 8 (hop-by-hop, routing,
 * destination options): its next header and whole length; -1 when it
 * does not fit in len bytes. */
struct ip6ext {
	uint8_t nxt;
	size_t len;
};
int ip6_ext_parse(const uint8_t *p, size_t len, struct ip6ext *e);
/* Options (hop-by-hop, destination) in the body of such a header: 0 when
 * each is known or may be skipped, else the offset (from the header's
 * start) of the first option the action bits say to reject, with *icmp
 * set when RFC 8200 4.2 says to answer with a parameter problem. -2 when
 * an option overruns the header. */
int ip6_opts_check(const uint8_t *p, size_t len, int *icmp);

/* The fragment header (RFC 8200 4.5). */
struct ip6frag {
	uint8_t nxt;
	uint16_t off;		/* bytes, a multiple of 8 */
	int more;
	uint32_t id;
};
int ip6_frag_parse(const uint8_t *p, size_t len, struct ip6frag *f);
void ip6_frag_emit(uint8_t *p, const struct ip6frag *f);

/* ---- ICMPv6 (RFC 4443), wire_ip6.c ---- */

enum {
	ICMP6_HLEN = 8,
	ICMP6_DST_UNREACH = 1, ICMP6_PACKET_TOO_BIG = 2, ICMP6_TIME_EXCEEDED = 3,
	ICMP6_PARAM_PROB = 4, ICMP6_ECHO_REQUEST = 128, ICMP6_ECHO_REPLY = 129,
	/* codes of ICMP6_DST_UNREACH */
	ICMP6_DST_UNREACH_NOROUTE = 0, ICMP6_DST_UNREACH_ADMIN = 1,
	ICMP6_DST_UNREACH_BEYONDSCOPE = 2, ICMP6_DST_UNREACH_ADDR = 3,
	ICMP6_DST_UNREACH_NOPORT = 4, ICMP6_DST_UNREACH_POLICY = 5,
	ICMP6_DST_UNREACH_REJECT = 6,
	/* codes of ICMP6_TIME_EXCEEDED */
	ICMP6_TIME_EXCEED_TRANSIT = 0, ICMP6_TIME_EXCEED_REASM = 1,
	/* codes of ICMP6_PARAM_PROB */
	ICMP6_PARAMPROB_HEADER = 0, ICMP6_PARAMPROB_NEXTHEADER = 1,
	ICMP6_PARAMPROB_OPTION = 2,
};

/* The fixed part: type, code and the second word (echo: id and seq;
 * packet too big: the MTU; parameter problem: the pointer). */
struct icmp6hdr {
	uint8_t type, code;
	uint32_t word;
};
/* 0 and *h from the len-byte message at m sent from src to dst, or -1
 * when it is too short or its checksum is wrong. */
int icmp6_parse(const uint8_t *m, size_t len, const struct in6_addr *src,
		const struct in6_addr *dst, struct icmp6hdr *h);
/* Write h at m, before the body already there, and the checksum. */
void icmp6_emit(uint8_t *m, size_t len, const struct icmp6hdr *h, const struct in6_addr *src,
		const struct in6_addr *dst);

/* ---- TCP (RFC 9293, 7323, 2018), wire_tcp.c ---- */

enum {
	TCP_HLEN = 20,
	TCP_MAXHLEN = 60,	/* header with the most options */
	TCP_MAXOPT = 40,
	TCP_SACK_MAX = 4,	/* SACK blocks in one segment */

	/* header flags */
	SEG_FIN = 0x01, SEG_SYN = 0x02, SEG_RST = 0x04, SEG_PSH = 0x08,
	SEG_ACK = 0x10, SEG_URG = 0x20,

	/* options */
	OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3,
	OPT_SACK_PERM = 4, OPT_SACK = 5, OPT_TS = 8,
	OPT_TS_LEN = 12,	/* the timestamps option as we send it: NOP NOP TS */
	TCP_WSCALE_MAX = 14,	/* a larger shift is taken as 14 (RFC 7323 2.3) */
};

/* A sequence range [start, end). */
struct seqrange {
	uint32_t start, end;
};

/* A segment's header, host byte order: what tcp_parse reads and
 * tcp_emit writes. */
struct seg {
	uint32_t src, dst;	/* from the IP header; not emitted */
	uint8_t v6;		/* IPv6: the addresses are src6, dst6 */
	struct in6_addr src6, dst6;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t wnd;		/* as sent, not yet scaled */
	const uint8_t *data;	/* parse: the payload */
	uint32_t len;		/* parse: payload bytes */
	/* options */
	uint16_t mss;		/* 0: absent */
	int8_t wscale;		/* -1: absent */
	uint8_t sack_perm, has_ts, nsack;
	uint32_t tsval, tsecr;
	struct seqrange sack[TCP_SACK_MAX];
};

/* 0 and *s filled from the TCP segment in ip (its checksum checked
 * unless the link vouched for it), -1 for a malformed segment,
 * TCP_BAD_CKSUM for a wrong checksum. An option that does not parse ends
 * the options, not the segment. */
enum { TCP_BAD_CKSUM = -2 };
int tcp_parse(const struct ippkt *ip, struct seg *s);
/* Write the header of s at h: the fixed part, then its options in the
 * order MSS, timestamps, window scale, SACK permitted, SACK blocks (as
 * Linux lays them out), padded with EOL to a multiple of 4, checksum 0.
 * Returns the header length. */
size_t tcp_emit(uint8_t *h, const struct seg *s);
/* A segment without options: its wscale says so. */
static inline void tcp_no_options(struct seg *s)
{
	s->mss = 0;
	s->wscale = -1;
	s->sack_perm = s->has_ts = s->nsack = 0;
}
/* Fill the checksum of the len-byte segment at h, sent from src to dst. */
void tcp_cksum_set(uint8_t *h, uint32_t src, uint32_t dst, size_t len);
/* The same, given the pseudo-header's sum (cksum_pseudo, cksum_pseudo6). */
void tcp_cksum_fill(uint8_t *h, uint32_t pseudo, size_t len);
/* Only the pseudo-header's part, for a link that finishes the checksum
 * over the segment (stack_config's csum_offload). */
void tcp_cksum_partial(uint8_t *h, uint32_t pseudo);

/* ---- UDP (RFC 768), wire_udp.c ---- */

enum { UDP_HLEN = 8 };

struct udphdr {
	uint16_t sport, dport;
	uint16_t len;		/* header and payload, bytes */
	uint16_t cksum;		/* parse: as sent, 0 meaning none */
};

/* 0 and *u filled from the datagram in ip, UDP_BAD_LEN when the length
 * field does not fit the packet, UDP_BAD_CKSUM when the checksum (if
 * any, and the link did not vouch for it) is wrong. */
enum { UDP_OK = 0, UDP_BAD_LEN = -1, UDP_BAD_CKSUM = -2 };
int udp_parse(const struct ippkt *ip, struct udphdr *u);
/* Write the header of a datagram whose payload already stands at
 * h + UDP_HLEN, sent from src to dst; the checksum is computed (u->cksum
 * is not looked at). */
void udp_emit(uint8_t *h, const struct udphdr *u, uint32_t src, uint32_t dst);
/* The same, given the pseudo-header's sum (cksum_pseudo6 for IPv6). */
void udp_emit_sum(uint8_t *h, const struct udphdr *u, uint32_t pseudo);

/* ---- ICMP (RFC 792), wire_icmp.c ---- */

enum {
	ICMP_HLEN = 8,

	ICMP_ECHOREPLY = 0,
	ICMP_UNREACH = 3,
	ICMP_ECHO = 8,
	ICMP_TIMXCEED = 11,
	ICMP_PARAMPROB = 12,

	/* codes of ICMP_UNREACH */
	ICMP_UNREACH_NET = 0, ICMP_UNREACH_HOST = 1, ICMP_UNREACH_PROTOCOL = 2,
	ICMP_UNREACH_PORT = 3, ICMP_UNREACH_NEEDFRAG = 4, ICMP_UNREACH_SRCFAIL = 5,
	ICMP_UNREACH_NET_UNKNOWN = 6, ICMP_UNREACH_HOST_UNKNOWN = 7,
	ICMP_UNREACH_ISOLATED = 8, ICMP_UNREACH_NET_PROHIB = 9,
	ICMP_UNREACH_HOST_PROHIB = 10, ICMP_UNREACH_TOSNET = 11,
	ICMP_UNREACH_TOSHOST = 12, ICMP_UNREACH_FILTER_PROHIB = 13,
	ICMP_UNREACH_HOST_PRECEDENCE = 14, ICMP_UNREACH_PRECEDENCE_CUTOFF = 15,

	/* codes of ICMP_TIMXCEED */
	ICMP_TIMXCEED_INTRANS = 0, ICMP_TIMXCEED_REASS = 1,
};

/* The fixed part of an ICMP message. id and seq are its second word as
 * echo messages use it; an error we send has them 0. */
struct icmphdr {
	uint8_t type, code;
	uint16_t id, seq;
};

/* 0 and *h filled from the len-byte message at m, or -1 when it is too
 * short or its checksum is wrong. */
int icmp_parse(const uint8_t *m, size_t len, struct icmphdr *h);
/* Write h at m, before the len - ICMP_HLEN bytes of body already there,
 * and the checksum over all len bytes. */
void icmp_emit(uint8_t *m, size_t len, const struct icmphdr *h);

#endif
