/*
 * CUBIC (RFC 9438) and HyStart++ (RFC 9406), tcp_cubic.c: the window a
 * control block gets from tcp_cc_ssthresh and tcp_cc_grow under a
 * scripted stream of ACKs, against the RFCs' formulas (computed here in
 * floating point); then TCP_CONGESTION through the socket calls.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <netinet/tcp.h>
#include <string.h>

#include "fixture.h"
#include "sock.h"
#include "tcp_impl.h"

enum { MSS = 1000, SEC = 1000000 };

static const double C = 0.4, BETA = 0.7;

static struct stack st;
static struct tcb t;

/* A connection just established, with CUBIC, at time 1 s. */
static void fresh(void)
{
	memset(&st, 0, sizeof st);
	memset(&t, 0, sizeof t);
	st.now = SEC;
	t.mss = MSS;
	t.cc = TCP_CC_CUBIC;
	t.snd_una = t.snd_max = 1;
	tcp_cc_init(&st, &t);
}

static double segs(uint32_t bytes)
{
	return (double)bytes / MSS;
}

/* ACKs of one segment each, a window of them each rtt, until time end. */
static void ack_until(uint64_t rtt, uint64_t end)
{
	t.srtt = (uint32_t)rtt;
	while (st.now < end) {
		st.now += rtt / (t.cwnd / MSS);
		t.snd_una += MSS;
		t.snd_max += MSS;
		tcp_cc_grow(&st, &t, MSS);
	}
}

/* A loss with w segments in flight and cwnd; recovery then leaves
 * cwnd at ssthresh. */
static void loss_at(uint32_t w)
{
	t.cwnd = w * MSS;
	t.snd_max = t.snd_una + w * MSS;
	t.ssthresh = tcp_cc_ssthresh(&st, &t);
	t.cwnd = t.ssthresh;
}

/* RFC 9438 figure 2 for a loss at W_max, and figure 1. */
static double k_of(double w_max, double cwnd_epoch)
{
	return cbrt((w_max - cwnd_epoch) / C);
}

static double w_cubic(double t_s, double k, double w_max)
{
	return C * pow(t_s - k, 3) + w_max;
}

TestSuite(cubic, .init = fresh);

Test(cubic, a_loss_sets_ssthresh_to_beta_times_the_flight)
{
	loss_at(100);
	cr_assert_eq(t.ssthresh, 70 * MSS);
	cr_assert_eq(t.cubic.w_max, 100 * MSS);
	loss_at(2);
	cr_assert_eq(t.ssthresh, 2 * MSS, "never below 2 segments");
}

/* The ACKs that came with the one showing a loss may have taken most of
 * the flight away: ssthresh is β times cwnd (as Linux), not β times the
 * little left in flight; NewReno's is half of cwnd. */
Test(cubic, ssthresh_follows_cwnd_not_what_is_left_in_flight)
{
	t.cwnd = 100 * MSS;
	t.snd_max = t.snd_una + 10 * MSS;
	cr_assert_eq(tcp_cc_ssthresh(&st, &t), 70 * MSS);
	t.cc = TCP_CC_RENO;
	cr_assert_eq(tcp_cc_ssthresh(&st, &t), 50 * MSS);
}

/* K as RFC 9438 computes it, for a few windows: to the millisecond. */
Test(cubic, k_is_the_cube_root_of_the_window_lost_over_c)
{
	static const uint32_t w[] = { 10, 100, 1000, 12345, 100000 };

	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		fresh();
		loss_at(w[i]);
		ack_until(100000, st.now + 1);	/* the epoch starts */
		double k = k_of(w[i], segs(t.ssthresh)) * 1000;
		cr_assert(fabs(t.cubic.k_ms - k) <= 1, "W_max %u: K %u ms, RFC %.1f ms", w[i],
			  t.cubic.k_ms, k);
	}
}

/* After a loss at W_max, cwnd follows W_cubic(t) at t = 0, K/2, K, 2K
 * (concave, plateau, convex), within a segment and a half. The RTT is
 * long enough for the curve to stay above the Reno estimate. */
static void follows_the_curve(uint32_t w_max, uint64_t rtt)
{
	double k, epoch;
	static const double at[] = { 0, 0.5, 1, 1.5, 2 };

	loss_at(w_max);
	ack_until(rtt, st.now + 1);
	epoch = (double)t.cubic.epoch_start / SEC;
	k = k_of(w_max, segs(t.ssthresh));
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		double ts = at[i] * k, want = w_cubic(ts, k, w_max);
		ack_until(rtt, (uint64_t)((epoch + ts) * SEC));
		cr_assert(fabs(segs(t.cwnd) - want) <= 1.5,
			  "W_max %u, t = %.2f K: cwnd %.2f segments, W_cubic %.2f", w_max, at[i],
			  segs(t.cwnd), want);
	}
}

Test(cubic, window_follows_w_cubic_after_a_loss_at_100_segments)
{
	follows_the_curve(100, 200000);
}

Test(cubic, window_follows_w_cubic_after_a_loss_at_1000_segments)
{
	follows_the_curve(1000, 100000);
}

Test(cubic, window_follows_w_cubic_after_a_loss_at_20_segments)
{
	follows_the_curve(20, 300000);
}

/* With a 10 ms round trip Reno would grow faster than the curve: cwnd is
 * W_est = cwnd_epoch + α t / RTT (α = 3(1-β)/(1+β) until W_est reaches
 * the window of the loss, 1 after). */
Test(cubic, reno_friendly_region_takes_over_when_larger)
{
	const double alpha = 3 * (1 - BETA) / (1 + BETA);
	double k, epoch;
	uint64_t rtt = 10000;

	loss_at(100);
	ack_until(rtt, st.now + 1);
	epoch = (double)t.cubic.epoch_start / SEC;
	k = k_of(100, 70);
	/* 40 round trips: W_est 70 + 40 α = 91.2; the curve is at 77.8 */
	ack_until(rtt, (uint64_t)((epoch + 0.4) * SEC));
	cr_assert_lt(w_cubic(0.4, k, 100), 78);
	cr_assert(fabs(segs(t.cwnd) - (70 + 40 * alpha)) <= 1, "cwnd %.2f, W_est %.2f",
		  segs(t.cwnd), 70 + 40 * alpha);
	/* W_est reaches 100 after 30 / α = 56.7 round trips; 20 more at α = 1 */
	ack_until(rtt, (uint64_t)((epoch + (30 / alpha + 20) / 100) * SEC));
	cr_assert_lt(w_cubic((30 / alpha + 20) / 100, k, 100), 84);
	cr_assert(fabs(segs(t.cwnd) - 120) <= 1.5, "cwnd %.2f, W_est 120", segs(t.cwnd));
}

/* A loss before the window is back at W_max: W_max = cwnd (1 + β) / 2
 * (RFC 9438 4.7), and the curve's plateau is there. */
Test(cubic, fast_convergence_lowers_w_max)
{
	double w_max = 90 * (1 + BETA) / 2, k, epoch;

	loss_at(100);
	ack_until(200000, st.now + SEC);
	loss_at(90);
	cr_assert_eq(t.cubic.w_max, 90 * MSS * 17 / 20);
	ack_until(200000, st.now + 1);
	epoch = (double)t.cubic.epoch_start / SEC;
	k = k_of(w_max, segs(t.ssthresh));
	ack_until(200000, (uint64_t)((epoch + k) * SEC));
	cr_assert(fabs(segs(t.cwnd) - w_max) <= 1.5, "cwnd %.2f at K, plateau %.2f",
		  segs(t.cwnd), w_max);
	/* and a loss above W_max sets it to cwnd */
	loss_at(200);
	cr_assert_eq(t.cubic.w_max, 200 * MSS);
}

/* What a retransmission timeout asks of the algorithm (tcp_recovery.c's
 * tcp_recovery_timeout): the new ssthresh, then one segment. */
static void timeout(void)
{
	t.ssthresh = tcp_cc_ssthresh(&st, &t);
	t.cwnd = MSS;
}

/* After a timeout, slow start up to ssthresh, then the curve starts
 * there with K = 0 and W_max = that window (RFC 9438 4.8): convex
 * from the start. */
Test(cubic, after_a_timeout_the_curve_starts_at_the_window)
{
	double epoch;

	t.cwnd = 100 * MSS;
	t.snd_max = t.snd_una + 100 * MSS;
	t.nrtx = 1;		/* as the retransmission timer counts it */
	timeout();
	cr_assert_eq(t.cwnd, MSS);
	cr_assert_eq(t.ssthresh, 70 * MSS);
	t.nrtx = 2;		/* and again: the loss found cwnd at 100 */
	timeout();
	cr_assert_eq(t.cubic.cwnd_prior, 100 * MSS);
	t.nrtx = 0;
	while (t.cwnd < t.ssthresh)
		ack_until(100000, st.now + 100000);
	cr_assert_eq(t.cwnd, 70 * MSS, "slow start stops at ssthresh");
	ack_until(100000, st.now + 1);
	cr_assert_eq(t.cubic.k_ms, 0);
	cr_assert_eq(t.cubic.w_max, 70 * MSS);
	epoch = (double)t.cubic.epoch_start / SEC;
	ack_until(100000, (uint64_t)((epoch + 4) * SEC));
	cr_assert(fabs(segs(t.cwnd) - w_cubic(4, 0, 70)) <= 1.5, "cwnd %.2f, W_cubic %.2f",
		  segs(t.cwnd), w_cubic(4, 0, 70));
}

/* Time with nothing to send is not time on the curve (RFC 9438 5.8). */
Test(cubic, idle_time_is_left_out_of_the_curve)
{
	uint32_t before;

	loss_at(100);
	ack_until(100000, st.now + 2 * SEC);
	before = t.cwnd;
	st.now += 60 * SEC;
	tcp_cc_idle_end(&t, 60 * SEC);
	ack_until(100000, st.now + 100000);
	cr_assert_leq(t.cwnd, before + 2 * MSS, "cwnd %u after idle, %u before", t.cwnd, before);
}

/* An undone loss gives W_max back (RFC 9438 4.9). */
Test(cubic, undo_restores_w_max)
{
	loss_at(100);
	ack_until(100000, st.now + SEC);
	loss_at(80);
	cr_assert_lt(t.cubic.w_max, 80 * MSS);
	tcp_cc_undo(&st, &t);
	cr_assert_eq(t.cubic.w_max, 100 * MSS);
	cr_assert_eq(t.cubic.epoch_start, 0, "the curve starts again");
}

/* ---- HyStart++ ---- */

/* One ACK of slow start, of a segment, with its RTT sample; the window
 * it opens goes out at once. */
static void ss_ack(uint32_t rtt, uint32_t n)
{
	st.now += rtt / n;
	tcp_rtt_sample(&t, rtt);
	t.snd_una += MSS;
	tcp_cc_grow(&st, &t, MSS);
	if (seq_lt(t.snd_max, t.snd_una + t.cwnd))
		t.snd_max = t.snd_una + t.cwnd;
}

/* One round trip of slow start at this RTT: what is in flight comes
 * back acknowledged. */
static void ss_round(uint32_t rtt)
{
	uint32_t end, n;

	if (seq_lt(t.snd_max, t.snd_una + t.cwnd))
		t.snd_max = t.snd_una + t.cwnd;
	end = t.snd_max;
	n = (end - t.snd_una) / MSS;
	while (seq_lt(t.snd_una, end))
		ss_ack(rtt, n);
}

/* Three rounds at base, two at base + rise: in CSS after them? */
static int css_after_rise(uint32_t base, uint32_t rise)
{
	fresh();
	for (int i = 0; i < 3; i++)
		ss_round(base);
	cr_assert_eq(t.hs.css, 0);
	ss_round(base + rise);
	ss_round(base + rise);
	return t.hs.css;
}

/* RttThresh = max(4 ms, min(lastRoundMinRTT / 8, 16 ms)) (RFC 9406 4.2). */
Test(cubic, hystart_leaves_slow_start_on_an_rtt_rise_of_the_threshold)
{
	static const uint32_t base[] = { 20000, 100000, 200000 };
	static const uint32_t thresh[] = { 4000, 12500, 16000 };

	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(css_after_rise(base[i], thresh[i] - 1), 0,
			     "%u µs more than %u µs: still slow start", thresh[i] - 1, base[i]);
		cr_assert_eq(t.ssthresh, TCP_CWND_MAX);
		cr_assert_eq(css_after_rise(base[i], thresh[i]), 1,
			     "%u µs more than %u µs: conservative slow start", thresh[i], base[i]);
	}
}

/* The rounds HyStart++ counts: window_end is acknowledged. */
static void until_round_ends(uint32_t rtt)
{
	uint32_t end = t.hs.window_end;

	while (t.hs.window_end == end)
		ss_ack(rtt, t.cwnd / MSS);
}

/* The first N_RTT_SAMPLE - 1 (7) samples of a round decide nothing,
 * the 8th does. */
Test(cubic, hystart_needs_eight_samples_a_round)
{
	for (int i = 0; i < 3; i++)
		ss_round(100000);
	until_round_ends(150000);	/* the round mixes both: its minimum is 100 ms */
	cr_assert_eq(t.hs.css, 0);
	for (int i = 0; i < 7; i++) {
		ss_ack(150000, t.cwnd / MSS);
		cr_assert_eq(t.hs.css, 0, "%d samples", i + 1);
	}
	ss_ack(150000, t.cwnd / MSS);
	cr_assert_eq(t.hs.css, 1, "8 samples");
}

/* In CSS the window grows a quarter as fast; after CSS_ROUNDS (5) rounds
 * (the one CSS began in is the first) congestion avoidance begins:
 * ssthresh = cwnd. */
Test(cubic, hystart_css_grows_slowly_and_ends_after_five_rounds)
{
	uint32_t before;

	for (int i = 0; i < 3; i++)
		ss_round(100000);
	while (!t.hs.css)
		ss_ack(120000, t.cwnd / MSS);
	for (int round = 1; round < 5; round++) {
		uint32_t end = t.hs.window_end;
		while (t.hs.window_end == end) {
			before = t.cwnd;
			ss_ack(120000, t.cwnd / MSS);
			cr_assert_eq(t.cwnd - before, MSS / 4, "a quarter of what was acked");
		}
		cr_assert_eq(t.hs.css, 1);
		cr_assert_eq(t.ssthresh, TCP_CWND_MAX, "%d rounds ended in CSS", round);
	}
	while (t.ssthresh == TCP_CWND_MAX) {
		before = t.cwnd;
		ss_ack(120000, t.cwnd / MSS);
	}
	cr_assert_eq(t.ssthresh, before, "the fifth: congestion avoidance from %u", before);
	cr_assert_eq(t.hs.css, 0);
	cr_assert_eq(t.cubic.cwnd_prior, before);
}

/* An RTT below the one CSS began with: it was noise, slow start again. */
Test(cubic, hystart_css_returns_to_slow_start_when_the_rtt_falls)
{
	cr_assert_eq(css_after_rise(100000, 20000), 1);
	ss_round(110000);
	ss_round(110000);
	cr_assert_eq(t.hs.css, 0);
	cr_assert_eq(t.ssthresh, TCP_CWND_MAX);
}

/* A loss ends HyStart++: later slow starts are the standard one. */
Test(cubic, a_loss_in_css_ends_hystart)
{
	uint32_t before;

	cr_assert_eq(css_after_rise(100000, 20000), 1);
	loss_at(t.cwnd / MSS);
	cr_assert_eq(t.hs.css, 0);
	t.cwnd = 10 * MSS;
	t.snd_max = t.snd_una;
	before = t.cwnd;
	ss_round(200000);
	cr_assert_eq(t.cwnd, 2 * before, "slow start doubles the window");
}

/* ---- NewReno keeps its growth ---- */

Test(cubic, newreno_halves_and_adds_a_segment_a_window)
{
	t.cc = TCP_CC_RENO;
	loss_at(100);
	cr_assert_eq(t.ssthresh, 50 * MSS);
	ack_until(100000, st.now + 10 * 100000);
	cr_assert(t.cwnd >= 59 * MSS && t.cwnd <= 60 * MSS, "cwnd %u after 10 round trips",
		  t.cwnd);
}

/* ---- TCP_CONGESTION ---- */

static void get_cc(struct stack *s, int fd, char *name)
{
	socklen_t len = 16;

	memset(name, 'x', 16);
	cr_assert_eq(sock_getopt(s, fd, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_eq(len, 16);
}

static int set_cc(struct stack *s, int fd, const char *name)
{
	return sock_setopt(s, fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)strlen(name));
}

TestSuite(tcp_congestion, .init = two_stacks, .fini = teardown);

Test(tcp_congestion, set_and_get_by_linux_names)
{
	char name[16];
	int fd = tcp_sock(a);

	get_cc(a, fd, name);
	cr_assert_str_eq(name, "cubic", "the default");
	cr_assert_eq(name[15], 0, "zero-padded");
	cr_assert_eq(set_cc(a, fd, "reno"), 0);
	get_cc(a, fd, name);
	cr_assert_str_eq(name, "reno");
	cr_assert_eq(set_cc(a, fd, "cubic"), 0);
	get_cc(a, fd, name);
	cr_assert_str_eq(name, "cubic");
	cr_assert_eq(set_cc(a, fd, "newreno"), 0, "our alias");
	get_cc(a, fd, name);
	cr_assert_str_eq(name, "reno");
	cr_assert_eq(sock_setopt(a, fd, IPPROTO_TCP, TCP_CONGESTION, "cubic\0junk", 10), 0,
		     "up to the first NUL");
	get_cc(a, fd, name);
	cr_assert_str_eq(name, "cubic");
}

Test(tcp_congestion, unknown_names_are_enoent)
{
	char name[16];
	socklen_t len = 3;
	int fd = tcp_sock(a);

	cr_assert_eq(set_cc(a, fd, "vegas"), -ENOENT);
	cr_assert_eq(set_cc(a, fd, "cubicx"), -ENOENT);
	cr_assert_eq(set_cc(a, fd, ""), -EINVAL);
	get_cc(a, fd, name);
	cr_assert_str_eq(name, "cubic", "unchanged");
	cr_assert_eq(sock_getopt(a, fd, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_eq(len, 3, "a short buffer gets what fits");
	cr_assert_eq(memcmp(name, "cub", 3), 0);
}

Test(tcp_congestion, accepted_connections_have_the_listeners)
{
	char name[16];
	int lfd = listen_on(b, 80, 8), c = tcp_sock(a), s;

	cr_assert_eq(set_cc(b, lfd, "reno"), 0);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	run_ms(10);
	s = sock_accept(b, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	get_cc(b, s, name);
	cr_assert_str_eq(name, "reno");
	get_cc(a, c, name);
	cr_assert_str_eq(name, "cubic");
}

/* Switching on a live connection keeps the window, and both algorithms
 * move a megabyte. */
Test(tcp_congestion, switch_on_a_live_connection)
{
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;
	uint32_t cwnd;
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 1 << 20, 10000), 1 << 20);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cwnd = ti.cwnd;
	cr_assert_eq(set_cc(a, c, "reno"), 0);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.cwnd, cwnd);
	cr_assert_eq(pump(a, c, b, s, 1 << 20, 10000), 1 << 20);
}

/* The stack's default comes from its configuration. */
Test(tcp_congestion, stack_default_from_the_config)
{
	struct stack_config ca = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 11,
				   .tcp_cc = TCP_CC_RENO };
	struct stack_config cb = { .addr = B_ADDR, .prefix = 24, .mtu = 1500, .seed = 22 };
	char name[16];
	int c, s;

	teardown();
	l = link_new(&ca, &cb);
	cr_assert_not_null(l);
	a = link_stack(l, LINK_A);
	b = link_stack(l, LINK_B);
	make_pair(80, &c, &s);
	get_cc(a, c, name);
	cr_assert_str_eq(name, "reno");
	cr_assert_eq(pump(a, c, b, s, 1 << 20, 10000), 1 << 20);
	ca.tcp_cc = TCP_CC_N;
	cr_assert_null(link_new(&ca, &cb), "an unknown algorithm is refused");
}
