/*
 * The DNS pump (see dns.h): datagrams between a resolver and UDP sockets
 * of a netcore stack, with the public API only. A lookup's socket is known
 * by the query id its datagrams carry, which the resolver keeps unique
 * among the lookups in flight.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "addr.h"
#include "dns.h"

enum {
	PUMP_MAX = 64,		/* datagrams read from a socket in one pump */
	RECV_MAX = 4096,	/* a reply may be longer than asked */
	PORT_LO = 1024,		/* source ports drawn from 1024-65535 (RFC 6056) */
	PORT_TRIES = 8,		/* ports tried before a query waits for its retry */
};

struct dns_pump {
	struct nc_stack *st;
	union addr server;	/* port 53; its family is the sockets' */
	void (*event)(void *arg, int s, short revents);
	void *arg;
	struct {
		int s;		/* -1: free */
		uint16_t id;	/* the lookup's query id */
	} q[DNS_MAX_LOOKUPS];
};

struct dns_pump *dns_pump_new(struct nc_stack *st, const struct sockaddr *server,
			      void (*event)(void *arg, int s, short revents), void *arg)
{
	struct dns_pump *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->st = st;
	memcpy(&p->server, server,
	       server->sa_family == AF_INET6 ? sizeof p->server.v6 : sizeof p->server.v4);
	addr_set_port(&p->server, DNS_PORT);
	p->event = event;
	p->arg = arg;
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
		p->q[i].s = -1;
	return p;
}

static void close_slot(struct dns_pump *p, int i)
{
	nc_close(p->st, p->q[i].s);
	p->q[i].s = -1;
}

void dns_pump_free(struct dns_pump *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
		if (p->q[i].s >= 0)
			close_slot(p, i);
	free(p);
}

/* Bind s to a random port, trying another one if it is taken. */
static int bind_random(struct nc_stack *st, int s, int family)
{
	union addr any = { 0 };
	uint16_t r;

	any.sa.sa_family = (sa_family_t)family;
	for (int i = 0; i < PORT_TRIES; i++) {
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			return -1;
		addr_set_port(&any, (uint16_t)(PORT_LO + r % (65536 - PORT_LO)));
		if (nc_bind(st, s, &any.sa, addr_len(&any)) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

/* A socket from a random port to the server, watched: -1 on failure. */
static int open_sock(struct dns_pump *p)
{
	int family = p->server.sa.sa_family;
	int s = nc_socket(p->st, family, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);

	if (s < 0)
		return -1;
	if (bind_random(p->st, s, family) < 0 ||
	    nc_connect(p->st, s, &p->server.sa, addr_len(&p->server)) < 0 ||
	    nc_set_event_cb(p->st, s, p->event, p->arg) < 0) {
		nc_close(p->st, s);
		return -1;
	}
	return s;
}

/* The socket for query id: its lookup's, or a new one; -1 if none. */
static int sock_for(struct dns_pump *p, uint16_t id)
{
	int free_i = -1;

	for (int i = 0; i < DNS_MAX_LOOKUPS; i++) {
		if (p->q[i].s >= 0 && p->q[i].id == id)
			return p->q[i].s;
		if (p->q[i].s < 0 && free_i < 0)
			free_i = i;
	}
	if (free_i < 0 || (p->q[free_i].s = open_sock(p)) < 0)
		return -1;
	p->q[free_i].id = id;
	return p->q[free_i].s;
}

static void take_replies(struct dns_pump *p, struct dns *d, int s, uint64_t now)
{
	uint8_t buf[RECV_MAX];

	for (int i = 0; i < PUMP_MAX; i++) {
		ssize_t got = nc_recv(p->st, s, buf, sizeof buf, MSG_DONTWAIT);
		if (got >= 0)
			dns_input(d, now, buf, (size_t)got);
		else if (errno != ECONNREFUSED)	/* reported once; retries go on */
			break;
	}
}

void dns_pump_run(struct dns_pump *p, struct dns *d, uint64_t now)
{
	uint8_t buf[DNS_MSG_MAX];
	size_t n;
	int s;

	for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
		if (p->q[i].s >= 0)
			take_replies(p, d, p->q[i].s, now);
	dns_advance(d, now);
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
		if (p->q[i].s >= 0 && !dns_in_flight(d, p->q[i].id))
			close_slot(p, i);
	/* A query that cannot be sent is as good as lost: its retry covers it. */
	while ((n = dns_output(d, now, buf, sizeof buf)) > 0) {
		s = sock_for(p, (uint16_t)(buf[0] << 8 | buf[1]));
		if (s >= 0)
			nc_send(p->st, s, buf, n, MSG_DONTWAIT);
	}
}
