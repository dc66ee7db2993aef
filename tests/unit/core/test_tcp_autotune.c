/*
 * The buffers follow the connection (tcp_sock.c): a receiver that keeps
 * up grows its receive buffer, and so its window, past the default until
 * the path's round trip no longer holds the sender back; a reader that
 * does not keep up keeps its buffer; a sender's buffer grows with cwnd
 * when it is what holds the sender back;
 * SO_RCVBUF and SO_SNDBUF fix the sizes instead, as on Linux.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "link.h"
#include "sock.h"
#include "stack.h"
#include "tcp_impl.h"

TestSuite(autotune, .init = two_stacks, .fini = teardown);

enum {
	DELAY = 20000,		/* µs each way: a 40 ms round trip */
	MB = 1 << 20,
	BIG = 8 * MB,		/* a fixed buffer that is never the limit */
};

static struct tcb *tcb_of(struct stack *st, int fd)
{
	return sock_get(st, fd)->pcb;
}

static int get_int(struct stack *st, int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	cr_assert_eq(sock_getopt(st, fd, SOL_SOCKET, name, &v, &len), 0);
	return v;
}

/* A connection from a to b over the link's 40 ms round trip. */
static void delayed_pair(int *c, int *s)
{
	int lfd = listen_on(b, 80, 8);

	link_set_delay(l, DELAY);
	*c = tcp_sock(a);
	cr_assert_eq(connect_to(a, *c, B_ADDR, 80), -EINPROGRESS);
	run_ms(100);
	cr_assert_eq(state_of(a, *c), NC_TCP_ESTABLISHED);
	*s = sock_accept(b, lfd, NULL, NULL);
	cr_assert_geq(*s, 0, "accept: %d", *s);
	cr_assert_eq(sock_close(b, lfd), 0);
}

/* 40 MB from a to b over the 40 ms path, a's SO_SNDBUF and b's SO_RCVBUF
 * set to these sizes (0: each sizes itself): the virtual µs it took. */
static uint64_t long_transfer(int *c, int *s, int sndbuf, int rcvbuf)
{
	uint64_t t0;

	delayed_pair(c, s);
	if (sndbuf)
		cr_assert_eq(set_int(a, *c, SOL_SOCKET, SO_SNDBUF, sndbuf), 0);
	if (rcvbuf)
		cr_assert_eq(set_int(b, *s, SOL_SOCKET, SO_RCVBUF, rcvbuf), 0);
	t0 = link_now(l);
	cr_assert_eq(pump(a, *c, b, *s, 40 * MB, 60 * 1000), 40 * MB);
	return link_now(l) - t0;
}

/* A 1 MiB window moves 26 MB/s over 40 ms: 1.6 s for 40 MB. */
Test(autotune, a_reader_that_keeps_up_grows_its_window)
{
	int c, s;
	uint64_t us = long_transfer(&c, &s, BIG, 0);

	cr_assert_gt(tcb_of(b, s)->rcvbuf, 4 * MB, "rcvbuf %u", tcb_of(b, s)->rcvbuf);
	cr_assert_leq(tcb_of(b, s)->rcvbuf, TCP_RCVBUF_AUTO_MAX);
	cr_assert_eq(get_int(b, s, SO_RCVBUF), (int)tcb_of(b, s)->rcvbuf,
		     "SO_RCVBUF reads back the size in use");
	cr_assert_lt(us, 800000, "40 MB in %llu µs", (unsigned long long)us);
}

/* The contrast: the same transfer with the receive buffer fixed at the
 * default takes a window's worth per round trip. */
Test(autotune, so_rcvbuf_fixes_the_window)
{
	int c, s;
	uint64_t us = long_transfer(&c, &s, BIG, SOCK_DEF_BUF);

	cr_assert_eq(tcb_of(b, s)->rcvbuf, SOCK_DEF_BUF);
	cr_assert_gt(us, 1400000, "40 MB in %llu µs", (unsigned long long)us);
}

/* A reader taking 16 KiB every 10 ms (1.6 MB/s) from a sender that
 * never stops: the buffer fills and stays at its size. */
Test(autotune, a_slow_reader_keeps_its_buffer)
{
	static uint8_t buf[16384];
	int c, s;

	delayed_pair(&c, &s);
	for (int i = 0; i < 300; i++) {
		while (sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0) > 0)
			;
		run_ms(10);
		if (i >= 10)	/* the first data came after 20 ms */
			cr_assert_eq(sock_recvfrom(b, s, buf, sizeof buf, 0, NULL, NULL),
				     (ssize_t)sizeof buf);
	}
	cr_assert_eq(tcb_of(b, s)->rcvbuf, SOCK_DEF_BUF);
	cr_assert_geq(tcb_of(b, s)->rcvq.len, SOCK_DEF_BUF / 4 * 3, "the buffer holds %u: the reader, not the window, holds the sender back", tcb_of(b, s)->rcvq.len);
}

/* The sender's buffer, all of it in flight, is what holds it back on
 * the long path: it grows, and the transfer goes at the window's pace. */
Test(autotune, a_send_buffer_that_holds_the_sender_back_grows)
{
	int c, s;
	uint64_t us = long_transfer(&c, &s, 0, BIG);

	cr_assert_gt(tcb_of(a, c)->sndbuf, 2 * MB, "sndbuf %u", tcb_of(a, c)->sndbuf);
	cr_assert_leq(tcb_of(a, c)->sndbuf, TCP_SNDBUF_AUTO_MAX);
	cr_assert_eq(get_int(a, c, SO_SNDBUF), (int)tcb_of(a, c)->sndbuf);
	cr_assert_lt(us, 800000, "40 MB in %llu µs", (unsigned long long)us);
}

/* The contrast: fixed by SO_SNDBUF, the buffer stays, and a 1 MiB
 * flight per round trip is all the transfer gets. */
Test(autotune, so_sndbuf_fixes_the_send_buffer)
{
	int c, s;
	uint64_t us = long_transfer(&c, &s, SOCK_DEF_BUF, BIG);

	cr_assert_eq(tcb_of(a, c)->sndbuf, SOCK_DEF_BUF);
	cr_assert_gt(us, 1400000, "40 MB in %llu µs", (unsigned long long)us);
}

/* A path with a standing queue (10 MB/s, no delay, a queue of 4 MiB
 * that never overflows): cwnd grows past the buffer, but the round trip
 * grows with the flight, and the buffer stays. */
Test(autotune, a_queue_on_the_path_keeps_the_send_buffer)
{
	struct link_impair slow = { .rate = 10 * 1000 * 1000, .queue = 4 * MB };
	int c, s;

	make_pair(80, &c, &s);
	link_set_impair(l, LINK_A_TO_B, &slow);
	cr_assert_eq(pump(a, c, b, s, 20 * MB, 60 * 1000), 20 * MB);
	cr_assert_gt(tcb_of(a, c)->cwnd, SOCK_STREAM_SNDBUF / 2, "cwnd %u", tcb_of(a, c)->cwnd);
	cr_assert_eq(tcb_of(a, c)->sndbuf, SOCK_STREAM_SNDBUF);
}

/* A write taken whole goes out at the end of the stack's pass (the
 * driver answers the writer first); one cut short by a full buffer goes
 * at once, pushed whole, since its writer waits for room. */
Test(autotune, a_write_taken_whole_goes_at_the_end_of_the_pass)
{
	static char big[10000];
	int c, s;
	uint32_t before;
	ssize_t n;

	make_pair(80, &c, &s);
	before = tcb_of(a, c)->snd_nxt;
	cr_assert_eq(sock_sendto(a, c, "ping", 4, 0, NULL, 0), 4);
	cr_assert_eq(tcb_of(a, c)->snd_nxt, before, "nothing sent during the call");
	cr_assert_eq(stack_deadline(a), a->now, "but due at once");
	stack_poll(a, a->now);
	cr_assert_eq(tcb_of(a, c)->snd_nxt, before + 4, "sent at the pass's end");
	run_ms(10);
	cr_assert_eq(set_int(a, c, SOL_SOCKET, SO_SNDBUF, 4096), 0);
	before = tcb_of(a, c)->snd_nxt;
	n = sock_sendto(a, c, big, sizeof big, 0, NULL, 0);
	cr_assert(n > 0 && n < (ssize_t)sizeof big, "cut short: %zd", n);
	cr_assert_eq(tcb_of(a, c)->snd_nxt, before + (uint32_t)n, "a write cut short left at once");
}
