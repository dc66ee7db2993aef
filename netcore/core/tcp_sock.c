/*
 * TCP's socket operations (struct sockops, sock.h) and its options: what
 * bind, listen, accept, connect, send, recv, shutdown, close and poll do
 * to a connection, and the table of SOL_SOCKET and IPPROTO_TCP options.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "buf.h"
#include "ip6.h"
#include "ip.h"
#include "sock.h"
#include "stack.h"
#include "tcp_impl.h"

static int tcp_attach(struct stack *st, struct sock *so)
{
	struct tcb *t = tcp_tcb_new(st);

	if (t == NULL)
		return -ENOMEM;
	t->so = so;
	/* Room for a flight one hop away and a whole write of a data file
	 * (1 MiB) behind it: the write is taken at once, and answered while
	 * its segments go out (tcp_send). */
	if (!so->sndbuf_set)
		so->sndbuf = SOCK_STREAM_SNDBUF;
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
		tcp_tcb_free(st, t);
		return;
	case NC_TCP_CLOSED:
		tcp_tcb_free(st, t);
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
	if (tcp_timewait_over(st, t))
		tcp_close(st, t, 0);
}

static int tcp_bind(struct stack *st, struct sock *so, uint32_t addr, uint16_t port)
{
	struct tcb *t = so->pcb;
	int p;

	if (so->lport != 0 || t->state != NC_TCP_CLOSED || t->connected)
		return -EINVAL;
	p = sock_bind_port(st, port, tcp_port_in_use,
			   port && tcp_bind_conflict(st, so, addr, port));
	if (p < 0)
		return p;
	port = (uint16_t)p;
	t->laddr = so->laddr = addr;
	t->lport = so->lport = port;
	tcp_port_insert(st, t);
	return 0;
}

/* Bound to an IPv6 address of ours: a v6 socket from now on (a port
 * taken by any socket is taken for it too, as both families share the
 * port space). */
static int tcp_bind6(struct stack *st, struct sock *so, const struct in6_addr *addr,
		     uint16_t port)
{
	struct tcb *t = so->pcb;
	int err = tcp_bind(st, so, 0, port);

	if (err < 0)
		return err;
	t->v6 = so->v6 = 1;
	t->laddr6 = so->laddr6 = *addr;
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
	if (so->lport == 0 && t->catchall) {
		struct tcb *o = st->tcp->catchall;
		if (o != NULL && o != t && o->state == NC_TCP_LISTEN)
			return -EADDRINUSE;
		st->tcp->catchall = t;
	} else if (so->lport == 0) {
		int err = tcp_bind(st, so, 0, 0);
		if (err < 0)
			return err;
	} else if (t->v6 || !sock_takes_v4(so)) {	/* IPv6 (laddr6 :: if on any) */
		if (tcp_listener6(st, &t->laddr6, t->lport) != NULL)
			return -EADDRINUSE;
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

	if (t->state != NC_TCP_LISTEN)
		return -EINVAL;
	if (c == NULL)
		return -EAGAIN;
	t->acceptq = c->qnext;
	t->nacceptq--;
	c->qnext = NULL;
	c->parent = NULL;
	tcp_child_accepted(st, c);
	*out = c->so;
	return 0;
}

/* Forget what an earlier, failed attempt left in the tcb. */
static void conn_fresh(struct tcb *t)
{
	t->shut_rd = t->shut_wr = t->fin_sent = t->fin_rcvd = t->fin_pending = 0;
	t->ts_ok = t->sack_ok = t->ws_ok = t->ack_now = t->in_recovery = t->timing = 0;
	t->snd_wscale = t->rcv_wscale = 0;
	t->nrtx = t->kprobes = t->dupacks = 0;
	t->snd_wnd = t->max_sndwnd = 0;
	t->srtt = t->rttvar = 0;
	t->rto = TCP_RTO_INIT;
	t->soft_error = 0;
	t->unacked = 0;
}

/* The addresses and ports are set: send the SYN. */
static int connect_start(struct stack *st, struct sock *so)
{
	struct tcb *t = so->pcb;

	tcp_hash_insert(st, t);
	conn_fresh(t);
	so->error = 0;
	tcp_new_isn(st, t);
	t->snd_una = t->snd_nxt = t->snd_max = t->iss;
	t->conn_deadline = st->now + (uint64_t)t->conn_timeout_ms * 1000;
	st->tcp->stats[TCPS_ACTIVE_OPENS]++;
	tcp_setstate(st, t, NC_TCP_SYN_SENT);
	tcp_output(st, t);
	return -EINPROGRESS;
}

/* May t start a connection? 0, or the errno of connect(). */
static int can_connect(const struct tcb *t)
{
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
	return 0;
}

/* A local port for a connection to faddr (an IPv6 one folded): 0, or
 * -EADDRNOTAVAIL when none is free. */
static int local_port(struct stack *st, struct sock *so, uint32_t faddr, uint16_t fport)
{
	struct tcb *t = so->pcb;
	uint16_t p;

	if (so->lport != 0)
		return 0;
	p = sock_ephemeral(st, faddr, fport, tcp_port_in_use);
	if (p == 0)
		return -EADDRNOTAVAIL;
	t->lport = so->lport = p;
	tcp_port_insert(st, t);
	return 0;
}

static int tcp_connect(struct stack *st, struct sock *so, uint32_t addr, uint16_t port)
{
	struct tcb *t = so->pcb;
	uint32_t laddr = so->laddr ? so->laddr : ip_source(st, addr);
	int bound = so->lport != 0, err;

	if ((err = can_connect(t)) < 0 || (err = local_port(st, so, addr, port)) < 0)
		return err;
	if (bound && tcp_lookup(st, laddr, so->lport, addr, port) != NULL)
		return -EADDRINUSE;
	t->laddr = so->laddr = laddr;
	t->faddr = so->faddr = addr;
	t->fport = so->fport = port;
	return connect_start(st, so);
}

static int tcp_connect6(struct stack *st, struct sock *so, const struct in6_addr *addr,
			uint16_t port)
{
	struct tcb *t = so->pcb;
	struct in6_addr laddr = so->v6 && !in6_is_any(&so->laddr6) ? so->laddr6 : ip6_source(st, addr);
	int bound = so->lport != 0, err;

	if (!so->v6 && so->laddr != 0)
		return -EAFNOSUPPORT;	/* bound to an IPv4 address */
	if ((err = can_connect(t)) < 0 ||
	    (err = local_port(st, so, get32(addr->s6_addr + 12), port)) < 0)
		return err;
	if (bound && tcp_lookup6(st, &laddr, so->lport, addr, port) != NULL)
		return -EADDRINUSE;
	t->v6 = so->v6 = 1;
	t->laddr6 = so->laddr6 = laddr;
	t->faddr6 = so->faddr6 = *addr;
	t->fport = so->fport = port;
	return connect_start(st, so);
}

/* Bytes queued and never sent. */
static uint32_t notsent(const struct tcb *t)
{
	uint32_t end = tcp_data_end(t);

	return seq_gt(end, t->snd_max) ? end - t->snd_max : 0;
}

/* Room for a write: the buffer's, none while TCP_NOTSENT_LOWAT's limit
 * of unsent bytes is reached. */
static size_t send_space(const struct tcb *t)
{
	if (t->notsent_lowat && notsent(t) >= t->notsent_lowat)
		return 0;
	return t->sndbuf > t->sndq.len ? t->sndbuf - t->sndq.len : 0;
}

/* A full send buffer grows with cwnd, as Linux's, to two windows: one
 * in flight and the next queued behind it. Only on a path without a
 * standing queue, though (srtt within twice the least RTT seen): there
 * a bigger flight moves more, while where the round trip has grown with
 * the flight, more buffer only adds queueing (DESIGN.md, "The buffers
 * follow the connection", has the upload this cost one hop away). */
static void sndbuf_grow(struct tcb *t)
{
	uint64_t want = 2ull * t->cwnd;

	if (t->so->sndbuf_set || want <= t->sndbuf || t->srtt > 2ull * t->cnt.min_rtt)
		return;
	t->sndbuf = want < TCP_SNDBUF_AUTO_MAX ? (uint32_t)want : TCP_SNDBUF_AUTO_MAX;
	t->so->sndbuf = t->sndbuf;
}

/* The pieces of room a fill is offered at most: 1 MiB in chunks, with
 * a part-chunk at either end. A longer fill is offered what they hold. */
enum { FILL_IOV_MAX = 1048576 / CHUNK_SIZE + 3 };

/* How many of len bytes a send may queue now (flags as tcp_send's), or
 * -errno: -EAGAIN when the buffer is full or not yet connected. */
static ssize_t send_room(struct tcb *t, struct sock *so, size_t len, int flags)
{
	size_t space;
	int err = sock_take_error(so);

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
	if (send_space(t) == 0)
		sndbuf_grow(t);
	space = flags & NC_MSG_OVERFILL ? len : send_space(t);
	if (space == 0)
		return -EAGAIN;
	return (ssize_t)(len < space ? len : space);
}

/* n of the len bytes a send offered joined the queue: send them (see
 * tcp_send). */
static ssize_t queued(struct stack *st, struct tcb *t, size_t n, size_t len, int flags)
{
	if (n == 0)
		return -ENOBUFS;
	tcp_cc_idle_restart(st, t);
	if (n < len || !(flags & MSG_MORE))
		t->push_seq = tcp_data_end(t);
	if (n == len && !(flags & MSG_MORE)) {
		tcp_output_later(st, t);
		return (ssize_t)n;
	}
	t->more = n == len && (flags & MSG_MORE);
	t->push = n < len;
	tcp_output(st, t);
	t->more = t->push = 0;
	return (ssize_t)n;
}

/* Queue a write and send what may go. As Linux, the write's end gets PSH
 * unless MSG_MORE says more follows, in which case a short tail waits as
 * under TCP_CORK, for this call. A write cut short by a full buffer is
 * pushed whole: the writer waits for room and sends nothing meanwhile.
 * A write taken whole goes out at the end of the stack's pass instead,
 * after whatever answers the writer: the daemon replies to the FUSE
 * WRITE first, and the writer goes on while the segments go (with the
 * 2 MiB buffer, a 400 MiB `dd` upload through /net went 24% faster,
 * alternated in one run; a 1-byte ping-pong 13%; DESIGN.md has the
 * figures). NC_MSG_OVERFILL takes the write whole, past the buffer's
 * limit (the stack's budget still bounds it); its caller waits for
 * POLLOUT before it writes again. */
static ssize_t tcp_send(struct stack *st, struct sock *so, const void *buf, size_t len,
			int flags, const struct sockaddr_in6 *to)
{
	struct tcb *t = so->pcb;
	ssize_t room = send_room(t, so, len, flags);

	(void)to;
	if (room <= 0)
		return room;
	return queued(st, t, bufq_append(st, &t->sndq, buf, (size_t)room), len, flags);
}

/* nc_send_fill: fn writes straight into the queue's room. */
static ssize_t tcp_fill(struct stack *st, struct sock *so, size_t len, int flags,
			ssize_t (*fn)(void *arg, const struct iovec *iov, int iovcnt), void *arg)
{
	struct tcb *t = so->pcb;
	struct iovec iov[FILL_IOV_MAX];
	ssize_t room = send_room(t, so, len, flags), got;
	size_t offered = 0;
	int cnt;

	if (room <= 0)
		return room;
	cnt = bufq_room_iov(st, &t->sndq, (size_t)room, iov, FILL_IOV_MAX);
	if (cnt == 0)
		return -ENOBUFS;
	for (int i = 0; i < cnt; i++)
		offered += iov[i].iov_len;
	got = fn(arg, iov, cnt);
	if (got > (ssize_t)offered)
		got = -EINVAL;	/* more than it was offered */
	if (got > 0)
		bufq_extend(&t->sndq, (size_t)got);
	if (got < (ssize_t)offered)
		bufq_trim(st, &t->sndq);	/* the room it left is given back */
	if (got <= 0)
		return got;
	/* Fewer bytes than offered are the whole write; all the room offered
	 * is a write the buffer cut short if that was less than len. */
	return queued(st, t, (size_t)got, (size_t)got < offered ? (size_t)got : len, flags);
}

/* Send now what cork, MSG_MORE or Nagle hold (TCP_NODELAY set, as Linux). */
static void push_held(struct stack *st, struct tcb *t)
{
	t->push = 1;
	tcp_output(st, t);
	t->push = 0;
}

/* Is a window update worth a segment of its own? As Linux's receive
 * buffer cleanup decides: only when what the peer may still send (adv)
 * has fallen to half the largest window or less, and the window we can
 * offer now is at least twice that, and larger by a useful amount
 * (receiver-side silly window avoidance, RFC 9293 3.8.6.2.2). Otherwise
 * the next ACK carries the new edge. */
static int window_update_due(const struct tcb *t)
{
	uint32_t adv = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t win = tcp_rcv_window(t);
	uint32_t most = min32(t->rcvbuf, (uint32_t)TCP_MAX_WND << t->rcv_wscale);

	return 2ull * adv <= most && win >= 2ull * adv && win - adv >= min32(t->rcvbuf / 2, t->mss);
}

/*
 * Receive buffer autotuning (Linux's dynamic right-sizing). Once a
 * receive round trip has passed, what the application took since,
 * scaled to one round trip, is the rate it reads at. The buffer, and so
 * the window, grows to four times that: twice so that the peer can keep
 * a round trip's data coming while the reader is away for one, twice
 * again so that the window keeps ahead of a sender in slow start, which
 * doubles its rate every round trip. A reader that does not keep up
 * takes little per round trip and keeps its buffer. The round trip is
 * the peer's echo of our timestamps (or else srtt), at least their
 * millisecond tick: on a short path a longer measure only gives a
 * larger window. The buffer's chunks come as data does (buf.c), so a
 * big window costs nothing until it is used.
 */
static void rcvbuf_tune(struct stack *st, struct tcb *t)
{
	uint64_t rtt = t->rcv_rtt > t->srtt ? t->rcv_rtt : t->srtt, took, want;
	uint32_t unread = t->rcv_nxt - t->rcvq.len;

	if (rtt < TCP_RCV_RTT_MIN)
		rtt = TCP_RCV_RTT_MIN;
	if (t->tune_start == 0) {
		t->tune_start = st->now;
		t->tune_seq = unread;
		return;
	}
	if (st->now - t->tune_start < rtt)
		return;
	took = (uint64_t)(unread - t->tune_seq) * rtt / (st->now - t->tune_start);
	t->tune_seq = unread;
	t->tune_start = st->now;
	want = 4 * took < TCP_RCVBUF_AUTO_MAX ? 4 * took : TCP_RCVBUF_AUTO_MAX;
	if (t->so->rcvbuf_set || want <= t->rcvbuf || buf_pressure(st))
		return;
	t->rcvbuf = (uint32_t)want;
	t->so->rcvbuf = t->rcvbuf;	/* SO_RCVBUF reads back the size in use */
}

/* The application took n bytes: reopen the window when it grew enough. */
static void consumed(struct stack *st, struct tcb *t, size_t n)
{
	bufq_drop(st, &t->rcvq, n);
	if (n > 0)
		rcvbuf_tune(st, t);
	if (t->rcvq.len == 0 && t->nooo == 0)
		bufq_clear(st, &t->rcvq);	/* an idle socket holds no chunk */
	if (t->state != NC_TCP_ESTABLISHED && t->state != NC_TCP_FIN_WAIT_1 &&
	    t->state != NC_TCP_FIN_WAIT_2)
		return;
	if (!t->shut_rd && window_update_due(t)) {
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
			struct sockaddr_in6 *from)
{
	struct tcb *t = so->pcb;
	size_t n;

	if (t->rcvq.len == 0)
		return recv_nodata(t, so);
	n = bufq_copyout(&t->rcvq, 0, buf, len);
	if (!(flags & MSG_PEEK))
		consumed(st, t, n);
	if (from != NULL) {
		*from = (struct sockaddr_in6){ .sin6_family = AF_INET6,
					       .sin6_port = htons(t->fport),
					       .sin6_addr = t->faddr6 };
		if (!t->v6)
			in6_set_v4mapped(&from->sin6_addr, t->faddr);
	}
	return (ssize_t)n;
}

static ssize_t tcp_peek(struct stack *st, struct sock *so, struct iovec *iov, int *iovcnt,
			size_t len)
{
	struct tcb *t = so->pcb;
	size_t total;

	(void)st;
	if (t->rcvq.len == 0) {
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
	/* As Linux, SHUT_RD only marks the end: what is queued, and what
	 * still comes, can be read; then reads give 0 */
	if (how != SHUT_WR)
		t->shut_rd = 1;
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
	/* writable: room for a quarter of the buffer (or nothing to send),
	 * and fewer unsent bytes than TCP_NOTSENT_LOWAT */
	if (t->shut_wr || (send_space(t) >= t->sndbuf / 4 && send_space(t) > 0))
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

static int set_keepalive(struct stack *st, struct tcb *t, int v)
{
	t->keepalive = v != 0;
	t->kprobes = 0;
	t->last_rcv = st->now;
	keep_changed(st, t);
	return 0;
}

/* sock.c keeps the (clamped) size; the connection follows it. */
static int set_rcvbuf(struct stack *st, struct tcb *t, int v)
{
	(void)v;
	t->rcvbuf = t->so->rcvbuf;
	consumed(st, t, 0);	/* a bigger buffer may open the window */
	return 0;
}

static int set_sndbuf(struct stack *st, struct tcb *t, int v)
{
	(void)v;
	t->sndbuf = t->so->sndbuf;
	tcp_wake(st, t);
	return 0;
}

static int set_nodelay(struct stack *st, struct tcb *t, int v)
{
	t->nodelay = v != 0;
	if (t->nodelay)
		push_held(st, t);
	return 0;
}

/* TCP_CORK: hold short segments until uncorked (or the persist timer,
 * after an RTO and at least 200 ms, forces them out). */
static int set_cork(struct stack *st, struct tcb *t, int v)
{
	t->cork = v != 0;
	if (!t->cork)
		tcp_output(st, t);
	return 0;
}

/* TCP_QUICKACK: 1 ACKs at once for a while (and sends an ACK owed now),
 * 0 goes back to delayed ACKs. Not sticky, as on Linux. */
static int set_quickack(struct stack *st, struct tcb *t, int v)
{
	t->quickacks = v ? TCP_QUICKACKS : 0;
	if (v && timer_armed(&t->dack)) {
		t->ack_now = 1;
		tcp_output(st, t);
	}
	return 0;
}

/* TCP_NOTSENT_LOWAT: writable only while fewer bytes than v wait to be
 * sent for the first time; 0 (as Linux's default) means no limit. */
static int set_notsent_lowat(struct stack *st, struct tcb *t, int v)
{
	t->notsent_lowat = (uint32_t)v;
	tcp_wake(st, t);
	return 0;
}

/* TCP_INQ: kept and read back, as Linux; the count itself comes as a
 * control message there, which nc_recv has no room for: NC_TCP_INFO's
 * qin gives it. */
static int set_inq(struct stack *st, struct tcb *t, int v)
{
	(void)st;
	t->inq = v != 0;
	return 0;
}

static int set_maxseg(struct stack *st, struct tcb *t, int v)
{
	(void)st;
	if (v < 88 || v > 65495)
		return -EINVAL;
	t->user_mss = (uint16_t)v;
	return 0;
}

static int set_keepidle(struct stack *st, struct tcb *t, int v)
{
	if (v < 1 || v > 32767)
		return -EINVAL;
	t->keepidle = (uint32_t)v;
	keep_changed(st, t);
	return 0;
}

static int set_keepintvl(struct stack *st, struct tcb *t, int v)
{
	if (v < 1 || v > 32767)
		return -EINVAL;
	t->keepintvl = (uint32_t)v;
	keep_changed(st, t);
	return 0;
}

static int set_keepcnt(struct stack *st, struct tcb *t, int v)
{
	(void)st;
	if (v < 1 || v > 127)
		return -EINVAL;
	t->keepcnt = (uint8_t)v;
	return 0;
}

static int set_connect_timeout(struct stack *st, struct tcb *t, int v)
{
	(void)st;
	if (v <= 0)
		return -EINVAL;
	t->conn_timeout_ms = (uint32_t)v;
	return 0;
}

/* RFC 5482: give up on data unacknowledged for v ms; 0 restores the
 * default (TCP_MAXRTX retransmissions). As on Linux, a retransmission
 * timer already running keeps its time; the next one is cut short. */
static int set_user_timeout(struct stack *st, struct tcb *t, int v)
{
	(void)st;
	if (v < 0)
		return -EINVAL;
	t->user_timeout_ms = (uint32_t)v;
	return 0;
}

/* Only on a socket not yet bound nor listening: see tcp_listen. */
static int set_catchall(struct stack *st, struct tcb *t, int v)
{
	(void)st;
	if (t->state != NC_TCP_CLOSED || t->connected || (t->so && t->so->lport != 0))
		return -EINVAL;
	t->catchall = v != 0;
	return 0;
}

static int get_keepalive(const struct tcb *t) { return t->keepalive; }
static int get_catchall(const struct tcb *t) { return t->catchall; }
static int get_nodelay(const struct tcb *t) { return t->nodelay; }
static int get_cork(const struct tcb *t) { return t->cork; }
static int get_quickack(const struct tcb *t) { return t->quickacks > 0; }
static int get_notsent_lowat(const struct tcb *t) { return (int)t->notsent_lowat; }
static int get_inq(const struct tcb *t) { return t->inq; }
static int get_keepidle(const struct tcb *t) { return (int)t->keepidle; }
static int get_keepintvl(const struct tcb *t) { return (int)t->keepintvl; }
static int get_keepcnt(const struct tcb *t) { return t->keepcnt; }
static int get_connect_timeout(const struct tcb *t) { return (int)t->conn_timeout_ms; }
static int get_user_timeout(const struct tcb *t) { return (int)t->user_timeout_ms; }

/* Before a connection, and on a listener, the MSS asked for (as Linux);
 * after it the one agreed. */
static int get_maxseg(const struct tcb *t)
{
	int unconnected = t->state == NC_TCP_CLOSED || t->state == NC_TCP_LISTEN;

	return unconnected && t->user_mss ? t->user_mss : t->mss;
}

/* The integer options TCP acts on, as ctl.c's verbs[]. SO_RCVBUF and
 * SO_SNDBUF are sock.c's to answer; TCP only follows a new size. */
static const struct tcpopt {
	int level, name;
	int (*set)(struct stack *st, struct tcb *t, int v);
	int (*get)(const struct tcb *t);
} options[] = {
	{ SOL_SOCKET, SO_KEEPALIVE, set_keepalive, get_keepalive },
	{ SOL_SOCKET, SO_RCVBUF, set_rcvbuf, NULL },
	{ SOL_SOCKET, SO_SNDBUF, set_sndbuf, NULL },
	{ IPPROTO_TCP, TCP_NODELAY, set_nodelay, get_nodelay },
	{ IPPROTO_TCP, TCP_MAXSEG, set_maxseg, get_maxseg },
	{ IPPROTO_TCP, TCP_KEEPIDLE, set_keepidle, get_keepidle },
	{ IPPROTO_TCP, TCP_KEEPINTVL, set_keepintvl, get_keepintvl },
	{ IPPROTO_TCP, TCP_KEEPCNT, set_keepcnt, get_keepcnt },
	{ IPPROTO_TCP, NC_TCP_CONNECT_TIMEOUT, set_connect_timeout, get_connect_timeout },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, set_user_timeout, get_user_timeout },
	{ IPPROTO_TCP, TCP_CORK, set_cork, get_cork },
	{ IPPROTO_TCP, TCP_QUICKACK, set_quickack, get_quickack },
	{ IPPROTO_TCP, TCP_NOTSENT_LOWAT, set_notsent_lowat, get_notsent_lowat },
	{ IPPROTO_TCP, TCP_INQ, set_inq, get_inq },
	{ IPPROTO_TCP, NC_TCP_CATCHALL, set_catchall, get_catchall },
};

static const struct tcpopt *find_option(int level, int name)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
		if (options[i].level == level && options[i].name == name)
			return &options[i];
	return NULL;
}

/* TCP_CONGESTION, a name as Linux's (TCP_CA_NAME_MAX bytes at most,
 * up to the first NUL); an unknown one is ENOENT, as there. */
enum { CC_NAME_MAX = 16 };

static int set_congestion(struct stack *st, struct tcb *t, const void *val, size_t len)
{
	size_t max = len < CC_NAME_MAX - 1 ? len : CC_NAME_MAX - 1, n = 0;
	const char *name = val;
	int cc;

	if (len < 1)
		return -EINVAL;
	if (val == NULL)
		return -EFAULT;
	while (n < max && name[n] != 0)
		n++;
	cc = tcp_cc_find(name, n);
	if (cc < 0)
		return -ENOENT;
	return tcp_cc_set(st, t, cc);
}

/* As Linux: the name in a zero-padded buffer of up to 16 bytes. */
static int get_congestion(const struct tcb *t, void *val, size_t *len)
{
	const char *cc = tcp_cc_name(t->cc);
	char name[CC_NAME_MAX] = { 0 };

	for (size_t i = 0; cc[i] != 0 && i < sizeof name - 1; i++)
		name[i] = cc[i];
	if (*len > sizeof name)
		*len = sizeof name;
	memcpy(val, name, *len);
	return 0;
}

static int tcp_setopt(struct stack *st, struct sock *so, int level, int name,
		      const void *val, size_t len)
{
	const struct tcpopt *o = find_option(level, name);
	int v, err;

	if (level == IPPROTO_TCP && name == TCP_CONGESTION)
		return set_congestion(st, so->pcb, val, len);
	if (o == NULL && (level != IPPROTO_TCP || name == NC_TCP_INFO))
		return -ENOPROTOOPT;
	/* as Linux, an IPPROTO_TCP value is read before its name is known */
	if ((err = get_int(val, len, &v)) < 0)
		return err;
	return o ? o->set(st, so->pcb, v) : -ENOPROTOOPT;
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

/* TCP_INFO in Linux's layout; a shorter buffer gets the leading part. */
static int get_linux_info(struct stack *st, const struct tcb *t, void *val, size_t *len)
{
	struct nc_linux_tcp_info li;

	tcp_linux_info(st, t, &li);
	if (*len > sizeof li)
		*len = sizeof li;
	memcpy(val, &li, *len);
	return 0;
}

static int tcp_getopt(struct stack *st, struct sock *so, int level, int name, void *val,
		      size_t *len)
{
	const struct tcpopt *o = find_option(level, name);
	struct nc_tcp_info ti;

	if (level == IPPROTO_TCP && name == TCP_INFO)
		return get_linux_info(st, so->pcb, val, len);
	if (level == IPPROTO_TCP && name == TCP_CONGESTION)
		return get_congestion(so->pcb, val, len);
	if (level == IPPROTO_TCP && name == NC_TCP_INFO) {	/* the one that is a struct */
		tcp_info(so->pcb, &ti);
		if (*len > sizeof ti)
			*len = sizeof ti;
		memcpy(val, &ti, *len);
		return 0;
	}
	if (o == NULL || o->get == NULL)
		return -ENOPROTOOPT;
	return put_int(val, len, o->get(so->pcb));
}

static size_t tcp_nread(struct stack *st, struct sock *so)
{
	struct tcb *t = so->pcb;

	(void)st;
	return t->rcvq.len;
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
	.bind6 = tcp_bind6,
	.connect6 = tcp_connect6,
	.send = tcp_send,
	.recv = tcp_recv,
	.peek = tcp_peek,
	.consume = tcp_consume,
	.fill = tcp_fill,
	.shutdown = tcp_shutdown,
	.nread = tcp_nread,
	.poll = tcp_poll,
	.setopt = tcp_setopt,
	.getopt = tcp_getopt,
};
