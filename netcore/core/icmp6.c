/*
 * ICMPv6 (RFC 4443): echo replies, the errors we send about what we
 * cannot deliver (rate-limited, 2.4 f), and the errors that come back for
 * what we sent: passed to the transport that sent it through the same
 * path as ICMPv4's, their type and code told in ICMPv4's terms; a packet
 * too big also lowers the destination's path MTU (RFC 8201).
 */
#include <errno.h>
#include <string.h>

#include "icmp6.h"
#include "ip6.h"
#include "ping.h"
#include "stack.h"

/* An error quotes as much of the packet as fits in the minimum MTU. */
enum { ICMP6_QUOTE_MAX = IP6_MINMTU - IP6_HLEN - ICMP6_HLEN };

/* Send the len-byte message at st->obuf + IP_HLEN, with header h. */
static int send_icmp6(struct stack *st, const struct in6_addr *dst, const struct icmp6hdr *h,
		      size_t len, uint8_t hlim, uint8_t tclass)
{
	struct in6_addr src = ip6_source(st, dst);

	icmp6_emit(st->obuf + IP_HLEN, len, h, &src, dst);
	st->icmp6s[ICMP6S_OUT_MSGS]++;
	return ip6_output(st, &(struct ipsend){ .v6 = 1, .src6 = src, .dst6 = *dst,
						.proto = IP6_NH_ICMP, .ttl = hlim,
						.tos = tclass }, len);
}

static void echo_reply(struct stack *st, struct ippkt *ip, const struct icmp6hdr *echo)
{
	uint8_t *m = st->obuf + IP_HLEN;

	if (ip->len > st->obuf_size - IP_HLEN)
		return;
	memmove(m, ip->data, ip->len);
	st->icmp6s[ICMP6S_OUT_ECHO_REPLIES]++;
	send_icmp6(st, &ip->src6,
		   &(struct icmp6hdr){ ICMP6_ECHO_REPLY, 0, echo->word }, ip->len, 0, ip->tos);
}

/* An ICMPv6 error in ICMPv4's words, for the transports (one table of
 * errnos, icmp_unreach_errno): destination unreachable codes as Linux
 * maps them (no route: net unreachable; administratively prohibited,
 * policy, reject: host prohibited, a hard error; address unreachable,
 * beyond scope: host unreachable; port: port). */
static int as_icmp4(const struct icmp6hdr *h, int *type, int *code)
{
	static const uint8_t unreach[] = {
		[ICMP6_DST_UNREACH_NOROUTE] = ICMP_UNREACH_NET,
		[ICMP6_DST_UNREACH_ADMIN] = ICMP_UNREACH_HOST_PROHIB,
		[ICMP6_DST_UNREACH_BEYONDSCOPE] = ICMP_UNREACH_HOST,
		[ICMP6_DST_UNREACH_ADDR] = ICMP_UNREACH_HOST,
		[ICMP6_DST_UNREACH_NOPORT] = ICMP_UNREACH_PORT,
		[ICMP6_DST_UNREACH_POLICY] = ICMP_UNREACH_HOST_PROHIB,
		[ICMP6_DST_UNREACH_REJECT] = ICMP_UNREACH_HOST_PROHIB,
	};

	switch (h->type) {
	case ICMP6_DST_UNREACH:
		*type = ICMP_UNREACH;
		*code = h->code < sizeof unreach ? unreach[h->code] : ICMP_UNREACH_HOST;
		return 0;
	case ICMP6_PACKET_TOO_BIG:
		*type = ICMP_UNREACH;
		*code = ICMP_UNREACH_NEEDFRAG;
		return 0;
	case ICMP6_TIME_EXCEEDED:
		*type = ICMP_TIMXCEED;
		*code = h->code;
		return 0;
	case ICMP6_PARAM_PROB:
		*type = ICMP_PARAMPROB;
		*code = 0;
		return 0;
	}
	return -1;
}

/* Skip the extension headers of a quoted packet: where its transport
 * header starts, or 0. */
static size_t quoted_transport(const uint8_t *q, size_t qlen, uint8_t *proto)
{
	uint8_t nxt = q[6];
	size_t off = IP6_HLEN;
	struct ip6ext e;

	while (nxt == IP6_NH_HOPOPTS || nxt == IP6_NH_ROUTING || nxt == IP6_NH_DSTOPTS ||
	       nxt == IP6_NH_FRAGMENT) {
		if (nxt == IP6_NH_FRAGMENT) {
			if (qlen - off < IP6_FRAG_HLEN || (get16(q + off + 2) & 0xfff8) != 0)
				return 0;	/* only the first fragment names ports */
			nxt = q[off];
			off += IP6_FRAG_HLEN;
			continue;
		}
		if (ip6_ext_parse(q + off, qlen - off, &e) < 0)
			return 0;
		nxt = e.nxt;
		off += e.len;
	}
	*proto = nxt;
	return off;
}

/* An error about a packet we sent: hand it to its transport as a quoted
 * packet (src6, dst6, proto, and data at the transport header). */
static void error_input(struct stack *st, struct ippkt *ip, const struct icmp6hdr *h)
{
	const uint8_t *q = ip->data + ICMP6_HLEN;
	size_t qlen = ip->len - ICMP6_HLEN, off;
	struct ippkt quoted = { .v6 = 1 };
	const struct proto *p;
	int type, code;

	if (qlen < IP6_HLEN || q[0] >> 4 != 6 || as_icmp4(h, &type, &code) < 0)
		return;
	memcpy(&quoted.src6, q + 8, 16);
	memcpy(&quoted.dst6, q + 24, 16);
	if (!ip6_is_local(st, &quoted.src6))
		return;
	if (h->type == ICMP6_PACKET_TOO_BIG)
		ip6_pmtu_update(st, &quoted.dst6, h->word);
	off = quoted_transport(q, qlen, &quoted.proto);
	if (off == 0 || qlen < off + 8)
		return;
	quoted.hdr = (uint8_t *)q;
	quoted.hlen = off;
	quoted.data = (uint8_t *)q + off;
	quoted.len = qlen - off;
	p = stack_proto(quoted.proto);
	if (p != NULL && p->error != NULL)
		p->error(st, type, code, h->word, &quoted);
}

void icmp6_input(struct stack *st, struct ippkt *ip)
{
	struct icmp6hdr h;

	st->icmp6s[ICMP6S_IN_MSGS]++;
	if (icmp6_parse(ip->data, ip->len, &ip->src6, &ip->dst6, &h) < 0) {
		st->icmp6s[ICMP6S_IN_ERRORS]++;
		return;
	}
	switch (h.type) {
	case ICMP6_ECHO_REQUEST:
		st->icmp6s[ICMP6S_IN_ECHOS]++;
		echo_reply(st, ip, &h);
		break;
	case ICMP6_ECHO_REPLY:
		st->icmp6s[ICMP6S_IN_ECHO_REPLIES]++;
		ping_input(st, ip, (uint16_t)(h.word >> 16));
		break;
	case ICMP6_DST_UNREACH:
		st->icmp6s[ICMP6S_IN_DEST_UNREACHS]++;
		error_input(st, ip, &h);
		break;
	case ICMP6_PACKET_TOO_BIG:
		st->icmp6s[ICMP6S_IN_PKT_TOO_BIGS]++;
		error_input(st, ip, &h);
		break;
	case ICMP6_TIME_EXCEEDED:
		st->icmp6s[ICMP6S_IN_TIME_EXCDS]++;
		error_input(st, ip, &h);
		break;
	case ICMP6_PARAM_PROB:
		st->icmp6s[ICMP6S_IN_PARM_PROBLEMS]++;
		error_input(st, ip, &h);
		break;
	}
}

/* Is ip an ICMPv6 error (types under 128)? Its type is the first byte
 * after the headers; a packet whose headers were not walked yet is
 * looked at only when its fixed header says ICMPv6. */
static int is_icmp6_error(const struct ippkt *ip)
{
	return ip->proto == IP6_NH_ICMP && ip->len >= 1 && ip->data[0] < 128;
}

/* Token bucket: ICMP6_RATE a second, bursts of ICMP6_BURST. */
static int rate_ok(struct stack *st)
{
	uint64_t step = 1000000 / ICMP6_RATE;
	uint64_t earned = (st->now - st->icmp6_credit_at) / step;

	if (earned > 0) {
		st->icmp6_credit += (int)(earned < ICMP6_BURST ? earned : ICMP6_BURST);
		if (st->icmp6_credit > ICMP6_BURST)
			st->icmp6_credit = ICMP6_BURST;
		st->icmp6_credit_at += earned * step;
	}
	if (st->icmp6_credit == 0) {
		st->icmp6s[ICMP6S_OUT_RATE_LIMITED]++;
		return 0;
	}
	st->icmp6_credit--;
	return 1;
}

void icmp6_error(struct stack *st, const struct ippkt *ip, int type, int code, uint32_t word)
{
	uint8_t *m = st->obuf + IP_HLEN;
	size_t quote = ip->hlen + ip->len;

	if (is_icmp6_error(ip) || in6_is_any(&ip->src6) || ip->src6.s6_addr[0] == 0xff ||
	    !rate_ok(st))
		return;
	if (quote > ICMP6_QUOTE_MAX)
		quote = ICMP6_QUOTE_MAX;
	memmove(m + ICMP6_HLEN, ip->hdr, quote);
	if (type == ICMP6_DST_UNREACH)
		st->icmp6s[ICMP6S_OUT_DEST_UNREACHS]++;
	else if (type == ICMP6_PARAM_PROB)
		st->icmp6s[ICMP6S_OUT_PARM_PROBLEMS]++;
	else if (type == ICMP6_TIME_EXCEEDED)
		st->icmp6s[ICMP6S_OUT_TIME_EXCDS]++;
	send_icmp6(st, &ip->src6, &(struct icmp6hdr){ (uint8_t)type, (uint8_t)code, word },
		   ICMP6_HLEN + quote, 0, 0);
}

int icmp6_send_echo(struct stack *st, const struct in6_addr *dst, uint16_t id, uint16_t seq,
		    const void *data, size_t len, uint8_t hlim, uint8_t tclass)
{
	uint8_t *m = st->obuf + IP_HLEN;

	if (len > st->obuf_size - IP_HLEN - ICMP6_HLEN)
		return -EMSGSIZE;
	memcpy(m + ICMP6_HLEN, data, len);
	st->icmp6s[ICMP6S_OUT_ECHOS]++;
	return send_icmp6(st, dst, &(struct icmp6hdr){ ICMP6_ECHO_REQUEST, 0,
						       (uint32_t)id << 16 | seq },
			  ICMP6_HLEN + len, hlim, tclass);
}
