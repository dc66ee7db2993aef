/*
 * ICMP (RFC 792, RFC 1122 3.2.2): echo replies, destination-unreachable
 * messages for what we cannot deliver, and the errors that come back for
 * what we sent, passed to the transport that sent it.
 */
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "ping.h"
#include "stack.h"

enum { ICMP_QUOTE_MAX = 576 - IP_HLEN - ICMP_HLEN };

/* Send the len-byte message whose body stands at st->obuf + IP_HLEN +
 * ICMP_HLEN, with header h. */
static int send_icmp(struct stack *st, uint32_t dst, const struct icmphdr *h, size_t len,
		     uint8_t ttl, uint8_t tos)
{
	icmp_emit(st->obuf + IP_HLEN, len, h);
	st->icmps[ICMPS_OUT_MSGS]++;
	return ip_output(st, &(struct ipsend){ .dst = dst, .proto = IP_PROTO_ICMP,
					       .ttl = ttl, .tos = tos }, len);
}

static void echo_reply(struct stack *st, struct ippkt *ip, const struct icmphdr *echo)
{
	uint8_t *m = st->obuf + IP_HLEN;

	if (ip->len > st->obuf_size - IP_HLEN)
		return;
	memcpy(m, ip->data, ip->len);
	st->icmps[ICMPS_OUT_ECHO_REPS]++;
	send_icmp(st, ip->src, &(struct icmphdr){ ICMP_ECHOREPLY, 0, echo->id, echo->seq },
		  ip->len, 0, ip->tos);
}

/* An error about a datagram we sent: hand it to its transport. */
static void error_input(struct stack *st, struct ippkt *ip, int type, int code)
{
	uint8_t *q = ip->data + ICMP_HLEN;
	size_t qlen = ip->len - ICMP_HLEN, qhlen;
	struct ippkt quoted;
	const struct proto *p;

	if (qlen < IP_HLEN || q[0] >> 4 != 4)
		return;
	qhlen = (size_t)(q[0] & 0xf) * 4;
	if (qhlen < IP_HLEN || qlen < qhlen + 8 || get32(q + 12) != st->addr)
		return;
	quoted = (struct ippkt){ .src = get32(q + 12), .dst = get32(q + 16), .proto = q[9],
				 .hdr = q, .hlen = qhlen, .data = q + qhlen, .len = qlen - qhlen };
	p = stack_proto(quoted.proto);
	if (p != NULL && p->error != NULL)
		p->error(st, type, code, get32(ip->data + 4), &quoted);
}

void icmp_input(struct stack *st, struct ippkt *ip)
{
	struct icmphdr h;

	st->icmps[ICMPS_IN_MSGS]++;
	if (icmp_parse(ip->data, ip->len, &h) < 0) {
		st->icmps[ICMPS_IN_ERRORS]++;
		return;
	}
	switch (h.type) {
	case ICMP_ECHO:
		st->icmps[ICMPS_IN_ECHOS]++;
		if (ip->dst == st->addr)	/* no replies to broadcasts */
			echo_reply(st, ip, &h);
		break;
	case ICMP_ECHOREPLY:
		st->icmps[ICMPS_IN_ECHO_REPS]++;
		ping_input(st, ip, h.id);
		break;
	case ICMP_UNREACH:
		st->icmps[ICMPS_IN_DEST_UNREACHS]++;
		error_input(st, ip, h.type, h.code);
		break;
	case ICMP_TIMXCEED:
	case ICMP_PARAMPROB:
		error_input(st, ip, h.type, h.code);
		break;
	}
}

static int is_icmp_error(const struct ippkt *ip)
{
	if (ip->proto != IP_PROTO_ICMP || ip->len < 1)
		return 0;
	return ip->data[0] != ICMP_ECHO && ip->data[0] != ICMP_ECHOREPLY;
}

void icmp_error(struct stack *st, const struct ippkt *ip, int type, int code)
{
	uint8_t *m = st->obuf + IP_HLEN;
	size_t quote = ip->hlen + ip->len;

	/* RFC 1122 3.2.2: never about an ICMP error, a broadcast, a non-first
	 * fragment, or a source that is not a single host. */
	if (is_icmp_error(ip) || ip->dst != st->addr || (ip->frag & IP_OFFMASK) ||
	    ip->src == 0 || ip->src == 0xffffffffu || (ip->src >> 28) >= 14)
		return;
	if (quote > ICMP_QUOTE_MAX)
		quote = ICMP_QUOTE_MAX;
	memmove(m + ICMP_HLEN, ip->hdr, quote);
	if (type == ICMP_UNREACH)
		st->icmps[ICMPS_OUT_DEST_UNREACHS]++;
	else if (type == ICMP_TIMXCEED)
		st->icmps[ICMPS_OUT_TIME_EXCDS]++;
	send_icmp(st, ip->src, &(struct icmphdr){ (uint8_t)type, (uint8_t)code, 0, 0 },
		  ICMP_HLEN + quote, 0, 0);
}

void icmp_unreach(struct stack *st, const struct ippkt *ip, int code)
{
	icmp_error(st, ip, ICMP_UNREACH, code);
}

int icmp_send_echo(struct stack *st, uint32_t dst, uint16_t id, uint16_t seq,
		   const void *data, size_t len, uint8_t ttl, uint8_t tos)
{
	uint8_t *m = st->obuf + IP_HLEN;

	if (len > st->obuf_size - IP_HLEN - ICMP_HLEN)
		return -EMSGSIZE;
	memcpy(m + ICMP_HLEN, data, len);
	st->icmps[ICMPS_OUT_ECHOS]++;
	return send_icmp(st, dst, &(struct icmphdr){ ICMP_ECHO, 0, id, seq }, ICMP_HLEN + len,
			 ttl, tos);
}

/* Linux's icmp_err_convert table: errno, and whether it is a hard error. */
int icmp_unreach_errno(int code, int *fatal)
{
	static const struct { int err, fatal; } map[] = {
		[ICMP_UNREACH_NET] = { ENETUNREACH, 0 },
		[ICMP_UNREACH_HOST] = { EHOSTUNREACH, 0 },
		[ICMP_UNREACH_PROTOCOL] = { ENOPROTOOPT, 1 },
		[ICMP_UNREACH_PORT] = { ECONNREFUSED, 1 },
		[ICMP_UNREACH_NEEDFRAG] = { EMSGSIZE, 0 },
		[ICMP_UNREACH_SRCFAIL] = { EOPNOTSUPP, 0 },
		[ICMP_UNREACH_NET_UNKNOWN] = { ENETUNREACH, 1 },
		[ICMP_UNREACH_HOST_UNKNOWN] = { EHOSTDOWN, 1 },
		[ICMP_UNREACH_ISOLATED] = { ENONET, 1 },
		[ICMP_UNREACH_NET_PROHIB] = { ENETUNREACH, 1 },
		[ICMP_UNREACH_HOST_PROHIB] = { EHOSTUNREACH, 1 },
		[ICMP_UNREACH_TOSNET] = { ENETUNREACH, 0 },
		[ICMP_UNREACH_TOSHOST] = { EHOSTUNREACH, 0 },
		[ICMP_UNREACH_FILTER_PROHIB] = { EHOSTUNREACH, 1 },
		[ICMP_UNREACH_HOST_PRECEDENCE] = { EHOSTUNREACH, 1 },
		[ICMP_UNREACH_PRECEDENCE_CUTOFF] = { EHOSTUNREACH, 1 },
	};

	if (code < 0 || code >= (int)(sizeof map / sizeof map[0])) {
		if (fatal)
			*fatal = 0;
		return EHOSTUNREACH;
	}
	if (fatal)
		*fatal = map[code].fatal;
	return map[code].err;
}
