/*
 * TCP segment arrival (RFC 9293 3.10.7), in the order the RFC gives:
 * checks, the segment's connection (or listener, or none: RST), then per
 * state. Synchronized states share one path: PAWS, sequence
 * acceptability, RST and SYN with the RFC 5961 defences, the ACK (send
 * side, tcp_output.c for congestion control), the text, and the FIN.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ip.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_impl.h"

/* Sequence space a segment takes: its data, SYN and FIN. */
static uint32_t seg_space(const struct seg *s)
{
	return s->len + !!(s->flags & SEG_SYN) + !!(s->flags & SEG_FIN);
}

/* No connection wants s: answer with a RST (RFC 9293 3.10.7.1). */
static void no_conn(struct stack *st, const struct seg *s)
{
	if (s->flags & SEG_RST)
		return;
	tcp_log(st, "drop", "no connection", s->src, s->dst, s->sport, s->dport);
	if (s->flags & SEG_ACK)
		tcp_respond(st, s, s->ack, 0, SEG_RST);
	else
		tcp_respond(st, s, 0, s->seq + seg_space(s), SEG_RST | SEG_ACK);
}

/* ---- the handshake ---- */

/* What a SYN (or SYN-ACK) tells: MSS, window scale, SACK, timestamps. We
 * offer every option in our SYN the stack has on, so the peer's choice
 * decides. */
void tcp_syn_options(struct stack *st, struct tcb *t, const struct seg *s)
{
	uint32_t ours = tcp_path_mss(st, t);

	if (t->user_mss && t->user_mss < ours)
		ours = t->user_mss;
	t->mss = (uint16_t)(s->mss == 0 ? (ours < TCP_DEFMSS ? ours : TCP_DEFMSS)
			    : s->mss < ours ? s->mss : ours);
	if (t->mss < 64)
		t->mss = 64;
	t->ws_ok = s->wscale >= 0;
	t->snd_wscale = t->ws_ok ? (uint8_t)s->wscale : 0;
	t->rcv_wscale = t->ws_ok ? tcp_our_wscale() : 0;
	t->sack_ok = s->sack_perm && !st->no_sack;
	t->ts_ok = s->has_ts && !st->no_timestamps;
	if (t->ts_ok)
		t->ts_recent = s->tsval;
	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	t->snd_wnd = s->wnd;	/* never scaled in a SYN (RFC 7323 2.2) */
	t->max_sndwnd = s->wnd;
	t->snd_wl1 = s->seq;
	t->snd_wl2 = s->ack;
	t->last_rcv = st->now;
}

/* A connection for listener l from SYN s, in SYN_RECEIVED. */
static struct tcb *passive_child(struct stack *st, struct tcb *l, const struct seg *s)
{
	struct tcb *c = tcp_new_child(st, l, s);

	if (c == NULL)
		return NULL;
	tcp_syn_options(st, c, s);
	c->cnt.segs_in = 1;	/* the SYN */
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	tcp_setstate(st, c, NC_TCP_SYN_RECEIVED);
	return c;
}

/*
 * An ACK at a listener: a RST, unless it returns one of our SYN cookies.
 * Then the connection is made here from what the cookie kept, in
 * SYN_RECEIVED as if its SYN-ACK had just gone, and the ACK goes on to
 * it (the returned tcb) as to any. A valid cookie finding the accept
 * queue full is dropped, as Linux does: the peer sends again.
 */
static struct tcb *cookie_ack(struct stack *st, struct tcb *l, struct seg *s)
{
	struct seg syn;
	struct tcb *c;

	if (tcp_cookie_check(st, l, s, &syn) < 0) {
		no_conn(st, s);
		return NULL;
	}
	if (l->nacceptq >= l->backlog || (c = passive_child(st, l, &syn)) == NULL)
		return NULL;
	c->iss = s->ack - 1;
	c->snd_una = c->snd_nxt = c->iss;
	c->snd_max = c->iss + 1;
	c->rcv_adv = c->rcv_nxt + min32(tcp_rcv_window(c), TCP_MAX_WND);	/* as the SYN-ACK said */
	s->tsecr = 0;	/* it carries the cookie's bits: no round-trip sample */
	return c;
}

/* A segment for listener l: a SYN makes a connection on the SYN queue,
 * or once that is full a cookie; an ACK may return a cookie. Segments
 * that make a connection return it, for the rest of their processing. */
static struct tcb *listen_input(struct stack *st, struct tcb *l, struct seg *s)
{
	struct tcb *c;

	if (s->flags & SEG_RST)
		return NULL;
	if (s->flags & SEG_ACK)
		return cookie_ack(st, l, s);
	if (!(s->flags & SEG_SYN) || l->nacceptq >= l->backlog)
		return NULL;	/* accept queue full: drop, the peer tries again */
	if (l->nsynq >= tcp_synq_max(l)) {
		tcp_cookie_send(st, l, s);
		return NULL;
	}
	c = passive_child(st, l, s);
	if (c != NULL)
		tcp_output(st, c);	/* SYN-ACK */
	return NULL;
}

static int process_text(struct stack *st, struct tcb *t, struct seg *s);
static void ack_at_once(struct stack *st, struct tcb *t);
static void rtt_from_ack(struct stack *st, struct tcb *t, const struct seg *s);

/* The handshake is done on our side: count it, start congestion control,
 * and send the FIN a shutdown asked for meanwhile. */
static void established(struct stack *st, struct tcb *t)
{
	tcp_cc_init(st, t);
	t->cnt.last_data_recv = st->now;	/* Linux's origin of the idle time */
	t->nrtx = 0;
	tcp_setstate(st, t, NC_TCP_ESTABLISHED);
	if (t->shut_wr)
		tcp_setstate(st, t, NC_TCP_FIN_WAIT_1);
}

static void synsent_input(struct stack *st, struct tcb *t, struct seg *s)
{
	if ((s->flags & SEG_ACK) &&
	    (seq_leq(s->ack, t->iss) || seq_gt(s->ack, t->snd_max))) {
		no_conn(st, s);
		return;
	}
	if (s->flags & SEG_RST) {
		if (s->flags & SEG_ACK)
			tcp_close(st, t, ECONNREFUSED);
		return;
	}
	if (!(s->flags & SEG_SYN))
		return;
	tcp_syn_options(st, t, s);
	t->rcv_adv = t->rcv_nxt + (t->rcvbuf < TCP_MAX_WND ? t->rcvbuf : TCP_MAX_WND);
	if (!(s->flags & SEG_ACK)) {	/* simultaneous open */
		tcp_setstate(st, t, NC_TCP_SYN_RECEIVED);
		t->snd_nxt = t->iss;	/* our SYN again, now with ACK */
		tcp_output(st, t);
		return;
	}
	/* A SYN sent again gives no sample, the echo's neither: the peer may
	 * echo the first SYN it saw and answer the last (its answer to the
	 * first lost), and an echo seconds old made a round trip of the
	 * backoff, which held BBR's first flight for seconds (a 3 s sample
	 * paced 1448 bytes, then 1.45 s of nothing). Timeouts start from
	 * 3 s until a sample comes. */
	if (t->nrtx == 0)
		rtt_from_ack(st, t, s);
	else
		t->rto = TCP_RTO_FALLBACK;
	t->cnt.bytes_acked += s->ack - t->snd_una;	/* our SYN, as Linux counts */
	t->snd_una = s->ack;
	if (seq_lt(t->snd_nxt, t->snd_una))
		t->snd_nxt = t->snd_una;
	established(st, t);
	t->ack_now = 1;
	if (s->len > 0 || (s->flags & SEG_FIN)) {
		s->seq++;
		s->flags &= (uint8_t)~SEG_SYN;
		process_text(st, t, s);
	}
	tcp_output(st, t);
	tcp_timer_update(st, t);
}

/* ---- the send side: acknowledgments and window ---- */

/* Milliseconds since our timestamp that s echoes: ECHO_NONE when it
 * echoes none, or one from before this century (a bogus echo). */
static const uint32_t ECHO_NONE = UINT32_MAX;

static uint32_t echo_age_ms(const struct stack *st, const struct tcb *t, const struct seg *s)
{
	uint32_t ms;

	if (!t->ts_ok || !s->has_ts || s->tsecr == 0)
		return ECHO_NONE;
	ms = tcp_ts_now(st, t) - s->tsecr;
	return ms < 3600u * 1000 ? ms : ECHO_NONE;
}

/* An RTT sample: the timed segment's, to the microsecond, or else, while
 * no segment is timed (Karn's rule stopped the timing), the timestamp
 * echo's (RFC 7323). Its millisecond ticks say nothing about a round
 * trip under a millisecond: taken beside the timed samples in a long
 * transfer, they put srtt at 5.7 ms on a 400 µs path (test_tcp.c). */
static void rtt_from_ack(struct stack *st, struct tcb *t, const struct seg *s)
{
	uint32_t r, ms;

	if (t->timing && seq_gt(s->ack, t->rtt_seq)) {
		r = (uint32_t)(st->now - t->rtt_start);
		t->timing = 0;
	} else if (!t->timing && (ms = echo_age_ms(st, t, s)) != ECHO_NONE && ms > 0) {
		r = ms * 1000;
	} else {
		return;
	}
	tcp_rtt_sample(t, r);
	if (t->cnt.min_rtt == 0 || r < t->cnt.min_rtt)
		t->cnt.min_rtt = r;
}

/* s acknowledges new data (and SACKs sacked bytes more); -1 when that
 * ended the connection. */
static int new_ack(struct stack *st, struct tcb *t, const struct seg *s, uint32_t sacked)
{
	uint32_t acked = s->ack - t->snd_una, data;
	int fin_acked;

	rtt_from_ack(st, t, s);
	/* with the FIN, and the SYN of an active open, as Linux counts */
	t->cnt.bytes_acked += acked - (t->passive && t->snd_una == t->iss);
	if (t->snd_una == t->iss)
		acked--;	/* our SYN */
	data = acked < t->sndq.len ? acked : t->sndq.len;
	fin_acked = acked > data;
	bufq_drop(st, &t->sndq, data);
	if (t->sndq.len == 0)
		bufq_clear(st, &t->sndq);
	t->snd_una = s->ack;
	t->una_since = st->now;
	if (seq_lt(t->snd_nxt, t->snd_una))
		t->snd_nxt = t->snd_una;
	t->nrtx = 0;
	t->tlp_done = 0;
	tcp_recovery_ack(st, t, acked, sacked, 0);
	if (t->snd_una != t->snd_max)
		tcp_timer_restart_rtx(st, t);
	if (data > 0)
		tcp_wake(st, t);
	if (!fin_acked)
		return 0;
	switch (t->state) {
	case NC_TCP_FIN_WAIT_1:
		tcp_setstate(st, t, NC_TCP_FIN_WAIT_2);
		break;
	case NC_TCP_CLOSING:
		tcp_enter_timewait(st, t);
		break;
	case NC_TCP_LAST_ACK:
		tcp_close(st, t, 0);
		return -1;
	}
	return 0;
}

/* The ACK field and the window (RFC 9293 3.10.7.4 fifth, RFC 5961 5);
 * -1 when the segment goes no further. */
static int ack_input(struct stack *st, struct tcb *t, const struct seg *s)
{
	uint32_t win = s->wnd << t->snd_wscale;
	uint32_t maxwnd = t->max_sndwnd > TCP_MAX_WND ? t->max_sndwnd : TCP_MAX_WND;
	uint32_t sacked = 0;

	if (seq_gt(s->ack, t->snd_max) || seq_lt(s->ack, t->snd_una - maxwnd)) {
		t->ack_now = 1;
		tcp_output(st, t);
		return -1;
	}
	t->cnt.last_ack_recv = st->now;
	if (t->sack_ok && s->nsack > 0)
		sacked = tcp_sack_update(st, t, s);
	if (seq_gt(s->ack, t->snd_una)) {
		if (new_ack(st, t, s, sacked) < 0)
			return -1;
	} else if (s->ack == t->snd_una && t->snd_max != t->snd_una) {
		/* duplicate (RFC 5681 2, RFC 6675 2), or new SACK blocks */
		int dup = s->len == 0 && !(s->flags & (SEG_SYN | SEG_FIN)) &&
			  (win == t->snd_wnd || s->nsack > 0);
		if (dup || sacked > 0)
			tcp_recovery_ack(st, t, 0, sacked, dup);
	}
	if (seq_lt(t->snd_wl1, s->seq) || (t->snd_wl1 == s->seq && seq_leq(t->snd_wl2, s->ack))) {
		if (win != t->snd_wnd && seq_lt(t->snd_nxt, tcp_data_end(t)))
			tcp_cc_idle_restart(st, t);	/* data waited for the window */
		t->snd_wnd = win;
		t->snd_wl1 = s->seq;
		t->snd_wl2 = s->ack;
		if (win > t->max_sndwnd)
			t->max_sndwnd = win;
	}
	return 0;
}

/* ---- the receive side: text and FIN ---- */

/* Bytes [start, end) came twice: the next ACK, sent at once, reports
 * them in a D-SACK block (RFC 2883), so that a peer that resent them
 * for nothing (reordering, a late ACK) can undo its reduction. There is
 * one block: a due one that the new one does not touch goes first, in
 * an ACK of its own, as each duplicate gets its ACK in Linux. */
static void dsack_note(struct stack *st, struct tcb *t, uint32_t start, uint32_t end)
{
	if (!t->sack_ok || !seq_lt(start, end))
		return;
	if (t->dsack_due && (seq_gt(start, t->dsack.end) || seq_lt(end, t->dsack.start)))
		ack_at_once(st, t);
	if (t->dsack_due) {
		start = seq_min(start, t->dsack.start);
		end = seq_max(end, t->dsack.end);
	}
	t->dsack = (struct seqrange){ start, end };
	t->dsack_due = 1;
	t->ack_now = 1;
}

/* Keep out-of-order bytes [seq, seq+len) at their place in rcvq and
 * remember the range (merged with its neighbours, newest first, as SACK
 * wants). With no range free the segment is dropped. */
static void ooo_add(struct stack *st, struct tcb *t, uint32_t seq, const uint8_t *d,
		    uint32_t len)
{
	struct seqrange keep[TCP_OOO_MAX];
	uint32_t start = seq, end = seq + len;
	int n = 0;

	for (int i = 0; i < t->nooo; i++) {
		struct seqrange r = t->ooo[i];
		if (seq_leq(r.start, end) && seq_geq(r.end, start)) {
			dsack_note(st, t, seq_max(seq, r.start), seq_min(seq + len, r.end));
			start = seq_min(start, r.start);
			end = seq_max(end, r.end);
		} else {
			keep[n++] = r;
		}
	}
	if (n == TCP_OOO_MAX)
		return;
	if (t->ooo == NULL) {
		t->ooo = malloc(sizeof t->ooo[0] * TCP_OOO_MAX);
		if (t->ooo == NULL)
			return;
		st->tcp->nooo++;
	}
	if (bufq_write_at(st, &t->rcvq, t->rcvq.len + (seq - t->rcv_nxt), d, len) != len)
		return;
	t->ooo[0] = (struct seqrange){ start, end };
	memcpy(t->ooo + 1, keep, sizeof keep[0] * n);
	t->nooo = (uint8_t)(n + 1);
}

void tcp_ooo_free(struct stack *st, struct tcb *t)
{
	if (t->ooo == NULL)
		return;
	free(t->ooo);
	st->tcp->nooo--;
	t->ooo = NULL;
	t->nooo = 0;
}

/* rcv_nxt moved: ranges it reached join the queue; with none left the
 * room goes back. */
static void ooo_merge(struct stack *st, struct tcb *t)
{
	int i = 0;

	while (i < t->nooo) {
		struct seqrange r = t->ooo[i];
		if (seq_gt(r.start, t->rcv_nxt)) {
			i++;
			continue;
		}
		if (seq_gt(r.end, t->rcv_nxt)) {
			bufq_extend(&t->rcvq, r.end - t->rcv_nxt);
			t->rcv_nxt = r.end;
		}
		memmove(t->ooo + i, t->ooo + i + 1, sizeof t->ooo[0] * (size_t)(t->nooo - i - 1));
		t->nooo--;
		i = 0;		/* the new rcv_nxt may reach an earlier range */
	}
	if (t->nooo == 0)
		tcp_ooo_free(st, t);
}

static void fin_arrived(struct stack *st, struct tcb *t)
{
	t->rcv_nxt++;
	t->fin_rcvd = 1;
	t->fin_pending = 0;
	t->ack_now = 1;
	switch (t->state) {
	case NC_TCP_ESTABLISHED:
		tcp_setstate(st, t, NC_TCP_CLOSE_WAIT);
		break;
	case NC_TCP_FIN_WAIT_1:		/* our FIN is not acknowledged yet */
		tcp_setstate(st, t, NC_TCP_CLOSING);
		break;
	case NC_TCP_FIN_WAIT_2:
		tcp_enter_timewait(st, t);
		break;
	}
	tcp_wake(st, t);
}

/* Quick-ACK as Linux: the first data of a connection, and data after an
 * idle period longer than the RTO, are ACKed at once for a few segments
 * (up to half the window's worth, at most TCP_QUICKACKS), so that a
 * sender in slow start is not held back by delayed ACKs. */
static void quickack_arm(struct stack *st, struct tcb *t)
{
	uint32_t n = tcp_rcv_window(t) / (2u * t->rcv_mss);

	if (t->data_seen && st->now - t->last_data <= t->rto)
		return;
	t->quickacks = (uint8_t)(n < 2 ? 2 : n > TCP_QUICKACKS ? TCP_QUICKACKS : n);
}

/* In-order bytes: queue them (after SHUT_RD too, as Linux: they can
 * still be read). */
static void in_order(struct stack *st, struct tcb *t, const uint8_t *d, uint32_t len)
{
	uint32_t n = (uint32_t)tcp_rcvq_in_order(st, t, d, len);
	uint32_t full = tcp_path_mss(st, t), before = t->rcv_nxt;

	t->rcv_nxt += n;
	if (t->nooo > 0) {
		ooo_merge(st, t);
		t->ack_now = 1;		/* a hole filled: tell at once */
	}
	t->cnt.bytes_received += t->rcv_nxt - before;
	if (len > t->rcv_mss)
		t->rcv_mss = len < full ? len : full;
	quickack_arm(st, t);
	t->data_seen = 1;
	t->last_data = st->now;
	t->unacked += n;
	if (t->unacked >= 2u * t->rcv_mss || t->quickacks > 0)
		t->ack_now = 1;		/* every second full segment, or quick */
	else
		tcp_delack(st, t);
	tcp_wake(st, t);
}

/* The receive side's round trip, for the buffer's autotuning: from
 * our timestamp the peer echoes in its data to the data's arrival. The
 * tick is a millisecond, so an echo of this tick counts as one; a
 * shorter sample is taken at once, a longer one slowly (a peer that
 * paused between writes echoes an old timestamp). */
static void rcv_rtt_sample(struct stack *st, struct tcb *t, const struct seg *s)
{
	uint32_t ms = echo_age_ms(st, t, s);

	if (ms == ECHO_NONE)
		return;
	if (ms == 0)
		ms = 1;
	if (t->rcv_rtt == 0 || ms * 1000 < t->rcv_rtt)
		t->rcv_rtt = ms * 1000;
	else
		t->rcv_rtt += (ms * 1000 - t->rcv_rtt) / 8;
}

/* The segment's data and FIN (RFC 9293 3.10.7.4 seventh and eighth);
 * -1 when that ended the connection. */
static int process_text(struct stack *st, struct tcb *t, struct seg *s)
{
	uint32_t seq = s->seq, len = s->len, off, space;
	const uint8_t *d = s->data;
	int fin = (s->flags & SEG_FIN) != 0;

	if (t->state != NC_TCP_ESTABLISHED && t->state != NC_TCP_FIN_WAIT_1 &&
	    t->state != NC_TCP_FIN_WAIT_2)
		return 0;
	if (seq_lt(seq, t->rcv_nxt)) {	/* trim what we have */
		uint32_t dup = t->rcv_nxt - seq;
		dsack_note(st, t, seq, seq + (dup < len ? dup : len));
		if (dup > len) {
			len = 0;
			fin = 0;
		} else {
			d += dup;
			len -= dup;
		}
		seq = t->rcv_nxt;
	}
	if (len > 0 && t->so == NULL) {	/* nobody will read it (RFC 2525 2.17) */
		no_conn(st, s);		/* the reset answers the segment, as Linux's */
		tcp_close(st, t, 0);
		return -1;
	}
	space = t->rcvbuf > t->rcvq.len ? t->rcvbuf - t->rcvq.len : 0;
	off = seq - t->rcv_nxt;
	if (len > 0 && off + len > space) {	/* beyond the window */
		len = off < space ? space - off : 0;
		fin = 0;
		t->ack_now = 1;
	}
	if (len > 0 && off == 0) {
		rcv_rtt_sample(st, t, s);
		in_order(st, t, d, len);
	} else if (len > 0) {
		t->cnt.rcv_ooopack++;
		ooo_add(st, t, seq, d, len);
		t->ack_now = 1;		/* a duplicate ACK, with SACK blocks */
	}
	if (fin && seq + len != t->rcv_nxt) {
		t->fin_pending = 1;
		t->fin_seq = seq + len;
		t->ack_now = 1;
	} else if (fin) {
		fin_arrived(st, t);
	}
	if (t->fin_pending && t->fin_seq == t->rcv_nxt)
		fin_arrived(st, t);
	return 0;
}

/* ---- synchronized states ---- */

/* Is s within the receive window (RFC 9293 3.10.7.4 first)? With the
 * window closed a segment at rcv_nxt still counts, for its ACK and RST. */
static int acceptable(const struct tcb *t, const struct seg *s, uint32_t seglen)
{
	uint32_t wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;

	if (wnd == 0)
		return s->seq == t->rcv_nxt;
	if (s->seq - t->rcv_nxt < wnd)
		return 1;
	return seglen > 0 && s->seq + seglen - 1 - t->rcv_nxt < wnd;
}

/* An acceptable RST with the exact sequence number. */
static void reset(struct stack *st, struct tcb *t)
{
	int err = 0;

	switch (t->state) {
	case NC_TCP_SYN_RECEIVED:
		err = t->passive ? 0 : ECONNREFUSED;
		break;
	case NC_TCP_ESTABLISHED:
	case NC_TCP_FIN_WAIT_1:
	case NC_TCP_FIN_WAIT_2:
	case NC_TCP_CLOSE_WAIT:
		err = ECONNRESET;
		break;
	}
	tcp_close(st, t, err);
}

static void ack_at_once(struct stack *st, struct tcb *t)
{
	t->ack_now = 1;
	tcp_output(st, t);
}

/*
 * The answer to a RST or SYN that may be forged (RFC 5961): an ACK the
 * true peer will act on, and never more than so many a second. The
 * budget of each second is drawn anew, from half to one and a half
 * times TCP_CHALLENGE_MAX, as Linux does since CVE-2016-5696: with a
 * fixed one, an off-path attacker counting the ACKs that reach him learns
 * how many this stack sent to others, and so which 4-tuple is in use.
 */
static void challenge_ack(struct stack *st, struct tcb *t)
{
	struct tcp *tcp = st->tcp;

	if (tcp->challenge_limit == 0 || st->now - tcp->challenge_start >= 1000000) {
		tcp->challenge_start = st->now;
		tcp->challenges = 0;
		tcp->challenge_limit = TCP_CHALLENGE_MAX / 2 +
				       (uint32_t)(stack_random(st) % TCP_CHALLENGE_MAX);
	}
	if (tcp->challenges >= tcp->challenge_limit)
		return;
	tcp->challenges++;
	ack_at_once(st, t);
}

/* The third segment of a passive (or simultaneous) open; -1 when the
 * segment goes no further. */
static int synrcvd_ack(struct stack *st, struct tcb *t, const struct seg *s)
{
	int err;

	if (seq_leq(s->ack, t->snd_una) || seq_gt(s->ack, t->snd_max)) {
		no_conn(st, s);
		return -1;
	}
	err = tcp_child_established(st, t);
	if (err == -EAGAIN)
		return -1;	/* accept queue full: the SYN-ACK will come again */
	if (err < 0) {
		tcp_send_rst(st, t);
		tcp_close(st, t, 0);
		return -1;
	}
	established(st, t);
	return 0;
}

static void conn_input(struct stack *st, struct tcb *t, struct seg *s)
{
	uint32_t seglen = seg_space(s);

	/* PAWS (RFC 7323 5.3); a RST passes */
	if (t->ts_ok && s->has_ts && seq_lt(s->tsval, t->ts_recent) && !(s->flags & SEG_RST)) {
		ack_at_once(st, t);
		return;
	}
	if (t->state == NC_TCP_SYN_RECEIVED && (s->flags & SEG_SYN) && s->seq == t->irs) {
		if (!(s->flags & SEG_ACK)) {
			t->snd_nxt = t->iss;	/* our SYN-ACK was lost: again */
			tcp_output(st, t);
			return;
		}
		/* simultaneous open: the peer's SYN-ACK acknowledges ours */
		s->seq++;
		s->flags &= (uint8_t)~SEG_SYN;
		seglen--;
	}
	if (!acceptable(t, s, seglen)) {
		if (s->flags & SEG_RST)
			return;
		if (t->state == NC_TCP_TIME_WAIT && (s->flags & SEG_FIN))
			tcp_enter_timewait(st, t);	/* the peer lost our last ACK */
		if (s->flags & SEG_SYN) {
			challenge_ack(st, t);
			return;
		}
		if (s->len > 0 && seq_lt(s->seq, t->rcv_nxt))
			dsack_note(st, t, s->seq, seq_min(s->seq + s->len, t->rcv_nxt));
		ack_at_once(st, t);
		return;
	}
	if (s->flags & SEG_RST) {	/* RFC 5961 3.2 */
		if (s->seq == t->rcv_nxt)
			reset(st, t);
		else
			challenge_ack(st, t);
		return;
	}
	if (s->flags & SEG_SYN) {	/* RFC 5961 4.2 */
		challenge_ack(st, t);
		return;
	}
	if (!(s->flags & SEG_ACK))
		return;
	if (t->ts_ok && s->has_ts && seq_leq(s->seq, t->rcv_nxt))
		t->ts_recent = s->tsval;
	t->last_rcv = st->now;
	t->kprobes = 0;
	if (t->state == NC_TCP_SYN_RECEIVED && synrcvd_ack(st, t, s) < 0)
		return;
	if (ack_input(st, t, s) < 0)
		return;
	if ((s->len > 0 || (s->flags & SEG_FIN)) && process_text(st, t, s) < 0)
		return;
	tcp_output_later(st, t);
	tcp_timer_update(st, t);
}

/*
 * May a SYN end this TIME_WAIT and open a new incarnation of the 4-tuple?
 * RFC 6191: when the old one had timestamps and the SYN carries one, it
 * must be newer (or equal with a higher sequence number); else the
 * sequence number must be beyond the old one's. A SYN refused here is
 * handled by TIME_WAIT itself (an ACK of the old incarnation).
 */
static int tw_takes_syn(const struct tcb *t, const struct seg *s)
{
	if ((s->flags & (SEG_SYN | SEG_ACK | SEG_RST)) != SEG_SYN)
		return 0;
	if (s->has_ts && t->ts_ok)
		return seq_gt(s->tsval, t->ts_recent) ||
		       (s->tsval == t->ts_recent && seq_gt(s->seq, t->rcv_nxt));
	if (s->has_ts)
		return 1;	/* the old incarnation had none */
	return seq_gt(s->seq, t->rcv_nxt);
}

void tcp_input(struct stack *st, struct ippkt *ip)
{
	uint64_t *ts = st->tcp->stats;
	struct seg s;
	struct tcb *t;
	int bad = tcp_parse(ip, &s);

	if (bad < 0) {
		ts[TCPS_IN_ERRS]++;
		tcp_log(st, "drop", bad == TCP_BAD_CKSUM ? "bad checksum" : "bad header", ip->src,
			ip->dst, ip->len >= 4 ? get16(ip->data) : 0,
			ip->len >= 4 ? get16(ip->data + 2) : 0);
		return;
	}
	ts[TCPS_IN_SEGS]++;
	if (!s.v6 && !ip_is_local(st, s.dst))
		return;		/* no TCP to broadcast addresses (ip6.c let only ours in) */
	if (s.flags & SEG_RST)
		tcp_log(st, "rst in", NULL, s.src, s.dst, s.sport, s.dport);
	t = tcp_lookup_seg(st, &s);
	if (t != NULL && t->state == NC_TCP_TIME_WAIT && tw_takes_syn(t, &s)) {
		tcp_close(st, t, 0);	/* a new incarnation begins */
		t = NULL;
	}
	if (t == NULL) {
		struct tcb *l = tcp_listener_seg(st, &s);
		if (l == NULL)
			no_conn(st, &s);
		else
			t = listen_input(st, l, &s);
		if (t == NULL)
			return;
	}
	t->cnt.segs_in++;
	if (s.len > 0) {
		t->cnt.data_segs_in++;
		t->cnt.last_data_recv = st->now;
	}
	if (t->state == NC_TCP_SYN_SENT)
		synsent_input(st, t, &s);
	else
		conn_input(st, t, &s);
}
