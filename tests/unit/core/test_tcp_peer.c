/*
 * TCP against a scripted raw peer: each case of the RFCs as a short
 * script of segments in and out (see peer.h), on one stack and a tap.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "icmp.h"
#include "peer.h"
#include "sock.h"
#include "fixture.h"

TestSuite(tcp_peer, .init = stack_and_tap, .fini = teardown);

static struct peer p;

#define SYN_OPTS "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>"

/* The stack listens on 80 and the peer connects from 4000: established,
 * the accepted socket returned. */
static int passive_open(void)
{
	int lfd = listen_on(a, 80, 4), s;

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 " SYN_OPTS);
	peer_expect(&p, 1, "S. 0:0(0) ack 1 <mss 1460,TS val * ecr 100,wscale 8,sackOK>");
	cr_assert_eq(sock_accept(a, lfd, NULL, NULL), -EAGAIN);
	peer_send(&p, 2, ". 1:1(0) ack 1 win 512 <nop,nop,TS val 101 ecr *>");
	peer_run(&p, 3);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
	return s;
}

/* The stack connects to the peer at 80. */
static int active_open(void)
{
	int c = tcp_sock(a);

	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,wscale 8>");
	cr_assert_eq(state_of(a, c), NC_TCP_SYN_SENT);
	peer_send(&p, 2, "S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK,TS val 200 ecr 0,nop,wscale 2>");
	peer_expect(&p, 3, ". 1:1(0) ack 1 <nop,nop,TS val * ecr 200>");
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	return c;
}

Test(tcp_peer, passive_open_and_data)
{
	int s = passive_open();
	char buf[256];

	peer_send(&p, 10, "P. 1:101(100) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 101");	/* the first data: quick-ACK */
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 100);
	cr_assert_eq(buf[0], 'b');	/* the peer's bytes: 'a' + seq % 26 */
}

/* The first 16 segments of 100 bytes from 1, one a round trip (2 ms)
 * from time ms, each ACKed at once (quick-ACK, as Linux); the next
 * sequence number. */
static uint32_t past_quickacks(uint64_t ms)
{
	char spec[80];
	uint32_t seq = 1;

	for (int i = 0; i < 16; i++, seq += 100) {
		snprintf(spec, sizeof spec, "P. %u:%u(100) ack 1 <nop,nop,TS val 102 ecr *>", seq,
			 seq + 100);
		peer_send(&p, ms + 2u * (uint64_t)i, spec);
		snprintf(spec, sizeof spec, ". 1:1(0) ack %u", seq + 100);
		peer_expect(&p, ms + 2u * (uint64_t)i, spec);
	}
	return seq;
}

/* Past the first 16 segments a lone segment's ACK is delayed; after an
 * idle period longer than the RTO, data is ACKed at once again. */
Test(tcp_peer, quick_ack_at_start_and_after_idle)
{
	passive_open();
	cr_assert_eq(past_quickacks(10), 1601);
	peer_send(&p, 50, "P. 1601:1701(100) ack 1 <nop,nop,TS val 103 ecr *>");
	peer_expect_none(&p, 85);
	peer_expect(&p, 90, ". 1:1(0) ack 1701");	/* delayed ACK, 40 ms */
	peer_send(&p, 3000, "P. 1701:1801(100) ack 1 <nop,nop,TS val 104 ecr *>");
	peer_expect(&p, 3000, ". 1:1(0) ack 1801");
}

Test(tcp_peer, active_open_honours_the_peer_mss)
{
	int c = active_open();
	static char buf[5000];
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;

	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.mss, 1000);
	cr_assert_eq(ti.wscale_snd, 2);
	cr_assert_eq(ti.timestamps, 1);
	cr_assert_eq(sock_sendto(a, c, buf, 2500, 0, NULL, 0), 2500);
	peer_expect(&p, 3, ". 1:989(988) ack 1");	/* 1000 less 12 for TS */
	peer_expect(&p, 3, ". 989:1977(988) ack 1");
	peer_expect_none(&p, 8);	/* Nagle holds the small rest */
	peer_send(&p, 8, ". 1:1(0) ack 1977 win 65535 <nop,nop,TS val 201 ecr *>");
	peer_expect(&p, 9, "P. 1977:2501(524) ack 1");
}

/* The congestion window (10 segments) ends the burst before the data
 * does: its last segment carries PSH, as Linux's does. */
Test(tcp_peer, psh_ends_a_burst_the_window_limits)
{
	int c = active_open();
	static char buf[20000];

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), (ssize_t)sizeof buf);
	for (int i = 0; i < 9; i++)
		peer_expect(&p, 3, ". ack 1");
	peer_expect(&p, 3, "P. 8893:9881(988) ack 1");
	peer_expect_none(&p, 5);
}

Test(tcp_peer, syn_is_retransmitted_with_backoff)
{
	int c = tcp_sock(a);

	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0)");
	peer_expect(&p, 1001, "S 0:0(0)");
	peer_expect(&p, 3001, "S 0:0(0)");
	peer_expect(&p, 7001, "S 0:0(0)");
	peer_send(&p, 7002, "S. 0:0(0) ack 1 win 65535 <mss 1460>");
	peer_expect(&p, 7003, ". 1:1(0) ack 1");
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
}

/* The peer answers the last of three SYNs, echoing the first one's
 * timestamp (its answer to that was lost): no round-trip sample of 3 s.
 * srtt stays unset, the timeout starts at 3 s (RFC 6298 5.7), and BBR's
 * first flight is not paced as if a round trip took 3 s. */
Test(tcp_peer, a_syn_sent_again_gives_no_round_trip_sample)
{
	int c = tcp_sock(a);
	static char buf[8000];
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;
	char spec[160];

	cr_assert_eq(sock_setopt(a, c, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3), 0);
	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,wscale 8>");
	snprintf(spec, sizeof spec,
		 "S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 200 ecr %u,nop,wscale 7>",
		 p.tsval);
	peer_expect(&p, 1001, "S 0:0(0)");
	peer_expect(&p, 3001, "S 0:0(0)");
	peer_send(&p, 3002, spec);
	peer_expect(&p, 3002, ". 1:1(0) ack 1");
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.srtt_us, 0, "srtt %u µs", ti.srtt_us);
	cr_assert_eq(ti.rto_us, 3000000, "rto %u µs", ti.rto_us);
	/* one segment after a lost SYN; its ACK lets two go at once */
	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), (ssize_t)sizeof buf);
	peer_expect(&p, 3002, ". 1:1449(1448) ack 1");
	snprintf(spec, sizeof spec, ". 1:1(0) ack 1449 win 65535 <nop,nop,TS val 201 ecr %u>", p.tsval);
	peer_send(&p, 3003, spec);
	peer_expect(&p, 3003, ". 1449:2897(1448) ack 1");
	peer_expect(&p, 3003, ". 2897:4345(1448) ack 1");
}

/* ---- RFC 5961: blind resets and SYNs ---- */

/* Data for a closed socket is answered with a reset of the segment's
 * ACK number, as Linux does (RFC 2525 2.17). */
Test(tcp_peer, data_after_close_is_answered_with_a_reset)
{
	int s = passive_open();

	cr_assert_eq(sock_close(a, s), 0);
	peer_expect(&p, 4, "F. 1:1(0) ack 1");
	peer_send(&p, 20, "P. 1:2(1) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 20, "R 1:1(0)");
}

/* A reset on a connection with timestamps carries one (RFC 7323 3.2). */
Test(tcp_peer, rst_carries_the_timestamp)
{
	int s = passive_open();

	peer_send(&p, 10, "P. 1:101(100) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 101");
	cr_assert_eq(sock_close(a, s), 0);	/* unread data: a reset */
	peer_expect(&p, 10, "R. 1:1(0) ack 101 <nop,nop,TS val * ecr 102>");
}

Test(tcp_peer, rst_in_window_but_not_exact_gets_a_challenge_ack)
{
	int s = passive_open();

	peer_send(&p, 10, "R. 50:50(0) ack 1");
	peer_expect(&p, 10, ". 1:1(0) ack 1");
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
}

/* From 500 to 1500 challenge ACKs a second, a new budget each second
 * (CVE-2016-5696): never more, and not the same count every second. */
Test(tcp_peer, challenge_acks_are_limited_to_a_random_budget_a_second)
{
	int s = passive_open();
	size_t sent[4];

	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < 1600; i++)
			peer_send(&p, 10 + 1100 * (uint64_t)k, "R. 50:50(0) ack 1");
		peer_run(&p, 20 + 1100 * (uint64_t)k);
		sent[k] = 0;
		while (link_recv(l, LINK_B, p.data, sizeof p.data) > 0)
			sent[k]++;
		cr_assert(sent[k] >= 500 && sent[k] <= 1500, "second %d: %zu", k, sent[k]);
	}
	cr_assert(sent[0] != sent[1] || sent[1] != sent[2] || sent[2] != sent[3],
		  "the same %zu every second", sent[0]);
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
}

Test(tcp_peer, rst_outside_the_window_is_ignored)
{
	int s = passive_open();

	peer_send(&p, 10, "R 1000000:1000000(0)");
	peer_expect_none(&p, 100);
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
}

Test(tcp_peer, rst_with_the_exact_sequence_resets)
{
	int s = passive_open();
	char buf[4];

	peer_send(&p, 10, "R 1:1(0)");
	peer_run(&p, 11);
	cr_assert_eq(state_of(a, s), NC_TCP_CLOSED);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), -ECONNRESET);
}

Test(tcp_peer, syn_in_established_gets_a_challenge_ack)
{
	int s = passive_open();

	peer_send(&p, 10, "S 1:1(0) <mss 1460>");
	peer_expect(&p, 10, ". 1:1(0) ack 1");
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
	peer_send(&p, 20, "S 500000:500000(0) <mss 1460>");	/* out of window too */
	peer_expect(&p, 20, ". 1:1(0) ack 1");
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
}

Test(tcp_peer, ack_of_unsent_data_is_answered_and_dropped)
{
	int s = passive_open();
	char buf[8];

	peer_send(&p, 10, "P. 1:5(4) ack 1000 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 1");
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
}

Test(tcp_peer, old_timestamp_fails_paws)
{
	int s = passive_open();
	char buf[8];

	peer_send(&p, 10, "P. 1:5(4) ack 1 <nop,nop,TS val 50 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 1");
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
}

/* ---- the passive side's half-open connections ---- */

Test(tcp_peer, syn_received_goes_back_to_listen_on_rst)
{
	int lfd = listen_on(a, 80, 4);

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1 <mss 1460>");
	peer_send(&p, 2, "R 1:1(0)");
	peer_expect_none(&p, 5000);	/* no SYN-ACK again: it is gone */
	cr_assert_eq(sock_accept(a, lfd, NULL, NULL), -EAGAIN);
	peer_send(&p, 5000, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect(&p, 5001, "S. ack 1");	/* a new ISN, from the clock */
}

Test(tcp_peer, lost_syn_ack_is_sent_again_then_given_up)
{
	int lfd = listen_on(a, 80, 4);

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1");
	peer_expect(&p, 1001, "S. 0:0(0) ack 1");
	peer_send(&p, 1500, "S 0:0(0) win 65535 <mss 1460>");	/* the peer's SYN again */
	peer_expect(&p, 1500, "S. 0:0(0) ack 1");
	peer_expect(&p, 3001, "S. 0:0(0) ack 1");
	peer_expect(&p, 7001, "S. 0:0(0) ack 1");
	peer_expect(&p, 15001, "S. 0:0(0) ack 1");
	peer_expect(&p, 31001, "S. 0:0(0) ack 1");
	peer_expect_none(&p, 100000);
	peer_send(&p, 100000, ". 1:1(0) ack 1");
	peer_expect(&p, 100000, "R 1:1(0)");
	cr_assert_eq(sock_accept(a, lfd, NULL, NULL), -EAGAIN);
}

Test(tcp_peer, the_accept_queue_is_bounded_by_the_backlog)
{
	int lfd = listen_on(a, 80, 2);
	static struct peer q[3];

	for (int i = 0; i < 2; i++) {
		peer_init(&q[i], l, LINK_B, TAP_ADDR, (uint16_t)(4000 + i), A_ADDR, 80);
		peer_send(&q[i], 0, "S 0:0(0) win 65535 <mss 1460>");
		peer_expect(&q[i], 1, "S. 0:0(0) ack 1");
		peer_send(&q[i], 2, ". 1:1(0) ack 1");
	}
	peer_init(&q[2], l, LINK_B, TAP_ADDR, 4002, A_ADDR, 80);
	peer_send(&q[2], 0, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect_none(&q[2], 1000);		/* full: the SYN is dropped */
	cr_assert_geq(sock_accept(a, lfd, NULL, NULL), 0);
	peer_send(&q[2], 1000, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect(&q[2], 1001, "S. 0:0(0) ack 1");
	peer_send(&q[2], 1002, ". 1:1(0) ack 1");
	peer_run(&q[2], 1003);
	cr_assert_geq(sock_accept(a, lfd, NULL, NULL), 0);
	cr_assert_geq(sock_accept(a, lfd, NULL, NULL), 0);
	cr_assert_eq(sock_accept(a, lfd, NULL, NULL), -EAGAIN);
}

/* ---- closing ---- */

Test(tcp_peer, fin_wait_1_to_time_wait_on_fin_ack)
{
	int s = passive_open();

	peer_run(&p, 10);
	cr_assert_eq(sock_shutdown(a, s, SHUT_WR), 0);
	peer_expect(&p, 11, "F. 1:1(0) ack 1");
	cr_assert_eq(state_of(a, s), NC_TCP_FIN_WAIT_1);
	peer_send(&p, 11, "F. 1:1(0) ack 2");
	peer_expect(&p, 12, ". 2:2(0) ack 2");
	cr_assert_eq(state_of(a, s), NC_TCP_TIME_WAIT);
	/* our ACK was lost: the peer's FIN again, our ACK again */
	peer_send(&p, 1000, "F. 1:1(0) ack 2");
	peer_expect(&p, 1000, ". 2:2(0) ack 2");
	peer_run(&p, 60999);
	cr_assert_eq(state_of(a, s), NC_TCP_TIME_WAIT);	/* 2 MSL from the last FIN */
	peer_run(&p, 61001);
	cr_assert_eq(state_of(a, s), NC_TCP_CLOSED);
}

Test(tcp_peer, syn_received_to_fin_wait_1)
{
	int c = tcp_sock(a);

	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0)");
	peer_send(&p, 2, "S 0:0(0) win 65535 <mss 1460>");	/* its own SYN */
	peer_expect(&p, 2, "S. 0:0(0) ack 1");
	cr_assert_eq(state_of(a, c), NC_TCP_SYN_RECEIVED);
	cr_assert_eq(sock_shutdown(a, c, SHUT_WR), 0);
	cr_assert_eq(state_of(a, c), NC_TCP_SYN_RECEIVED);
	peer_send(&p, 3, ". 1:1(0) ack 1");
	peer_expect(&p, 3, "F. 1:1(0) ack 1");
	cr_assert_eq(state_of(a, c), NC_TCP_FIN_WAIT_1);
}

/* ---- receiving ---- */

Test(tcp_peer, out_of_order_data_is_sacked_at_once)
{
	int s = passive_open();
	char buf[512];

	peer_send(&p, 10, "P. 101:201(100) ack 1 <nop,nop,TS val 102 ecr *>");
	/* TS.Recent follows in-order segments only (RFC 7323 4.3) */
	peer_expect(&p, 10, ". 1:1(0) ack 1 <TS val * ecr 101,sack 101:201>");
	peer_send(&p, 11, "P. 301:401(100) ack 1 <nop,nop,TS val 103 ecr *>");
	peer_expect(&p, 11, ". 1:1(0) ack 1 <TS val * ecr 101,sack 301:401 101:201>");
	peer_send(&p, 12, "P. 1:101(100) ack 1 <nop,nop,TS val 104 ecr *>");
	peer_expect(&p, 12, ". 1:1(0) ack 201 <TS val * ecr 104,sack 301:401>");
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 200);
	peer_send(&p, 13, "P. 201:301(100) ack 1 <nop,nop,TS val 105 ecr *>");
	peer_expect(&p, 13, ". 1:1(0) ack 401");
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 200);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(buf[i], 'a' + (201 + i) % 26);
}

/* Data that comes twice is reported at once in a D-SACK block (RFC
 * 2883): a whole old segment, the old part of one that brings new bytes
 * too, and a copy of out-of-order data (first, before the SACK block
 * holding it). The block goes in one ACK only. */
Test(tcp_peer, data_received_twice_is_reported_in_a_dsack_block)
{
	passive_open();
	peer_send(&p, 10, "P. 1:101(100) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 101");
	peer_send(&p, 20, "P. 1:101(100) ack 1 <nop,nop,TS val 103 ecr *>");
	peer_expect(&p, 20, ". 1:1(0) ack 101 <TS val * ecr 102,sack 1:101>");
	peer_send(&p, 30, "P. 51:201(150) ack 1 <nop,nop,TS val 104 ecr *>");
	peer_expect(&p, 30, ". 1:1(0) ack 201 <TS val * ecr 104,sack 51:101>");
	peer_send(&p, 40, "P. 301:401(100) ack 1 <nop,nop,TS val 105 ecr *>");
	peer_expect(&p, 40, ". 1:1(0) ack 201 <TS val * ecr 104,sack 301:401>");
	peer_send(&p, 50, "P. 301:401(100) ack 1 <nop,nop,TS val 106 ecr *>");
	peer_expect(&p, 50, ". 1:1(0) ack 201 <TS val * ecr 104,sack 301:401 301:401>");
	peer_send(&p, 60, "P. 201:301(100) ack 1 <nop,nop,TS val 107 ecr *>");
	peer_expect(&p, 60, ". 1:1(0) ack 401 <TS val * ecr 107>");
}

Test(tcp_peer, every_second_full_segment_is_acked_at_once)
{
	passive_open();
	past_quickacks(5);
	peer_send(&p, 50, "P. 1601:3049(1448) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_send(&p, 50, "P. 3049:4497(1448) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 51, ". 1:1(0) ack 4497");
	peer_send(&p, 60, "P. 4497:5945(1448) ack 1 <nop,nop,TS val 103 ecr *>");
	peer_expect(&p, 100, ". 1:1(0) ack 5945");	/* alone: delayed */
}

Test(tcp_peer, segments_bigger_than_the_mss_are_taken)
{
	int s = passive_open();
	static char buf[8000];

	peer_send(&p, 10, "P. 1:6001(6000) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 6001");
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 6000);
}

Test(tcp_peer, urgent_data_is_read_in_line)
{
	int s = passive_open();
	char buf[16];

	peer_send(&p, 10, "PU. 1:11(10) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_run(&p, 11);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 10);
	cr_assert_eq(buf[0], 'b');
}

Test(tcp_peer, fin_after_a_hole_waits_for_the_hole)
{
	int s = passive_open();
	char buf[16];

	peer_send(&p, 10, "FP. 11:21(10) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 1");
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
	peer_send(&p, 11, "P. 1:11(10) ack 1 <nop,nop,TS val 103 ecr *>");
	peer_expect(&p, 11, ". 1:1(0) ack 22");
	cr_assert_eq(state_of(a, s), NC_TCP_CLOSE_WAIT);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 16);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 4);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 0);
}

/* ---- sending ---- */

Test(tcp_peer, zero_window_is_probed_until_it_opens)
{
	int c = active_open();
	char buf[100];

	peer_send(&p, 4, ". 1:1(0) ack 1 win 0 <nop,nop,TS val 201 ecr *>");
	peer_run(&p, 6);
	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), 100);
	/* probes below snd_una, after the RTO (srtt + 200 ms), then backed off */
	peer_expect(&p, 210, ". 0:0(0) ack 1");
	peer_send(&p, 210, ". 1:1(0) ack 1 win 0 <nop,nop,TS val 202 ecr *>");
	peer_expect(&p, 616, ". 0:0(0) ack 1");
	peer_send(&p, 616, ". 1:1(0) ack 1 win 0 <nop,nop,TS val 203 ecr *>");
	peer_expect(&p, 1428, ". 0:0(0) ack 1");
	peer_send(&p, 1429, ". 1:1(0) ack 1 win 1000 <nop,nop,TS val 204 ecr *>");
	peer_expect(&p, 1430, "P. 1:101(100) ack 1");
}

Test(tcp_peer, fast_retransmit_on_three_duplicate_acks)
{
	int c = active_open();
	static char buf[10 * 988];

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 10; i++)
		peer_expect(&p, 5, ".");
	peer_send(&p, 5, ". 1:1(0) ack 989 <nop,nop,TS val 201 ecr *>");
	peer_send(&p, 5, ". 1:1(0) ack 989 <nop,nop,TS val 201 ecr *,nop,nop,sack 1977:2965>");
	peer_send(&p, 5, ". 1:1(0) ack 989 <nop,nop,TS val 201 ecr *,nop,nop,sack 1977:3953>");
	peer_send(&p, 5, ". 1:1(0) ack 989 <nop,nop,TS val 201 ecr *,nop,nop,sack 1977:4941>");
	peer_expect(&p, 5, ". 989:1977(988) ack 1");
}

/* Segment i (from 1) of 988-byte segments: its first sequence number. */
static unsigned seg(int i)
{
	return 1 + (unsigned)(i - 1) * 988;
}

/*
 * PRR's sending pattern (RFC 6937 section 5, its example): 20 segments in
 * flight, the first lost, each later ACK telling of one more segment
 * received. NewReno halves the window to 10, so PRR sends one segment for
 * every two delivered: the retransmission on the ACK that shows the loss,
 * then one new segment on every other ACK, while the pipe exceeds 10.
 */
Test(tcp_peer, prr_sends_one_segment_every_other_ack)
{
	int c = active_open();
	static char buf[30 * 988];
	char ack[160];

	/* RFC 6937's example halves the window: NewReno's ssthresh */
	cr_assert_eq(sock_setopt(a, c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 10; i++)
		peer_expect(&p, 5, ".");
	for (int i = 1; i <= 10; i++) {	/* slow start: 20 in flight */
		snprintf(ack, sizeof ack, ". 1:1(0) ack %u <nop,nop,TS val 201 ecr *>", seg(i + 1));
		peer_send(&p, 8 + 2 * (uint64_t)i, ack);
		peer_expect(&p, 10 + 2 * (uint64_t)i, ".");
		peer_expect(&p, 10 + 2 * (uint64_t)i, ".");
	}
	/* segment 11 is lost: 12, 13, 14 arrive; RACK finds the loss at the
	 * third, and PRR resends it at once */
	for (int k = 1; k <= 3; k++) {
		snprintf(ack, sizeof ack, ". 1:1(0) ack %u <nop,nop,TS val 202 ecr *,nop,nop,sack %u:%u>",
			 seg(11), seg(12), seg(12 + k));
		peer_send(&p, 30, ack);
	}
	snprintf(ack, sizeof ack, ". %u:%u(988) ack 1", seg(11), seg(12));
	peer_expect(&p, 32, ack);
	/* more to send: PRR holds it until the ACKs allow */
	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	peer_expect_none(&p, 40);
	for (int k = 4, next = 31; k <= 14; k++) {
		snprintf(ack, sizeof ack, ". 1:1(0) ack %u <nop,nop,TS val 203 ecr *,nop,nop,sack %u:%u>",
			 seg(11), seg(12), seg(12 + k));
		peer_send(&p, 30 + 3 * (uint64_t)k, ack);
		if (k % 2 == 0) {
			peer_expect_none(&p, 32 + 3 * (uint64_t)k);
			continue;
		}
		snprintf(ack, sizeof ack, ". %u:%u(988) ack 1", seg(next), seg(next + 1));
		peer_expect(&p, 32 + 3 * (uint64_t)k, ack);
		next++;
	}
}

/*
 * The ACK that shows a loss finds nothing else in the network: segment 7
 * of 10 is lost, 8, 9 and 10 arrive, each SACKed alone, and the peer's
 * window held new data back until the third. PRR's conservative bound
 * would let the retransmission go alone; lost too (or its ACK), nothing
 * sent after it could show it, and only the retransmission timeout
 * would repair it (no tail loss probe in recovery). PRR keeps two
 * segments in the network: a new one goes with it, and its SACK lets
 * RACK find the retransmission lost, well before the timeout.
 */
Test(tcp_peer, a_lost_retransmission_with_the_flight_gone_needs_no_timeout)
{
	int c = active_open();
	static char buf[20 * 988];
	char ack[160];

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 10; i++)
		peer_expect(&p, 5, ".");
	/* 1-6 arrive, the window (x4) holds the rest of the queue back */
	snprintf(ack, sizeof ack, ". 1:1(0) ack %u win 988 <nop,nop,TS val 201 ecr *>", seg(7));
	peer_send(&p, 6, ack);
	for (int k = 1; k <= 3; k++) {
		snprintf(ack, sizeof ack,
			 ". 1:1(0) ack %u win %d <nop,nop,TS val 201 ecr *,nop,nop,sack %u:%u>",
			 seg(7), k < 3 ? 988 : 4000, seg(8), seg(8 + k));
		peer_send(&p, 6, ack);
	}
	snprintf(ack, sizeof ack, ". %u:%u(988) ack 1", seg(7), seg(8));
	peer_expect(&p, 7, ack);
	snprintf(ack, sizeof ack, ". %u:%u(988) ack 1", seg(11), seg(12));
	peer_expect(&p, 7, ack);
	/* the retransmission is lost; the new segment arrives */
	snprintf(ack, sizeof ack, ". 1:1(0) ack %u win 4000 <nop,nop,TS val 202 ecr *,nop,nop,sack %u:%u>",
		 seg(7), seg(8), seg(12));
	peer_send(&p, 8, ack);
	snprintf(ack, sizeof ack, ". %u:%u(988) ack 1", seg(7), seg(8));
	peer_expect(&p, 10, ack);	/* a round trip and RACK's window on */
}

/* A fast retransmit that reordering caused: the peer tells that the
 * first segment and its resend both arrived (D-SACK, RFC 2883), and the
 * reduction is undone (RFC 3708): ssthresh and cwnd as before it. */
Test(tcp_peer, spurious_retransmission_is_undone)
{
	int c = active_open();
	static char buf[10 * 988];
	struct nc_tcp_info before, during, after;
	socklen_t len = sizeof before;
	char ack[160];

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 10; i++)
		peer_expect(&p, 5, ".");
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &before, &len), 0);
	for (int k = 1; k <= 3; k++) {
		snprintf(ack, sizeof ack, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack %u:%u>",
			 seg(2), seg(2 + k));
		peer_send(&p, 6, ack);
	}
	peer_expect(&p, 7, ". 1:989(988) ack 1");
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &during, &len), 0);
	cr_assert_lt(during.ssthresh, before.ssthresh, "recovery halved the window");
	snprintf(ack, sizeof ack, ". 1:1(0) ack %u <nop,nop,TS val 202 ecr *,nop,nop,sack 1:989>",
		 seg(11));
	peer_send(&p, 8, ack);
	peer_run(&p, 10);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.ssthresh, before.ssthresh);
	cr_assert_geq(after.cwnd, before.cwnd);
}

/* In fast recovery the retransmission timer runs, not a tail loss probe
 * armed before it (RFC 8985 7.2: no probe during recovery). */
Test(tcp_peer, no_tail_loss_probe_in_fast_recovery)
{
	int c = active_open();
	static char buf[4 * 988];

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 4; i++)
		peer_expect(&p, 5, ".");
	peer_send(&p, 6, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack 989:1977>");
	peer_send(&p, 6, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack 989:2965>");
	peer_send(&p, 6, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack 989:3953>");
	peer_expect(&p, 6, ". 1:989(988) ack 1");
	peer_expect_none(&p, 150);
	peer_send(&p, 150, ". 1:1(0) ack 3953 <nop,nop,TS val 202 ecr *>");
	peer_expect_none(&p, 2000);
}

/* The retransmission in fast recovery and its ACK are lost: the timeout
 * goes back to one segment, but keeps the ssthresh recovery chose (as
 * Linux's tcp_enter_loss): PRR had shrunk cwnd to the pipe, and β of
 * that would count the same loss twice. */
Test(tcp_peer, timeout_in_fast_recovery_keeps_its_ssthresh)
{
	int c = active_open();
	static char buf[4 * 988];
	struct nc_tcp_info during, after;
	socklen_t len = sizeof during;

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 4; i++)
		peer_expect(&p, 5, ".");
	peer_send(&p, 6, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack 989:1977>");
	peer_send(&p, 6, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack 989:2965>");
	peer_send(&p, 6, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack 989:3953>");
	peer_expect(&p, 6, ". 1:989(988) ack 1");
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &during, &len), 0);
	peer_expect(&p, 208, ". 1:989(988) ack 1");	/* the timeout */
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.cwnd, 1000);
	cr_assert_eq(after.ssthresh, during.ssthresh, "ssthresh %u, in recovery %u",
		     after.ssthresh, during.ssthresh);
}

/* NewReno times out twice on the same flight: the second timeout keeps
 * the ssthresh of the first (half the window the loss found), not half
 * of the one segment the first left (as Linux). */
Test(tcp_peer, second_timeout_keeps_the_first_ssthresh)
{
	int c = active_open();
	static char buf[4 * 988];
	struct nc_tcp_info first, second;
	socklen_t len = sizeof first;

	cr_assert_eq(sock_setopt(a, c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 4; i++)
		peer_expect(&p, 5, ".");
	peer_expect(&p, 9, "P. 2965:3953(988) ack 1");	/* the probe */
	peer_expect(&p, 216, ". 1:989(988) ack 1");	/* the timeout: srtt + 200 ms */
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &first, &len), 0);
	cr_assert_eq(first.ssthresh, 5000, "half the initial window");
	peer_expect(&p, 622, ". 1:989(988) ack 1");	/* backed off */
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &second, &len), 0);
	cr_assert_eq(second.ssthresh, first.ssthresh, "ssthresh %u after %u",
		     second.ssthresh, first.ssthresh);
}

Test(tcp_peer, tail_loss_probe_resends_the_last_segment)
{
	int c = active_open();
	static char buf[2 * 988];

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	peer_expect(&p, 5, ". 1:989(988) ack 1");
	peer_expect(&p, 5, "P. 989:1977(988) ack 1");
	/* no ACK: two round trips (at least 10 ms) later, the tail again */
	peer_expect(&p, 14, "P. 989:1977(988) ack 1");
	peer_send(&p, 15, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack 989:1977>");
	peer_expect(&p, 16, ". 1:989(988) ack 1");	/* the hole, at once */
}

/* n segments out by ms, whatever their flags. */
static void expect_segments(int n, uint64_t ms)
{
	for (int i = 0; i < n; i++)
		peer_expect(&p, ms, ".");
}

/* One ACK for a whole flight of ten (a receiver's GRO): slow start grows
 * cwnd by all of it, as Linux, where RFC 9406's cap (8 segments an ACK
 * without pacing) grew it by eight. */
Test(tcp_peer, slow_start_grows_by_all_that_a_stretch_ack_acks)
{
	int c = active_open();
	static char buf[20000];
	struct nc_tcp_info before, after;
	socklen_t len = sizeof before;

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), (ssize_t)sizeof buf);
	expect_segments(10, 5);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &before, &len), 0);
	peer_send(&p, 10, ". 1:1(0) ack 9881 <nop,nop,TS val 201 ecr *>");
	peer_run(&p, 11);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.cwnd, before.cwnd + 9880, "cwnd %u after %u", after.cwnd, before.cwnd);
}

/* A connection whose window grew past the initial one, everything
 * acknowledged by 25 ms. */
static int grown_and_idle(struct nc_tcp_info *ti)
{
	int c = active_open();
	static char buf[20 * 988];
	socklen_t len = sizeof *ti;

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), (ssize_t)sizeof buf);
	expect_segments(10, 5);
	peer_send(&p, 10, ". 1:1(0) ack 9881 <nop,nop,TS val 201 ecr *>");
	expect_segments(10, 11);
	peer_send(&p, 13, ". 1:1(0) ack 19761 <nop,nop,TS val 202 ecr *>");
	peer_run(&p, 20);
	peer_expect_none(&p, 25);	/* no probe: all acknowledged */
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, ti, &len), 0);
	cr_assert_eq(ti->qout, 0, "%u bytes not acknowledged", ti->qout);
	cr_assert_gt(ti->cwnd, 11 * ti->mss, "cwnd %u", ti->cwnd);
	return c;
}

/* Slow start after idle (RFC 5681 4.1, Linux's default): no data sent
 * for longer than the RTO, and the next write finds cwnd back at the
 * initial window, ten segments. */
Test(tcp_peer, idle_past_the_rto_restarts_the_window)
{
	struct nc_tcp_info ti, after;
	socklen_t len = sizeof after;
	static char more[40000];
	int c = grown_and_idle(&ti);

	peer_run(&p, 20 + (ti.rto_us / 1000) + 50);
	cr_assert_eq(sock_sendto(a, c, more, sizeof more, 0, NULL, 0), (ssize_t)sizeof more);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.cwnd, 10 * after.mss, "cwnd %u", after.cwnd);
	expect_segments(10, 20 + (ti.rto_us / 1000) + 51);
	peer_expect_none(&p, 20 + (ti.rto_us / 1000) + 52);
}

/* The peer's window reopening with data waiting checks the idle time
 * too (where Linux checks it): the write came within the RTO of the
 * last data sent and kept the window; the window opened later. */
Test(tcp_peer, a_window_reopening_after_idle_restarts_the_window)
{
	struct nc_tcp_info ti, after;
	socklen_t len = sizeof after;
	static char more[40000];
	int c = grown_and_idle(&ti);
	uint64_t reopen = 25 + 2 * (ti.rto_us / 1000);

	peer_send(&p, 25, ". 1:1(0) ack 19761 win 0 <nop,nop,TS val 203 ecr *>");
	peer_run(&p, 27);
	cr_assert_eq(sock_sendto(a, c, more, sizeof more, 0, NULL, 0), (ssize_t)sizeof more);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.cwnd, ti.cwnd, "cwnd %u, was %u", after.cwnd, ti.cwnd);
	peer_send(&p, reopen, ". 1:1(0) ack 19761 win 65535 <nop,nop,TS val 204 ecr *>");
	peer_run(&p, reopen + 2);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.cwnd, 10 * after.mss, "cwnd %u", after.cwnd);
}

/* Idle for less than the RTO, the window stands. */
Test(tcp_peer, idle_short_of_the_rto_keeps_the_window)
{
	struct nc_tcp_info ti, after;
	socklen_t len = sizeof after;
	static char more[40000];
	int c = grown_and_idle(&ti);

	peer_run(&p, 20 + (ti.rto_us / 1000) / 2);
	cr_assert_eq(sock_sendto(a, c, more, sizeof more, 0, NULL, 0), (ssize_t)sizeof more);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.cwnd, ti.cwnd);
	expect_segments(20, 20 + (ti.rto_us / 1000) / 2 + 1);
}

/* With the restart off (the stack's no_idle_restart, Linux's
 * tcp_slow_start_after_idle=0) the window stands through any idle. */
Test(tcp_peer, idle_restart_off_keeps_the_window)
{
	struct nc_tcp_info ti, after;
	socklen_t len = sizeof after;
	static char more[40000];
	int c;

	a->no_idle_restart = 1;
	c = grown_and_idle(&ti);
	peer_run(&p, 20 + 3 * (ti.rto_us / 1000));
	cr_assert_eq(sock_sendto(a, c, more, sizeof more, 0, NULL, 0), (ssize_t)sizeof more);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.cwnd, ti.cwnd, "cwnd %u, was %u", after.cwnd, ti.cwnd);
}

/* The RTO is srtt + 4 rttvar with Linux's floor on the variance term:
 * a steady 100 ms path resends after 300 ms, not RFC 6298's srtt +
 * 4 rttvar of some 210 ms once rttvar has settled. */
Test(tcp_peer, a_steady_path_waits_srtt_and_200_ms_to_resend)
{
	int c = active_open();
	char spec[96];
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;
	uint64_t ms = 3;

	for (uint32_t i = 0, seq = 1; i < 24; i++, seq += 10, ms += 100) {
		cr_assert_eq(sock_sendto(a, c, "0123456789", 10, 0, NULL, 0), 10);
		snprintf(spec, sizeof spec, "P. %u:%u(10) ack 1", seq, seq + 10);
		peer_expect(&p, ms, spec);
		snprintf(spec, sizeof spec, ". 1:1(0) ack %u <nop,nop,TS val %u ecr *>", seq + 10,
			 300 + i);
		peer_send(&p, ms + 100, spec);
	}
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert_gt(ti.srtt_us, 90000, "srtt %u µs", ti.srtt_us);
	cr_assert_eq(ti.rto_us, ti.srtt_us + 200000, "rto %u µs, srtt %u, rttvar %u", ti.rto_us,
		     ti.srtt_us, ti.mdev_us);
}

/* A lone segment's probe timeout (two round trips and the peer's
 * delayed ACK) exceeds the RTO: the probe goes at the RTO instead, and
 * the first timeout, not backed off, one RTO later (RFC 8985 7.2). */
Test(tcp_peer, tail_loss_probe_goes_no_later_than_the_rto)
{
	int c = active_open();

	cr_assert_eq(sock_sendto(a, c, "data", 4, 0, NULL, 0), 4);
	peer_expect(&p, 3, "P. 1:5(4) ack 1");
	peer_expect(&p, 208, "P. 1:5(4) ack 1");	/* the probe */
	peer_expect(&p, 411, "P. 1:5(4) ack 1");	/* the timeout */
	peer_expect(&p, 817, "P. 1:5(4) ack 1");	/* backed off */
}

Test(tcp_peer, soft_icmp_error_is_reported_when_retransmission_gives_up)
{
	int c = active_open();
	char buf[8];

	cr_assert_eq(sock_sendto(a, c, "data", 4, 0, NULL, 0), 4);
	peer_expect(&p, 5, "P. 1:5(4) ack 1");
	peer_icmp(&p, 6, ICMP_UNREACH, ICMP_UNREACH_HOST);
	peer_run(&p, 7);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);	/* soft: it goes on */
	cr_assert_eq(so_error(a, c), 0);
	peer_run(&p, 20 * 60 * 1000);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(sock_recvfrom(a, c, buf, sizeof buf, 0, NULL, NULL), -EHOSTUNREACH);
}

Test(tcp_peer, icmp_quoting_acknowledged_data_is_ignored)
{
	int c = active_open();

	cr_assert_eq(sock_sendto(a, c, "data", 4, 0, NULL, 0), 4);
	peer_expect(&p, 5, "P. 1:5(4) ack 1");
	peer_send(&p, 6, ". 1:1(0) ack 5 <nop,nop,TS val 201 ecr *>");
	peer_icmp(&p, 7, ICMP_UNREACH, ICMP_UNREACH_HOST);	/* quotes seq 1 < snd_una */
	cr_assert_eq(sock_sendto(a, c, "more", 4, 0, NULL, 0), 4);
	peer_expect(&p, 8, "P. 5:9(4) ack 1");
	peer_send(&p, 9, ". 1:1(0) ack 9 <nop,nop,TS val 202 ecr *>");
	peer_run(&p, 10);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
}

Test(tcp_peer, a_new_syn_ends_time_wait)
{
	int s = passive_open();

	peer_run(&p, 10);
	cr_assert_eq(sock_shutdown(a, s, SHUT_WR), 0);
	peer_expect(&p, 11, "F. 1:1(0) ack 1");
	peer_send(&p, 11, "F. 1:1(0) ack 2");
	peer_expect(&p, 12, ". 2:2(0) ack 2");
	cr_assert_eq(state_of(a, s), NC_TCP_TIME_WAIT);
	peer_send(&p, 100, "S 100000:100000(0) win 65535 <mss 1460>");
	peer_expect(&p, 101, "S. ack 100001");
	cr_assert_eq(state_of(a, s), NC_TCP_CLOSED);
}

/* The stack closed first and holds TIME_WAIT (the peer's last TSval 101). */
static int time_wait_after_passive_open(void)
{
	int s = passive_open();

	peer_run(&p, 10);
	cr_assert_eq(sock_shutdown(a, s, SHUT_WR), 0);
	peer_expect(&p, 11, "F. 1:1(0) ack 1");
	peer_send(&p, 11, "F. 1:1(0) ack 2 <nop,nop,TS val 101 ecr *>");
	peer_expect(&p, 12, ". 2:2(0) ack 2");
	cr_assert_eq(state_of(a, s), NC_TCP_TIME_WAIT);
	return s;
}

/* RFC 6191: with timestamps on both incarnations the timestamp decides,
 * not the sequence number (here below the old one's). */
Test(tcp_peer, time_wait_takes_a_syn_with_a_newer_timestamp)
{
	int s = time_wait_after_passive_open();

	peer_send(&p, 100, "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 500 ecr 0,nop,wscale 7>");
	peer_expect(&p, 101, "S. ack 1 <mss 1460,TS val * ecr 500,wscale 8,sackOK>");
	cr_assert_eq(state_of(a, s), NC_TCP_CLOSED);
}

/* An older timestamp is an old duplicate, whatever its sequence number:
 * TIME_WAIT stays and answers with the old incarnation's ACK. */
Test(tcp_peer, time_wait_keeps_a_syn_with_an_older_timestamp_out)
{
	int s = time_wait_after_passive_open();

	peer_send(&p, 100, "S 100000:100000(0) win 65535 <mss 1460,sackOK,TS val 50 ecr 0,nop,wscale 7>");
	peer_expect(&p, 101, ". 2:2(0) ack 2");
	cr_assert_eq(state_of(a, s), NC_TCP_TIME_WAIT);
}

/* Reordering as Linux measures it (TCP_INFO's tcpi_reordering): segments
 * 2, 6 and 8 are SACKed, then 3, which was not resent, arrives: it came
 * 6 segments late (8's end less 3's start), and the metric says so. */
Test(tcp_peer, sacked_late_segment_gives_the_reordering_distance)
{
	int c = active_open();
	static char buf[10 * 988];
	struct nc_linux_tcp_info ti;
	socklen_t len = sizeof ti;
	char ack[200];

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 10; i++)
		peer_expect(&p, 5, ".");
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.tcpi_reordering, 3, "the default before any reordering");
	snprintf(ack, sizeof ack, ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack %u:%u>",
		 seg(2), seg(3));
	peer_send(&p, 6, ack);
	snprintf(ack, sizeof ack,
		 ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack %u:%u %u:%u>", seg(2),
		 seg(3), seg(6), seg(7));
	peer_send(&p, 6, ack);
	snprintf(ack, sizeof ack,
		 ". 1:1(0) ack 1 <nop,nop,TS val 201 ecr *,nop,nop,sack %u:%u %u:%u %u:%u>",
		 seg(2), seg(3), seg(6), seg(7), seg(8), seg(9));
	peer_send(&p, 6, ack);
	peer_expect(&p, 6, ". 1:989(988) ack 1");	/* recovery resends the first */
	snprintf(ack, sizeof ack,
		 ". 1:1(0) ack 1 <nop,nop,TS val 202 ecr *,nop,nop,sack %u:%u %u:%u %u:%u>",
		 seg(2), seg(4), seg(6), seg(7), seg(8), seg(9));
	peer_send(&p, 8, ack);
	peer_run(&p, 10);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.tcpi_sacked, 4);
	cr_assert_eq(ti.tcpi_reordering, 6, "reordering %u", ti.tcpi_reordering);
}

/* A flight of four with no answer: the probe, then the timeout resends
 * the first segment. Returns the connection, TCP_INFO from before. */
static int flight_timed_out(struct nc_tcp_info *before)
{
	int c = active_open();
	static char buf[4 * 988];
	socklen_t len = sizeof *before;

	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), sizeof buf);
	for (int i = 0; i < 4; i++)
		peer_expect(&p, 5, ".");
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, before, &len), 0);
	peer_expect(&p, 9, "P. 2965:3953(988) ack 1");	/* the probe */
	peer_expect(&p, 216, ". 1:989(988) ack 1");	/* the timeout: srtt + 200 ms */
	return c;
}

/* F-RTO (RFC 5682): after the timeout the peer acknowledges segments
 * sent once, before it: they were late, not lost, and the reduction is
 * undone (cwnd and ssthresh as before), the rest sent at once. */
Test(tcp_peer, spurious_timeout_is_undone_by_frto)
{
	struct nc_tcp_info before, after;
	socklen_t len = sizeof after;
	static char more[4 * 988];
	int c = flight_timed_out(&before);

	peer_send(&p, 221, ". 1:1(0) ack 2965 <nop,nop,TS val 201 ecr *,nop,nop,sack 2965:3953>");
	peer_run(&p, 223);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_eq(after.ssthresh, before.ssthresh);
	cr_assert_geq(after.cwnd, before.cwnd);
	cr_assert_eq(sock_sendto(a, c, more, sizeof more, 0, NULL, 0), sizeof more);
	for (int i = 0; i < 4; i++)	/* the window allows them all, at once */
		peer_expect(&p, 224, ".");
}

/* The same timeout, but the peer acknowledges only the resent segment
 * and nothing sent before: the loss was real, the window stays reduced
 * and grows from one segment in slow start. */
Test(tcp_peer, real_timeout_keeps_the_reduction)
{
	struct nc_tcp_info before, after;
	socklen_t len = sizeof after;
	int c = flight_timed_out(&before);

	peer_send(&p, 221, ". 1:1(0) ack 989 <nop,nop,TS val 201 ecr *>");
	peer_run(&p, 223);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &after, &len), 0);
	cr_assert_lt(after.ssthresh, before.ssthresh);
	cr_assert_lt(after.cwnd, before.cwnd);
	peer_expect(&p, 224, ". 989:1977(988) ack 1");	/* slow start: two for one */
	peer_expect(&p, 224, ". 1977:2965(988) ack 1");
}
