/*
 * How fast a connection may send: round-trip time and the retransmission
 * timeout (RFC 6298), and the congestion control algorithm (NewReno, RFC
 * 5681): the window's growth and ssthresh after a loss. Loss recovery,
 * which asks the algorithm only these two, is tcp_recovery.c's.
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
}

/* ---- congestion control (RFC 5681, NewReno RFC 6582) ---- */

enum { CWND_MAX = 1 << 30 };

void tcp_cc_init(struct tcb *t)
{
	uint32_t iw = min32(TCP_IW * t->mss, 2u * t->mss > 14600 ? 2u * t->mss : 14600);

	t->cwnd = t->nrtx ? t->mss : iw;	/* 1 MSS after a lost SYN */
	t->ssthresh = CWND_MAX;
	t->recover = t->iss;
	t->in_recovery = 0;
	t->dupacks = 0;
	t->bytes_acked = 0;
}

/* ---- the algorithm: how the window grows, and how far a loss takes it
 * back (NewReno, RFC 5681). tcp_recovery.c calls only these two. ---- */

uint32_t tcp_cc_ssthresh(struct stack *st, struct tcb *t)
{
	uint32_t half = tcp_flight(t) / 2;

	(void)st;
	return half > 2u * t->mss ? half : 2u * t->mss;
}

void tcp_cc_grow(struct stack *st, struct tcb *t, uint32_t acked)
{
	(void)st;
	if (t->cwnd < t->ssthresh) {
		t->cwnd += min32(acked, 2u * t->mss);	/* slow start, L = 2 (RFC 3465) */
	} else {
		t->bytes_acked += acked;
		if (t->bytes_acked >= t->cwnd) {
			t->bytes_acked -= t->cwnd;
			t->cwnd += t->mss;
		}
	}
	if (t->cwnd > CWND_MAX)
		t->cwnd = CWND_MAX;
}

/* A reduction proved spurious (D-SACK, RFC 3708): the window and the
 * threshold from before it, unless they have grown past them since. */
void tcp_cc_undo(struct stack *st, struct tcb *t)
{
	(void)st;
	if (t->cwnd < t->prior_cwnd)
		t->cwnd = t->prior_cwnd;
	if (t->ssthresh < t->prior_ssthresh)
		t->ssthresh = t->prior_ssthresh;
}
