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

/* SACK blocks we put in an ACK: at most 3 beside timestamps, with the
 * due D-SACK block if dsack. */
static int sack_blocks(const struct tcb *t, int dsack)
{
	int max = t->ts_ok ? SACK_BLOCKS_TS : TCP_OOO_MAX;
	int n = t->nooo + (dsack && t->dsack_due);

	if (!t->sack_ok)
		return 0;
	return n < max ? n : max;
}

/* Room for payload in a segment: the MSS less the options it carries. */
uint32_t tcp_seg_room(const struct tcb *t)
{
	uint32_t opt = (t->ts_ok ? OPT_TS_LEN : 0) + (sack_blocks(t, 1) ? 4u + 8u * sack_blocks(t, 1) : 0);

	return t->mss > opt ? t->mss - opt : 1;
}

static uint16_t our_mss(const struct stack *st, const struct tcb *t)
{
	uint32_t m = tcp_path_mss(st, t);

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
 * SYN-ACK the peer's choice; afterwards timestamps and SACK blocks, led
 * by a due D-SACK block when dsack is set. */
static void our_options(const struct stack *st, const struct tcb *t, struct seg *s, int dsack)
{
	int syn = (s->flags & SEG_SYN) != 0, offer = t->state == NC_TCP_SYN_SENT;
	int nb = (s->flags & SEG_ACK) ? sack_blocks(t, dsack) : 0;
	int lead = dsack && t->dsack_due;

	tcp_no_options(s);
	if (syn)
		s->mss = our_mss(st, t);
	if (syn ? (offer && !st->no_timestamps) || t->ts_ok : t->ts_ok) {
		s->has_ts = 1;
		s->tsval = tcp_ts_now(st, t);
		s->tsecr = !syn || (s->flags & SEG_ACK) ? t->ts_recent : 0;
	}
	if (syn && (offer || t->ws_ok))
		s->wscale = (int8_t)tcp_our_wscale();
	if (syn && ((offer && !st->no_sack) || t->sack_ok))
		s->sack_perm = 1;
	if (!syn && nb > 0) {
		s->nsack = (uint8_t)nb;
		if (lead)
			s->sack[0] = t->dsack;
		if (nb > lead)
			memcpy(s->sack + lead, t->ooo, sizeof s->sack[0] * (size_t)(nb - lead));
	}
}

/* Send the len-byte segment at st->obuf + IP_HLEN as how says (its
 * addresses, hop limit, traffic class, gso), with its checksum, or the
 * pseudo-header's part of it for a link that finishes it. */
static void checksum_and_send(struct stack *st, struct ipsend how, size_t len)
{
	uint32_t pseudo = how.v6 ? cksum_pseudo6(&how.src6, &how.dst6, IP_PROTO_TCP, len)
				 : cksum_pseudo(how.src, how.dst, IP_PROTO_TCP, len);

	if (st->csum_offload)
		tcp_cksum_partial(st->obuf + IP_HLEN, pseudo);
	else
		tcp_cksum_fill(st->obuf + IP_HLEN, pseudo, len);
	st->tcp->stats[TCPS_OUT_SEGS]++;
	how.proto = IP_PROTO_TCP;
	how.df = 1;
	ip_output(st, &how, len);
}

/* TCP_INFO's output counters; an offloaded packet counts as the
 * segments it will be cut into. As on Linux, where the listener answers
 * the SYN, a passive connection's count starts after its SYN-ACK. */
static void count_sent(const struct stack *st, struct tcb *t, uint32_t len, uint32_t room)
{
	uint32_t n = len > room ? (len + room - 1) / room : 1;

	if (t->passive && t->state == NC_TCP_SYN_RECEIVED)
		return;
	t->cnt.segs_out += n;
	if (len == 0)
		return;
	t->cnt.data_segs_out += n;
	t->cnt.bytes_sent += len;
	t->cnt.last_data_sent = st->now;
}

/* The segment's len bytes of payload from seq: left in the send queue as
 * pieces of a tail (returns how many) when the link takes packets in
 * pieces and finishes the checksum; else copied to d behind the header
 * (0). */
static int payload(struct stack *st, struct tcb *t, uint32_t seq, uint32_t len, uint8_t *d,
		   struct iovec *tail)
{
	size_t got;
	int n;

	if (st->output_iov != NULL && st->csum_offload) {
		n = bufq_iov(&t->sndq, seq - t->snd_una, len, tail, IPSEND_TAIL_MAX, &got);
		if (got == len)
			return n;
	}
	bufq_copyout(&t->sndq, seq - t->snd_una, d, len);
	return 0;
}

/* Send one segment of t: len bytes of the send queue from seq. */
void tcp_send_seg(struct stack *st, struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags)
{
	uint8_t *h = st->obuf + IP_HLEN;
	struct seg s = { .sport = t->lport, .dport = t->fport, .seq = seq,
			 .ack = (flags & SEG_ACK) ? t->rcv_nxt : 0, .flags = flags };
	uint32_t room = tcp_seg_room(t);
	int dsack = len <= room;	/* not in every piece of a super-packet */
	struct iovec tail[IPSEND_TAIL_MAX];
	int ntail = 0;
	size_t hlen;

	our_options(st, t, &s, dsack);
	s.wnd = window_field(st, t, (flags & SEG_SYN) != 0);
	hlen = tcp_emit(h, &s);
	if (len > 0)
		ntail = payload(st, t, seq, len, h + hlen, tail);
	if (flags & SEG_ACK) {
		if (t->unacked > 0 && t->quickacks > 0)
			t->quickacks--;
		t->ack_now = 0;
		t->unacked = 0;
		t->dsack_due &= !dsack;
		timer_stop(st, &t->dack);
	}
	if (seq_lt(seq, t->snd_max) && (len > 0 || (flags & (SEG_SYN | SEG_FIN)))) {
		st->tcp->stats[TCPS_RETRANS_SEGS]++;
		t->retrans++;
		t->cnt.bytes_retrans += len;
		tcp_log(st, "rexmit", NULL, t->laddr, t->faddr, t->lport, t->fport);
	}
	count_sent(st, t, len, room);
	if (len > 0)
		tcp_paced(st, t, len);
	checksum_and_send(st, (struct ipsend){ .src = t->laddr, .dst = t->faddr, .v6 = t->v6,
					       .src6 = t->laddr6, .dst6 = t->faddr6,
					       .ttl = t->so ? t->so->ttl : t->ttl,
					       .tos = t->so ? t->so->tos : t->tos,
					       .gso = len > room ? room : 0,
					       .tail = tail, .ntail = ntail },
			  hlen + len);
}

void tcp_respond(struct stack *st, const struct seg *in, uint32_t seq, uint32_t ack,
		 uint8_t flags)
{
	struct seg s = { .sport = in->dport, .dport = in->sport, .seq = seq, .ack = ack,
			 .flags = flags };

	tcp_no_options(&s);
	tcp_emit(st->obuf + IP_HLEN, &s);
	if (flags & SEG_RST) {
		st->tcp->stats[TCPS_OUT_RSTS]++;
		tcp_log(st, "rst out", NULL, in->dst, in->src, in->dport, in->sport);
	}
	checksum_and_send(st, (struct ipsend){ .src = in->dst, .dst = in->src, .v6 = in->v6,
					       .src6 = in->dst6, .dst6 = in->src6 },
			  TCP_HLEN);
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
	tcp_log(st, "rst out", NULL, t->laddr, t->faddr, t->lport, t->fport);
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

/* Nagle (RFC 896) and sender-side silly window avoidance (RFC 9293
 * 3.8.6.2.1): a segment shorter than full goes only when it is all we
 * have and nothing is in flight (or TCP_NODELAY), when it fills half the
 * largest window the peer offered, when it is a resend, or when the
 * persist timer forces it. TCP_CORK and MSG_MORE hold every short
 * segment until uncorked, pushed (t->push) or forced, as Linux does. */
static int may_send(const struct tcb *t, uint32_t len, uint32_t avail, uint32_t room)
{
	if (len >= room || seq_lt(t->snd_nxt, t->snd_max) || t->force || t->push)
		return 1;
	if (t->cork || t->more)
		return 0;
	if (len == avail && (t->nodelay || t->snd_una == t->snd_max))
		return 1;
	return t->max_sndwnd > 0 && len >= t->max_sndwnd / 2;
}

/* The most new data one segment may carry: the room of one, or with
 * segmentation offload as many full ones as a 64 KiB packet holds, and
 * at most half the congestion window, as Linux (tcp_cwnd_test): two
 * packets in flight at least, so that when a router drops one whole,
 * the other's ACK shows the loss and recovery needs no timeout. */
static uint32_t seg_max(const struct stack *st, const struct tcb *t, uint32_t room)
{
	uint32_t n = (IP_MAXPACKET - IP_HLEN - TCP_MAXHLEN) / room;
	uint32_t half = t->cwnd / t->mss / 2;

	if (!st->tso || n <= 1 || seq_lt(t->snd_nxt, t->snd_max) || t->probing)
		return room;
	return min32(n, half > 1 ? half : 1) * room;
}

static uint32_t segs_of(uint32_t len, uint32_t room)
{
	return len > 0 ? (len + room - 1) / room : 1;
}

/* Resend one segment of the first lost piece of the scoreboard (RFC
 * 6675 NextSeg rule 1), PSH if it ends the queue; 0 when nothing is lost
 * or cwnd has no room. One segment a packet even with segmentation
 * offload: a lost super-packet of retransmissions would leave nothing
 * sent after them for RACK to see delivered, and recovery would wait
 * for the timeout. */
static int resend_lost(struct stack *st, struct tcb *t, uint32_t room, uint32_t cwnd_room)
{
	uint32_t end = tcp_data_end(t), seq, len, data;
	uint8_t fin = 0;

	if (!tcp_sb_next_lost(t, &seq, &len))
		return 0;
	len = min32(len, room);
	if (cwnd_room < len || !tcp_pace_ok(st, t))
		return 0;
	data = seq_lt(seq, end) ? min32(len, end - seq) : 0;
	if (t->fin_sent && seq_gt(seq + len, end))
		fin = SEG_FIN;
	t->timing = 0;		/* Karn */
	tcp_send_seg(st, t, seq, data, SEG_ACK | fin | (data > 0 && seq + data == end ? SEG_PSH : 0));
	tcp_sb_resent(st, t, seq, seq + data + (fin ? 1u : 0u));
	if (t->in_recovery)
		t->prr_out += segs_of(data, room);
	if (t->undo_ok)
		t->undo_retrans++;
	return 1;
}

/* Linux's TSO packet in segments: tcp_min_tso_segs (st->push_segs), at
 * most half the congestion window, so that two are in flight. */
static uint32_t tso_segs(const struct stack *st, const struct tcb *t)
{
	uint32_t half = t->cwnd / t->mss / 2;

	return half < 1 ? 1 : min32(half, (uint32_t)st->push_segs);
}

/* PSH where Linux puts it. A write ends with PSH (unless MSG_MORE said
 * more follows): on the segment that carries push_seq. Linux also sends
 * a burst of new data in TSO packets that each carry PSH, so the segment
 * that ends one (every tso_segs segments of the burst, or the last one
 * the window lets out) carries it too, with or without offload. Not on
 * resends, nor on the single segments that limited transmit and recovery
 * let out. */
static int push_due(const struct stack *st, const struct tcb *t, uint32_t len,
		    uint32_t usable, uint32_t room)
{
	uint32_t chunk = tso_segs(st, t) * room;

	if (len == 0)
		return 0;
	if (seq_lt(t->snd_nxt, t->push_seq) && seq_leq(t->push_seq, t->snd_nxt + len))
		return 1;
	if (seq_lt(t->snd_nxt, t->snd_max) || t->in_recovery || t->dupacks > 0 ||
	    t->probing)
		return 0;
	return usable - len < room || t->burst / chunk != (t->burst + len) / chunk;
}

/* Send the next segment the windows allow; 0 when there is none. */
int tcp_send_one(struct stack *st, struct tcb *t)
{
	uint32_t end = tcp_data_end(t), room, rwnd, pipe, cwnd_room, usable, avail, len;
	uint32_t seq = t->snd_nxt;
	uint8_t flags = SEG_ACK;
	int fin;

	room = tcp_seg_room(t);
	pipe = tcp_pipe(t);
	cwnd_room = t->cwnd > pipe ? t->cwnd - pipe : 0;
	if (!t->probing && resend_lost(st, t, room, cwnd_room))
		return 1;
	rwnd = t->snd_wnd > t->snd_nxt - t->snd_una ? t->snd_wnd - (t->snd_nxt - t->snd_una) : 0;
	usable = min32(rwnd, t->probing ? room : cwnd_room);
	avail = seq_lt(t->snd_nxt, end) ? end - t->snd_nxt : 0;
	len = min32(min32(avail, seg_max(st, t, room)), usable);
	fin = fin_due(t) && seq_leq(t->snd_nxt, end) && t->snd_nxt + len == end;
	if (len == 0 && !fin)
		return 0;
	if (!fin && !may_send(t, len, avail, room))
		return 0;
	if (len > 0 && !tcp_pace_ok(st, t))
		return 0;
	if (fin)
		flags |= SEG_FIN;
	if (push_due(st, t, len, usable, room))
		flags |= SEG_PSH;
	if (!seq_lt(t->snd_nxt, t->snd_max))
		t->burst += len;
	if (!t->timing && !seq_lt(t->snd_nxt, t->snd_max) && len > 0) {
		t->timing = 1;
		t->rtt_seq = t->snd_nxt;
		t->rtt_start = st->now;
	}
	if (t->snd_una == t->snd_max) {	/* a flight begins */
		tcp_cc_idle_end(t, st->now - t->una_since);	/* since the last ACK */
		t->una_since = st->now;
	}
	tcp_send_seg(st, t, seq, len, flags);
	t->snd_nxt += len + (uint32_t)fin;
	if (fin)
		t->fin_sent = 1;
	if (seq_gt(t->snd_nxt, t->snd_max)) {	/* new data */
		t->snd_max = t->snd_nxt;
		t->xmit_last = st->now;
		t->tail_seq = seq;
		if (t->sb != NULL)
			tcp_sb_sent(st, t, seq, t->snd_nxt);
	}
	if (t->in_recovery)
		t->prr_out += segs_of(len, room);
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
	uint32_t max = t->snd_max;
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
	t->burst = 0;
	while (tcp_send_one(st, t))
		sent = 1;
	if (!sent && t->ack_now)
		tcp_send_ack(st, t);
	if (!seq_lt(t->snd_nxt, tcp_data_end(t)) && t->lostb == 0 && tcp_pipe(t) < t->cwnd)
		tcp_rate_app_limited(t);	/* nothing more to send */
	tcp_cwnd_validate(t, (seq_lt(t->snd_nxt, tcp_data_end(t)) || t->lostb > 0) &&
				     t->cwnd < tcp_pipe(t) + tcp_seg_room(t));
	tcp_limit_update(st, t);
	if (t->snd_max != max && t->tmode == TM_TLP && timer_armed(&t->timer))
		tcp_timer_restart_rtx(st, t);	/* the probe follows the newest data */
	tcp_timer_update(st, t);
}

/* ---- the tail loss probe (RFC 8985 7.3) ---- */

/* New data if the peer's window has room for it, whatever cwnd says;
 * else the last segment sent again, as it went (a bare FIN if the FIN
 * went alone), so that the peer's answer shows a lost tail. */
void tcp_send_tlp(struct stack *st, struct tcb *t)
{
	uint32_t end = tcp_data_end(t), hi = seq_min(t->snd_max, end), start, len;
	uint8_t fin = t->fin_sent && hi == end ? SEG_FIN : 0;
	int sent;

	t->probing = 1;
	t->force = 1;
	sent = tcp_send_one(st, t);
	t->probing = 0;
	t->force = 0;
	if (sent)
		return;
	len = seq_lt(t->snd_una, hi) ? min32(hi - t->snd_una, tcp_seg_room(t)) : 0;
	start = hi - len;
	if (seq_gt(t->tail_seq, start) && seq_leq(t->tail_seq, hi))
		start = t->tail_seq;
	len = hi - start;
	t->timing = 0;		/* Karn */
	tcp_send_seg(st, t, start, len, SEG_ACK | fin | (len > 0 ? SEG_PSH : 0));
	/* on the scoreboard, so that F-RTO never takes the probe's answer
	 * for the first transmission's */
	if (tcp_sb_start(st, t) == 0)
		tcp_sb_resent(st, t, start, start + len + (fin ? 1u : 0u));
}
