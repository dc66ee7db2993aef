/*
 * UDP (RFC 768, RFC 1122 4.1): datagram sockets. A socket's control block
 * sits in a hash chain keyed by its local port; input picks the most
 * specific match (connected to this peer, then bound to this address, then
 * the wildcard). Received datagrams wait in the socket's bounded queue as
 * records in a bufq, so the steady state allocates nothing.
 *
 * connect() follows Linux: it may be called again and again (each call
 * sets the peer, and with it the input filter), a null address dissolves
 * the association, and a hard ICMP error about a datagram of a connected
 * socket is reported by its next send or recv.
 *
 * listen() (ours; Linux has none for UDP) gives Plan 9's per-peer
 * conversations: on a listening socket, the first datagram of each new
 * peer makes a new socket, bound to the address it came to and the
 * listener's port, connected to that peer, holding that datagram; the
 * listener's accept() hands it out. Later datagrams from the peer go to
 * it, as the more specific match.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "buf.h"
#include "dgram.h"
#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ip6.h"
#include "sock.h"
#include "stack.h"
#include "udp.h"

enum {
	UDP_MAXDATA = IP_MAXPACKET - IP_HLEN - UDP_HLEN,
};

struct udppcb {
	struct sock *so;
	struct dgram dg;	/* received datagrams, shutdown */
	int port_bound;		/* bind() chose the port: dissolving keeps it */
	int addr_bound;		/* bind() chose the address */
	int backlog;		/* listening: calls it may hold; 0 when not */
	int ncalls;
	struct udppcb *calls;	/* made, not yet accepted, oldest first */
	struct udppcb *next_call;	/* on the listener's calls */
};

enum { UDP_MAX_BACKLOG = 1024 };

/* Counters, named as in Linux's /proc/net/snmp. */
enum {
	UDPS_IN_DATAGRAMS, UDPS_NO_PORTS, UDPS_IN_ERRORS, UDPS_OUT_DATAGRAMS,
	UDPS_RCVBUF_ERRORS, UDPS_IN_CSUM_ERRORS,
	UDPS_N
};

static const char *const udp_names[UDPS_N] = {
	[UDPS_IN_DATAGRAMS] = "InDatagrams",
	[UDPS_NO_PORTS] = "NoPorts",
	[UDPS_IN_ERRORS] = "InErrors",
	[UDPS_OUT_DATAGRAMS] = "OutDatagrams",
	[UDPS_RCVBUF_ERRORS] = "RcvbufErrors",
	[UDPS_IN_CSUM_ERRORS] = "InCsumErrors",
};

struct udp {
	struct porthash ports;	/* bound sockets */
	uint64_t stats[UDPS_N];
};

/* ---- ports ---- */

static int port_in_use(struct stack *st, uint16_t port)
{
	return porthash_used(&st->udp->ports, port);
}

/* Would so bound to addr:port share it with another socket? Allowed only
 * when both asked for SO_REUSEADDR. */
static int bind_conflict(struct stack *st, const struct sock *so, uint32_t addr, uint16_t port)
{
	for (const struct sock *o = porthash_first(&st->udp->ports, port); o; o = o->next_port) {
		if (o == so || o->lport != port)
			continue;
		if (o->laddr != 0 && addr != 0 && o->laddr != addr)
			continue;
		if (!(o->v6 ? sock_takes_v6(so) : sock_families_meet(so, o)))
			continue;	/* IPv4 alone beside IPv6 alone */
		if (!(so->reuseaddr && o->reuseaddr))
			return 1;
	}
	return 0;
}

/* Give so an ephemeral port (implicit bind). */
static int autobind(struct stack *st, struct sock *so)
{
	uint16_t port = sock_ephemeral(st, 0, 0, port_in_use);

	if (port == 0)
		return -EADDRNOTAVAIL;
	so->lport = port;
	porthash_add(&st->udp->ports, so);
	return 0;
}

/* ---- socket operations ---- */

static int udp_attach(struct stack *st, struct sock *so)
{
	struct udppcb *pcb = calloc(1, sizeof *pcb);

	(void)st;
	if (pcb == NULL)
		return -ENOMEM;
	pcb->so = so;
	so->pcb = pcb;
	/* Room for a stall of its reader: a /net relay reads one datagram a
	 * FUSE round trip, and a 150 ms stall at 100 Mbit/s (1.3k datagrams
	 * of 1448 bytes) overflowed 1 MiB. Only what is queued is memory. */
	if (!so->rcvbuf_set)
		so->rcvbuf = SOCK_DGRAM_RCVBUF;
	return 0;
}

static void udp_detach(struct stack *st, struct sock *so, int abort)
{
	struct udppcb *pcb = so->pcb, *call;

	while ((call = pcb->calls) != NULL) {	/* never accepted */
		struct sock *child = call->so;
		pcb->calls = call->next_call;
		udp_detach(st, child, abort);
		sock_free_child(st, child);
	}
	if (so->lport != 0)
		porthash_del(&st->udp->ports, so);
	bufq_clear(st, &pcb->dg.rcvq);
	free(pcb);
	so->pcb = NULL;
}

static int udp_bind(struct stack *st, struct sock *so, uint32_t addr, uint16_t port)
{
	struct udppcb *pcb = so->pcb;
	int p;

	if (so->lport != 0)
		return -EINVAL;
	if (addr != 0 && !ip_is_local(st, addr))
		return -EADDRNOTAVAIL;
	p = sock_bind_port(st, port, port_in_use, port && bind_conflict(st, so, addr, port));
	if (p < 0)
		return p;
	port = (uint16_t)p;
	so->laddr = addr;
	so->lport = port;
	pcb->addr_bound = addr != 0;
	pcb->port_bound = 1;
	porthash_add(&st->udp->ports, so);
	return 0;
}

/* Bound to an IPv6 address of ours: a v6 socket from now on. */
static int udp_bind6(struct stack *st, struct sock *so, const struct in6_addr *addr,
		     uint16_t port)
{
	struct udppcb *pcb = so->pcb;
	int err = udp_bind(st, so, 0, port);

	if (err < 0)
		return err;
	so->v6 = 1;
	so->laddr6 = *addr;
	pcb->addr_bound = 1;
	return 0;
}

/* Forget the peer; what connect() chose implicitly goes with it. */
static void dissolve(struct stack *st, struct sock *so)
{
	struct udppcb *pcb = so->pcb;

	so->faddr = 0;
	so->fport = 0;
	so->faddr6 = (struct in6_addr){ 0 };
	if (!pcb->addr_bound) {
		so->laddr = 0;
		so->v6 = 0;
		so->laddr6 = (struct in6_addr){ 0 };
	}
	if (!pcb->port_bound && so->lport != 0) {
		porthash_del(&st->udp->ports, so);
		so->lport = 0;
	}
}

static int udp_connect(struct stack *st, struct sock *so, uint32_t addr, uint16_t port)
{
	int err;

	if (addr == 0 && port == 0) {
		dissolve(st, so);
		return 0;
	}
	if (so->v6 && ((struct udppcb *)so->pcb)->addr_bound)
		return -ENETUNREACH;	/* bound to an IPv6 address: no IPv4 peer */
	if (so->v6)
		dissolve(st, so);	/* an IPv6 peer before */
	if (so->lport == 0 && (err = autobind(st, so)) < 0)
		return err;
	if (so->laddr == 0)
		so->laddr = ip_source(st, addr);
	so->faddr = addr;
	so->fport = port;
	return 0;
}

static int udp_connect6(struct stack *st, struct sock *so, const struct in6_addr *addr,
			uint16_t port)
{
	int err;

	if (!so->v6 && ((struct udppcb *)so->pcb)->addr_bound)
		return -ENETUNREACH;	/* bound to an IPv4 address */
	if (so->lport == 0 && (err = autobind(st, so)) < 0)
		return err;
	if (!so->v6)
		so->laddr = so->faddr = 0;
	if (in6_is_any(&so->laddr6))
		so->laddr6 = ip6_source(st, addr);
	so->v6 = 1;
	so->faddr6 = *addr;
	so->fport = port;
	return 0;
}

/* The pending error, cleared as it is reported (as Linux's sock_error). */
/* Send a datagram to dst (an IPv6 address, or IPv4 mapped) port dport. */
static int udp_output(struct stack *st, struct sock *so, const struct in6_addr *dst,
		      uint16_t dport, const void *buf, size_t len)
{
	uint8_t *u = st->obuf + IP_HLEN;
	struct ipsend how = { .proto = IP_PROTO_UDP, .ttl = so->ttl, .tos = so->tos };
	struct udphdr h = { .sport = so->lport, .dport = dport, .len = (uint16_t)(UDP_HLEN + len) };
	int err;

	if (in6_is_v4mapped(dst)) {
		how.dst = in6_v4(dst);
		how.src = so->laddr ? so->laddr : ip_source(st, how.dst);
	} else {
		how.v6 = 1;
		how.src6 = so->v6 && !in6_is_any(&so->laddr6) ? so->laddr6 : ip6_source(st, dst);
		how.dst6 = *dst;
	}
	if (len > 0)
		memcpy(u + UDP_HLEN, buf, len);
	udp_emit_sum(u, &h, how.v6 ? cksum_pseudo6(&how.src6, &how.dst6, IP_PROTO_UDP, h.len)
				   : cksum_pseudo(how.src, how.dst, IP_PROTO_UDP, h.len));
	err = ip_output(st, &how, h.len);
	if (err == 0)
		st->udp->stats[UDPS_OUT_DATAGRAMS]++;
	return err;
}

static ssize_t udp_send(struct stack *st, struct sock *so, const void *buf, size_t len,
			int flags, const struct sockaddr_in6 *to)
{
	struct udppcb *pcb = so->pcb;
	struct in6_addr dst = so->faddr6;
	uint16_t dport = so->fport;
	int err = sock_take_error(so);

	(void)flags;
	if (err)
		return -err;
	if (pcb->dg.shut & DG_SHUT_SND)
		return -EPIPE;
	if (!so->v6)
		in6_set_v4mapped(&dst, so->faddr);
	if (to != NULL) {
		dst = to->sin6_addr;
		dport = ntohs(to->sin6_port);
		if (in6_is_any(&dst) || (in6_is_v4mapped(&dst) && in6_v4(&dst) == 0) ||
		    dport == 0)
			return -EINVAL;
	} else if (dport == 0) {
		return -EDESTADDRREQ;
	}
	if (len > UDP_MAXDATA)
		return -EMSGSIZE;
	if (so->lport == 0 && (err = autobind(st, so)) < 0)
		return err;
	err = udp_output(st, so, &dst, dport, buf, len);
	return err < 0 ? err : (ssize_t)len;
}

static ssize_t udp_recv(struct stack *st, struct sock *so, void *buf, size_t len, int flags,
			struct sockaddr_in6 *from)
{
	struct udppcb *pcb = so->pcb;

	return dgram_recv(st, so, &pcb->dg, buf, len, flags, from);
}

static int udp_shutdown(struct stack *st, struct sock *so, int how)
{
	struct udppcb *pcb = so->pcb;

	if (how == NC_SHUT_ABORT) {	/* hangup: dissolve */
		dissolve(st, so);
		return 0;
	}
	dgram_shutdown(st, so, &pcb->dg, how);
	/* Linux records the shutdown even then, so poll shows it */
	return so->fport != 0 ? 0 : -ENOTCONN;
}

static size_t udp_nread(struct stack *st, struct sock *so)
{
	struct udppcb *pcb = so->pcb;

	(void)st;
	return dgram_nread(&pcb->dg);
}

static short udp_poll(struct stack *st, struct sock *so)
{
	struct udppcb *pcb = so->pcb;

	(void)st;
	return dgram_poll(so, &pcb->dg);
}

/* backlog 0 stops making calls (those made stay to be accepted). */
static int udp_listen(struct stack *st, struct sock *so, int backlog)
{
	struct udppcb *pcb = so->pcb;
	int err;

	if (backlog <= 0) {
		pcb->backlog = 0;
		return 0;
	}
	if (so->fport != 0)
		return -EINVAL;
	if (so->lport == 0 && (err = autobind(st, so)) < 0)
		return err;
	pcb->backlog = backlog < UDP_MAX_BACKLOG ? backlog : UDP_MAX_BACKLOG;
	return 0;
}

static int udp_accept(struct stack *st, struct sock *so, struct sock **out)
{
	struct udppcb *pcb = so->pcb, *call = pcb->calls;

	(void)st;
	if (call == NULL)
		return pcb->backlog ? -EAGAIN : -EINVAL;
	pcb->calls = call->next_call;
	pcb->ncalls--;
	call->next_call = NULL;
	*out = call->so;
	return 0;
}

const struct sockops udp_sockops = {
	.type = SOCK_DGRAM,
	.proto = IPPROTO_UDP,
	.attach = udp_attach,
	.detach = udp_detach,
	.bind = udp_bind,
	.listen = udp_listen,
	.accept = udp_accept,
	.connect = udp_connect,
	.bind6 = udp_bind6,
	.connect6 = udp_connect6,
	.send = udp_send,
	.recv = udp_recv,
	.shutdown = udp_shutdown,
	.nread = udp_nread,
	.poll = udp_poll,
};

/* ---- input ---- */

/* How well a v6 socket so matches an IPv6 datagram from sport; -1 not
 * at all. A dual-stack socket (AF_INET6, bound to ::, not connected)
 * takes both families. */
static int match6(const struct sock *so, const struct ippkt *ip, uint16_t sport)
{
	int score = 0;

	if (so->domain != AF_INET6)
		return -1;
	if (!so->v6)
		return so->laddr == 0 && so->fport == 0 && !so->v4only ? 0 : -1;
	if (!in6_is_any(&so->laddr6)) {
		if (!in6_eq(&so->laddr6, &ip->dst6))
			return -1;
		score += 1;
	}
	if (so->fport != 0) {
		if (!in6_eq(&so->faddr6, &ip->src6) || so->fport != sport)
			return -1;
		score += 2;
	}
	return score;
}

/* How well so matches a datagram src:sport -> dst:dport; -1 not at all. */
static int match(const struct sock *so, const struct ippkt *ip, uint16_t sport, uint16_t dport)
{
	uint32_t src = ip->src, dst = ip->dst;
	int score = 0;

	if (so->lport != dport)
		return -1;
	if (ip->v6)
		return match6(so, ip, sport);
	if (so->v6only || so->v6)	/* IPv6 only, or talking IPv6: no IPv4 datagram */
		return -1;
	if (so->laddr != 0) {
		if (so->laddr != dst)
			return -1;
		score += 1;
	}
	if (so->fport != 0) {
		if (so->faddr != src || so->fport != sport)
			return -1;
		score += 2;
	}
	return score;
}

static void deliver(struct stack *st, struct udppcb *pcb, const struct ippkt *ip,
		    uint16_t sport, const uint8_t *data, size_t len)
{
	struct udp *u = st->udp;
	struct sock *so = pcb->so;
	struct in6_addr src = ippkt_src6(ip);

	if (dgram_put(st, &pcb->dg.rcvq, so->rcvbuf, &src, sport, data, len) < 0) {
		if (stack_logs(st, LOG_UDP))
			stack_log(st, &(struct log_event){ .proto = LOG_UDP, .what = "drop",
							   .why = "receive queue full", .src = ip->src,
							   .sport = sport, .dport = so->lport });
		u->stats[UDPS_RCVBUF_ERRORS]++;
		u->stats[UDPS_IN_ERRORS]++;
		return;
	}
	u->stats[UDPS_IN_DATAGRAMS]++;
	sock_event(st, so);
}

static void log_drop(struct stack *st, const char *why, const struct ippkt *ip, uint16_t sport,
		     uint16_t dport)
{
	if (stack_logs(st, LOG_UDP))
		stack_log(st, &(struct log_event){ .proto = LOG_UDP, .what = "drop", .why = why,
						   .src = ip->src, .dst = ip->dst, .sport = sport,
						   .dport = dport });
}

/* A new peer src:sport of listener l, as a socket of its own for the
 * datagram that came to dst; NULL when its calls are full (or memory). */
static struct udppcb *new_call(struct stack *st, struct udppcb *l, uint32_t src,
			       uint16_t sport, uint32_t dst)
{
	struct udppcb *pcb, **tail;
	struct sock *so;

	if (l->ncalls >= l->backlog || (so = sock_new_child(st, l->so)) == NULL)
		return NULL;
	if (udp_attach(st, so) < 0) {
		sock_free_child(st, so);
		return NULL;
	}
	pcb = so->pcb;
	so->laddr = dst;
	so->lport = l->so->lport;
	so->faddr = src;
	so->fport = sport;
	pcb->port_bound = pcb->addr_bound = 1;
	porthash_add(&st->udp->ports, so);
	for (tail = &l->calls; *tail; tail = &(*tail)->next_call)
		;
	*tail = pcb;
	l->ncalls++;
	sock_event(st, l->so);
	return pcb;
}

void udp_input(struct stack *st, struct ippkt *ip)
{
	struct udp *u = st->udp;
	const uint8_t *h = ip->data;
	struct udppcb *best = NULL;
	int broadcast = !ip->v6 && !ip_is_local(st, ip->dst), best_score = -1, delivered = 0;
	struct udphdr uh;
	uint16_t sport, dport;
	size_t ulen;

	switch (udp_parse(ip, &uh)) {
	case UDP_BAD_CKSUM:
		u->stats[UDPS_IN_CSUM_ERRORS]++;
		u->stats[UDPS_IN_ERRORS]++;
		log_drop(st, "bad checksum", ip, 0, 0);
		return;
	case UDP_BAD_LEN:
		u->stats[UDPS_IN_ERRORS]++;
		log_drop(st, "bad length", ip, 0, 0);
		return;
	}
	ulen = uh.len;
	ip->len = ulen;		/* drop any link padding */
	sport = uh.sport;
	dport = uh.dport;
	for (struct sock *o = porthash_first(&u->ports, dport); o; o = o->next_port) {
		struct udppcb *p = o->pcb;
		int s = match(o, ip, sport, dport);
		if (s < 0)
			continue;
		if (broadcast) {	/* every listener gets its copy */
			deliver(st, p, ip, sport, h + UDP_HLEN, ulen - UDP_HLEN);
			delivered = 1;
		} else if (s > best_score) {
			best = p;
			best_score = s;
		}
	}
	/* a listener makes a call per new peer (IPv4 peers only, for now) */
	if (best != NULL && best->backlog > 0 && best->so->fport == 0 && !ip->v6) {
		best = new_call(st, best, ip->src, sport, ip->dst);
		if (best == NULL) {	/* as a full receive queue */
			u->stats[UDPS_RCVBUF_ERRORS]++;
			u->stats[UDPS_IN_ERRORS]++;
			return;
		}
	}
	if (best != NULL) {
		deliver(st, best, ip, sport, h + UDP_HLEN, ulen - UDP_HLEN);
		return;
	}
	if (!delivered) {
		u->stats[UDPS_NO_PORTS]++;
		log_drop(st, "no port", ip, sport, dport);
		if (ip->v6)
			icmp6_error(st, ip, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT, 0);
		else if (!broadcast)
			icmp_unreach(st, ip, ICMP_UNREACH_PORT);
	}
}

/*
 * An ICMP error quoting a datagram we sent. Like Linux without
 * IP_RECVERR: only hard errors, and only for a socket connected to the
 * peer the datagram went to.
 */
void udp_icmp_error(struct stack *st, int type, int code, uint32_t info,
		    const struct ippkt *quoted)
{
	uint32_t src, dst;
	uint16_t sport, dport;
	int err, fatal = 0;

	(void)info;
	if (type == ICMP_UNREACH) {
		err = icmp_unreach_errno(code, &fatal);
	} else if (type == ICMP_PARAMPROB) {
		err = EPROTO;
		fatal = 1;
	} else {
		return;
	}
	if (!fatal)
		return;
	src = quoted->src;
	dst = quoted->dst;
	sport = get16(quoted->data);
	dport = get16(quoted->data + 2);
	for (struct sock *so = porthash_first(&st->udp->ports, sport); so; so = so->next_port) {
		if (so->lport != sport || so->fport != dport || so->v6 != quoted->v6)
			continue;
		if (quoted->v6 ? in6_eq(&so->faddr6, &quoted->dst6)
			       : so->faddr == dst && (so->laddr == 0 || so->laddr == src))
			sock_set_error(st, so, err);
	}
}

/* ---- the protocol ---- */

int udp_init(struct stack *st)
{
	st->udp = calloc(1, sizeof *st->udp);
	return st->udp ? 0 : -ENOMEM;
}

void udp_fini(struct stack *st)
{
	free(st->udp);
	st->udp = NULL;
}

int udp_stats(struct stack *st, struct nc_stat *out, int max)
{
	return stack_put_stats(out, max, udp_names, st->udp->stats, UDPS_N);
}
