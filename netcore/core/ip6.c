/*
 * IPv6 (RFC 8200): what arrives, with its extension headers walked,
 * routing, and output with fragmentation at the path MTU. A TUN has no
 * link layer, so there is no neighbour discovery (RFC 4861): a packet
 * for the link goes straight onto it, as IPv4's does without ARP.
 */
#include <errno.h>
#include <string.h>

#include "ip6.h"
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
	return st->ip6_on && route6_lookup(st, dst) ? 0 : -ENETUNREACH;
}

int ip6_is_local(const struct stack *st, const struct in6_addr *a)
{
	return st->ip6_on && in6_eq(a, &st->addr6);
}
