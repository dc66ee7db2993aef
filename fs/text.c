/*
 * The text files (SPEC.md §6): made when opened and again whenever read
 * from offset 0, so a reader that rewinds sees fresh counters.
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conv.h"
#include "text.h"

enum { MAX_ROUTES = 64, MAX_STATS = 64, MAX_ADDRS = 16, IPDEFTTL = 64 };

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ip6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Interface ifc's IPv4 addresses, the primary one first: the TUN's (0) as
 * ipifc/0/ctl set them, the loopback's (1) one, its network as remote.
 * Each interface's IPv6 address (fd77::2, ::1) comes with nc_ifinfo_n. */
static int addrs(int ifc, struct nc_ifaddr *a)
{
	struct nc_ifinfo ii;
	int n;

	if (ifc == 0) {
		n = nc_ifaddrs(fs.st, a, MAX_ADDRS);
		return n < MAX_ADDRS ? n : MAX_ADDRS;
	}
	if (nc_ifinfo_n(fs.st, ifc, &ii) < 0)
		return 0;
	a[0] = (struct nc_ifaddr){ ii.addr, { ii.addr.s_addr & htonl(~0u << (32 - ii.prefix)) },
				   ii.prefix };
	return 1;
}

/* A mask as Plan 9 prints one (%M): /N of the IPv6 form of the address;
 * buf has 16 bytes. */
static const char *mask6(int prefix, char *buf)
{
	snprintf(buf, 16, "/%d", 96 + prefix);
	return buf;
}

/* ip(3)'s layout: one line of the device and its counters (the IPv6
 * router advertisement values, which the stack has none of, are 0), then
 * a line per address: address, mask, remote, valid and preferred
 * lifetimes (forever). Byte counters follow at the end of the first
 * line (ours). */
static void ifc_status(FILE *f, int ifc)
{
	char a[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN], m[16];
	struct nc_ifaddr ad[MAX_ADDRS];
	struct nc_ifinfo ii;
	int n;

	if (nc_ifinfo_n(fs.st, ifc, &ii) < 0)
		return;
	fprintf(f, "device %s maxtu %d sendra 0 recvra 0 mflag 0 oflag 0 maxraint 0 minraint 0 "
		   "linkmtu 0 reachtime 0 rxmitra 0 ttl %d routerlt 0 pktin %llu pktout %llu "
		   "errin %llu errout %llu speed 0 delay 0 ibytes %llu obytes %llu\n",
		ii.name, ii.mtu, IPDEFTTL, (unsigned long long)ii.ipackets,
		(unsigned long long)ii.opackets, (unsigned long long)ii.ierrors,
		(unsigned long long)ii.oerrors, (unsigned long long)ii.ibytes,
		(unsigned long long)ii.obytes);
	n = addrs(ifc, ad);
	for (int i = 0; i < n; i++)
		fprintf(f, "\t%-40s %-10s %-40s %-12u %-12u\n", ip(ad[i].addr, a),
			mask6(ad[i].prefix, m), ip(ad[i].remote, r), ~0u, ~0u);
	if (!IN6_IS_ADDR_UNSPECIFIED(&ii.addr6)) {	/* remote: its network */
		char a6[INET6_ADDRSTRLEN], r6[INET6_ADDRSTRLEN];
		struct in6_addr net = ii.addr6;
		for (int i = ii.prefix6; i < 128; i++)
			net.s6_addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		snprintf(m, sizeof m, "/%d", ii.prefix6);
		fprintf(f, "\t%-40s %-10s %-40s %-12u %-12u\n", ip6(&ii.addr6, a6), m,
			ip6(&net, r6), ~0u, ~0u);
	}
}

/* The directed broadcast of an address's network, 0 if it has none. */
static struct in_addr bcast(const struct nc_ifaddr *a)
{
	uint32_t mask = a->prefix ? ~0u << (32 - a->prefix) : 0;

	return (struct in_addr){ a->prefix < 31 ? htonl(ntohl(a->addr.s_addr) | ~mask) : 0 };
}

/* Each address, then the addresses it makes ours: itself, its
 * network's broadcast and the limited broadcast. */
static void ifc_local(FILE *f, int ifc)
{
	char a[INET_ADDRSTRLEN];
	struct nc_ifaddr ad[MAX_ADDRS];
	int n = addrs(ifc, ad);

	for (int i = 0; i < n; i++) {
		struct in_addr b = bcast(&ad[i]);
		fprintf(f, "%-40.40s ->", ip(ad[i].addr, a));
		fprintf(f, " %-40.40s", ip(ad[i].addr, a));
		if (b.s_addr)
			fprintf(f, " %-40.40s", ip(b, a));
		fprintf(f, " %-40.40s\n", "255.255.255.255");
	}
}

/* Every address the stack takes as its own: unicast (4u) and broadcast
 * (4b), with how many of the interface's addresses make it so. */
static void ipselftab(FILE *f)
{
	char a[INET_ADDRSTRLEN];
	struct nc_ifaddr ad[MAX_ADDRS];
	int n = addrs(0, ad);

	for (int i = 0; i < n; i++)
		fprintf(f, "%-44.44s %2.2d %4.4s\n", ip(ad[i].addr, a), 1, "4u");
	for (int i = 0; i < n; i++) {
		struct in_addr b = bcast(&ad[i]);
		int refs = 0, first = 1;
		for (int j = 0; j < n; j++) {
			if (bcast(&ad[j]).s_addr == b.s_addr) {
				refs++;
				first &= j >= i;
			}
		}
		if (b.s_addr && first)
			fprintf(f, "%-44.44s %2.2d %4.4s\n", ip(b, a), refs, "4b");
	}
	if (n > 0)
		fprintf(f, "%-44.44s %2.2d %4.4s\n", "255.255.255.255", n, "4b");
}

/* ip(3)'s eight fields: target, mask, next hop, flags, tag, interface,
 * source, source mask. A connected route (4i, tag ifc) has its network as
 * next hop, as Plan 9 shows interface routes; routes apply to every
 * source (0.0.0.0 /96). */
static void iproute(FILE *f)
{
	char d[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN], m[16];
	struct nc_route r[MAX_ROUTES];
	struct nc_route6 r6[MAX_ROUTES];
	int n = nc_routes(fs.st, r, MAX_ROUTES);

	for (int i = 0; i < n && i < MAX_ROUTES; i++) {
		int ifc = r[i].gw.s_addr == 0;
		fprintf(f, "%-15s %-4s %-15s %-4s %4.4s %3s %-15s %-4s\n", ip(r[i].dst, d),
			mask6(r[i].prefix, m), ip(ifc ? r[i].dst : r[i].gw, g), ifc ? "4i" : "4",
			ifc ? "ifc" : "none", "0", "0.0.0.0", "/96");
	}
	n = nc_routes6(fs.st, r6, MAX_ROUTES);
	for (int i = 0; i < n && i < MAX_ROUTES; i++) {	/* IPv6: masks as they are */
		int ifc = IN6_IS_ADDR_UNSPECIFIED(&r6[i].gw);
		snprintf(m, sizeof m, "/%d", r6[i].prefix);
		fprintf(f, "%-15s %-4s %-15s %-4s %4.4s %3s %-15s %-4s\n", ip6(&r6[i].dst, d), m,
			ip6(ifc ? &r6[i].dst : &r6[i].gw, g), ifc ? "6i" : "6",
			ifc ? "ifc" : "none", "0", "::", "/0");
	}
}

/* The nameservers cs asks: --dns, or the host's (resolv.conf). */
static void nameservers(FILE *f)
{
	char line[256], ns[64];
	FILE *rc;

	if (fs.dns != NULL) {
		for (const char *p = fs.dns; *p != '\0';) {
			size_t n = strcspn(p, ",");

			fprintf(f, "\tdns=%.*s\n", (int)n, p);
			p += n + (p[n] == ',');
		}
		return;
	}
	rc = fopen("/etc/resolv.conf", "r");
	if (rc == NULL)
		return;
	while (fgets(line, sizeof line, rc))
		if (sscanf(line, "nameserver %63s", ns) == 1)
			fprintf(f, "\tdns=%s\n", ns);
	fclose(rc);
}

/* ndb(6) attributes of the stack, as ipconfig leaves them in Plan 9's
 * /net/ndb: an entry per address (ipgw on the first), then dns. */
static void ndb(FILE *f)
{
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	struct nc_ifaddr ad[MAX_ADDRS];
	struct nc_ifinfo ii;
	int n = addrs(0, ad);

	if (nc_ifinfo(fs.st, &ii) < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct in_addr mask = { htonl(ad[i].prefix ? ~0u << (32 - ad[i].prefix) : 0) };
		fprintf(f, "ip=%s ipmask=%s", ip(ad[i].addr, a), ip(mask, m));
		if (i == 0 && ii.gw.s_addr)
			fprintf(f, " ipgw=%s", ip(ii.gw, g));
		fputc('\n', f);
		if (i == 0)
			nameservers(f);
	}
}

/* The counters of protocol number proto (IPPROTO_*), "Name: value". */
static void stats(FILE *f, int proto)
{
	struct nc_stat s[MAX_STATS];
	int n = nc_stats(fs.st, proto, s, MAX_STATS);

	for (int i = 0; i < n && i < MAX_STATS; i++)
		fprintf(f, "%s: %llu\n", s[i].name, (unsigned long long)s[i].value);
}

static void address(FILE *f, struct conv *c, int peer)
{
	char a[ADDR_TEXT];
	union addr sa = { 0 };
	socklen_t len = sizeof sa;
	int r = -1;

	if (c->sock >= 0) {
		if (peer)
			r = nc_getpeername(fs.st, c->sock, &sa.sa, &len);
		else
			r = nc_getsockname(fs.st, c->sock, &sa.sa, &len);
	}
	if (r < 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa.sa_family = AF_INET;
	}
	fprintf(f, "%s\n", addr_text(&sa, 1, a));
}

/* The congestion control, as ctl's cc command names it: the stack's
 * TCP_CONGESTION name (read into name, CC_NAME bytes), but newreno for
 * Linux's "reno". */
enum { CC_NAME = 16 };

static const char *cc_name(struct conv *c, char *name)
{
	socklen_t len = CC_NAME - 1;

	memset(name, 0, CC_NAME);
	if (c->sock < 0 ||
	    nc_getsockopt(fs.st, c->sock, IPPROTO_TCP, TCP_CONGESTION, name, &len) < 0)
		return "-";
	return strcmp(name, "reno") == 0 ? "newreno" : name;
}

/* The state name, then key value pairs; times in microseconds, except
 * the user timeout (ms, as ctl sets it). */
static void tcp_status(FILE *f, struct conv *c)
{
	struct nc_tcp_info ti = { .state = NC_TCP_CLOSED };
	socklen_t len = sizeof ti;
	int utimeout = 0;
	char cc[CC_NAME];

	if (c->sock < 0 || nc_getsockopt(fs.st, c->sock, IPPROTO_TCP, NC_TCP_INFO, &ti, &len) < 0)
		memset(&ti, 0, sizeof ti);
	len = sizeof utimeout;
	if (c->sock >= 0)
		nc_getsockopt(fs.st, c->sock, IPPROTO_TCP, TCP_USER_TIMEOUT, &utimeout, &len);
	fprintf(f, "%s qin %u qout %u srtt %u mdev %u rto %u cwin %u ssthresh %u swin %u rwin %u "
		   "mss %u retrans %u usertimeout %d",
		nc_tcp_state_name(ti.state), ti.qin, ti.qout, ti.srtt_us, ti.mdev_us, ti.rto_us,
		ti.cwnd, ti.ssthresh, ti.swnd, ti.rwnd, ti.mss, ti.retrans, utimeout);
	fprintf(f, " cc %s\n", cc_name(c, cc));
}

/* Datagram conversations: Connected once a peer is set, else Open. */
static void dgram_status(FILE *f, struct conv *c)
{
	union addr sa;
	socklen_t len = sizeof sa;

	fprintf(f, "%s\n", nc_getpeername(fs.st, c->sock, &sa.sa, &len) == 0 ?
		"Connected" : "Open");
}

static void make(FILE *f, struct ofile *of)
{
	struct conv *c = of->c;

	switch (of->type) {
	case Qifcstatus:
		ifc_status(f, of->proto);	/* the interface's number */
		break;
	case Qiproute:
		iproute(f);
		break;
	case Qifclocal:
		ifc_local(f, of->proto);
		break;
	case Qipselftab:
		ipselftab(f);
		break;
	case Qndb:
		ndb(f);
		break;
	case Qstats:
		stats(f, proto_num[of->proto]);
		break;
	case Qifcstats:		/* IP's counters, IPv6's after (Ip6...) */
		stats(f, IPPROTO_IP);
		stats(f, IPPROTO_IPV6);
		break;
	case Qctl:
		fprintf(f, "%d\n", c->n);
		break;
	case Qlocal:
	case Qremote:
		address(f, c, of->type == Qremote);
		break;
	case Qstatus:
		if (c->proto == P_TCP)
			tcp_status(f, c);
		else
			dgram_status(f, c);
		break;
	case Qerr:
		if (c->err != NULL)
			fprintf(f, "%s\n", c->err);
		break;
	}
}

int text_make(struct ofile *of)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return -1;
	make(f, of);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	free(of->text);
	of->text = text;
	of->len = len;
	return 0;
}
