/*
 * RACK (RFC 8985 6): loss detection by time. A piece of the flight is
 * lost when a piece sent after it has been delivered and more than a
 * round trip and a reordering window have passed since it was sent.
 * Time, not the count of duplicate ACKs, decides: a lost retransmission
 * is found like any other loss, without waiting for the timeout. The
 * tail loss probe (RFC 8985 7) is tcp_timer.c's.
 */
#include "stack.h"
#include "tcp_impl.h"

/* Piece e was delivered (SACKed or acknowledged) now. */
void tcp_rack_delivered(struct stack *st, struct tcb *t, const struct sbent *e)
{
	struct rack *r = &t->rack;
	uint64_t rtt = st->now - e->xmit;

	/* data sent once, before the timeout, arrived (F-RTO's sign) */
	if (t->frto && !(e->flags & SB_RTX) && seq_leq(e->end, t->recover))
		t->orig_delivered = 1;

	/* an ACK of the first transmission that comes after a resend would
	 * give a too short round trip (RFC 8985 6.2 step 2) */
	if ((e->flags & SB_RTX) && rtt < r->min_rtt)
		return;
	if (!(e->flags & SB_RTX) && (r->min_rtt == 0 || rtt < r->min_rtt))
		r->min_rtt = (uint32_t)(rtt > 0 ? rtt : 1);
	if (!(e->flags & SB_RTX) && seq_lt(e->end, r->fack)) {
		uint32_t room = tcp_seg_room(t);
		uint32_t late = (r->fack - e->start + room - 1) / room;

		r->reord = 1;		/* delivered below what was: reordering */
		t->cnt.reord_seen++;
		if (late > r->reordering)
			r->reordering = (uint16_t)min32(late, TCP_MAX_REORDERING);
	}
	if (seq_gt(e->end, r->fack))
		r->fack = e->end;
	if (e->xmit > r->xmit || (e->xmit == r->xmit && seq_gt(e->end, r->end)) || r->rtt == 0) {
		r->xmit = e->xmit;
		r->end = e->end;
		r->rtt = (uint32_t)(rtt > 0 ? rtt : 1);
	}
}

/* The reordering window (RFC 8985 6.2 step 4): none in recovery or with
 * three segments SACKed, unless reordering was seen; else a quarter of
 * the least round trip, at most a smoothed one. */
static uint32_t reo_wnd(const struct tcb *t)
{
	uint32_t w = t->rack.min_rtt / 4;

	if (!t->rack.reord && (t->in_recovery || t->sacked >= 3u * tcp_smss(t)))
		return 0;
	return t->srtt && w > t->srtt ? t->srtt : w;
}

/* Mark what RACK thinks lost (RFC 8985 6.2 step 5); t->rack.deadline
 * becomes when to look again (the reordering timer), 0 for never. */
void tcp_rack_detect(struct stack *st, struct tcb *t)
{
	struct rack *r = &t->rack;
	uint64_t wait = (uint64_t)r->rtt + reo_wnd(t);

	r->deadline = 0;
	if (t->sb == NULL || r->rtt == 0)
		return;
	for (uint32_t i = 0; i < t->nsb; i++) {
		struct sbent *e = &t->sb[i];
		if (e->flags & (SB_SACKED | SB_LOST))
			continue;
		if (e->xmit > r->xmit || (e->xmit == r->xmit && seq_gt(e->end, r->end)))
			continue;	/* sent after the last delivered one */
		if (e->xmit + wait <= st->now)
			tcp_sb_mark_lost(t, e);
		else if (r->deadline == 0 || e->xmit + wait < r->deadline)
			r->deadline = e->xmit + wait;
	}
}
