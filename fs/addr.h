/* Addresses of ctl commands and cs: see addr.c. 0 or a positive errno. */
#ifndef SLASHNET_ADDR_H
#define SLASHNET_ADDR_H

#include <netinet/in.h>
#include <stdint.h>

/* A port number or an /etc/services name of proto ("tcp", "udp"). */
int addr_port(const char *s, const char *proto, uint16_t *port);
/* A name in /etc/hosts. */
int addr_hosts(const char *name, struct in_addr *a);
/* A dotted quad, "*" or a name. */
int addr_host(const char *s, struct in_addr *a);
enum { ADDR_MAX = 256 };

/* "host!port" or "host:port"; with port_only, a bare "port" means any
 * address. A host name not in /etc/hosts gives ENOENT with the port set
 * and, if name is not NULL, the name copied there (ADDR_MAX bytes), for
 * resolve() to look up; any other failure leaves name empty. */
int addr_parse(const char *s, const char *proto, int port_only, struct sockaddr_in *sa,
	       char *name);

#endif
