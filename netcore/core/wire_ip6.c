/*
 * The IPv6 header (RFC 8200), its extension headers, and ICMPv6's fixed
 * part (RFC 4443): parse with validation, emit.
 */
#include <string.h>

#include "wire.h"

int ip6_parse_hdr(const uint8_t *pkt, size_t len, struct ip6hdr *h)
{
	if (len < IP6_HLEN)
		return IP6V_SHORT;
	if (pkt[0] >> 4 != 6)
		return IP6V_VERSION;
	h->tclass = (uint8_t)(get16(pkt) >> 4);
	h->flow = get32(pkt) & 0xfffff;
	h->plen = get16(pkt + 4);
	h->nxt = pkt[6];
	h->hlim = pkt[7];
	memcpy(&h->src, pkt + 8, 16);
	memcpy(&h->dst, pkt + 24, 16);
	/* a jumbogram (payload length 0) is not for a link of ours */
	if ((size_t)IP6_HLEN + h->plen > len || h->plen == 0)
		return IP6V_SHORT;
	return IP6V_OK;
}

void ip6_emit(uint8_t *p, const struct ip6hdr *h)
{
	put32(p, 6u << 28 | (uint32_t)h->tclass << 20 | (h->flow & 0xfffff));
	put16(p + 4, h->plen);
	p[6] = h->nxt;
	p[7] = h->hlim;
	memcpy(p + 8, &h->src, 16);
	memcpy(p + 24, &h->dst, 16);
}

int ip6_ext_parse(const uint8_t *p, size_t len, struct ip6ext *e)
{
	if (len < 8)
		return -1;
	e->nxt = p[0];
	e->len = ((size_t)p[1] + 1) * 8;
	return e->len <= len ? 0 : -1;
}

/* Options are type, length, data; Pad1 is a lone zero byte. The two high
 * bits of an unknown type say what to do (RFC 8200 4.2): 00 skip, 01
 * discard, 10 discard and answer, 11 discard and answer unless the
 * destination was multicast (we have no multicast, so: answer). */
int ip6_opts_check(const uint8_t *p, size_t len, int *icmp)
{
	size_t i = 2;

	*icmp = 0;
	while (i < len) {
		uint8_t type = p[i];
		if (type == 0) {	/* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + p[i + 1] > len)
			return -2;
		if ((type >> 6) != 0) {	/* unknown, and not to be skipped */
			*icmp = (type >> 6) >= 2;
			return (int)i;
		}
		i += 2 + (size_t)p[i + 1];
	}
	return 0;
}

int ip6_frag_parse(const uint8_t *p, size_t len, struct ip6frag *f)
{
	if (len < IP6_FRAG_HLEN)
		return -1;
	f->nxt = p[0];
	f->off = get16(p + 2) & 0xfff8;
	f->more = p[3] & 1;
	f->id = get32(p + 4);
	return 0;
}

void ip6_frag_emit(uint8_t *p, const struct ip6frag *f)
{
	p[0] = f->nxt;
	p[1] = 0;
	put16(p + 2, (uint16_t)((f->off & 0xfff8) | (f->more ? 1 : 0)));
	put32(p + 4, f->id);
}

int icmp6_parse(const uint8_t *m, size_t len, const struct in6_addr *src,
		const struct in6_addr *dst, struct icmp6hdr *h)
{
	if (len < ICMP6_HLEN)
		return -1;
	if (cksum_fold(cksum_add(cksum_pseudo6(src, dst, IP6_NH_ICMP, len), m, len)) != 0)
		return -1;
	h->type = m[0];
	h->code = m[1];
	h->word = get32(m + 4);
	return 0;
}

void icmp6_emit(uint8_t *m, size_t len, const struct icmp6hdr *h, const struct in6_addr *src,
		const struct in6_addr *dst)
{
	m[0] = h->type;
	m[1] = h->code;
	put16(m + 2, 0);
	put32(m + 4, h->word);
	put16(m + 2, cksum_fold(cksum_add(cksum_pseudo6(src, dst, IP6_NH_ICMP, len), m, len)));
}
