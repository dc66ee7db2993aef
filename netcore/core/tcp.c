/*
 * TCP (RFC 9293): connections, their initial sequence numbers, their
 * lookup, their states and their end, and the ICMP errors about them. A
 * connection is a struct tcb (tcp_impl.h); tcp_sock.c gives it to
 * sockets, tcp_input.c handles arriving segments, tcp_output.c sends,
 * tcp_timer.c waits and tcp_cc.c paces. Every state change goes through
 * tcp_setstate(), every end of a connection through tcp_close() with its
 * reason.
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
#include "ip6.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_impl.h"

/* ---- initial sequence numbers (RFC 6528) and timestamp offsets ---- */

/* ISN = M + F(4-tuple, secret), M ticking every 4 µs. */
uint64_t tcp_addr_key6(const struct stack *st, enum hash_use use, const struct in6_addr *laddr,
		       const struct in6_addr *faddr)
{
	uint64_t w[4];

	memcpy(w, laddr, 16);
	memcpy(w + 2, faddr, 16);
	/* chained: the pair of the first address keys the second (the top
	 * byte of m1 is the use's tag, so it is left to the hash) */
	return stack_hash(st, use, stack_hash(st, use, w[0], w[1] >> 8) ^ w[2],
			  (w[3] >> 8) ^ (w[1] << 56 >> 8));
}

static uint64_t addr_key(const struct stack *st, enum hash_use use, const struct tcb *t)
{
	if (t->v6)
		return tcp_addr_key6(st, use, &t->laddr6, &t->faddr6);
	return (uint64_t)t->laddr << 32 | t->faddr;
}

static uint32_t tcp_isn(struct stack *st, const struct tcb *tcb)
{
	uint64_t m0 = addr_key(st, HASH_ISN, tcb);
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
	return (uint32_t)stack_hash(st, HASH_TS_OFFSET, addr_key(st, HASH_TS_OFFSET, tcb), 0);
}

void tcp_new_isn(struct stack *st, struct tcb *t)
{
	t->iss = tcp_isn(st, t);
	t->ts_offset = tcp_ts_offset(st, t);
	t->push_seq = t->iss;	/* no write to push yet */
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

/* An IPv6 address folded to 32 bits, for the 4-tuple hash. */
static uint32_t fold6(const struct in6_addr *a)
{
	return get32(a->s6_addr) ^ get32(a->s6_addr + 4) ^ get32(a->s6_addr + 8) ^
	       get32(a->s6_addr + 12);
}

static struct tcb **chain4(struct stack *st, const struct tcb *t)
{
	if (t->v6)
		return &st->tcp->hash[hash4(fold6(&t->laddr6), t->lport, fold6(&t->faddr6),
					    t->fport)];
	return &st->tcp->hash[hash4(t->laddr, t->lport, t->faddr, t->fport)];
}

static struct tcb **pchain(struct stack *st, uint16_t port)
{
	return &st->tcp->phash[port % TCP_PHASH];
}

void tcp_hash_insert(struct stack *st, struct tcb *t)
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

void tcp_port_insert(struct stack *st, struct tcb *t)
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
		    t->laddr == laddr && !t->v6)
			return t;
	return NULL;
}

struct tcb *tcp_lookup6(struct stack *st, const struct in6_addr *laddr, uint16_t lport,
			const struct in6_addr *faddr, uint16_t fport)
{
	struct tcb *t = st->tcp->hash[hash4(fold6(laddr), lport, fold6(faddr), fport)];

	for (; t; t = t->hnext)
		if (t->lport == lport && t->fport == fport && t->v6 && in6_eq(&t->faddr6, faddr) &&
		    in6_eq(&t->laddr6, laddr))
			return t;
	return NULL;
}

struct tcb *tcp_listener6(struct stack *st, const struct in6_addr *laddr, uint16_t lport)
{
	struct tcb *any = NULL;

	for (struct tcb *t = *pchain(st, lport); t; t = t->pnext) {
		if (t->state != NC_TCP_LISTEN || t->lport != lport)
			continue;
		if (t->v6 && in6_eq(&t->laddr6, laddr))
			return t;
		if ((t->v6 && in6_is_any(&t->laddr6)) ||
		    (!t->v6 && t->laddr == 0 && t->so && sock_takes_v6(t->so)))
			any = t;
	}
	return any;
}

struct tcb *tcp_lookup_seg(struct stack *st, const struct seg *s)
{
	if (s->v6)
		return tcp_lookup6(st, &s->dst6, s->dport, &s->src6, s->sport);
	return tcp_lookup(st, s->dst, s->dport, s->src, s->sport);
}

struct tcb *tcp_listener_seg(struct stack *st, const struct seg *s)
{
	return s->v6 ? tcp_listener6(st, &s->dst6, s->dport) : tcp_listener(st, s->dst, s->dport);
}

uint32_t tcp_path_mss(const struct stack *st, const struct tcb *t)
{
	if (t->v6)
		return (uint32_t)ip6_path_mtu(st, &t->faddr6) - IP6_HLEN - TCP_HLEN;
	return (uint32_t)st->mtu - IP_HLEN - TCP_HLEN;
}

/* The listener for a SYN to laddr:lport: bound to laddr, else to any,
 * else the catch-all (NC_TCP_CATCHALL). */
struct tcb *tcp_listener(struct stack *st, uint32_t laddr, uint16_t lport)
{
	struct tcb *any = NULL;

	for (struct tcb *t = *pchain(st, lport); t; t = t->pnext) {
		if (t->state != NC_TCP_LISTEN || t->lport != lport || t->v6 ||
		    (t->so && !sock_takes_v4(t->so)))
			continue;
		if (t->laddr == laddr)
			return t;
		if (t->laddr == 0)
			any = t;
	}
	if (any == NULL && st->tcp->catchall && st->tcp->catchall->state == NC_TCP_LISTEN)
		return st->tcp->catchall;
	return any;
}

int tcp_port_in_use(struct stack *st, uint16_t port)
{
	for (struct tcb *t = *pchain(st, port); t; t = t->pnext)
		if (t->lport == port)
			return 1;
	return 0;
}

/* Can t's local side and so's meet in one family: a socket's on the any
 * address takes what the socket takes, an IPv6 one IPv6, an IPv4
 * connection (a call not yet accepted has no socket) IPv4. */
static int tcb_meets(const struct tcb *t, const struct sock *so)
{
	if (t->v6)
		return sock_takes_v6(so);
	if (t->so != NULL && t->laddr == 0)
		return sock_families_meet(so, t->so);
	return sock_takes_v4(so);
}

/* Would so's bind to addr:port clash with a tcb already on the port? */
int tcp_bind_conflict(struct stack *st, const struct sock *so, uint32_t addr, uint16_t port)
{
	for (struct tcb *t = *pchain(st, port); t; t = t->pnext) {
		if (t->lport != port || t->so == so)
			continue;
		if (t->laddr != 0 && addr != 0 && t->laddr != addr)
			continue;
		if (!tcb_meets(t, so))
			continue;	/* IPv4 alone beside IPv6 alone */
		/* SO_REUSEADDR shares a port with connections (a server
		 * restarting) and with sockets that asked for it too */
		if (so->reuseaddr && t->state != NC_TCP_LISTEN &&
		    (t->so == NULL || t->so->reuseaddr || t->connected))
			continue;
		return 1;
	}
	return 0;
}

/* ---- control blocks ---- */

struct tcb *tcp_tcb_new(struct stack *st)
{
	struct tcb *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	if (tcp_timers_init(st, t) < 0) {
		free(t);
		return NULL;
	}
	st->tcp->ntcb++;
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
	t->cc = st->tcp_cc;
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

int tcp_flush_due(const struct stack *st)
{
	return st->tcp->due != NULL;
}

void tcp_tcb_free(struct stack *st, struct tcb *t)
{
	if (t->output_due) {
		struct tcb **p = &st->tcp->due;
		while (*p != t)
			p = &(*p)->onext;
		*p = t->onext;
	}
	if (st->tcp->catchall == t)
		st->tcp->catchall = NULL;
	tcp_place_forget(st, t);
	tcp_cc_free(st, t);
	tcp_timers_fini(st, t);
	tcp_sb_free(st, t);
	tcp_ooo_free(st, t);
	hash_remove(st, t);
	port_remove(st, t);
	bufq_clear(st, &t->sndq);
	bufq_clear(st, &t->rcvq);
	st->tcp->ntcb--;
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

void tcp_log(struct stack *st, const char *what, const char *why, uint32_t src, uint32_t dst,
	     uint16_t sport, uint16_t dport)
{
	if (stack_logs(st, LOG_TCP))
		stack_log(st, &(struct log_event){ .proto = LOG_TCP, .what = what, .why = why,
						   .src = src, .dst = dst, .sport = sport,
						   .dport = dport });
}

void tcp_setstate(struct stack *st, struct tcb *tcb, int state)
{
	uint64_t *s = st->tcp->stats;
	int old = tcb->state;

	if (old == state)
		return;
	if (stack_logs(st, LOG_TCP))
		stack_log(st, &(struct log_event){ .proto = LOG_TCP, .what = "state",
						   .src = tcb->laddr, .dst = tcb->faddr,
						   .sport = tcb->lport, .dport = tcb->fport,
						   .from = old, .to = state });
	if (estab_like(old) && !estab_like(state))
		s[TCPS_CURR_ESTAB]--;
	if (!estab_like(old) && estab_like(state))
		s[TCPS_CURR_ESTAB]++;
	if (state == NC_TCP_CLOSED) {
		if (old == NC_TCP_SYN_SENT || old == NC_TCP_SYN_RECEIVED)
			s[TCPS_ATTEMPT_FAILS]++;
		if (estab_like(old))
			s[TCPS_ESTAB_RESETS]++;
	}
	s[TCPS_CURR_TIME_WAIT] += (state == NC_TCP_TIME_WAIT) - (old == NC_TCP_TIME_WAIT);
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
	tcp_ooo_free(st, tcb);
	tcp_sb_free(st, tcb);
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
	tcp_tcb_free(st, tcb);
}

/* The SYN queue's bound: the backlog, at least TCP_MIN_SYNQ. Beyond it
 * SYNs are answered with cookies (tcp_syncookie.c). */
unsigned tcp_synq_max(const struct tcb *l)
{
	return l->backlog > TCP_MIN_SYNQ ? l->backlog : TCP_MIN_SYNQ;
}

/* What a connection for listener l from SYN s inherits: addresses,
 * options of the listener, its ISN. c need not be on any list (a SYN
 * answered with a cookie uses one on the C stack). Until accepted, its
 * receive buffer is held to TCP_UNACCEPTED_BUF: a peer cannot make the
 * stack buffer much for a connection nobody reads (tcp_child_accepted
 * gives it the socket's buffer). */
void tcp_child_init(struct stack *st, struct tcb *c, struct tcb *l, const struct seg *s)
{
	c->laddr = s->dst;
	c->lport = s->dport;
	c->faddr = s->src;
	c->fport = s->sport;
	c->v6 = s->v6;
	if (s->v6) {	/* an IPv4 segment leaves them unset */
		c->laddr6 = s->dst6;
		c->faddr6 = s->src6;
	}
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->keepidle = l->keepidle;
	c->keepintvl = l->keepintvl;
	c->keepcnt = l->keepcnt;
	c->conn_timeout_ms = l->conn_timeout_ms;
	c->user_timeout_ms = l->user_timeout_ms;
	c->user_mss = l->user_mss;
	c->cc = l->cc;
	c->sndbuf = l->sndbuf;
	c->rcvbuf = min32(l->rcvbuf, TCP_UNACCEPTED_BUF);
	c->ttl = l->so->ttl;
	c->tos = l->so->tos;
	c->passive = 1;
	c->parent = l;
	tcp_new_isn(st, c);
}

/* A new connection for listener l from SYN s, on its SYN queue (the
 * caller checked the queues' bounds); NULL when memory runs out. */
struct tcb *tcp_new_child(struct stack *st, struct tcb *l, const struct seg *s)
{
	struct tcb *c = tcp_tcb_new(st);

	if (c == NULL)
		return NULL;
	tcp_child_init(st, c, l, s);
	list_append(&l->synq, c);
	l->nsynq++;
	tcp_hash_insert(st, c);
	tcp_port_insert(st, c);
	st->tcp->stats[TCPS_PASSIVE_OPENS]++;
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
	so->v6 = c->v6;
	so->laddr6 = c->laddr6;
	so->faddr6 = c->faddr6;
	c->so = so;
	list_remove(&l->synq, c);
	l->nsynq--;
	list_append(&l->acceptq, c);
	l->nacceptq++;
	tcp_wake(st, l);
	return 0;
}

/* The application took c off the accept queue: the socket's receive
 * buffer replaces the small one of the wait, and a peer the small
 * window stopped hears at once that it may go on. */
void tcp_child_accepted(struct stack *st, struct tcb *c)
{
	c->rcvbuf = c->so->rcvbuf;
	if (c->rcvq.len > 0 && !c->fin_rcvd && c->state != NC_TCP_CLOSED) {
		c->ack_now = 1;
		tcp_output(st, c);
	}
}

/* ---- ICMP errors ---- */

/*
 * A packet too big lowered t's path MTU (RFC 8201, icmp6.c): segments
 * are cut to the new MSS from now on, and what is in flight, sent too
 * large, goes again, as Linux's tcp_simple_retransmit: not a sign of
 * congestion, so cwnd stays. Without a scoreboard (memory) the
 * retransmission timer resends it.
 */
static void tcp_pmtu_lowered(struct stack *st, struct tcb *t)
{
	uint32_t mss = tcp_path_mss(st, t);

	if (mss >= t->mss)
		return;
	t->mss = (uint16_t)mss;
	if (t->snd_una == t->snd_max || tcp_sb_start(st, t) < 0)
		return;
	tcp_sb_lose(st, t, t->snd_una, t->snd_max);
	tcp_output(st, t);
}

/*
 * An ICMP error quoting one of our segments, believed only when the
 * quoted sequence number is one we have in flight (RFC 5927). During the
 * handshake it ends the attempt; afterwards it is remembered, and
 * reported if retransmission gives up (as Linux without IP_RECVERR).
 */
void tcp_icmp_error(struct stack *st, int type, int code, uint32_t info,
		    const struct ippkt *quoted)
{
	const uint8_t *th = quoted->data;
	struct tcb *t;
	uint32_t seq;
	int err;

	(void)info;	/* a packet too big's MTU: icmp6.c gave it to the path MTU */
	if (quoted->v6)
		t = tcp_lookup6(st, &quoted->src6, get16(th), &quoted->dst6, get16(th + 2));
	else
		t = tcp_lookup(st, quoted->src, get16(th), quoted->dst, get16(th + 2));
	if (t == NULL)
		return;
	seq = get32(th + 4);
	if (seq_lt(seq, t->snd_una) || seq_gt(seq, t->snd_max))
		return;
	if (type == ICMP_UNREACH && code == ICMP_UNREACH_NEEDFRAG && t->v6) {
		tcp_pmtu_lowered(st, t);
		return;
	}
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
	if (st->tcp == NULL)
		return -ENOMEM;
	st->tcp->timewait_max = TCP_TIMEWAIT_MAX;
	if (timer_init(st, &st->tcp->pace, bbr_pace_timeout) < 0) {
		free(st->tcp);
		st->tcp = NULL;
		return -ENOMEM;
	}
	return 0;
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
			tcp_tcb_free(st, t);
		}
	}
	timer_fini(st, &tcp->pace);
	free(tcp);
	st->tcp = NULL;
}

/* Named as in Linux's /proc/net/snmp. */
static const char *const tcp_names[TCPS_N] = {
	[TCPS_ACTIVE_OPENS] = "ActiveOpens",
	[TCPS_PASSIVE_OPENS] = "PassiveOpens",
	[TCPS_ATTEMPT_FAILS] = "AttemptFails",
	[TCPS_ESTAB_RESETS] = "EstabResets",
	[TCPS_CURR_ESTAB] = "CurrEstab",
	[TCPS_IN_SEGS] = "InSegs",
	[TCPS_OUT_SEGS] = "OutSegs",
	[TCPS_RETRANS_SEGS] = "RetransSegs",
	[TCPS_IN_ERRS] = "InErrs",
	[TCPS_OUT_RSTS] = "OutRsts",
	[TCPS_CURR_TIME_WAIT] = "CurrTimeWait",	/* ours, as CurrEstab */
	/* as in Linux's /proc/net/netstat (TcpExt) */
	[TCPS_SYNCOOKIES_SENT] = "SyncookiesSent",
	[TCPS_SYNCOOKIES_RECV] = "SyncookiesRecv",
	[TCPS_SYNCOOKIES_FAILED] = "SyncookiesFailed",
	[TCPS_TIME_WAIT_OVERFLOW] = "TCPTimeWaitOverflow",
	/* ours: receiving in place (tcp_place.c) */
	[TCPS_IN_PLACE] = "InPlaceSegs",
	[TCPS_IN_PLACE_MISSED] = "InPlaceMissed",
};

unsigned tcp_count(const struct stack *st)
{
	return st->tcp->ntcb + st->tcp->nscore + st->tcp->nooo + st->tcp->nbbr;
}

int tcp_stats(struct stack *st, struct nc_stat *out, int max)
{
	return stack_put_stats(out, max, tcp_names, st->tcp->stats, TCPS_N);
}
