/*
 * Host-side configuration through netlink (libnl-route): the TUN goes up
 * with the MTU of the stack and the gateway addresses, whose prefixes give
 * the kernel its connected routes to the stack (IPv4 and IPv6). Later, an
 * address added to the stack on another network gets a host route to that
 * network through the TUN, and a new MTU is given to the TUN too.
 *
 * IPv6 on the TUN: no link-local address (addr_gen_mode none), so the
 * kernel sends no router solicitations from one; the gateway address
 * skips duplicate address detection (IFA_F_NODAD), as nothing else is on
 * a point-to-point link, and is usable at once instead of a second later.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"

/* The host's address a (in_addr or in6_addr of family af), prefix long. */
static struct rtnl_addr *make_addr(int ifindex, int af, const void *a, int prefix)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	size_t n = af == AF_INET6 ? sizeof(struct in6_addr) : sizeof(struct in_addr);
	struct nl_addr *local = nl_addr_build(af, a, n);

	if (ra == NULL || local == NULL) {
		rtnl_addr_put(ra);
		nl_addr_put(local);
		return NULL;
	}
	nl_addr_set_prefixlen(local, prefix);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_local(ra, local);
	if (af == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	nl_addr_put(local);
	return ra;
}

/* Change the link: with ipv6, first its address generation (before it
 * goes up, when the kernel would make a link-local address), then up. */
static int link_up(struct nl_sock *sk, const char *ifname, int mtu, int ipv6, int *ifindex)
{
	struct rtnl_link *link = NULL, *change;
	int err;

	err = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (err < 0)
		return err;
	*ifindex = rtnl_link_get_ifindex(link);
	change = rtnl_link_alloc();
	if (change == NULL) {
		rtnl_link_put(link);
		return -NLE_NOMEM;
	}
	if (ipv6) {
		rtnl_link_inet6_set_addr_gen_mode(change, IN6_ADDR_GEN_MODE_NONE);
		err = rtnl_link_change(sk, link, change, 0);
		rtnl_link_put(change);
		change = err < 0 ? NULL : rtnl_link_alloc();
		err = err < 0 ? err : change ? 0 : -NLE_NOMEM;
	}
	if (err == 0) {
		rtnl_link_set_flags(change, IFF_UP);
		rtnl_link_set_mtu(change, (unsigned)mtu);
		err = rtnl_link_change(sk, link, change, 0);
	}
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

/* IPv4 only (--no-ipv6): keep the kernel's IPv6 chatter (router
 * solicitations, MLD) off the link. Best effort; a missing file is fine. */
static void no_ipv6(const char *ifname)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

/* Does the host side get an IPv6 address? Not with --no-ipv6, nor with a
 * gateway of :: (the stack has no IPv6 default route then). */
static int host_ipv6(const struct nc_config *cfg)
{
	return !cfg->no_ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&cfg->gw6);
}

static int add_addr(struct nl_sock *sk, int ifindex, int af, const void *a, int prefix)
{
	struct rtnl_addr *ra = make_addr(ifindex, af, a, prefix);
	int err = ra ? rtnl_addr_add(sk, ra, 0) : -NLE_NOMEM;

	rtnl_addr_put(ra);
	return err == -NLE_EXIST ? 0 : err;
}

int nl_configure(const char *ifname, const struct nc_config *cfg, char *errbuf, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	const char *what = "netlink";
	int err, ifindex = 0;

	if (sk == NULL)
		return -ENOMEM;
	if (cfg->no_ipv6)
		no_ipv6(ifname);
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err == 0) {
		what = "bring up";
		err = link_up(sk, ifname, cfg->mtu, !cfg->no_ipv6, &ifindex);
	}
	if (err == 0) {
		what = "add address to";
		err = add_addr(sk, ifindex, AF_INET, &cfg->gw, cfg->prefix);
	}
	if (err == 0 && host_ipv6(cfg)) {
		what = "add IPv6 address to";
		err = add_addr(sk, ifindex, AF_INET6, &cfg->gw6, cfg->prefix6);
	}
	if (err < 0)
		snprintf(errbuf, errlen, "cannot %s %s: %s", what, ifname, nl_geterror(err));
	nl_socket_free(sk);
	if (err == -NLE_PERM)
		return -EPERM;	/* the caller's hint: not root */
	return err < 0 ? -EIO : 0;
}

static void del_addr(struct nl_sock *sk, int ifindex, int af, const void *a, int prefix)
{
	struct rtnl_addr *ra = make_addr(ifindex, af, a, prefix);

	if (ra)
		rtnl_addr_delete(sk, ra, 0);
	rtnl_addr_put(ra);
}

void nl_unconfigure(const char *ifname, const struct nc_config *cfg)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ifindex = (int)if_nametoindex(ifname);

	if (sk == NULL)
		return;
	if (ifindex > 0 && nl_connect(sk, NETLINK_ROUTE) == 0) {
		del_addr(sk, ifindex, AF_INET, &cfg->gw, cfg->prefix);
		if (host_ipv6(cfg))
			del_addr(sk, ifindex, AF_INET6, &cfg->gw6, cfg->prefix6);
	}
	nl_socket_free(sk);
}

/* Run op(sk, ifindex, arg) on a netlink socket connected for ifname. */
static int with_link(const char *ifname, int (*op)(struct nl_sock *sk, int ifindex, void *arg),
		     void *arg)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ifindex = (int)if_nametoindex(ifname), err;

	if (sk == NULL)
		return -ENOMEM;
	err = ifindex > 0 ? nl_connect(sk, NETLINK_ROUTE) : -NLE_OBJ_NOTFOUND;
	if (err == 0)
		err = op(sk, ifindex, arg);
	nl_socket_free(sk);
	return err < 0 ? -EIO : 0;
}

struct netroute {
	struct in_addr net;
	int prefix, add;
};

/* The route net/prefix through the link (scope link, no gateway). */
static int change_route(struct nl_sock *sk, int ifindex, void *arg)
{
	const struct netroute *nr = arg;
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &nr->net, sizeof nr->net);
	int err = -NLE_NOMEM;

	if (r && nh && dst) {
		nl_addr_set_prefixlen(dst, nr->prefix);
		rtnl_route_set_family(r, AF_INET);
		rtnl_route_set_dst(r, dst);
		rtnl_route_set_scope(r, RT_SCOPE_LINK);
		rtnl_route_set_protocol(r, RTPROT_STATIC);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;	/* the route owns it now */
		err = nr->add ? rtnl_route_add(sk, r, NLM_F_CREATE) : rtnl_route_delete(sk, r, 0);
		if (err == -NLE_EXIST || err == -NLE_OBJ_NOTFOUND)
			err = 0;
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	rtnl_route_put(r);
	return err;
}

int nl_net_route(const char *ifname, struct in_addr net, int prefix, int add)
{
	struct netroute nr = { net, prefix, add };

	return with_link(ifname, change_route, &nr);
}

static int change_mtu(struct nl_sock *sk, int ifindex, void *arg)
{
	struct rtnl_link *link = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int err = -NLE_NOMEM;

	if (link && change) {
		rtnl_link_set_ifindex(link, ifindex);
		rtnl_link_set_mtu(change, (unsigned)*(int *)arg);
		err = rtnl_link_change(sk, link, change, 0);
	}
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

int nl_set_mtu(const char *ifname, int mtu)
{
	return with_link(ifname, change_mtu, &mtu);
}
