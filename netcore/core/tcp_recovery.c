/*
 * Loss recovery: what an ACK tells about losses, and how much may be
 * sent meanwhile. Losses are found by RACK (tcp_rack.c) on the
 * scoreboard (tcp_sack.c), or without SACK by three duplicate ACKs and
 * partial ACKs (NewReno, RFC 6582). Fast recovery (RFC 6675) resends
 * what is lost, then new data, as proportional rate reduction (RFC 6937)
 * lets out: as many segments as the peer received, scaled by ssthresh
 * over the window when recovery began, until the pipe is down to
 * ssthresh, then slow start back up to it. After a timeout everything
 * unacknowledged is lost and goes again in slow start, unless F-RTO
 * (RFC 5682) shows the timeout spurious.
 *
 * A window-based congestion control algorithm is asked only for
 * ssthresh after a loss and for growth outside recovery (tcp_cc.c);
 * growth waits while the application, not cwnd, limits the sending (RFC
 * 7661). A model-based one (BBR) sets cwnd itself on every ACK, in
 * recovery too, and PRR stands aside.
 */
#include "stack.h"
#include "tcp_impl.h"

static uint32_t segs(const struct tcb *t, uint32_t bytes)
{
	return (bytes + tcp_smss(t) - 1) / tcp_smss(t);
}

/* Duplicate ACKs that start a fast retransmit without SACK: 3, fewer
 * when fewer segments are in flight and nothing new could make more
 * (early retransmit, RFC 5827). */
static unsigned dupthresh(const struct tcb *t)
{
	uint32_t n = segs(t, tcp_flight(t));

	if (n >= 4 || seq_lt(t->snd_max, tcp_data_end(t)))
		return 3;
	return n > 2 ? n - 1 : 1;
}

/* Without SACK: the first unacknowledged segment is lost. */
static void lose_first(struct stack *st, struct tcb *t)
{
	if (tcp_sb_start(st, t) == 0)
		tcp_sb_lose(st, t, t->snd_una, t->snd_una + t->mss);
}

/* A reduction begins: what to go back to if it proves spurious. */
static void undo_start(struct tcb *t)
{
	t->prior_cwnd = t->cwnd;
	t->prior_ssthresh = t->ssthresh;
	t->undo_marker = t->snd_una;
	t->undo_retrans = 0;
	t->undo_ok = 1;
}

static void enter_recovery(struct stack *st, struct tcb *t)
{
	undo_start(t);
	t->ssthresh = tcp_cc_ssthresh(st, t);
	t->recover_fs = t->cwnd > t->mss ? t->cwnd : t->mss;
	t->recover = t->snd_max;
	t->in_recovery = 1;
	t->prr_delivered = t->prr_out = 0;
}

/* PRR (RFC 6937, counted in segments as Linux does): cwnd becomes the
 * pipe plus what may go now. Below ssthresh, at least two segments stay
 * in the network: with one, when it or its ACK is lost, no later
 * segment's SACK can show it to RACK, and in recovery, where no tail
 * loss probe goes, only the retransmission timeout would repair it (the
 * same reason a super-packet carries at most half of cwnd). */
static void prr(struct tcb *t, uint32_t delivered, int una_advanced)
{
	uint32_t smss = tcp_smss(t), pipe = tcp_pipe(t), ss = t->ssthresh / smss;
	uint32_t fs = t->recover_fs / smss > 0 ? t->recover_fs / smss : 1;
	int64_t sndcnt;

	t->prr_delivered += segs(t, delivered);
	if (pipe > t->ssthresh) {
		sndcnt = (int64_t)(((uint64_t)ss * t->prr_delivered + fs - 1) / fs) - t->prr_out;
	} else {	/* slow-start reduction bound */
		int64_t left = (int64_t)t->prr_delivered - t->prr_out;
		sndcnt = left > segs(t, delivered) ? left : segs(t, delivered);
		if (una_advanced)
			sndcnt++;
		if (sndcnt < 2 - (int64_t)segs(t, pipe))
			sndcnt = 2 - (int64_t)segs(t, pipe);	/* two in the network */
		if (sndcnt > (int64_t)ss - segs(t, pipe))
			sndcnt = (int64_t)ss - segs(t, pipe);
	}
	if (sndcnt < (t->prr_out ? 0 : 1))
		sndcnt = t->prr_out ? 0 : 1;	/* the fast retransmit goes at once */
	t->cwnd = pipe + (uint32_t)sndcnt * smss;
}

/* F-RTO (RFC 5682 3.1, the SACK variant, as Linux): the first ACK after
 * a timeout decides. If it acknowledges or SACKs data sent only once,
 * before the timeout, the flight was not lost, only late (or its ACKs
 * were): the timeout was spurious, and the window, the threshold and the
 * scoreboard go back to what they were; RACK then finds what is really
 * missing. Otherwise the loss was real and recovery goes on in slow
 * start. */
static void frto_check(struct stack *st, struct tcb *t)
{
	t->frto = 0;
	if (!t->orig_delivered || !t->undo_ok)
		return;
	tcp_cc_undo(st, t);
	tcp_sb_unlose(t);
	t->rto_loss = 0;
	t->undo_ok = 0;
}

/* RFC 7661 as Linux applies it: the window grows only if it limited
 * the sending in the last round trip, or in slow start was at least half
 * used. */
static int cwnd_limited(const struct tcb *t)
{
	if (t->cwnd_limited)
		return 1;
	return t->cwnd < t->ssthresh && t->cwnd < 2 * t->max_out;
}

/* Everything up to recover is acknowledged: fast recovery, or the
 * timeout's slow start, is over. A window-based algorithm goes on from
 * ssthresh; BBR's model puts back its own cwnd. */
static void recovery_over(struct tcb *t)
{
	if (t->in_recovery) {
		t->in_recovery = 0;	/* the whole window is repaired */
		t->dupacks = 0;
		if (!tcp_cc_model(t))
			t->cwnd = t->ssthresh;
	}
	t->rto_loss = 0;
}

/* An ACK came: acked bytes newly acknowledged (0 for a duplicate),
 * sacked bytes newly SACKed by its blocks; dup: a duplicate ACK in RFC
 * 5681's sense. */
void tcp_recovery_ack(struct stack *st, struct tcb *t, uint32_t acked, uint32_t sacked, int dup)
{
	uint32_t delivered = sacked, was = 0;
	int round;

	if (t->sb != NULL && acked > 0)
		was = tcp_sb_acked(st, t);
	delivered += acked > was ? acked - was : 0;
	if (!t->sack_ok) {	/* duplicate ACKs stand for segments received (RFC 6675 5) */
		if (acked > 0) {
			delivered = acked > t->reno_sacked ? acked - t->reno_sacked : min32(acked, t->mss);
			t->reno_sacked = acked < t->reno_sacked ? t->reno_sacked - acked : 0;
		}
		if (dup && t->reno_sacked + t->mss < tcp_flight(t)) {
			t->reno_sacked += t->mss;
			delivered += t->mss;
		}
	}
	t->cnt.delivered += segs(t, delivered);
	t->dupacks = dup ? (uint8_t)(t->dupacks < 255 ? t->dupacks + 1 : 255) : acked ? 0 : t->dupacks;
	if (!t->sack_ok && !t->rto_loss) {	/* NewReno */
		if (dup && !t->in_recovery && t->dupacks == dupthresh(t) &&
		    seq_geq(t->snd_una, t->recover))
			lose_first(st, t);
		else if (acked > 0 && t->in_recovery && seq_lt(t->snd_una, t->recover))
			lose_first(st, t);	/* a partial ACK */
	}
	if (t->rto_loss && t->frto && (acked > 0 || sacked > 0))
		frto_check(st, t);
	tcp_rack_detect(st, t);
	if (!t->in_recovery && !t->rto_loss && t->lostb > 0)
		enter_recovery(st, t);
	round = tcp_rate_ack(st, t, delivered);
	if (seq_geq(t->snd_una, t->recover))
		recovery_over(t);
	/* in recovery an ACK that delivers nothing leaves cwnd alone (as
	 * Linux): PRR would shrink it to the pipe, to nothing when all that
	 * is out is lost, and recovery would wait for the timeout */
	if (tcp_cc_model(t))
		bbr_ack(st, t, delivered, round);	/* cwnd from the model, in recovery too */
	else if (t->in_recovery && delivered > 0)
		prr(t, delivered, acked > 0);
	else if (!t->in_recovery && acked > 0 && cwnd_limited(t))
		tcp_cc_grow(st, t, delivered);
	tcp_sb_tidy(st, t);
}

/* The reordering timer went off: what RACK finds lost now starts
 * recovery or goes in it. cwnd stays as it was until the next ACK
 * brings PRR its first count (as in Linux): what is lost goes at once,
 * in as many segments as cwnd has room for beside the pipe. */
void tcp_recovery_reo_timeout(struct stack *st, struct tcb *t)
{
	tcp_rack_detect(st, t);
	if (!t->in_recovery && !t->rto_loss && t->lostb > 0)
		enter_recovery(st, t);
}

/* The peer tells of [start, end) received twice (D-SACK, RFC 2883): a
 * segment resent since the reduction began was not lost. When that is
 * so of every one resent, the reduction was spurious and is undone (RFC
 * 3708, as Linux): the window as before, recovery over. */
void tcp_recovery_dsack(struct stack *st, struct tcb *t, struct seqrange b)
{
	uint32_t n = segs(t, b.end - b.start);

	t->cnt.dsack_dups++;
	if (!t->undo_ok || t->undo_retrans == 0 || seq_lt(b.start, t->undo_marker))
		return;
	t->undo_retrans = n < t->undo_retrans ? t->undo_retrans - n : 0;
	if (t->undo_retrans > 0)
		return;
	tcp_cc_undo(st, t);
	t->in_recovery = 0;
	t->rto_loss = 0;
	t->undo_ok = 0;
	t->dupacks = 0;
}

/* The retransmission timer went off: one segment, slow start, and all
 * that is not SACKed is lost. 0, or -1 without a scoreboard (memory):
 * the caller then goes back to snd_una. */
int tcp_recovery_timeout(struct stack *st, struct tcb *t)
{
	/* F-RTO only for a timeout out of the open state, or one after
	 * another, as Linux: a timeout in fast recovery follows a loss
	 * already proved real, and an ACK after it that covers data never
	 * SACKed would only show SACK blocks lost on the way */
	int frto = t->sack_ok && (!t->in_recovery || t->nrtx > 1);
	/* a reduction for these losses is under way: fast recovery, or an
	 * earlier timeout, not yet past the data they covered */
	int reducing = (t->in_recovery || t->rto_loss) && seq_lt(t->snd_una, t->recover);
	/* the algorithm learns of the timeout (CUBIC starts a new curve) */
	uint32_t ss = tcp_cc_ssthresh(st, t);

	if (!t->in_recovery && !t->rto_loss)
		undo_start(t);	/* else the first reduction's state holds */
	/* As Linux (tcp_enter_loss), the reduction under way keeps its
	 * ssthresh: cwnd has since shrunk with the pipe (PRR), or to one
	 * segment, and β of that would count the same losses again, down
	 * to the floor of two segments at a second timeout. */
	if (!reducing)
		t->ssthresh = ss;
	t->cwnd = t->mss;
	t->in_recovery = 0;
	t->dupacks = 0;
	t->bytes_acked = 0;
	t->reno_sacked = 0;
	t->recover = t->snd_max;
	if (tcp_sb_start(st, t) < 0)
		return -1;
	t->rto_loss = 1;
	t->frto = (uint8_t)frto;
	t->orig_delivered = 0;
	tcp_sb_lose(st, t, t->snd_una, t->snd_max);
	t->rack.deadline = 0;
	return 0;
}

/* A burst went out (tcp_output): remember whether cwnd stopped it, and
 * the most in flight, over one round trip (Linux's tcp_cwnd_validate). */
void tcp_cwnd_validate(struct tcb *t, int limited)
{
	uint32_t pipe = tcp_pipe(t);

	if (!seq_lt(t->snd_una, t->usage_seq) || limited || pipe > t->max_out) {
		t->max_out = pipe;
		t->usage_seq = t->snd_max;
		t->cwnd_limited = limited != 0;
	}
}
