/*
 * connect() and friends, row by row of SPEC §3's errno table (plus EBADF
 * and EFAULT), through the core API on two stacks back to back or a
 * stack and a scripted peer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "icmp.h"
#include "peer.h"
#include "sock.h"
#include "fixture.h"

TestSuite(tcp_errno, .init = two_stacks, .fini = teardown);
TestSuite(tcp_errno_peer, .init = stack_and_tap, .fini = teardown);

Test(tcp_errno, einprogress_then_connected)
{
	int c = tcp_sock(a), lfd = listen_on(b, 80, 4);

	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	cr_assert_eq(sock_poll(a, c) & (POLLOUT | POLLERR | POLLHUP), 0);
	run_ms(10);
	cr_assert_eq(sock_poll(a, c) & (POLLOUT | POLLERR), POLLOUT);
	cr_assert_eq(so_error(a, c), 0);
	cr_assert_geq(sock_accept(b, lfd, NULL, NULL), 0);
}

Test(tcp_errno, ealready_while_connecting)
{
	int c = tcp_sock(a);

	listen_on(b, 80, 4);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EALREADY);
}

Test(tcp_errno, eisconn_once_connected)
{
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EISCONN);
	cr_assert_eq(connect_to(b, s, A_ADDR, 1234), -EISCONN);
}

Test(tcp_errno, econnrefused_by_rst)
{
	int c = tcp_sock(a);
	char buf[4];

	cr_assert_eq(connect_to(a, c, B_ADDR, 81), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert(sock_poll(a, c) & POLLERR);
	cr_assert(sock_poll(a, c) & POLLOUT);
	cr_assert_eq(so_error(a, c), ECONNREFUSED);
	cr_assert_eq(so_error(a, c), 0);
	cr_assert_eq(sock_recvfrom(a, c, buf, sizeof buf, 0, NULL, NULL), -ENOTCONN);
	cr_assert_eq(tcp_stat(a, "AttemptFails"), 1);
	cr_assert_eq(tcp_stat(b, "OutRsts"), 1);
}

Test(tcp_errno, etimedout_after_the_connect_timeout)
{
	int c = tcp_sock(a);

	link_set_filter(l, drop_all, NULL);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, NC_TCP_CONNECT_TIMEOUT, 2000), 0);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	run_ms(1990);
	cr_assert_eq(state_of(a, c), NC_TCP_SYN_SENT);
	run_ms(20);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(so_error(a, c), ETIMEDOUT);
	/* SYN at 0, 1 s; then the deadline at 2 s */
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->sent, 2);
}

Test(tcp_errno, etimedout_by_default_after_75_seconds)
{
	int c = tcp_sock(a);

	link_set_filter(l, drop_all, NULL);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	run_ms(74990);
	cr_assert_eq(state_of(a, c), NC_TCP_SYN_SENT);
	run_ms(20);
	cr_assert_eq(so_error(a, c), ETIMEDOUT);
	/* 0, 1, 3, 7, 15, 31, 63 s */
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->sent, 7);
}

Test(tcp_errno, enetunreach_without_a_route)
{
	int c = tcp_sock(a);

	cr_assert_eq(connect_to(a, c, 0x0a4e0001, 80), -ENETUNREACH);	/* 10.78.0.1 */
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
}

Test(tcp_errno, eaddrinuse_for_a_port_in_use)
{
	int lfd = listen_on(a, 80, 4), x = tcp_sock(a), y = tcp_sock(a);

	(void)lfd;
	cr_assert_eq(bind_to(a, x, 0, 80), -EADDRINUSE);
	cr_assert_eq(bind_to(a, x, A_ADDR, 80), -EADDRINUSE);
	/* SO_REUSEADDR does not share a listener's port */
	cr_assert_eq(set_int(a, x, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	cr_assert_eq(bind_to(a, x, 0, 80), -EADDRINUSE);
	cr_assert_eq(bind_to(a, y, 0, 81), 0);
	cr_assert_eq(bind_to(a, x, 0, 81), -EADDRINUSE);
}

Test(tcp_errno, eaddrinuse_for_an_existing_four_tuple)
{
	int c, s, d = tcp_sock(a), one = 1;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	make_pair(80, &c, &s);
	cr_assert_eq(sock_name(a, c, 0, (struct sockaddr *)&sin, &len), 0);
	cr_assert_eq(sock_setopt(a, c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_setopt(a, d, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(bind_to(a, d, 0, ntohs(sin.sin_port)), 0);
	cr_assert_eq(connect_to(a, d, B_ADDR, 80), -EADDRINUSE);
}

Test(tcp_errno, eaddrnotavail)
{
	int c = tcp_sock(a);

	cr_assert_eq(connect_to(a, c, 0, 80), -EADDRNOTAVAIL);
	cr_assert_eq(connect_to(a, c, B_ADDR, 0), -EADDRNOTAVAIL);
	cr_assert_eq(bind_to(a, c, B_ADDR, 80), -EADDRNOTAVAIL);	/* not ours */
}

Test(tcp_errno, eaddrnotavail_when_no_ephemeral_port_is_free)
{
	int n = EPHEMERAL_HI - EPHEMERAL_LO + 1, c;
	int *fds = malloc(sizeof *fds * (size_t)n);

	cr_assert_not_null(fds);
	for (int i = 0; i < n; i++) {
		fds[i] = tcp_sock(a);
		cr_assert_eq(bind_to(a, fds[i], 0, (uint16_t)(EPHEMERAL_LO + i)), 0);
	}
	c = tcp_sock(a);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EADDRNOTAVAIL);
	cr_assert_eq(bind_to(a, c, 0, 0), -EADDRNOTAVAIL);
	cr_assert_eq(sock_close(a, fds[0]), 0);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	free(fds);
}

Test(tcp_errno, eafnosupport)
{
	int c = tcp_sock(a);
	struct sockaddr_in sin = { .sin_family = AF_INET6, .sin_port = htons(80) };

	cr_assert_eq(sock_connect(a, c, (struct sockaddr *)&sin, sizeof sin), -EAFNOSUPPORT);
	cr_assert_eq(sock_socket(a, AF_INET6, SOCK_STREAM, 0), -EAFNOSUPPORT);
}

Test(tcp_errno, einval_for_the_wrong_state)
{
	int lfd = listen_on(a, 80, 4), c, s;

	cr_assert_eq(connect_to(a, lfd, B_ADDR, 80), -EINVAL);	/* connect on a listener */
	cr_assert_eq(bind_to(a, lfd, 0, 90), -EINVAL);		/* bound already */
	make_pair(81, &c, &s);
	cr_assert_eq(sock_listen(a, c, 4), -EINVAL);		/* listen when connected */
	cr_assert_eq(sock_shutdown(a, c, 7), -EINVAL);
}

Test(tcp_errno, ebadf_and_efault)
{
	int c = tcp_sock(a);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
	char buf[4];

	cr_assert_eq(connect_to(a, 999, B_ADDR, 80), -EBADF);
	cr_assert_eq(sock_sendto(a, 999, buf, 1, 0, NULL, 0), -EBADF);
	cr_assert_eq(sock_connect(a, c, NULL, 16), -EFAULT);
	cr_assert_eq(sock_connect(a, c, (struct sockaddr *)&sin, 4), -EFAULT);	/* too short */
	cr_assert_eq(sock_recvfrom(a, c, NULL, 4, 0, NULL, NULL), -EFAULT);
	cr_assert_eq(sock_close(a, c), 0);
	cr_assert_eq(sock_close(a, c), -EBADF);
}

Test(tcp_errno, enotconn_and_epipe)
{
	int c = tcp_sock(a), d, s;
	char buf[4];

	cr_assert_eq(sock_sendto(a, c, "x", 1, 0, NULL, 0), -ENOTCONN);
	cr_assert_eq(sock_recvfrom(a, c, buf, 4, 0, NULL, NULL), -ENOTCONN);
	cr_assert_eq(sock_shutdown(a, c, SHUT_WR), -ENOTCONN);
	make_pair(80, &d, &s);
	cr_assert_eq(sock_shutdown(a, d, SHUT_WR), 0);
	cr_assert_eq(sock_sendto(a, d, "x", 1, 0, NULL, 0), -EPIPE);
}

/* ---- ICMP errors for the SYN, from a scripted peer ---- */

static struct peer p;

static int syn_then_icmp(int type, int code)
{
	int c = tcp_sock(a);

	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0)");
	peer_icmp(&p, 2, type, code);
	peer_run(&p, 3);
	return c;
}

Test(tcp_errno_peer, ehostunreach_from_icmp_host_unreachable)
{
	int c = syn_then_icmp(ICMP_UNREACH, ICMP_UNREACH_HOST);

	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(so_error(a, c), EHOSTUNREACH);
}

Test(tcp_errno_peer, ehostunreach_from_icmp_admin_prohibited)
{
	int c = syn_then_icmp(ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB);

	cr_assert_eq(so_error(a, c), EHOSTUNREACH);
}

Test(tcp_errno_peer, enetunreach_from_icmp_net_unreachable)
{
	int c = syn_then_icmp(ICMP_UNREACH, ICMP_UNREACH_NET);

	cr_assert_eq(so_error(a, c), ENETUNREACH);
}

Test(tcp_errno_peer, econnrefused_from_icmp_port_unreachable)
{
	int c = syn_then_icmp(ICMP_UNREACH, ICMP_UNREACH_PORT);

	cr_assert_eq(so_error(a, c), ECONNREFUSED);
}

Test(tcp_errno_peer, icmp_quoting_a_wrong_sequence_is_ignored)
{
	int c = tcp_sock(a);

	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0)");
	p.last[20 + 4] ^= 0x40;		/* the quoted sequence number */
	peer_icmp(&p, 2, ICMP_UNREACH, ICMP_UNREACH_HOST);
	peer_run(&p, 3);
	cr_assert_eq(state_of(a, c), NC_TCP_SYN_SENT);
	cr_assert_eq(so_error(a, c), 0);
}

Test(tcp_errno_peer, econnrefused_by_rst_to_syn)
{
	int c = tcp_sock(a);

	peer_init(&p, l, LINK_B, TAP_ADDR, 80, A_ADDR, 0);
	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	peer_expect(&p, 1, "S 0:0(0)");
	peer_send(&p, 2, "R. 0:0(0) ack 2");	/* does not acknowledge the SYN */
	peer_run(&p, 3);
	cr_assert_eq(state_of(a, c), NC_TCP_SYN_SENT);
	peer_send(&p, 4, "R. 0:0(0) ack 1");
	peer_run(&p, 5);
	cr_assert_eq(so_error(a, c), ECONNREFUSED);
}
