/*
 * IPv4 (RFC 791, RFC 1122): what arrives (after wire_ip.c's validation),
 * routing and fragmentation for what leaves, and the dispatch of
 * datagrams to their transport.
 */
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "ip6.h"
#include "reasm.h"
#include "stack.h"

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

static int for_us(const struct stack *st, uint32_t dst)
{
	return dst == st->addr || dst == 0xffffffffu ||
	       (st->prefix < 31 && dst == (st->addr | ~st->mask));
}

static void count_bad(struct stack *st, int why)
{
	uint64_t *c = why == IPV_SHORT ? &st->ips[IPS_IN_SHORT] :
		      why == IPV_VERSION ? &st->ips[IPS_IN_VERSION] :
		      why == IPV_HLEN ? &st->ips[IPS_IN_HLEN] :
		      why == IPV_CKSUM ? &st->ips[IPS_IN_CKSUM] : &st->ips[IPS_IN_LEN];
	(*c)++;
	st->ifs.ierrors++;
}

void ip_input(struct stack *st, uint8_t *pkt, size_t len, int csum_ok)
{
	struct ippkt ip;
	int why;

	st->ips[IPS_IN_RECEIVES]++;
	why = ip_parse(pkt, len, &ip);
	if (why != IPV_OK) {
		count_bad(st, why);
		return;
	}
	ip.csum_ok = csum_ok;
	if (ip.ttl == 0) {
		/* never legitimate on a link (RFC 1122 3.2.1.7) */
		st->ips[IPS_IN_TTL]++;
		st->ifs.ierrors++;
		return;
	}
	if (!for_us(st, ip.dst)) {
		st->ips[IPS_IN_ADDR_ERRORS]++;
		return;
	}
	if (ip.frag & (IP_MF | IP_OFFMASK)) {
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
	ip_emit(h, &(struct iphdr){ .tos = how->tos, .ttl = how->ttl ? how->ttl : IP_DEFTTL,
				    .proto = how->proto, .total = (uint16_t)total, .id = id,
				    .frag = frag, .src = how->src ? how->src : st->addr,
				    .dst = how->dst });
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

/*
 * The IP ID (RFC 6864, RFC 7739 §5.2): a counter per bucket of
 * (source, destination, protocol), added to a secret offset of that
 * triple. A host sees its own IDs step by one, and learns nothing from
 * them of what the stack sends elsewhere (no idle scan, no counting of
 * another host's traffic). A super-packet takes one ID per segment the
 * link cuts from it, as the segments get consecutive IDs.
 */
static uint16_t next_id(struct stack *st, const struct ipsend *how, size_t len)
{
	uint32_t src = how->src ? how->src : st->addr;
	uint64_t h = stack_hash(st, HASH_IP_ID, (uint64_t)src << 32 | how->dst, how->proto);
	uint16_t *count = &st->ip_id[(h >> 16) % (sizeof st->ip_id / sizeof st->ip_id[0])];
	uint16_t id = (uint16_t)(h + *count);

	/* at least as many as the segments: the header is less than gso */
	*count = (uint16_t)(*count + (how->gso ? (len + how->gso - 1) / how->gso : 1));
	return id;
}

int ip_output(struct stack *st, const struct ipsend *how, size_t len)
{
	uint16_t id;

	if (how->v6)
		return ip6_output(st, how, len);
	st->ips[IPS_OUT_REQUESTS]++;
	if (route_lookup(st, how->dst) == NULL) {
		st->ips[IPS_OUT_NO_ROUTES]++;
		return -ENETUNREACH;
	}
	if (IP_HLEN + len > IP_MAXPACKET)
		return -EMSGSIZE;
	id = next_id(st, how, len);
	if (IP_HLEN + len <= (size_t)st->mtu || how->gso) {
		put_header(st, st->obuf, how, IP_HLEN + len, id, how->df ? IP_DF : 0);
		emit(st, st->obuf, IP_HLEN + len, how->gso);
		return 0;
	}
	if (how->df) {
		st->ips[IPS_FRAG_NEEDED]++;
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
		st->ips[IPS_IN_UNKNOWN_PROTO]++;
		icmp_unreach(st, ip, ICMP_UNREACH_PROTOCOL);
		return;
	}
	st->ips[IPS_IN_DELIVERS]++;
	p->input(st, ip);
}
