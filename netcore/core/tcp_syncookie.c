/*
 * SYN cookies (RFC 4987 3.6): how a listener whose SYN queue is full
 * still takes every legitimate connection while keeping nothing for the
 * SYNs a flood sends. The SYN-ACK's ISN carries what the connection will
 * need, under a MAC only this stack can make; the final ACK of the
 * handshake returns it (ack - 1), and with it the connection is made.
 *
 * The cookie, 32 bits, laid out as RFC 4987 suggests:
 *   bits 31..27  a coarse clock (COOKIE_PERIOD ticks) modulo 32: a cookie
 *                is good for COOKIE_AGES ticks, then expires
 *   bits 26..24  index of the peer's MSS in cookie_mss[] (rounded down)
 *   bits 23..0   MAC: the stack's keyed SipHash over the 4-tuple, the
 *                peer's ISN, the full clock and the MSS index
 * What does not fit goes where Linux puts it: when the SYN had
 * timestamps, the low six bits of our TSval hold the peer's window shift
 * (15: none) and SACK-permitted, and the peer echoes them back. Without
 * timestamps the connection loses window scaling and SACK (the SYN-ACK
 * then offers neither). ECN is not spoken by this stack: nothing to keep.
 *
 * Cookies are checked only while a listener has sent some recently, so
 * outside a flood a forged ACK meets the usual RST and nothing else.
 */
#include <string.h>

#include "stack.h"
#include "tcp_impl.h"

enum {
	COOKIE_AGES = 2,	/* clock ticks a cookie is good for */
	COOKIE_MAC_BITS = 24,
	COOKIE_MSS_SHIFT = 24,
	COOKIE_CLOCK_SHIFT = 27,
	TS_NO_WSCALE = 15,	/* in the TSval's low bits: no window scaling */
	TS_SACK = 1 << 4,
	TS_OPT_MASK = 63,
};

static const uint64_t COOKIE_PERIOD = 64000000;	/* µs of one clock tick */

/* The MSS a cookie can tell, the common ones of each path. */
static const uint16_t cookie_mss[8] = { 64, 536, 1200, 1300, 1400, 1440, 1460, 8960 };

/* The largest entry not above the peer's MSS (absent: the default). */
static unsigned mss_index(uint16_t mss)
{
	unsigned i = 7;

	if (mss == 0)
		mss = TCP_DEFMSS;
	while (i > 0 && cookie_mss[i] > mss)
		i--;
	return i;
}

static uint64_t cookie_clock(const struct stack *st)
{
	return st->now / COOKIE_PERIOD;
}

/* The MAC of a SYN (or of the ACK returning its cookie: the same
 * addresses and ports) with peer ISN irs, at clock tick clk. */
static uint32_t cookie_mac(const struct stack *st, const struct seg *s, uint32_t irs,
			   uint64_t clk, unsigned idx)
{
	uint64_t addrs = s->v6 ? tcp_addr_key6(st, HASH_SYNCOOKIE, &s->dst6, &s->src6)
			       : (uint64_t)s->dst << 32 | s->src;
	uint64_t conn = stack_hash(st, HASH_SYNCOOKIE, addrs, (uint64_t)s->dport << 16 | s->sport);
	/* bit 55 keeps this call's messages apart from the first's */
	uint64_t m1 = (uint64_t)1 << 55 | (uint64_t)irs << 16 | (clk & 0x1fff) << 3 | idx;

	return (uint32_t)stack_hash(st, HASH_SYNCOOKIE, conn, m1) & ((1u << COOKIE_MAC_BITS) - 1);
}

static uint32_t cookie_make(const struct stack *st, const struct seg *syn, unsigned idx)
{
	uint64_t clk = cookie_clock(st);

	return (uint32_t)(clk & 31) << COOKIE_CLOCK_SHIFT | idx << COOKIE_MSS_SHIFT |
	       cookie_mac(st, syn, syn->seq, clk, idx);
}

/* Our TSval now with the options in its low bits, rounded down so that
 * the timestamp clock never runs back afterwards. */
static uint32_t cookie_tsval(uint32_t now, const struct tcb *t)
{
	uint32_t opts = (t->ws_ok ? min32(t->snd_wscale, TCP_WSCALE_MAX) : TS_NO_WSCALE) |
			(t->sack_ok ? TS_SACK : 0);
	uint32_t ts = (now & ~(uint32_t)TS_OPT_MASK) | opts;

	return seq_gt(ts, now) ? ts - (TS_OPT_MASK + 1) : ts;
}

/* The SYN-ACK comes from a tcb on the C stack, set up as a child would
 * be but kept nowhere: tcp_send_seg builds it with the same options,
 * window and TTL as the SYN queue's. */
void tcp_cookie_send(struct stack *st, struct tcb *l, const struct seg *s)
{
	struct tcb t;
	uint32_t now;

	memset(&t, 0, sizeof t);
	t.timer.slot = t.dack.slot = -1;	/* never armed */
	tcp_child_init(st, &t, l, s);
	tcp_syn_options(st, &t, s);
	if (!t.ts_ok) {		/* nowhere to keep them: offer neither */
		t.ws_ok = t.sack_ok = 0;
		t.rcv_wscale = 0;
	}
	t.state = NC_TCP_SYN_RECEIVED;
	t.iss = t.snd_una = t.snd_nxt = t.snd_max = cookie_make(st, s, mss_index(s->mss));
	if (t.ts_ok) {
		now = tcp_ts_now(st, &t);
		t.ts_offset += cookie_tsval(now, &t) - now;
	}
	tcp_send_seg(st, &t, t.iss, 0, SEG_SYN | SEG_ACK);
	st->tcp->stats[TCPS_SYNCOOKIES_SENT]++;
	l->cookies_until = st->now + COOKIE_AGES * COOKIE_PERIOD;
}

/* The cookie's MSS index when it is good now, else -1. */
static int cookie_valid(const struct stack *st, const struct seg *s, uint32_t cookie)
{
	uint64_t clk = cookie_clock(st);
	unsigned idx = cookie >> COOKIE_MSS_SHIFT & 7;

	for (uint64_t age = 0; age < COOKIE_AGES && age <= clk; age++) {
		uint64_t c = clk - age;
		if ((c & 31) == cookie >> COOKIE_CLOCK_SHIFT &&
		    cookie_mac(st, s, s->seq - 1, c, idx) == (cookie & ((1u << COOKIE_MAC_BITS) - 1)))
			return (int)idx;
	}
	return -1;
}

int tcp_cookie_check(struct stack *st, struct tcb *l, const struct seg *s, struct seg *syn)
{
	int idx;

	if (st->now >= l->cookies_until || (s->flags & (SEG_SYN | SEG_RST)))
		return -1;
	idx = cookie_valid(st, s, s->ack - 1);
	if (idx < 0) {
		st->tcp->stats[TCPS_SYNCOOKIES_FAILED]++;
		return -1;
	}
	st->tcp->stats[TCPS_SYNCOOKIES_RECV]++;
	memset(syn, 0, sizeof *syn);
	tcp_no_options(syn);
	syn->src = s->src;
	syn->dst = s->dst;
	syn->v6 = s->v6;
	syn->src6 = s->src6;
	syn->dst6 = s->dst6;
	syn->sport = s->sport;
	syn->dport = s->dport;
	syn->seq = s->seq - 1;
	syn->flags = SEG_SYN;
	syn->wnd = s->wnd;
	syn->mss = cookie_mss[idx];
	if (s->has_ts) {
		uint32_t opts = s->tsecr & TS_OPT_MASK;
		syn->has_ts = 1;
		syn->tsval = s->tsval;
		syn->wscale = (opts & 15) == TS_NO_WSCALE ? -1 : (int8_t)(opts & 15);
		syn->sack_perm = (opts & TS_SACK) != 0;
	}
	return 0;
}
