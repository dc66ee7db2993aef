/*
 * A listener under a SYN flood (RFC 4987): thousands of SYNs from
 * spoofed sources fill its small SYN queue, the rest are answered with
 * SYN cookies and cost nothing; a real client still connects, through a
 * cookie, keeping its MSS and, when it sends timestamps, its window
 * scale and SACK. Forged and expired cookies are refused and counted.
 * Also: a connection nobody accepted yet may not make the stack buffer
 * more than its small window.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "buf.h"
#include "fixture.h"
#include "peer.h"
#include "sock.h"
#include "tcp.h"
#include "tcp_impl.h"

TestSuite(syncookie, .init = stack_and_tap, .fini = teardown);

enum { FLOOD = 5000, BACKLOG = 8, SYNQ = 16 /* TCP_MIN_SYNQ: the backlog is smaller */ };

static struct peer p, spoof;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* n SYNs at port 80 from random addresses of the link's /24 (never the
 * tap's own) and random ports, none of which will ever answer; then
 * every SYN-ACK they drew is read off the tap and forgotten. */
static void flood(int n)
{
	uint8_t buf[128];

	for (int i = 0; i < n; i++) {
		uint32_t addr = (TAP_ADDR & 0xffffff00) | (3 + rnd() % 250);
		peer_init(&spoof, l, LINK_B, addr, (uint16_t)(1024 + rnd() % 60000), A_ADDR, 80);
		peer_send(&spoof, 0, "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>");
	}
	link_run(l, link_now(l) + 2 * LINK_DELAY_US);
	while (link_recv(l, LINK_B, buf, sizeof buf) > 0)
		continue;
}

/* The TSval of the last segment p received (0 if it had none). */
static uint32_t last_tsval(const struct peer *q)
{
	const uint8_t *o = q->last + 20 + 20, *end = q->last + 20 + (q->last[20 + 12] >> 4) * 4;

	while (o < end && o[0] != 0) {
		if (o[0] == 1) {
			o++;
			continue;
		}
		if (o[0] == 8)
			return get32(o + 2);
		o += o[1] ? o[1] : 1;
	}
	return 0;
}

static struct tcb *tcb_of(int fd)
{
	return sock_get(a, fd)->pcb;
}

/* The flood fills the SYN queue and no more: the rest cost a cookie
 * each, no memory. */
static int flooded_listener(void)
{
	int lfd = listen_on(a, 80, BACKLOG);

	flood(FLOOD);
	cr_assert_eq(tcp_stat(a, "SyncookiesSent"), FLOOD - SYNQ);
	cr_assert_eq(tcp_count(a), 1 + SYNQ, "control blocks: the listener and its SYN queue");
	cr_assert_eq(chunks_used(a), 0);
	return lfd;
}

Test(syncookie, a_flooded_listener_connects_through_a_cookie_keeping_the_options)
{
	int lfd = flooded_listener(), s;
	char spec[160], buf[200];
	struct tcb *t;

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1300,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1 <mss 1460,TS val * ecr 100,wscale 8,sackOK>");
	cr_assert_eq(tcp_stat(a, "SyncookiesSent"), FLOOD - SYNQ + 1);
	cr_assert_eq(tcp_count(a), 1 + SYNQ, "a cookie keeps nothing");
	snprintf(spec, sizeof spec, ". 1:1(0) ack 1 win 512 <nop,nop,TS val 101 ecr %u>",
		 last_tsval(&p));
	peer_send(&p, 2, spec);
	peer_run(&p, 3);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	cr_assert_eq(state_of(a, s), NC_TCP_ESTABLISHED);
	cr_assert_eq(tcp_stat(a, "SyncookiesRecv"), 1);
	cr_assert_eq(tcp_stat(a, "SyncookiesFailed"), 0);
	t = tcb_of(s);
	cr_assert_eq(t->mss, 1300, "the MSS, from the cookie's table");
	cr_assert(t->ws_ok && t->sack_ok && t->ts_ok);
	cr_assert_eq(t->snd_wscale, 7, "the peer's shift, from the TSval's low bits");
	cr_assert_eq(t->snd_wnd, 512u << 7, "its window, scaled");

	/* and it works: data both ways */
	peer_send(&p, 10, "P. 1:101(100) ack 1 <nop,nop,TS val 102 ecr *>");
	peer_expect(&p, 10, ". 1:1(0) ack 101");
	cr_assert_eq(sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL), 100);
	cr_assert_eq(send_str(a, s, "hello"), 5);
	peer_expect(&p, 11, "P. 1:6(5) ack 101");
}

Test(syncookie, without_timestamps_a_cookie_keeps_only_the_mss)
{
	int lfd = flooded_listener(), s;
	struct tcb *t;

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460,sackOK,nop,wscale 7>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1 <mss 1460>");	/* nowhere to keep the rest */
	peer_send(&p, 2, ". 1:1(0) ack 1 win 512");
	peer_run(&p, 3);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	t = tcb_of(s);
	cr_assert_eq(t->mss, 1460);
	cr_assert(!t->ws_ok && !t->sack_ok && !t->ts_ok);
	cr_assert_eq(t->snd_wnd, 512);
	cr_assert_eq(tcp_stat(a, "SyncookiesRecv"), 1);
}

Test(syncookie, a_small_mss_is_rounded_down_never_up)
{
	int lfd = flooded_listener(), s;

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1000>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1");
	peer_send(&p, 2, ". 1:1(0) ack 1 win 512");
	peer_run(&p, 3);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	cr_assert_eq(tcb_of(s)->mss, 536);
}

Test(syncookie, forged_cookies_are_refused_and_counted)
{
	int lfd = flooded_listener();

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1");
	peer_send(&p, 2, ". 1:1(0) ack 2 win 512");	/* a cookie one off */
	peer_expect(&p, 3, "R 2:2(0)");
	peer_send(&p, 4, ". 5:5(0) ack 1 win 512");	/* another SYN's: the ISN is wrong */
	peer_expect(&p, 5, "R 1:1(0)");
	cr_assert_eq(tcp_stat(a, "SyncookiesFailed"), 2);
	cr_assert_eq(tcp_stat(a, "SyncookiesRecv"), 0);
	cr_assert_eq(sock_accept(a, lfd, NULL, NULL), -EAGAIN);
	cr_assert_eq(tcp_count(a), 1 + SYNQ);
}

Test(syncookie, a_cookie_expires)
{
	int lfd = flooded_listener();

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1");
	peer_run(&p, 130000);	/* two ticks of the cookie clock (64 s) */
	flood(FLOOD);		/* cookies are in use again */
	peer_send(&p, 130010, ". 1:1(0) ack 1 win 512");
	peer_expect(&p, 130011, "R 1:1(0)");
	cr_assert_eq(tcp_stat(a, "SyncookiesFailed"), 1);
	cr_assert_eq(sock_accept(a, lfd, NULL, NULL), -EAGAIN);
}

Test(syncookie, a_cookie_is_good_for_a_minute)
{
	int lfd = flooded_listener();

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460>");
	peer_expect(&p, 1, "S. 0:0(0) ack 1");
	peer_run(&p, 60000);
	flood(SYNQ);		/* the old SYN queue gave up: fill it again */
	peer_send(&p, 60010, ". 1:1(0) ack 1 win 512");
	peer_run(&p, 60011);
	cr_assert_geq(sock_accept(a, lfd, NULL, NULL), 0);
	cr_assert_eq(tcp_stat(a, "SyncookiesRecv"), 1);
}

Test(syncookie, no_cookie_is_taken_outside_a_flood)
{
	listen_on(a, 80, BACKLOG);
	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, ". 1:1(0) ack 1 win 512");
	peer_expect(&p, 1, "R");
	cr_assert_eq(tcp_stat(a, "SyncookiesFailed"), 0);
	cr_assert_eq(tcp_stat(a, "SyncookiesSent"), 0);
}

/* A connection on the accept queue advertises one chunk and keeps no
 * more, however much its peer sends; accepted, it opens its window. */
Test(syncookie, an_unaccepted_connection_buffers_one_chunk)
{
	int lfd = listen_on(a, 80, BACKLOG), s;
	char spec[80];
	uint8_t buf[128];
	struct tcb *t;

	peer_init(&p, l, LINK_B, TAP_ADDR, 4000, A_ADDR, 80);
	peer_send(&p, 0, "S 0:0(0) win 65535 <mss 1460,nop,wscale 7>");
	snprintf(spec, sizeof spec, "S. 0:0(0) ack 1 win %d", CHUNK_SIZE);
	peer_expect(&p, 1, spec);
	peer_send(&p, 2, ". 1:1(0) ack 1 win 512");
	for (uint32_t seq = 1, i = 0; i < 30; i++, seq += 1000) {
		snprintf(spec, sizeof spec, "P. %u:%u(1000) ack 1", seq, seq + 1000);
		peer_send(&p, 3, spec);
	}
	peer_run(&p, 10);
	while (link_recv(l, LINK_B, buf, sizeof buf) > 0)
		continue;
	cr_assert_eq(chunks_used(a), 1, "one chunk, not 30 000 bytes");
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	t = tcb_of(s);
	cr_assert_eq(t->rcvq.len, TCP_UNACCEPTED_BUF);
	cr_assert_eq(t->rcvbuf, SOCK_DEF_BUF, "accepted: the socket's buffer");
	peer_expect(&p, 11, ". 1:1(0)");	/* the window opens at once */
	cr_assert_gt((uint32_t)p.win << t->rcv_wscale, 100000);
}

/* The handshake of q from port, then sock_accept's descriptor. */
static void handshake(struct peer *q, uint16_t port)
{
	peer_init(q, l, LINK_B, TAP_ADDR, port, A_ADDR, 80);
	peer_send(q, 0, "S 0:0(0) win 65535 <mss 1460,nop,wscale 7>");
	peer_expect(q, 1, "S. 0:0(0) ack 1");
	peer_send(q, 2, ". 1:1(0) ack 1 win 512");
}

/* Past three quarters of the stack's buffer budget, windows stop
 * growing: a connection accepted then is offered what it holds, not
 * its megabyte; and the budget is never exceeded. */
Test(syncookie, under_memory_pressure_windows_do_not_grow)
{
	struct stack_config ca = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 11,
				   .buf_max = 48 * sizeof(struct chunk) };
	static struct peer q;
	char spec[80];
	uint8_t buf[128];
	int lfd, s1, s2;
	uint32_t seq = 1;

	fixture_free(l);	/* the suite's stack: this one has a small budget */
	l = link_new(&ca, NULL);
	a = link_stack(l, LINK_A);
	lfd = listen_on(a, 80, BACKLOG);
	handshake(&p, 4000);
	peer_run(&p, 3);
	s1 = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s1, 0);
	for (int i = 0; i < 620; i++, seq += 1000) {	/* 38 chunks nobody reads */
		snprintf(spec, sizeof spec, "P. %u:%u(1000) ack 1", seq, seq + 1000);
		peer_send(&p, 4, spec);
	}
	peer_run(&p, 10);
	cr_assert(buf_pressure(a));
	cr_assert_lt(chunks_used(a), 48);
	while (link_recv(l, LINK_B, buf, sizeof buf) > 0)
		continue;

	handshake(&q, 4001);
	peer_send(&q, 3, "P. 1:1001(1000) ack 1");
	peer_run(&q, 5);
	while (link_recv(l, LINK_B, buf, sizeof buf) > 0)
		continue;
	s2 = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s2, 0);
	cr_assert_eq(tcb_of(s2)->rcvbuf, SOCK_DEF_BUF);
	peer_expect(&q, 6, ". 1:1(0) ack 1001");
	cr_assert_leq(((uint32_t)q.win << 8) + 1000, TCP_UNACCEPTED_BUF,
		      "no more than the one chunk it was offered");
	(void)s1;
}
