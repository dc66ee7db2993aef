/*
 * fs/addr.c: the addresses of ctl commands and cs, both syntaxes, port
 * names, the any address, and every way an address can be refused.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../../fs/addr.h"

static int parse(const char *s, int port_only, struct sockaddr_in *sa, char *name)
{
	return addr_parse(s, "tcp", port_only, sa, name);
}

static void expect(const struct sockaddr_in *sa, const char *ip, uint16_t port)
{
	char buf[INET_ADDRSTRLEN];

	cr_assert_eq(sa->sin_family, AF_INET);
	cr_assert_str_eq(inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf), ip);
	cr_assert_eq(ntohs(sa->sin_port), port);
}

Test(fsaddr, plan9_and_colon_syntax)
{
	struct sockaddr_in sa;

	cr_assert_eq(parse("10.77.0.1!8000", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 8000);
	cr_assert_eq(parse("10.77.0.1:8001", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 8001);
	cr_assert_eq(parse("10.77.0.1!65535", 0, &sa, NULL), 0);
	expect(&sa, "10.77.0.1", 65535);
}

Test(fsaddr, any_host_and_bare_port)
{
	struct sockaddr_in sa;

	cr_assert_eq(parse("*!80", 1, &sa, NULL), 0);
	expect(&sa, "0.0.0.0", 80);
	cr_assert_eq(parse("8080", 1, &sa, NULL), 0);
	expect(&sa, "0.0.0.0", 8080);
	/* connect needs a host */
	cr_assert_eq(parse("8080", 0, &sa, NULL), EINVAL);
}

Test(fsaddr, service_names)
{
	struct sockaddr_in sa;
	uint16_t port = 0;

	cr_assert_eq(addr_port("http", "tcp", &port), 0);
	cr_assert_eq(port, 80);
	cr_assert_eq(parse("10.0.0.1!http", 0, &sa, NULL), 0);
	expect(&sa, "10.0.0.1", 80);
	cr_assert_eq(addr_port("no-such-service-here", "tcp", &port), ENOENT);
}

Test(fsaddr, ipv6_is_another_family)
{
	struct sockaddr_in sa;

	cr_assert_eq(parse("::1!80", 0, &sa, NULL), EAFNOSUPPORT);
	cr_assert_eq(parse("[::1]:80", 0, &sa, NULL), EAFNOSUPPORT);
	cr_assert_eq(parse("fe80::1:80", 0, &sa, NULL), EAFNOSUPPORT);
}

Test(fsaddr, malformed)
{
	static const char *const bad[] = {
		"", "10.77.0.1", "10.77.0.1!", "!80", "10.77.0.1!99999", "10.77.0.1!-1",
		"1.2.3!80", "10.77.0.256!80", "10.77.0.1!8 0", "10.77.0.1!a/b",
	};
	struct sockaddr_in sa;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(parse(bad[i], 0, &sa, NULL), EINVAL, "%s", bad[i]);
}

Test(fsaddr, unknown_name_is_left_for_cs)
{
	struct sockaddr_in sa;
	char name[ADDR_MAX];

	cr_assert_eq(parse("no-such-host.invalid!443", 0, &sa, name), ENOENT);
	cr_assert_str_eq(name, "no-such-host.invalid");
	cr_assert_eq(ntohs(sa.sin_port), 443);
	/* an unknown service is not a name to look up */
	cr_assert_eq(parse("no-such-host.invalid!no-such-service-here", 0, &sa, name), ENOENT);
	cr_assert_str_eq(name, "");
	cr_assert_eq(parse("10.0.0.1!no-such-service-here", 0, &sa, name), ENOENT);
	cr_assert_str_eq(name, "");
}

Test(fsaddr, too_long)
{
	char s[ADDR_MAX + 8];
	struct sockaddr_in sa;

	memset(s, 'a', sizeof s - 1);
	s[sizeof s - 1] = 0;
	cr_assert_eq(parse(s, 0, &sa, NULL), EINVAL);
}
