/*
 * UDP listen/accept (Plan 9's per-peer conversations): each new peer's
 * first datagram makes a socket connected to it, which accept hands out;
 * its later datagrams go there; the backlog bounds the calls; closing
 * the listener frees the calls nobody took.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "sock.h"
#include "stack.h"

TestSuite(udp_listen, .init = two_stacks, .fini = teardown);

static int udp_on(struct stack *st, uint16_t port)
{
	int fd = sock_socket(st, AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind_to(st, fd, 0, port), 0);
	return fd;
}

static void send_to_b(int fd, const char *s)
{
	struct sockaddr_in to = sin_of(B_ADDR, 53);

	cr_assert_eq(sock_sendto(a, fd, s, strlen(s), 0, (struct sockaddr *)&to, sizeof to),
		     (ssize_t)strlen(s));
}

static void expect(struct stack *st, int fd, const char *s)
{
	char buf[32];
	ssize_t n = sock_recvfrom(st, fd, buf, sizeof buf - 1, 0, NULL, NULL);

	cr_assert_eq(n, (ssize_t)strlen(s), "recv: %zd", n);
	buf[n] = 0;
	cr_assert_str_eq(buf, s);
}

Test(udp_listen, a_socket_per_peer)
{
	int l = udp_on(b, 53), p1 = udp_on(a, 1001), p2 = udp_on(a, 1002), c1, c2;
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;

	cr_assert_eq(sock_listen(b, l, 4), 0);
	cr_assert_eq(sock_accept(b, l, NULL, NULL), -EAGAIN);
	send_to_b(p1, "one");
	send_to_b(p2, "two");
	run_ms(5);
	send_to_b(p1, "three");
	run_ms(5);
	c1 = sock_accept(b, l, (struct sockaddr *)&peer, &plen);
	cr_assert_geq(c1, 0);
	cr_assert_eq(ntohs(peer.sin_port), 1001);
	c2 = sock_accept(b, l, NULL, NULL);
	cr_assert_geq(c2, 0);
	cr_assert_eq(sock_accept(b, l, NULL, NULL), -EAGAIN, "two peers, two calls");
	expect(b, c1, "one");
	expect(b, c1, "three");
	expect(b, c2, "two");
	cr_assert_eq(sock_recvfrom(b, l, (char[8]){ 0 }, 8, 0, NULL, NULL), -EAGAIN);
	cr_assert_eq(sock_sendto(b, c2, "back", 4, 0, NULL, 0), 4, "a call is connected");
	run_ms(5);
	expect(a, p2, "back");
}

Test(udp_listen, backlog_and_close)
{
	int l = udp_on(b, 53), p[3];

	cr_assert_eq(sock_listen(b, l, 2), 0);
	for (int i = 0; i < 3; i++) {
		p[i] = udp_on(a, (uint16_t)(2000 + i));
		send_to_b(p[i], "hi");
	}
	run_ms(5);
	cr_assert_eq(stack_counter(b, IPPROTO_UDP, "RcvbufErrors"), 1, "the third had no room");
	cr_assert_eq(sock_close(b, l), 0, "frees the two calls nobody took");
	cr_assert_eq(stack_mem(b), 0);
}

Test(udp_listen, backlog_zero_stops_calls)
{
	int l = udp_on(b, 53), p1 = udp_on(a, 1001);

	cr_assert_eq(sock_listen(b, l, 4), 0);
	cr_assert_eq(sock_listen(b, l, 0), 0);
	send_to_b(p1, "plain");
	run_ms(5);
	cr_assert_eq(sock_accept(b, l, NULL, NULL), -EINVAL);
	expect(b, l, "plain");
}
