/*
 * Inside TCP: the control block and what its files share: tcp.c
 * (connections: ISN, demux, life cycle, ICMP errors), tcp_sock.c (socket
 * operations and options), tcp_input.c (segment arrival), tcp_output.c
 * (segment building), tcp_timer.c (the clocks), tcp_cc.c (RTT, the
 * congestion control algorithm), tcp_recovery.c (loss recovery, PRR),
 * tcp_sack.c (the scoreboard), tcp_rack.c (loss detection by time)
 * tcp_info.c (TCP_INFO), tcp_cubic.c (the CUBIC algorithm), tcp_bbr.c
 * (the BBR algorithm, pacing) and tcp_syncookie.c (SYN cookies). Nothing
 * else includes it.
 */
#ifndef NETCORE_TCP_IMPL_H
#define NETCORE_TCP_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <netcore/netcore.h>

#include "buf.h"
#include "stack.h"
#include "tcp.h"
#include "timer.h"
#include "wire.h"

struct stack;
struct sock;

enum {
	TCP_DEFMSS = 536,	/* when the peer sends no MSS option */
	TCP_MAX_WND = 65535,
	TCP_IW = 10,		/* initial window, segments (RFC 6928) */
	TCP_OOO_MAX = 16,	/* out-of-order ranges kept (holes a peer may repair at once) */
	TCP_MAXRTX = 12,	/* data retransmissions before giving up */
	TCP_SYNACK_RETRIES = 5,
	TCP_MAX_BACKLOG = 1024,
	TCP_MIN_SYNQ = 16,
	/* receive buffer of a connection on the accept queue: one chunk,
	 * room for an initial window of ten segments (TCP_IW) */
	TCP_UNACCEPTED_BUF = CHUNK_SIZE,
	TCP_REORDERING = 3,	/* duplicate ACKs that mean a loss */
	TCP_MAX_REORDERING = 300,	/* as Linux's tcp_max_reordering */
	TCP_CHALLENGE_MAX = 1000,	/* challenge ACKs a second, on average (RFC 5961 7) */
	/* connections held in Time_wait (Linux's tcp_max_tw_buckets): a
	 * whole tcb each, 16384 as many as a /net protocol's conversations */
	TCP_TIMEWAIT_MAX = 16384,
	TCP_CWND_MAX = 1 << 30,	/* bytes; also the ssthresh of the first slow start */
	/* how far the buffers grow by themselves (Linux's tcp_rmem[2] and
	 * tcp_wmem[2]); SO_RCVBUF and SO_SNDBUF fix a buffer's size instead */
	TCP_RCVBUF_AUTO_MAX = 6 * 1024 * 1024,
	TCP_SNDBUF_AUTO_MAX = 4 * 1024 * 1024,
};

/* Times, µs. */
enum {
	TCP_RTO_MIN = 200000,
	TCP_RTO_MAX = 60000000,
	TCP_RTO_INIT = 1000000,	/* RFC 6298 */
	TCP_RTO_FALLBACK = 3000000,	/* after a SYN sent again (RFC 6298 5.7) */
	TCP_DELACK = 40000,	/* delayed ACK, well under the 200 ms bound */
	TCP_QUICKACKS = 16,	/* segments ACKed at once after start or idle */
	TCP_PEER_DELACK = 200000,	/* the longest a peer may delay its ACK */
	TCP_PTO_EXTRA = 2000,	/* added to the tail loss probe's 2 SRTT, as Linux */
	TCP_RCV_RTT_MIN = 1000,	/* the timestamps' tick: the receive RTT's floor */
	TCP_PERSIST_MIN = 200000,
	TCP_CONNECT_TIMEOUT_MS = 75000,
	TCP_KEEPIDLE_S = 7200,
	TCP_KEEPINTVL_S = 75,
	TCP_DEF_KEEPCNT = 9,
};

/* What the single connection timer is doing now. */
enum tcp_tmode {
	TM_NONE, TM_RTX, TM_TLP, TM_REO, TM_PERSIST, TM_KEEP, TM_TIMEWAIT, TM_FINWAIT2,
};

/* Sequence-space comparisons (modulo 2^32). */
static inline int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline int seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline int seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }
static inline uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* What TCP_INFO reports beyond the state of the tcb, counted as it
 * happens (Linux's struct tcp_info names). Loss recovery keeps lost,
 * delivered, dsack_dups and reord_seen; input and output the rest. */
struct tcp_counters {
	uint64_t bytes_sent, bytes_retrans, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, data_segs_out, data_segs_in;
	uint32_t lost;		/* segments now thought lost */
	uint32_t delivered;	/* segments the peer has (acked or SACKed) */
	uint32_t dsack_dups;	/* D-SACK blocks received */
	uint32_t reord_seen;	/* reorderings detected */
	uint32_t min_rtt;	/* µs, 0: no sample yet */
	uint64_t last_data_sent, last_data_recv, last_ack_recv;	/* µs */
	uint64_t busy_time, rwnd_limited, sndbuf_limited;	/* µs */
	uint32_t rcv_ooopack;	/* segments received out of order */
	uint16_t total_rto;	/* retransmission timeouts */
	uint8_t limit;		/* enum tcp_limit: what holds the sender now */
	uint64_t limit_since;	/* µs, since when */
};

/* A piece of the flight on the scoreboard (tcp_sack.c). */
enum { SB_SACKED = 1, SB_LOST = 2, SB_RTX = 4 };
struct sbent {
	uint32_t start, end;
	uint64_t xmit;		/* µs, when it was last sent */
	uint8_t flags;		/* SB_* */
};

/* RACK's state (RFC 8985 6.1): the last piece delivered, by send time. */
struct rack {
	uint64_t xmit;		/* µs, when it was sent */
	uint32_t end;		/* and where it ended */
	uint32_t rtt, min_rtt;	/* µs: its round trip; the least seen */
	uint32_t fack;		/* the highest end delivered */
	uint64_t deadline;	/* µs, the reordering timer; 0: none */
	uint8_t reord;		/* reordering was seen */
	uint16_t reordering;	/* segments, the farthest one came late (Linux's
				 * tp->reordering, TCP_INFO); 0: none seen */
};

/* What holds the sender back (tcp_info.c). */
enum tcp_limit { TCP_LIMIT_IDLE, TCP_LIMIT_BUSY, TCP_LIMIT_RWND, TCP_LIMIT_SNDBUF };

/* CUBIC's memory (RFC 9438 4.1), tcp_cubic.c. Windows in bytes. */
struct tcp_cubic {
	uint64_t epoch_start;	/* µs: this congestion avoidance stage began; 0: none yet */
	uint32_t w_max;		/* the curve's plateau: cwnd at the last loss, 0: none */
	uint32_t w_max_prior;	/* w_max before that loss, for tcp_cc_undo */
	uint32_t cwnd_prior;	/* cwnd at the last loss */
	uint32_t k_ms;		/* time from the epoch to the plateau */
	uint32_t w_est;		/* the window Reno would have now */
	uint32_t est_acked;	/* bytes acknowledged not yet in w_est */
};

/* HyStart++ (RFC 9406 4.2), tcp_cubic.c: rounds of the first slow start
 * and their smallest RTT, µs (UINT32_MAX: no sample). */
struct tcp_hystart {
	uint32_t window_end;	/* the round ends when this is acknowledged */
	uint32_t cur_min_rtt, last_min_rtt, css_base_rtt;
	uint8_t samples;	/* RTT samples in this round */
	uint8_t css_rounds;	/* rounds ended in conservative slow start */
	uint8_t css;		/* in conservative slow start */
};

/* The delivery rate (tcp_cc.c), measured a round trip at a time: what
 * the peer received (acknowledged or SACKed) over the round's length.
 * A round ends when data sent after it began is delivered. */
struct tcp_rate {
	uint64_t delivered;	/* bytes delivered, all told */
	uint64_t round_delivered;	/* delivered when the round began */
	uint64_t round_start;	/* µs */
	uint32_t round_end;	/* snd_max when it began */
	uint32_t rate;		/* bytes/ms, the last round's */
	uint8_t app_limited;	/* the sender ran out of data in the round */
	uint8_t round_app_limited;	/* the last round did */
};

/* BBR's model of the path (tcp_bbr.c): rates in bytes/ms, times in µs.
 * Allocated only for a connection that uses BBR (the idle ones stay
 * small). */
enum { BBR_BW_ROUNDS = 10 };
struct tcp_bbr {
	uint32_t bw[BBR_BW_ROUNDS];	/* delivery rates of recent rounds */
	uint32_t pacing_rate;	/* bytes/ms, 0: not paced yet */
	uint32_t min_rtt, rtt_sample;	/* the least round trip; the newest */
	uint64_t min_rtt_stamp;	/* when min_rtt was seen */
	uint64_t cycle_stamp;	/* the gain cycle's phase began */
	uint64_t probe_rtt_done;	/* ProbeRTT may end then; 0: not timed yet */
	uint64_t pace_at;	/* the next packet may leave then */
	struct tcb *pace_next;	/* on the stack's list of paced connections */
	uint32_t full_bw;	/* startup's best rate */
	uint32_t prior_cwnd;	/* cwnd before recovery, a timeout or ProbeRTT */
	uint32_t rounds;	/* rounds counted */
	uint32_t conserve_end;	/* packet conservation until rounds reaches it */
	uint32_t probe_rtt_round;	/* rounds when ProbeRTT's flight got low */
	uint8_t mode;		/* enum bbr_mode */
	uint8_t phase;		/* of the ProbeBW gain cycle */
	uint8_t full_bw_cnt;	/* startup rounds without growth */
	uint8_t bw_next;	/* the slot of bw the next round fills */
	uint8_t full : 1, paced : 1, recovering : 1, conserving : 1;
};

/* The transmission control block. */
struct tcb {
	struct sock *so;	/* NULL once the descriptor is closed */
	struct tcb *hnext;	/* chain of the 4-tuple hash */
	struct tcb *pnext;	/* chain of the local-port hash */
	struct tcb *parent;	/* listener, while not yet accepted */
	struct tcb *qnext;	/* listener's SYN queue or accept queue */
	struct tcb *onext;	/* on the list of output due at flush */

	uint32_t laddr, faddr;
	uint16_t lport, fport;
	uint8_t v6;		/* IPv6: the addresses are laddr6, faddr6 (laddr,
				 * faddr 0); a listener's laddr6 :: is any */
	struct in6_addr laddr6, faddr6;
	uint8_t state;		/* enum nc_tcp_state */
	uint8_t tmode;		/* enum tcp_tmode */
	uint8_t hashed : 1, bound : 1, connected : 1, nodelay : 1, keepalive : 1, data_seen : 1;
	uint8_t shut_rd : 1, shut_wr : 1, fin_sent : 1, fin_rcvd : 1, fin_pending : 1;
	uint8_t ts_ok : 1, sack_ok : 1, ws_ok : 1, ack_now : 1, in_recovery : 1;
	uint8_t timing : 1, passive : 1, force : 1, tlp_done : 1, output_due : 1;
	uint8_t catchall : 1;	/* NC_TCP_CATCHALL asked */
	uint8_t rto_loss : 1, cwnd_limited : 1, probing : 1, undo_ok : 1;
	uint8_t frto : 1;	/* F-RTO (RFC 5682) watches this timeout */
	uint8_t orig_delivered : 1;	/* and saw data sent before it delivered */
	uint8_t cork : 1;	/* TCP_CORK: hold partial segments */
	uint8_t more : 1;	/* MSG_MORE: the same, for the send in progress */
	uint8_t push : 1;	/* send partial segments now, cork or Nagle */
	uint8_t inq : 1;	/* TCP_INQ asked for */
	uint8_t dsack_due : 1;	/* the next ACK reports dsack (RFC 2883) */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t cc;		/* enum tcp_ccalg */
	uint8_t nrtx;		/* consecutive timeouts (backoff) */
	uint8_t kprobes;	/* keepalive probes unanswered */
	uint8_t dupacks;
	uint8_t nooo;

	/* send sequence space */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, max_sndwnd, snd_wl1, snd_wl2;
	uint16_t mss;		/* largest payload + options we may send */
	uint32_t push_seq;	/* end of the last write that asked for PSH */
	uint32_t burst;		/* new bytes sent by this round of output */
	uint32_t notsent_lowat;	/* TCP_NOTSENT_LOWAT, 0: none */
	uint16_t user_mss;	/* TCP_MAXSEG, 0: none */
	uint8_t ttl, tos;	/* the socket's, kept for after close() */

	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv;	/* rcv_adv: right edge advertised */
	uint32_t fin_seq;	/* an out-of-order FIN, when fin_pending */
	uint32_t unacked;	/* bytes received since our last ACK */
	uint32_t rcv_mss;	/* largest segment seen, for ACK every second */
	uint64_t last_data;	/* µs, when in-order data last came */
	/* receive buffer autotuning (tcp_sock.c) */
	uint32_t rcv_rtt;	/* µs, from the peer's echo of our timestamps; 0: none yet */
	uint32_t tune_seq;	/* the first byte unread when the measure began */
	uint64_t tune_start;	/* µs, when it began; 0: not yet */
	uint8_t quickacks;	/* ACKs still to send at once, not delayed */

	/* timestamps (RFC 7323) */
	uint32_t ts_recent, ts_offset;

	/* round-trip time (RFC 6298), µs */
	uint32_t srtt, rttvar, rto;
	uint32_t rtt_seq;	/* the segment being timed (no timestamps) */
	uint64_t rtt_start;

	/* congestion control (RFC 5681) and loss recovery (RFC 6675, 6937) */
	uint32_t cwnd, ssthresh, recover, bytes_acked;
	uint32_t recover_fs, prr_delivered, prr_out;	/* PRR: bytes; segments */
	uint32_t reno_sacked;	/* without SACK: what duplicate ACKs stand for */
	uint32_t max_out, usage_seq;	/* most in flight since usage_seq (RFC 7661) */
	uint32_t prior_cwnd, prior_ssthresh;	/* before the reduction, for undo */
	uint32_t undo_marker, undo_retrans;	/* where it began; segments resent since */
	struct sbent *sb;	/* the scoreboard, NULL while nothing is SACKed or lost */
	uint32_t nsb, sbroom;	/* its pieces, its room */
	uint32_t sacked, lostb;	/* bytes SACKed, and lost not resent */
	uint64_t xmit_last;	/* µs, new data last sent */
	uint32_t tail_seq;	/* where the last new data sent began */
	struct rack rack;
	struct tcp_rate rs;
	union {			/* the algorithm's own, as t->cc says */
		struct {
			struct tcp_cubic cubic;
			struct tcp_hystart hs;
		};
		struct tcp_bbr *bbr;	/* NULL until the connection is established */
	};

	/* buffers: sndq byte 0 is snd_una (after the SYN); rcvq byte 0 is the
	 * first unread byte, byte rcvq.len is rcv_nxt */
	struct bufq sndq, rcvq;
	uint32_t sndbuf, rcvbuf;
	struct seqrange *ooo;	/* received beyond rcv_nxt, newest first: room for
				 * TCP_OOO_MAX while nooo > 0, else NULL (an
				 * idle connection carries no room) */
	struct seqrange dsack;	/* data that came twice, when dsack_due */

	/* listener */
	struct tcb *synq, *acceptq;
	uint16_t backlog, nsynq, nacceptq;
	uint64_t cookies_until;	/* µs: ACKs may bring cookies back until then */

	/* timers */
	struct timer timer;	/* retransmit, persist, keepalive, TIME_WAIT */
	struct timer dack;	/* delayed ACK */
	uint64_t conn_deadline;	/* µs, for SYN retransmission */
	uint64_t last_rcv;	/* µs, for keepalive */
	uint32_t conn_timeout_ms;
	uint32_t user_timeout_ms;	/* TCP_USER_TIMEOUT, 0: none (RFC 5482) */
	uint64_t una_since;	/* µs, since when snd_una has not moved */
	uint32_t keepidle, keepintvl;	/* seconds */
	uint8_t keepcnt;

	struct tcp_counters cnt;
	int soft_error;		/* an ICMP error seen while established */
	uint32_t retrans;	/* segments retransmitted, for NC_TCP_INFO */
};

/* Counters, indexes of struct tcp's stats; names in tcp.c. */
enum {
	TCPS_ACTIVE_OPENS, TCPS_PASSIVE_OPENS, TCPS_ATTEMPT_FAILS, TCPS_ESTAB_RESETS,
	TCPS_CURR_ESTAB, TCPS_IN_SEGS, TCPS_OUT_SEGS, TCPS_RETRANS_SEGS, TCPS_IN_ERRS,
	TCPS_OUT_RSTS, TCPS_CURR_TIME_WAIT, TCPS_SYNCOOKIES_SENT, TCPS_SYNCOOKIES_RECV,
	TCPS_SYNCOOKIES_FAILED, TCPS_TIME_WAIT_OVERFLOW, TCPS_IN_PLACE, TCPS_IN_PLACE_MISSED,
	TCPS_N
};

enum { TCP_HASH = 4096, TCP_PHASH = 1024 };

struct tcp {
	struct tcb *hash[TCP_HASH];	/* connections, by 4-tuple */
	struct tcb *phash[TCP_PHASH];	/* every bound tcb, by local port */
	struct tcb *due;		/* output after this batch of input */
	struct tcb *catchall;		/* listener for ports nobody listens on */
	uint64_t stats[TCPS_N];
	uint64_t challenge_start;	/* µs, of the current second */
	uint32_t challenges;		/* challenge ACKs sent in it */
	uint32_t challenge_limit;	/* and how many it may have */
	unsigned ntcb;			/* control blocks alive */
	unsigned nscore;		/* scoreboards allocated */
	unsigned nooo;			/* out-of-order tables allocated */
	unsigned nbbr;			/* BBR models allocated */
	unsigned timewait_max;		/* TCP_TIMEWAIT_MAX; a test may lower it */
	struct tcb *hot;		/* receiving in place: the guess (tcp_place.c) */
	struct tcb *placed;		/* the input in progress is the guess's */
	struct tcb *paced;		/* connections waiting for their pacing time */
	struct timer pace;		/* the earliest of those times */
};

/* The payload of a full segment: the MSS less the timestamp option
 * (segments counted by recovery). */
static inline uint32_t tcp_smss(const struct tcb *t)
{
	return t->mss - (t->ts_ok ? OPT_TS_LEN : 0u);
}

/* tcp.c: connections */
/* A closed tcb with its timers: NULL when memory runs out. */
struct tcb *tcp_tcb_new(struct stack *st);
void tcp_tcb_free(struct stack *st, struct tcb *t);
/* The initial sequence number (RFC 6528) and timestamp offset of t. */
void tcp_new_isn(struct stack *st, struct tcb *t);
void tcp_hash_insert(struct stack *st, struct tcb *t);
void tcp_port_insert(struct stack *st, struct tcb *t);
int tcp_port_in_use(struct stack *st, uint16_t port);
int tcp_bind_conflict(struct stack *st, const struct sock *so, uint32_t addr, uint16_t port);
void tcp_setstate(struct stack *st, struct tcb *tcb, int state);
/* The connection ends here; err (positive errno, 0 for a normal end) is
 * reported to the socket if there is one. */
void tcp_close(struct stack *st, struct tcb *tcb, int err);
/* Report a TCP event to the log (stack_log), src and dst as the segment
 * it is about goes. */
void tcp_log(struct stack *st, const char *what, const char *why, uint32_t src, uint32_t dst,
	     uint16_t sport, uint16_t dport);
struct tcb *tcp_lookup(struct stack *st, uint32_t laddr, uint16_t lport, uint32_t faddr,
		       uint16_t fport);
struct tcb *tcp_listener(struct stack *st, uint32_t laddr, uint16_t lport);
/* The same for IPv6; a dual-stack listener (an AF_INET6 socket bound to
 * ::, not IPV6_V6ONLY) answers both families. */
struct tcb *tcp_lookup6(struct stack *st, const struct in6_addr *laddr, uint16_t lport,
			const struct in6_addr *faddr, uint16_t fport);
struct tcb *tcp_listener6(struct stack *st, const struct in6_addr *laddr, uint16_t lport);
/* The connection or listener a segment is for, either family. */
struct tcb *tcp_lookup_seg(struct stack *st, const struct seg *s);
struct tcb *tcp_listener_seg(struct stack *st, const struct seg *s);
/* The two addresses of an IPv6 4-tuple as one word for stack_hash (use's
 * keyed hash of them: an IPv4 pair is laddr << 32 | faddr as it is). */
uint64_t tcp_addr_key6(const struct stack *st, enum hash_use use, const struct in6_addr *laddr,
		       const struct in6_addr *faddr);
/* Payload of a segment without options that fits the path: the link's
 * MTU (or an IPv6 destination's path MTU) less the headers. */
uint32_t tcp_path_mss(const struct stack *st, const struct tcb *t);
unsigned tcp_synq_max(const struct tcb *l);
void tcp_child_init(struct stack *st, struct tcb *c, struct tcb *l, const struct seg *s);
struct tcb *tcp_new_child(struct stack *st, struct tcb *l, const struct seg *s);
int tcp_child_established(struct stack *st, struct tcb *tcb);
void tcp_child_accepted(struct stack *st, struct tcb *c);
void tcp_wake(struct stack *st, struct tcb *tcb);
/* tcp_output at the end of the input batch (tcp_flush). */
void tcp_output_later(struct stack *st, struct tcb *tcb);

/* tcp_place.c */
/* Queue len in-order bytes at d (or where the driver read them), and
 * note a bulk receiver for the next guess; returns the bytes queued. */
size_t tcp_rcvq_in_order(struct stack *st, struct tcb *t, const uint8_t *d, uint32_t len);
/* t goes: no longer a guess. */
void tcp_place_forget(struct stack *st, const struct tcb *t);

/* tcp_input.c */
/* What a SYN (or SYN-ACK) s tells t: MSS, window scale, SACK, timestamps,
 * the peer's ISN and window. */
void tcp_syn_options(struct stack *st, struct tcb *t, const struct seg *s);

/* tcp_syncookie.c: SYN cookies (RFC 4987 3.6) */
/* Answer SYN s to listener l, whose SYN queue is full, with a SYN-ACK
 * whose ISN is a cookie; nothing is kept. */
void tcp_cookie_send(struct stack *st, struct tcb *l, const struct seg *s);
/* Does ACK s to listener l return a cookie of ours? 0 and *syn filled
 * with what the SYN it answers told (addresses, ISN, MSS, and with
 * timestamps window scale and SACK), or -1. */
int tcp_cookie_check(struct stack *st, struct tcb *l, const struct seg *s, struct seg *syn);

/* tcp_output.c: segments */
void tcp_output(struct stack *st, struct tcb *tcb);
/* Send the next segment the windows allow; 0 when there is none. */
int tcp_send_one(struct stack *st, struct tcb *t);
/* Send len bytes of the send queue from seq, with flags. */
void tcp_send_seg(struct stack *st, struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags);
void tcp_send_rst(struct stack *st, struct tcb *tcb);
/* A segment the peer must answer (keepalive and zero-window probes). */
void tcp_send_probe(struct stack *st, struct tcb *t);
/* A segment outside any connection: the answer (RST) to segment in. */
void tcp_respond(struct stack *st, const struct seg *in, uint32_t seq, uint32_t ack,
		 uint8_t flags);
/* The tail loss probe (RFC 8985 7.3): a segment of new data, else the
 * last segment again. */
void tcp_send_tlp(struct stack *st, struct tcb *t);
/* Payload room in one segment; the end of the queued data; in flight. */
uint32_t tcp_seg_room(const struct tcb *t);
uint32_t tcp_data_end(const struct tcb *t);
uint32_t tcp_flight(const struct tcb *t);
uint32_t tcp_rcv_window(const struct tcb *tcb);
uint8_t tcp_our_wscale(void);
uint32_t tcp_ts_now(const struct stack *st, const struct tcb *tcb);

/* tcp_info.c: TCP_INFO */
void tcp_linux_info(const struct stack *st, const struct tcb *t, struct nc_linux_tcp_info *i);
/* Account the time until now to what limited the sender, and look again
 * (after anything that sends, acknowledges or queues data). */
void tcp_limit_update(const struct stack *st, struct tcb *t);

/* tcp_timer.c */
/* A new tcb's two timers, their room kept: 0, or -ENOMEM. */
int tcp_timers_init(struct stack *st, struct tcb *tcb);
/* Stop them (the tcb lives on), or stop them and give their room back. */
void tcp_timers_stop(struct stack *st, struct tcb *tcb);
void tcp_timers_fini(struct stack *st, struct tcb *tcb);
/* Choose what the connection timer should be doing now. */
void tcp_timer_update(struct stack *st, struct tcb *tcb);
void tcp_timer_restart_rtx(struct stack *st, struct tcb *tcb);
void tcp_enter_timewait(struct stack *st, struct tcb *tcb);
/* Is tcb an orphan in Time_wait beyond the bound (counted if so)? */
int tcp_timewait_over(struct stack *st, struct tcb *tcb);
void tcp_delack(struct stack *st, struct tcb *tcb);

/* tcp_cc.c: round-trip time, the congestion control algorithm */
void tcp_rtt_sample(struct tcb *tcb, uint32_t rtt_us);
void tcp_cc_init(struct stack *st, struct tcb *tcb);
/* The algorithm's two answers: the slow-start threshold after a loss
 * (fast recovery or a timeout), and growth of cwnd for acked new bytes
 * outside recovery. */
uint32_t tcp_cc_ssthresh(struct stack *st, struct tcb *tcb);
void tcp_cc_grow(struct stack *st, struct tcb *tcb, uint32_t acked);
/* What the algorithm is told beside: an RTT sample (tcp_rtt_sample),
 * sending starts again after idle_us with nothing in flight
 * (tcp_send_one). */
void tcp_cc_rtt(struct tcb *tcb, uint32_t rtt_us);
void tcp_cc_idle_end(struct tcb *tcb, uint64_t idle_us);
/* Data is to go after idle: cwnd restarts (slow start after idle). */
void tcp_cc_idle_restart(struct stack *st, struct tcb *tcb);
/* The initial window in bytes (RFC 6928). */
uint32_t tcp_initial_window(const struct tcb *tcb);
/* Switch tcb to algorithm cc (enum tcp_ccalg), keeping its window: 0,
 * or -ENOMEM (no room for BBR's model; the algorithm stays). */
int tcp_cc_set(struct stack *st, struct tcb *tcb, int cc);
/* The connection is gone: what its algorithm holds is freed. */
void tcp_cc_free(struct stack *st, struct tcb *tcb);
/* Does the algorithm set cwnd from a model on every ACK, in recovery
 * too (BBR, once established: its model exists), rather than grow it
 * and cut it at a loss? */
int tcp_cc_model(const struct tcb *tcb);
/* An ACK delivered bytes (acknowledged or SACKed): the delivery rate.
 * 1: a round trip ended with it, and tcb->rs.rate is the round's. */
int tcp_rate_ack(struct stack *st, struct tcb *tcb, uint32_t delivered);
/* Output stopped with nothing left to send: the round is app-limited. */
void tcp_rate_app_limited(struct tcb *tcb);
/* May the next packet leave now (always when forced: a probe)? If not,
 * tcb waits for its pacing time. */
int tcp_pace_ok(struct stack *st, struct tcb *tcb);
/* A packet of len bytes left: the next waits len / pacing rate. */
void tcp_paced(struct stack *st, struct tcb *tcb, uint32_t len);

/* A reduction proved spurious: back to prior_cwnd and prior_ssthresh. */
void tcp_cc_undo(struct stack *st, struct tcb *tcb);

/* tcp_recovery.c: loss recovery */
/* An ACK: acked bytes newly acknowledged, sacked bytes newly SACKed, dup
 * a duplicate ACK (RFC 5681). */
void tcp_recovery_ack(struct stack *st, struct tcb *t, uint32_t acked, uint32_t sacked, int dup);
void tcp_recovery_reo_timeout(struct stack *st, struct tcb *t);
/* A D-SACK block b: data received twice. */
void tcp_recovery_dsack(struct stack *st, struct tcb *t, struct seqrange b);
/* The retransmission timer went off; -1: go back to snd_una. */
int tcp_recovery_timeout(struct stack *st, struct tcb *t);
/* After a burst: did cwnd stop it (RFC 7661)? */
void tcp_cwnd_validate(struct tcb *t, int limited);

/* tcp_sack.c: the scoreboard */
/* The SACK blocks of s: the bytes newly SACKed. */
uint32_t tcp_sack_update(struct stack *st, struct tcb *t, const struct seg *s);
int tcp_sb_start(struct stack *st, struct tcb *t);
void tcp_sb_free(struct stack *st, struct tcb *t);
/* tcp_input.c: forget the out-of-order ranges (the bytes stay in rcvq). */
void tcp_ooo_free(struct stack *st, struct tcb *t);
void tcp_sb_tidy(struct stack *st, struct tcb *t);
uint32_t tcp_sb_acked(struct stack *st, struct tcb *t);
void tcp_sb_sent(struct stack *st, struct tcb *t, uint32_t start, uint32_t end);
void tcp_sb_resent(struct stack *st, struct tcb *t, uint32_t start, uint32_t end);
void tcp_sb_mark_lost(struct tcb *t, struct sbent *e);
void tcp_sb_lose(struct stack *st, struct tcb *t, uint32_t start, uint32_t end);
/* Nothing is lost after all (a timeout proved spurious). */
void tcp_sb_unlose(struct tcb *t);
int tcp_sb_next_lost(const struct tcb *t, uint32_t *seq, uint32_t *len);
/* Bytes in the network (RFC 6675 pipe). */
uint32_t tcp_pipe(const struct tcb *t);

/* tcp_rack.c: RACK */
void tcp_rack_delivered(struct stack *st, struct tcb *t, const struct sbent *e);
void tcp_rack_detect(struct stack *st, struct tcb *t);

/* tcp_cubic.c: CUBIC (RFC 9438) with HyStart++ (RFC 9406), behind the
 * tcp_cc_* functions of the same names */
void cubic_init(struct tcb *tcb);
uint32_t cubic_ssthresh(struct stack *st, struct tcb *tcb);
void cubic_grow(struct stack *st, struct tcb *tcb, uint32_t acked);
void cubic_rtt(struct tcb *tcb, uint32_t rtt_us);
void cubic_idle_end(struct tcb *tcb, uint64_t idle_us);
void cubic_undo(struct tcb *tcb);

/* tcp_bbr.c: BBR, behind the tcp_cc_* functions of the same names */
/* A model for a connection, NULL when memory runs out; its freeing
 * (and leaving the pacing list). */
struct tcp_bbr *bbr_new(struct stack *st);
void bbr_free(struct stack *st, struct tcb *tcb);
void bbr_init(struct stack *st, struct tcb *tcb);
uint32_t bbr_ssthresh(struct tcb *tcb);
/* Every ACK, after loss recovery has counted it: the model, cwnd and
 * the pacing rate. */
void bbr_ack(struct stack *st, struct tcb *tcb, uint32_t delivered, int round);
void bbr_rtt(struct tcb *tcb, uint32_t rtt_us);
void bbr_undo(struct tcb *tcb);
/* The stack's pacing timer went off. */
void bbr_pace_timeout(struct stack *st, struct timer *tm);

#endif
