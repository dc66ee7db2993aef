/* AF_INET6 sockets: dual stack (IPv4 peers as ::ffff:a.b.c.d),
 * IPV6_V6ONLY, and the connect() errno rows of SPEC §3 for IPv6. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
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
