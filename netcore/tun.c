/* The TUN device: IPv4 packets without any extra header (IFF_NO_PI). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "driver.h"
#include "stack.h"

int tun_open(const char *name, char *actual, int *created)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*created = if_nametoindex(name) == 0;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = 0;
	return fd;
}

void tun_write(struct nc_stack *s, const uint8_t *pkt, size_t len)
{
	if (s->pcap)
		pcap_write(s->pcap, pkt, len);
	/* A full queue drops the packet, like a busy link: TCP recovers. */
	if (write(s->tunfd, pkt, len) != (ssize_t)len)
		s->core->ifs.oerrors++;
}
