/* Packet capture in the classic pcap format, raw IP link type (each
 * packet's version nibble tells IPv4 from IPv6), which tcpdump -r and
 * wireshark read. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

enum { LINKTYPE_RAW = 101, SNAPLEN = 65535 };

FILE *pcap_open(const char *path)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b2c3d4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_RAW };
	FILE *f;

	if (strcmp(path, "-") == 0) {
		/* a descriptor of our own: a daemon moves its stdout to
		 * /dev/null once started, the capture goes on */
		int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);

		f = fd < 0 ? NULL : fdopen(fd, "wb");
		if (f == NULL && fd >= 0)
			close(fd);
	} else {
		f = fopen(path, "wbe");
	}
	if (f == NULL)
		return NULL;
	if (fwrite(&h, sizeof h, 1, f) != 1) {
		fclose(f);
		return NULL;
	}
	return f;
}

void pcap_write(FILE *f, const uint8_t *pkt, size_t len)
{
	struct timespec ts;
	struct {
		uint32_t sec, usec, caplen, len;
	} r;

	clock_gettime(CLOCK_REALTIME, &ts);
	r.sec = (uint32_t)ts.tv_sec;
	r.usec = (uint32_t)(ts.tv_nsec / 1000);
	r.len = (uint32_t)len;
	r.caplen = len < SNAPLEN ? (uint32_t)len : SNAPLEN;
	fwrite(&r, sizeof r, 1, f);
	fwrite(pkt, 1, r.caplen, f);
}
