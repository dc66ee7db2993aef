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
#include "loopback.h"
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

void route_flush(struct stack *st)
{
	for (int i = 0; i < st->nroutes;) {
		if (st->routes[i].gw != 0)
			st->routes[i] = st->routes[--st->nroutes];
		else
			i++;
	}
}

int route_connected(const struct stack *st, uint32_t dst)
{
	for (int i = 0; i < st->naddrs; i++)
		if ((dst & st->addrs[i].mask) == (st->addrs[i].addr & st->addrs[i].mask))
			return 1;
	return 0;
}

int ip_route_ok(const struct stack *st, uint32_t dst)
{
	return ip_is_local(st, dst) || route_lookup(st, dst) ? 0 : -ENETUNREACH;
}

/* ---- the interface's addresses ---- */

/* The loopback interface's 127.0.0.0/8 is the stack's too. */
int ip_is_local(const struct stack *st, uint32_t a)
{
	for (int i = 0; i < st->naddrs; i++)
		if (st->addrs[i].addr == a)
			return 1;
	return loopback_addr(a);
}

/* The source address for a packet to dst, as Plan 9 and RFC 1122 3.3.4.3
 * choose it: 127/8 is spoken to from 127.0.0.1 and an address of ours
 * from itself; otherwise the address on the network of the next hop (dst
 * itself, or the gateway of its route), so that an address added on
 * another network is the one its neighbours see; else the primary one. */
uint32_t ip_source(const struct stack *st, uint32_t dst)
{
	const struct route *r;
	uint32_t hop;

	if (loopback_addr(dst))
		return LOOPBACK_ADDR;
	if (ip_is_local(st, dst))
		return dst;
	r = route_lookup(st, dst);
	hop = r != NULL && r->gw != 0 ? r->gw : dst;
	for (int i = 0; i < st->naddrs; i++)
		if ((hop & st->addrs[i].mask) == (st->addrs[i].addr & st->addrs[i].mask))
			return st->addrs[i].addr;
	return st->addr;
}

static struct lifc *ifaddr_find(struct stack *st, uint32_t addr)
{
	for (int i = 0; i < st->naddrs; i++)
		if (st->addrs[i].addr == addr)
			return &st->addrs[i];
	return NULL;
}

/* st->addr, prefix and mask follow addrs[0], the primary address. */
static void set_primary(struct stack *st)
{
	const struct lifc *a = &st->addrs[0];

	st->addr = st->naddrs ? a->addr : 0;
	st->prefix = st->naddrs ? a->prefix : 0;
	st->mask = st->naddrs ? a->mask : 0;
}

/* Does another address share the network of a (its connected route)? */
static int network_shared(const struct stack *st, const struct lifc *a)
{
	for (int i = 0; i < st->naddrs; i++) {
		const struct lifc *b = &st->addrs[i];
		if (b != a && b->prefix == a->prefix && (b->addr & b->mask) == (a->addr & a->mask))
			return 1;
	}
	return 0;
}

int ifaddr_add(struct stack *st, uint32_t addr, int prefix, uint32_t remote)
{
	uint32_t mask = prefix_mask(prefix);
	struct lifc *a = ifaddr_find(st, addr);
	int err;

	if (prefix < 0 || prefix > 32 || addr == 0 || addr == 0xffffffffu)
		return -EINVAL;
	if (a == NULL && st->naddrs == STACK_MAX_ADDRS)
		return -ENOSPC;
	err = route_add(st, addr, prefix, 0);
	if (err < 0)
		return err;
	if (a == NULL)
		a = &st->addrs[st->naddrs++];
	else if (a->prefix != prefix && !network_shared(st, a))
		route_del(st, a->addr, a->prefix);	/* its old network */
	*a = (struct lifc){ addr, mask, remote ? remote : addr & mask, prefix };
	set_primary(st);
	return 0;
}

int ifaddr_del(struct stack *st, uint32_t addr, int prefix)
{
	struct lifc *a = ifaddr_find(st, addr);

	if (a == NULL || a->prefix != prefix)
		return -EADDRNOTAVAIL;
	if (!network_shared(st, a))
		route_del(st, a->addr, a->prefix);
	/* keep the order: the next address becomes the primary one */
	memmove(a, a + 1, (size_t)(st->addrs + st->naddrs - (a + 1)) * sizeof *a);
	st->naddrs--;
	set_primary(st);
	return 0;
}

/* ---- input ---- */

/* One of our addresses, the broadcast address, or the broadcast address
 * of a network an address of ours is on. */
static int for_us(const struct stack *st, uint32_t dst)
{
	if (dst == 0xffffffffu)
		return 1;
	for (int i = 0; i < st->naddrs; i++) {
		const struct lifc *a = &st->addrs[i];
		if (dst == a->addr || (a->prefix < 31 && dst == (a->addr | ~a->mask)))
			return 1;
	}
	return 0;
}

static void log_drop(struct stack *st, const char *why, uint32_t src, uint32_t dst)
{
	if (stack_logs(st, LOG_IP))
		stack_log(st, &(struct log_event){ .proto = LOG_IP, .what = "drop", .why = why,
						   .src = src, .dst = dst });
}

static void count_bad(struct stack *st, int why, const uint8_t *pkt, size_t len)
{
	uint64_t *c = why == IPV_SHORT ? &st->ips[IPS_IN_SHORT] :
		      why == IPV_VERSION ? &st->ips[IPS_IN_VERSION] :
		      why == IPV_HLEN ? &st->ips[IPS_IN_HLEN] :
		      why == IPV_CKSUM ? &st->ips[IPS_IN_CKSUM] : &st->ips[IPS_IN_LEN];
	(*c)++;
	st->ifs.ierrors++;
	if (stack_logs(st, LOG_IP))
		log_drop(st, why == IPV_SHORT ? "short packet" : why == IPV_VERSION ? "not IPv4" :
			     why == IPV_HLEN ? "bad header length" :
			     why == IPV_CKSUM ? "bad header checksum" : "bad total length",
			 len >= IP_HLEN ? get32(pkt + 12) : 0, len >= IP_HLEN ? get32(pkt + 16) : 0);
}

void ip_input(struct stack *st, uint8_t *pkt, size_t len, int csum_ok)
{
	struct ippkt ip;
	int why;

	st->ips[IPS_IN_RECEIVES]++;
	why = ip_parse(pkt, len, &ip);
	if (why != IPV_OK) {
		count_bad(st, why, pkt, len);
		return;
	}
	ip.csum_ok = csum_ok;
	if (ip.ttl == 0) {
		/* never legitimate on a link (RFC 1122 3.2.1.7) */
		st->ips[IPS_IN_TTL]++;
		st->ifs.ierrors++;
		log_drop(st, "ttl 0", ip.src, ip.dst);
		return;
	}
	/* 127/8 from the link is a martian (RFC 1122 3.2.1.3) */
	if (!for_us(st, ip.dst) || loopback_addr(ip.src)) {
		st->ips[IPS_IN_ADDR_ERRORS]++;
		log_drop(st, "not our address", ip.src, ip.dst);
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

static size_t tail_len(const struct ipsend *how)
{
	size_t n = 0;

	for (int i = 0; i < how->ntail; i++)
		n += how->tail[i].iov_len;
	return n;
}

void ip_link_output(struct stack *st, const uint8_t *pkt, size_t len, unsigned gso,
		    const struct ipsend *how)
{
	struct iovec iov[1 + IPSEND_TAIL_MAX];
	int n = how ? how->ntail : 0;

	st->ifs.opackets++;
	st->ifs.obytes += len;
	if (n == 0) {
		st->output(st->output_arg, pkt, len, gso);
		return;
	}
	iov[0] = (struct iovec){ (void *)pkt, len - tail_len(how) };
	memcpy(iov + 1, how->tail, sizeof iov[0] * (size_t)n);
	st->output_iov(st->output_arg, iov, 1 + n, len, gso);
}

void ip_gather(struct stack *st, const struct ipsend *how, size_t len)
{
	uint8_t *d = st->obuf + IP_HLEN + len - tail_len(how);

	for (int i = 0; i < how->ntail; i++) {
		memcpy(d, how->tail[i].iov_base, how->tail[i].iov_len);
		d += how->tail[i].iov_len;
	}
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
		ip_link_output(st, h, IP_HLEN + n, 0, NULL);
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
	if (IP_HLEN + len > IP_MAXPACKET)
		return -EMSGSIZE;
	if (ip_is_local(st, how->dst)) {	/* whole, never to the link */
		ip_gather(st, how, len);
		put_header(st, st->obuf, how, IP_HLEN + len, next_id(st, how, len), 0);
		loopback_output(st, st->obuf, IP_HLEN + len);
		return 0;
	}
	if (route_lookup(st, how->dst) == NULL) {
		st->ips[IPS_OUT_NO_ROUTES]++;
		log_drop(st, "no route", how->src ? how->src : st->addr, how->dst);
		return -ENETUNREACH;
	}
	id = next_id(st, how, len);
	if (IP_HLEN + len <= (size_t)st->mtu || how->gso) {
		put_header(st, st->obuf, how, IP_HLEN + len, id, how->df ? IP_DF : 0);
		ip_link_output(st, st->obuf, IP_HLEN + len, how->gso, how);
		return 0;
	}
	if (how->df) {
		st->ips[IPS_FRAG_NEEDED]++;
		log_drop(st, "too big for the mtu with df", how->src ? how->src : st->addr, how->dst);
		return -EMSGSIZE;
	}
	ip_gather(st, how, len);
	fragment(st, how, len, id);
	return 0;
}

/* ---- delivery to the transports ---- */

void ip_deliver(struct stack *st, struct ippkt *ip)
{
	const struct proto *p = stack_proto(ip->proto);

	if (p == NULL || p->input == NULL) {
		st->ips[IPS_IN_UNKNOWN_PROTO]++;
		log_drop(st, "unknown protocol", ip->src, ip->dst);
		icmp_unreach(st, ip, ICMP_UNREACH_PROTOCOL);
		return;
	}
	st->ips[IPS_IN_DELIVERS]++;
	p->input(st, ip);
}
