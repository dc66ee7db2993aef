/*
 * Names through the mount's cs (SPEC.md §6), so that a name resolves the
 * way the stack's own programs resolve it (over the stack's UDP when the
 * daemon has --dns), never through the host's resolver and its sockets.
 * Reverse lookups are not offered: getnameinfo gives numbers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

enum { MAXADDR = 8 };

/* An address cs gave, or a numeric one: v4 or v6. */
struct host {
	int family;
	unsigned char a[16];
};

/* Ask cs for name: the number of addresses, or an EAI_ error. */
static int cs_lookup(const char *name, struct host *h, int max)
{
	char path[4096], q[1100], line[512];
	int fd, n = 0, len;
	ssize_t r;

	snprintf(path, sizeof path, "%s/cs", mount_point());
	len = snprintf(q, sizeof q, "tcp!%s!1", name);
	if (len < 0 || (size_t)len >= sizeof q || strchr(name, '!') || strchr(name, ' '))
		return EAI_NONAME;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		errno = ENETDOWN;
		debug("getaddrinfo", "no slashnet mount to ask %s", path);
		return EAI_SYSTEM;
	}
	if (write(fd, q, (size_t)len) < 0) {
		debug("getaddrinfo", "cs: %s: %s", name, strerror(errno));
		close(fd);
		return errno == ENOENT ? EAI_NONAME : EAI_AGAIN;
	}
	/* each read is one line: "/MNT/tcp/clone ADDR!1" */
	while (n < max && (r = read(fd, line, sizeof line - 1)) > 0) {
		char *sp, *bang;

		line[r] = 0;
		if ((sp = strchr(line, ' ')) == NULL || (bang = strrchr(sp, '!')) == NULL)
			continue;
		*bang = 0;
		if (inet_pton(AF_INET, sp + 1, h[n].a) == 1)
			h[n++].family = AF_INET;
		else if (inet_pton(AF_INET6, sp + 1, h[n].a) == 1)
			h[n++].family = AF_INET6;
	}
	close(fd);
	return n > 0 ? n : EAI_NONAME;
}

/* The any (AI_PASSIVE) or the loopback address of family, in *h. */
static void local_host(int family, int flags, struct host *h)
{
	h->family = family;
	if (family == AF_INET6) {
		memcpy(h->a, flags & AI_PASSIVE ? &in6addr_any : &in6addr_loopback, 16);
	} else {
		in_addr_t a = htonl(flags & AI_PASSIVE ? INADDR_ANY : INADDR_LOOPBACK);

		memcpy(h->a, &a, 4);
	}
}

/* The addresses of node (NULL: the any or loopback address of the
 * family asked for, or of both in the C library's order, IPv4's first
 * for a server that binds each, IPv6's first for a client): their
 * number, or an EAI_ error. */
static int hosts(const char *node, int family, int flags, struct host *h)
{
	if (node == NULL && family != AF_UNSPEC) {
		local_host(family, flags, h);
		return 1;
	}
	if (node == NULL) {
		int v4_first = (flags & AI_PASSIVE) != 0;

		local_host(v4_first ? AF_INET : AF_INET6, flags, &h[0]);
		local_host(v4_first ? AF_INET6 : AF_INET, flags, &h[1]);
		return 2;
	}
	if (inet_pton(AF_INET, node, h->a) == 1) {
		h->family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, node, h->a) == 1) {
		h->family = AF_INET6;
		return 1;
	}
	if (flags & AI_NUMERICHOST)
		return EAI_NONAME;
	return cs_lookup(node, h, MAXADDR);
}

/* The port of service for socktype: 0 and *port, or an EAI_ error. */
static int service_port(const char *service, int socktype, int flags, unsigned short *port)
{
	struct servent se, *sp = NULL;
	char buf[1024], *end;
	long v;

	*port = 0;
	if (service == NULL)
		return 0;
	v = strtol(service, &end, 10);
	if (*service != 0 && *end == 0 && v >= 0 && v <= 65535) {
		*port = htons((unsigned short)v);
		return 0;
	}
	if (flags & AI_NUMERICSERV)
		return EAI_NONAME;
	getservbyname_r(service, socktype == SOCK_DGRAM ? "udp" : "tcp", &se, buf, sizeof buf, &sp);
	if (sp == NULL)
		return EAI_SERVICE;
	*port = (unsigned short)sp->s_port;
	return 0;
}

/* One result, laid out as the C library lays out its own (the sockaddr
 * in the same block, the canonical name apart), so that either
 * freeaddrinfo frees it. */
static struct addrinfo *result(const struct host *h, int family, int socktype,
			       unsigned short port)
{
	struct addrinfo *ai = calloc(1, sizeof *ai + sizeof(struct sockaddr_in6));

	if (ai == NULL)
		return NULL;
	ai->ai_socktype = socktype;
	ai->ai_protocol = socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ai->ai_addr;

		s4->sin_family = AF_INET;
		s4->sin_port = port;
		memcpy(&s4->sin_addr, h->a, 4);
		ai->ai_addrlen = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ai->ai_addr;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = port;
		if (h->family == AF_INET) {	/* v4-mapped */
			s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&s6->sin6_addr.s6_addr[12], h->a, 4);
		} else {
			memcpy(&s6->sin6_addr, h->a, 16);
		}
		ai->ai_addrlen = sizeof *s6;
	}
	ai->ai_family = family;
	return ai;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static const int both[] = { SOCK_STREAM, SOCK_DGRAM };
	int family = hints ? hints->ai_family : AF_UNSPEC;
	int flags = hints ? hints->ai_flags : 0;
	int socktype = hints ? hints->ai_socktype : 0;
	struct addrinfo *first = NULL, **tail = &first;
	struct host h[MAXADDR];
	int n, err;

	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return EAI_FAMILY;
	if (socktype != 0 && socktype != SOCK_STREAM && socktype != SOCK_DGRAM)
		return EAI_SOCKTYPE;
	if (node == NULL && service == NULL)
		return EAI_NONAME;
	n = hosts(node, family, flags, h);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int fam = family == AF_UNSPEC ? h[i].family : family;

		if (fam == AF_INET && h[i].family != AF_INET)
			continue;
		for (int t = 0; t < 2; t++) {
			unsigned short port;

			if (socktype != 0 && socktype != both[t])
				continue;
			if ((err = service_port(service, both[t], flags, &port)) != 0) {
				freeaddrinfo(first);
				return err;
			}
			if ((*tail = result(&h[i], fam, both[t], port)) == NULL) {
				freeaddrinfo(first);
				return EAI_MEMORY;
			}
			tail = &(*tail)->ai_next;
		}
	}
	if (first == NULL)
		return EAI_ADDRFAMILY;
	if ((flags & AI_CANONNAME) && (first->ai_canonname = strdup(node ? node : "")) == NULL) {
		freeaddrinfo(first);
		return EAI_MEMORY;
	}
	*res = first;
	return 0;
}

/* Numbers only: a reverse lookup would go out through the host. */
int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		char *serv, socklen_t servlen, int flags)
{
	static int (*next)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
			   socklen_t, int);

	if (next == NULL)
		next = real("getnameinfo");
	if (host != NULL && hostlen > 0 && (flags & NI_NAMEREQD)) {
		debug("getnameinfo", "no reverse lookups on the stack");
		return EAI_NONAME;
	}
	return next(sa, salen, host, hostlen, serv, servlen, flags | NI_NUMERICHOST);
}

/* gethostbyname's static answer */
static struct {
	struct hostent he;
	char name[256];
	char *aliases[1];
	char *list[MAXADDR + 1];
	unsigned char addr[MAXADDR][16];
} hb;

struct hostent *gethostbyname2(const char *name, int af)
{
	struct host h[MAXADDR];
	int n = af == AF_INET || af == AF_INET6 ? hosts(name, af, 0, h) : EAI_FAMILY;
	int k = 0;

	if (n < 0) {
		h_errno = n == EAI_NONAME ? HOST_NOT_FOUND : NO_RECOVERY;
		return NULL;
	}
	memset(&hb, 0, sizeof hb);
	snprintf(hb.name, sizeof hb.name, "%s", name);
	for (int i = 0; i < n; i++) {
		if (h[i].family != af)
			continue;
		memcpy(hb.addr[k], h[i].a, 16);
		hb.list[k] = (char *)hb.addr[k];
		k++;
	}
	if (k == 0) {
		h_errno = NO_ADDRESS;
		return NULL;
	}
	hb.he.h_name = hb.name;
	hb.he.h_aliases = hb.aliases;
	hb.he.h_addrtype = af;
	hb.he.h_length = af == AF_INET ? 4 : 16;
	hb.he.h_addr_list = hb.list;
	return &hb.he;
}

struct hostent *gethostbyname(const char *name)
{
	return gethostbyname2(name, AF_INET);
}

struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	(void)addr;
	(void)len;
	(void)type;
	debug("gethostbyaddr", "no reverse lookups on the stack");
	h_errno = HOST_NOT_FOUND;
	return NULL;
}

int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret, char *buf,
		    size_t buflen, struct hostent **result, int *h_errnop)
{
	(void)addr;
	(void)len;
	(void)type;
	(void)ret;
	(void)buf;
	(void)buflen;
	debug("gethostbyaddr_r", "no reverse lookups on the stack");
	*result = NULL;
	*h_errnop = HOST_NOT_FOUND;
	return ENOENT;
}
