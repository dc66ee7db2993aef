/*
 * TCP output: building and sending segments (options, window, Nagle,
 * silly-window avoidance), the output loop, and the retransmissions
 * congestion control asks for. When to send is tcp_timer.c's, how much
 * tcp_cc.c's.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "ip.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_impl.h"

enum { SACK_BLOCKS_TS = 3 };

uint32_t tcp_ts_now(const struct stack *st, const struct tcb *t)
{
	return (uint32_t)(st->now / 1000) + t->ts_offset;
}

/* Sequence number just past the last byte queued to send. */
uint32_t tcp_data_end(const struct tcb *t)
{
	return t->snd_una + (t->snd_una == t->iss) + t->sndq.len;
}

uint32_t tcp_flight(const struct tcb *t)
{
	return t->snd_max - t->snd_una;
}

/* The receive window: buffer room from rcv_nxt on. */
uint32_t tcp_rcv_window(const struct tcb *t)
{
	uint32_t space = t->rcvbuf > t->rcvq.len ? t->rcvbuf - t->rcvq.len : 0;

	if (t->shut_rd)
		space = t->rcvbuf;	/* read or not, it is dropped */
	return min32(space, (uint32_t)TCP_MAX_WND << t->rcv_wscale);
}

/* Under memory pressure (buf.c) a window promises no new chunk: only
 * the room of the chunks the queue holds, or one chunk in all. */
static uint32_t pressure_window(const struct stack *st, const struct tcb *t)
{
	if (!buf_pressure(st))
		return UINT32_MAX;
	return (t->rcvq.room > CHUNK_SIZE ? t->rcvq.room : CHUNK_SIZE) - t->rcvq.len;
}

/* The window field of a segment. It never moves the right edge back,
 * and grows only by a useful amount (RFC 9293 3.8.6.2.2). */
static uint16_t window_field(const struct stack *st, struct tcb *t, int syn)
{
	uint32_t win = min32(tcp_rcv_window(t), pressure_window(st, t));
	uint32_t cur = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t field;

	if (syn) {	/* never scaled (RFC 7323 2.2) */
		field = min32(win, TCP_MAX_WND);
		t->rcv_adv = t->rcv_nxt + field;
		return (uint16_t)field;
	}
	if (win < cur || win - cur < min32(t->rcvbuf / 2, t->mss))
		win = cur;
	/* scaling rounds down: the edge may seem to move back by less than
	 * 2^scale, which RFC 7323 2.4 allows; we still take up to rcv_adv */
	field = min32(win >> t->rcv_wscale, TCP_MAX_WND);
	if (seq_gt(t->rcv_nxt + (field << t->rcv_wscale), t->rcv_adv))
		t->rcv_adv = t->rcv_nxt + (field << t->rcv_wscale);
	return (uint16_t)field;
}

/* SACK blocks we put in an ACK: at most 3 beside timestamps. */
static int sack_blocks(const struct tcb *t)
{
	int max = t->ts_ok ? SACK_BLOCKS_TS : TCP_OOO_MAX;

	if (!t->sack_ok || t->nooo == 0)
		return 0;
	return t->nooo < max ? t->nooo : max;
}

/* Room for payload in a segment: the MSS less the options it carries. */
uint32_t tcp_seg_room(const struct tcb *t)
{
	uint32_t opt = (t->ts_ok ? OPT_TS_LEN : 0) + (sack_blocks(t) ? 4u + 8u * sack_blocks(t) : 0);

	return t->mss > opt ? t->mss - opt : 1;
}

static uint16_t our_mss(const struct stack *st, const struct tcb *t)
{
	uint32_t m = (uint32_t)st->mtu - IP_HLEN - TCP_HLEN;

	if (t->user_mss && t->user_mss < m)
		m = t->user_mss;
	return (uint16_t)m;
}

/* The window shift we offer, chosen as Linux does (peers and test suites
 * expect its value): the largest receive buffer's log2 less the 15 bits
 * of the unscaled window, within 0..14. It depends on the maximum, not
 * on the socket's current buffer, so that a buffer SO_RCVBUF raises
 * later can still be advertised whole. */
uint8_t tcp_our_wscale(void)
{
	int shift = -15;

	for (uint32_t space = SOCK_MAX_BUF; space > 1; space >>= 1)
		shift++;
	return (uint8_t)(shift < 0 ? 0 : shift > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : shift);
}

/* The options of a segment with flags: in a SYN all we offer, in a
 * SYN-ACK the peer's choice; afterwards timestamps and SACK blocks. */
static void our_options(const struct stack *st, const struct tcb *t, struct seg *s)
{
	int syn = (s->flags & SEG_SYN) != 0, offer = t->state == NC_TCP_SYN_SENT;
	int nb = (s->flags & SEG_ACK) ? sack_blocks(t) : 0;

	tcp_no_options(s);
	if (syn)
		s->mss = our_mss(st, t);
	if (syn ? offer || t->ts_ok : t->ts_ok) {
		s->has_ts = 1;
		s->tsval = tcp_ts_now(st, t);
		s->tsecr = !syn || (s->flags & SEG_ACK) ? t->ts_recent : 0;
	}
	if (syn && (offer || t->ws_ok))
		s->wscale = (int8_t)tcp_our_wscale();
	if (syn && (offer || t->sack_ok))
		s->sack_perm = 1;
	if (!syn && nb > 0) {
		s->nsack = (uint8_t)nb;
		memcpy(s->sack, t->ooo, sizeof s->sack[0] * (size_t)nb);
	}
}

static void checksum_and_send(struct stack *st, uint32_t src, uint32_t dst, uint8_t ttl,
			      uint8_t tos, size_t len, unsigned gso)
{
	tcp_cksum_set(st->obuf + IP_HLEN, src, dst, len);
	st->tcp->stats[TCPS_OUT_SEGS]++;
	ip_output(st, &(struct ipsend){ .src = src, .dst = dst, .proto = IP_PROTO_TCP,
					.ttl = ttl, .tos = tos, .df = 1, .gso = gso }, len);
}

/* Send one segment of t: len bytes of the send queue from seq. */
void tcp_send_seg(struct stack *st, struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags)
{
	uint8_t *h = st->obuf + IP_HLEN;
	struct seg s = { .sport = t->lport, .dport = t->fport, .seq = seq,
			 .ack = (flags & SEG_ACK) ? t->rcv_nxt : 0, .flags = flags };
	uint32_t room = tcp_seg_room(t);
	size_t hlen;

	our_options(st, t, &s);
	s.wnd = window_field(st, t, (flags & SEG_SYN) != 0);
	hlen = tcp_emit(h, &s);
	if (len > 0)
		bufq_copyout(&t->sndq, seq - t->snd_una, h + hlen, len);
	if (flags & SEG_ACK) {
		if (t->unacked > 0 && t->quickacks > 0)
			t->quickacks--;
		t->ack_now = 0;
		t->unacked = 0;
		timer_stop(st, &t->dack);
	}
	if (seq_lt(seq, t->snd_max) && (len > 0 || (flags & (SEG_SYN | SEG_FIN)))) {
		st->tcp->stats[TCPS_RETRANS_SEGS]++;
		t->retrans++;
	}
	checksum_and_send(st, t->laddr, t->faddr, t->so ? t->so->ttl : t->ttl,
			  t->so ? t->so->tos : t->tos, hlen + len, len > room ? room : 0);
}

void tcp_respond(struct stack *st, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		 uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct seg s = { .sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags };

	tcp_no_options(&s);
	tcp_emit(st->obuf + IP_HLEN, &s);
	if (flags & SEG_RST)
		st->tcp->stats[TCPS_OUT_RSTS]++;
	checksum_and_send(st, src, dst, 0, 0, TCP_HLEN, 0);
}

static void tcp_send_ack(struct stack *st, struct tcb *t)
{
	tcp_send_seg(st, t, t->snd_nxt, 0, SEG_ACK);
}

/* Reset the peer of a synchronized (or half-open passive) connection,
 * with the connection's options: a timestamp when they are in use (RFC
 * 7323 3.2), which a peer checking them (PAWS) needs to accept it. */
void tcp_send_rst(struct stack *st, struct tcb *t)
{
	switch (t->state) {
	case NC_TCP_CLOSED:
	case NC_TCP_LISTEN:
	case NC_TCP_SYN_SENT:
	case NC_TCP_TIME_WAIT:
		return;
	}
	st->tcp->stats[TCPS_OUT_RSTS]++;
	tcp_send_seg(st, t, t->snd_max, 0, SEG_RST | SEG_ACK);
}

/* A segment the peer must answer: one below snd_una, no data (for
 * keepalive and zero-window probes, as Linux sends them). */
void tcp_send_probe(struct stack *st, struct tcb *t)
{
	tcp_send_seg(st, t, t->snd_una - 1, 0, SEG_ACK);
}

/* ---- the output loop ---- */

/* Is our FIN to follow the queued data? */
static int fin_due(const struct tcb *t)
{
	return t->shut_wr && (t->state == NC_TCP_FIN_WAIT_1 || t->state == NC_TCP_CLOSING ||
			      t->state == NC_TCP_LAST_ACK);
}

/* Resending after a timeout: skip what the peer's SACK blocks hold. */
static void skip_sacked(struct tcb *t)
{
	for (int i = 0; i < t->nsack; i++) {
		struct seqrange r = t->sack[i];
		if (seq_gt(r.start, t->snd_una) && seq_leq(r.start, t->snd_nxt) &&
		    seq_lt(t->snd_nxt, r.end) && seq_leq(r.end, t->snd_max)) {
			t->snd_nxt = r.end;
			i = -1;		/* the new position may sit in another block */
		}
	}
}

/* Nagle (RFC 896) and sender-side silly window avoidance (RFC 9293
 * 3.8.6.2.1): a segment shorter than full goes only when it is all we
 * have and nothing is in flight (or TCP_NODELAY), when it fills half the
 * largest window the peer offered, when it is a resend, or when the
 * persist timer forces it. */
static int may_send(const struct tcb *t, uint32_t len, uint32_t avail, uint32_t room)
{
	if (len >= room || seq_lt(t->snd_nxt, t->snd_max) || t->force)
		return 1;
	if (len == avail && (t->nodelay || t->snd_una == t->snd_max))
		return 1;
	return t->max_sndwnd > 0 && len >= t->max_sndwnd / 2;
}

/* Limited transmit (RFC 3042): the first two duplicate ACKs each let a
 * new segment out, so that a small window still makes three. */
static uint32_t limited_transmit(const struct tcb *t)
{
	return t->in_recovery ? 0 : (t->dupacks < 2 ? t->dupacks : 2u) * t->mss;
}

/* The most new data one segment may carry: the room of one, or with
 * segmentation offload as many full ones as a 64 KiB packet holds. */
static uint32_t seg_max(const struct stack *st, const struct tcb *t, uint32_t room)
{
	uint32_t n = (IP_MAXPACKET - IP_HLEN - TCP_MAXHLEN) / room;

	return st->tso && n > 1 && !seq_lt(t->snd_nxt, t->snd_max) ? n * room : room;
}

/* PSH where Linux puts it: on the segment that empties the queue, and on
 * new data that ends a burst because the window has no room for another
 * full segment (the receiver gets nothing more for a round trip, so it
 * should deliver what it has); not on resends, nor on the single
 * segments that limited transmit and recovery let out. */
static int push_due(const struct tcb *t, uint32_t len, uint32_t end, uint32_t usable,
		    uint32_t room)
{
	if (len == 0)
		return 0;
	if (t->snd_nxt + len == end)
		return 1;
	return !seq_lt(t->snd_nxt, t->snd_max) && !t->in_recovery && t->dupacks == 0 &&
	       usable - len < room;
}

/* Send the next segment the windows allow; 0 when there is none. */
int tcp_send_one(struct stack *st, struct tcb *t)
{
	uint32_t end = tcp_data_end(t), room, wnd, inflight, usable, avail, len;
	uint8_t flags = SEG_ACK;
	int fin;

	if (seq_lt(t->snd_nxt, t->snd_max))
		skip_sacked(t);
	room = tcp_seg_room(t);
	wnd = min32(t->snd_wnd, t->cwnd + limited_transmit(t));
	inflight = t->snd_nxt - t->snd_una;
	usable = wnd > inflight ? wnd - inflight : 0;
	avail = seq_lt(t->snd_nxt, end) ? end - t->snd_nxt : 0;
	len = min32(min32(avail, seg_max(st, t, room)), usable);
	fin = fin_due(t) && seq_leq(t->snd_nxt, end) && t->snd_nxt + len == end;
	if (len == 0 && !fin)
		return 0;
	if (!fin && !may_send(t, len, avail, room))
		return 0;
	if (fin)
		flags |= SEG_FIN;
	if (push_due(t, len, end, usable, room))
		flags |= SEG_PSH;
	if (!t->timing && !seq_lt(t->snd_nxt, t->snd_max) && len > 0) {
		t->timing = 1;
		t->rtt_seq = t->snd_nxt;
		t->rtt_start = st->now;
	}
	if (t->snd_una == t->snd_max)
		t->una_since = st->now;		/* a flight begins */
	tcp_send_seg(st, t, t->snd_nxt, len, flags);
	t->snd_nxt += len + (uint32_t)fin;
	if (fin)
		t->fin_sent = 1;
	if (seq_gt(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	return 1;
}

/* SYN or SYN-ACK, when due. */
static void handshake_output(struct stack *st, struct tcb *t)
{
	if (t->snd_nxt != t->iss) {
		if (t->ack_now)
			tcp_send_ack(st, t);
		return;
	}
	if (t->nrtx == 0 && !t->timing) {
		t->timing = 1;
		t->rtt_seq = t->iss;
		t->rtt_start = st->now;
	}
	tcp_send_seg(st, t, t->iss, 0, t->state == NC_TCP_SYN_SENT ? SEG_SYN : SEG_SYN | SEG_ACK);
	t->snd_nxt = t->iss + 1;
	if (seq_gt(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
}

/* Send what is due: SYN, data, FIN, or an ACK asked for (ack_now). */
void tcp_output(struct stack *st, struct tcb *t)
{
	int sent = 0;

	switch (t->state) {
	case NC_TCP_CLOSED:
	case NC_TCP_LISTEN:
		return;
	case NC_TCP_SYN_SENT:
	case NC_TCP_SYN_RECEIVED:
		handshake_output(st, t);
		tcp_timer_update(st, t);
		return;
	case NC_TCP_TIME_WAIT:
		if (t->ack_now)
			tcp_send_ack(st, t);
		return;
	}
	while (tcp_send_one(st, t))
		sent = 1;
	if (!sent && t->ack_now)
		tcp_send_ack(st, t);
	tcp_timer_update(st, t);
}

/* ---- retransmission of what the scoreboard says is lost ---- */

/* Resend the next hole the peer does not hold and we have not resent in
 * this recovery: with SACK, below the highest SACKed byte; without, the
 * first unacknowledged segment. 0 when there is none. */
int tcp_retransmit_hole(struct stack *st, struct tcb *t)
{
	uint32_t seq = seq_max(t->rtx_next, t->snd_una), end = tcp_data_end(t), stop = end;
	int above = 0;

	if (t->nsack == 0 && seq != t->snd_una)
		return 0;
	for (int i = 0; i < t->nsack; i++) {	/* step over what the peer holds */
		if (seq_leq(t->sack[i].start, seq) && seq_lt(seq, t->sack[i].end)) {
			seq = t->sack[i].end;
			i = -1;
		}
	}
	for (int i = 0; i < t->nsack; i++) {
		if (seq_gt(t->sack[i].start, seq)) {
			stop = above ? seq_min(stop, t->sack[i].start) : t->sack[i].start;
			above = 1;
		}
	}
	if ((t->nsack > 0 && !above) || !seq_lt(seq, end))
		return 0;
	stop = min32(min32(stop - seq, end - seq), tcp_seg_room(t));
	t->timing = 0;		/* Karn */
	tcp_send_seg(st, t, seq, stop, SEG_ACK);
	t->rtx_next = seq + stop;
	return 1;
}

/* The first unacknowledged segment again (fast retransmit, partial ACK). */
void tcp_retransmit_first(struct stack *st, struct tcb *t)
{
	uint32_t end = tcp_data_end(t);
	uint32_t len = seq_lt(t->snd_una, end) ? min32(end - t->snd_una, tcp_seg_room(t)) : 0;
	uint8_t flags = SEG_ACK;

	if (t->fin_sent && t->snd_una + len == end)
		flags |= SEG_FIN;
	if (len == 0 && !(flags & SEG_FIN))
		return;
	t->timing = 0;		/* Karn */
	tcp_send_seg(st, t, t->snd_una, len, flags);
}
