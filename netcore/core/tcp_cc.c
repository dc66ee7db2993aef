/*
 * How fast a connection may send: round-trip time and the retransmission
 * timeout (RFC 6298), the delivery rate, and the congestion control
 * algorithm: the window's growth and ssthresh after a loss. Loss
 * recovery, which asks a window-based algorithm only these two, is
 * tcp_recovery.c's. The algorithm is the connection's: NewReno (RFC
 * 5681) here, CUBIC in tcp_cubic.c, and BBR in tcp_bbr.c, which sets
 * cwnd and a pacing rate from its model of the path on every ACK.
 */
#include <errno.h>

#include "tcp_impl.h"

/* ---- round-trip time (RFC 6298) ---- */

/* RFC 6298's RTO, srtt + 4 rttvar, with Linux's floor: TCP_RTO_MIN bounds
 * the variance term, not the sum, so a steady 100 ms path waits 300 ms
 * before it resends, as Linux does (RFC 6298 takes G, the clock's grain,
 * where Linux takes tcp_rto_min). */
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
	rto = (uint64_t)t->srtt + (4ull * t->rttvar > TCP_RTO_MIN ? 4ull * t->rttvar : TCP_RTO_MIN);
	t->rto = (uint32_t)(rto < TCP_RTO_MIN ? TCP_RTO_MIN : rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto);
	tcp_cc_rtt(t, r);
}

/* ---- the delivery rate, a round trip at a time ---- */

/* Has data sent since the round began been delivered? Cumulatively, or
 * (with a scoreboard, under loss, when snd_una waits on a hole) SACKed,
 * as RACK's newest delivered send time shows. */
static int round_over(const struct tcb *t)
{
	if (seq_geq(t->snd_una, t->rs.round_end))
		return 1;
	return t->sb != NULL && t->rack.xmit > t->rs.round_start;
}

static uint32_t rate_of(uint64_t bytes, uint64_t us)
{
	uint64_t r = bytes * 1000 / us;

	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* The next round begins now. */
static void round_begin(const struct stack *st, struct tcb *t)
{
	t->rs.round_start = st->now;
	t->rs.round_delivered = t->rs.delivered;
	t->rs.round_end = t->snd_max;
	t->rs.app_limited = 0;
}

/* The round's rate is its bytes over its length, the length at least
 * the least round trip: ACKs bunched together (by the peer's delayed
 * ACKs, or by a batch of input) would otherwise claim more than the path
 * carries. 1: a round ended, and rs.rate is its rate. */
int tcp_rate_ack(struct stack *st, struct tcb *t, uint32_t delivered)
{
	struct tcp_rate *r = &t->rs;
	uint64_t len = st->now - r->round_start;

	r->delivered += delivered;
	if (r->round_start == 0) {	/* the first ACK begins the first round */
		round_begin(st, t);
		return 0;
	}
	if (!round_over(t))
		return 0;
	if (len < t->cnt.min_rtt)
		len = t->cnt.min_rtt;
	if (len > 0)
		r->rate = rate_of(r->delivered - r->round_delivered, len);
	r->round_app_limited = r->app_limited;
	round_begin(st, t);
	return 1;
}

void tcp_rate_app_limited(struct tcb *t)
{
	t->rs.app_limited = 1;
}

/* ---- congestion control (RFC 5681, NewReno RFC 6582) ---- */

/* BBR's model exists once the connection is established. */
int tcp_cc_model(const struct tcb *t)
{
	return t->cc == TCP_CC_BBR && t->bbr != NULL;
}

/* The algorithm's own state starts afresh (its union with the others'
 * held theirs). */
static void cc_state_init(struct stack *st, struct tcb *t)
{
	if (t->cc == TCP_CC_CUBIC)
		cubic_init(t);
	else if (t->cc == TCP_CC_BBR)
		bbr_init(st, t);
}

/* RFC 6928's initial window: ten segments, at most 14600 bytes or two
 * segments. */
uint32_t tcp_initial_window(const struct tcb *t)
{
	return min32(TCP_IW * t->mss, 2u * t->mss > 14600 ? 2u * t->mss : 14600);
}

void tcp_cc_init(struct stack *st, struct tcb *t)
{
	t->cwnd = t->nrtx ? t->mss : tcp_initial_window(t);	/* 1 MSS after a lost SYN */
	t->ssthresh = TCP_CWND_MAX;
	t->recover = t->iss;
	t->in_recovery = 0;
	t->dupacks = 0;
	t->bytes_acked = 0;
	if (t->cc == TCP_CC_BBR && t->bbr == NULL && (t->bbr = bbr_new(st)) == NULL)
		t->cc = TCP_CC_CUBIC;	/* no memory for BBR's model: CUBIC needs none */
	cc_state_init(st, t);
}

/* ---- the algorithm: how the window grows, and how far a loss takes it
 * back. tcp_recovery.c calls only these two. ---- */

static const char *const cc_names[TCP_CC_N] = {
	[TCP_CC_CUBIC] = "cubic",
	[TCP_CC_RENO] = "reno",
	[TCP_CC_BBR] = "bbr",
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

int tcp_cc_set(struct stack *st, struct tcb *t, int cc)
{
	struct tcp_bbr *b = NULL;

	if (t->cc == cc)
		return 0;
	if (cc == TCP_CC_BBR && (b = bbr_new(st)) == NULL)
		return -ENOMEM;
	tcp_cc_free(st, t);
	t->cc = (uint8_t)cc;
	t->bytes_acked = 0;
	if (b != NULL)
		t->bbr = b;
	cc_state_init(st, t);
	return 0;
}

void tcp_cc_free(struct stack *st, struct tcb *t)
{
	if (tcp_cc_model(t))
		bbr_free(st, t);
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
	if (t->cc == TCP_CC_BBR)
		return tcp_cc_model(t) ? bbr_ssthresh(t) : t->ssthresh;
	return t->cc == TCP_CC_CUBIC ? cubic_ssthresh(st, t) : reno_ssthresh(t);
}

void tcp_cc_grow(struct stack *st, struct tcb *t, uint32_t acked)
{
	if (t->cc == TCP_CC_CUBIC) {
		cubic_grow(st, t, acked);
		return;
	}
	if (t->cwnd < t->ssthresh) {
		t->cwnd += acked;	/* slow start: all acked, as Linux (RFC 3465 would cap it at 2 MSS) */
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
	else if (tcp_cc_model(t))
		bbr_rtt(t, rtt_us);
}

/*
 * Slow start after idle (RFC 5681 4.1, Linux's tcp_slow_start_after_idle):
 * a connection that has sent no data for more than an RTO, and has none
 * in flight, no longer knows what the path takes. When data is to go
 * again, cwnd falls to the restart window, the initial one or cwnd if
 * smaller, halving toward it for each RTO of the idle time past the
 * first, as Linux. ssthresh keeps three quarters of the old window, so
 * slow start climbs back fast. A model-based algorithm (BBR) keeps its
 * own counsel. Called where Linux calls it: a write queues data, or the
 * peer's window changes with data waiting.
 */
void tcp_cc_idle_restart(struct stack *st, struct tcb *t)
{
	uint32_t cwnd = t->cwnd, restart = min32(tcp_initial_window(t), t->cwnd);
	uint64_t idle = st->now - t->cnt.last_data_sent;

	if (st->no_idle_restart || tcp_cc_model(t) || t->snd_una != t->snd_max ||
	    t->cnt.last_data_sent == 0 || idle <= t->rto)
		return;
	if (!t->in_recovery && t->ssthresh < cwnd / 2 + cwnd / 4)
		t->ssthresh = cwnd / 2 + cwnd / 4;
	for (; idle > t->rto && cwnd > restart; idle -= t->rto)
		cwnd >>= 1;
	t->cwnd = cwnd > restart ? cwnd : restart;
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
	else if (tcp_cc_model(t))
		bbr_undo(t);
}
