/*
 * Addresses as ctl and cs take them (SPEC.md §3): "host!port" (Plan 9) or
 * "host:port". host is a dotted quad, "*" (any), or a name from
 * /etc/hosts; port a number or an /etc/services name. IPv6 is refused
 * with EAFNOSUPPORT. Every function returns 0 or a positive errno.
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

/* name in /etc/hosts (IPv4 entries only)? */
int addr_hosts(const char *name, struct in_addr *a)
{
	char line[512];
	FILE *f = fopen("/etc/hosts", "re");
	int found = 0;

	if (f == NULL)
		return ENOENT;
	while (!found && fgets(line, sizeof line, f)) {
		char *save, *w, *hash = strchr(line, '#');
		struct in_addr ia;

		if (hash)
			*hash = 0;
		w = strtok_r(line, " \t\r\n", &save);
		if (w == NULL || inet_pton(AF_INET, w, &ia) != 1)
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

int addr_host(const char *s, struct in_addr *a)
{
	if (*s == 0)
		return EINVAL;
	if (strchr(s, ':') || strchr(s, '['))
		return EAFNOSUPPORT;
	if (strcmp(s, "*") == 0) {
		a->s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (inet_pton(AF_INET, s, a) == 1)
		return 0;
	if (strspn(s, "0123456789.") == strlen(s))
		return EINVAL;	/* a malformed dotted quad, not a name */
	return addr_hosts(s, a);
}

int addr_parse(const char *s, const char *proto, int port_only, struct sockaddr_in *sa,
	       char *name)
{
	char buf[ADDR_MAX], *sep;
	uint16_t port = 0;
	int err;

	if (name)
		name[0] = 0;
	if (strlen(s) >= sizeof buf)
		return EINVAL;
	strcpy(buf, s);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sep = strrchr(buf, '!');
	if (sep == NULL) {
		sep = strchr(buf, ':');
		if (sep && strchr(sep + 1, ':'))
			return EAFNOSUPPORT;	/* an IPv6 literal */
	}
	if (sep == NULL) {
		err = port_only ? addr_port(buf, proto, &port) : EINVAL;
	} else {
		int herr;

		*sep = 0;
		herr = addr_host(buf, &sa->sin_addr);
		err = herr == 0 || herr == ENOENT ? addr_port(sep + 1, proto, &port) : herr;
		if (err == 0 && herr == ENOENT) {
			err = ENOENT;
			if (name)
				strcpy(name, buf);
		}
	}
	sa->sin_port = htons(port);
	return err;
}
