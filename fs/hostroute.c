/* The host's IPv4 routes, read from /proc/net/route (see hostroute.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hostroute.h"

/* The mask of a prefix length, in network order. */
static uint32_t mask_of(int prefix)
{
	return htonl(prefix == 0 ? 0 : ~0u << (32 - prefix));
}

/* Do a/amask and b/bmask share an address? They do when they agree under
 * the shorter of the two masks. */
static int overlaps(uint32_t a, uint32_t amask, uint32_t b, uint32_t bmask)
{
	uint32_t m = amask & bmask;

	return (a & m) == (b & m);
}

int host_route_overlap(struct in_addr addr, int prefix, const char *tun, char dev[IF_NAMESIZE])
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], ifname[IF_NAMESIZE];
	unsigned dst, mask;
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...,
		 * addresses in hex as the kernel holds them (network order) */
		if (sscanf(line, "%15s %x %*x %*x %*d %*d %*d %x", ifname, &dst, &mask) != 3)
			continue;	/* the header */
		/* the default route overlaps everything: not a conflict */
		if (mask == 0 || strcmp(ifname, tun) == 0)
			continue;
		if (overlaps(dst, mask, addr.s_addr, mask_of(prefix))) {
			snprintf(dev, IF_NAMESIZE, "%s", ifname);
			found = 1;
		}
	}
	fclose(f);
	return found;
}
