/*
 * The IPv4 header (RFC 791): parse with validation, emit without options.
 */
#include "wire.h"

int ip_parse(uint8_t *pkt, size_t len, struct ippkt *ip)
{
	size_t hlen, total;

	if (len < IP_HLEN)
		return IPV_SHORT;
	if (pkt[0] >> 4 != 4)
		return IPV_VERSION;
	hlen = (size_t)(pkt[0] & 0xf) * 4;
	if (hlen < IP_HLEN || hlen > len)
		return IPV_HLEN;
	if (cksum(pkt, hlen) != 0)
		return IPV_CKSUM;
	total = get16(pkt + 2);
	if (total < hlen || total > len)
		return IPV_LEN;

	/* Options, if any, are skipped: nothing we do depends on them. */
	ip->hdr = pkt;
	ip->hlen = hlen;
	ip->tos = pkt[1];
	ip->id = get16(pkt + 4);
	ip->frag = get16(pkt + 6);
	ip->ttl = pkt[8];
	ip->proto = pkt[9];
	ip->src = get32(pkt + 12);
	ip->dst = get32(pkt + 16);
	ip->data = pkt + hlen;
	ip->len = total - hlen;
	ip->csum_ok = 0;
	ip->v6 = 0;
	return IPV_OK;
}

void ip_emit(uint8_t *h, const struct iphdr *hdr)
{
	h[0] = 0x45;
	h[1] = hdr->tos;
	put16(h + 2, hdr->total);
	put16(h + 4, hdr->id);
	put16(h + 6, hdr->frag);
	h[8] = hdr->ttl;
	h[9] = hdr->proto;
	put16(h + 10, 0);
	put32(h + 12, hdr->src);
	put32(h + 16, hdr->dst);
	put16(h + 10, cksum(h, IP_HLEN));
}
