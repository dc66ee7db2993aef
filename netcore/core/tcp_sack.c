/*
 * The scoreboard (RFC 6675 3): what became of each piece of the flight
 * [snd_una, snd_max) — held by the peer (SACKed), thought lost, resent —
 * and when it was last sent, for RACK (tcp_rack.c). It is a sorted array
 * of pieces that cover the flight without gaps, neighbours with the same
 * state and send time merged.
 *
 * An idle connection, or one whose peer has SACKed nothing and lost
 * nothing, has no scoreboard (t->sb NULL): it is allocated when the
 * first SACK block or the first loss comes, grows as the pieces do, and
 * is freed when nothing is SACKed or lost and recovery is over.
 */
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "tcp_impl.h"

enum { SB_ROOM_MIN = 16, SB_ROOM_MAX = 1 << 16 };

/* Room for n more pieces; 0, or -1 (the caller then does without). */
static int sb_reserve(struct stack *st, struct tcb *t, uint32_t n)
{
	struct sbent *e;
	uint32_t room = t->sbroom ? t->sbroom : SB_ROOM_MIN;

	if (t->nsb + n <= t->sbroom)
		return 0;
	while (room < t->nsb + n)
		room *= 2;
	if (room > SB_ROOM_MAX)
		return -1;
	e = realloc(t->sb, room * sizeof *e);
	if (e == NULL)
		return -1;
	if (t->sb == NULL)
		st->tcp->nscore++;
	t->sb = e;
	t->sbroom = room;
	return 0;
}

/* Start a scoreboard for the flight, all of it sent once at xmit_last;
 * 0, or -1 when memory runs out. */
int tcp_sb_start(struct stack *st, struct tcb *t)
{
	if (t->sb != NULL)
		return 0;
	if (sb_reserve(st, t, 1) < 0)
		return -1;
	t->sb[0] = (struct sbent){ t->snd_una, t->snd_max, t->xmit_last, 0 };
	t->nsb = t->snd_una != t->snd_max;
	t->sacked = t->lostb = 0;
	t->rack.fack = t->snd_una;	/* what was delivered before is past */
	return 0;
}

void tcp_sb_free(struct stack *st, struct tcb *t)
{
	if (t->sb == NULL)
		return;
	free(t->sb);
	st->tcp->nscore--;
	t->sb = NULL;
	t->nsb = t->sbroom = 0;
	t->sacked = t->lostb = 0;
}

/* Nothing left to remember: give the room back. */
void tcp_sb_tidy(struct stack *st, struct tcb *t)
{
	if (t->sb != NULL && t->sacked == 0 && t->lostb == 0 && !t->in_recovery &&
	    !t->rto_loss)
		tcp_sb_free(st, t);
}

/* Split the piece holding seq so that a piece starts there; its index,
 * or -1 when seq is outside the flight or there is no room. */
static int split_at(struct stack *st, struct tcb *t, uint32_t seq)
{
	for (uint32_t i = 0; i < t->nsb; i++) {
		struct sbent *e = &t->sb[i];
		if (e->start == seq)
			return (int)i;
		if (seq_lt(e->start, seq) && seq_lt(seq, e->end)) {
			if (sb_reserve(st, t, 1) < 0)
				return -1;
			e = &t->sb[i];
			memmove(e + 1, e, (t->nsb - i) * sizeof *e);
			t->nsb++;
			e[0].end = seq;
			e[1].start = seq;
			return (int)i + 1;
		}
	}
	return -1;
}

/* Merge neighbours alike. */
static void sb_merge(struct tcb *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->nsb; i++) {
		struct sbent *e = &t->sb[i];
		if (n > 0 && t->sb[n - 1].flags == e->flags && t->sb[n - 1].xmit == e->xmit &&
		    t->sb[n - 1].end == e->start)
			t->sb[n - 1].end = e->end;
		else
			t->sb[n++] = *e;
	}
	t->nsb = n;
}

static uint32_t len_of(const struct sbent *e)
{
	return e->end - e->start;
}

/* Set flags on [start, end), clear clr; returns the pieces' count
 * through lo/hi (indexes, hi excluded), or -1. */
static int range(struct stack *st, struct tcb *t, uint32_t start, uint32_t end, uint32_t *lo,
		 uint32_t *hi)
{
	int a, b;

	if (!seq_lt(start, end))
		return -1;
	a = split_at(st, t, start);
	if (a < 0)
		return -1;
	b = end == t->snd_max ? (int)t->nsb : split_at(st, t, end);
	if (b < 0)
		return -1;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
}

/* The peer holds [start, end): newly held pieces are marked SACKed and
 * told to RACK. Returns the bytes newly SACKed. */
static uint32_t sb_sack(struct stack *st, struct tcb *t, struct seqrange b)
{
	uint32_t lo, hi, n = 0;

	b.start = seq_max(b.start, t->snd_una);
	b.end = seq_min(b.end, t->snd_max);
	if (range(st, t, b.start, b.end, &lo, &hi) < 0)
		return 0;
	for (uint32_t i = lo; i < hi; i++) {
		struct sbent *e = &t->sb[i];
		if (e->flags & SB_SACKED)
			continue;
		if (e->flags & SB_LOST)
			t->lostb -= len_of(e);
		e->flags = (uint8_t)((e->flags & ~SB_LOST) | SB_SACKED);
		n += len_of(e);
		tcp_rack_delivered(st, t, e);
	}
	t->sacked += n;
	sb_merge(t);
	return n;
}

/* A D-SACK (RFC 2883 4): the first block, below the cumulative ACK or
 * within the second block, tells of a segment received twice. */
static int is_dsack(const struct seg *s, int i)
{
	const struct seqrange *b = s->sack;

	return i == 0 && (seq_leq(b[0].end, s->ack) ||
			  (s->nsack > 1 && seq_geq(b[0].start, b[1].start) &&
			   seq_leq(b[0].end, b[1].end)));
}

uint32_t tcp_sack_update(struct stack *st, struct tcb *t, const struct seg *s)
{
	uint32_t n = 0;

	for (int i = 0; i < s->nsack; i++) {
		struct seqrange b = s->sack[i];
		if (!seq_lt(b.start, b.end) || seq_gt(b.end, t->snd_max))
			continue;	/* bogus */
		if (is_dsack(s, i)) {
			tcp_recovery_dsack(st, t, b);
			continue;
		}
		if (seq_leq(b.end, t->snd_una))
			continue;	/* stale */
		if (tcp_sb_start(st, t) < 0)
			break;
		n += sb_sack(st, t, b);
	}
	return n;
}

/* snd_una moved: the pieces below it go. Returns the bytes among them
 * that were SACKed already; the others are told to RACK. */
uint32_t tcp_sb_acked(struct stack *st, struct tcb *t)
{
	uint32_t i = 0, was = 0;

	for (; i < t->nsb && seq_leq(t->sb[i].end, t->snd_una); i++) {
		struct sbent *e = &t->sb[i];
		if (e->flags & SB_SACKED)
			was += len_of(e);
		else
			tcp_rack_delivered(st, t, e);
		if (e->flags & SB_LOST)
			t->lostb -= len_of(e);
	}
	if (i < t->nsb && seq_lt(t->sb[i].start, t->snd_una)) {	/* a piece in part */
		struct sbent *e = &t->sb[i];
		uint32_t part = t->snd_una - e->start;
		if (e->flags & SB_SACKED)
			was += part;
		else
			tcp_rack_delivered(st, t, e);
		if (e->flags & SB_LOST)
			t->lostb -= part;
		e->start = t->snd_una;
	}
	memmove(t->sb, t->sb + i, (t->nsb - i) * sizeof *t->sb);
	t->nsb -= i;
	t->sacked -= was;
	return was;
}

/* New data [start, end) went out at now. */
void tcp_sb_sent(struct stack *st, struct tcb *t, uint32_t start, uint32_t end)
{
	struct sbent *last = t->nsb ? &t->sb[t->nsb - 1] : NULL;

	if (last && last->flags == 0 && last->xmit == st->now && last->end == start) {
		last->end = end;
		return;
	}
	if (sb_reserve(st, t, 1) < 0) {
		if (last)
			last->end = end;	/* no room: the time is coarser */
		return;
	}
	t->sb[t->nsb++] = (struct sbent){ start, end, st->now, 0 };
}

/* [start, end) went out again at now. */
void tcp_sb_resent(struct stack *st, struct tcb *t, uint32_t start, uint32_t end)
{
	uint32_t lo, hi;

	if (range(st, t, start, end, &lo, &hi) < 0)
		return;
	for (uint32_t i = lo; i < hi; i++) {
		struct sbent *e = &t->sb[i];
		if (e->flags & SB_LOST)
			t->lostb -= len_of(e);
		e->flags = (uint8_t)((e->flags & ~SB_LOST) | SB_RTX);
		e->xmit = st->now;
	}
	sb_merge(t);
}

/* Piece e is lost. */
void tcp_sb_mark_lost(struct tcb *t, struct sbent *e)
{
	if (e->flags & (SB_SACKED | SB_LOST))
		return;
	e->flags |= SB_LOST;
	t->lostb += len_of(e);
	t->cnt.lost += (len_of(e) + t->mss - 1) / t->mss;
}

/* Mark [start, end) lost (a NewReno loss, or everything after a
 * timeout); SACKed pieces stay as they are. */
void tcp_sb_lose(struct stack *st, struct tcb *t, uint32_t start, uint32_t end)
{
	uint32_t lo, hi;

	end = seq_min(end, t->snd_max);
	if (range(st, t, start, end, &lo, &hi) < 0)
		return;
	for (uint32_t i = lo; i < hi; i++)
		tcp_sb_mark_lost(t, &t->sb[i]);
	sb_merge(t);
}

void tcp_sb_unlose(struct tcb *t)
{
	for (uint32_t i = 0; i < t->nsb; i++)
		t->sb[i].flags &= (uint8_t)~SB_LOST;
	t->lostb = 0;
	sb_merge(t);
}

/* What is in the network (RFC 6675 pipe, as Linux counts it): the
 * flight less what the peer holds and what is lost and not resent. */
uint32_t tcp_pipe(const struct tcb *t)
{
	uint32_t flight = t->sb ? t->snd_max - t->snd_una : t->snd_nxt - t->snd_una;
	uint32_t out = t->sacked + t->lostb + t->reno_sacked;

	return flight > out ? flight - out : 0;
}

/* The first lost piece, up to len bytes of it (RFC 6675 NextSeg rule
 * 1); 0 when nothing is lost. */
int tcp_sb_next_lost(const struct tcb *t, uint32_t *seq, uint32_t *len)
{
	if (t->sb == NULL || t->lostb == 0)
		return 0;
	for (uint32_t i = 0; i < t->nsb; i++) {
		const struct sbent *e = &t->sb[i];
		if (e->flags & SB_LOST) {
			*seq = e->start;
			*len = len_of(e);
			return 1;
		}
	}
	return 0;
}
