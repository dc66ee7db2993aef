/*
 * The UDP header (RFC 768): parse with the length and checksum checks,
 * emit with the checksum (never 0, which would mean none).
 */
#include "wire.h"

int udp_parse(const struct ippkt *ip, struct udphdr *u)
{
	const uint8_t *h = ip->data;

	if (ip->len < UDP_HLEN)
		return UDP_BAD_LEN;
	u->len = get16(h + 4);
	if (u->len < UDP_HLEN || u->len > ip->len)
		return UDP_BAD_LEN;
	u->cksum = get16(h + 6);
	if (u->cksum != 0 && !ip->csum_ok &&
	    cksum_fold(cksum_add(cksum_pseudo_pkt(ip, IP_PROTO_UDP, u->len), h, u->len)))
		return UDP_BAD_CKSUM;
	u->sport = get16(h);
	u->dport = get16(h + 2);
	return UDP_OK;
}

void udp_emit_sum(uint8_t *h, const struct udphdr *u, uint32_t pseudo)
{
	uint16_t sum;

	put16(h, u->sport);
	put16(h + 2, u->dport);
	put16(h + 4, u->len);
	put16(h + 6, 0);
	sum = cksum_fold(cksum_add(pseudo, h, u->len));
	put16(h + 6, sum ? sum : 0xffff);
}

void udp_emit(uint8_t *h, const struct udphdr *u, uint32_t src, uint32_t dst)
{
	udp_emit_sum(h, u, cksum_pseudo(src, dst, IP_PROTO_UDP, u->len));
}
