/* ICMPv6 (RFC 4443): echo, errors we send (rate-limited), errors that
 * come back for what we sent, packet too big. wire.h has the header. */
#ifndef NETCORE_ICMP6_H
#define NETCORE_ICMP6_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct stack;

void icmp6_input(struct stack *st, struct ippkt *ip);
/* Answer the packet ip (as received: hdr, hlen + len bytes) with an error
 * of type and code; word is the pointer of a parameter problem, the MTU
 * of a packet too big. Never about an ICMPv6 error or from an address
 * that is not one host's (RFC 4443 2.4); at most ICMP6_RATE a second. */
void icmp6_error(struct stack *st, const struct ippkt *ip, int type, int code, uint32_t word);
/* Send an echo request (echo sockets, ping.c; replies come back through
 * ping_input). */
int icmp6_send_echo(struct stack *st, const struct in6_addr *dst, uint16_t id, uint16_t seq,
		    const void *data, size_t len, uint8_t hlim, uint8_t tclass);

enum { ICMP6_RATE = 100, ICMP6_BURST = 10 };

#endif
