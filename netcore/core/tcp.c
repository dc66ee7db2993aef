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

/* ---- initial sequence numbers (RFC 6528) and timestamp offsets ---- */

/* ISN = M + F(4-tuple, secret), M ticking every 4 µs. */
static uint32_t tcp_isn(struct stack *st, const struct tcb *tcb)
{
	uint64_t m0 = (uint64_t)tcb->laddr << 32 | tcb->faddr;
	uint64_t m1 = (uint64_t)tcb->lport << 16 | tcb->fport;

	return (uint32_t)(st->now / 4) + (uint32_t)stack_hash(st, HASH_ISN, m0, m1);
}

/*
 * The offset of a connection's timestamp clock: a keyed hash of the two
 * addresses, as Linux keeps it (RFC 7323 §5.4). Every incarnation of a
 * 4-tuple, and every port between the same two hosts, then sends
 * timestamps from one increasing clock, so a peer still holding the
 * 4-tuple in TIME_WAIT takes a new SYN (RFC 6191) instead of rejecting
 * it as old (PAWS).
 */
static uint32_t tcp_ts_offset(struct stack *st, const struct tcb *tcb)
{
	return (uint32_t)stack_hash(st, HASH_TS_OFFSET, (uint64_t)tcb->laddr << 32 | tcb->faddr, 0);
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

/* Output for t once the batch of input is done: one ACK then covers every
 * segment of the batch, as a NIC's interrupt coalescing would have it. */
void tcp_output_later(struct stack *st, struct tcb *t)
{
	if (t->output_due)
		return;
	t->output_due = 1;
	t->onext = st->tcp->due;
	st->tcp->due = t;
}

void tcp_flush(struct stack *st)
{
	struct tcb *t;

	while ((t = st->tcp->due) != NULL) {
		st->tcp->due = t->onext;
		t->output_due = 0;
		tcp_output(st, t);
		tcp_timer_update(st, t);
	}
}

static void tcb_free(struct stack *st, struct tcb *t)
{
	if (t->output_due) {
		struct tcb **p = &st->tcp->due;
		while (*p != t)
			p = &(*p)->onext;
		*p = t->onext;
	}
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
	c->ttl = l->so->ttl;
	c->tos = l->so->tos;
	c->passive = 1;
	c->parent = l;
	c->iss = tcp_isn(st, c);
	c->ts_offset = tcp_ts_offset(st, c);
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

/* ---- socket operations ---- */

static int tcp_attach(struct stack *st, struct sock *so)
{
	struct tcb *t = tcb_new();

	(void)st;
	if (t == NULL)
		return -ENOMEM;
	t->so = so;
	t->sndbuf = so->sndbuf;
	t->rcvbuf = so->rcvbuf;
	so->pcb = t;
	return 0;
}

/* Reset every connection a listener has not handed out. */
static void drop_children(struct stack *st, struct tcb *l)
{
	while (l->synq != NULL) {
		struct tcb *c = l->synq;
		tcp_send_rst(st, c);
		tcp_close(st, c, 0);	/* leaves the SYN queue, freed */
	}
	while (l->acceptq != NULL) {
		struct tcb *c = l->acceptq;
		struct sock *so = c->so;
		l->acceptq = c->qnext;
		l->nacceptq--;
		c->qnext = NULL;
		c->parent = NULL;
		c->so = NULL;
		sock_free_child(st, so);
		tcp_send_rst(st, c);
		tcp_close(st, c, 0);
	}
}

/* Our side has no more to send: FIN after the queued data. In a
 * handshake the FIN waits for Established (tcp_input.c). */
static void start_fin(struct stack *st, struct tcb *t)
{
	t->shut_wr = 1;
	if (t->state == NC_TCP_ESTABLISHED)
		tcp_setstate(st, t, NC_TCP_FIN_WAIT_1);
	else if (t->state == NC_TCP_CLOSE_WAIT)
		tcp_setstate(st, t, NC_TCP_LAST_ACK);
	tcp_output(st, t);
}

static void tcp_detach(struct stack *st, struct sock *so, int abort)
{
	struct tcb *t = so->pcb;

	so->pcb = NULL;
	t->so = NULL;
	t->ttl = so->ttl;
	t->tos = so->tos;
	switch (t->state) {
	case NC_TCP_LISTEN:
		drop_children(st, t);
		tcp_setstate(st, t, NC_TCP_CLOSED);
		tcb_free(st, t);
		return;
	case NC_TCP_CLOSED:
		tcb_free(st, t);
		return;
	case NC_TCP_SYN_SENT:
		tcp_close(st, t, 0);
		return;
	}
	/* close() with unread data, or SO_LINGER 0: reset (RFC 2525 2.17) */
	if (abort || t->rcvq.len > 0) {
		tcp_send_rst(st, t);
		tcp_close(st, t, 0);
		return;
	}
	t->shut_rd = 1;
	if (!t->shut_wr)
		start_fin(st, t);
	tcp_timer_update(st, t);
}

static int bind_conflict(struct stack *st, const struct sock *so, uint32_t addr, uint16_t port)
{
	for (struct tcb *t = *pchain(st, port); t; t = t->pnext) {
		if (t->lport != port || t->so == so)
			continue;
		if (t->laddr != 0 && addr != 0 && t->laddr != addr)
			continue;
		/* SO_REUSEADDR shares a port with connections (a server
		 * restarting) and with sockets that asked for it too */
		if (so->reuseaddr && t->state != NC_TCP_LISTEN &&
		    (t->so == NULL || t->so->reuseaddr || t->connected))
			continue;
		return 1;
	}
	return 0;
}

static int tcp_bind(struct stack *st, struct sock *so, uint32_t addr, uint16_t port)
{
	struct tcb *t = so->pcb;
	int p;

	if (so->lport != 0 || t->state != NC_TCP_CLOSED || t->connected)
		return -EINVAL;
	p = sock_bind_port(st, port, port_in_use, port && bind_conflict(st, so, addr, port));
	if (p < 0)
		return p;
	port = (uint16_t)p;
	t->laddr = so->laddr = addr;
	t->lport = so->lport = port;
	port_insert(st, t);
	return 0;
}

static int tcp_listen(struct stack *st, struct sock *so, int backlog)
{
	struct tcb *t = so->pcb;

	backlog = backlog < 1 ? 1 : backlog > TCP_MAX_BACKLOG ? TCP_MAX_BACKLOG : backlog;
	if (t->state == NC_TCP_LISTEN) {
		t->backlog = (uint16_t)backlog;
		return 0;
	}
	if (t->state != NC_TCP_CLOSED || t->connected)
		return -EINVAL;
	if (so->lport == 0) {
		int err = tcp_bind(st, so, 0, 0);
		if (err < 0)
			return err;
	} else {
		struct tcb *o = tcp_listener(st, t->laddr, t->lport);
		if (o != NULL && (o->laddr == t->laddr || o->laddr == 0 || t->laddr == 0))
			return -EADDRINUSE;
	}
	t->backlog = (uint16_t)backlog;
	tcp_setstate(st, t, NC_TCP_LISTEN);
	return 0;
}

static int tcp_accept(struct stack *st, struct sock *so, struct sock **out)
{
	struct tcb *t = so->pcb, *c = t->acceptq;

	(void)st;
	if (t->state != NC_TCP_LISTEN)
		return -EINVAL;
	if (c == NULL)
		return -EAGAIN;
	t->acceptq = c->qnext;
	t->nacceptq--;
	c->qnext = NULL;
	c->parent = NULL;
	*out = c->so;
	return 0;
}

/* Forget what an earlier, failed attempt left in the tcb. */
static void conn_fresh(struct tcb *t)
{
	t->shut_rd = t->shut_wr = t->fin_sent = t->fin_rcvd = t->fin_pending = 0;
	t->ts_ok = t->sack_ok = t->ws_ok = t->ack_now = t->in_recovery = t->timing = 0;
	t->snd_wscale = t->rcv_wscale = 0;
	t->nrtx = t->kprobes = t->dupacks = t->nooo = t->nsack = 0;
	t->snd_wnd = t->max_sndwnd = 0;
	t->srtt = t->rttvar = 0;
	t->rto = TCP_RTO_INIT;
	t->soft_error = 0;
	t->unacked = 0;
}

static int tcp_connect(struct stack *st, struct sock *so, uint32_t addr, uint16_t port)
{
	struct tcb *t = so->pcb;
	uint32_t laddr = so->laddr ? so->laddr : st->addr;

	switch (t->state) {
	case NC_TCP_LISTEN:
		return -EINVAL;
	case NC_TCP_SYN_SENT:
	case NC_TCP_SYN_RECEIVED:
		return -EALREADY;
	case NC_TCP_CLOSED:
		if (t->connected)
			return -EISCONN;
		break;
	default:
		return -EISCONN;
	}
	if (so->lport == 0) {
		uint16_t p = sock_ephemeral(st, addr, port, port_in_use);
		if (p == 0)
			return -EADDRNOTAVAIL;
		t->lport = so->lport = p;
		port_insert(st, t);
	} else if (tcp_lookup(st, laddr, so->lport, addr, port) != NULL) {
		return -EADDRINUSE;
	}
	t->laddr = so->laddr = laddr;
	t->faddr = so->faddr = addr;
	t->fport = so->fport = port;
	hash_insert(st, t);
	conn_fresh(t);
	so->error = 0;
	t->iss = tcp_isn(st, t);
	t->ts_offset = tcp_ts_offset(st, t);
	t->snd_una = t->snd_nxt = t->snd_max = t->iss;
	t->conn_deadline = st->now + (uint64_t)t->conn_timeout_ms * 1000;
	st->tcp->stats.active_opens++;
	tcp_setstate(st, t, NC_TCP_SYN_SENT);
	tcp_output(st, t);
	return -EINPROGRESS;
}

/* The pending error, cleared as it is reported. */
static ssize_t tcp_send(struct stack *st, struct sock *so, const void *buf, size_t len,
			const struct sockaddr_in *to)
{
	struct tcb *t = so->pcb;
	size_t space, n;
	int err = sock_take_error(so);

	(void)to;
	if (err)
		return -err;
	if (t->shut_wr)
		return -EPIPE;
	switch (t->state) {
	case NC_TCP_SYN_SENT:
	case NC_TCP_SYN_RECEIVED:
		return -EAGAIN;		/* writable once connected */
	case NC_TCP_ESTABLISHED:
	case NC_TCP_CLOSE_WAIT:
		break;
	case NC_TCP_CLOSED:
	case NC_TCP_LISTEN:
		return t->connected ? -EPIPE : -ENOTCONN;
	default:
		return -EPIPE;
	}
	if (len == 0)
		return 0;
	space = t->sndbuf > t->sndq.len ? t->sndbuf - t->sndq.len : 0;
	if (space == 0)
		return -EAGAIN;
	n = bufq_append(st, &t->sndq, buf, len < space ? len : space);
	if (n == 0)
		return -ENOBUFS;
	tcp_output(st, t);
	return (ssize_t)n;
}

/* The application took n bytes: reopen the window when it grew enough
 * (receiver-side silly window avoidance, RFC 9293 3.8.6.2.2). */
static void consumed(struct stack *st, struct tcb *t, size_t n)
{
	uint32_t adv, win, step;

	bufq_drop(st, &t->rcvq, n);
	if (t->rcvq.len == 0 && t->nooo == 0)
		bufq_clear(st, &t->rcvq);	/* an idle socket holds no chunk */
	if (t->state != NC_TCP_ESTABLISHED && t->state != NC_TCP_FIN_WAIT_1 &&
	    t->state != NC_TCP_FIN_WAIT_2)
		return;
	adv = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	win = tcp_rcv_window(t);
	step = t->rcvbuf / 2 < 2u * t->mss ? t->rcvbuf / 2 : 2u * t->mss;
	if (win >= adv + step) {
		t->ack_now = 1;
		tcp_output(st, t);
	}
}

/* What a read gets when no byte is queued: the error, EOF, or wait. */
static ssize_t recv_nodata(struct tcb *t, struct sock *so)
{
	int err;

	if (t->state == NC_TCP_LISTEN)
		return -ENOTCONN;
	err = sock_take_error(so);
	if (err)
		return -err;
	if (t->fin_rcvd || t->shut_rd)
		return 0;
	if (t->state == NC_TCP_CLOSED)
		return t->connected ? 0 : -ENOTCONN;
	return -EAGAIN;
}

static ssize_t tcp_recv(struct stack *st, struct sock *so, void *buf, size_t len, int flags,
			struct sockaddr_in *from)
{
	struct tcb *t = so->pcb;
	size_t n;

	if (t->rcvq.len == 0 || t->shut_rd)
		return recv_nodata(t, so);
	n = bufq_copyout(&t->rcvq, 0, buf, len);
	if (!(flags & MSG_PEEK))
		consumed(st, t, n);
	if (from != NULL)
		*from = (struct sockaddr_in){ .sin_family = AF_INET,
					      .sin_port = htons(t->fport),
					      .sin_addr.s_addr = htonl(t->faddr) };
	return (ssize_t)n;
}

static ssize_t tcp_peek(struct stack *st, struct sock *so, struct iovec *iov, int *iovcnt,
			size_t len)
{
	struct tcb *t = so->pcb;
	size_t total;

	(void)st;
	if (t->rcvq.len == 0 || t->shut_rd) {
		*iovcnt = 0;
		return recv_nodata(t, so);
	}
	*iovcnt = bufq_iov(&t->rcvq, 0, len, iov, *iovcnt, &total);
	return (ssize_t)total;
}

static int tcp_consume(struct stack *st, struct sock *so, size_t n)
{
	struct tcb *t = so->pcb;

	if (n > t->rcvq.len)
		return -EINVAL;
	consumed(st, t, n);
	return 0;
}

static int tcp_shutdown(struct stack *st, struct sock *so, int how)
{
	struct tcb *t = so->pcb;

	if (how == NC_SHUT_ABORT) {	/* hangup: RST, Closed, the socket stays */
		if (t->state == NC_TCP_LISTEN) {
			drop_children(st, t);
			tcp_setstate(st, t, NC_TCP_CLOSED);
		} else if (t->state != NC_TCP_CLOSED) {
			tcp_send_rst(st, t);
			tcp_close(st, t, 0);
		}
		t->shut_rd = t->shut_wr = 1;
		bufq_clear(st, &t->rcvq);
		tcp_wake(st, t);
		return 0;
	}
	if (t->state == NC_TCP_LISTEN && how != SHUT_WR) {
		drop_children(st, t);
		tcp_setstate(st, t, NC_TCP_CLOSED);
		return 0;
	}
	if (t->state == NC_TCP_CLOSED || t->state == NC_TCP_LISTEN)
		return -ENOTCONN;
	if (how != SHUT_WR) {	/* what is queued or comes is dropped */
		t->shut_rd = 1;
		t->nooo = 0;
		bufq_clear(st, &t->rcvq);
	}
	if (how != SHUT_RD && !t->shut_wr)
		start_fin(st, t);
	tcp_wake(st, t);
	return 0;
}

static short tcp_poll(struct stack *st, struct sock *so)
{
	struct tcb *t = so->pcb;
	int rdone = t->fin_rcvd || t->shut_rd;
	short m = so->error ? POLLERR : 0;

	(void)st;
	switch (t->state) {
	case NC_TCP_LISTEN:
		return t->acceptq ? m | POLLIN : m;
	case NC_TCP_SYN_SENT:
	case NC_TCP_SYN_RECEIVED:
		return m;
	case NC_TCP_CLOSED:
		return m | POLLIN | POLLRDHUP | POLLOUT | POLLHUP;
	}
	if (t->rcvq.len > 0 || rdone)
		m |= POLLIN;
	if (rdone)
		m |= POLLRDHUP;
	/* writable: room for a quarter of the buffer (or nothing to send) */
	if (t->shut_wr || t->sndbuf - (t->sndq.len < t->sndbuf ? t->sndq.len : t->sndbuf) >=
			  t->sndbuf / 4)
		m |= POLLOUT;
	if (rdone && t->shut_wr)
		m |= POLLHUP;
	return m;
}

/* ---- options ---- */

static int get_int(const void *val, size_t len, int *v)
{
	if (val == NULL || len < sizeof(int))
		return -EFAULT;
	memcpy(v, val, sizeof *v);
	return 0;
}

static int put_int(void *val, size_t *len, int v)
{
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof v);
	*len = sizeof v;
	return 0;
}

/* Keepalive settings changed: a running keepalive timer starts over. */
static void keep_changed(struct stack *st, struct tcb *t)
{
	if (t->tmode == TM_KEEP) {
		timer_stop(st, &t->timer);
		t->tmode = TM_NONE;
	}
	tcp_timer_update(st, t);
}

static int sol_socket_setopt(struct stack *st, struct tcb *t, struct sock *so, int name,
			     const void *val, size_t len)
{
	int v, err;

	switch (name) {
	case SO_KEEPALIVE:
		if ((err = get_int(val, len, &v)) < 0)
			return err;
		t->keepalive = v != 0;
		t->kprobes = 0;
		t->last_rcv = st->now;
		keep_changed(st, t);
		return 0;
	case SO_RCVBUF:
		t->rcvbuf = so->rcvbuf;
		consumed(st, t, 0);	/* a bigger buffer may open the window */
		return 0;
	case SO_SNDBUF:
		t->sndbuf = so->sndbuf;
		tcp_wake(st, t);
		return 0;
	}
	return -ENOPROTOOPT;
}

static int tcp_setopt(struct stack *st, struct sock *so, int level, int name,
		      const void *val, size_t len)
{
	struct tcb *t = so->pcb;
	int v, err;

	if (level == SOL_SOCKET)
		return sol_socket_setopt(st, t, so, name, val, len);
	if (level != IPPROTO_TCP || name == NC_TCP_INFO)
		return -ENOPROTOOPT;
	if ((err = get_int(val, len, &v)) < 0)
		return err;
	switch (name) {
	case TCP_NODELAY:
		t->nodelay = v != 0;
		if (t->nodelay)
			tcp_output(st, t);
		return 0;
	case TCP_MAXSEG:
		if (v < 88 || v > 65495)
			return -EINVAL;
		t->user_mss = (uint16_t)v;
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		if (name == TCP_KEEPIDLE)
			t->keepidle = (uint32_t)v;
		else
			t->keepintvl = (uint32_t)v;
		keep_changed(st, t);
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		t->keepcnt = (uint8_t)v;
		return 0;
	case NC_TCP_CONNECT_TIMEOUT:
		if (v <= 0)
			return -EINVAL;
		t->conn_timeout_ms = (uint32_t)v;
		return 0;
	}
	return -ENOPROTOOPT;
}

static void tcp_info(const struct tcb *t, struct nc_tcp_info *ti)
{
	memset(ti, 0, sizeof *ti);
	ti->state = t->state;
	ti->qin = t->rcvq.len;
	ti->qout = t->sndq.len;
	ti->srtt_us = t->srtt;
	ti->mdev_us = t->rttvar;
	ti->rto_us = t->rto;
	ti->cwnd = t->cwnd;
	ti->ssthresh = t->ssthresh;
	ti->swnd = t->snd_wnd;
	ti->rwnd = tcp_rcv_window(t);
	ti->mss = t->mss;
	ti->retrans = t->retrans;
	ti->wscale_snd = t->ws_ok ? t->snd_wscale : 0;
	ti->wscale_rcv = t->ws_ok ? t->rcv_wscale : 0;
	ti->sack = t->sack_ok;
	ti->timestamps = t->ts_ok;
}

static int tcp_getopt(struct stack *st, struct sock *so, int level, int name, void *val,
		      size_t *len)
{
	struct tcb *t = so->pcb;
	struct nc_tcp_info ti;

	(void)st;
	if (level == SOL_SOCKET && name == SO_KEEPALIVE)
		return put_int(val, len, t->keepalive);
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY: return put_int(val, len, t->nodelay);
	case TCP_MAXSEG:
		return put_int(val, len, t->state == NC_TCP_CLOSED && t->user_mss ? t->user_mss
									       : t->mss);
	case TCP_KEEPIDLE: return put_int(val, len, (int)t->keepidle);
	case TCP_KEEPINTVL: return put_int(val, len, (int)t->keepintvl);
	case TCP_KEEPCNT: return put_int(val, len, t->keepcnt);
	case NC_TCP_CONNECT_TIMEOUT: return put_int(val, len, (int)t->conn_timeout_ms);
	case NC_TCP_INFO:
		tcp_info(t, &ti);
		if (*len > sizeof ti)
			*len = sizeof ti;
		memcpy(val, &ti, *len);
		return 0;
	}
	return -ENOPROTOOPT;
}

const struct sockops tcp_sockops = {
	.type = SOCK_STREAM,
	.proto = IPPROTO_TCP,
	.attach = tcp_attach,
	.detach = tcp_detach,
	.bind = tcp_bind,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.connect = tcp_connect,
	.send = tcp_send,
	.recv = tcp_recv,
	.peek = tcp_peek,
	.consume = tcp_consume,
	.shutdown = tcp_shutdown,
	.poll = tcp_poll,
	.setopt = tcp_setopt,
	.getopt = tcp_getopt,
};

/* ---- ICMP errors ---- */

/*
 * An ICMP error quoting one of our segments, believed only when the
 * quoted sequence number is one we have in flight (RFC 5927). During the
 * handshake it ends the attempt; afterwards it is remembered, and
 * reported if retransmission gives up (as Linux without IP_RECVERR).
 */
void tcp_icmp_error(struct stack *st, int type, int code, const uint8_t *quoted, size_t qlen)
{
	size_t hlen = (size_t)(quoted[0] & 0xf) * 4;
	const uint8_t *th = quoted + hlen;
	struct tcb *t;
	uint32_t seq;
	int err;

	if (hlen < IP_HLEN || qlen < hlen + 8)
		return;
	t = tcp_lookup(st, get32(quoted + 12), get16(th), get32(quoted + 16), get16(th + 2));
	if (t == NULL)
		return;
	seq = get32(th + 4);
	if (seq_lt(seq, t->snd_una) || seq_gt(seq, t->snd_max))
		return;
	if (type == ICMP_UNREACH && code != ICMP_UNREACH_NEEDFRAG)
		err = icmp_unreach_errno(code, NULL);
	else if (type == ICMP_TIMXCEED)
		err = EHOSTUNREACH;
	else if (type == ICMP_PARAMPROB)
		err = EPROTO;
	else
		return;
	if (t->state == NC_TCP_SYN_SENT || t->state == NC_TCP_SYN_RECEIVED)
		tcp_close(st, t, err);
	else
		t->soft_error = err;
}

/* ---- the protocol ---- */

int tcp_init(struct stack *st)
{
	st->tcp = calloc(1, sizeof *st->tcp);
	return st->tcp ? 0 : -ENOMEM;
}

/* Every socket is gone (sock_fini ran): reset what still lives. */
void tcp_fini(struct stack *st)
{
	struct tcp *tcp = st->tcp;

	if (tcp == NULL)
		return;
	for (int i = 0; i < TCP_PHASH; i++) {
		struct tcb *t;
		while ((t = tcp->phash[i]) != NULL) {
			tcp_send_rst(st, t);
			if (t->so != NULL)	/* a child nobody accepted */
				sock_free_child(st, t->so);
			tcb_free(st, t);
		}
	}
	free(tcp);
	st->tcp = NULL;
}

/* Named as in Linux's /proc/net/snmp. */
int tcp_stats(struct stack *st, struct nc_stat *out, int max)
{
	static const char *const names[] = {
		"ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab",
		"InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts",
	};
	const struct tcpstats *s = &st->tcp->stats;
	const uint64_t v[] = {
		s->active_opens, s->passive_opens, s->attempt_fails, s->estab_resets,
		s->curr_estab, s->in_segs, s->out_segs, s->retrans_segs, s->in_errs,
		s->out_rsts,
	};
	int n = (int)(sizeof v / sizeof v[0]);

	for (int i = 0; i < n && i < max; i++)
		out[i] = (struct nc_stat){ names[i], v[i] };
	return n;
}
