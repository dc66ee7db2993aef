/*
 * TCP against a scripted raw peer: each case of the RFCs as a short
 * script of segments in and out (see peer.h), on one stack and a tap.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "icmp.h"
#include "peer.h"
#include "sock.h"
#include "tcp_util.h"

TestSuite(tcp_peer, .init = tcp_stack_and_tap, .fini = tcp_teardown);

static struct peer p;

#define SYN_OPTS "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>"

/* The stack listens on 80 and the peer connects from 4000: established,
 * the accepted socket returned. */
static int passive_open(void)
{
	int lfd = listen_on(a, 80, 4), s;

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 " SYN_OPTS);
	peer_expect(&p, 1, "S. 0:0(0) ack 1 <mss 1460,TS val * ecr 100,wscale 7,sackOK>");
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
	peer_expect(&p, 1, "S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,wscale 7>");
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
	peer_expect(&p, 50, ". 1:1(0) ack 101");	/* delayed ACK, 40 ms */
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 100);
	cr_assert_eq(buf[0], 'b');	/* the peer's bytes: 'a' + seq % 26 */
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
	peer_expect_none(&p, 100);	/* Nagle holds the small rest */
	peer_send(&p, 100, ". 1:1(0) ack 1977 win 65535 <nop,nop,TS val 201 ecr *>");
	peer_expect(&p, 100, "P. 1977:2501(524) ack 1");
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
