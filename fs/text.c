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

enum { MAX_ROUTES = 64, MAX_STATS = 64 };

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *ip6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* An addr line for every address, with its prefix; a gw line for each
 * family's default route. */
static void ifc_status(FILE *f)
{
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	struct nc_ifinfo ii;

	if (nc_ifinfo(fs.st, &ii) < 0)
		return;
	fprintf(f, "device %s\naddr %s/%d\n", ii.name, ip(ii.addr, a), ii.prefix);
	if (!IN6_IS_ADDR_UNSPECIFIED(&ii.addr6))
		fprintf(f, "addr %s/%d\n", ip6(&ii.addr6, a), ii.prefix6);
	fprintf(f, "gw %s\n", ip(ii.gw, g));
	if (!IN6_IS_ADDR_UNSPECIFIED(&ii.gw6))
		fprintf(f, "gw %s\n", ip6(&ii.gw6, g));
	fprintf(f, "mtu %d\n", ii.mtu);
	fprintf(f, "ipackets %llu\nibytes %llu\nierrors %llu\n", (unsigned long long)ii.ipackets,
		(unsigned long long)ii.ibytes, (unsigned long long)ii.ierrors);
	fprintf(f, "opackets %llu\nobytes %llu\noerrors %llu\n", (unsigned long long)ii.opackets,
		(unsigned long long)ii.obytes, (unsigned long long)ii.oerrors);
}

/* One route a line: destination/prefix, then the gateway (- if the
 * network is directly connected). */
static void iproute(FILE *f)
{
	char d[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	struct nc_route r[MAX_ROUTES];
	struct nc_route6 r6[MAX_ROUTES];
	int n = nc_routes(fs.st, r, MAX_ROUTES);

	for (int i = 0; i < n && i < MAX_ROUTES; i++)
		fprintf(f, "%s/%d %s\n", ip(r[i].dst, d), r[i].prefix,
			r[i].gw.s_addr ? ip(r[i].gw, g) : "-");
	n = nc_routes6(fs.st, r6, MAX_ROUTES);
	for (int i = 0; i < n && i < MAX_ROUTES; i++)
		fprintf(f, "%s/%d %s\n", ip6(&r6[i].dst, d), r6[i].prefix,
			IN6_IS_ADDR_UNSPECIFIED(&r6[i].gw) ? "-" : ip6(&r6[i].gw, g));
}

static void stats(FILE *f, int proto)
{
	struct nc_stat s[MAX_STATS];
	int n = nc_stats(fs.st, proto_num[proto], s, MAX_STATS);

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

/* The congestion control, as ctl's cc command names it. */
static const char *cc_name(struct conv *c)
{
	char name[16] = "";
	socklen_t len = sizeof name - 1;

	if (c->sock < 0 ||
	    nc_getsockopt(fs.st, c->sock, IPPROTO_TCP, TCP_CONGESTION, name, &len) < 0)
		return "-";
	return strcmp(name, "reno") == 0 ? "newreno" : strcmp(name, "cubic") == 0 ? "cubic" : "-";
}

/* The state name, then key value pairs; times in microseconds, except
 * the user timeout (ms, as ctl sets it). */
static void tcp_status(FILE *f, struct conv *c)
{
	struct nc_tcp_info ti = { .state = NC_TCP_CLOSED };
	socklen_t len = sizeof ti;
	int utimeout = 0;

	if (c->sock < 0 || nc_getsockopt(fs.st, c->sock, IPPROTO_TCP, NC_TCP_INFO, &ti, &len) < 0)
		memset(&ti, 0, sizeof ti);
	len = sizeof utimeout;
	if (c->sock >= 0)
		nc_getsockopt(fs.st, c->sock, IPPROTO_TCP, TCP_USER_TIMEOUT, &utimeout, &len);
	fprintf(f, "%s qin %u qout %u srtt %u mdev %u rto %u cwin %u ssthresh %u swin %u rwin %u "
		   "mss %u retrans %u usertimeout %d",
		nc_tcp_state_name(ti.state), ti.qin, ti.qout, ti.srtt_us, ti.mdev_us, ti.rto_us,
		ti.cwnd, ti.ssthresh, ti.swnd, ti.rwnd, ti.mss, ti.retrans, utimeout);
	fprintf(f, " cc %s\n", cc_name(c));
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
		ifc_status(f);
		break;
	case Qiproute:
		iproute(f);
		break;
	case Qstats:
		stats(f, of->proto);
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
		if (c->err[0])
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
