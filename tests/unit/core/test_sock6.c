/* AF_INET6 sockets: dual stack (IPv4 peers as ::ffff:a.b.c.d),
 * IPV6_V6ONLY, and the connect() errno rows of SPEC §3 for IPv6. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "icmp6.h"
#include "ip6.h"
#include "sock.h"
#include "stack.h"

static struct in6_addr a6, b6;

/* a and b back to back, both with IPv6 (b with no default v6 route). */
static void dual_stacks(void)
{
	struct stack_config ca = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 11,
				   .prefix6 = 64 };
	struct stack_config cb = { .addr = B_ADDR, .prefix = 24, .mtu = 1500, .seed = 22,
				   .prefix6 = 64 };

	inet_pton(AF_INET6, "fd77::2", &a6);
	inet_pton(AF_INET6, "fd77::3", &b6);
	ca.addr6 = a6;
	inet_pton(AF_INET6, "fd77::1", &ca.gw6);
	cb.addr6 = b6;
	l = link_new(&ca, &cb);
	cr_assert_not_null(l);
	a = link_stack(l, LINK_A);
	b = link_stack(l, LINK_B);
}

TestSuite(sock6, .init = dual_stacks, .fini = teardown);

static struct sockaddr_in6 sin6_of(const char *addr, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	cr_assert_eq(inet_pton(AF_INET6, addr, &s.sin6_addr), 1);
	return s;
}

static int sock6(struct stack *st, int type)
{
	int fd = sock_socket(st, AF_INET6, type | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0, "socket: %d", fd);
	return fd;
}

static int connect6(struct stack *st, int fd, const char *addr, uint16_t port)
{
	struct sockaddr_in6 s = sin6_of(addr, port);

	return sock_connect(st, fd, (struct sockaddr *)&s, sizeof s);
}

static int bind6(struct stack *st, int fd, const char *addr, uint16_t port)
{
	struct sockaddr_in6 s = sin6_of(addr, port);

	return sock_bind(st, fd, (struct sockaddr *)&s, sizeof s);
}

static void assert_mapped(const struct sockaddr_in6 *s, const char *v4, uint16_t port)
{
	char want[64], got[64];

	snprintf(want, sizeof want, "::ffff:%s", v4);
	inet_ntop(AF_INET6, &s->sin6_addr, got, sizeof got);
	cr_assert_eq(s->sin6_family, AF_INET6);
	cr_assert_str_eq(got, want);
	if (port)
		cr_assert_eq(ntohs(s->sin6_port), port);
}

Test(sock6, a_dual_stack_listener_takes_an_ipv4_call_seen_mapped)
{
	int lfd = sock6(b, SOCK_STREAM), c = tcp_sock(a), s;
	struct sockaddr_in6 peer, me;
	socklen_t len = sizeof peer;

	cr_assert_eq(bind6(b, lfd, "::", 80), 0);
	cr_assert_eq(sock_listen(b, lfd, 8), 0);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	run_ms(10);
	s = sock_accept(b, lfd, (struct sockaddr *)&peer, &len);
	cr_assert_geq(s, 0, "accept: %d", s);
	cr_assert_eq(len, sizeof peer);
	assert_mapped(&peer, "10.77.0.2", 0);
	len = sizeof me;
	cr_assert_eq(sock_name(b, s, 0, (struct sockaddr *)&me, &len), 0);
	assert_mapped(&me, "10.77.0.3", 80);
	cr_assert_eq(pump(a, c, b, s, 100000, 2000), 100000);
}

Test(sock6, a_v6_socket_calls_an_ipv4_peer_by_its_mapped_address)
{
	int lfd = listen_on(b, 81, 8), c = sock6(a, SOCK_STREAM), s;
	struct sockaddr_in6 peer;
	socklen_t len = sizeof peer;

	cr_assert_eq(connect6(a, c, "::ffff:10.77.0.3", 81), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	s = sock_accept(b, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	cr_assert_eq(sock_name(a, c, 1, (struct sockaddr *)&peer, &len), 0);
	assert_mapped(&peer, "10.77.0.3", 81);
}

Test(sock6, v6only_listener_refuses_ipv4_calls)
{
	int lfd = sock6(b, SOCK_STREAM), c = tcp_sock(a), on = 1;

	cr_assert_eq(sock_setopt(b, lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), 0);
	cr_assert_eq(bind6(b, lfd, "::", 82), 0);
	cr_assert_eq(sock_setopt(b, lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), -EINVAL,
		     "not after bind");
	cr_assert_eq(sock_listen(b, lfd, 8), 0);
	cr_assert_eq(connect_to(a, c, B_ADDR, 82), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(so_error(a, c), ECONNREFUSED);
}

Test(sock6, udp_dual_stack_connect_reconnect_dissolve)
{
	int u = sock6(a, SOCK_DGRAM), v = sock_socket(b, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 from;
	socklen_t len = sizeof from;
	char buf[16];

	cr_assert_eq(bind_to(b, v, 0, 53), 0);
	cr_assert_eq(connect6(a, u, "::ffff:10.77.0.3", 53), 0);
	cr_assert_eq(send_str(a, u, "one"), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, v, buf, sizeof buf, 0, NULL, NULL), 3);
	cr_assert_eq(connect6(a, u, "::ffff:10.77.0.3", 54), 0, "re-connect");
	cr_assert_eq(connect6(a, u, "::", 0), 0, "dissolve");
	cr_assert_eq(sock_name(a, u, 1, (struct sockaddr *)&from, &len), -ENOTCONN);
	/* the answer from b comes back as a mapped address */
	cr_assert_eq(connect_to(b, v, A_ADDR, 99), 0);
	cr_assert_eq(bind6(a, u = sock6(a, SOCK_DGRAM), "::", 99), 0);
	cr_assert_eq(send_str(b, v, "two"), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(a, u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 3);
	assert_mapped(&from, "10.77.0.3", 53);
}

/* ---- the errno rows of SPEC §3, for IPv6 ---- */

Test(sock6, a_v6_address_on_an_ipv4_socket_is_eafnosupport)
{
	int c = tcp_sock(a);
	struct sockaddr_in6 s = sin6_of("fd77::3", 80);

	cr_assert_eq(sock_connect(a, c, (struct sockaddr *)&s, sizeof s), -EAFNOSUPPORT);
	cr_assert_eq(sock_bind(a, c, (struct sockaddr *)&s, sizeof s), -EAFNOSUPPORT);
}

Test(sock6, an_ipv4_address_on_a_v6_socket_is_eafnosupport)
{
	int c = sock6(a, SOCK_STREAM), u = sock6(a, SOCK_DGRAM);
	struct sockaddr_in s = sin_of(B_ADDR, 80);

	cr_assert_eq(sock_connect(a, c, (struct sockaddr *)&s, sizeof s), -EAFNOSUPPORT);
	cr_assert_eq(sock_bind(a, c, (struct sockaddr *)&s, sizeof s), -EAFNOSUPPORT);
	cr_assert_eq(sock_sendto(a, u, "x", 1, 0, (struct sockaddr *)&s, sizeof s),
		     -EAFNOSUPPORT);
}

Test(sock6, no_v6_route_is_enetunreach)
{
	int c = sock6(b, SOCK_STREAM), u = sock6(b, SOCK_DGRAM);

	cr_assert_eq(connect6(b, c, "2001:db8::1", 80), -ENETUNREACH);
	cr_assert_eq(connect6(b, u, "2001:db8::1", 80), -ENETUNREACH);
}

Test(sock6, a_local_address_not_ours_is_eaddrnotavail)
{
	int c = sock6(a, SOCK_STREAM);

	cr_assert_eq(bind6(a, c, "fd77::99", 0), -EADDRNOTAVAIL);
	cr_assert_eq(bind6(a, c, "::ffff:10.77.0.99", 0), -EADDRNOTAVAIL);
	cr_assert_eq(connect6(a, c, "fd77::3", 0), -EADDRNOTAVAIL, "port 0");
}

Test(sock6, a_mapped_address_on_a_v6only_socket_is_refused)
{
	int c = sock6(a, SOCK_STREAM), on = 1;

	cr_assert_eq(sock_setopt(a, c, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), 0);
	cr_assert_eq(connect6(a, c, "::ffff:10.77.0.3", 80), -ENETUNREACH);
	cr_assert_eq(bind6(a, c, "::ffff:10.77.0.2", 0), -EADDRNOTAVAIL);
}

Test(sock6, ipv6_options_read_back)
{
	int c = sock6(a, SOCK_STREAM), v4 = tcp_sock(a), v = 0;
	socklen_t len = sizeof v;

	cr_assert_eq(sock_getopt(a, c, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
	cr_assert_eq(v, 0, "off by default, as Linux");
	cr_assert_eq(set_int(a, c, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 7), 0);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &len), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(set_int(a, c, IPPROTO_IPV6, IPV6_TCLASS, 0x20), 0);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_IPV6, IPV6_TCLASS, &v, &len), 0);
	cr_assert_eq(v, 0x20);
	cr_assert_eq(set_int(a, v4, IPPROTO_IPV6, IPV6_V6ONLY, 1), -ENOPROTOOPT, "AF_INET");
}

Test(sock6, no_ipv6_means_no_v6_sockets)
{
	struct stack_config c = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 3 };
	struct link *l2 = link_new(&c, NULL);

	cr_assert_eq(sock_socket(link_stack(l2, LINK_A), AF_INET6, SOCK_STREAM, 0),
		     -EAFNOSUPPORT);
	link_free(l2);
}

/* ---- TCP over IPv6 ---- */

/* The send MSS (without options) of connection fd. */
static uint32_t tcb_mss(struct stack *st, int fd)
{
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;

	cr_assert_eq(sock_getopt(st, fd, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	return ti.mss;
}

/* A connected pair over IPv6: *c on a, *s accepted on b (from a v6
 * listener on ::, which also takes IPv4 calls). */
static void pair6(uint16_t port, int *c, int *s)
{
	int lfd = sock6(b, SOCK_STREAM);
	struct sockaddr_in6 peer;
	socklen_t len = sizeof peer;
	char text[64];

	cr_assert_eq(bind6(b, lfd, "::", port), 0);
	cr_assert_eq(sock_listen(b, lfd, 8), 0);
	*c = sock6(a, SOCK_STREAM);
	cr_assert_eq(connect6(a, *c, "fd77::3", port), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(state_of(a, *c), NC_TCP_ESTABLISHED);
	*s = sock_accept(b, lfd, (struct sockaddr *)&peer, &len);
	cr_assert_geq(*s, 0, "accept: %d", *s);
	inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
	cr_assert_str_eq(text, "fd77::2");
	cr_assert_eq(sock_close(b, lfd), 0);
}

Test(sock6, tcp_over_ipv6_connects_and_carries_data)
{
	struct sockaddr_in6 me;
	socklen_t len = sizeof me;
	char text[64];
	int c, s;

	pair6(80, &c, &s);
	cr_assert_eq(sock_name(a, c, 0, (struct sockaddr *)&me, &len), 0);
	inet_ntop(AF_INET6, &me.sin6_addr, text, sizeof text);
	cr_assert_str_eq(text, "fd77::2");
	cr_assert_geq(ntohs(me.sin6_port), EPHEMERAL_LO);
	cr_assert_eq(pump(a, c, b, s, 1 << 20, 10000), 1 << 20);
	cr_assert_eq(pump(b, s, a, c, 1 << 20, 10000), 1 << 20);
	cr_assert_eq(tcb_mss(a, c), 1500 - 60, "MSS from the v6 MTU");
}

Test(sock6, a_dual_stack_listener_accepts_a_v4_and_a_v6_call)
{
	int lfd = sock6(b, SOCK_STREAM), c4 = tcp_sock(a), c6 = sock6(a, SOCK_STREAM);
	struct sockaddr_in6 p1, p2;
	socklen_t len = sizeof p1;
	char text[64];

	cr_assert_eq(bind6(b, lfd, "::", 90), 0);
	cr_assert_eq(sock_listen(b, lfd, 8), 0);
	cr_assert_eq(connect_to(a, c4, B_ADDR, 90), -EINPROGRESS);
	cr_assert_eq(connect6(a, c6, "fd77::3", 90), -EINPROGRESS);
	run_ms(10);
	cr_assert_geq(sock_accept(b, lfd, (struct sockaddr *)&p1, &len), 0);
	len = sizeof p2;
	cr_assert_geq(sock_accept(b, lfd, (struct sockaddr *)&p2, &len), 0);
	inet_ntop(AF_INET6, &p1.sin6_addr, text, sizeof text);
	cr_assert_str_eq(text, "::ffff:10.77.0.2");
	inet_ntop(AF_INET6, &p2.sin6_addr, text, sizeof text);
	cr_assert_str_eq(text, "fd77::2");
}

Test(sock6, a_v6only_listener_on_its_address_takes_v6_calls)
{
	int lfd = sock6(b, SOCK_STREAM), c = sock6(a, SOCK_STREAM), c4 = tcp_sock(a), on = 1;

	cr_assert_eq(sock_setopt(b, lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), 0);
	cr_assert_eq(bind6(b, lfd, "fd77::3", 91), 0);
	cr_assert_eq(sock_listen(b, lfd, 8), 0);
	cr_assert_eq(connect6(a, c, "fd77::3", 91), -EINPROGRESS);
	cr_assert_eq(connect_to(a, c4, B_ADDR, 91), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	cr_assert_eq(so_error(a, c4), ECONNREFUSED, "no IPv4 listener");
}

Test(sock6, nobody_listening_on_v6_is_econnrefused)
{
	int c = sock6(a, SOCK_STREAM);

	cr_assert_eq(connect6(a, c, "fd77::3", 99), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(so_error(a, c), ECONNREFUSED);
}

Test(sock6, ten_megabytes_over_ipv6_with_ten_percent_loss)
{
	struct link_impair imp = { .drop = 0.10 };
	int c, s;

	pair6(80, &c, &s);
	link_set_impair(l, LINK_A_TO_B, &imp);
	link_set_impair(l, LINK_B_TO_A, &imp);
	cr_assert_eq(pump(a, c, b, s, 10 << 20, 3600 * 1000), 10 << 20);
	cr_assert_gt(tcp_stat(a, "RetransSegs"), 0);
}

/* A 1280-byte hop between a and b: what a sends larger is dropped there,
 * the first time answered with a packet too big from the router. */
static uint8_t too_big[2048];
static size_t too_big_len;

static int hop_1280(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	(void)arg;
	if (dir != LINK_A_TO_B || pkt[0] >> 4 != 6 || len <= IP6_MINMTU)
		return LINK_PASS;
	if (too_big_len == 0) {
		too_big_len = len < sizeof too_big ? len : sizeof too_big;
		memcpy(too_big, pkt, too_big_len);
	}
	return LINK_DROP;
}

/* The packet too big a router at fd77::1 sends a for the packet kept. */
static size_t packet_too_big(uint8_t *out)
{
	struct in6_addr router;
	uint8_t m[IP6_MINMTU];
	size_t q = IP6_MINMTU - IP6_HLEN - ICMP6_HLEN;

	inet_pton(AF_INET6, "fd77::1", &router);
	memcpy(m + ICMP6_HLEN, too_big, q);
	icmp6_emit(m, ICMP6_HLEN + q, &(struct icmp6hdr){ ICMP6_PACKET_TOO_BIG, 0, IP6_MINMTU },
		   &router, &a6);
	return link_build_ip6(out, &router, &a6, IP6_NH_ICMP, m, ICMP6_HLEN + q);
}

Test(sock6, packet_too_big_lowers_the_mss_and_the_data_arrives)
{
	static uint8_t ptb[2048];
	int c, s;

	pair6(80, &c, &s);
	too_big_len = 0;
	link_set_filter(l, hop_1280, NULL);
	cr_assert_eq(send_str(a, c, "x"), 1);	/* small: passes */
	run_ms(10);
	cr_assert_eq(sock_sendto(a, c, ptb, sizeof ptb, 0, NULL, 0), (ssize_t)sizeof ptb);
	run_ms(10);
	cr_assert_gt(too_big_len, 0, "a full segment met the hop");
	stack_input(a, link_now(l), ptb, packet_too_big(ptb));
	cr_assert_eq(ip6_path_mtu(a, &b6), IP6_MINMTU);
	cr_assert_leq(tcb_mss(a, c), IP6_MINMTU - 60, "MSS %u", tcb_mss(a, c));
	cr_assert_eq(a->icmp6s[ICMP6S_IN_PKT_TOO_BIGS], 1);
	run_ms(100);
	cr_assert_eq(sock_recvfrom(b, s, ptb, 1, 0, NULL, NULL), 1);
	cr_assert_eq(sock_recvfrom(b, s, ptb, sizeof ptb, 0, NULL, NULL), (ssize_t)sizeof ptb,
		     "the segments cut to the path MTU arrived");
	cr_assert_eq(pump(a, c, b, s, 1 << 20, 60000), 1 << 20);
}

/* ---- UDP over IPv6 ---- */

static void assert_from(const struct sockaddr_in6 *s, const char *addr, uint16_t port)
{
	char text[64];

	inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof text);
	cr_assert_str_eq(text, addr);
	cr_assert_eq(ntohs(s->sin6_port), port);
}

Test(sock6, udp_over_ipv6_connect_reconnect_dissolve)
{
	int u = sock6(a, SOCK_DGRAM), v = sock6(b, SOCK_DGRAM), w = sock6(b, SOCK_DGRAM);
	struct sockaddr_in6 from, to = sin6_of("fd77::2", 0);
	socklen_t len = sizeof from;
	char buf[16];

	cr_assert_eq(bind6(b, v, "fd77::3", 53), 0);
	cr_assert_eq(bind6(b, w, "::", 54), 0);
	cr_assert_eq(connect6(a, u, "fd77::3", 53), 0);
	cr_assert_eq(send_str(a, u, "one"), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, v, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 3);
	cr_assert_arr_eq(buf, "one", 3);
	len = sizeof to;
	cr_assert_eq(sock_name(a, u, 0, (struct sockaddr *)&to, &len), 0);
	assert_from(&from, "fd77::2", ntohs(to.sin6_port));
	/* the answer, sent to where it came from */
	cr_assert_eq(sock_sendto(b, v, "ack", 3, 0, (struct sockaddr *)&from, sizeof from), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(a, u, buf, sizeof buf, 0, NULL, NULL), 3);
	/* re-connect to a dual-stack socket on :: */
	cr_assert_eq(connect6(a, u, "fd77::3", 54), 0, "re-connect");
	cr_assert_eq(send_str(a, u, "two"), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, w, buf, sizeof buf, 0, NULL, NULL), 3);
	cr_assert_arr_eq(buf, "two", 3);
	cr_assert_eq(sock_recvfrom(b, v, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	/* dissolve: no peer, and datagrams from anyone come in */
	cr_assert_eq(connect6(a, u, "::", 0), 0, "dissolve");
	len = sizeof from;
	cr_assert_eq(sock_name(a, u, 1, (struct sockaddr *)&from, &len), -ENOTCONN);
	cr_assert_eq(send_str(a, u, "x"), -EDESTADDRREQ);
}

Test(sock6, udp_v6_port_unreachable_is_econnrefused)
{
	int u = sock6(a, SOCK_DGRAM);
	char buf[4];

	cr_assert_eq(connect6(a, u, "fd77::3", 9), 0);
	cr_assert_eq(send_str(a, u, "x"), 1);
	run_ms(10);
	cr_assert_eq(b->icmp6s[ICMP6S_OUT_DEST_UNREACHS], 1);
	cr_assert_eq(sock_recvfrom(a, u, buf, sizeof buf, 0, NULL, NULL), -ECONNREFUSED);
}

Test(sock6, a_dual_stack_udp_socket_hears_both_families)
{
	int v = sock6(b, SOCK_DGRAM), u6 = sock6(a, SOCK_DGRAM);
	int u4 = sock_socket(a, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 from;
	socklen_t len = sizeof from;
	char buf[16], text[64];

	cr_assert_eq(bind6(b, v, "::", 55), 0);
	cr_assert_eq(connect_to(a, u4, B_ADDR, 55), 0);
	cr_assert_eq(connect6(a, u6, "fd77::3", 55), 0);
	cr_assert_eq(send_str(a, u4, "four"), 4);
	cr_assert_eq(send_str(a, u6, "six"), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, v, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 4);
	inet_ntop(AF_INET6, &from.sin6_addr, text, sizeof text);
	cr_assert_str_eq(text, "::ffff:10.77.0.2");
	len = sizeof from;
	cr_assert_eq(sock_recvfrom(b, v, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 3);
	inet_ntop(AF_INET6, &from.sin6_addr, text, sizeof text);
	cr_assert_str_eq(text, "fd77::2");
}

Test(sock6, echo_sockets_are_of_their_family)
{
	cr_assert_eq(sock_socket(a, AF_INET6, SOCK_DGRAM, IPPROTO_ICMP), -EPROTONOSUPPORT);
	cr_assert_eq(sock_socket(a, AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6), -EPROTONOSUPPORT);
}

Test(sock6, icmp6_echo_socket_pings_and_hears_the_reply)
{
	int p = sock_socket(a, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	struct sockaddr_in6 from;
	socklen_t len = sizeof from;
	char buf[32];

	cr_assert_geq(p, 0, "socket: %d", p);
	cr_assert_eq(connect6(a, p, "::ffff:10.77.0.3", 0), -EAFNOSUPPORT, "not IPv4");
	cr_assert_eq(connect6(a, p, "fd77::3", 0), 0);
	cr_assert_eq(send_str(a, p, "hello six"), 9);
	run_ms(10);
	cr_assert_eq(b->icmp6s[ICMP6S_IN_ECHOS], 1);
	cr_assert_eq(sock_recvfrom(a, p, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 9);
	cr_assert_arr_eq(buf, "hello six", 9);
	assert_from(&from, "fd77::3", 0);
	/* an unconnected one sends with sendto */
	cr_assert_eq(connect6(a, p, "::", 0), 0, "dissolve");
	from = sin6_of("fd77::3", 0);
	cr_assert_eq(sock_sendto(a, p, "again", 5, 0, (struct sockaddr *)&from, sizeof from), 5);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(a, p, buf, sizeof buf, 0, NULL, NULL), 5);
}

Test(sock6, udp_v6_datagrams_of_8000_bytes_are_fragmented_and_reassembled)
{
	int u = sock6(a, SOCK_DGRAM), v = sock6(b, SOCK_DGRAM);
	static uint8_t out[8000], in[9000];

	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (uint8_t)(i * 13 + 5);
	cr_assert_eq(bind6(b, v, "::", 7), 0);
	cr_assert_eq(connect6(a, u, "fd77::3", 7), 0);
	cr_assert_eq(sock_sendto(a, u, out, sizeof out, 0, NULL, 0), (ssize_t)sizeof out);
	run_ms(10);
	cr_assert_geq(a->ip6s[IP6S_FRAG_CREATES], 6);
	cr_assert_eq(b->ip6s[IP6S_REASM_OKS], 1);
	cr_assert_eq(sock_recvfrom(b, v, in, sizeof in, 0, NULL, NULL), (ssize_t)sizeof out);
	cr_assert_arr_eq(in, out, sizeof out);
}

/* What a sends towards b is dropped and kept (in too_big). */
static int capture_a(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	(void)arg;
	if (dir != LINK_A_TO_B)
		return LINK_PASS;
	too_big_len = len < sizeof too_big ? len : sizeof too_big;
	memcpy(too_big, pkt, too_big_len);
	return LINK_DROP;
}

/* A router at fd77::1 answers a's SYN with destination unreachable code;
 * the connect ends with the errno SPEC §3 gives. */
static int unreachable_errno(int code)
{
	static uint8_t m[512], out[600];
	struct in6_addr router;
	int c = sock6(a, SOCK_STREAM);

	link_set_filter(l, capture_a, NULL);
	cr_assert_eq(connect6(a, c, "fd77::3", 80), -EINPROGRESS);
	run_ms(1);
	cr_assert_gt(too_big_len, 0, "the SYN");
	inet_pton(AF_INET6, "fd77::1", &router);
	memcpy(m + ICMP6_HLEN, too_big, too_big_len);
	icmp6_emit(m, ICMP6_HLEN + too_big_len,
		   &(struct icmp6hdr){ ICMP6_DST_UNREACH, (uint8_t)code, 0 }, &router, &a6);
	stack_input(a, link_now(l), out,
		    link_build_ip6(out, &router, &a6, IP6_NH_ICMP, m, ICMP6_HLEN + too_big_len));
	run_ms(1);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	return so_error(a, c);
}

Test(sock6, icmp6_address_unreachable_is_ehostunreach)
{
	cr_assert_eq(unreachable_errno(ICMP6_DST_UNREACH_ADDR), EHOSTUNREACH);
}

Test(sock6, icmp6_admin_prohibited_is_ehostunreach)
{
	cr_assert_eq(unreachable_errno(ICMP6_DST_UNREACH_ADMIN), EHOSTUNREACH);
}

Test(sock6, icmp6_no_route_is_enetunreach)
{
	cr_assert_eq(unreachable_errno(ICMP6_DST_UNREACH_NOROUTE), ENETUNREACH);
}

Test(sock6, icmp6_port_unreachable_is_econnrefused)
{
	cr_assert_eq(unreachable_errno(ICMP6_DST_UNREACH_NOPORT), ECONNREFUSED);
}

/* SPEC §3's EHOSTUNREACH row names codes 2, 5 and 6 too. */
Test(sock6, icmp6_beyond_scope_is_ehostunreach)
{
	cr_assert_eq(unreachable_errno(ICMP6_DST_UNREACH_BEYONDSCOPE), EHOSTUNREACH);
}

Test(sock6, icmp6_source_policy_is_ehostunreach)
{
	cr_assert_eq(unreachable_errno(ICMP6_DST_UNREACH_POLICY), EHOSTUNREACH);
}

Test(sock6, icmp6_reject_route_is_ehostunreach)
{
	cr_assert_eq(unreachable_errno(ICMP6_DST_UNREACH_REJECT), EHOSTUNREACH);
}

/* ---- ::1 and the stack's own IPv6 address: the loopback interface ---- */

static uint64_t sent_by_a(void)
{
	return link_counters(l, LINK_A)->sent;
}

static void assert_addr6(const struct sockaddr_in6 *s, const char *want)
{
	char got[64];

	inet_ntop(AF_INET6, &s->sin6_addr, got, sizeof got);
	cr_assert_str_eq(got, want);
}

/* A TCP connection from a to itself at dst, data both ways, nothing on
 * the link. */
static void tcp_to_self6(const char *dst)
{
	int lfd = sock6(a, SOCK_STREAM), c = sock6(a, SOCK_STREAM), s;
	struct sockaddr_in6 me;
	socklen_t len = sizeof me;

	cr_assert_eq(bind6(a, lfd, "::", 7000), 0);
	cr_assert_eq(sock_listen(a, lfd, 8), 0);
	cr_assert_eq(connect6(a, c, dst, 7000), -EINPROGRESS);
	run_ms(1);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0, "accept: %d", s);
	cr_assert_eq(sock_name(a, c, 0, (struct sockaddr *)&me, &len), 0);
	assert_addr6(&me, dst);
	cr_assert_eq(pump(a, c, a, s, 3 << 20, 2000), 3u << 20);
	cr_assert_eq(pump(a, s, a, c, 100000, 2000), 100000u);
	cr_assert_eq(sent_by_a(), 0, "%lu packets reached the link", (unsigned long)sent_by_a());
}

Test(sock6, tcp_to_loopback)
{
	tcp_to_self6("::1");
}

Test(sock6, tcp_to_own_v6_address)
{
	tcp_to_self6("fd77::2");
}

Test(sock6, udp_to_loopback_both_ways)
{
	int s = sock6(a, SOCK_DGRAM), c = sock6(a, SOCK_DGRAM);
	struct sockaddr_in6 from, to = sin6_of("::1", 53);
	socklen_t flen = sizeof from;
	char buf[16];

	cr_assert_eq(bind6(a, s, "::", 53), 0);
	cr_assert_eq(sock_sendto(a, c, "ask", 3, 0, (struct sockaddr *)&to, sizeof to), 3);
	run_ms(1);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen), 3);
	cr_assert_eq(memcmp(buf, "ask", 3), 0);
	assert_addr6(&from, "::1");
	cr_assert_eq(sock_sendto(a, s, "answer", 6, 0, (struct sockaddr *)&from, flen), 6);
	run_ms(1);
	cr_assert_eq(sock_recvfrom(a, c, buf, sizeof buf, 0, NULL, NULL), 6);
	cr_assert_eq(memcmp(buf, "answer", 6), 0);
	cr_assert_eq(sent_by_a(), 0);
}

/* ICMPv6 on the loopback: a port unreachable refuses, an echo is answered. */
Test(sock6, icmp6_on_loopback)
{
	int u = sock6(a, SOCK_DGRAM);
	int p = sock_socket(a, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	struct sockaddr_in6 me = sin6_of("::1", 0), closed = sin6_of("::1", 9);
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
	cr_assert_eq(sent_by_a(), 0);
}

/* ::1 as source or destination never comes from a link (RFC 4291 2.5.3). */
Test(sock6, loopback_address_from_the_link_is_dropped)
{
	static uint8_t out[128];
	uint8_t udp[12] = { 0, 9, 0, 53, 0, 12 };
	struct in6_addr lo6 = { .s6_addr = { [15] = 1 } };
	uint64_t before = stack_counter(a, IPPROTO_IPV6, "Ip6InAddrErrors");
	int s = sock6(a, SOCK_DGRAM);
	char buf[8];

	cr_assert_eq(bind6(a, s, "::", 53), 0);
	stack_input(a, link_now(l), out, link_build_ip6(out, &b6, &lo6, IP_PROTO_UDP, udp, 12));
	stack_input(a, link_now(l), out, link_build_ip6(out, &lo6, &a6, IP_PROTO_UDP, udp, 12));
	run_ms(1);
	cr_assert_eq(stack_counter(a, IPPROTO_IPV6, "Ip6InAddrErrors"), before + 2);
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
}

/* ---- one port, two sockets: IPv4 alone and IPv6 alone ---- */

/* An AF_INET listener on 0.0.0.0 and an IPV6_V6ONLY one on :: share a
 * port (a server taking both families on two sockets, as redis and sshd
 * do), each taking its own family's calls; a third, dual-stack one may
 * not join them. */
Test(sock6, ipv4_alone_and_ipv6_alone_share_a_port)
{
	int l4 = sock_socket(b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), l6 = sock6(b, SOCK_STREAM);
	int dual = sock6(b, SOCK_STREAM), c4 = tcp_sock(a), c6 = sock6(a, SOCK_STREAM), on = 1;
	struct sockaddr_in6 p6;
	struct sockaddr_in p4;
	socklen_t len6 = sizeof p6, len4 = sizeof p4;

	cr_assert_eq(bind_to(b, l4, 0, 95), 0);
	cr_assert_eq(sock_listen(b, l4, 8), 0);
	cr_assert_eq(sock_setopt(b, l6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), 0);
	cr_assert_eq(bind6(b, l6, "::", 95), 0, "IPv6 alone beside IPv4 alone");
	cr_assert_eq(sock_listen(b, l6, 8), 0);
	cr_assert_eq(bind6(b, dual, "::", 95), -EADDRINUSE, "a dual-stack socket meets both");
	cr_assert_eq(connect_to(a, c4, B_ADDR, 95), -EINPROGRESS);
	cr_assert_eq(connect6(a, c6, "fd77::3", 95), -EINPROGRESS);
	run_ms(10);
	cr_assert_geq(sock_accept(b, l4, (struct sockaddr *)&p4, &len4), 0, "the IPv4 call");
	cr_assert_geq(sock_accept(b, l6, (struct sockaddr *)&p6, &len6), 0, "the IPv6 call");
	cr_assert_eq(sock_accept(b, l4, NULL, NULL), -EAGAIN, "only one each");
	cr_assert_eq(sock_accept(b, l6, NULL, NULL), -EAGAIN);
	cr_assert_eq(p4.sin_addr.s_addr, htonl(A_ADDR));
	cr_assert_eq(memcmp(&p6.sin6_addr, &a6, sizeof a6), 0);
}

/* An AF_INET6 socket bound to ::ffff:0.0.0.0 takes IPv4 alone (Linux's
 * rule): IPv6 calls are refused, getsockname gives the mapped address
 * back, and an IPv6-only socket may have the port beside it. */
Test(sock6, bound_to_the_mapped_any_address_takes_ipv4_alone)
{
	int l = sock6(b, SOCK_STREAM), l6 = sock6(b, SOCK_STREAM), c4 = tcp_sock(a);
	int c6 = sock6(a, SOCK_STREAM), on = 1;
	struct sockaddr_in6 me;
	socklen_t len = sizeof me;

	cr_assert_eq(bind6(b, l, "::ffff:0.0.0.0", 96), 0);
	cr_assert_eq(sock_listen(b, l, 8), 0);
	cr_assert_eq(sock_name(b, l, 0, (struct sockaddr *)&me, &len), 0);
	assert_mapped(&me, "0.0.0.0", 96);
	cr_assert_eq(connect_to(a, c4, B_ADDR, 96), -EINPROGRESS);
	cr_assert_eq(connect6(a, c6, "fd77::3", 96), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(state_of(a, c4), NC_TCP_ESTABLISHED);
	cr_assert_eq(so_error(a, c6), ECONNREFUSED, "no IPv6 listener");
	cr_assert_eq(sock_setopt(b, l6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), 0);
	cr_assert_eq(bind6(b, l6, "::", 96), 0);
	cr_assert_eq(sock_listen(b, l6, 8), 0);
}

/* The same for UDP: each datagram goes to its family's socket. */
Test(sock6, udp_ipv4_alone_and_ipv6_alone_share_a_port)
{
	int v4 = sock_socket(b, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), v6 = sock6(b, SOCK_DGRAM);
	int dual = sock6(b, SOCK_DGRAM), u4 = sock_socket(a, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int u6 = sock6(a, SOCK_DGRAM), on = 1;
	char buf[16];

	cr_assert_eq(bind_to(b, v4, 0, 57), 0);
	cr_assert_eq(sock_setopt(b, v6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), 0);
	cr_assert_eq(bind6(b, v6, "::", 57), 0);
	cr_assert_eq(bind6(b, dual, "::", 57), -EADDRINUSE);
	cr_assert_eq(connect_to(a, u4, B_ADDR, 57), 0);
	cr_assert_eq(connect6(a, u6, "fd77::3", 57), 0);
	cr_assert_eq(send_str(a, u4, "four"), 4);
	cr_assert_eq(send_str(a, u6, "six"), 3);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, v4, buf, sizeof buf, 0, NULL, NULL), 4);
	cr_assert_eq(sock_recvfrom(b, v6, buf, sizeof buf, 0, NULL, NULL), 3);
	cr_assert_eq(sock_recvfrom(b, v4, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
	cr_assert_eq(sock_recvfrom(b, v6, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
}
