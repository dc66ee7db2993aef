/* ICMP: echo, destination-unreachable generation, errors to transports.
 * The header and its types and codes are wire.h's. */
#ifndef NETCORE_ICMP_H
#define NETCORE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"

struct stack;

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

/* Send an echo request (for echo sockets, ping.c; replies come back
 * through ping_input). */
int icmp_send_echo(struct stack *st, uint32_t dst, uint16_t id, uint16_t seq,
		   const void *data, size_t len, uint8_t ttl, uint8_t tos);

#endif
