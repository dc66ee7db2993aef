/*
 * The stack: its configuration, the table of transports it speaks, the
 * entry points a driver (or a test) calls, and the counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netcore/netcore.h>

#include "buf.h"
#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ip6.h"
#include "loopback.h"
#include "reasm.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"
#include "udp.h"

enum { POLL_ROUNDS = 8 };

static const struct proto icmp_proto = {
	.num = IP_PROTO_ICMP,
	.input = icmp_input,
	.ops = &icmp_sockops,
};

/* ICMPv6 itself is ip6.c's and icmp6.c's: this entry gives its echo
 * sockets (protocol 58 has no IPv4 input). */
static const struct proto icmp6_proto = {
	.num = IP6_NH_ICMP,
	.ops = &icmp6_sockops,
};

static const struct proto udp_proto = {
	.num = IP_PROTO_UDP,
	.init = udp_init,
	.fini = udp_fini,
	.input = udp_input,
	.error = udp_icmp_error,
	.stats = udp_stats,
	.ops = &udp_sockops,
};

static const struct proto tcp_proto = {
	.num = IP_PROTO_TCP,
	.init = tcp_init,
	.fini = tcp_fini,
	.input = tcp_input,
	.error = tcp_icmp_error,
	.stats = tcp_stats,
	.flush = tcp_flush,
	.ops = &tcp_sockops,
};

/* The transports, as Plan 9's Fsproto registers them. */
static const struct proto *const protos[] = {
	&icmp_proto,
	&icmp6_proto,
	&udp_proto,
	&tcp_proto,
};

const struct proto *stack_proto(int num)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (protos[i]->num == num)
			return protos[i];
	return NULL;
}

size_t stack_mem(struct stack *st)
{
	return (size_t)sock_count(st) + tcp_count(st) + chunks_used(st) + reasm_mem(st) +
	       (size_t)st->timers.n + loopback_mem(st);
}

size_t stack_conns(struct stack *st)
{
	return (size_t)sock_count(st) + tcp_count(st);
}

uint64_t stack_random(struct stack *st)
{
	/* xorshift64*: fast, and reproducible from the seed */
	st->rng ^= st->rng >> 12;
	st->rng ^= st->rng << 25;
	st->rng ^= st->rng >> 27;
	return st->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

/* SipHash-2-4 of a 16-byte message under the stack's secret. */
uint64_t stack_hash(const struct stack *st, enum hash_use use, uint64_t m0, uint64_t m1)
{
	uint64_t k0, k1, v[4], m[3] = { m0, m1 ^ (uint64_t)use << 56, (uint64_t)16 << 56 };

	memcpy(&k0, st->secret, 8);
	memcpy(&k1, st->secret + 8, 8);
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (int i = 0; i < 3; i++) {
		v[3] ^= m[i];
		sipround(v);
		sipround(v);
		v[0] ^= m[i];
	}
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void fini_protos(struct stack *st, size_t n)
{
	while (n-- > 0)
		if (protos[n]->fini)
			protos[n]->fini(st);
}

static void init_ip6(struct stack *st, const struct stack_config *cfg)
{
	st->ip6_on = !in6_is_any(&cfg->addr6);
	if (!st->ip6_on)
		return;
	st->addr6 = cfg->addr6;
	st->prefix6 = cfg->prefix6;
	st->gw6 = cfg->gw6;
	st->icmp6_credit = ICMP6_BURST;
	route6_add(st, &st->addr6, st->prefix6, &(struct in6_addr){ 0 });
	if (!in6_is_any(&st->gw6))
		route6_add(st, &(struct in6_addr){ 0 }, 0, &st->gw6);
}

struct stack *stack_new(const struct stack_config *cfg, stack_output_fn out, void *arg)
{
	struct stack *st = calloc(1, sizeof *st);
	size_t i;

	if (st == NULL)
		return NULL;
	st->gw = cfg->gw;
	st->mtu = cfg->mtu;
	st->tso = cfg->tso;
	st->csum_offload = cfg->csum_offload;
	st->no_timestamps = cfg->no_timestamps;
	st->no_sack = cfg->no_sack;
	st->push_segs = cfg->push_segs > 0 ? cfg->push_segs : 2;
	st->no_idle_restart = cfg->no_idle_restart;
	st->tcp_cc = (uint8_t)cfg->tcp_cc;
	st->msl_ms = cfg->msl_ms ? cfg->msl_ms : 30000;
	buf_set_budget(st, cfg->buf_max);
	st->output = out;
	st->output_iov = cfg->output_iov;
	st->output_arg = arg;
	st->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < sizeof st->secret; i += 8) {
		uint64_t r = stack_random(st);
		memcpy(st->secret + i, &r, 8);
	}
	if (memcmp(cfg->secret, (uint8_t[sizeof cfg->secret]){ 0 }, sizeof cfg->secret) != 0)
		memcpy(st->secret, cfg->secret, sizeof st->secret);
	/* obuf has IPv6's larger header room before it (ip6.c) */
	st->obuf_size = IP_MAXPACKET + 64;
	st->obuf = malloc(OBUF_HEADROOM + st->obuf_size);
	if (st->obuf != NULL)
		st->obuf += OBUF_HEADROOM;
	if (st->obuf == NULL || st->mtu < 68 || st->mtu > IP_MAXPACKET || cfg->tcp_cc < 0 ||
	    cfg->tcp_cc >= TCP_CC_N)
		goto fail;

	if (ifaddr_add(st, cfg->addr, cfg->prefix, 0) < 0)
		goto fail;
	if (st->gw)
		route_add(st, 0, 0, st->gw);
	init_ip6(st, cfg);

	if (sock_init(st) < 0)
		goto fail;
	for (i = 0; i < sizeof protos / sizeof protos[0]; i++) {
		if (protos[i]->init && protos[i]->init(st) < 0) {
			fini_protos(st, i);
			sock_fini(st);
			goto fail;
		}
	}
	return st;
fail:
	free(st->obuf ? st->obuf - OBUF_HEADROOM : NULL);
	free(st);
	return NULL;
}

int stack_set_mtu(struct stack *st, int mtu)
{
	if (mtu < 576 || mtu > IP_MAXPACKET)
		return -EINVAL;
	st->mtu = mtu;
	return 0;
}

void stack_log(struct stack *st, const struct log_event *ev)
{
	if (stack_logs(st, ev->proto) && st->log)
		st->log(st->log_arg, ev);
}

void stack_free(struct stack *st)
{
	if (st == NULL)
		return;
	sock_fini(st);
	fini_protos(st, sizeof protos / sizeof protos[0]);
	reasm_fini(st);
	loopback_free(st);
	chunk_pool_free(st);
	timers_free(&st->timers);
	free(st->obuf - OBUF_HEADROOM);
	free(st);
}

static void input(struct stack *st, uint64_t now, uint8_t *pkt, size_t len, int csum_ok)
{
	stack_advance(st, now);
	st->ifs.ipackets++;
	st->ifs.ibytes += len;
	if (len > 0 && pkt[0] >> 4 == 6)
		ip6_input(st, pkt, len, csum_ok);
	else
		ip_input(st, pkt, len, csum_ok);
}

void stack_input(struct stack *st, uint64_t now, uint8_t *pkt, size_t len)
{
	input(st, now, pkt, len, 0);
}

void stack_input_csum_ok(struct stack *st, uint64_t now, uint8_t *pkt, size_t len)
{
	input(st, now, pkt, len, 1);
}

int stack_rx_room(struct stack *st, struct iovec *iov, int max, size_t *hdr)
{
	return tcp_rx_room(st, iov, max, hdr);
}

int stack_input_placed(struct stack *st, uint64_t now, uint8_t *pkt, size_t len)
{
	stack_advance(st, now);	/* the timers first: they may end the guess */
	if (!tcp_placed_begin(st, pkt, len))
		return -1;
	input(st, now, pkt, len, 1);
	tcp_placed_end(st);
	return 0;
}

void stack_advance(struct stack *st, uint64_t now)
{
	if (now > st->now)
		st->now = now;
	timers_run(st, st->now);
}

/* Packets on the loopback, and output a socket call left for the end
 * of the pass, are due at once. */
uint64_t stack_deadline(struct stack *st)
{
	return loopback_pending(st) || tcp_flush_due(st) ? st->now : timers_next(&st->timers);
}

/* A driver's one call after a batch of input (or a timer): run what is
 * due, take in what the stack sent itself, deliver the events, and again
 * while that made something due at once, for a few rounds at most, so
 * that a callback that always makes more cannot hold the driver. */
uint64_t stack_poll(struct stack *st, uint64_t now)
{
	for (int round = 0; round < POLL_ROUNDS; round++) {
		stack_advance(st, now);
		loopback_input(st);
		stack_flush(st);
		if (stack_deadline(st) > st->now)
			break;
	}
	return stack_deadline(st);
}

void stack_flush(struct stack *st)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (protos[i]->flush)
			protos[i]->flush(st);
	sock_flush(st);
}

/* ---- counters, named as in Linux's /proc/net/snmp ---- */

int stack_put_stats(struct nc_stat *out, int max, const char *const *names,
		    const uint64_t *values, int n)
{
	for (int i = 0; i < n && i < max; i++)
		out[i] = (struct nc_stat){ names[i], values[i] };
	return n;
}

static const char *const ip_names[IPS_N] = {
	[IPS_IN_RECEIVES] = "InReceives",
	[IPS_IN_DELIVERS] = "InDelivers",
	[IPS_OUT_REQUESTS] = "OutRequests",
	[IPS_IN_SHORT] = "InHdrShort",
	[IPS_IN_VERSION] = "InHdrVersion",
	[IPS_IN_HLEN] = "InHdrLength",
	[IPS_IN_CKSUM] = "InHdrChecksum",
	[IPS_IN_LEN] = "InTotalLength",
	[IPS_IN_ADDR_ERRORS] = "InAddrErrors",
	[IPS_IN_UNKNOWN_PROTO] = "InUnknownProtos",
	[IPS_IN_TTL] = "InTTLZero",
	[IPS_OUT_NO_ROUTES] = "OutNoRoutes",
	[IPS_FRAG_NEEDED] = "FragFails",
	[IPS_REASM_REQDS] = "ReasmReqds",
	[IPS_REASM_OKS] = "ReasmOKs",
	[IPS_REASM_FAILS] = "ReasmFails",
};

static const char *const icmp_names[ICMPS_N] = {
	[ICMPS_IN_MSGS] = "InMsgs",
	[ICMPS_IN_ERRORS] = "InErrors",
	[ICMPS_IN_ECHOS] = "InEchos",
	[ICMPS_IN_ECHO_REPS] = "InEchoReps",
	[ICMPS_IN_DEST_UNREACHS] = "InDestUnreachs",
	[ICMPS_OUT_MSGS] = "OutMsgs",
	[ICMPS_OUT_ECHO_REPS] = "OutEchoReps",
	[ICMPS_OUT_DEST_UNREACHS] = "OutDestUnreachs",
	[ICMPS_OUT_ECHOS] = "OutEchos",
	[ICMPS_OUT_TIME_EXCDS] = "OutTimeExcds",
};

static const char *const ip6_names[IP6S_N] = {
	[IP6S_IN_RECEIVES] = "Ip6InReceives",
	[IP6S_IN_DELIVERS] = "Ip6InDelivers",
	[IP6S_OUT_REQUESTS] = "Ip6OutRequests",
	[IP6S_IN_TRUNCATED] = "Ip6InTruncatedPkts",
	[IP6S_IN_HDR_ERRORS] = "Ip6InHdrErrors",
	[IP6S_IN_ADDR_ERRORS] = "Ip6InAddrErrors",
	[IP6S_IN_UNKNOWN_PROTO] = "Ip6InUnknownProtos",
	[IP6S_OUT_NO_ROUTES] = "Ip6OutNoRoutes",
	[IP6S_FRAG_CREATES] = "Ip6FragCreates",
	[IP6S_FRAG_OKS] = "Ip6FragOKs",
	[IP6S_REASM_REQDS] = "Ip6ReasmReqds",
	[IP6S_REASM_OKS] = "Ip6ReasmOKs",
	[IP6S_REASM_FAILS] = "Ip6ReasmFails",
	[IP6S_REASM_TIMEOUT] = "Ip6ReasmTimeout",
};

static const char *const icmp6_names[ICMP6S_N] = {
	[ICMP6S_IN_MSGS] = "Icmp6InMsgs",
	[ICMP6S_IN_ERRORS] = "Icmp6InErrors",
	[ICMP6S_IN_ECHOS] = "Icmp6InEchos",
	[ICMP6S_IN_ECHO_REPLIES] = "Icmp6InEchoReplies",
	[ICMP6S_IN_DEST_UNREACHS] = "Icmp6InDestUnreachs",
	[ICMP6S_IN_PKT_TOO_BIGS] = "Icmp6InPktTooBigs",
	[ICMP6S_IN_TIME_EXCDS] = "Icmp6InTimeExcds",
	[ICMP6S_IN_PARM_PROBLEMS] = "Icmp6InParmProblems",
	[ICMP6S_OUT_MSGS] = "Icmp6OutMsgs",
	[ICMP6S_OUT_ECHO_REPLIES] = "Icmp6OutEchoReplies",
	[ICMP6S_OUT_ECHOS] = "Icmp6OutEchos",
	[ICMP6S_OUT_DEST_UNREACHS] = "Icmp6OutDestUnreachs",
	[ICMP6S_OUT_PARM_PROBLEMS] = "Icmp6OutParmProblems",
	[ICMP6S_OUT_TIME_EXCDS] = "Icmp6OutTimeExcds",
	[ICMP6S_OUT_RATE_LIMITED] = "Icmp6OutRateLimitHost",
};

int stack_stats(struct stack *st, int proto, struct nc_stat *out, int max)
{
	const struct proto *p;

	if (proto == IPPROTO_IPV6)
		return stack_put_stats(out, max, ip6_names, st->ip6s, IP6S_N);
	if (proto == IPPROTO_ICMPV6)
		return stack_put_stats(out, max, icmp6_names, st->icmp6s, ICMP6S_N);
	if (proto == IPPROTO_IP)
		return stack_put_stats(out, max, ip_names, st->ips, IPS_N);
	if (proto == IPPROTO_ICMP)
		return stack_put_stats(out, max, icmp_names, st->icmps, ICMPS_N);
	p = stack_proto(proto);
	if (p == NULL || p->stats == NULL)
		return -EPROTONOSUPPORT;
	return p->stats(st, out, max);
}

const struct sockops *stack_sockops(int type, int protocol)
{
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++) {
		const struct sockops *ops = protos[i]->ops;
		if (ops == NULL || ops->type != type)
			continue;
		/* protocol 0 picks the usual one: TCP or UDP, never ping */
		if (protocol == ops->proto ||
		    (protocol == 0 && ops->proto != IPPROTO_ICMP && ops->proto != IPPROTO_ICMPV6))
			return ops;
	}
	return NULL;
}
