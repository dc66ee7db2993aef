/*
 * libnetcore_pd.so driven as packetdrill drives it, without packetdrill:
 * loaded with dlopen, packets in and out as raw IPv4, time through the
 * interface's clock, blocking calls on a second thread that reads the
 * clock as soon as its call returns (as packetdrill's does).
 *
 * The remote end here is packetdrill's 192.0.2.1; the stack is the
 * adapter's default 192.168.0.2.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pd_interface.h"

enum {
	LOCAL = 0xc0a80002,	/* 192.168.0.2 */
	REMOTE = 0xc0000201,	/* 192.0.2.1 */
	LPORT = 8080,
	RPORT = 40000,
	FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10,
};

static void *handle;
static struct pd_interface ifc;

/* The remote end's view of the connection. */
static uint32_t rseq;		/* next sequence number we send */
static uint32_t lisn;		/* the stack's initial one */
static uint16_t lport = LPORT;	/* the stack's port */

struct seg {
	uint8_t flags;
	uint16_t sport;
	uint32_t seq, ack;
	size_t len;
	uint8_t data[2048];
	long long when;		/* µs, the adapter's clock */
};

static void setup(void)
{
	pd_interface_init_fn init;

	handle = dlopen(PD_SO, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(handle, "%s", dlerror());
	init = (pd_interface_init_fn)(uintptr_t)dlsym(handle, PD_INTERFACE_INIT);
	cr_assert_not_null(init);
	init("", &ifc);
}

static void teardown(void)
{
	ifc.free(ifc.userdata);
	dlclose(handle);
}

TestSuite(pd, .init = setup, .fini = teardown, .timeout = 30);

/* ---- the clock ---- */

static long long now(void)
{
	struct timeval tv;

	cr_assert_eq(ifc.gettimeofday(ifc.userdata, &tv, NULL), 0);
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static void sleep_us(useconds_t us)
{
	cr_assert_eq(ifc.usleep(ifc.userdata, us), 0);
}

/* ---- packets ---- */

static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Send the stack a segment from the remote end; a SYN carries MSS 1460. */
static void inject(uint8_t flags, uint32_t seq, uint32_t ack, const void *data, size_t len)
{
	uint8_t pkt[2048] = { 0 }, *tcp = pkt + 20;
	size_t thl = flags & SYN ? 24 : 20, tlen = thl + len;
	uint8_t pseudo[12];

	pkt[0] = 0x45;
	put16(pkt + 2, (uint32_t)(20 + tlen));
	pkt[8] = 64;
	pkt[9] = IPPROTO_TCP;
	put32(pkt + 12, REMOTE);
	put32(pkt + 16, LOCAL);
	put16(pkt + 10, fold(sum(0, pkt, 20)));
	put16(tcp, RPORT);
	put16(tcp + 2, lport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)(thl / 4 << 4);
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (flags & SYN)
		put32(tcp + 20, 0x020405b4);	/* MSS 1460 */
	if (len > 0)
		memcpy(tcp + thl, data, len);
	memcpy(pseudo, pkt + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	put16(pseudo + 10, (uint32_t)tlen);
	put16(tcp + 16, fold(sum(sum(0, pseudo, 12), tcp, tlen)));
	cr_assert_eq(ifc.netdev_send(ifc.userdata, pkt, 20 + tlen), 0);
}

/* The next segment the stack sends. */
static void expect(struct seg *s)
{
	uint8_t pkt[4096];
	size_t n = sizeof pkt, hl, thl;

	cr_assert_eq(ifc.netdev_receive(ifc.userdata, pkt, &n, &s->when), 0);
	cr_assert_geq(n, 40, "the stack sent nothing");
	cr_assert_eq(pkt[9], IPPROTO_TCP);
	cr_assert_eq(get32(pkt + 16), REMOTE);
	hl = (pkt[0] & 0xf) * 4u;
	thl = (pkt[hl + 12] >> 4) * 4u;
	s->sport = (uint16_t)(pkt[hl] << 8 | pkt[hl + 1]);
	s->flags = pkt[hl + 13];
	s->seq = get32(pkt + hl + 4);
	s->ack = get32(pkt + hl + 8);
	s->len = n - hl - thl;
	cr_assert_leq(s->len, sizeof s->data);
	memcpy(s->data, pkt + hl + thl, s->len);
}

static int tcp_socket(void)
{
	int fd = ifc.socket(ifc.userdata, AF_INET, SOCK_STREAM, IPPROTO_TCP);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	return fd;
}

static struct sockaddr_in addr(uint32_t a, uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(a) };
}

/* A listener on LPORT and the connection the remote end opens to it:
 * returns the accepted descriptor. */
static int establish(void)
{
	struct sockaddr_in a = addr(0, LPORT);
	int lfd = tcp_socket(), fd;
	struct seg s;

	cr_assert_eq(ifc.bind(ifc.userdata, lfd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(ifc.listen(ifc.userdata, lfd, 1), 0);
	rseq = 1000;
	inject(SYN, rseq++, 0, NULL, 0);
	expect(&s);
	cr_assert_eq(s.flags, SYN | ACK);
	cr_assert_eq(s.ack, rseq);
	lisn = s.seq;
	inject(ACK, rseq, lisn + 1, NULL, 0);
	fd = ifc.accept(ifc.userdata, lfd, NULL, NULL);
	cr_assert_geq(fd, 0, "accept: %s", strerror(errno));
	cr_assert_eq(ifc.close(ifc.userdata, lfd), 0);
	return fd;
}

/* ---- a blocking call on a second thread ---- */

struct call {
	pthread_t thread;
	_Atomic pid_t tid;
	int fd;
	char buf[1000];
	long result;
	long long end;		/* the clock right after it returned */
};

static void begin(struct call *c)
{
	c->tid = gettid();
}

static void returned(struct call *c, long r)
{
	c->result = r;
	c->end = now();
}

static void *do_read(void *arg)
{
	struct call *c = arg;

	begin(c);
	returned(c, ifc.read(ifc.userdata, c->fd, c->buf, sizeof c->buf));
	return NULL;
}

static void *do_connect(void *arg)
{
	struct call *c = arg;
	struct sockaddr_in a = addr(REMOTE, RPORT);

	begin(c);
	returned(c, ifc.connect(ifc.userdata, c->fd, (struct sockaddr *)&a, sizeof a));
	return NULL;
}

/* Is thread tid asleep? The third field of its stat file says. */
static int asleep(pid_t tid)
{
	char path[64], line[256], *p;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	p = fgets(line, sizeof line, f);
	fclose(f);
	p = p ? strrchr(line, ')') : NULL;
	return p != NULL && p[1] == ' ' && p[2] == 'S';
}

/* Start the call and wait until it sleeps, as packetdrill does. */
static void start(struct call *c, void *(*fn)(void *))
{
	cr_assert_eq(pthread_create(&c->thread, NULL, fn, c), 0);
	for (int i = 0; i < 2000 && !(c->tid && asleep(c->tid)); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
}

/* ---- the tests ---- */

Test(pd, clock_is_virtual)
{
	long long t0 = now(), t1 = now();

	cr_expect_eq(t1 - t0, 1, "each gettimeofday moves 1 µs");
	sleep_us(3000000);
	cr_expect_eq(now() - t1, 3000001);
}

Test(pd, handshake_and_transfer)
{
	int fd = establish();
	char out[1000];
	struct seg s;

	inject(PSH | ACK, rseq, lisn + 1, "hello", 5);
	rseq += 5;
	memset(out, 0, sizeof out);
	cr_assert_eq(ifc.read(ifc.userdata, fd, out, sizeof out), 5);
	cr_assert_str_eq(out, "hello");
	expect(&s);
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.ack, rseq, "the first data is acknowledged at once (quick-ACK)");

	memset(out, 'x', sizeof out);
	cr_assert_eq(ifc.write(ifc.userdata, fd, out, sizeof out), (ssize_t)sizeof out);
	expect(&s);
	cr_assert_eq(s.seq, lisn + 1);
	cr_assert_eq(s.ack, rseq);
	cr_assert_eq(s.len, sizeof out);
	cr_assert_eq(memcmp(s.data, out, sizeof out), 0);
	inject(ACK, rseq, lisn + 1 + sizeof out, NULL, 0);
	cr_assert_eq(ifc.close(ifc.userdata, fd), 0);
}

/* A blocked read returns at the virtual instant its data arrives, however
 * long the main thread's clock had moved before. */
Test(pd, blocking_read_ends_when_data_arrives)
{
	struct call c = { .fd = establish() };
	long long sent;

	start(&c, do_read);
	sleep_us(250000);
	sent = now();
	inject(PSH | ACK, rseq, lisn + 1, "late", 4);
	rseq += 4;
	cr_assert_eq(pthread_join(c.thread, NULL), 0);
	cr_assert_eq(c.result, 4);
	cr_assert_eq(memcmp(c.buf, "late", 4), 0);
	cr_assert_geq(c.end, sent);
	cr_assert_lt(c.end - sent, 100, "read returned %lld µs after the data", c.end - sent);
	cr_assert_eq(ifc.close(ifc.userdata, c.fd), 0);
}

Test(pd, blocking_connect)
{
	struct call c = { .fd = tcp_socket() };
	struct seg s;
	long long t;

	start(&c, do_connect);
	expect(&s);
	cr_assert_eq(s.flags & (SYN | ACK), SYN);
	lport = s.sport;
	sleep_us(100000);
	t = now();
	inject(SYN | ACK, 5000, s.seq + 1, NULL, 0);
	cr_assert_eq(pthread_join(c.thread, NULL), 0);
	cr_assert_eq(c.result, 0, "connect: %s", strerror(errno));
	cr_assert_lt(c.end - t, 100);
	expect(&s);
	cr_assert_eq(s.flags, ACK);
	cr_assert_eq(s.ack, 5001);
	cr_assert_eq(ifc.close(ifc.userdata, c.fd), 0);
}

/* A segment the remote end never acknowledges is sent again later, on
 * the stack's timer: netdev_receive moves the clock to it. */
Test(pd, loss_is_repaired_on_the_stacks_timer)
{
	int fd = establish();
	struct seg first, again;
	struct timespec r0, r1;

	cr_assert_eq(ifc.write(ifc.userdata, fd, "lost", 4), 4);
	expect(&first);
	clock_gettime(CLOCK_MONOTONIC, &r0);
	expect(&again);
	clock_gettime(CLOCK_MONOTONIC, &r1);
	cr_assert_eq(again.seq, first.seq);
	cr_assert_eq(again.len, 4);
	cr_assert_geq(again.when - first.when, 10000, "resent after %lld µs",
		      again.when - first.when);
	cr_assert_lt(r1.tv_sec - r0.tv_sec, 2, "virtual time, not real time");
	inject(ACK, rseq, first.seq + 4, NULL, 0);
	cr_assert_eq(ifc.close(ifc.userdata, fd), 0);
}

Test(pd, close_sends_fin)
{
	int fd = establish();
	struct seg s;

	cr_assert_eq(ifc.close(ifc.userdata, fd), 0);
	expect(&s);
	cr_assert_eq(s.flags & (FIN | ACK), FIN | ACK);
	cr_assert_eq(s.seq, lisn + 1);
	inject(FIN | ACK, rseq, lisn + 2, NULL, 0);
	expect(&s);
	cr_assert_eq(s.flags, ACK);
	cr_assert_eq(s.ack, rseq + 1);
}

Test(pd, silence_ends_in_an_empty_packet)
{
	uint8_t pkt[100];
	size_t n = sizeof pkt;
	long long when, t0 = now();

	cr_assert_eq(ifc.netdev_receive(ifc.userdata, pkt, &n, &when), 0);
	cr_assert_eq(n, 0);
	cr_assert_geq(when - t0, 0);
	cr_assert_eq(ifc.read(ifc.userdata, 77, pkt, n), -1);
	cr_assert_eq(errno, EBADF);
}
