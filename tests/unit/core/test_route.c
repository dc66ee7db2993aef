/* Routes: the connected prefix, the default route, longest-prefix match. */
#include <criterion/criterion.h>
#include <errno.h>

#include "ip.h"
#include "fixture.h"
#include "stack.h"

static struct stack *st;

static void discard(void *arg, const uint8_t *pkt, size_t len, unsigned gso)
{
	(void)arg;
	(void)pkt;
	(void)len;
	(void)gso;
}

static void setup(void)
{
	/* 10.77.0.2/24, default route through 10.77.0.1 */
	struct stack_config cfg = { .addr = 0x0a4d0002, .prefix = 24, .gw = 0x0a4d0001,
				    .mtu = 1500, .seed = 1 };

	st = stack_new(&cfg, discard, NULL);
	cr_assert_not_null(st);
}

static void route_teardown(void)
{
	leak_check(st, 'A');
	stack_free(st);
}

TestSuite(route, .init = setup, .fini = route_teardown);

/* The route chosen for dst, as "prefix length" (-1 if none) and gateway. */
static int lookup(uint32_t dst, uint32_t *gw)
{
	const struct route *r = route_lookup(st, dst);

	if (r == NULL)
		return -1;
	*gw = r->gw;
	return r->prefix;
}

Test(route, prefix_mask_values)
{
	cr_assert_eq(prefix_mask(0), 0);
	cr_assert_eq(prefix_mask(1), 0x80000000u);
	cr_assert_eq(prefix_mask(24), 0xffffff00u);
	cr_assert_eq(prefix_mask(32), 0xffffffffu);
}

Test(route, connected_and_default_from_the_config)
{
	uint32_t gw = 1;

	cr_assert_eq(st->nroutes, 2);
	cr_assert_eq(lookup(0x0a4d0063, &gw), 24);	/* 10.77.0.99: on link */
	cr_assert_eq(gw, 0);
	cr_assert_eq(lookup(0x08080808, &gw), 0);	/* elsewhere: default */
	cr_assert_eq(gw, 0x0a4d0001);
}

Test(route, longest_prefix_wins_in_any_order)
{
	uint32_t gw;

	cr_assert_eq(route_add(st, 0x0a4e0107, 32, 0x0a4d0007), 0);	/* 10.78.1.7/32 */
	cr_assert_eq(route_add(st, 0x0a4e0000, 16, 0x0a4d0005), 0);	/* 10.78.0.0/16 */
	cr_assert_eq(route_add(st, 0x0a4e0100, 24, 0x0a4d0006), 0);	/* 10.78.1.0/24 */

	cr_assert_eq(lookup(0x0a4e0107, &gw), 32);
	cr_assert_eq(gw, 0x0a4d0007);
	cr_assert_eq(lookup(0x0a4e0108, &gw), 24);
	cr_assert_eq(gw, 0x0a4d0006);
	cr_assert_eq(lookup(0x0a4e0201, &gw), 16);
	cr_assert_eq(gw, 0x0a4d0005);
	cr_assert_eq(lookup(0x0a4f0001, &gw), 0);
	cr_assert_eq(gw, 0x0a4d0001);
}

Test(route, host_bits_of_dst_are_ignored)
{
	uint32_t gw;

	cr_assert_eq(route_add(st, 0x0a4e01ff, 24, 0x0a4d0006), 0);
	cr_assert_eq(lookup(0x0a4e0101, &gw), 24);
	cr_assert_eq(route_del(st, 0x0a4e0100, 24), 0);
	cr_assert_eq(lookup(0x0a4e0101, &gw), 0);
}

Test(route, delete_falls_back_to_shorter)
{
	uint32_t gw;

	route_add(st, 0x0a4e0000, 16, 0x0a4d0005);
	route_add(st, 0x0a4e0100, 24, 0x0a4d0006);
	cr_assert_eq(route_del(st, 0x0a4e0100, 24), 0);
	cr_assert_eq(lookup(0x0a4e0101, &gw), 16);
	cr_assert_eq(route_del(st, 0x0a4e0100, 24), -ESRCH);
	cr_assert_eq(route_del(st, 0, 0), 0);
	cr_assert_eq(lookup(0x08080808, &gw), -1);
	cr_assert_eq(ip_route_ok(st, 0x08080808), -ENETUNREACH);
	cr_assert_eq(ip_route_ok(st, 0x0a4e0101), 0);
}

Test(route, adding_again_replaces)
{
	uint32_t gw;
	int n = st->nroutes;

	route_add(st, 0x0a4e0000, 16, 0x0a4d0005);
	route_add(st, 0x0a4e0000, 16, 0x0a4d0009);
	cr_assert_eq(st->nroutes, n + 1);
	cr_assert_eq(lookup(0x0a4e0001, &gw), 16);
	cr_assert_eq(gw, 0x0a4d0009);
}

Test(route, bad_prefix_and_full_table)
{
	cr_assert_eq(route_add(st, 0x0a4e0000, 33, 0), -EINVAL);
	cr_assert_eq(route_add(st, 0x0a4e0000, -1, 0), -EINVAL);
	while (st->nroutes < STACK_MAX_ROUTES)
		cr_assert_eq(route_add(st, 0x0a000000u + ((uint32_t)st->nroutes << 8), 24, 0), 0);
	cr_assert_eq(route_add(st, 0x0b000000, 8, 0), -ENOSPC);
}

Test(route, no_gateway_no_default)
{
	struct stack_config cfg = { .addr = 0x0a4d0002, .prefix = 24, .mtu = 1500, .seed = 1 };
	struct stack *s = stack_new(&cfg, discard, NULL);

	cr_assert_not_null(s);
	cr_assert_eq(s->nroutes, 1);
	cr_assert_null(route_lookup(s, 0x08080808));
	cr_assert_eq(ip_route_ok(s, 0x08080808), -ENETUNREACH);
	stack_free(s);
}

Test(route, flush_keeps_the_connected_routes)
{
	uint32_t gw;

	route_add(st, 0x0a4e0000, 16, 0x0a4d0005);
	cr_assert_eq(st->nroutes, 3);
	route_flush(st);
	cr_assert_eq(st->nroutes, 1);
	cr_assert_eq(lookup(0x0a4d0063, &gw), 24);
	cr_assert_eq(lookup(0x0a4e0001, &gw), -1);
	cr_assert(route_connected(st, 0x0a4d0001));
	cr_assert_not(route_connected(st, 0x0a4e0001));
}

/* The address list: a second address is ours and brings its network's
 * route; removing it takes both away; the primary one is addrs[0]. */
Test(route, addresses_and_their_routes)
{
	uint32_t gw, second = 0x0a4d0902, third = 0x0a4d0903;	/* 10.77.9.2, .3 */

	cr_assert_eq(st->naddrs, 1);
	cr_assert_eq(ifaddr_add(st, second, 24, 0), 0);
	cr_assert_eq(ifaddr_add(st, third, 24, 0), 0);
	cr_assert(ip_is_local(st, second) && ip_is_local(st, third) && ip_is_local(st, st->addr));
	cr_assert_not(ip_is_local(st, 0x0a4d0904));
	cr_assert_eq(st->addrs[1].remote, 0x0a4d0900, "no remote: the network");
	cr_assert_eq(lookup(0x0a4d0901, &gw), 24);
	cr_assert_eq(ifaddr_del(st, second, 24), 0);
	cr_assert_eq(lookup(0x0a4d0901, &gw), 24, "10.77.9.3 still holds the network");
	cr_assert_eq(ifaddr_del(st, third, 24), 0);
	cr_assert_eq(lookup(0x0a4d0901, &gw), 0, "only the default route is left");
	cr_assert_not(ip_is_local(st, second));
	cr_assert_eq(ifaddr_del(st, third, 24), -EADDRNOTAVAIL);
	cr_assert_eq(ifaddr_del(st, st->addr, 16), -EADDRNOTAVAIL, "the mask must match");
}

Test(route, removing_the_primary_promotes_the_next)
{
	uint32_t second = 0x0a4d0902;

	cr_assert_eq(ifaddr_add(st, second, 24, 0), 0);
	cr_assert_eq(ifaddr_del(st, 0x0a4d0002, 24), 0);
	cr_assert_eq(st->addr, second);
	cr_assert_eq(st->prefix, 24);
	cr_assert_eq(st->mask, 0xffffff00u);
	cr_assert_eq(st->naddrs, 1);
}

Test(route, bad_and_too_many_addresses)
{
	cr_assert_eq(ifaddr_add(st, 0, 24, 0), -EINVAL);
	cr_assert_eq(ifaddr_add(st, 0x0a4e0001, 33, 0), -EINVAL);
	while (st->naddrs < STACK_MAX_ADDRS)
		cr_assert_eq(ifaddr_add(st, 0x0a4e0001u + (uint32_t)st->naddrs, 8, 0), 0);
	cr_assert_eq(ifaddr_add(st, 0x0b000001, 8, 0), -ENOSPC);
	cr_assert_eq(ifaddr_add(st, 0x0a4e0002, 16, 0), 0, "an address it has: updated");
	cr_assert_eq(st->addrs[1].prefix, 16);
}

Test(route, mtu_bounds)
{
	cr_assert_eq(stack_set_mtu(st, 575), -EINVAL);
	cr_assert_eq(stack_set_mtu(st, 65536), -EINVAL);
	cr_assert_eq(stack_set_mtu(st, 1400), 0);
	cr_assert_eq(st->mtu, 1400);
}

/* The source address follows the next hop's network (RFC 1122 3.3.4.3). */
Test(route, source_is_the_address_on_the_next_hops_network)
{
	cr_assert_eq(ifaddr_add(st, 0x0a4f0002, 16, 0), 0);	/* 10.79.0.2/16 */
	cr_assert_eq(route_add(st, 0x0a500000, 16, 0x0a4f0001), 0);	/* 10.80/16 via 10.79.0.1 */
	cr_assert_eq(ip_source(st, 0x0a4f0505), 0x0a4f0002, "on 10.79/16 itself");
	cr_assert_eq(ip_source(st, 0x0a500101), 0x0a4f0002, "through a gateway on 10.79/16");
	cr_assert_eq(ip_source(st, 0x0a4d0001), 0x0a4d0002, "on the primary network");
	cr_assert_eq(ip_source(st, 0x0a4e0101), 0x0a4d0002, "the default route's gateway is on 10.77.0/24");
	cr_assert_eq(ip_source(st, 0x0a4f0002), 0x0a4f0002, "an address of ours speaks to itself");
	cr_assert_eq(ip_source(st, 0x7f000005), 0x7f000001, "127/8 from 127.0.0.1");
	cr_assert_eq(ifaddr_del(st, 0x0a4f0002, 16), 0);
	cr_assert_eq(ip_source(st, 0x0a500101), 0x0a4d0002, "the address gone: the primary one");
}
