/*
 * TCP's clocks. Each connection has two timers: the delayed ACK, and one
 * connection timer whose mode (enum tcp_tmode) says what it is for:
 *
 *   state, condition                          mode         on expiry
 *   SYN sent/received, or data in flight      TM_TLP       tlp_timeout: probe the tail
 *                                             TM_RTX       rtx_timeout: resend, back off
 *   data in flight, RACK waits on reordering  TM_REO       reo_timeout: losses by time
 *   data queued, window shut (or corked)      TM_PERSIST   persist_timeout: fill or probe
 *   Finwait2 without a socket                 TM_FINWAIT2  close
 *   idle with SO_KEEPALIVE                    TM_KEEP      keep_timeout: probe, then reset
 *   Time_wait                                 TM_TIMEWAIT  close
 *
 * tcp_timer_update chooses the mode after every input and output.
 */
#include <errno.h>
#include <stddef.h>

#include "buf.h"
#include "stack.h"
#include "tcp_impl.h"

static uint64_t backoff(uint32_t base, unsigned n)
{
	uint64_t v = base;

	while (n-- > 0 && v < TCP_RTO_MAX)
		v *= 2;
	return v < TCP_RTO_MAX ? v : TCP_RTO_MAX;
}

static void arm(struct stack *st, struct tcb *t, int mode, uint64_t when)
{
	t->tmode = (uint8_t)mode;
	timer_set(st, &t->timer, when);
}

/* The tail loss probe's timeout: two round trips, plus the peer's
 * delayed ACK when a single segment is out (RFC 8985 7.2), else a margin
 * of 2 ms as Linux adds. */
static uint64_t pto(const struct tcb *t)
{
	return 2ull * t->srtt + (tcp_flight(t) <= t->mss ? TCP_PEER_DELACK : TCP_PTO_EXTRA);
}

/* When TCP_USER_TIMEOUT gives up on data unacknowledged that long, or
 * UINT64_MAX. */
static uint64_t user_deadline(const struct tcb *t)
{
	return t->user_timeout_ms ? t->una_since + (uint64_t)t->user_timeout_ms * 1000 : UINT64_MAX;
}

/* May a tail loss probe be armed (RFC 8985 7.2)? Not in recovery nor
 * with losses known, nor without SACK (as Linux). */
static int tlp_allowed(const struct tcb *t)
{
	return t->sack_ok && !t->in_recovery && !t->rto_loss && t->lostb == 0 && !t->tlp_done &&
	       t->nrtx == 0;
}

/* Data is in flight: a tail loss probe first if one may go, else the
 * retransmission timeout, no later than the user timeout. */
void tcp_timer_restart_rtx(struct stack *st, struct tcb *t)
{
	uint64_t when = st->now + t->rto;
	int handshake = t->state == NC_TCP_SYN_SENT || t->state == NC_TCP_SYN_RECEIVED;

	if (handshake && !t->passive)
		when = when < t->conn_deadline ? when : t->conn_deadline;
	if (!handshake && user_deadline(t) < when)
		when = user_deadline(t) > st->now ? user_deadline(t) : st->now;
	/* the probe goes no later than the timeout would (RFC 8985 7.2) */
	if (!handshake && tlp_allowed(t)) {
		arm(st, t, TM_TLP, st->now + (pto(t) < t->rto ? pto(t) : t->rto));
		return;
	}
	arm(st, t, TM_RTX, when);
}

static int keepalive_state(int state)
{
	return state == NC_TCP_ESTABLISHED || state == NC_TCP_CLOSE_WAIT ||
	       state == NC_TCP_FIN_WAIT_2;
}

void tcp_timer_update(struct stack *st, struct tcb *t)
{
	int mode = timer_armed(&t->timer) ? t->tmode : TM_NONE;

	switch (t->state) {
	case NC_TCP_CLOSED:
	case NC_TCP_LISTEN:
		timer_stop(st, &t->timer);
		t->tmode = TM_NONE;
		return;
	case NC_TCP_TIME_WAIT:
		return;
	}
	if (t->state == NC_TCP_SYN_SENT || t->state == NC_TCP_SYN_RECEIVED ||
	    t->snd_max != t->snd_una) {
		/* a probe armed before recovery began may not fire in it
		 * (RFC 8985 7.2): the retransmission timeout replaces it.
		 * RACK's reordering timer replaces the timeout; a probe
		 * armed replaces the reordering timer, as in Linux, whose
		 * one timer the probe takes over after each ACK */
		if (t->rack.deadline != 0 && t->state != NC_TCP_SYN_SENT &&
		    t->state != NC_TCP_SYN_RECEIVED) {
			if (mode != TM_REO || t->timer.when != t->rack.deadline)
				arm(st, t, TM_REO, t->rack.deadline);
		} else if ((mode != TM_RTX && mode != TM_TLP) || (mode == TM_TLP && !tlp_allowed(t))) {
			tcp_timer_restart_rtx(st, t);
		}
	} else if (seq_lt(t->snd_nxt, tcp_data_end(t))) {	/* the window holds us */
		if (mode != TM_PERSIST)
			arm(st, t, TM_PERSIST,
			    st->now + backoff(t->rto > TCP_PERSIST_MIN ? t->rto : TCP_PERSIST_MIN,
					      t->nrtx));
	} else if (t->so == NULL && t->state == NC_TCP_FIN_WAIT_2) {
		if (mode != TM_FINWAIT2)
			arm(st, t, TM_FINWAIT2, st->now + 2ull * st->msl_ms * 1000);
	} else if (t->keepalive && keepalive_state(t->state)) {
		uint64_t idle_end = t->last_rcv + (uint64_t)t->keepidle * 1000000;
		if (mode != TM_KEEP)
			arm(st, t, TM_KEEP, idle_end > st->now ? idle_end : st->now);
	} else {
		timer_stop(st, &t->timer);
		t->tmode = TM_NONE;
	}
}

/* Is t an orphan in Time_wait beyond timewait_max (counted if so)? As
 * Linux past tcp_max_tw_buckets, such a one ends at once: memory before
 * the guard against a late duplicate. */
int tcp_timewait_over(struct stack *st, struct tcb *t)
{
	struct tcp *tcp = st->tcp;

	if (t->state != NC_TCP_TIME_WAIT || t->so != NULL ||
	    tcp->stats[TCPS_CURR_TIME_WAIT] <= tcp->timewait_max)
		return 0;
	tcp->stats[TCPS_TIME_WAIT_OVERFLOW]++;
	return 1;
}

/* Reached inside input, which may still owe the peer an ACK for its
 * FIN: one beyond the bound ends a µs later, after the output of this
 * pass (a pass runs its timers first). */
void tcp_enter_timewait(struct stack *st, struct tcb *t)
{
	uint64_t hold = 2ull * st->msl_ms * 1000;

	tcp_setstate(st, t, NC_TCP_TIME_WAIT);
	bufq_clear(st, &t->sndq);
	arm(st, t, TM_TIMEWAIT, st->now + (tcp_timewait_over(st, t) ? 1 : hold));
}

static void rtx_timeout(struct stack *st, struct tcb *t)
{
	int handshake = t->state == NC_TCP_SYN_SENT || t->state == NC_TCP_SYN_RECEIVED;
	int err = t->soft_error ? t->soft_error : ETIMEDOUT;

	if (handshake && !t->passive && st->now >= t->conn_deadline) {
		tcp_close(st, t, err);
		return;
	}
	if (handshake && t->passive && t->nrtx >= TCP_SYNACK_RETRIES) {
		tcp_close(st, t, 0);
		return;
	}
	if (!handshake && (t->nrtx >= TCP_MAXRTX || st->now >= user_deadline(t))) {
		tcp_close(st, t, err);
		return;
	}
	t->nrtx++;
	t->cnt.total_rto++;
	t->rto = t->rto * 2 < TCP_RTO_MAX ? t->rto * 2 : TCP_RTO_MAX;
	t->timing = 0;		/* Karn: no sample from a resent segment */
	if (handshake)
		t->snd_nxt = t->iss;
	else if (tcp_recovery_timeout(st, t) < 0)
		t->snd_nxt = t->snd_una;	/* no scoreboard: go back N */
	tcp_output(st, t);
}

/* RACK's reordering window passed: what it now finds lost goes. */
static void reo_timeout(struct stack *st, struct tcb *t)
{
	t->tmode = TM_NONE;
	tcp_recovery_reo_timeout(st, t);
	tcp_output(st, t);
}

/* No ACK for two round trips: send new data, or the last segment
 * again, so that the peer's answer (with SACK) shows what a lost tail
 * would otherwise hide until the retransmission timeout. */
static void tlp_timeout(struct stack *st, struct tcb *t)
{
	t->tlp_done = 1;
	tcp_send_tlp(st, t);
	tcp_timer_restart_rtx(st, t);	/* the timeout, the probe done */
}

/* The peer's window stayed closed, or too small to send into without
 * silly windows: fill what there is (the override timeout of RFC 9293
 * 3.8.6.2.1), else probe. Given up only when probes go unanswered, never
 * while the peer answers (RFC 1122 4.2.2.17). */
static void persist_timeout(struct stack *st, struct tcb *t)
{
	if (t->kprobes >= TCP_MAXRTX) {
		tcp_close(st, t, t->soft_error ? t->soft_error : ETIMEDOUT);
		return;
	}
	if (t->so == NULL && t->nrtx >= TCP_MAXRTX) {	/* an orphan may not wait forever */
		tcp_send_rst(st, t);
		tcp_close(st, t, 0);
		return;
	}
	t->push_seq = tcp_data_end(t);	/* what is forced out goes with PSH, as Linux's */
	t->force = 1;
	tcp_output(st, t);
	t->force = 0;
	if (t->snd_max != t->snd_una)
		return;		/* data went: the retransmission timer runs */
	tcp_send_probe(st, t);
	t->kprobes++;
	if (t->nrtx < 30)
		t->nrtx++;
	arm(st, t, TM_PERSIST,
	    st->now + backoff(t->rto > TCP_PERSIST_MIN ? t->rto : TCP_PERSIST_MIN, t->nrtx));
}

static void keep_timeout(struct stack *st, struct tcb *t)
{
	uint64_t idle_end = t->last_rcv + (uint64_t)t->keepidle * 1000000;

	if (t->kprobes == 0 && st->now < idle_end) {
		arm(st, t, TM_KEEP, idle_end);
		return;
	}
	if (t->kprobes >= t->keepcnt) {
		tcp_send_rst(st, t);
		tcp_close(st, t, ETIMEDOUT);
		return;
	}
	tcp_send_probe(st, t);
	t->kprobes++;
	arm(st, t, TM_KEEP, st->now + (uint64_t)t->keepintvl * 1000000);
}

static void on_timer(struct stack *st, struct timer *tm)
{
	struct tcb *t = (struct tcb *)(void *)((char *)tm - offsetof(struct tcb, timer));

	switch (t->tmode) {
	case TM_RTX:
		rtx_timeout(st, t);
		break;
	case TM_TLP:
		tlp_timeout(st, t);
		break;
	case TM_REO:
		reo_timeout(st, t);
		break;
	case TM_PERSIST:
		persist_timeout(st, t);
		break;
	case TM_KEEP:
		keep_timeout(st, t);
		break;
	case TM_TIMEWAIT:
	case TM_FINWAIT2:
		tcp_close(st, t, 0);
		break;
	}
}

static void on_dack(struct stack *st, struct timer *tm)
{
	struct tcb *t = (struct tcb *)(void *)((char *)tm - offsetof(struct tcb, dack));

	t->ack_now = 1;
	tcp_output(st, t);
}

void tcp_delack(struct stack *st, struct tcb *t)
{
	if (!timer_armed(&t->dack))
		timer_set(st, &t->dack, st->now + TCP_DELACK);
}

int tcp_timers_init(struct stack *st, struct tcb *t)
{
	if (timer_init(st, &t->timer, on_timer) < 0)
		return -ENOMEM;
	if (timer_init(st, &t->dack, on_dack) < 0) {
		timer_fini(st, &t->timer);
		return -ENOMEM;
	}
	return 0;
}

void tcp_timers_fini(struct stack *st, struct tcb *t)
{
	timer_fini(st, &t->timer);
	timer_fini(st, &t->dack);
}

void tcp_timers_stop(struct stack *st, struct tcb *t)
{
	timer_stop(st, &t->timer);
	timer_stop(st, &t->dack);
	t->tmode = TM_NONE;
}
