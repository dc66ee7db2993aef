/*
 * TCP_INFO: a connection described in Linux's struct tcp_info layout
 * (struct nc_linux_tcp_info, netcore.h), from the tcb and the counters
 * input and output keep (struct tcp_counters), and the clock of what
 * limits the sender (busy, peer's window, send buffer) that feeds three
 * of them.
 */
#include <string.h>

#include <netcore/netcore.h>

#include "stack.h"
#include "ip6.h"
#include "tcp_impl.h"

/* tcp_cc.c starts ssthresh at 2^30 bytes: no threshold yet. */
static const uint32_t SSTHRESH_NONE = 1u << 30;

/* ---- what limits the sender (Linux's "chrono" figures) ---- */

/* What holds the sender back now: nothing to send, the peer's window
 * (data waits that the window has no room for), the send buffer (full,
 * the application waits), or only the network (busy). */
static int limit_now(const struct tcb *t)
{
	uint32_t end = tcp_data_end(t), right = t->snd_una + t->snd_wnd, room;

	if (t->state < NC_TCP_ESTABLISHED || (t->sndq.len == 0 && tcp_flight(t) == 0))
		return TCP_LIMIT_IDLE;	/* busy until the FIN too is acknowledged */
	if (seq_lt(t->snd_nxt, end)) {
		room = seq_gt(right, t->snd_nxt) ? right - t->snd_nxt : 0;
		if (room < min32(end - t->snd_nxt, tcp_seg_room(t)))
			return TCP_LIMIT_RWND;
	}
	if (t->sndq.len >= t->sndbuf)
		return TCP_LIMIT_SNDBUF;
	return TCP_LIMIT_BUSY;
}

static uint64_t *limit_total(struct tcp_counters *c, int limit)
{
	switch (limit) {
	case TCP_LIMIT_RWND:
		return &c->rwnd_limited;
	case TCP_LIMIT_SNDBUF:
		return &c->sndbuf_limited;
	default:
		return &c->busy_time;
	}
}

void tcp_limit_update(const struct stack *st, struct tcb *t)
{
	struct tcp_counters *c = &t->cnt;
	int now = limit_now(t);

	if (now == c->limit)
		return;
	if (c->limit != TCP_LIMIT_IDLE)
		*limit_total(c, c->limit) += st->now - c->limit_since;
	c->limit = (uint8_t)now;
	c->limit_since = st->now;
}

/* ---- the struct ---- */

static uint8_t linux_state(int state)
{
	static const uint8_t map[] = {
		[NC_TCP_CLOSED] = NC_TCPI_CLOSE,
		[NC_TCP_LISTEN] = NC_TCPI_LISTEN,
		[NC_TCP_SYN_SENT] = NC_TCPI_SYN_SENT,
		[NC_TCP_SYN_RECEIVED] = NC_TCPI_SYN_RECV,
		[NC_TCP_ESTABLISHED] = NC_TCPI_ESTABLISHED,
		[NC_TCP_FIN_WAIT_1] = NC_TCPI_FIN_WAIT1,
		[NC_TCP_FIN_WAIT_2] = NC_TCPI_FIN_WAIT2,
		[NC_TCP_CLOSE_WAIT] = NC_TCPI_CLOSE_WAIT,
		[NC_TCP_CLOSING] = NC_TCPI_CLOSING,
		[NC_TCP_LAST_ACK] = NC_TCPI_LAST_ACK,
		[NC_TCP_TIME_WAIT] = NC_TCPI_TIME_WAIT,
	};

	return map[state];
}

/* Fast recovery; after a timeout, Loss until what was in flight then is
 * acknowledged (tcp_cc_timeout sets recover to it); Disorder while
 * duplicate ACKs or SACK blocks come without a recovery yet. */
static uint8_t ca_state(const struct tcb *t)
{
	int rto_pending = t->nrtx > 0 && t->tmode != TM_PERSIST;

	if (t->state == NC_TCP_SYN_SENT || t->state == NC_TCP_SYN_RECEIVED)
		return NC_TCPI_CA_OPEN;
	if (t->in_recovery)
		return NC_TCPI_CA_RECOVERY;
	if (rto_pending || (t->cnt.total_rto > 0 && seq_leq(t->snd_una, t->recover)))
		return NC_TCPI_CA_LOSS;
	if (t->dupacks > 0 || t->sacked > 0)
		return NC_TCPI_CA_DISORDER;
	return NC_TCPI_CA_OPEN;
}

static uint32_t segs(uint32_t bytes, uint32_t mss)
{
	return (bytes + mss - 1) / mss;
}

/* Bytes on the scoreboard marked with any of flags and not SACKed
 * since: lost (SB_LOST), resent (SB_RTX). */
static uint32_t sb_bytes(const struct tcb *t, uint8_t flags)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < t->nsb; k++)
		if ((t->sb[k].flags & flags) && !(t->sb[k].flags & SB_SACKED))
			n += t->sb[k].end - t->sb[k].start;
	return n;
}

static uint32_t ms_since(const struct stack *st, uint64_t when)
{
	return when ? (uint32_t)((st->now - when) / 1000) : 0;
}

/* What the connection's counters say. */
static void info_counters(const struct stack *st, const struct tcb *t,
			  struct nc_linux_tcp_info *i)
{
	const struct tcp_counters *c = &t->cnt;
	uint64_t running = c->limit != TCP_LIMIT_IDLE ? st->now - c->limit_since : 0;

	i->tcpi_last_data_sent = ms_since(st, c->last_data_sent);
	i->tcpi_last_data_recv = ms_since(st, c->last_data_recv);
	i->tcpi_last_ack_recv = ms_since(st, c->last_ack_recv);
	i->tcpi_total_retrans = t->retrans;
	i->tcpi_bytes_acked = c->bytes_acked;
	i->tcpi_bytes_received = c->bytes_received;
	i->tcpi_segs_out = c->segs_out;
	i->tcpi_segs_in = c->segs_in;
	i->tcpi_min_rtt = c->min_rtt;
	i->tcpi_data_segs_in = c->data_segs_in;
	i->tcpi_data_segs_out = c->data_segs_out;
	/* Linux's busy time is the sum of the three */
	i->tcpi_busy_time = c->busy_time + c->rwnd_limited + c->sndbuf_limited + running;
	i->tcpi_rwnd_limited = c->rwnd_limited + (c->limit == TCP_LIMIT_RWND ? running : 0);
	i->tcpi_sndbuf_limited = c->sndbuf_limited + (c->limit == TCP_LIMIT_SNDBUF ? running : 0);
	i->tcpi_delivered = c->delivered;
	i->tcpi_bytes_sent = c->bytes_sent;
	i->tcpi_bytes_retrans = c->bytes_retrans;
	i->tcpi_dsack_dups = c->dsack_dups;
	i->tcpi_reord_seen = c->reord_seen;
	i->tcpi_rcv_ooopack = c->rcv_ooopack;
	i->tcpi_total_rto = c->total_rto;
}

void tcp_linux_info(const struct stack *st, const struct tcb *t, struct nc_linux_tcp_info *i)
{
	uint32_t ts = t->ts_ok ? OPT_TS_LEN : 0;
	uint32_t mss = t->mss > ts ? t->mss - ts : 1;	/* payload of a full segment */
	uint32_t adv = tcp_path_mss(st, t);

	memset(i, 0, sizeof *i);
	if (t->user_mss && t->user_mss < adv)
		adv = t->user_mss;
	i->tcpi_state = linux_state(t->state);
	i->tcpi_ca_state = ca_state(t);
	i->tcpi_retransmits = t->tmode == TM_PERSIST ? 0 : t->nrtx;
	i->tcpi_probes = t->kprobes;
	i->tcpi_backoff = t->nrtx;
	i->tcpi_options = (uint8_t)((t->ts_ok ? NC_TCPI_OPT_TIMESTAMPS : 0) |
				    (t->sack_ok ? NC_TCPI_OPT_SACK : 0) |
				    (t->ws_ok ? NC_TCPI_OPT_WSCALE : 0));
	i->tcpi_snd_wscale = t->ws_ok ? t->snd_wscale & 15 : 0;
	i->tcpi_rcv_wscale = t->ws_ok ? t->rcv_wscale & 15 : 0;
	i->tcpi_rto = t->rto;
	i->tcpi_ato = t->data_seen ? TCP_DELACK : 0;	/* as Linux: none before data */
	i->tcpi_snd_mss = mss;
	i->tcpi_rcv_mss = t->rcv_mss ? t->rcv_mss : min32(mss, TCP_DEFMSS);
	i->tcpi_unacked = segs(tcp_flight(t), mss);
	i->tcpi_sacked = segs(t->sacked, mss);
	i->tcpi_lost = segs(sb_bytes(t, SB_LOST | SB_RTX), mss);
	i->tcpi_retrans = segs(sb_bytes(t, SB_RTX), mss);
	i->tcpi_pmtu = t->v6 ? (uint32_t)ip6_path_mtu(st, &t->faddr6) : (uint32_t)st->mtu;
	i->tcpi_rcv_ssthresh = tcp_rcv_window(t);
	i->tcpi_rtt = t->srtt;
	i->tcpi_rttvar = t->rttvar;
	i->tcpi_snd_ssthresh = t->ssthresh >= SSTHRESH_NONE ? NC_TCPI_INFINITE_SSTHRESH
							   : t->ssthresh / mss;
	i->tcpi_snd_cwnd = t->cwnd / mss;
	i->tcpi_advmss = adv - ts;
	i->tcpi_reordering = t->rack.reordering > TCP_REORDERING ? t->rack.reordering
								   : TCP_REORDERING;
	i->tcpi_rcv_space = t->rcvbuf;
	i->tcpi_notsent_bytes = seq_gt(tcp_data_end(t), t->snd_max) ?
				tcp_data_end(t) - t->snd_max : 0;
	i->tcpi_max_pacing_rate = UINT64_MAX;	/* no cap set (SO_MAX_PACING_RATE) */
	if (tcp_cc_model(t))
		i->tcpi_pacing_rate = (uint64_t)t->bbr->pacing_rate * 1000;
	i->tcpi_delivery_rate = (uint64_t)t->rs.rate * 1000;
	i->tcpi_delivery_rate_app_limited = t->rs.round_app_limited;
	i->tcpi_snd_wnd = t->snd_wnd;
	i->tcpi_rcv_wnd = tcp_rcv_window(t);
	info_counters(st, t, i);
}
