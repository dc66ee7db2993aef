/*
 * Echo sockets (/net/icmp): two stacks pinging each other, and a tap that
 * looks at the requests (id, sequence, payload) and forges replies.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "icmp.h"
#include "ip.h"
#include "fixture.h"
#include "link.h"
#include "sock.h"
#include "stack.h"

enum { OTHER = 0x0a4d0009 };

TestSuite(echosock, .init = two_stacks, .fini = teardown);
TestSuite(echosock_tap, .init = stack_and_tap, .fini = teardown);

static int echo_socket(void)
{
	int fd = sock_socket(a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	cr_assert_geq(fd, 0, "socket: %d", fd);
	return fd;
}

Test(echosock, udp_is_still_the_default_datagram_protocol)
{
	int fd = sock_socket(a, AF_INET, SOCK_DGRAM, 0);
	int type;
	socklen_t len = sizeof type;

	cr_assert_geq(fd, 0);
	cr_assert_eq(sock_getopt(a, fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
	cr_assert_eq(type, SOCK_DGRAM);
	cr_assert_eq(sock_sendto(a, fd, "x", 1, 0, NULL, 0), -EDESTADDRREQ);
}

Test(echosock, echo_through_two_stacks)
{
	int fd = echo_socket();
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	char buf[64];

	cr_assert_eq(send_str(a, fd, "nobody"), -EDESTADDRREQ);
	cr_assert_eq(connect_to(a, fd, B_ADDR, 0), 0);
	cr_assert_eq(sock_poll(a, fd) & POLLIN, 0);
	for (int i = 0; i < 3; i++) {
		char msg[16];
		int n = snprintf(msg, sizeof msg, "echo %d", i);
		cr_assert_eq(send_str(a, fd, msg), n);
		run_ms(10);
		cr_assert(sock_poll(a, fd) & POLLIN);
		flen = sizeof from;
		cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen),
			     n);
		cr_assert_eq(memcmp(buf, msg, n), 0);
		cr_assert_eq(ntohl(from.sin_addr.s_addr), B_ADDR);
	}
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	cr_assert_eq(a->icmps[ICMPS_OUT_ECHOS], 3);
	cr_assert_eq(a->icmps[ICMPS_IN_ECHO_REPS], 3);
}

Test(echosock, replies_go_to_their_own_socket)
{
	int s1 = echo_socket(), s2 = echo_socket();
	char buf[16];

	cr_assert_eq(connect_to(a, s1, B_ADDR, 0), 0);
	cr_assert_eq(connect_to(a, s2, B_ADDR, 0), 0);
	cr_assert_eq(send_str(a, s1, "one"), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(a, s2, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	cr_assert_eq(sock_recvfrom(a, s1, buf, sizeof buf, 0, NULL, NULL), 3);
	cr_assert_eq(send_str(a, s2, "two!"), 4);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(a, s1, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	cr_assert_eq(sock_recvfrom(a, s2, buf, sizeof buf, 0, NULL, NULL), 4);
}

Test(echosock, large_payload_is_fragmented_and_comes_back_whole)
{
	static uint8_t d[4000], got[5000];
	int fd = echo_socket();

	for (size_t i = 0; i < sizeof d; i++)
		d[i] = (uint8_t)(i * 3);
	cr_assert_eq(connect_to(a, fd, B_ADDR, 0), 0);
	cr_assert_eq(sock_sendto(a, fd, d, sizeof d, 0, NULL, 0), 4000);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(a, fd, got, sizeof got, 0, NULL, NULL), 4000);
	cr_assert_eq(memcmp(d, got, sizeof d), 0);
}

Test(echosock, close_frees_everything)
{
	int s1 = echo_socket(), s2 = echo_socket();

	cr_assert_eq(connect_to(a, s1, B_ADDR, 0), 0);
	cr_assert_eq(send_str(a, s1, "queued"), 6);
	run_ms(10);
	cr_assert_eq(sock_close(a, s1), 0);	/* with a reply queued */
	cr_assert_eq(sock_close(a, s2), 0);
	cr_assert_null(a->ping);
	s1 = echo_socket();
	cr_assert_eq(connect_to(a, s1, B_ADDR, 0), 0);
	cr_assert_eq(send_str(a, s1, "again"), 5);
	run_ms(10);
	cr_assert(sock_poll(a, s1) & POLLIN);
}

/* ---- against a tap ---- */

static uint8_t pkt[2048];

/* Take the next packet at the tap: it must be an echo request to TAP_ADDR. */
static size_t take_request(uint16_t *id, uint16_t *seq)
{
	size_t n = link_recv(l, LINK_B, pkt, sizeof pkt);

	cr_assert_geq(n, IP_HLEN + 8);
	cr_assert_eq(pkt[9], IP_PROTO_ICMP);
	cr_assert_eq(get32(pkt + 16), TAP_ADDR);
	cr_assert_eq(pkt[IP_HLEN], ICMP_ECHO);
	cr_assert_eq(cksum(pkt + IP_HLEN, n - IP_HLEN), 0);
	*id = get16(pkt + IP_HLEN + 4);
	*seq = get16(pkt + IP_HLEN + 6);
	return n - IP_HLEN - 8;
}

static void reply(uint32_t src, uint16_t id, uint16_t seq, const char *data)
{
	uint8_t m[256], p[300];
	size_t len = 8 + strlen(data), n;

	m[0] = ICMP_ECHOREPLY;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, id);
	put16(m + 6, seq);
	memcpy(m + 8, data, strlen(data));
	put16(m + 2, cksum(m, len));
	n = link_build_ip(p, src, A_ADDR, IP_PROTO_ICMP, m, len);
	cr_assert_eq(link_inject(l, LINK_B, p, n), 0);
	run_ms(10);
}

Test(echosock_tap, requests_carry_the_id_and_increasing_sequence)
{
	int fd = echo_socket();
	uint16_t id, seq, id0 = 0;
	struct sockaddr_in me;
	socklen_t len = sizeof me;

	cr_assert_eq(connect_to(a, fd, TAP_ADDR, 0), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(send_str(a, fd, "abc"), 3);
		run_ms(10);
		cr_assert_eq(take_request(&id, &seq), 3);
		cr_assert_eq(memcmp(pkt + IP_HLEN + 8, "abc", 3), 0);
		cr_assert_eq(seq, i);
		if (i == 0)
			id0 = id;
		cr_assert_eq(id, id0, "one id per socket");
	}
	cr_assert_eq(sock_name(a, fd, 0, (struct sockaddr *)&me, &len), 0);
	cr_assert_eq(ntohs(me.sin_port), id0, "the id is the local port");
}

Test(echosock_tap, only_matching_replies_are_received)
{
	int fd = echo_socket();
	uint16_t id, seq;
	char buf[32];

	cr_assert_eq(connect_to(a, fd, TAP_ADDR, 0), 0);
	cr_assert_eq(send_str(a, fd, "x"), 1);
	run_ms(10);
	take_request(&id, &seq);

	reply(TAP_ADDR, (uint16_t)(id + 1), seq, "wrong id");
	reply(OTHER, id, seq, "wrong peer");
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	reply(TAP_ADDR, id, seq, "right");
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), 5);
	cr_assert_eq(memcmp(buf, "right", 5), 0);
	/* truncated to the buffer, one reply per read */
	reply(TAP_ADDR, id, seq, "longer reply");
	cr_assert_eq(sock_recvfrom(a, fd, buf, 6, 0, NULL, NULL), 6);
	cr_assert_eq(sock_recvfrom(a, fd, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
}

Test(echosock_tap, dissolved_socket_needs_an_address_again)
{
	int fd = echo_socket();
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(TAP_ADDR) };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	uint16_t id, seq;

	cr_assert_eq(connect_to(a, fd, TAP_ADDR, 0), 0);
	cr_assert_eq(sock_connect(a, fd, &unspec, sizeof unspec), 0);
	cr_assert_eq(send_str(a, fd, "x"), -EDESTADDRREQ);
	cr_assert_eq(sock_sendto(a, fd, "yz", 2, 0, (struct sockaddr *)&sin, sizeof sin), 2);
	run_ms(10);
	cr_assert_eq(take_request(&id, &seq), 2);
}
