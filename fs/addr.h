/* Addresses of ctl commands and cs: see addr.c. 0 or a positive errno. */
#ifndef SLASHNET_ADDR_H
#define SLASHNET_ADDR_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address of either family, as the API takes it. */
union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

enum { ADDR_MAX = 256, ADDR_TEXT = INET6_ADDRSTRLEN + 8 };

/* A port number or an /etc/services name of proto ("tcp", "udp"). */
int addr_port(const char *s, const char *proto, uint16_t *port);
/* A name in /etc/hosts: its first address, IPv4 or IPv6. */
int addr_hosts(const char *name, union addr *a);
/* A dotted quad, an IPv6 literal (bare or in brackets), "*" or a name;
 * the port is left 0. "*" is IPv6's any address (addr_as turns it into
 * IPv4's); an IPv4-mapped literal (::ffff:a.b.c.d) is IPv4. */
int addr_host(const char *s, union addr *a);

/* "host!port", "host:port", "[v6]!port", "[v6]:port"; with port_only, a
 * bare "port" means any address. A host name not in /etc/hosts gives
 * ENOENT with the port set and, if name is not NULL, the name copied
 * there (ADDR_MAX bytes), for resolve() to look up; any other failure
 * leaves name empty. */
int addr_parse(const char *s, const char *proto, int port_only, union addr *a, char *name);

/* a as a socket of family takes it: IPv4 as ::ffff:a.b.c.d on an AF_INET6
 * socket, a mapped or any IPv6 address as IPv4 on an AF_INET one.
 * EAFNOSUPPORT for another IPv6 address on AF_INET. */
int addr_as(union addr *a, int family);
socklen_t addr_len(const union addr *a);
uint16_t addr_get_port(const union addr *a);	/* host order */
void addr_set_port(union addr *a, uint16_t port);
/* "a.b.c.d!port" or "fd77::1!port" as Plan 9 prints them (a mapped IPv4
 * address as a dotted quad), with "!port" if with_port. buf holds
 * ADDR_TEXT bytes. */
char *addr_text(const union addr *a, int with_port, char *buf);

#endif
