/*
 * UDP: connect again and again, dissolve, EDESTADDRREQ, filtering on a
 * connected socket, ICMP port unreachable -> ECONNREFUSED, checksums, the
 * bounded receive queue, truncation, and big (fragmented) datagrams. Two
 * stacks back to back, or one stack and a tap playing the peer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "icmp.h"
#include "ip.h"
#include "fixture.h"
#include "link.h"
#include "sock.h"
#include "stack.h"

enum { BCAST = 0x0a4d00ff };

TestSuite(udp, .init = two_stacks, .fini = teardown);
TestSuite(udp_tap, .init = stack_and_tap, .fini = teardown);

/* ---- helpers ---- */

static int udp_socket(struct stack *st)
{
	int fd = sock_socket(st, AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "socket: %d", fd);
	return fd;
}

static int bound_socket(struct stack *st, uint16_t port)
{
	int fd = udp_socket(st);
	struct sockaddr_in sin = sin_of(0, port);

	cr_assert_eq(sock_bind(st, fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

static ssize_t sendto_str(struct stack *st, int fd, const char *s, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = sin_of(addr, port);

	return sock_sendto(st, fd, s, strlen(s), 0, (struct sockaddr *)&sin, sizeof sin);
}

/* Receive one datagram as a string; its length, or the negative errno. */
static ssize_t recv_str(struct stack *st, int fd, char *buf, size_t size, struct sockaddr_in *from)
{
	socklen_t flen = sizeof *from;
	ssize_t n = sock_recvfrom(st, fd, buf, size - 1, 0, (struct sockaddr *)from, &flen);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static uint16_t local_port(struct stack *st, int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	cr_assert_eq(sock_name(st, fd, 0, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* ---- connect, re-connect, dissolve ---- */

Test(udp, send_unconnected_without_address_is_edestaddrreq)
{
	int fd = udp_socket(a);

	cr_assert_eq(send_str(a, fd, "x"), -EDESTADDRREQ);
}

Test(udp, connect_reconnect_dissolve)
{
	int s7 = bound_socket(b, 7), s8 = bound_socket(b, 8), fd = udp_socket(a);
	struct sockaddr_in from, peer;
	socklen_t plen = sizeof peer;
	char buf[64];

	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(send_str(a, fd, "one"), 3);
	run_ms(10);
	cr_assert_eq(recv_str(b, s7, buf, sizeof buf, &from), 3);
	cr_assert_str_eq(buf, "one");
	cr_assert_eq(ntohl(from.sin_addr.s_addr), A_ADDR);
	cr_assert_eq(ntohs(from.sin_port), local_port(a, fd));

	/* again: the peer and the filter change */
	cr_assert_eq(connect_to(a, fd, B_ADDR, 8), 0);
	cr_assert_eq(sock_name(a, fd, 1, (struct sockaddr *)&peer, &plen), 0);
	cr_assert_eq(ntohs(peer.sin_port), 8);
	cr_assert_eq(send_str(a, fd, "two"), 3);
	run_ms(10);
	cr_assert_eq(recv_str(b, s8, buf, sizeof buf, &from), 3);
	cr_assert_str_eq(buf, "two");
	cr_assert_eq(recv_str(b, s7, buf, sizeof buf, &from), -EAGAIN);
	cr_assert_eq(sendto_str(b, s8, "back", A_ADDR, local_port(a, fd)), 4);
	run_ms(10);
	cr_assert_eq(recv_str(a, fd, buf, sizeof buf, &from), 4);
	cr_assert_eq(ntohs(from.sin_port), 8);

	/* AF_UNSPEC dissolves: no peer, no default destination */
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	cr_assert_eq(sock_connect(a, fd, &unspec, sizeof unspec), 0);
	plen = sizeof peer;
	cr_assert_eq(sock_name(a, fd, 1, (struct sockaddr *)&peer, &plen), -ENOTCONN);
	cr_assert_eq(send_str(a, fd, "x"), -EDESTADDRREQ);
	/* sendto still works, and connecting again too */
	cr_assert_eq(sendto_str(a, fd, "three", B_ADDR, 7), 5);
	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(send_str(a, fd, "four"), 4);
	run_ms(10);
	cr_assert_eq(recv_str(b, s7, buf, sizeof buf, &from), 5);
	cr_assert_str_eq(buf, "three");
	cr_assert_eq(recv_str(b, s7, buf, sizeof buf, &from), 4);
	cr_assert_str_eq(buf, "four");

	/* 0.0.0.0 port 0 dissolves as well */
	cr_assert_eq(connect_to(a, fd, 0, 0), 0);
	cr_assert_eq(send_str(a, fd, "x"), -EDESTADDRREQ);
}

Test(udp, dissolve_keeps_a_bound_port_and_releases_an_implicit_one)
{
	int fd = bound_socket(a, 4000), other = udp_socket(a);

	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(connect_to(a, fd, 0, 0), 0);
	cr_assert_eq(local_port(a, fd), 4000);

	cr_assert_eq(connect_to(a, other, B_ADDR, 7), 0);
	cr_assert_neq(local_port(a, other), 0);
	cr_assert_eq(connect_to(a, other, 0, 0), 0);
	cr_assert_eq(local_port(a, other), 0);
}

Test(udp, connect_binds_an_ephemeral_port_and_the_local_address)
{
	int fd = udp_socket(a);
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	cr_assert_eq(connect_to(a, fd, B_ADDR, 9), 0);
	cr_assert_eq(sock_name(a, fd, 0, (struct sockaddr *)&sin, &len), 0);
	cr_assert_eq(ntohl(sin.sin_addr.s_addr), A_ADDR);
	cr_assert_geq(ntohs(sin.sin_port), EPHEMERAL_LO);
	cr_assert_leq(ntohs(sin.sin_port), EPHEMERAL_HI);
}

/* ---- bind ---- */

Test(udp, bind_errors)
{
	int fd = bound_socket(a, 5000), fd2 = udp_socket(a), fd3 = udp_socket(a);
	struct sockaddr_in same = sin_of(0, 5000), foreign = sin_of(B_ADDR, 5001);
	struct sockaddr_in other = sin_of(A_ADDR, 5002);

	cr_assert_eq(sock_bind(a, fd2, (struct sockaddr *)&same, sizeof same), -EADDRINUSE);
	cr_assert_eq(sock_bind(a, fd2, (struct sockaddr *)&foreign, sizeof foreign),
		     -EADDRNOTAVAIL);
	cr_assert_eq(sock_bind(a, fd, (struct sockaddr *)&other, sizeof other), -EINVAL,
		     "bound twice");
	cr_assert_eq(sock_bind(a, fd3, (struct sockaddr *)&other, sizeof other), 0);
}

Test(udp, reuseaddr_lets_two_sockets_share_a_port)
{
	int one = 1, fd = udp_socket(a), fd2 = udp_socket(a);
	struct sockaddr_in sin = sin_of(0, 5000);

	cr_assert_eq(sock_setopt(a, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_setopt(a, fd2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_bind(a, fd, (struct sockaddr *)&sin, sizeof sin), 0);
	cr_assert_eq(sock_bind(a, fd2, (struct sockaddr *)&sin, sizeof sin), 0);
}

Test(udp, reuseaddr_shares_only_among_sockets_that_all_set_it)
{
	int one = 1, fd = udp_socket(a), fd2 = udp_socket(a), fd3 = udp_socket(a);
	struct sockaddr_in sin = sin_of(0, 5000);

	cr_assert_eq(sock_setopt(a, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_bind(a, fd, (struct sockaddr *)&sin, sizeof sin), 0);
	cr_assert_eq(sock_bind(a, fd2, (struct sockaddr *)&sin, sizeof sin), -EADDRINUSE,
		     "the second did not set it");
	cr_assert_eq(sock_setopt(a, fd3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_bind(a, fd3, (struct sockaddr *)&sin, sizeof sin), 0);
}

/* ---- filtering ---- */

Test(udp, connected_socket_takes_only_its_peer)
{
	int srv = bound_socket(b, 7), stranger = bound_socket(b, 9), fd = bound_socket(a, 6000);
	struct sockaddr_in from;
	char buf[64];

	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(sendto_str(b, stranger, "foreign", A_ADDR, 6000), 7);
	run_ms(10);
	cr_assert_eq(recv_str(a, fd, buf, sizeof buf, &from), -EAGAIN);
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "NoPorts"), 1);
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "InDatagrams"), 0);

	cr_assert_eq(sendto_str(b, srv, "peer", A_ADDR, 6000), 4);
	run_ms(10);
	cr_assert_eq(recv_str(a, fd, buf, sizeof buf, &from), 4);
	cr_assert_str_eq(buf, "peer");
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "InDatagrams"), 1);
}

Test(udp, connected_socket_wins_over_a_wildcard_on_the_same_port)
{
	int one = 1, wild = udp_socket(a), conn = udp_socket(a);
	int p7 = bound_socket(b, 7), p8 = bound_socket(b, 8);
	struct sockaddr_in sin = sin_of(0, 6000), from;
	char buf[64];

	cr_assert_eq(sock_setopt(a, wild, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_setopt(a, conn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_bind(a, wild, (struct sockaddr *)&sin, sizeof sin), 0);
	cr_assert_eq(sock_bind(a, conn, (struct sockaddr *)&sin, sizeof sin), 0);
	cr_assert_eq(connect_to(a, conn, B_ADDR, 7), 0);

	cr_assert_eq(sendto_str(b, p7, "to-conn", A_ADDR, 6000), 7);
	cr_assert_eq(sendto_str(b, p8, "to-wild", A_ADDR, 6000), 7);
	run_ms(10);
	cr_assert_eq(recv_str(a, conn, buf, sizeof buf, &from), 7);
	cr_assert_str_eq(buf, "to-conn");
	cr_assert_eq(recv_str(a, wild, buf, sizeof buf, &from), 7);
	cr_assert_str_eq(buf, "to-wild");
	cr_assert_eq(recv_str(a, conn, buf, sizeof buf, &from), -EAGAIN);
	cr_assert_eq(recv_str(a, wild, buf, sizeof buf, &from), -EAGAIN);
}

/* ---- ICMP port unreachable ---- */

Test(udp, port_unreachable_gives_econnrefused_on_next_send_then_clears)
{
	int fd = udp_socket(a), err;
	socklen_t len = sizeof err;

	cr_assert_eq(connect_to(a, fd, B_ADDR, 99), 0);
	cr_assert_eq(send_str(a, fd, "anyone?"), 7);
	run_ms(10);
	cr_assert_eq(stack_counter(b, IPPROTO_UDP, "NoPorts"), 1);
	cr_assert_eq(stack_counter(b, IPPROTO_ICMP, "OutDestUnreachs"), 1);
	cr_assert(sock_poll(a, fd) & POLLERR);
	cr_assert_eq(send_str(a, fd, "again"), -ECONNREFUSED);
	cr_assert_eq(send_str(a, fd, "again"), 5, "reported once");
	cr_assert_eq(sock_getopt(a, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	cr_assert_eq(err, 0);
}

Test(udp, port_unreachable_reported_on_recv_and_so_error)
{
	int fd = udp_socket(a), err;
	socklen_t len = sizeof err;
	struct sockaddr_in from;
	char buf[16];

	cr_assert_eq(connect_to(a, fd, B_ADDR, 99), 0);
	cr_assert_eq(send_str(a, fd, "x"), 1);
	run_ms(10);
	cr_assert_eq(recv_str(a, fd, buf, sizeof buf, &from), -ECONNREFUSED);
	cr_assert_eq(recv_str(a, fd, buf, sizeof buf, &from), -EAGAIN);

	cr_assert_eq(send_str(a, fd, "x"), 1);
	run_ms(10);
	cr_assert_eq(sock_getopt(a, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	cr_assert_eq(err, ECONNREFUSED);
	cr_assert_eq(send_str(a, fd, "x"), 1);
}

Test(udp, unconnected_socket_ignores_port_unreachable)
{
	int fd = udp_socket(a);

	cr_assert_eq(sendto_str(a, fd, "x", B_ADDR, 99), 1);
	run_ms(10);
	cr_assert_eq(stack_counter(b, IPPROTO_ICMP, "OutDestUnreachs"), 1);
	cr_assert_eq(sock_poll(a, fd) & POLLERR, 0);
	cr_assert_eq(sendto_str(a, fd, "y", B_ADDR, 99), 1);
}

Test(udp, unreachable_for_another_peer_is_not_reported)
{
	int fd = bound_socket(a, 6000), srv = bound_socket(b, 7);

	(void)srv;
	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(sendto_str(a, fd, "x", B_ADDR, 99), 1);	/* sendto elsewhere */
	run_ms(10);
	cr_assert_eq(sock_poll(a, fd) & POLLERR, 0);
	cr_assert_eq(send_str(a, fd, "y"), 1);
}

/* ---- the receive side ---- */

Test(udp, one_datagram_per_recv_truncated_to_the_buffer)
{
	int srv = bound_socket(b, 7), fd = udp_socket(a);
	char big[100], buf[200];
	struct sockaddr_in from;
	socklen_t flen = sizeof from;

	memset(big, 'q', sizeof big);
	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(sock_sendto(a, fd, big, sizeof big, 0, NULL, 0), 100);
	cr_assert_eq(send_str(a, fd, "next"), 4);
	cr_assert_eq(send_str(a, fd, "last"), 4);
	run_ms(10);
	cr_assert(sock_poll(b, srv) & POLLIN);
	cr_assert_eq(sock_recvfrom(b, srv, buf, 10, 0, (struct sockaddr *)&from, &flen), 10);
	cr_assert_eq(sock_recvfrom(b, srv, buf, 3, MSG_PEEK | MSG_TRUNC, NULL, NULL), 4);
	cr_assert_eq(recv_str(b, srv, buf, sizeof buf, &from), 4);
	cr_assert_str_eq(buf, "next");
	cr_assert_eq(recv_str(b, srv, buf, sizeof buf, &from), 4);
	cr_assert_eq(recv_str(b, srv, buf, sizeof buf, &from), -EAGAIN);
	cr_assert_eq(sock_poll(b, srv) & POLLIN, 0);
}

Test(udp, empty_datagrams_travel)
{
	int srv = bound_socket(b, 7), fd = udp_socket(a);
	char buf[8];

	cr_assert_eq(sendto_str(a, fd, "", B_ADDR, 7), 0);
	run_ms(10);
	cr_assert(sock_poll(b, srv) & POLLIN);
	cr_assert_eq(sock_recvfrom(b, srv, buf, sizeof buf, 0, NULL, NULL), 0);
	cr_assert_eq(sock_recvfrom(b, srv, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
}

Test(udp, receive_queue_is_bounded_and_overflow_is_counted)
{
	int srv = bound_socket(b, 7), fd = udp_socket(a), small = SOCK_MIN_BUF, got = 0;
	char d[1000], buf[1000];

	memset(d, 'z', sizeof d);
	cr_assert_eq(sock_setopt(b, srv, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(sock_sendto(a, fd, d, sizeof d, 0, NULL, 0), 1000);
	run_ms(10);
	while (sock_recvfrom(b, srv, buf, sizeof buf, 0, NULL, NULL) == 1000)
		got++;
	cr_assert_eq(got, 2, "2048 bytes hold two 1000-byte datagrams");
	cr_assert_eq(stack_counter(b, IPPROTO_UDP, "RcvbufErrors"), 8);
	cr_assert_eq(stack_counter(b, IPPROTO_UDP, "InDatagrams"), 2);
	/* drained, it takes more again */
	cr_assert_eq(sock_sendto(a, fd, d, sizeof d, 0, NULL, 0), 1000);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, srv, buf, sizeof buf, 0, NULL, NULL), 1000);
}

/* By default a UDP socket holds 4 MiB of datagrams nobody has read yet:
 * 2800 of 1448 bytes, what a 100 Mbit/s stream brings in a third of a
 * second (a reader's stall), where 1 MiB held 720. */
Test(udp, default_queue_holds_four_mebibytes)
{
	int srv = bound_socket(b, 7), fd = udp_socket(a), got = 0, v;
	socklen_t len = sizeof v;
	static char d[1448], buf[1448];

	cr_assert_eq(sock_getopt(b, srv, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	cr_assert_eq(v, 4 << 20);
	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	for (int i = 0; i < 2800; i++) {
		cr_assert_eq(sock_sendto(a, fd, d, sizeof d, 0, NULL, 0), 1448);
		if (i % 100 == 99)
			run_ms(1);
	}
	run_ms(10);
	while (sock_recvfrom(b, srv, buf, sizeof buf, 0, NULL, NULL) == 1448)
		got++;
	cr_assert_eq(got, 2800);
	cr_assert_eq(stack_counter(b, IPPROTO_UDP, "RcvbufErrors"), 0);
}

static int events;
static short last_revents;

static void count_event(void *arg, int s, short revents)
{
	(void)arg;
	(void)s;
	events++;
	last_revents = revents;
}

Test(udp, arrival_raises_an_event)
{
	int srv = bound_socket(b, 7), fd = udp_socket(a);

	events = 0;
	cr_assert_eq(sock_set_cb(b, srv, count_event, NULL), 0);
	cr_assert_eq(sendto_str(a, fd, "ping", B_ADDR, 7), 4);
	run_ms(10);
	cr_assert_eq(events, 1);
	cr_assert(last_revents & POLLIN);
	cr_assert(last_revents & POLLOUT);
}

Test(udp, shutdown_read_and_write)
{
	int fd = udp_socket(a);
	char buf[8];

	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(sock_shutdown(a, fd, SHUT_RD), 0);
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), 0);
	cr_assert(sock_poll(a, fd) & POLLIN);
	cr_assert_eq(sock_shutdown(a, fd, SHUT_WR), 0);
	cr_assert_eq(send_str(a, fd, "x"), -EPIPE);
	cr_assert(sock_poll(a, fd) & POLLHUP);
}

Test(udp, datagram_of_8000_bytes_both_ways)
{
	int srv = bound_socket(b, 7), fd = udp_socket(a);
	static uint8_t d[8000], got[9000];
	struct sockaddr_in from;
	socklen_t flen = sizeof from;

	for (size_t i = 0; i < sizeof d; i++)
		d[i] = (uint8_t)(i * 31 + 7);
	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(sock_sendto(a, fd, d, sizeof d, 0, NULL, 0), 8000);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, srv, got, sizeof got, 0, (struct sockaddr *)&from, &flen),
		     8000);
	cr_assert_eq(memcmp(d, got, sizeof d), 0);
	cr_assert_eq(stack_counter(b, IPPROTO_IP, "ReasmOKs"), 1);

	cr_assert_eq(sock_sendto(b, srv, d, sizeof d, 0, (struct sockaddr *)&from, flen), 8000);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(a, fd, got, sizeof got, 0, NULL, NULL), 8000);
	cr_assert_eq(memcmp(d, got, sizeof d), 0);
}

Test(udp, too_big_is_emsgsize)
{
	static uint8_t d[65536];
	int fd = udp_socket(a);

	cr_assert_eq(connect_to(a, fd, B_ADDR, 7), 0);
	cr_assert_eq(sock_sendto(a, fd, d, 65508, 0, NULL, 0), -EMSGSIZE);
	cr_assert_eq(sock_sendto(a, fd, d, 65507, 0, NULL, 0), 65507);
}

Test(udp, closing_a_socket_frees_its_port_and_queue)
{
	int srv = bound_socket(b, 7), fd = udp_socket(a);
	struct sockaddr_in sin = sin_of(0, 7);

	cr_assert_eq(sendto_str(a, fd, "queued", B_ADDR, 7), 6);
	run_ms(10);
	cr_assert_eq(sock_close(b, srv), 0);	/* with a datagram queued */
	srv = udp_socket(b);
	cr_assert_eq(sock_bind(b, srv, (struct sockaddr *)&sin, sizeof sin), 0);
}

Test(udp, counters_are_named)
{
	struct nc_stat s[16];
	int n = stack_stats(a, IPPROTO_UDP, s, 16);

	cr_assert_geq(n, 5);
	cr_assert_str_eq(s[0].name, "InDatagrams");
	cr_assert_str_eq(s[1].name, "NoPorts");
	cr_assert_str_eq(s[2].name, "InErrors");
	cr_assert_str_eq(s[3].name, "OutDatagrams");
	cr_assert_str_eq(s[4].name, "RcvbufErrors");
}

/* ---- against a tap: the bytes on the wire ---- */

static uint8_t pkt[2048];

/* A UDP datagram from the tap, checksum computed unless sum_zero. */
static size_t udp_packet(uint32_t dst, uint16_t sport, uint16_t dport, const char *data,
			 int sum_zero)
{
	uint8_t u[1024];
	size_t len = 8 + strlen(data);

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)len);
	put16(u + 6, 0);
	memcpy(u + 8, data, strlen(data));
	if (!sum_zero) {
		uint16_t s = cksum_fold(cksum_add(cksum_pseudo(TAP_ADDR, dst, IP_PROTO_UDP, len), u, len));
		put16(u + 6, s ? s : 0xffff);
	}
	return link_build_ip(pkt, TAP_ADDR, dst, IP_PROTO_UDP, u, len);
}

static void inject(size_t len)
{
	cr_assert_eq(link_inject(l, LINK_B, pkt, len), 0);
	run_ms(10);
}

Test(udp_tap, checksum_is_generated_and_valid)
{
	int fd = bound_socket(a, 5353);
	uint8_t got[256];
	size_t n;

	cr_assert_eq(sendto_str(a, fd, "odd", TAP_ADDR, 53), 3);
	run_ms(10);
	n = link_recv(l, LINK_B, got, sizeof got);
	cr_assert_eq(n, IP_HLEN + 8 + 3);
	cr_assert_eq(got[9], IP_PROTO_UDP);
	cr_assert_eq(get16(got + IP_HLEN), 5353);
	cr_assert_eq(get16(got + IP_HLEN + 2), 53);
	cr_assert_eq(get16(got + IP_HLEN + 4), 11);
	cr_assert_neq(get16(got + IP_HLEN + 6), 0);
	cr_assert_eq(cksum_fold(cksum_add(cksum_pseudo(A_ADDR, TAP_ADDR, IP_PROTO_UDP, 11),
					  got + IP_HLEN, 11)), 0);
	cr_assert_eq(memcmp(got + IP_HLEN + 8, "odd", 3), 0);
}

Test(udp_tap, bad_checksum_dropped_zero_checksum_accepted)
{
	int fd = bound_socket(a, 7);
	size_t len;
	char buf[32];

	len = udp_packet(A_ADDR, 1000, 7, "corrupt", 0);
	pkt[len - 1] ^= 0x40;
	inject(len);
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "InCsumErrors"), 1);
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "InErrors"), 1);

	inject(udp_packet(A_ADDR, 1000, 7, "nosum", 1));
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), 5);
	inject(udp_packet(A_ADDR, 1000, 7, "good", 0));
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), 4);
}

Test(udp_tap, bad_lengths_are_errors)
{
	int fd = bound_socket(a, 7);
	size_t len = udp_packet(A_ADDR, 1000, 7, "abcdef", 1);
	char buf[32];

	put16(pkt + IP_HLEN + 4, 200);	/* longer than the IP payload */
	inject(len);
	len = udp_packet(A_ADDR, 1000, 7, "abcdef", 1);
	put16(pkt + IP_HLEN + 4, 4);	/* shorter than the header */
	inject(len);
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "InErrors"), 2);
	/* shorter than the IP payload: the rest is padding */
	len = udp_packet(A_ADDR, 1000, 7, "abcdef", 1);
	put16(pkt + IP_HLEN + 4, 8 + 3);
	inject(len);
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), 3);
}

Test(udp_tap, closed_port_answers_port_unreachable)
{
	uint8_t got[256];
	size_t len = udp_packet(A_ADDR, 1000, 4444, "hello", 0), n;

	inject(len);
	n = link_recv(l, LINK_B, got, sizeof got);
	cr_assert_geq(n, IP_HLEN + 8 + len);
	cr_assert_eq(got[9], IP_PROTO_ICMP);
	cr_assert_eq(got[IP_HLEN], ICMP_UNREACH);
	cr_assert_eq(got[IP_HLEN + 1], ICMP_UNREACH_PORT);
	cr_assert_eq(memcmp(got + IP_HLEN + 8, pkt, len), 0, "quotes the datagram");
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "NoPorts"), 1);
}

Test(udp_tap, broadcast_reaches_every_listener_and_draws_no_unreachable)
{
	int one = 1, s1 = udp_socket(a), s2 = udp_socket(a);
	struct sockaddr_in sin = sin_of(0, 67);
	char buf[16];

	cr_assert_eq(sock_setopt(a, s1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_setopt(a, s2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	cr_assert_eq(sock_bind(a, s1, (struct sockaddr *)&sin, sizeof sin), 0);
	cr_assert_eq(sock_bind(a, s2, (struct sockaddr *)&sin, sizeof sin), 0);
	inject(udp_packet(BCAST, 68, 67, "dhcp", 0));
	cr_assert_eq(sock_recvfrom(a, s1, buf, sizeof buf, 0, NULL, NULL), 4);
	cr_assert_eq(sock_recvfrom(a, s2, buf, sizeof buf, 0, NULL, NULL), 4);

	inject(udp_packet(BCAST, 68, 4444, "nobody", 0));
	cr_assert_eq(link_pending(l, LINK_B), 0, "no ICMP about a broadcast");
	cr_assert_eq(stack_counter(a, IPPROTO_UDP, "NoPorts"), 1);
}
