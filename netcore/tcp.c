/*
 * TCP (RFC 9293): connections, their lookup, their states and the socket
 * operations. A connection is a struct tcb (tcp_impl.h); tcp_input.c
 * handles arriving segments and tcp_output.c everything that sends or
 * waits. Every state change goes through tcp_setstate(), every end of a
 * connection through tcp_close() with its reason.
 *
 * A tcb lives as long as its socket or its protocol state needs it: after
 * close() the connection goes on without a socket (tcb->so NULL) until it
 * reaches Closed, then it is freed. Connections a listener has not handed
 * out yet hang on its SYN queue (no socket) or accept queue (a socket
 * without a descriptor).
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "buf.h"
#include "icmp.h"
#include "ip.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_impl.h"

/* ---- initial sequence numbers (RFC 6528) ---- */

static uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

/* SipHash-2-4 of a 16-byte message: the keyed function F of RFC 6528. */
static uint64_t siphash(const uint8_t key[16], uint64_t m0, uint64_t m1)
{
	uint64_t k0, k1, v[4], m[3] = { m0, m1, (uint64_t)16 << 56 };

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (int i = 0; i < 3; i++) {
		v[3] ^= m[i];
		sipround(v);
		sipround(v);
		v[0] ^= m[i];
	}
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ISN = M + F(4-tuple, secret), M ticking every 4 µs. */
static uint32_t tcp_isn(struct stack *st, const struct tcb *tcb)
{
	uint64_t m0 = (uint64_t)tcb->laddr << 32 | tcb->faddr;
	uint64_t m1 = (uint64_t)tcb->lport << 16 | tcb->fport;

	return (uint32_t)(st->now / 4) + (uint32_t)siphash(st->secret, m0, m1);
}

/* ---- the hash tables ---- */

static unsigned hash4(uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport)
{
	uint32_t h = faddr * 0x9e3779b1u ^ ((uint32_t)fport << 16 | lport) ^ laddr * 0x85ebca6bu;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & (TCP_HASH - 1);
}

static struct tcb **chain4(struct stack *st, const struct tcb *t)
{
	return &st->tcp->hash[hash4(t->laddr, t->lport, t->faddr, t->fport)];
}

static struct tcb **pchain(struct stack *st, uint16_t port)
{
	return &st->tcp->phash[port % TCP_PHASH];
}

static void hash_insert(struct stack *st, struct tcb *t)
{
	struct tcb **c = chain4(st, t);

	t->hnext = *c;
	*c = t;
	t->hashed = 1;
}

static void hash_remove(struct stack *st, struct tcb *t)
{
	if (!t->hashed)
		return;
	for (struct tcb **pp = chain4(st, t); *pp; pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	}
	t->hashed = 0;
}

static void port_insert(struct stack *st, struct tcb *t)
{
	struct tcb **c = pchain(st, t->lport);

	t->pnext = *c;
	*c = t;
	t->bound = 1;
}

static void port_remove(struct stack *st, struct tcb *t)
{
	if (!t->bound)
		return;
	for (struct tcb **pp = pchain(st, t->lport); *pp; pp = &(*pp)->pnext) {
		if (*pp == t) {
			*pp = t->pnext;
			break;
		}
	}
	t->bound = 0;
}

struct tcb *tcp_lookup(struct stack *st, uint32_t laddr, uint16_t lport, uint32_t faddr,
		       uint16_t fport)
{
	struct tcb *t = st->tcp->hash[hash4(laddr, lport, faddr, fport)];

	for (; t; t = t->hnext)
		if (t->lport == lport && t->fport == fport && t->faddr == faddr &&
		    t->laddr == laddr)
			return t;
	return NULL;
}

/* The listener for a SYN to laddr:lport: bound to laddr, else to any. */
struct tcb *tcp_listener(struct stack *st, uint32_t laddr, uint16_t lport)
{
	struct tcb *any = NULL;

	for (struct tcb *t = *pchain(st, lport); t; t = t->pnext) {
		if (t->state != NC_TCP_LISTEN || t->lport != lport)
			continue;
		if (t->laddr == laddr)
			return t;
		if (t->laddr == 0)
			any = t;
	}
	return any;
}

static int port_in_use(struct stack *st, uint16_t port)
{
	for (struct tcb *t = *pchain(st, port); t; t = t->pnext)
		if (t->lport == port)
			return 1;
	return 0;
}

/* ---- control blocks ---- */

static struct tcb *tcb_new(void)
{
	struct tcb *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->state = NC_TCP_CLOSED;
	t->rto = TCP_RTO_INIT;
	t->mss = TCP_DEFMSS;
	t->conn_timeout_ms = TCP_CONNECT_TIMEOUT_MS;
	t->keepidle = TCP_KEEPIDLE_S;
	t->keepintvl = TCP_KEEPINTVL_S;
	t->keepcnt = TCP_DEF_KEEPCNT;
	t->sndbuf = SOCK_DEF_BUF;
	t->rcvbuf = SOCK_DEF_BUF;
	t->snd_wscale = t->rcv_wscale = 0;
	tcp_timers_init(t);
	return t;
}

static void list_remove(struct tcb **head, struct tcb *t)
{
	for (; *head; head = &(*head)->qnext) {
		if (*head == t) {
			*head = t->qnext;
			t->qnext = NULL;
			return;
		}
	}
}

static void list_append(struct tcb **head, struct tcb *t)
{
	while (*head)
		head = &(*head)->qnext;
	t->qnext = NULL;
	*head = t;
}

static void tcb_free(struct stack *st, struct tcb *t)
{
	tcp_timers_stop(st, t);
	hash_remove(st, t);
	port_remove(st, t);
	bufq_clear(st, &t->sndq);
	bufq_clear(st, &t->rcvq);
	free(t);
}

void tcp_wake(struct stack *st, struct tcb *tcb)
{
	if (tcb->so != NULL)
		sock_event(st, tcb->so);
}

static int estab_like(int state)
{
	return state == NC_TCP_ESTABLISHED || state == NC_TCP_CLOSE_WAIT;
}

void tcp_setstate(struct stack *st, struct tcb *tcb, int state)
{
	struct tcpstats *s = &st->tcp->stats;
	int old = tcb->state;

	if (old == state)
		return;
	if (estab_like(old) && !estab_like(state))
		s->curr_estab--;
	if (!estab_like(old) && estab_like(state))
		s->curr_estab++;
	if (state == NC_TCP_CLOSED) {
		if (old == NC_TCP_SYN_SENT || old == NC_TCP_SYN_RECEIVED)
			s->attempt_fails++;
		if (estab_like(old))
			s->estab_resets++;
	}
	if (state == NC_TCP_ESTABLISHED)
		tcb->connected = 1;
	tcb->state = (uint8_t)state;
	tcp_wake(st, tcb);
}

/* Every end of a connection comes here. Without a socket the tcb goes;
 * with one it stays, Closed, until the descriptor is closed. */
void tcp_close(struct stack *st, struct tcb *tcb, int err)
{
	tcp_timers_stop(st, tcb);
	bufq_clear(st, &tcb->sndq);
	tcb->nooo = 0;
	tcb->nsack = 0;
	if (tcb->rcvq.len == 0)
		bufq_clear(st, &tcb->rcvq);
	hash_remove(st, tcb);
	tcp_setstate(st, tcb, NC_TCP_CLOSED);
	if (tcb->so != NULL) {
		if (err)
			sock_set_error(st, tcb->so, err);
		return;
	}
	if (tcb->parent != NULL) {
		list_remove(&tcb->parent->synq, tcb);
		tcb->parent->nsynq--;
	}
	tcb_free(st, tcb);
}

/* A new connection for listener l from SYN s, on its SYN queue; NULL when
 * either queue is full (the SYN is dropped) or memory runs out. */
struct tcb *tcp_new_child(struct stack *st, struct tcb *l, const struct seg *s)
{
	unsigned synq_max = l->backlog > TCP_MIN_SYNQ ? l->backlog : TCP_MIN_SYNQ;
	struct tcb *c;

	if (l->nsynq >= synq_max || l->nacceptq >= l->backlog)
		return NULL;
	c = tcb_new();
	if (c == NULL)
		return NULL;
	c->laddr = s->dst;
	c->lport = s->dport;
	c->faddr = s->src;
	c->fport = s->sport;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->keepidle = l->keepidle;
	c->keepintvl = l->keepintvl;
	c->keepcnt = l->keepcnt;
	c->conn_timeout_ms = l->conn_timeout_ms;
	c->user_mss = l->user_mss;
	c->sndbuf = l->sndbuf;
	c->rcvbuf = l->rcvbuf;
	c->passive = 1;
	c->parent = l;
	c->iss = tcp_isn(st, c);
	list_append(&l->synq, c);
	l->nsynq++;
	hash_insert(st, c);
	port_insert(st, c);
	st->tcp->stats.passive_opens++;
	return c;
}

/* A passive connection completed its handshake: give it a socket and put
 * it on the accept queue. 0; -EAGAIN when the accept queue is full (the
 * ACK is ignored, the SYN-ACK will be sent again); -ENOMEM. */
int tcp_child_established(struct stack *st, struct tcb *c)
{
	struct tcb *l = c->parent;
	struct sock *so;

	if (l == NULL)
		return 0;
	if (l->nacceptq >= l->backlog)
		return -EAGAIN;
	so = sock_new_child(st, l->so);
	if (so == NULL)
		return -ENOMEM;
	so->pcb = c;
	so->laddr = c->laddr;
	so->lport = c->lport;
	so->faddr = c->faddr;
	so->fport = c->fport;
	c->so = so;
	list_remove(&l->synq, c);
	l->nsynq--;
	list_append(&l->acceptq, c);
	l->nacceptq++;
	tcp_wake(st, l);
	return 0;
}
