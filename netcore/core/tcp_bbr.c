/*
 * BBR congestion control (version 1, draft-cardwell-iccrg-bbr-congestion-
 * control-00, as Linux's tcp_bbr): instead of reading every loss as
 * congestion, the sender keeps a model of the path, its bottleneck rate
 * (the largest delivery rate of the last ten round trips, tcp_cc.c
 * measures them) and its propagation time (the least round trip of the
 * last ten seconds). It paces packets at a gain times that rate, and
 * cwnd bounds the flight at a gain times their product, the
 * bandwidth-delay product (BDP). A random loss, not a queue that
 * overflowed, so costs its repair and not the rate.
 *
 * Modes: Startup paces at 2/ln 2 times the rate, doubling it each round,
 * until three rounds bring less than a quarter more; Drain empties the
 * queue that left; ProbeBW cycles the gain 5/4 (look for room), 3/4
 * (give the queue back) and six rounds of 1; ProbeRTT, when no lower
 * round trip was seen for ten seconds, holds four segments for 200 ms to
 * see the path empty. The first round of fast recovery conserves packets
 * (one out for each delivered); after recovery or a timeout cwnd goes
 * back to what it was.
 *
 * Pacing: each packet puts the next one len / rate later; a connection
 * that must wait goes on the stack's list, under one timer.
 *
 * Rates are bytes per ms, times µs, gains in 1/256 (BBR_UNIT).
 */
#include <stdlib.h>

#include "stack.h"
#include "tcp_impl.h"

enum bbr_mode { BBR_STARTUP, BBR_DRAIN, BBR_PROBE_BW, BBR_PROBE_RTT };

enum {
	BBR_UNIT = 256,
	BBR_HIGH_GAIN = 739,	/* 2/ln 2: the rate doubles each round */
	BBR_DRAIN_GAIN = 88,	/* its inverse */
	BBR_CWND_GAIN = 512,	/* ProbeBW: 2 BDP, room for delayed and stretched ACKs */
	BBR_CYCLE = 8,
	BBR_FULL_BW_GROWTH = 320,	/* 5/4: a round that grew the rate this much */
	BBR_FULL_BW_ROUNDS = 3,	/* rounds without one: the pipe is full */
	BBR_MIN_CWND_SEGS = 4,
	BBR_PACE_PERCENT = 99,	/* paced a little under the rate, so that a queue drains */
};

static const uint64_t BBR_MIN_RTT_WIN = 10000000;	/* µs */
static const uint64_t BBR_PROBE_RTT_TIME = 200000;	/* µs */
/* How late a sender may be and still catch up on its schedule: the
 * loop's timer is seldom on time to the µs, and every late packet would
 * otherwise lower the rate. At most this much is sent at once. */
static const uint64_t BBR_PACE_SLACK = 1000;	/* µs */

static const uint16_t cycle_gain[BBR_CYCLE] = { 320, 192, 256, 256, 256, 256, 256, 256 };

static uint32_t max_bw(const struct tcb *t)
{
	uint32_t m = 0;

	for (int i = 0; i < BBR_BW_ROUNDS; i++)
		if (t->bbr->bw[i] > m)
			m = t->bbr->bw[i];
	return m;
}

/* gain times the BDP, in bytes; the initial window while there is no
 * model yet. */
static uint32_t bdp(const struct tcb *t, uint32_t gain)
{
	uint64_t b = (uint64_t)max_bw(t) * t->bbr->min_rtt / 1000 * gain / BBR_UNIT;

	if (max_bw(t) == 0 || t->bbr->min_rtt == 0)
		return TCP_IW * t->mss;
	return b > TCP_CWND_MAX ? TCP_CWND_MAX : (uint32_t)b;
}

static uint32_t pacing_gain(const struct tcb *t)
{
	switch (t->bbr->mode) {
	case BBR_STARTUP:
		return BBR_HIGH_GAIN;
	case BBR_DRAIN:
		return BBR_DRAIN_GAIN;
	case BBR_PROBE_BW:
		return cycle_gain[t->bbr->phase];
	default:
		return BBR_UNIT;
	}
}

static uint32_t cwnd_gain(const struct tcb *t)
{
	return t->bbr->mode == BBR_PROBE_BW ? BBR_CWND_GAIN : BBR_HIGH_GAIN;
}

/* Before the first round is measured: the window over the round trip
 * (1 ms without one). Startup only raises the rate; once the pipe is
 * full it follows the model down too, but never below the least window
 * a round trip: rounds that delivered little (a peer's closed window, a
 * run of timeouts) must not leave a packet, a retransmission too,
 * waiting longer than cwnd would. */
static void set_pacing_rate(struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;
	uint32_t rtt = b->min_rtt ? b->min_rtt : t->srtt ? t->srtt : 1000;
	uint64_t bw = max_bw(t), rate, floor = (uint64_t)BBR_MIN_CWND_SEGS * t->mss * 1000 / rtt;

	if (bw == 0)
		bw = (uint64_t)t->cwnd * 1000 / (t->srtt ? t->srtt : 1000);
	rate = bw * pacing_gain(t) / BBR_UNIT * BBR_PACE_PERCENT / 100;
	rate = rate < floor ? floor : rate;
	rate = rate == 0 ? 1 : rate > UINT32_MAX ? UINT32_MAX : rate;
	if (b->full || rate > b->pacing_rate)
		b->pacing_rate = (uint32_t)rate;
}

/* cwnd before a reduction (recovery, a timeout, ProbeRTT), to go back to. */
static void save_cwnd(struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;

	if (!b->recovering && b->mode != BBR_PROBE_RTT)
		b->prior_cwnd = t->cwnd;
	else if (t->cwnd > b->prior_cwnd)
		b->prior_cwnd = t->cwnd;
}

/* A round ended: its rate joins the filter, unless the application
 * held the sender back and the rate says less than the model knows. */
static void update_bw(struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;

	b->rounds++;
	if (t->rs.round_app_limited && t->rs.rate < max_bw(t))
		return;
	b->bw[b->bw_next] = t->rs.rate;
	b->bw_next = (uint8_t)((b->bw_next + 1) % BBR_BW_ROUNDS);
}

/* Startup ends when three rounds in a row failed to grow the rate by a
 * quarter: the bottleneck is full. */
static void check_full_pipe(struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;

	if (b->full || t->rs.round_app_limited)
		return;
	if ((uint64_t)max_bw(t) * BBR_UNIT >= (uint64_t)b->full_bw * BBR_FULL_BW_GROWTH) {
		b->full_bw = max_bw(t);
		b->full_bw_cnt = 0;
		return;
	}
	if (++b->full_bw_cnt >= BBR_FULL_BW_ROUNDS)
		b->full = 1;
}

/* ProbeBW begins at a phase of the cycle the ISN chooses, any but the
 * one that gives the queue back, so that flows that start together do
 * not probe together. */
static void enter_probe_bw(const struct stack *st, struct tcb *t)
{
	uint8_t phase = (uint8_t)(t->iss % (BBR_CYCLE - 1));

	t->bbr->mode = BBR_PROBE_BW;
	t->bbr->phase = phase >= 1 ? phase + 1 : phase;
	t->bbr->cycle_stamp = st->now;
}

static void check_drain(const struct stack *st, struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;

	if (b->mode == BBR_STARTUP && b->full) {
		b->mode = BBR_DRAIN;
		t->ssthresh = bdp(t, BBR_UNIT);	/* for TCP_INFO, as Linux */
	}
	if (b->mode == BBR_DRAIN && tcp_pipe(t) <= bdp(t, BBR_UNIT))
		enter_probe_bw(st, t);
}

/* The next phase after a round trip's time in this one; probing for
 * room goes on until the flight reached its gain (or data was lost),
 * giving the queue back may end as soon as the flight is down to a BDP. */
static void advance_cycle(const struct stack *st, struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;
	uint32_t gain = cycle_gain[b->phase], pipe = tcp_pipe(t);
	int full = st->now - b->cycle_stamp > b->min_rtt, next;

	if (gain > BBR_UNIT)
		next = full && (t->lostb > 0 || pipe >= bdp(t, gain));
	else if (gain < BBR_UNIT)
		next = full || pipe <= bdp(t, BBR_UNIT);
	else
		next = full;
	if (next) {
		b->phase = (uint8_t)((b->phase + 1) % BBR_CYCLE);
		b->cycle_stamp = st->now;
	}
}

/* The propagation time, and ProbeRTT when it has gone ten seconds
 * without a new low: four segments until 200 ms and a round have passed
 * with them, then back to what was. */
static void update_min_rtt(const struct stack *st, struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;
	int expired = st->now > b->min_rtt_stamp + BBR_MIN_RTT_WIN;

	if (b->rtt_sample && (b->min_rtt == 0 || b->rtt_sample <= b->min_rtt || expired)) {
		b->min_rtt = b->rtt_sample;
		b->min_rtt_stamp = st->now;
	}
	b->rtt_sample = 0;
	if (expired && b->mode != BBR_PROBE_RTT) {
		save_cwnd(t);
		b->mode = BBR_PROBE_RTT;
		b->probe_rtt_done = 0;
	}
	if (b->mode != BBR_PROBE_RTT)
		return;
	if (b->probe_rtt_done == 0 && tcp_pipe(t) <= BBR_MIN_CWND_SEGS * t->mss) {
		b->probe_rtt_done = st->now + BBR_PROBE_RTT_TIME;
		b->probe_rtt_round = b->rounds;
	} else if (b->probe_rtt_done != 0 && st->now >= b->probe_rtt_done &&
		   b->rounds > b->probe_rtt_round) {
		b->min_rtt_stamp = st->now;
		if (t->cwnd < b->prior_cwnd)
			t->cwnd = b->prior_cwnd;
		if (b->full)
			enter_probe_bw(st, t);
		else
			b->mode = BBR_STARTUP;
	}
}

/* Recovery began or ended (loss recovery decides; the algorithm saved
 * cwnd in bbr_ssthresh). Fast recovery's first round sends one packet
 * for each delivered; the end restores cwnd. */
static void recovery_changes(struct tcb *t, uint32_t delivered)
{
	struct tcp_bbr *b = t->bbr;
	int recovering = t->in_recovery || t->rto_loss;

	if (recovering && !b->recovering && t->in_recovery) {
		b->conserving = 1;
		b->conserve_end = b->rounds + 1;
		t->cwnd = tcp_pipe(t) + delivered;
	} else if (!recovering && b->recovering) {
		b->conserving = 0;
		if (t->cwnd < b->prior_cwnd)
			t->cwnd = b->prior_cwnd;
	}
	b->recovering = (uint8_t)recovering;
	if (b->conserving && b->rounds >= b->conserve_end)
		b->conserving = 0;
}

/* cwnd grows by what was delivered up to cwnd_gain BDPs (plus three
 * packets' worth for the peer's delayed and bunched ACKs), at least four
 * segments; in ProbeRTT at most four. */
static void set_cwnd(const struct stack *st, struct tcb *t, uint32_t delivered)
{
	struct tcp_bbr *b = t->bbr;
	uint64_t target = (uint64_t)bdp(t, cwnd_gain(t)) + 3ull * (uint32_t)st->push_segs * t->mss;
	uint32_t floor = BBR_MIN_CWND_SEGS * t->mss;
	uint64_t cwnd = t->cwnd;

	if (b->conserving) {
		if (cwnd < (uint64_t)tcp_pipe(t) + delivered)
			cwnd = (uint64_t)tcp_pipe(t) + delivered;
	} else if (b->full) {
		cwnd = cwnd + delivered < target ? cwnd + delivered : target;
	} else if (cwnd < target || t->rs.delivered < (uint64_t)TCP_IW * t->mss) {
		cwnd += delivered;
	}
	if (cwnd < floor)
		cwnd = floor;
	if (b->mode == BBR_PROBE_RTT && cwnd > floor)
		cwnd = floor;
	t->cwnd = cwnd > TCP_CWND_MAX ? TCP_CWND_MAX : (uint32_t)cwnd;
}

/* ---- pacing ---- */

/* t waits on the stack's list for its time. */
static void pace_wait(struct stack *st, struct tcb *t)
{
	struct tcp *tcp = st->tcp;

	if (!t->bbr->paced) {
		t->bbr->pace_next = tcp->paced;
		tcp->paced = t;
		t->bbr->paced = 1;
	}
	if (!timer_armed(&tcp->pace) || tcp->pace.when > t->bbr->pace_at)
		timer_set(st, &tcp->pace, t->bbr->pace_at);
}

int tcp_pace_ok(struct stack *st, struct tcb *t)
{
	if (!tcp_cc_model(t) || t->force || t->bbr->pacing_rate == 0 ||
	    st->now >= t->bbr->pace_at)
		return 1;
	pace_wait(st, t);
	return 0;
}

void tcp_paced(struct stack *st, struct tcb *t, uint32_t len)
{
	struct tcp_bbr *b;

	if (!tcp_cc_model(t) || t->bbr->pacing_rate == 0)
		return;
	b = t->bbr;
	if (b->pace_at + BBR_PACE_SLACK < st->now)
		b->pace_at = st->now;
	b->pace_at += (uint64_t)len * 1000 / b->pacing_rate;
}

/* t leaves the stack's list. */
static void pace_cancel(struct stack *st, struct tcb *t)
{
	struct tcb **p = &st->tcp->paced;

	if (!t->bbr->paced)
		return;
	while (*p != t)
		p = &(*p)->bbr->pace_next;
	*p = t->bbr->pace_next;
	t->bbr->paced = 0;
}

/* The pacing timer: every connection whose time has come sends (and
 * may wait again); the others wait on. */
void bbr_pace_timeout(struct stack *st, struct timer *tm)
{
	struct tcb *t, *list = st->tcp->paced;

	(void)tm;
	st->tcp->paced = NULL;
	while ((t = list) != NULL) {
		list = t->bbr->pace_next;
		t->bbr->paced = 0;
		if (st->now >= t->bbr->pace_at)
			tcp_output(st, t);
		else
			pace_wait(st, t);
	}
}

/* ---- what tcp_cc.c calls ---- */

struct tcp_bbr *bbr_new(struct stack *st)
{
	struct tcp_bbr *b = calloc(1, sizeof *b);

	if (b != NULL)
		st->tcp->nbbr++;
	return b;
}

void bbr_free(struct stack *st, struct tcb *t)
{
	pace_cancel(st, t);
	free(t->bbr);
	t->bbr = NULL;
	st->tcp->nbbr--;
}

/* The model starts afresh; the connection may be on the pacing list. */
void bbr_init(struct stack *st, struct tcb *t)
{
	struct tcp_bbr *b = t->bbr;
	struct tcb *next = b->pace_next;
	uint8_t paced = b->paced;

	*b = (struct tcp_bbr){ .min_rtt = t->cnt.min_rtt, .min_rtt_stamp = st->now,
			       .cycle_stamp = st->now, .pace_next = next, .paced = paced };
	set_pacing_rate(t);
}

/* A loss: BBR keeps no threshold (it stays as it was, none at first),
 * only what cwnd was, for the end of recovery. */
uint32_t bbr_ssthresh(struct tcb *t)
{
	save_cwnd(t);
	return t->ssthresh;
}

void bbr_ack(struct stack *st, struct tcb *t, uint32_t delivered, int round)
{
	recovery_changes(t, delivered);
	if (round) {
		update_bw(t);
		check_full_pipe(t);
	}
	if (t->bbr->mode == BBR_PROBE_BW)
		advance_cycle(st, t);
	check_drain(st, t);
	update_min_rtt(st, t);
	set_pacing_rate(t);
	if (delivered > 0)
		set_cwnd(st, t, delivered);
}

void bbr_rtt(struct tcb *t, uint32_t rtt_us)
{
	t->bbr->rtt_sample = rtt_us > 0 ? rtt_us : 1;
}

/* The last reduction was spurious: startup may look for the rate again
 * (cwnd is tcp_cc_undo's). */
void bbr_undo(struct tcb *t)
{
	t->bbr->full_bw = 0;
	t->bbr->full_bw_cnt = 0;
}
