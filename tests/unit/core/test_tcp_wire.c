/*
 * TCP's wire behaviour as Linux's, against a scripted raw peer (peer.h):
 * where PSH goes, when a read is worth a window update, reads after
 * SHUT_RD, TCP_CORK, MSG_MORE, TCP_NODELAY's push, timestamps and SACK
 * switched off, and the options TCP_INQ, TCP_QUICKACK, TCP_NOTSENT_LOWAT.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "peer.h"
#include "sock.h"

TestSuite(tcp_wire, .init = stack_and_tap, .fini = teardown);

static struct peer p;
static char buf[20000];

enum { TH_PSH = 0x08, OPT_SACK_PERM = 4, OPT_TS = 8, IP_HDR = 20 };

/* The stack connects to the peer at 80, which offers every option;
 * MSS 1000 with timestamps leaves 988 bytes a segment. */
static int active_open(void)
{
	int c = tcp_sock(a);

	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0)");
	peer_send(&p, 2, "S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK,TS val 200 ecr 0,nop,wscale 2>");
	peer_expect(&p, 3, ". 1:1(0) ack 1");
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	return c;
}

/* The stack listens on 80 with a receive buffer of rcvbuf bytes (0: the
 * default) and the peer connects: the accepted socket. */
static int passive_open(int rcvbuf)
{
	int lfd = listen_on(a, 80, 4), s;

	if (rcvbuf)
		cr_assert_eq(set_int(a, lfd, SOL_SOCKET, SO_RCVBUF, rcvbuf), 0);
	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1");
	peer_send(&p, 2, ". 1:1(0) ack 1 win 512 <nop,nop,TS val 101 ecr *>");
	peer_run(&p, 3);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	return s;
}

static int last_had_psh(void)
{
	return (p.flags & TH_PSH) != 0;
}

/* Does the last segment the peer got carry TCP option kind? */
static int last_has_option(int kind)
{
	const uint8_t *tcp = p.last + IP_HDR;
	size_t end = (size_t)(tcp[12] >> 4) * 4, i = 20;

	cr_assert_leq(IP_HDR + end, p.lastlen);
	while (i < end && tcp[i] != 0) {
		if (tcp[i] == kind)
			return 1;
		i += tcp[i] == 1 ? 1 : tcp[i + 1];
	}
	return 0;
}

static ssize_t send_flags(int fd, size_t n, int flags)
{
	return sock_sendto(a, fd, buf, n, flags, NULL, 0);
}

/* Each write's last segment carries PSH; a segment in the middle of a
 * write does not. */
Test(tcp_wire, psh_at_the_end_of_each_write)
{
	int c = active_open();

	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	cr_assert_eq(send_flags(c, 100, 0), 100);
	peer_expect(&p, 3, "P. 1:101(100) ack 1");
	peer_send(&p, 5, ". 1:1(0) ack 101 win 65535 <nop,nop,TS val 201 ecr *>");
	cr_assert_eq(send_flags(c, 1500, 0), 1500);
	peer_expect(&p, 5, ". 101:1089(988) ack 1");
	cr_assert(!last_had_psh());
	peer_expect(&p, 5, "P. 1089:1601(512) ack 1");
}

/* A burst goes out in Linux's TSO packets (2 segments, tcp_min_tso_segs),
 * the last segment of each with PSH, whether or not the link takes
 * super-packets. */
Test(tcp_wire, psh_at_the_end_of_each_tso_packet_of_a_burst)
{
	int c = active_open();
	char spec[64];

	cr_assert_eq(send_flags(c, 5 * 988, 0), 5 * 988);
	for (int i = 0; i < 5; i++) {
		snprintf(spec, sizeof spec, ". %d:%d(988) ack 1", 1 + i * 988, 1 + (i + 1) * 988);
		peer_expect(&p, 3, spec);
		cr_assert_eq(last_had_psh(), i % 2 == 1 || i == 4, "segment %d", i);
	}
}

/* A read that leaves the peer more than half the window, or does not
 * double what it may send, is not worth a segment; one that frees the
 * buffer is. */
Test(tcp_wire, window_update_only_when_the_window_doubles)
{
	int s = passive_open(16384);
	char spec[80];

	for (int i = 0; i < 5; i++) {
		snprintf(spec, sizeof spec, "P. %d:%d(2000) ack 1 <nop,nop,TS val 102 ecr *>",
			 1 + i * 2000, 1 + (i + 1) * 2000);
		peer_send(&p, 10 + (uint64_t)i, spec);
		snprintf(spec, sizeof spec, ". 1:1(0) ack %d", 1 + (i + 1) * 2000);
		/* four quick-ACKs (the window's worth), then a delayed one */
		peer_expect(&p, 10 + (uint64_t)i + (i == 4 ? 44 : 0), spec);
	}
	/* 6384 bytes of window left; reading 3000 makes it 9384: more by
	 * two segments, but not twice as much */
	cr_assert_eq(sock_recvfrom(a, s, buf, 3000, 0, NULL, NULL), 3000);
	peer_expect_none(&p, 300);
	cr_assert_eq(sock_recvfrom(a, s, buf, 7000, 0, NULL, NULL), 7000);
	peer_expect(&p, 300, ". 1:1(0) ack 10001 win 64");	/* 16384 >> 8 */
}

/* After SHUT_RD, what is queued and what still comes is read, then 0. */
Test(tcp_wire, read_after_shut_rd_gets_the_queued_data)
{
	int s = passive_open(0);

	peer_send(&p, 10, "P. 1:101(100) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 101");
	cr_assert_eq(sock_shutdown(a, s, SHUT_RD), 0);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 100);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 0);
	peer_send(&p, 20, "P. 101:151(50) ack 1 <nop,nop,TS val 103 ecr *>");
	peer_expect(&p, 20, ". 1:1(0) ack 151");
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 50);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 0);
}

/* TCP_CORK holds short writes until uncorked, which sends them with PSH. */
Test(tcp_wire, cork_holds_short_writes_until_uncorked)
{
	int c = active_open();

	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_CORK, 1), 0);
	cr_assert_eq(send_flags(c, 40, 0), 40);
	peer_run(&p, 50);
	cr_assert_eq(send_flags(c, 40, 0), 40);
	peer_expect_none(&p, 60);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_CORK, 0), 0);
	peer_expect(&p, 60, "P. 1:81(80) ack 1");
}

/* Corked data still goes after the persist timer: an RTO, at least
 * 200 ms, as Linux's ceiling on TCP_CORK. */
Test(tcp_wire, cork_holds_at_most_the_persist_timeout)
{
	int c = active_open();

	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_CORK, 1), 0);
	cr_assert_eq(send_flags(c, 40, 0), 40);
	peer_expect_none(&p, 195);
	peer_expect(&p, 203, "P. 1:41(40) ack 1");
}

/* MSG_MORE holds a short write even with TCP_NODELAY, and puts no PSH
 * at its end; the next plain write sends both, with PSH. */
Test(tcp_wire, msg_more_holds_until_a_write_without_it)
{
	int c = active_open();

	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	cr_assert_eq(send_flags(c, 40, MSG_MORE), 40);
	peer_expect_none(&p, 100);
	cr_assert_eq(send_flags(c, 5, 0), 5);
	peer_expect(&p, 100, "P. 1:46(45) ack 1");
}

/* Setting TCP_NODELAY sends what cork or MSG_MORE hold; data that
 * MSG_MORE left without a write's end goes without PSH. */
Test(tcp_wire, nodelay_pushes_what_is_held)
{
	int c = active_open();

	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_CORK, 1), 0);
	cr_assert_eq(send_flags(c, 40, 0), 40);
	peer_expect_none(&p, 20);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	peer_expect(&p, 20, "P. 1:41(40) ack 1");
	peer_send(&p, 22, ". 1:1(0) ack 41 win 65535 <nop,nop,TS val 201 ecr *>");
	cr_assert_eq(send_flags(c, 40, MSG_MORE), 40);
	peer_expect_none(&p, 40);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	peer_expect(&p, 40, ". 41:81(40) ack 1");
	cr_assert(!last_had_psh());
}

/* A stack configured without timestamps and SACK offers neither in its
 * SYN, and takes neither when the peer's SYN-ACK offers both. */
Test(tcp_wire, timestamps_and_sack_off_in_the_syn)
{
	int c = tcp_sock(a);
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;

	a->no_timestamps = a->no_sack = 1;
	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0) <mss 1460,wscale 8>");
	cr_assert(!last_has_option(OPT_TS));
	cr_assert(!last_has_option(OPT_SACK_PERM));
	peer_send(&p, 2, "S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK,TS val 200 ecr 0,nop,wscale 2>");
	peer_expect(&p, 3, ". 1:1(0) ack 1");
	cr_assert(!last_has_option(OPT_TS));
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.timestamps, 0);
	cr_assert_eq(ti.sack, 0);
}

/* The same switched off on a listener's stack: the SYN-ACK has neither. */
Test(tcp_wire, timestamps_and_sack_off_in_the_syn_ack)
{
	int lfd = listen_on(a, 80, 4);

	a->no_timestamps = a->no_sack = 1;
	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1 <mss 1460,wscale 8>");
	cr_assert(!last_has_option(OPT_TS));
	cr_assert(!last_has_option(OPT_SACK_PERM));
	(void)lfd;
}

static int get_opt(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	cr_assert_eq(sock_getopt(a, fd, IPPROTO_TCP, name, &v, &len), 0);
	return v;
}

Test(tcp_wire, inq_quickack_and_cork_read_back)
{
	int c = active_open();

	cr_assert_eq(get_opt(c, TCP_INQ), 0);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_INQ, 1), 0);
	cr_assert_eq(get_opt(c, TCP_INQ), 1);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_QUICKACK, 1), 0);
	cr_assert_eq(get_opt(c, TCP_QUICKACK), 1);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_QUICKACK, 0), 0);
	cr_assert_eq(get_opt(c, TCP_QUICKACK), 0);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_CORK, 1), 0);
	cr_assert_eq(get_opt(c, TCP_CORK), 1);
}

static int poll_out(int fd)
{
	return (sock_poll(a, fd) & POLLOUT) != 0;
}

/* TCP_NOTSENT_LOWAT: writable only while fewer bytes than the limit wait
 * to be sent (corked here, so they wait). */
Test(tcp_wire, notsent_lowat_limits_unsent_bytes)
{
	int c = active_open();

	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 100), 0);
	cr_assert_eq(get_opt(c, TCP_NOTSENT_LOWAT), 100);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_CORK, 1), 0);
	cr_assert_eq(send_flags(c, 50, 0), 50);
	cr_assert(poll_out(c));
	cr_assert_eq(send_flags(c, 60, 0), 60);
	cr_assert(!poll_out(c));
	cr_assert_eq(send_flags(c, 10, 0), -EAGAIN);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_CORK, 0), 0);
	peer_expect(&p, 5, "P. 1:111(110) ack 1");
	cr_assert(poll_out(c));
}
