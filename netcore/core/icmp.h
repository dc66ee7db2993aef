/* ICMP: echo, destination-unreachable generation, errors to transports. */
#ifndef NETCORE_ICMP_H
#define NETCORE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"

struct stack;

enum {
	ICMP_ECHOREPLY = 0,
	ICMP_UNREACH = 3,
	ICMP_ECHO = 8,
	ICMP_TIMXCEED = 11,
	ICMP_PARAMPROB = 12,

	/* codes of ICMP_UNREACH */
	ICMP_UNREACH_NET = 0, ICMP_UNREACH_HOST = 1, ICMP_UNREACH_PROTOCOL = 2,
	ICMP_UNREACH_PORT = 3, ICMP_UNREACH_NEEDFRAG = 4, ICMP_UNREACH_SRCFAIL = 5,
	ICMP_UNREACH_NET_UNKNOWN = 6, ICMP_UNREACH_HOST_UNKNOWN = 7,
	ICMP_UNREACH_ISOLATED = 8, ICMP_UNREACH_NET_PROHIB = 9,
	ICMP_UNREACH_HOST_PROHIB = 10, ICMP_UNREACH_TOSNET = 11,
	ICMP_UNREACH_TOSHOST = 12, ICMP_UNREACH_FILTER_PROHIB = 13,
	ICMP_UNREACH_HOST_PRECEDENCE = 14, ICMP_UNREACH_PRECEDENCE_CUTOFF = 15,

	/* codes of ICMP_TIMXCEED */
	ICMP_TIMXCEED_INTRANS = 0, ICMP_TIMXCEED_REASS = 1,
};

void icmp_input(struct stack *st, struct ippkt *ip);
/* Answer the packet ip (as received) with an error of type and code,
 * quoting its header and the start of its data. Never for ICMP errors,
 * broadcasts or fragments other than the first (RFC 1122 3.2.2). */
void icmp_error(struct stack *st, const struct ippkt *ip, int type, int code);
/* The same, destination unreachable. */
void icmp_unreach(struct stack *st, const struct ippkt *ip, int code);
/* errno for a destination-unreachable code, as Linux maps it
 * (and whether it is a hard error in its table). */
int icmp_unreach_errno(int code, int *fatal);

/* Echo sockets (/net/icmp): a reply with this id goes to icmp_sock_input. */
int icmp_send_echo(struct stack *st, uint32_t dst, uint16_t id, uint16_t seq,
		   const void *data, size_t len, uint8_t ttl, uint8_t tos);

#endif
