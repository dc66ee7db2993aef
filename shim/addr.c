/*
 * Addresses: a sockaddr as the ctl commands take it (host!port; `*` for
 * IPv6's any address, which takes both families, 0.0.0.0 for IPv4's,
 * which takes IPv4 alone, as Linux's sockets do), and the text of local,
 * remote and cs back into a sockaddr.
 * A v4-mapped IPv6 address is written as the IPv4 address it maps; other
 * IPv6 addresses are written as they are, for a daemon that speaks v6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"

/* host!port of sa into buf: 0, or an errno. */
int addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (sa == NULL)
		return EFAULT;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);	/* 0.0.0.0: IPv4's alone */
		port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof host);
		else if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			strcpy(host, "*");
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
	} else {
		return sa->sa_family == AF_INET || sa->sa_family == AF_INET6 ? EINVAL : EAFNOSUPPORT;
	}
	snprintf(buf, size, "%s!%u", host, port);
	return 0;
}

/* Copy a sockaddr out to the caller, truncated to its buffer as
 * getsockname does; *len gets the full size. */
static void give(const void *sa, socklen_t salen, struct sockaddr *to, socklen_t *len)
{
	if (to != NULL && len != NULL)
		memcpy(to, sa, *len < salen ? *len : salen);
	if (len != NULL)
		*len = salen;
}

/* An IPv4 address in host: a dotted quad, or IPv6's any (::) and a
 * v4-mapped address as the daemon prints a dual-stack socket's. */
static int host_v4(const char *host, struct in_addr *a)
{
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, a) == 1)
		return 1;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_UNSPECIFIED(&a6))
		a->s_addr = htonl(INADDR_ANY);
	else if (IN6_IS_ADDR_V4MAPPED(&a6))
		memcpy(a, &a6.s6_addr[12], 4);
	else
		return 0;
	return 1;
}

/* host!port (v4 or v6 host) into sa, as AF_INET6 when inet6 (IPv4
 * v4-mapped): 0, or -1 with errno EINVAL. */
int addr_sockaddr(const char *text, int inet6, struct sockaddr *sa, socklen_t *len)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	char host[INET6_ADDRSTRLEN + 1];
	const char *bang = strrchr(text, '!');
	unsigned port;

	if (bang == NULL || (size_t)(bang - text) >= sizeof host || sscanf(bang + 1, "%u", &port) != 1) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, text, (size_t)(bang - text));
	host[bang - text] = 0;
	if (host_v4(host, &s4.sin_addr) && !(inet6 && strcmp(host, "::") == 0)) {
		s4.sin_port = htons((uint16_t)port);
		if (!inet6) {
			give(&s4, sizeof s4, sa, len);
			return 0;
		}
		s6.sin6_addr.s6_addr[10] = s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &s4.sin_addr, 4);
	} else if (!inet6 || inet_pton(AF_INET6, host, &s6.sin6_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	s6.sin6_port = htons((uint16_t)port);
	give(&s6, sizeof s6, sa, len);
	return 0;
}

/* The address in file (local, remote) of c. */
int conv_addr(const struct sconv *c, const char *file, int inet6, struct sockaddr *sa,
	      socklen_t *len)
{
	char buf[128];

	if (conv_text(c, file, buf, sizeof buf) < 0)
		return -1;
	return addr_sockaddr(buf, inet6, sa, len);
}
