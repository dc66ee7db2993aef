/*
 * Addresses as ctl and cs take them (SPEC.md §3): "host!port" (Plan 9) or
 * "host:port". host is a dotted quad, an IPv6 literal ("fd77::1!80", or
 * in brackets: "[fd77::1]!80", "[fd77::1]:80"), "*" (any), or a name from
 * /etc/hosts; port a number or an /etc/services name. Every function
 * returns 0 or a positive errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

int addr_port(const char *s, const char *proto, uint16_t *port)
{
	struct servent *se;
	long v = 0;

	if (*s == 0)
		return EINVAL;
	if (strspn(s, "0123456789") == strlen(s)) {
		for (; *s; s++) {
			if ((v = v * 10 + (*s - '0')) > 65535)
				return EINVAL;
		}
		*port = (uint16_t)v;
		return 0;
	}
	if (*s == '-' || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789-_.") != strlen(s))
		return EINVAL;	/* not even a name */
	se = getservbyname(s, proto);
	if (se == NULL)
		return ENOENT;
	*port = ntohs((uint16_t)se->s_port);
	return 0;
}

/* A literal of either family; an IPv4-mapped one is IPv4. 0, or EINVAL. */
static int literal(const char *s, union addr *a)
{
	struct in6_addr v6;

	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, s, &a->v4.sin_addr) == 1) {
		a->v4.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6) != 1)
		return EINVAL;
	a->v6.sin6_family = AF_INET6;
	a->v6.sin6_addr = v6;
	return addr_as(a, IN6_IS_ADDR_V4MAPPED(&v6) ? AF_INET : AF_INET6);
}

/* name in /etc/hosts? */
int addr_hosts(const char *name, union addr *a)
{
	char line[512];
	FILE *f = fopen("/etc/hosts", "re");
	int found = 0;

	if (f == NULL)
		return ENOENT;
	while (!found && fgets(line, sizeof line, f)) {
		char *save, *w, *hash = strchr(line, '#');
		union addr ia;

		if (hash)
			*hash = 0;
		w = strtok_r(line, " \t\r\n", &save);
		if (w == NULL || literal(w, &ia) != 0)
			continue;
		while (!found && (w = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (strcasecmp(w, name) == 0) {
				*a = ia;
				found = 1;
			}
		}
	}
	fclose(f);
	return found ? 0 : ENOENT;
}

int addr_host(const char *s, union addr *a)
{
	char inner[INET6_ADDRSTRLEN];
	size_t n = strlen(s);

	if (n == 0)
		return EINVAL;
	if (strcmp(s, "*") == 0) {
		memset(a, 0, sizeof *a);
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_addr = in6addr_any;
		return 0;
	}
	if (s[0] == '[') {	/* brackets hold an IPv6 literal, nothing else */
		if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof inner || !strchr(s, ':'))
			return EINVAL;
		memcpy(inner, s + 1, n - 2);
		inner[n - 2] = 0;
		return literal(inner, a);
	}
	if (literal(s, a) == 0)
		return 0;
	if (strspn(s, "0123456789.") == n || strchr(s, ':'))
		return EINVAL;	/* a malformed literal, not a name */
	return addr_hosts(s, a);
}

/* Where the port begins in buf: after the last '!', after "]:" of a
 * bracketed literal, or after the only ':' (more than one is an IPv6
 * literal without a port). NULL when there is no port. */
static char *port_sep(char *buf)
{
	char *sep = strrchr(buf, '!'), *close;

	if (sep)
		return sep;
	if (buf[0] == '[') {
		close = strchr(buf, ']');
		return close && close[1] == ':' ? close + 1 : NULL;
	}
	sep = strchr(buf, ':');
	return sep && !strchr(sep + 1, ':') ? sep : NULL;
}

int addr_parse(const char *s, const char *proto, int port_only, union addr *a, char *name)
{
	char buf[ADDR_MAX], *sep;
	uint16_t port = 0;
	int err;

	if (name)
		name[0] = 0;
	memset(a, 0, sizeof *a);
	a->v4.sin_family = AF_INET;
	if (strlen(s) >= sizeof buf)
		return EINVAL;
	strcpy(buf, s);
	sep = port_sep(buf);
	if (sep == NULL) {
		err = port_only && strchr(buf, ':') == NULL ? addr_port(buf, proto, &port) : EINVAL;
		if (err == 0)
			addr_host("*", a);
	} else {
		int herr;

		*sep = 0;
		herr = addr_host(buf, a);
		err = herr == 0 || herr == ENOENT ? addr_port(sep + 1, proto, &port) : herr;
		if (err == 0 && herr == ENOENT) {
			err = ENOENT;
			if (name)
				strcpy(name, buf);
		}
	}
	addr_set_port(a, port);
	return err;
}

int addr_as(union addr *a, int family)
{
	uint16_t port = addr_get_port(a);
	struct in6_addr v6;
	struct in_addr v4;

	if (a->sa.sa_family == family)
		return 0;
	if (family == AF_INET6) {
		v4 = a->v4.sin_addr;
		memset(a, 0, sizeof *a);
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_addr.s6_addr[10] = a->v6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&a->v6.sin6_addr.s6_addr[12], &v4, 4);
	} else {
		v6 = a->v6.sin6_addr;
		if (!IN6_IS_ADDR_V4MAPPED(&v6) && !IN6_IS_ADDR_UNSPECIFIED(&v6))
			return EAFNOSUPPORT;
		memset(a, 0, sizeof *a);
		a->v4.sin_family = AF_INET;
		memcpy(&a->v4.sin_addr, &v6.s6_addr[12], 4);
	}
	addr_set_port(a, port);
	return 0;
}

socklen_t addr_len(const union addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof a->v6 : sizeof a->v4;
}

uint16_t addr_get_port(const union addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port);
}

void addr_set_port(union addr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->v6.sin6_port = htons(port);
	else
		a->v4.sin_port = htons(port);
}

char *addr_text(const union addr *a, int with_port, char *buf)
{
	union addr v = *a;
	size_t n;

	if (v.sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v.v6.sin6_addr))
		addr_as(&v, AF_INET);
	if (v.sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &v.v6.sin6_addr, buf, INET6_ADDRSTRLEN);
	else
		inet_ntop(AF_INET, &v.v4.sin_addr, buf, INET6_ADDRSTRLEN);
	n = strlen(buf);
	if (with_port)
		snprintf(buf + n, ADDR_TEXT - n, "!%u", addr_get_port(&v));
	return buf;
}
