/*
 * fs/addr.c: the addresses of ctl commands and cs, both syntaxes, port
 * names, the any address, and every way an address can be refused.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../../fs/addr.h"

static int parse(const char *s, int port_only, union addr *sa, char *name)
{
	return addr_parse(s, "tcp", port_only, sa, name);
}

static void expect(const union addr *sa, const char *ip, uint16_t port)
{
	char buf[INET_ADDRSTRLEN];

	cr_assert_eq(sa->sa.sa_family, AF_INET);
	cr_assert_str_eq(inet_ntop(AF_INET, &sa->v4.sin_addr, buf, sizeof buf), ip);
	cr_assert_eq(ntohs(sa->v4.sin_port), port);
}

static void expect6(const union addr *sa, const char *ip, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	cr_assert_eq(sa->sa.sa_family, AF_INET6);
	cr_assert_str_eq(inet_ntop(AF_INET6, &sa->v6.sin6_addr, buf, sizeof buf), ip);
	cr_assert_eq(ntohs(sa->v6.sin6_port), port);
}

Test(fsaddr, plan9_and_colon_syntax)
{
	union addr sa;

	cr_assert_eq(parse("10.77.0.1!8000", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 8000);
	cr_assert_eq(parse("10.77.0.1:8001", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 8001);
	cr_assert_eq(parse("10.77.0.1!65535", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 65535);
}

Test(fsaddr, any_host_and_bare_port)
{
	union addr sa;

	/* any is IPv6's ::, which a dual-stack socket takes for both */
	cr_assert_eq(parse("*!80", 1, &sa, NULL), 0);
	expect6(&sa, "::", 80);
	cr_assert_eq(parse("8080", 1, &sa, NULL), 0);
	expect6(&sa, "::", 8080);
	cr_assert_eq(addr_as(&sa, AF_INET), 0);
	expect(&sa, "0.0.0.0", 8080);
	/* connect needs a host */
	cr_assert_eq(parse("8080", 0, &sa, NULL), EINVAL);
}

Test(fsaddr, service_names)
{
	union addr sa;
	uint16_t port = 0;

	cr_assert_eq(addr_port("http", "tcp", &port), 0);
	cr_assert_eq(port, 80);
	cr_assert_eq(parse("10.0.0.1!http", 0, &sa, NULL), 0);
	expect(&sa, "10.0.0.1", 80);
	cr_assert_eq(addr_port("no-such-service-here", "tcp", &port), ENOENT);
}

Test(fsaddr, ipv6_plan9_and_bracketed)
{
	union addr sa;

	cr_assert_eq(parse("fd77::1!80", 0, &sa, NULL), 0);
	expect6(&sa, "fd77::1", 80);
	cr_assert_eq(parse("[fd77::1]!81", 0, &sa, NULL), 0);
	expect6(&sa, "fd77::1", 81);
	cr_assert_eq(parse("[fd77::1]:82", 0, &sa, NULL), 0);
	expect6(&sa, "fd77::1", 82);
	cr_assert_eq(parse("::1!http", 0, &sa, NULL), 0);
	expect6(&sa, "::1", 80);
	cr_assert_eq(parse("[::]!83", 1, &sa, NULL), 0);
	expect6(&sa, "::", 83);
}

Test(fsaddr, v4_mapped_is_ipv4)
{
	union addr sa;

	cr_assert_eq(parse("::ffff:10.77.0.1!80", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 80);
	cr_assert_eq(parse("[::ffff:10.77.0.1]:81", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 81);
}

Test(fsaddr, ipv6_malformed)
{
	static const char *const bad[] = {
		"fe80::1:80",	/* a colon port after an unbracketed literal: ambiguous */
		"[fd77::1]80", "[fd77::1]", "[fd77::1", "fd77::1]!80", "[10.77.0.1]!80",
		"[]!80", "fd77:::1!80", "fd77::g!80", "[fd77::1]:", "[fd77::1]!", "fd77::1%eth0!80",
	};
	union addr sa;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(parse(bad[i], 0, &sa, NULL), EINVAL, "%s", bad[i]);
	/* a bare IPv6 literal is no port for announce either */
	cr_assert_eq(parse("fd77::1", 1, &sa, NULL), EINVAL);
}

Test(fsaddr, family_conversion)
{
	union addr sa;

	cr_assert_eq(parse("10.77.0.1!80", 0, &sa, NULL), 0);
	cr_assert_eq(addr_as(&sa, AF_INET6), 0);
	expect6(&sa, "::ffff:10.77.0.1", 80);
	cr_assert_eq(addr_len(&sa), sizeof(struct sockaddr_in6));
	cr_assert_eq(addr_as(&sa, AF_INET), 0);
	expect(&sa, "10.77.0.1", 80);
	cr_assert_eq(addr_len(&sa), sizeof(struct sockaddr_in));
	cr_assert_eq(parse("fd77::1!80", 0, &sa, NULL), 0);
	cr_assert_eq(addr_as(&sa, AF_INET), EAFNOSUPPORT);
}

Test(fsaddr, text_as_plan9_prints)
{
	char buf[ADDR_TEXT];
	union addr sa;

	cr_assert_eq(parse("[fd77::1]:8080", 0, &sa, NULL), 0);
	cr_assert_str_eq(addr_text(&sa, 1, buf), "fd77::1!8080");
	cr_assert_str_eq(addr_text(&sa, 0, buf), "fd77::1");
	cr_assert_eq(parse("10.77.0.1!7", 0, &sa, NULL), 0);
	cr_assert_str_eq(addr_text(&sa, 1, buf), "10.77.0.1!7");
	cr_assert_eq(addr_as(&sa, AF_INET6), 0);	/* a mapped one prints as IPv4 */
	cr_assert_str_eq(addr_text(&sa, 1, buf), "10.77.0.1!7");
	cr_assert_eq(parse("*!9", 1, &sa, NULL), 0);
	cr_assert_str_eq(addr_text(&sa, 1, buf), "::!9");
	/* the longest address and port fit */
	cr_assert_eq(parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]!65535", 0, &sa, NULL), 0);
	cr_assert_str_eq(addr_text(&sa, 1, buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff!65535");
}

Test(fsaddr, malformed)
{
	static const char *const bad[] = {
		"", "10.77.0.1", "10.77.0.1!", "!80", "10.77.0.1!99999", "10.77.0.1!-1",
		"1.2.3!80", "10.77.0.256!80", "10.77.0.1!8 0", "10.77.0.1!a/b",
	};
	union addr sa;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(parse(bad[i], 0, &sa, NULL), EINVAL, "%s", bad[i]);
}

Test(fsaddr, unknown_name_is_left_for_cs)
{
	union addr sa;
	char name[ADDR_MAX];

	cr_assert_eq(parse("no-such-host.invalid!443", 0, &sa, name), ENOENT);
	cr_assert_str_eq(name, "no-such-host.invalid");
	cr_assert_eq(addr_get_port(&sa), 443);
	/* an unknown service is not a name to look up */
	cr_assert_eq(parse("no-such-host.invalid!no-such-service-here", 0, &sa, name), ENOENT);
	cr_assert_str_eq(name, "");
	cr_assert_eq(parse("10.0.0.1!no-such-service-here", 0, &sa, name), ENOENT);
	cr_assert_str_eq(name, "");
}

Test(fsaddr, too_long)
{
	char s[ADDR_MAX + 8];
	union addr sa;

	memset(s, 'a', sizeof s - 1);
	s[sizeof s - 1] = 0;
	cr_assert_eq(parse(s, 0, &sa, NULL), EINVAL);
}
