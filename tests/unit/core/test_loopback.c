/*
 * The loopback interface: TCP and UDP between sockets of one stack, to
 * 127.0.0.1 and to the stack's own address, never reach the link (the
 * tap sees nothing); what goes elsewhere still does; 127/8 arriving
 * from the link is dropped as a martian.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "link.h"
#include "loopback.h"
#include "sock.h"
#include "stack.h"

TestSuite(loopback, .init = stack_and_tap, .fini = teardown);

static uint64_t link_sent(void)
{
	return link_counters(l, LINK_A)->sent;
}

static uint32_t local_addr(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	cr_assert_eq(sock_name(a, fd, 0, (struct sockaddr *)&sin, &len), 0);
	return ntohl(sin.sin_addr.s_addr);
}

/* A connection from a to itself at dst, data both ways. */
static void tcp_to_self(uint32_t dst)
{
	int lfd = listen_on(a, 7000, 8), c = tcp_sock(a), s;

	cr_assert_eq(connect_to(a, c, dst, 7000), -EINPROGRESS);
	run_ms(1);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0, "accept: %d", s);
	cr_assert_eq(local_addr(c), dst, "source %08x", local_addr(c));
	cr_assert_eq(local_addr(s), dst);
	cr_assert_eq(pump(a, c, a, s, 3 << 20, 2000), 3u << 20);
	cr_assert_eq(pump(a, s, a, c, 100000, 2000), 100000u);
	cr_assert_eq(link_sent(), 0, "%lu packets reached the link",
		     (unsigned long)link_sent());
}

Test(loopback, tcp_to_127)
{
	tcp_to_self(LOOPBACK_ADDR);
}

Test(loopback, tcp_to_own_address)
{
	tcp_to_self(A_ADDR);
}

Test(loopback, udp_both_ways)
{
	int s = sock_socket(a, AF_INET, SOCK_DGRAM, 0), c = sock_socket(a, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in from, to = sin_of(0x7f000005, 53);
	socklen_t flen = sizeof from;
	char buf[16];

	cr_assert_eq(bind_to(a, s, 0, 53), 0);
	cr_assert_eq(sock_sendto(a, c, "ask", 3, 0, (struct sockaddr *)&to, sizeof to), 3);
	run_ms(1);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen), 3);
	cr_assert_eq(memcmp(buf, "ask", 3), 0);
	cr_assert_eq(ntohl(from.sin_addr.s_addr), LOOPBACK_ADDR);
	cr_assert_eq(sock_sendto(a, s, "answer", 6, 0, (struct sockaddr *)&from, flen), 6);
	run_ms(1);
	cr_assert_eq(sock_recvfrom(a, c, buf, sizeof buf, 0, NULL, NULL), 6);
	cr_assert_eq(memcmp(buf, "answer", 6), 0);
	cr_assert_eq(link_sent(), 0);
}

Test(loopback, delivered_at_poll_not_at_send)
{
	int s = sock_socket(a, AF_INET, SOCK_DGRAM, 0), c = sock_socket(a, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin_of(A_ADDR, 53);
	char buf[4];

	cr_assert_eq(bind_to(a, s, 0, 53), 0);
	cr_assert_eq(sock_sendto(a, c, "x", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	cr_assert_leq(stack_deadline(a), link_now(l), "due at once");
	stack_poll(a, link_now(l));
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 1);
}

Test(loopback, others_still_take_the_link)
{
	int c = tcp_sock(a);

	cr_assert_eq(connect_to(a, c, TAP_ADDR, 80), -EINPROGRESS);
	run_ms(1);
	cr_assert_eq(link_sent(), 1, "the SYN");
	cr_assert_eq(local_addr(c), A_ADDR);
}

Test(loopback, martians_from_the_link)
{
	uint8_t pkt[64];
	uint64_t before = stack_counter(a, IPPROTO_IP, "InAddrErrors");
	int s = sock_socket(a, AF_INET, SOCK_DGRAM, 0);
	uint8_t udp[12] = { 0, 9, 0, 53, 0, 12 };
	char buf[8];

	cr_assert_eq(bind_to(a, s, 0, 53), 0);
	link_inject(l, LINK_B, pkt, link_build_ip(pkt, TAP_ADDR, LOOPBACK_ADDR, 17, udp, 12));
	link_inject(l, LINK_B, pkt, link_build_ip(pkt, LOOPBACK_ADDR, A_ADDR, 17, udp, 12));
	run_ms(5);
	cr_assert_eq(stack_counter(a, IPPROTO_IP, "InAddrErrors"), before + 2);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
}

/* NC_TCP_CATCHALL: a listener for every port nobody listens on. */
Test(loopback, tcp_catchall)
{
	int all = tcp_sock(a), one = listen_on(a, 7000, 8), c1 = tcp_sock(a), c2 = tcp_sock(a);
	int second = tcp_sock(a), s;

	cr_assert_eq(set_int(a, all, IPPROTO_TCP, NC_TCP_CATCHALL, 1), 0);
	cr_assert_eq(sock_listen(a, all, 8), 0);
	cr_assert_eq(set_int(a, second, IPPROTO_TCP, NC_TCP_CATCHALL, 1), 0);
	cr_assert_eq(sock_listen(a, second, 8), -EADDRINUSE, "one catch-all a stack");
	cr_assert_eq(connect_to(a, c1, LOOPBACK_ADDR, 4242), -EINPROGRESS);
	cr_assert_eq(connect_to(a, c2, LOOPBACK_ADDR, 7000), -EINPROGRESS);
	run_ms(1);
	cr_assert_eq(state_of(a, c1), NC_TCP_ESTABLISHED);
	s = sock_accept(a, all, NULL, NULL);
	cr_assert_geq(s, 0);
	cr_assert_eq(sock_accept(a, all, NULL, NULL), -EAGAIN, "7000 is the other's");
	cr_assert_geq(sock_accept(a, one, NULL, NULL), 0);
	cr_assert_eq(pump(a, c1, a, s, 1000, 100), 1000u);
}

static int nread(int fd)
{
	int n = -1;
	socklen_t len = sizeof n;

	cr_assert_eq(sock_getopt(a, fd, SOL_SOCKET, NC_SO_NREAD, &n, &len), 0);
	return n;
}

/* NC_SO_NREAD: what a stat of data gives, the bytes waiting to be read. */
Test(loopback, bytes_queued)
{
	int s = sock_socket(a, AF_INET, SOCK_DGRAM, 0), c = sock_socket(a, AF_INET, SOCK_DGRAM, 0);
	int lfd = listen_on(a, 7000, 8), tc = tcp_sock(a), ts;
	struct sockaddr_in to = sin_of(LOOPBACK_ADDR, 53);
	char buf[16];

	cr_assert_eq(bind_to(a, s, 0, 53), 0);
	cr_assert_eq(nread(s), 0);
	sock_sendto(a, c, "abc", 3, 0, (struct sockaddr *)&to, sizeof to);
	sock_sendto(a, c, "defgh", 5, 0, (struct sockaddr *)&to, sizeof to);
	run_ms(1);
	cr_assert_eq(nread(s), 8, "payloads, not records: %d", nread(s));
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 3);
	cr_assert_eq(nread(s), 5);

	cr_assert_eq(connect_to(a, tc, LOOPBACK_ADDR, 7000), -EINPROGRESS);
	run_ms(1);
	ts = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(ts, 0);
	cr_assert_eq(send_str(a, tc, "0123456789"), 10);
	run_ms(1);
	cr_assert_eq(nread(ts), 10);
}

/* ICMP on the loopback: a port unreachable refuses, an echo is answered. */
Test(loopback, icmp)
{
	int u = sock_socket(a, AF_INET, SOCK_DGRAM, 0);
	int p = sock_socket(a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	struct sockaddr_in closed = sin_of(LOOPBACK_ADDR, 9), me = sin_of(LOOPBACK_ADDR, 0);
	char buf[8];

	cr_assert_eq(sock_connect(a, u, (struct sockaddr *)&closed, sizeof closed), 0);
	cr_assert_eq(sock_sendto(a, u, "x", 1, 0, NULL, 0), 1);
	run_ms(1);
	cr_assert_eq(sock_recvfrom(a, u, buf, sizeof buf, 0, NULL, NULL), -ECONNREFUSED);
	cr_assert_geq(p, 0);
	cr_assert_eq(sock_connect(a, p, (struct sockaddr *)&me, sizeof me), 0);
	cr_assert_eq(sock_sendto(a, p, "ping", 4, 0, NULL, 0), 4);
	run_ms(1);
	cr_assert_eq(sock_recvfrom(a, p, buf, sizeof buf, 0, NULL, NULL), 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	cr_assert_eq(link_sent(), 0);
}
