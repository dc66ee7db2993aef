/* What the host already routes, to warn before the stack takes a prefix. */
#ifndef SLASHNET_HOSTROUTE_H
#define SLASHNET_HOSTROUTE_H

#include <net/if.h>
#include <netinet/in.h>

/* Does the host's main table route a prefix overlapping addr/prefix
 * through a device other than tun? 1 and the device's name in dev, or 0. */
int host_route_overlap(struct in_addr addr, int prefix, const char *tun, char dev[IF_NAMESIZE]);

#endif
