/*
 * How fast a connection may send: round-trip time and the retransmission
 * timeout (RFC 6298), and the congestion control algorithm (NewReno, RFC
 * 5681): the window's growth and ssthresh after a loss. Loss recovery,
 * which asks the algorithm only these two, is tcp_recovery.c's. The algorithm is the connection's: NewReno
 * here, CUBIC in tcp_cubic.c.
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
 * back. tcp_recovery.c calls only these two. ---- */

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

/* NewReno: half the window after a loss, as Linux (RFC 5681 halves the
 * flight; see cubic_ssthresh for why cwnd). */
static uint32_t reno_ssthresh(const struct tcb *t)
{
	uint32_t half = t->cwnd / 2;

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

/* A reduction proved spurious (D-SACK, RFC 3708): the window and the
 * threshold from before it, unless they have grown past them since, and
 * CUBIC's curve from before it. */
void tcp_cc_undo(struct stack *st, struct tcb *t)
{
	(void)st;
	if (t->cwnd < t->prior_cwnd)
		t->cwnd = t->prior_cwnd;
	if (t->ssthresh < t->prior_ssthresh)
		t->ssthresh = t->prior_ssthresh;
	if (t->cc == TCP_CC_CUBIC)
		cubic_undo(t);
}
