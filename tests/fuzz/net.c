/* The packet-path harnesses' stack (see net.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "sock.h"
#include "wire.h"

enum { LEAK_WAIT_US = 3600ull * 1000000 };	/* orphans give up within minutes */

void net_init(struct net *n)
{
	struct stack_config cfg = { .addr = NET_ADDR, .prefix = 24, .gw = NET_PEER,
				    .mtu = 1500, .seed = 7 };

	n->nflows = 0;
	n->echo_id = n->echo_seq = 0;
	n->lastlen = 0;
	n->l = link_new(&cfg, NULL);
	if (n->l == NULL) {
		fprintf(stderr, "net: cannot create the stack\n");
		abort();
	}
	link_set_delay(n->l, 0);
	n->st = link_stack(n->l, LINK_A);
}

struct flow *net_flow(struct net *n, uint16_t lport, uint16_t fport)
{
	for (int i = 0; i < n->nflows; i++)
		if (n->flows[i].lport == lport && n->flows[i].fport == fport)
			return &n->flows[i];
	return NULL;
}

/* A segment the stack sent: where its flow stands now. */
static void saw_tcp(struct net *n, const struct ippkt *ip)
{
	struct seg s;
	struct flow *f;

	if (tcp_parse(ip, &s) < 0)
		return;
	f = net_flow(n, s.sport, s.dport);
	if (f == NULL) {
		/* a new flow takes a free slot, or the oldest one's */
		f = &n->flows[n->nflows < NET_FLOWS ? n->nflows++ : 0];
		f->lport = s.sport;
		f->fport = s.dport;
	}
	f->snd_nxt = s.seq + s.len + !!(s.flags & SEG_SYN) + !!(s.flags & SEG_FIN);
	if (s.flags & SEG_ACK)
		f->ack = s.ack;
	if (s.has_ts)
		f->tsval = s.tsval;
}

/* Read everything that arrived at the tap. */
static void drain(struct net *n)
{
	size_t len;

	while ((len = link_recv(n->l, LINK_B, n->pkt, sizeof n->pkt)) > 0) {
		struct ippkt ip;

		n->lastlen = len < NET_LAST ? len : NET_LAST;
		memcpy(n->last, n->pkt, n->lastlen);
		if (len > sizeof n->pkt || ip_parse(n->pkt, len, &ip) < 0)
			continue;
		ip.csum_ok = 1;
		if (ip.proto == IP_PROTO_TCP) {
			saw_tcp(n, &ip);
		} else if (ip.proto == IP_PROTO_ICMP && ip.len >= ICMP_HLEN &&
			   ip.data[0] == ICMP_ECHO) {
			n->echo_id = get16(ip.data + 4);
			n->echo_seq = get16(ip.data + 6);
		}
	}
}

void net_settle(struct net *n)
{
	link_run(n->l, link_now(n->l));
	drain(n);
}

void net_inject(struct net *n, const uint8_t *pkt, size_t len)
{
	if (link_inject(n->l, LINK_B, pkt, len) < 0) {
		fprintf(stderr, "net: out of memory\n");
		abort();
	}
	net_settle(n);
}

void net_advance(struct net *n, uint64_t dt)
{
	link_run(n->l, link_now(n->l) + dt);
	drain(n);
}

size_t net_ip(struct net *n, uint8_t proto, size_t len)
{
	ip_emit(n->pkt, &(struct iphdr){ .ttl = IP_DEFTTL, .proto = proto,
					 .total = (uint16_t)(IP_HLEN + len), .id = 1,
					 .src = NET_PEER, .dst = NET_ADDR });
	return IP_HLEN + len;
}

static int let_go(void *arg)
{
	struct net *n = arg;

	drain(n);	/* the tap's inbox would grow for an hour */
	return stack_mem(n->st) == 0;
}

void net_fini(struct net *n)
{
	for (int fd = 0; sock_count(n->st) > 0; fd++)
		if (sock_get(n->st, fd) != NULL)
			sock_close(n->st, fd);
	link_run_until(n->l, let_go, n, LEAK_WAIT_US);
	if (stack_mem(n->st) != 0) {
		fprintf(stderr, "leak: the stack still holds %zu things (sockets, tcbs, chunks, "
			"reassembly bytes, timers) an hour after every socket closed\n",
			stack_mem(n->st));
		abort();
	}
	link_free(n->l);
	n->l = NULL;
}
