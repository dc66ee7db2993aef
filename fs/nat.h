/* --nat: the host masquerades the stack's prefixes to the hosts beyond. */
#ifndef SLASHNET_NAT_H
#define SLASHNET_NAT_H

#include <netcore/netcore.h>

/* Turn on the host's forwarding if it is off, and install the daemon's nft
 * table, inet slashnet_TUN, replacing one a crashed daemon left: masquerade
 * of the stack's IPv4 prefix (and its IPv6 one, if it speaks IPv6) going
 * out any device but the TUN, and a forward accept for it. 0, or -1 after
 * logging what failed. */
int nat_start(const struct nc_config *cfg);
/* Delete the table nat_start installed. */
void nat_stop(const char *tun);

#endif
