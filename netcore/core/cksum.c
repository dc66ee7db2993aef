/*
 * The Internet checksum (RFC 1071). Words are summed in memory order into
 * a wide accumulator; the ones' complement sum does not care about byte order until the end, where
 * cksum_fold turns it into a host number ready for put16(). Only the last
 * piece of a chained sum may have an odd length.
 */
#include <arpa/inet.h>
#include <string.h>

#include "wire.h"

/* The 8 bytes at p as the sum of their two 32-bit halves (33 bits). */
static uint64_t halves(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return (w & 0xffffffff) + (w >> 32);
}

uint32_t cksum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum, a[4] = { 0, 0, 0, 0 };
	uint32_t w;

	/* 32 bytes a step into four independent sums, so the additions
	 * overlap; 64-bit sums of 33-bit values cannot overflow within any
	 * IP packet. */
	for (; len >= 32; p += 32, len -= 32)
		for (int i = 0; i < 4; i++)
			a[i] += halves(p + 8 * i);
	acc += a[0] + a[1] + a[2] + a[3];
	for (; len >= 8; p += 8, len -= 8)
		acc += halves(p);
	if (len >= 4) {
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t h = 0;
		memcpy(&h, p, 1);
		acc += h;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ntohs((uint16_t)~sum);
}

uint16_t cksum_partial(uint32_t sum)
{
	return (uint16_t)~cksum_fold(sum);
}

uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint8_t ph[12];

	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)len);
	return cksum_add(0, ph, sizeof ph);
}

uint32_t cksum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t proto,
		       size_t len)
{
	uint8_t ph[8] = { 0 };

	put32(ph, (uint32_t)len);
	ph[7] = proto;
	return cksum_add(cksum_add(cksum_add(0, src, 16), dst, 16), ph, sizeof ph);
}

uint32_t cksum_pseudo_pkt(const struct ippkt *ip, uint8_t proto, size_t len)
{
	if (ip->v6)
		return cksum_pseudo6(&ip->src6, &ip->dst6, proto, len);
	return cksum_pseudo(ip->src, ip->dst, proto, len);
}
