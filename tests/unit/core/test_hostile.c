/*
 * Hostile input: tens of thousands of random and half-valid packets (bad
 * IP headers and options, fragments at random offsets, TCP segments with
 * random flags, sequence numbers and option bytes, UDP with lying lengths,
 * ICMP errors quoting anything) thrown at a stack with a TCP listener, a
 * UDP socket and an echo socket. Nothing may crash or leak (the ASan run
 * checks), and afterwards the stack must still answer a ping.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "icmp.h"
#include "ip.h"
#include "fixture.h"
#include "link.h"
#include "sock.h"
#include "stack.h"

enum { HOST = 0x0a4d0001, ME = 0x0a4d0002, ROUNDS = 30000 };

static struct stack *st;
static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* A transport checksum that verifies, so the segment goes deep. */
static void set_l4_cksum(uint8_t *t, size_t len, uint8_t proto, size_t at)
{
	put16(t + at, 0);
	put16(t + at, cksum_fold(cksum_add(cksum_pseudo(HOST, ME, proto, len), t, len)));
}

static size_t tcp_segment(uint8_t *t)
{
	size_t hlen = 20 + 4 * (rnd() % 11), len = hlen + rnd() % 200;

	fill(t, len);
	put16(t, (uint16_t)(1000 + rnd() % 4));		/* a few peers */
	put16(t + 2, rnd() % 8 ? 80 : (uint16_t)rnd());	/* mostly the listener */
	t[12] = (uint8_t)(hlen / 4) << 4;
	if (rnd() % 4)
		t[13] &= 0x3f;			/* sometimes ECN bits too */
	set_l4_cksum(t, len, IP_PROTO_TCP, 16);
	return len;
}

static size_t udp_datagram(uint8_t *t)
{
	size_t len = 8 + rnd() % 300;

	fill(t, len);
	put16(t + 2, rnd() % 2 ? 53 : (uint16_t)rnd());
	put16(t + 4, rnd() % 4 ? (uint16_t)len : (uint16_t)rnd());	/* lying length */
	if (rnd() % 2)
		set_l4_cksum(t, len, IP_PROTO_UDP, 6);
	return len;
}

/* An ICMP error quoting "our" packet with random transport bytes. */
static size_t icmp_message(uint8_t *t)
{
	static const uint8_t types[] = { ICMP_UNREACH, ICMP_TIMXCEED, ICMP_PARAMPROB,
					 ICMP_ECHO, ICMP_ECHOREPLY };
	size_t qlen = rnd() % 80, len = 8 + 20 + qlen;

	fill(t, len);
	t[0] = types[rnd() % sizeof types];
	t[1] = (uint8_t)(rnd() % 16);
	link_build_ip(t + 8, ME, HOST, rnd() % 2 ? IP_PROTO_TCP : IP_PROTO_UDP, t + 28, qlen);
	if (qlen >= 4)
		put16(t + 28, rnd() % 2 ? 80 : 53);
	put16(t + 2, 0);
	put16(t + 2, cksum(t, len));
	return len;
}

/* One packet: a valid IP header around one of the above, or mangled. */
static size_t packet(uint8_t *p)
{
	uint8_t t[1024];
	static const uint8_t protos[] = { IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_ICMP };
	uint8_t proto = protos[rnd() % 3];
	size_t tlen = proto == IP_PROTO_TCP ? tcp_segment(t) :
		      proto == IP_PROTO_UDP ? udp_datagram(t) : icmp_message(t);
	size_t len = link_build_ip(p, HOST, ME, proto, t, tlen);

	switch (rnd() % 8) {
	case 0:		/* a fragment at a random place */
		put16(p + 6, (uint16_t)(rnd() & 0x3fff));
		break;
	case 1:		/* anything in the header */
		p[rnd() % 20] = (uint8_t)rnd();
		break;
	case 2:		/* cut short */
		len = rnd() % len;
		break;
	default:
		return len;
	}
	put16(p + 10, 0);
	put16(p + 10, cksum(p, 20));
	return len;
}

static void setup(void)
{
	struct stack_config cfg = { .addr = ME, .prefix = 24, .gw = HOST, .mtu = 1500, .seed = 3 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
	int s;

	l = link_new(NULL, &cfg);
	cr_assert_not_null(l);
	st = link_stack(l, LINK_B);
	s = sock_socket(st, AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(sock_bind(st, s, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(sock_listen(st, s, 4), 0);
	a.sin_port = htons(53);
	s = sock_socket(st, AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(sock_bind(st, s, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_geq(sock_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP), 0);
}

TestSuite(hostile, .init = setup, .fini = teardown);

Test(hostile, random_packets_do_not_break_the_stack)
{
	uint8_t p[1100], reply[2048], m[16] = { ICMP_ECHO, 0, 0, 0, 0, 7, 0, 1 };
	size_t n;

	for (int i = 0; i < ROUNDS; i++) {
		cr_assert_eq(link_inject(l, LINK_A, p, packet(p)), 0);
		link_run(l, link_now(l) + rnd() % 20000);
		while (link_recv(l, LINK_A, reply, sizeof reply) > 0)
			;
	}
	link_run(l, link_now(l) + 600 * 1000000ULL);	/* every timer runs out */
	while (link_recv(l, LINK_A, reply, sizeof reply) > 0)
		;

	put16(m + 2, cksum(m, sizeof m));
	cr_assert_eq(link_inject(l, LINK_A, p, link_build_ip(p, HOST, ME, IP_PROTO_ICMP, m,
							  sizeof m)), 0);
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	n = link_recv(l, LINK_A, reply, sizeof reply);
	cr_assert_eq(n, 20 + sizeof m, "the stack still answers a ping");
	cr_assert_eq(reply[20], ICMP_ECHOREPLY);
}
