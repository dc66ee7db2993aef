/*
 * CUBIC congestion control (RFC 9438), with HyStart++ (RFC 9406) to
 * leave the first slow start before it overshoots: what tcp_cc_ssthresh
 * and tcp_cc_grow answer for a connection that uses CUBIC.
 *
 * Windows are in bytes, times in µs, and the cubic function works in
 * milliseconds; integers only (the core calls no libm), so the cube
 * root is computed here.
 */
#include "stack.h"
#include "tcp_impl.h"

/* RFC 9438 4.1: β_cubic = 0.7 and C = 0.4, as fractions. */
enum { BETA_NUM = 7, BETA_DEN = 10, C_NUM = 4, C_DEN = 10 };

/* α_cubic = 3 (1 - β) / (1 + β) = 9/17 (RFC 9438 4.3). */
enum { ALPHA_NUM = 9, ALPHA_DEN = 17 };

/* RFC 9406 4.3; L is 8 as we do not pace. */
enum {
	HS_MIN_RTT_THRESH = 4000,	/* µs */
	HS_MAX_RTT_THRESH = 16000,	/* µs */
	HS_MIN_RTT_DIVISOR = 8,
	HS_N_RTT_SAMPLE = 8,
	HS_CSS_GROWTH_DIVISOR = 4,
	HS_CSS_ROUNDS = 5,
};

static const uint32_t NO_RTT = UINT32_MAX;

/* Past this the cubic term is beyond any window (and its cube beyond
 * 64 bits): 400 s. */
enum { CUBIC_T_MAX_MS = 400000 };

/* The largest y with y^3 <= x, by bisection; 2642245^3 is the largest
 * cube below 2^64. */
static uint32_t cube_root(uint64_t x)
{
	uint64_t lo = 0, hi = 2642245;

	while (lo < hi) {
		uint64_t mid = (lo + hi + 1) / 2;
		if (mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (uint32_t)lo;
}

static uint32_t clamp_cwnd(uint64_t w)
{
	return w > TCP_CWND_MAX ? TCP_CWND_MAX : (uint32_t)w;
}

/* W_cubic(t) = C (t - K)^3 + W_max (RFC 9438 figure 1), t in ms from
 * the epoch; C (t - K)^3 is in segments of t->mss bytes. */
static uint32_t w_cubic(const struct tcb *t, uint64_t t_ms)
{
	const struct tcp_cubic *c = &t->cubic;
	uint64_t d = t_ms > c->k_ms ? t_ms - c->k_ms : c->k_ms - t_ms;
	uint64_t delta;

	if (d > CUBIC_T_MAX_MS)
		d = CUBIC_T_MAX_MS;
	/* d^3 ms^3 is d^3 / 10^9 s^3 */
	delta = d * d * d / 1000000 * C_NUM * t->mss / (C_DEN * 1000);
	if (t_ms >= c->k_ms)
		return clamp_cwnd(c->w_max + delta);
	return delta < c->w_max ? c->w_max - (uint32_t)delta : 0;
}

/* The first ACK of a congestion avoidance stage: the curve starts at
 * this cwnd and reaches W_max after K = cbrt((W_max - cwnd) / C) (RFC
 * 9438 figure 2). Without a W_max above cwnd (after the first slow
 * start or a timeout, 4.8, 4.10), the plateau is here: K = 0. */
static void epoch_start(const struct stack *st, struct tcb *t)
{
	struct tcp_cubic *c = &t->cubic;

	c->epoch_start = st->now > 0 ? st->now : 1;	/* 0 means none */
	c->w_est = t->cwnd;
	c->est_acked = 0;
	t->bytes_acked = 0;
	if (c->w_max > t->cwnd) {
		/* K^3 in ms^3: 10^9 (W_max - cwnd) / (C mss) */
		uint64_t k3 = (uint64_t)(c->w_max - t->cwnd) * (C_DEN * 1000000000ull / C_NUM) / t->mss;
		c->k_ms = cube_root(k3);
	} else {
		c->w_max = t->cwnd;
		c->k_ms = 0;
	}
}

/* W_est, the window Reno would have (RFC 9438 4.3): α segments more for
 * each window acknowledged, α = 1 once it is back where the last loss
 * found cwnd. */
static void reno_estimate(struct tcb *t, uint32_t acked)
{
	struct tcp_cubic *c = &t->cubic;
	uint64_t per_mss;	/* bytes acknowledged for W_est to grow one MSS */

	c->est_acked += acked;
	for (;;) {
		per_mss = c->w_est >= c->cwnd_prior ? t->cwnd :
			  (uint64_t)t->cwnd * ALPHA_DEN / ALPHA_NUM;
		if (c->est_acked < per_mss)
			return;
		c->est_acked -= (uint32_t)per_mss;
		c->w_est = clamp_cwnd((uint64_t)c->w_est + t->mss);
	}
}

/* Toward target by (target - cwnd) / cwnd segments for each segment
 * acknowledged (RFC 9438 4.4, 4.5), a whole MSS at a time: one each
 * cwnd * MSS / (target - cwnd) bytes. */
static void grow_toward(struct tcb *t, uint32_t target, uint32_t acked)
{
	uint64_t per_mss;

	if (target <= t->cwnd)
		return;
	per_mss = (uint64_t)t->cwnd * t->mss / (target - t->cwnd);
	if (per_mss > 1u << 31)
		per_mss = 1u << 31;	/* on the plateau: as good as no growth */
	t->bytes_acked += acked;
	while (t->bytes_acked >= per_mss) {
		t->bytes_acked -= (uint32_t)per_mss;
		t->cwnd = clamp_cwnd((uint64_t)t->cwnd + t->mss);
	}
}

/* Congestion avoidance (RFC 9438 4.2-4.5). */
static void avoid(const struct stack *st, struct tcb *t, uint32_t acked)
{
	struct tcp_cubic *c = &t->cubic;
	uint64_t elapsed, target;

	if (c->epoch_start == 0)
		epoch_start(st, t);
	elapsed = st->now - c->epoch_start;
	reno_estimate(t, acked);
	if (w_cubic(t, elapsed / 1000) < c->w_est) {	/* the Reno-friendly region */
		if (c->w_est > t->cwnd)
			t->cwnd = c->w_est;
		return;
	}
	/* concave or convex region: aim at where the curve is one RTT on,
	 * at most half as much again as now */
	target = w_cubic(t, (elapsed + t->srtt) / 1000);
	if (target > (uint64_t)t->cwnd * 3 / 2)
		target = (uint64_t)t->cwnd * 3 / 2;
	grow_toward(t, clamp_cwnd(target), acked);
}

/* ---- HyStart++ (RFC 9406), in the first slow start only (4.1) ---- */

static void hystart_init(struct tcb *t)
{
	t->hs = (struct tcp_hystart){
		.window_end = t->snd_max,
		.cur_min_rtt = NO_RTT,
		.last_min_rtt = NO_RTT,
		.css_base_rtt = NO_RTT,
	};
}

/* The first slow start: ssthresh has not been set yet. */
static int first_slow_start(const struct tcb *t)
{
	return t->ssthresh == TCP_CWND_MAX;
}

void cubic_rtt(struct tcb *t, uint32_t rtt_us)
{
	struct tcp_hystart *h = &t->hs;

	if (!first_slow_start(t))
		return;
	if (rtt_us < h->cur_min_rtt)
		h->cur_min_rtt = rtt_us;
	if (h->samples < UINT8_MAX)
		h->samples++;
}

/* A round ends when windowEnd is acknowledged (4.2): the next one
 * starts with what was sent by now. After CSS_ROUNDS rounds of
 * conservative slow start, congestion avoidance. */
static void hystart_round(struct tcb *t)
{
	struct tcp_hystart *h = &t->hs;

	if (h->css && ++h->css_rounds >= HS_CSS_ROUNDS) {
		t->ssthresh = t->cwnd;
		t->cubic.cwnd_prior = t->cwnd;	/* RFC 9438 4.10 */
		h->css = 0;
		return;
	}
	h->last_min_rtt = h->cur_min_rtt;
	h->cur_min_rtt = NO_RTT;
	h->samples = 0;
	h->window_end = t->snd_max;
}

/* After an ACK's RTT sample: leave slow start for conservative slow
 * start when this round's RTT rose by a threshold over the last one's,
 * and come back when it falls below where it was then (4.2). */
static void hystart_check(struct tcb *t)
{
	struct tcp_hystart *h = &t->hs;
	uint32_t thresh;

	if (h->samples < HS_N_RTT_SAMPLE || h->cur_min_rtt == NO_RTT)
		return;
	if (h->css) {
		if (h->cur_min_rtt < h->css_base_rtt) {	/* a false alarm */
			h->css = 0;
			h->css_base_rtt = NO_RTT;
		}
		return;
	}
	if (h->last_min_rtt == NO_RTT)
		return;
	thresh = min32(h->last_min_rtt / HS_MIN_RTT_DIVISOR, HS_MAX_RTT_THRESH);
	if (thresh < HS_MIN_RTT_THRESH)
		thresh = HS_MIN_RTT_THRESH;
	if (h->cur_min_rtt >= h->last_min_rtt + thresh) {
		h->css = 1;
		h->css_rounds = 0;
		h->css_base_rtt = h->cur_min_rtt;
	}
}

/* Slow start: what was acknowledged, a quarter of it in conservative
 * slow start; never past ssthresh. All of it, as Linux: RFC 9406 4.2's
 * cap of L = 8 segments an ACK for an unpaced sender held back growth
 * on the stretch ACKs a GRO receiver sends (one ACK for ten segments
 * grew cwnd by eight, where Linux's doubles it). */
static void slow_start(struct tcb *t, uint32_t acked)
{
	uint32_t inc = acked;

	if (first_slow_start(t) && seq_geq(t->snd_una, t->hs.window_end))
		hystart_round(t);
	if (first_slow_start(t)) {
		hystart_check(t);
		if (t->hs.css)
			inc /= HS_CSS_GROWTH_DIVISOR;
	}
	t->cwnd = min32(clamp_cwnd((uint64_t)t->cwnd + inc), t->ssthresh);
}

/* ---- what tcp_cc.c calls ---- */

void cubic_init(struct tcb *t)
{
	t->cubic = (struct tcp_cubic){ 0 };
	hystart_init(t);
}

void cubic_grow(struct stack *st, struct tcb *t, uint32_t acked)
{
	if (t->cwnd < t->ssthresh)
		slow_start(t, acked);
	else
		avoid(st, t, acked);
}

/* A loss (RFC 9438 4.6, 4.7): ssthresh β times cwnd, as Linux (the RFC
 * allows cwnd for the flight when cwnd cannot grow past what is used,
 * RFC 7661 here). The flight would be too little: the ACKs that came
 * with the one showing the loss have taken most of it away already. The
 * plateau where the loss found cwnd, lower still when it came before
 * the last plateau (fast convergence: another flow wants room). After a
 * timeout (the timer counted it in nrtx) the curve starts over with no
 * plateau (4.8); the same loss timing out again changes nothing. The
 * next ACK of congestion avoidance starts a new epoch. */
uint32_t cubic_ssthresh(struct stack *st, struct tcb *t)
{
	struct tcp_cubic *c = &t->cubic;
	uint32_t ss = (uint32_t)((uint64_t)t->cwnd * BETA_NUM / BETA_DEN);

	(void)st;
	if (t->nrtx > 1)	/* the same loss timing out again: nothing new */
		return t->ssthresh;
	if (ss < 2u * t->mss)
		ss = 2u * t->mss;
	c->w_max_prior = c->w_max;
	c->cwnd_prior = t->cwnd;
	if (t->cwnd < c->w_max)
		c->w_max = (uint32_t)((uint64_t)t->cwnd * (BETA_DEN + BETA_NUM) / (2 * BETA_DEN));
	else
		c->w_max = t->cwnd;
	if (t->nrtx > 0)
		c->w_max = 0;
	c->epoch_start = 0;
	t->hs.css = 0;
	return ss;
}

/* An application that sent nothing for a while did not use the window:
 * the curve's time leaves the pause out (RFC 9438 5.8). */
void cubic_idle_end(struct tcb *t, uint64_t idle_us)
{
	struct tcp_cubic *c = &t->cubic;

	if (c->epoch_start != 0)
		c->epoch_start += idle_us;
}

/* The last loss was spurious: its plateau goes back to what it was, and
 * the curve starts again from the restored window (RFC 9438 4.9). */
void cubic_undo(struct tcb *t)
{
	t->cubic.w_max = t->cubic.w_max_prior;
	t->cubic.epoch_start = 0;
}
