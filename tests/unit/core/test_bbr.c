/*
 * BBR (tcp_bbr.c) between two stacks, through the test link's
 * bottleneck (a rate and a drop-tail queue): it finds the bottleneck's
 * rate and the path's round trip, paces so that the queue stays short
 * where CUBIC fills it, keeps its rate under random loss where CUBIC
 * backs off, and lets go of its pacing when it switches algorithm or
 * closes while waiting to send.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "link.h"
#include "sock.h"
#include "tcp_impl.h"

TestSuite(bbr, .init = two_stacks, .fini = teardown);

enum {
	RATE = 10000000,	/* bytes/s, the bottleneck of the first tests */
	DELAY = 10000,		/* µs each way: a 20 ms round trip */
	MB = 1 << 20,
};

static struct tcb *tcb_of(struct stack *st, int fd)
{
	return sock_get(st, fd)->pcb;
}

static void set_cc(struct stack *st, int fd, const char *name)
{
	cr_assert_eq(sock_setopt(st, fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)), 0);
}

static uint32_t max_bw(const struct tcb *t)
{
	uint32_t m = 0;

	for (int i = 0; i < BBR_BW_ROUNDS; i++)
		m = t->bbr->bw[i] > m ? t->bbr->bw[i] : m;
	return m;
}

/* A connection with algorithm cc sends n bytes from A to B through a
 * bottleneck of rate bytes/s with a queue of queue bytes, losing drop of
 * the packets each way, delay µs each way: the virtual µs it took. */
static uint64_t transfer(const char *cc, size_t n, uint64_t rate, uint64_t queue, double drop,
			 uint64_t delay, int *c)
{
	struct link_impair there = { .rate = rate, .queue = queue, .drop = drop };
	struct link_impair back = { .drop = drop };
	uint64_t t0;
	int s;

	int lfd = listen_on(b, 80, 8);

	link_set_delay(l, delay);
	*c = tcp_sock(a);
	set_cc(a, *c, cc);
	cr_assert_eq(connect_to(a, *c, B_ADDR, 80), -EINPROGRESS);
	run_ms(100);
	cr_assert_eq(state_of(a, *c), NC_TCP_ESTABLISHED);
	s = sock_accept(b, lfd, NULL, NULL);
	cr_assert_geq(s, 0, "accept: %d", s);
	cr_assert_eq(sock_close(b, lfd), 0);
	link_set_impair(l, LINK_A_TO_B, &there);
	link_set_impair(l, LINK_B_TO_A, &back);
	t0 = link_now(l);
	cr_assert_eq(pump(a, *c, b, s, n, 120 * 1000), n);
	return link_now(l) - t0;
}

Test(bbr, finds_the_bottleneck_and_keeps_its_queue_short)
{
	struct nc_linux_tcp_info ti;
	socklen_t len = sizeof ti;
	struct tcb *t;
	uint64_t took;
	int c;

	took = transfer("bbr", 30 * MB, RATE, 4 * MB, 0, DELAY, &c);
	t = tcb_of(a, c);
	cr_log_info("bbr: 30 MB in %.3f s, bw %u B/ms, min_rtt %u µs, srtt %u µs, "
		    "bottleneck queue at most %llu B", took / 1e6, max_bw(t), t->bbr->min_rtt,
		    t->srtt, (unsigned long long)link_counters(l, LINK_A_TO_B)->queue_max);
	cr_assert(max_bw(t) >= RATE / 1000 * 9 / 10 && max_bw(t) <= RATE / 1000 * 11 / 10,
		  "bw %u B/ms", max_bw(t));
	cr_assert(t->bbr->min_rtt >= 2 * DELAY && t->bbr->min_rtt <= 2 * DELAY * 11 / 10,
		  "min_rtt %u µs", t->bbr->min_rtt);
	cr_assert(t->bbr->full, "startup ended");
	/* paced at the rate it found, the queue stays short: the round trip
	 * is close to the path's (CUBIC's below is many times it) */
	cr_assert_lt(t->srtt, 2 * DELAY * 3 / 2, "srtt %u µs", t->srtt);
	cr_assert_lt(took, (uint64_t)30 * MB * 1000000 / RATE * 5 / 4, "took %llu µs",
		     (unsigned long long)took);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	cr_assert_gt(ti.tcpi_pacing_rate, 0);
	cr_assert_eq(ti.tcpi_delivery_rate, (uint64_t)t->rs.rate * 1000);
	cr_assert_gt(ti.tcpi_delivery_rate, 0);
}

/* The contrast that shows the test above can fail: CUBIC grows its
 * window until the queue overflows, and the round trip with it. */
Test(bbr, cubic_fills_the_same_queue)
{
	struct tcb *t;
	int c;

	transfer("cubic", 30 * MB, RATE, 4 * MB, 0, DELAY, &c);
	t = tcb_of(a, c);
	cr_log_info("cubic: srtt %u µs, bottleneck queue at most %llu B", t->srtt,
		    (unsigned long long)link_counters(l, LINK_A_TO_B)->queue_max);
	cr_assert_gt(t->srtt, 2 * 2 * DELAY, "srtt %u µs", t->srtt);
}

/* 5% random loss each way on a 100 MB/s path, 100 µs each way: BBR
 * keeps within four times the line's time (a loss costs its repair, and
 * a round of packet conservation); CUBIC cuts its window at each and
 * takes over twice BBR's (2.9 times: over four while its slow start
 * grew at most 8 segments an ACK). */
Test(bbr, random_loss_costs_the_repair_not_the_rate)
{
	uint64_t bbr_us, cubic_us;
	int c;

	bbr_us = transfer("bbr", 20 * MB, 10 * RATE, 4 * MB, 0.05, 100, &c);
	cr_log_info("bbr at 5%% loss: %.3f s, %u timeouts", bbr_us / 1e6,
		    tcb_of(a, c)->cnt.total_rto);
	fixture_free(l);
	two_stacks();
	cubic_us = transfer("cubic", 20 * MB, 10 * RATE, 4 * MB, 0.05, 100, &c);
	cr_log_info("cubic at 5%% loss: %.3f s", cubic_us / 1e6);
	cr_assert_lt(bbr_us, (uint64_t)20 * MB * 1000000 / (10 * RATE) * 4,
		     "bbr took %llu µs", (unsigned long long)bbr_us);
	cr_assert_lt(bbr_us * 2, cubic_us, "bbr %llu µs, cubic %llu µs",
		     (unsigned long long)bbr_us, (unsigned long long)cubic_us);
}

/* Waiting to send on the stack's pacing list, a connection switches to
 * CUBIC and back, then is closed: nothing is left on the list (the
 * teardown's leak check, and the pacing timer finding no freed block
 * under ASan). */
Test(bbr, leaves_the_pacing_list_on_switch_and_close)
{
	static uint8_t buf[128 * 1024];
	int c;

	transfer("bbr", 2 * MB, RATE, 4 * MB, 0, DELAY, &c);
	tcb_of(a, c)->bbr->pacing_rate = 1000;	/* 1 MB/s: a packet, then a wait */
	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), (ssize_t)sizeof buf);
	run_ms(1);
	cr_assert(tcb_of(a, c)->bbr->paced, "waits for its pacing time");
	cr_assert_eq(a->tcp->paced, tcb_of(a, c));
	set_cc(a, c, "cubic");		/* which sends the rest at once */
	cr_assert_null(a->tcp->paced);
	set_cc(a, c, "bbr");
	tcb_of(a, c)->bbr->pacing_rate = 1000;
	cr_assert_eq(sock_sendto(a, c, buf, sizeof buf, 0, NULL, 0), (ssize_t)sizeof buf);
	run_ms(1);
	cr_assert(tcb_of(a, c)->bbr->paced, "waits again");
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	cr_assert_eq(sock_setopt(a, c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
	cr_assert_eq(sock_close(a, c), 0);	/* reset: the tcb is freed */
	cr_assert_null(a->tcp->paced);
	run_ms(50);
}
