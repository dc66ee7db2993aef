/*
 * IPv4 (RFC 791, RFC 1122): the checksum, validation of what arrives,
 * routing and header building (with fragmentation) for what leaves, and
 * the dispatch of datagrams to their transport.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "reasm.h"
#include "stack.h"

/* ---- the Internet checksum (RFC 1071) ----
 *
 * Words are summed in memory order into a wide accumulator; the ones'
 * complement sum does not care about byte order until the end, where
 * cksum_fold turns it into a host number ready for put16(). Only the last
 * piece of a chained sum may have an odd length.
 */
/* The 8 bytes at p as the sum of their two 32-bit halves (33 bits). */
static uint64_t halves(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return (w & 0xffffffff) + (w >> 32);
}

uint32_t cksum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum, a[4] = { 0, 0, 0, 0 };
	uint32_t w;

	/* 32 bytes a step into four independent sums, so the additions
	 * overlap; 64-bit sums of 33-bit values cannot overflow within any
	 * IP packet. */
	for (; len >= 32; p += 32, len -= 32)
		for (int i = 0; i < 4; i++)
			a[i] += halves(p + 8 * i);
	acc += a[0] + a[1] + a[2] + a[3];
	for (; len >= 8; p += 8, len -= 8)
		acc += halves(p);
	if (len >= 4) {
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t h = 0;
		memcpy(&h, p, 1);
		acc += h;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ntohs((uint16_t)~sum);
}

uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint8_t ph[12];

	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)len);
	return cksum_add(0, ph, sizeof ph);
}

/* ---- routes: a short table, longest prefix wins ---- */

int route_add(struct stack *st, uint32_t dst, int prefix, uint32_t gw)
{
	uint32_t mask = prefix_mask(prefix);

	if (prefix < 0 || prefix > 32)
		return -EINVAL;
	route_del(st, dst, prefix);
	if (st->nroutes == STACK_MAX_ROUTES)
		return -ENOSPC;
	st->routes[st->nroutes++] = (struct route){ dst & mask, prefix, gw };
	return 0;
}

int route_del(struct stack *st, uint32_t dst, int prefix)
{
	uint32_t mask = prefix_mask(prefix);

	for (int i = 0; i < st->nroutes; i++) {
		struct route *r = &st->routes[i];
		if (r->prefix == prefix && r->dst == (dst & mask)) {
			*r = st->routes[--st->nroutes];
			return 0;
		}
	}
	return -ESRCH;
}

const struct route *route_lookup(const struct stack *st, uint32_t dst)
{
	const struct route *best = NULL;

	for (int i = 0; i < st->nroutes; i++) {
		const struct route *r = &st->routes[i];
		if ((dst & prefix_mask(r->prefix)) != r->dst)
			continue;
		if (best == NULL || r->prefix > best->prefix)
			best = r;
	}
	return best;
}

int ip_route_ok(const struct stack *st, uint32_t dst)
{
	return route_lookup(st, dst) ? 0 : -ENETUNREACH;
}

int ip_is_local(const struct stack *st, uint32_t a)
{
	return a == st->addr;
}

/* ---- input ---- */

int ip_parse(uint8_t *pkt, size_t len, struct ippkt *ip)
{
	size_t hlen, total;

	if (len < IP_HLEN)
		return IPV_SHORT;
	if (pkt[0] >> 4 != 4)
		return IPV_VERSION;
	hlen = (size_t)(pkt[0] & 0xf) * 4;
	if (hlen < IP_HLEN || hlen > len)
		return IPV_HLEN;
	if (cksum(pkt, hlen) != 0)
		return IPV_CKSUM;
	total = get16(pkt + 2);
	if (total < hlen || total > len)
		return IPV_LEN;

	/* Options, if any, are skipped: nothing we do depends on them. */
	ip->hdr = pkt;
	ip->hlen = hlen;
	ip->tos = pkt[1];
	ip->ttl = pkt[8];
	ip->proto = pkt[9];
	ip->src = get32(pkt + 12);
	ip->dst = get32(pkt + 16);
	ip->data = pkt + hlen;
	ip->len = total - hlen;
	ip->csum_ok = 0;
	return IPV_OK;
}

static int for_us(const struct stack *st, uint32_t dst)
{
	return dst == st->addr || dst == 0xffffffffu ||
	       (st->prefix < 31 && dst == (st->addr | ~st->mask));
}

static void count_bad(struct stack *st, int why)
{
	uint64_t *c = why == IPV_SHORT ? &st->ips.in_short :
		      why == IPV_VERSION ? &st->ips.in_version :
		      why == IPV_HLEN ? &st->ips.in_hlen :
		      why == IPV_CKSUM ? &st->ips.in_cksum : &st->ips.in_len;
	(*c)++;
	st->ifs.ierrors++;
}

void ip_input(struct stack *st, uint8_t *pkt, size_t len, int csum_ok)
{
	struct ippkt ip;
	int why;

	st->ips.in_receives++;
	why = ip_parse(pkt, len, &ip);
	if (why != IPV_OK) {
		count_bad(st, why);
		return;
	}
	ip.csum_ok = csum_ok;
	if (ip.ttl == 0) {
		/* never legitimate on a link (RFC 1122 3.2.1.7) */
		st->ips.in_ttl++;
		st->ifs.ierrors++;
		return;
	}
	if (!for_us(st, ip.dst)) {
		st->ips.in_addr_errors++;
		return;
	}
	if (get16(pkt + 6) & (IP_MF | IP_OFFMASK)) {
		struct ippkt whole;
		if (reasm_input(st, &ip, &whole))
			ip_deliver(st, &whole);
		return;
	}
	ip_deliver(st, &ip);
}

/* ---- output ---- */

static void put_header(struct stack *st, uint8_t *h, const struct ipsend *how,
		       size_t total, uint16_t id, uint16_t frag)
{
	h[0] = 0x45;
	h[1] = how->tos;
	put16(h + 2, (uint16_t)total);
	put16(h + 4, id);
	put16(h + 6, frag);
	h[8] = how->ttl ? how->ttl : IP_DEFTTL;
	h[9] = how->proto;
	put16(h + 10, 0);
	put32(h + 12, how->src ? how->src : st->addr);
	put32(h + 16, how->dst);
	put16(h + 10, cksum(h, IP_HLEN));
}

static void emit(struct stack *st, const uint8_t *pkt, size_t len, unsigned gso)
{
	st->ifs.opackets++;
	st->ifs.obytes += len;
	st->output(st->output_arg, pkt, len, gso);
}

/*
 * Fragments are built in place: the header of each fragment is written
 * over the tail of the previous one, which has already gone out.
 */
static void fragment(struct stack *st, const struct ipsend *how, size_t len, uint16_t id)
{
	size_t step = (size_t)(st->mtu - IP_HLEN) & ~(size_t)7;

	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		uint16_t frag = (uint16_t)(off / 8) | (off + n < len ? IP_MF : 0);
		uint8_t *h = st->obuf + off;

		put_header(st, h, how, IP_HLEN + n, id, frag);
		emit(st, h, IP_HLEN + n, 0);
	}
}

int ip_output(struct stack *st, const struct ipsend *how, size_t len)
{
	uint16_t id = st->ip_id++;

	st->ips.out_requests++;
	if (route_lookup(st, how->dst) == NULL) {
		st->ips.out_no_routes++;
		return -ENETUNREACH;
	}
	if (IP_HLEN + len > IP_MAXPACKET)
		return -EMSGSIZE;
	if (IP_HLEN + len <= (size_t)st->mtu || how->gso) {
		put_header(st, st->obuf, how, IP_HLEN + len, id, how->df ? IP_DF : 0);
		emit(st, st->obuf, IP_HLEN + len, how->gso);
		return 0;
	}
	if (how->df) {
		st->ips.frag_needed++;
		return -EMSGSIZE;
	}
	fragment(st, how, len, id);
	return 0;
}

/* ---- delivery to the transports ---- */

void ip_deliver(struct stack *st, struct ippkt *ip)
{
	const struct proto *p = stack_proto(ip->proto);

	if (p == NULL || p->input == NULL) {
		st->ips.in_unknown_proto++;
		icmp_unreach(st, ip, ICMP_UNREACH_PROTOCOL);
		return;
	}
	st->ips.in_delivers++;
	p->input(st, ip);
}
