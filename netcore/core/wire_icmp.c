/*
 * The ICMP header (RFC 792): type, code, checksum over the whole message,
 * and the second word (an echo's id and sequence number).
 */
#include "wire.h"

int icmp_parse(const uint8_t *m, size_t len, struct icmphdr *h)
{
	if (len < ICMP_HLEN || cksum(m, len) != 0)
		return -1;
	h->type = m[0];
	h->code = m[1];
	h->id = get16(m + 4);
	h->seq = get16(m + 6);
	return 0;
}

void icmp_emit(uint8_t *m, size_t len, const struct icmphdr *h)
{
	m[0] = h->type;
	m[1] = h->code;
	put16(m + 2, 0);
	put16(m + 4, h->id);
	put16(m + 6, h->seq);
	put16(m + 2, cksum(m, len));
}
