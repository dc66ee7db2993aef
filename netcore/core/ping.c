/*
 * Echo sockets, for /net/icmp (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP),
 * after Linux's ping sockets) and ICMPv6's (AF_INET6, IPPROTO_ICMPV6:
 * the same sockets, the echo of RFC 4443 4, IPv6 addresses only). A socket has an id, kept as its local port:
 * each send is one echo request carrying the payload, with that id and the
 * next sequence number; each echo reply with that id, from the peer if the
 * socket is connected, is queued, and recv returns its payload.
 *
 * The table of echo sockets (a hash by id) exists only while one is open.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "buf.h"
#include "dgram.h"
#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ip6.h"
#include "ping.h"
#include "sock.h"
#include "stack.h"

enum {
	PING_MAXDATA = IP_MAXPACKET - IP_HLEN - ICMP_HLEN,
};

struct pingpcb {
	struct sock *so;
	struct dgram dg;	/* received datagrams, shutdown */
	uint16_t seq;		/* of the next request */
	int id_bound;		/* bind() chose the id: dissolving keeps it */
};

struct ping {
	struct porthash ids;	/* sockets by echo id (their lport) */
	int nsocks;
};

static int id_in_use(struct stack *st, uint16_t id)
{
	return porthash_used(&st->ping->ids, id);
}

static int set_id(struct stack *st, struct sock *so, uint16_t id)
{
	if (id == 0)
		id = sock_ephemeral(st, 0, 0, id_in_use);
	else if (id_in_use(st, id))
		return -EADDRINUSE;
	if (id == 0)
		return -EADDRNOTAVAIL;
	so->lport = id;
	porthash_add(&st->ping->ids, so);
	return 0;
}

static int ping_attach(struct stack *st, struct sock *so)
{
	struct pingpcb *pcb;

	if (st->ping == NULL && (st->ping = calloc(1, sizeof *st->ping)) == NULL)
		return -ENOMEM;
	pcb = calloc(1, sizeof *pcb);
	if (pcb == NULL) {
		if (st->ping->nsocks == 0) {
			free(st->ping);
			st->ping = NULL;
		}
		return -ENOMEM;
	}
	pcb->so = so;
	so->pcb = pcb;
	st->ping->nsocks++;
	return 0;
}

static void ping_detach(struct stack *st, struct sock *so, int abort)
{
	struct pingpcb *pcb = so->pcb;

	(void)abort;
	if (so->lport != 0)
		porthash_del(&st->ping->ids, so);
	bufq_clear(st, &pcb->dg.rcvq);
	free(pcb);
	so->pcb = NULL;
	if (--st->ping->nsocks == 0) {
		free(st->ping);
		st->ping = NULL;
	}
}

static int is_v6(const struct sock *so)
{
	return so->ops->proto == IPPROTO_ICMPV6;
}

static int ping_bind(struct stack *st, struct sock *so, uint32_t addr, uint16_t id)
{
	struct pingpcb *pcb = so->pcb;
	int err;

	if (so->lport != 0)
		return -EINVAL;
	if (addr != 0 && (is_v6(so) || !ip_is_local(st, addr)))
		return -EADDRNOTAVAIL;
	if ((err = set_id(st, so, id)) < 0)
		return err;
	so->laddr = addr;
	pcb->id_bound = 1;
	return 0;
}

static int ping_bind6(struct stack *st, struct sock *so, const struct in6_addr *addr,
		      uint16_t id)
{
	int err = ping_bind(st, so, 0, id);

	if (err == 0)
		so->laddr6 = *addr;
	return err;
}

static int ping_connect(struct stack *st, struct sock *so, uint32_t addr, uint16_t port)
{
	struct pingpcb *pcb = so->pcb;
	int err;

	(void)port;		/* echo has no ports */
	if (addr != 0 && is_v6(so))
		return -EAFNOSUPPORT;	/* no IPv4 host answers ICMPv6 */
	if (addr == 0) {	/* dissolve */
		so->faddr = 0;
		so->faddr6 = (struct in6_addr){ 0 };
		if (!pcb->id_bound && so->lport != 0) {
			porthash_del(&st->ping->ids, so);
			so->lport = 0;
		}
		return 0;
	}
	if (so->lport == 0 && (err = set_id(st, so, 0)) < 0)
		return err;
	so->faddr = addr;
	return 0;
}

static int ping_connect6(struct stack *st, struct sock *so, const struct in6_addr *addr,
			 uint16_t port)
{
	int err;

	(void)port;
	if (!is_v6(so))
		return -EAFNOSUPPORT;
	if (so->lport == 0 && (err = set_id(st, so, 0)) < 0)
		return err;
	so->faddr6 = *addr;
	return 0;
}

/* Whether so has a peer. */
static int connected(const struct sock *so)
{
	return is_v6(so) ? !in6_is_any(&so->faddr6) : so->faddr != 0;
}

/* Send one echo request to the peer (or to) of so's family. */
static int send_echo(struct stack *st, struct sock *so, const struct sockaddr_in6 *to,
		     const void *buf, size_t len)
{
	struct pingpcb *pcb = so->pcb;

	if (is_v6(so)) {
		const struct in6_addr *dst = to ? &to->sin6_addr : &so->faddr6;
		if (in6_is_v4mapped(dst))
			return -EAFNOSUPPORT;
		return icmp6_send_echo(st, dst, so->lport, pcb->seq, buf, len, so->ttl, so->tos);
	}
	return icmp_send_echo(st, to ? in6_v4(&to->sin6_addr) : so->faddr, so->lport, pcb->seq,
			      buf, len, so->ttl, so->tos);
}

static ssize_t ping_send(struct stack *st, struct sock *so, const void *buf, size_t len,
			 int flags, const struct sockaddr_in6 *to)
{
	struct pingpcb *pcb = so->pcb;
	int err = sock_take_error(so);

	(void)flags;
	if (err)
		return -err;
	if (pcb->dg.shut & DG_SHUT_SND)
		return -EPIPE;
	if (to == NULL && !connected(so))
		return -EDESTADDRREQ;
	if (len > PING_MAXDATA)
		return -EMSGSIZE;
	if (so->lport == 0 && (err = set_id(st, so, 0)) < 0)
		return err;
	err = send_echo(st, so, to, len ? buf : "", len);
	if (err < 0)
		return err;
	pcb->seq++;
	return (ssize_t)len;
}

static ssize_t ping_recv(struct stack *st, struct sock *so, void *buf, size_t len, int flags,
			 struct sockaddr_in6 *from)
{
	struct pingpcb *pcb = so->pcb;

	return dgram_recv(st, so, &pcb->dg, buf, len, flags, from);
}

static int ping_shutdown(struct stack *st, struct sock *so, int how)
{
	struct pingpcb *pcb = so->pcb;

	if (how == NC_SHUT_ABORT)
		return ping_connect(st, so, 0, 0);
	dgram_shutdown(st, so, &pcb->dg, how);
	return connected(so) ? 0 : -ENOTCONN;
}

static size_t ping_nread(struct stack *st, struct sock *so)
{
	struct pingpcb *pcb = so->pcb;

	(void)st;
	return dgram_nread(&pcb->dg);
}

static short ping_poll(struct stack *st, struct sock *so)
{
	struct pingpcb *pcb = so->pcb;

	(void)st;
	return dgram_poll(so, &pcb->dg);
}

const struct sockops icmp_sockops = {
	.type = SOCK_DGRAM,
	.proto = IPPROTO_ICMP,
	.attach = ping_attach,
	.detach = ping_detach,
	.bind = ping_bind,
	.connect = ping_connect,
	.send = ping_send,
	.recv = ping_recv,
	.shutdown = ping_shutdown,
	.nread = ping_nread,
	.poll = ping_poll,
};

const struct sockops icmp6_sockops = {
	.type = SOCK_DGRAM,
	.proto = IPPROTO_ICMPV6,
	.attach = ping_attach,
	.detach = ping_detach,
	.bind = ping_bind,
	.connect = ping_connect,
	.bind6 = ping_bind6,
	.connect6 = ping_connect6,
	.send = ping_send,
	.recv = ping_recv,
	.shutdown = ping_shutdown,
	.nread = ping_nread,
	.poll = ping_poll,
};

/* Is echo reply ip for so (its id matched)? */
static int wants(const struct sock *so, const struct ippkt *ip)
{
	if (is_v6(so) != ip->v6)
		return 0;
	if (ip->v6)
		return (in6_is_any(&so->faddr6) || in6_eq(&so->faddr6, &ip->src6)) &&
		       (in6_is_any(&so->laddr6) || in6_eq(&so->laddr6, &ip->dst6));
	return (so->faddr == 0 || so->faddr == ip->src) && (so->laddr == 0 || so->laddr == ip->dst);
}

void ping_input(struct stack *st, struct ippkt *ip, uint16_t id)
{
	struct in6_addr src = ippkt_src6(ip);

	if (st->ping == NULL)
		return;
	for (struct sock *so = porthash_first(&st->ping->ids, id); so; so = so->next_port) {
		struct pingpcb *pcb = so->pcb;
		if (so->lport != id || !wants(so, ip))
			continue;
		if (dgram_put(st, &pcb->dg.rcvq, so->rcvbuf, &src, 0, ip->data + ICMP_HLEN,
			      ip->len - ICMP_HLEN) == 0)
			sock_event(st, so);
		return;
	}
}
