/*
 * How fast a connection may send: round-trip time and the retransmission
 * timeout (RFC 6298), congestion control (RFC 5681 with NewReno, RFC
 * 6582; limited and early retransmit, RFC 3042 and 5827), and the SACK
 * scoreboard of what the peer holds (RFC 2018, 6675). The algorithm
 * that sizes the window is the connection's: NewReno here, CUBIC in
 * tcp_cubic.c.
 */
#include "tcp_impl.h"

/* ---- round-trip time (RFC 6298) ---- */

void tcp_rtt_sample(struct tcb *t, uint32_t r)
{
	uint64_t rto;

	if (t->srtt == 0 && t->rttvar == 0) {
		t->srtt = r;
		t->rttvar = r / 2;
	} else {
		uint32_t d = t->srtt > r ? t->srtt - r : r - t->srtt;
		t->rttvar = (3 * t->rttvar + d) / 4;
		t->srtt = (uint32_t)((7ull * t->srtt + r) / 8);
	}
	rto = (uint64_t)t->srtt + (4ull * t->rttvar > 1000 ? 4ull * t->rttvar : 1000);
	t->rto = (uint32_t)(rto < TCP_RTO_MIN ? TCP_RTO_MIN : rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto);
	tcp_cc_rtt(t, r);
}

/* ---- congestion control (RFC 5681, NewReno RFC 6582) ---- */

void tcp_cc_init(struct tcb *t)
{
	uint32_t iw = min32(TCP_IW * t->mss, 2u * t->mss > 14600 ? 2u * t->mss : 14600);

	t->cwnd = t->nrtx ? t->mss : iw;	/* 1 MSS after a lost SYN */
	t->ssthresh = TCP_CWND_MAX;
	t->recover = t->iss;
	t->in_recovery = 0;
	t->dupacks = 0;
	t->bytes_acked = 0;
	if (t->cc == TCP_CC_CUBIC)
		cubic_init(t);
}

/* ---- the algorithm: how the window grows, and how far a loss takes it
 * back. Recovery below calls only tcp_cc_ssthresh and tcp_cc_grow. ---- */

static const char *const cc_names[TCP_CC_N] = {
	[TCP_CC_CUBIC] = "cubic",
	[TCP_CC_RENO] = "reno",
};

/* Are the len bytes at name the string want? (The core has no libc
 * string functions.) */
static int name_is(const char *name, size_t len, const char *want)
{
	size_t i = 0;

	while (i < len && want[i] != 0 && name[i] == want[i])
		i++;
	return i == len && want[i] == 0;
}

int tcp_cc_find(const char *name, size_t len)
{
	for (int i = 0; i < TCP_CC_N; i++)
		if (name_is(name, len, cc_names[i]))
			return i;
	return name_is(name, len, "newreno") ? TCP_CC_RENO : -1;
}

const char *tcp_cc_name(int cc)
{
	return cc_names[cc];
}

void tcp_cc_set(struct tcb *t, int cc)
{
	t->cc = (uint8_t)cc;
	t->bytes_acked = 0;
	if (cc == TCP_CC_CUBIC)
		cubic_init(t);
}

/* NewReno (RFC 5681): half the flight after a loss. */
static uint32_t reno_ssthresh(const struct tcb *t)
{
	uint32_t half = tcp_flight(t) / 2;

	return half > 2u * t->mss ? half : 2u * t->mss;
}

uint32_t tcp_cc_ssthresh(struct stack *st, struct tcb *t)
{
	return t->cc == TCP_CC_CUBIC ? cubic_ssthresh(st, t) : reno_ssthresh(t);
}

void tcp_cc_grow(struct stack *st, struct tcb *t, uint32_t acked)
{
	if (t->cc == TCP_CC_CUBIC) {
		cubic_grow(st, t, acked);
		return;
	}
	if (t->cwnd < t->ssthresh) {
		t->cwnd += min32(acked, 2u * t->mss);	/* slow start, L = 2 (RFC 3465) */
	} else {
		t->bytes_acked += acked;
		if (t->bytes_acked >= t->cwnd) {
			t->bytes_acked -= t->cwnd;
			t->cwnd += t->mss;
		}
	}
	if (t->cwnd > TCP_CWND_MAX)
		t->cwnd = TCP_CWND_MAX;
}

void tcp_cc_rtt(struct tcb *t, uint32_t rtt_us)
{
	if (t->cc == TCP_CC_CUBIC)
		cubic_rtt(t, rtt_us);
}

void tcp_cc_idle_end(struct tcb *t, uint64_t idle_us)
{
	if (t->cc == TCP_CC_CUBIC)
		cubic_idle_end(t, idle_us);
}

void tcp_cc_undo(struct tcb *t)
{
	if (t->cc == TCP_CC_CUBIC)
		cubic_undo(t);
}

/* ---- loss recovery ---- */

void tcp_cc_timeout(struct stack *st, struct tcb *t)
{
	t->ssthresh = tcp_cc_ssthresh(st, t);
	t->cwnd = t->mss;
	t->in_recovery = 0;
	t->dupacks = 0;
	t->bytes_acked = 0;
	t->recover = t->snd_max - 1;
}

/* Duplicate ACKs that start a fast retransmit: 3, fewer when fewer
 * segments are in flight and nothing new could make more (early
 * retransmit, RFC 5827). */
static unsigned dupthresh(const struct tcb *t)
{
	uint32_t segs = (tcp_flight(t) + t->mss - 1) / t->mss;

	if (segs >= 4 || seq_lt(t->snd_max, tcp_data_end(t)))
		return 3;
	return segs > 2 ? segs - 1 : 1;
}

/* Bytes the peer holds beyond snd_una: this many mean a loss as surely
 * as duplicate ACKs do (RFC 6675 IsLost). */
static uint32_t sacked(const struct tcb *t)
{
	uint32_t n = 0;

	for (int i = 0; i < t->nsack; i++)
		n += t->sack[i].end - t->sack[i].start;
	return n;
}

void tcp_cc_dupack(struct stack *st, struct tcb *t)
{
	t->dupacks++;
	if (t->in_recovery) {
		/* a segment left the network: a hole goes in its place, or
		 * the window inflates for new data */
		if (!tcp_retransmit_hole(st, t))
			t->cwnd += t->mss;
		return;
	}
	if ((t->dupacks < dupthresh(t) && sacked(t) <= (dupthresh(t) - 1) * t->mss) ||
	    !seq_gt(t->snd_una, t->recover))
		return;
	t->ssthresh = tcp_cc_ssthresh(st, t);
	t->recover = t->snd_max - 1;
	t->in_recovery = 1;
	t->rtx_next = t->snd_una;
	if (!tcp_retransmit_hole(st, t))
		tcp_retransmit_first(st, t);
	t->cwnd = t->ssthresh + 3u * t->mss;
}

void tcp_cc_ack(struct stack *st, struct tcb *t, uint32_t acked)
{
	if (t->in_recovery) {
		if (seq_gt(t->snd_una, t->recover)) {	/* full ACK: recovery ends */
			uint32_t flight = tcp_flight(t);
			t->cwnd = min32(t->ssthresh, (flight > t->mss ? flight : t->mss) + t->mss);
			t->in_recovery = 0;
			t->dupacks = 0;
		} else {	/* partial ACK: the next hole */
			if (!tcp_retransmit_hole(st, t) && t->nsack == 0)
				tcp_retransmit_first(st, t);
			t->cwnd = (t->cwnd > acked ? t->cwnd - acked : 0) + (acked >= t->mss ? t->mss : 0);
			if (t->cwnd < t->mss)
				t->cwnd = t->mss;
		}
		return;
	}
	t->dupacks = 0;
	tcp_cc_grow(st, t, acked);
}

/* ---- the SACK scoreboard (RFC 2018, 6675) ---- */

static void score_add(struct tcb *t, struct seqrange b)
{
	int i = 0;

	while (i < t->nsack) {
		struct seqrange r = t->sack[i];
		if (seq_leq(r.start, b.end) && seq_geq(r.end, b.start)) {
			b.start = seq_min(b.start, r.start);
			b.end = seq_max(b.end, r.end);
			t->sack[i] = t->sack[--t->nsack];
			i = 0;
		} else {
			i++;
		}
	}
	if (t->nsack < TCP_SCORE_MAX)
		t->sack[t->nsack++] = b;
}

void tcp_sack_update(struct tcb *t, const struct seg *s)
{
	for (int i = 0; i < s->nsack; i++) {
		struct seqrange b = s->sack[i];
		if (!seq_lt(b.start, b.end) || seq_leq(b.end, t->snd_una) ||
		    seq_gt(b.end, t->snd_max))
			continue;	/* D-SACK, stale or bogus */
		b.start = seq_max(b.start, t->snd_una);
		score_add(t, b);
	}
}

void tcp_sack_prune(struct tcb *t)
{
	int i = 0;

	while (i < t->nsack) {
		if (seq_leq(t->sack[i].end, t->snd_una)) {
			t->sack[i] = t->sack[--t->nsack];
		} else {
			t->sack[i].start = seq_max(t->sack[i].start, t->snd_una);
			i++;
		}
	}
}
