/*
 * IPv6 (RFC 8200): what arrives, with its extension headers walked,
 * routing, and output with fragmentation at the path MTU. A TUN has no
 * link layer, so there is no neighbour discovery (RFC 4861): a packet
 * for the link goes straight onto it, as IPv4's does without ARP. What
 * the stack sends to ::1 or to its own address goes through the loopback
 * interface (loopback.c), never to the link; ::1 from the link is dropped
 * (RFC 4291 2.5.3).
 */
#include <errno.h>
#include <string.h>

#include "icmp6.h"
#include "ip6.h"
#include "loopback.h"
#include "reasm.h"
#include "stack.h"

/* ---- routes: a short table, longest prefix wins ---- */

/* a & the first prefix bits */
static struct in6_addr masked(const struct in6_addr *a, int prefix)
{
	struct in6_addr m = { 0 };

	for (int i = 0; i < 16 && prefix > 0; i++, prefix -= 8)
		m.s6_addr[i] = a->s6_addr[i] & (uint8_t)(prefix >= 8 ? 0xff : 0xff << (8 - prefix));
	return m;
}

int route6_add(struct stack *st, const struct in6_addr *dst, int prefix,
	       const struct in6_addr *gw)
{
	if (prefix < 0 || prefix > 128)
		return -EINVAL;
	route6_del(st, dst, prefix);
	if (st->nroutes6 == STACK_MAX_ROUTES)
		return -ENOSPC;
	st->routes6[st->nroutes6++] = (struct route6){ masked(dst, prefix), prefix, *gw };
	return 0;
}

int route6_del(struct stack *st, const struct in6_addr *dst, int prefix)
{
	struct in6_addr d = masked(dst, prefix);

	for (int i = 0; i < st->nroutes6; i++) {
		struct route6 *r = &st->routes6[i];
		if (r->prefix == prefix && in6_eq(&r->dst, &d)) {
			*r = st->routes6[--st->nroutes6];
			return 0;
		}
	}
	return -ESRCH;
}

const struct route6 *route6_lookup(const struct stack *st, const struct in6_addr *dst)
{
	const struct route6 *best = NULL;

	for (int i = 0; i < st->nroutes6; i++) {
		const struct route6 *r = &st->routes6[i];
		struct in6_addr d = masked(dst, r->prefix);
		if (!in6_eq(&d, &r->dst))
			continue;
		if (best == NULL || r->prefix > best->prefix)
			best = r;
	}
	return best;
}

int ip6_route_ok(const struct stack *st, const struct in6_addr *dst)
{
	return ip6_is_local(st, dst) || (st->ip6_on && route6_lookup(st, dst)) ? 0 : -ENETUNREACH;
}

int ip6_is_local(const struct stack *st, const struct in6_addr *a)
{
	return st->ip6_on && (in6_eq(a, &st->addr6) || in6_is_loopback(a));
}

struct in6_addr ip6_source(const struct stack *st, const struct in6_addr *dst)
{
	return in6_is_loopback(dst) ? *dst : st->addr6;
}

/* ---- path MTU (RFC 8201): a few destinations, forgotten after 10 min ---- */

enum { PMTU_AGE_US = 600 * 1000000ULL };

int ip6_path_mtu(const struct stack *st, const struct in6_addr *dst)
{
	for (int i = 0; i < STACK_PMTU6; i++) {
		const struct pmtu6 *p = &st->pmtu6[i];
		if (p->mtu && p->expires > st->now && in6_eq(&p->dst, dst))
			return (int)p->mtu < st->mtu ? (int)p->mtu : st->mtu;
	}
	return st->mtu;
}

void ip6_pmtu_update(struct stack *st, const struct in6_addr *dst, uint32_t mtu)
{
	struct pmtu6 *slot = &st->pmtu6[0];

	if (mtu < IP6_MINMTU)
		mtu = IP6_MINMTU;	/* RFC 8201 4: never below the minimum */
	if (mtu >= (uint32_t)ip6_path_mtu(st, dst))
		return;
	for (int i = 0; i < STACK_PMTU6; i++) {
		struct pmtu6 *p = &st->pmtu6[i];
		if (p->mtu && in6_eq(&p->dst, dst)) {
			slot = p;
			break;
		}
		if (p->mtu == 0 || p->expires < slot->expires)
			slot = p;	/* free, or the oldest */
	}
	*slot = (struct pmtu6){ *dst, mtu, st->now + PMTU_AGE_US };
}

/* ---- input ---- */

/* Where the walk of a packet's headers is. */
struct walk {
	uint8_t nxt;		/* the next header to look at */
	size_t off;		/* where it starts */
	size_t nxt_at;		/* where nxt was read (a parameter problem points there) */
};

static void hdr_error(struct stack *st, const struct ippkt *ip, int code, size_t ptr)
{
	st->ip6s[IP6S_IN_HDR_ERRORS]++;
	st->ifs.ierrors++;
	if (code >= 0)
		icmp6_error(st, ip, ICMP6_PARAM_PROB, code, (uint32_t)ptr);
}

/* Options of a hop-by-hop or destination options header at w->off:
 * 0 to go on, -1 when the packet is dropped. */
static int options(struct stack *st, const struct ippkt *ip, size_t hlen, const struct walk *w)
{
	int icmp, at = ip6_opts_check(ip->hdr + w->off, hlen, &icmp);

	if (at == 0)
		return 0;
	if (at < 0)
		hdr_error(st, ip, ICMP6_PARAMPROB_HEADER, w->off + 1);
	else
		hdr_error(st, ip, icmp ? ICMP6_PARAMPROB_OPTION : -1, w->off + (size_t)at);
	return -1;
}

/*
 * One extension header at w->off (RFC 8200 4): step over it, or drop the
 * packet (-1), or hand it to reassembly (1). A routing header with
 * segments left asks us to forward, which a host does not: parameter
 * problem at its type (RFC 8200 4.4). Hop-by-hop is only allowed first.
 */
static int ext_header(struct stack *st, struct ippkt *ip, size_t end, struct walk *w)
{
	const uint8_t *p = ip->hdr + w->off;
	struct ip6ext e;

	if (w->nxt == IP6_NH_FRAGMENT) {
		struct ip6frag f;
		if (ip6_frag_parse(p, end - w->off, &f) < 0) {
			hdr_error(st, ip, ICMP6_PARAMPROB_HEADER, w->off);
			return -1;
		}
		if (f.off != 0 || f.more)
			return 1;
		w->nxt_at = w->off;	/* an atomic fragment (RFC 6946): just a header */
		w->nxt = f.nxt;
		w->off += IP6_FRAG_HLEN;
		return 0;
	}
	if (ip6_ext_parse(p, end - w->off, &e) < 0) {
		hdr_error(st, ip, ICMP6_PARAMPROB_HEADER, w->off + 1);
		return -1;
	}
	if (w->nxt == IP6_NH_HOPOPTS && w->off != IP6_HLEN) {
		hdr_error(st, ip, ICMP6_PARAMPROB_NEXTHEADER, w->nxt_at);
		return -1;
	}
	if ((w->nxt == IP6_NH_HOPOPTS || w->nxt == IP6_NH_DSTOPTS) &&
	    options(st, ip, e.len, w) < 0)
		return -1;
	if (w->nxt == IP6_NH_ROUTING && p[3] != 0) {
		hdr_error(st, ip, ICMP6_PARAMPROB_HEADER, w->off + 2);
		return -1;
	}
	w->nxt_at = w->off;
	w->nxt = e.nxt;
	w->off += e.len;
	return 0;
}

static int is_ext(uint8_t nxt)
{
	return nxt == IP6_NH_HOPOPTS || nxt == IP6_NH_ROUTING || nxt == IP6_NH_DSTOPTS ||
	       nxt == IP6_NH_FRAGMENT;
}

/* Hand the upper-layer payload at w->off to its transport. */
static void deliver(struct stack *st, struct ippkt *ip, size_t end, const struct walk *w)
{
	const struct proto *p;

	ip->proto = w->nxt;
	ip->hlen = w->off;
	ip->data = ip->hdr + w->off;
	ip->len = end - w->off;
	if (w->nxt == IP6_NH_NONE)
		return;
	if (w->nxt == IP6_NH_ICMP) {
		st->ip6s[IP6S_IN_DELIVERS]++;
		icmp6_input(st, ip);
		return;
	}
	p = stack_proto(w->nxt);
	if (p == NULL || p->input == NULL || w->nxt == IP_PROTO_ICMP) {
		st->ip6s[IP6S_IN_UNKNOWN_PROTO]++;
		icmp6_error(st, ip, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER,
			    (uint32_t)w->nxt_at);
		return;
	}
	st->ip6s[IP6S_IN_DELIVERS]++;
	p->input(st, ip);
}

static void walk(struct stack *st, struct ippkt *ip, size_t end, int reassembled);

/* The fragment whose header is at w->off goes to reassembly; a datagram
 * it completes is walked on from its fixed header (once: a fragment
 * inside a reassembled datagram is dropped). */
static void reassemble(struct stack *st, struct ippkt *ip, size_t end, const struct walk *w)
{
	struct ip6frag f;
	struct ippkt frag = *ip, whole;

	ip6_frag_parse(ip->hdr + w->off, end - w->off, &f);
	frag.proto = f.nxt;
	frag.data = ip->hdr + w->off + IP6_FRAG_HLEN;
	frag.len = end - w->off - IP6_FRAG_HLEN;
	if (reasm6_input(st, &frag, &f, &whole))
		walk(st, &whole, IP6_HLEN + whole.len, 1);
}

/* Walk the extension headers of a packet for us, then deliver it (or
 * give its fragment to reassembly, which delivers the whole). */
static void walk(struct stack *st, struct ippkt *ip, size_t end, int reassembled)
{
	struct walk w = { ip->proto, IP6_HLEN, 6 };

	while (is_ext(w.nxt)) {
		int r = ext_header(st, ip, end, &w);
		if (r < 0)
			return;
		if (r > 0 && reassembled) {
			st->ip6s[IP6S_IN_HDR_ERRORS]++;
			return;
		}
		if (r > 0) {
			reassemble(st, ip, end, &w);
			return;
		}
	}
	deliver(st, ip, end, &w);
}

static int is_multicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

/* A packet for us, its fixed header h checked: on through its extension
 * headers to its transport. */
static void take(struct stack *st, uint8_t *pkt, const struct ip6hdr *h, int csum_ok)
{
	struct ippkt ip = { .v6 = 1, .src6 = h->src, .dst6 = h->dst, .proto = h->nxt,
			    .ttl = h->hlim, .tos = h->tclass, .hdr = pkt, .hlen = IP6_HLEN,
			    .data = pkt + IP6_HLEN, .len = h->plen, .csum_ok = csum_ok };

	walk(st, &ip, IP6_HLEN + (size_t)h->plen, 0);
}

void ip6_input(struct stack *st, uint8_t *pkt, size_t len, int csum_ok)
{
	struct ip6hdr h;

	st->ip6s[IP6S_IN_RECEIVES]++;
	if (!st->ip6_on)
		return;
	if (ip6_parse_hdr(pkt, len, &h) != IP6V_OK) {
		st->ip6s[IP6S_IN_TRUNCATED]++;
		st->ifs.ierrors++;
		return;
	}
	/* A host on a point-to-point link receives only what a neighbour
	 * sent it with hop limit left; 0 means a sender that went past the
	 * end (counted, as IPv4's TTL 0). */
	if (h.hlim == 0) {
		st->ip6s[IP6S_IN_HDR_ERRORS]++;
		st->ifs.ierrors++;
		return;
	}
	if (is_multicast(&h.dst))	/* router solicitations, MLD: not ours */
		return;
	if (!ip6_is_local(st, &h.dst) || is_multicast(&h.src) || in6_is_loopback(&h.src) ||
	    in6_is_loopback(&h.dst)) {
		st->ip6s[IP6S_IN_ADDR_ERRORS]++;
		return;
	}
	take(st, pkt, &h, csum_ok);
}

int ip6_input_loopback(struct stack *st, uint8_t *pkt, size_t len)
{
	struct ip6hdr h;

	st->ip6s[IP6S_IN_RECEIVES]++;
	if (ip6_parse_hdr(pkt, len, &h) != IP6V_OK) {
		st->ip6s[IP6S_IN_TRUNCATED]++;
		return -1;
	}
	take(st, pkt, &h, 1);
	return 0;
}

/* ---- output ---- */

static struct ip6hdr header(const struct stack *st, const struct ipsend *how, size_t plen,
			    uint8_t nxt)
{
	return (struct ip6hdr){ .tclass = how->tos, .plen = (uint16_t)plen, .nxt = nxt,
				.hlim = how->ttl ? how->ttl : IP6_DEFHLIM,
				.src = in6_is_any(&how->src6) ? ip6_source(st, &how->dst6) : how->src6,
				.dst = how->dst6 };
}

/*
 * Fragments (RFC 8200 4.5) are built in place, as IPv4's: each piece's
 * headers are written over the tail of the one before, already sent. The
 * identification is a keyed hash of a counter and the destination, so
 * a host learns nothing of what we send elsewhere (RFC 7739).
 */
static void fragment(struct stack *st, const struct ipsend *how, size_t len, int mtu)
{
	size_t step = (size_t)(mtu - IP6_HLEN - IP6_FRAG_HLEN) & ~(size_t)7;
	uint8_t *payload = st->obuf + IP_HLEN;
	uint64_t d;
	struct ip6frag f = { .nxt = how->proto };

	__builtin_memcpy(&d, how->dst6.s6_addr + 8, 8);
	f.id = (uint32_t)stack_hash(st, HASH_IP_ID, d, ++st->frag6_count);
	st->ip6s[IP6S_FRAG_OKS]++;
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		uint8_t *h = payload + off - IP6_FRAG_HLEN - IP6_HLEN;
		struct ip6hdr hdr = header(st, how, IP6_FRAG_HLEN + n, IP6_NH_FRAGMENT);

		f.off = (uint16_t)off;
		f.more = off + n < len;
		ip6_emit(h, &hdr);
		ip6_frag_emit(h + IP6_HLEN, &f);
		st->ip6s[IP6S_FRAG_CREATES]++;
		ip_link_output(st, h, IP6_HLEN + IP6_FRAG_HLEN + n, 0, NULL);
	}
}

int ip6_output(struct stack *st, const struct ipsend *how, size_t len)
{
	uint8_t *h = st->obuf + IP_HLEN - IP6_HLEN;
	int mtu;

	st->ip6s[IP6S_OUT_REQUESTS]++;
	if (ip6_route_ok(st, &how->dst6) < 0) {
		st->ip6s[IP6S_OUT_NO_ROUTES]++;
		return -ENETUNREACH;
	}
	if (len > IP_MAXPACKET)
		return -EMSGSIZE;
	if (ip6_is_local(st, &how->dst6)) {	/* whole, never to the link */
		struct ip6hdr hdr = header(st, how, len, how->proto);
		ip_gather(st, how, len);
		ip6_emit(h, &hdr);
		loopback_output(st, h, IP6_HLEN + len);
		return 0;
	}
	mtu = ip6_path_mtu(st, &how->dst6);
	if (IP6_HLEN + len <= (size_t)mtu || how->gso) {
		struct ip6hdr hdr = header(st, how, len, how->proto);
		ip6_emit(h, &hdr);
		ip_link_output(st, h, IP6_HLEN + len, how->gso, how);
		return 0;
	}
	ip_gather(st, how, len);
	fragment(st, how, len, mtu);
	return 0;
}
