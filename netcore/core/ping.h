/* Echo sockets (/net/icmp): what icmp.c sees of ping.c. */
#ifndef NETCORE_PING_H
#define NETCORE_PING_H

#include <stdint.h>

struct stack;
struct ippkt;

/* An echo reply arrived (icmp_parse checked it): its payload goes to the
 * echo socket with the reply's id, if that socket's peer sent it. */
void ping_input(struct stack *st, struct ippkt *ip, uint16_t id);

#endif
