/*
 * Loss recovery between two stacks, with losses scripted by sequence
 * number: RFC 6675 recovery repairs every hole of a window in one round
 * trip, RACK (RFC 8985) finds a lost retransmission without the
 * retransmission timeout, a flight lost whole with its probe costs one
 * timeout and no more.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "link.h"
#include "sock.h"

TestSuite(tcp_recovery, .init = two_stacks, .fini = teardown);

enum { PAYLOAD = 1448 };	/* 1500 less IP, TCP and the timestamp option */

/* The segments of A to B to drop, by offset from the first data the
 * filter sees, each as many times as asked. */
static struct {
	uint32_t base;
	int have_base;
	uint32_t off[16];
	int times[16];
	int n;
} drops;

static int drop_listed(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	size_t hl = (size_t)(pkt[20 + 12] >> 4) * 4;
	uint32_t seq = (uint32_t)pkt[24] << 24 | (uint32_t)pkt[25] << 16 | (uint32_t)pkt[26] << 8 |
		       pkt[27];

	(void)arg;
	if (dir != LINK_A_TO_B || len <= 20 + hl)
		return LINK_PASS;
	if (!drops.have_base) {
		drops.base = seq;
		drops.have_base = 1;
	}
	for (int i = 0; i < drops.n; i++) {
		if (seq - drops.base == drops.off[i] && drops.times[i] > 0) {
			drops.times[i]--;
			return LINK_DROP;
		}
	}
	return LINK_PASS;
}

/* A connection whose window has grown past 40 segments, then total
 * segments with the listed ones lost (each `times` times): every byte
 * arrives, each lost segment was resent `times` times and no more, and
 * all of it well before the first retransmission timeout (200 ms) could
 * have fired. */
static void window_with_holes(const int *segs, int n, int times, int total)
{
	uint64_t rtx0, t0;
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 400000, 10000), 400000);	/* slow start */
	drops.n = n;
	drops.have_base = 0;
	for (int i = 0; i < n; i++) {
		drops.off[i] = (uint32_t)segs[i] * PAYLOAD;
		drops.times[i] = times;
	}
	link_set_filter(l, drop_listed, NULL);
	rtx0 = tcp_stat(a, "RetransSegs");
	t0 = link_now(l);
	cr_assert_eq(pump(a, c, b, s, (size_t)total * PAYLOAD, 10000), (size_t)total * PAYLOAD);
	for (int i = 0; i < n; i++)
		cr_assert_eq(drops.times[i], 0, "segment %d was not sent %d times", segs[i], times);
	cr_assert_eq(tcp_stat(a, "RetransSegs") - rtx0, (uint64_t)(n * times),
		     "%d holes, %d retransmissions", n, (int)(tcp_stat(a, "RetransSegs") - rtx0));
	cr_assert_lt(link_now(l) - t0, 200000, "took %llu µs",
		     (unsigned long long)(link_now(l) - t0));
}

Test(tcp_recovery, one_hole_in_one_round_trip)
{
	static const int segs[] = { 5 };

	window_with_holes(segs, 1, 1, 40);
}

Test(tcp_recovery, three_holes_in_one_round_trip)
{
	static const int segs[] = { 3, 11, 20 };

	window_with_holes(segs, 3, 1, 40);
}

Test(tcp_recovery, ten_holes_in_one_round_trip)
{
	static const int segs[] = { 1, 4, 7, 10, 13, 16, 19, 22, 25, 28 };

	window_with_holes(segs, 10, 1, 40);
}

/* The retransmission of a hole is lost too: RACK sees new data sent
 * after it delivered and resends it again, without the timeout. */
Test(tcp_recovery, lost_retransmission_found_without_timeout)
{
	static const int segs[] = { 6 };

	window_with_holes(segs, 1, 2, 1000);
}

static uint32_t total_rto(int c)
{
	struct nc_linux_tcp_info ti;
	socklen_t len = sizeof ti;

	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_total_rto;
}

/* 20 MB over a fast link (100 µs each way) losing 5% each way, the
 * sender taking up to batch packets due at once before it answers (as
 * the daemon reads the TUN), the receiver up to rcv_batch: every byte
 * arrives; the virtual time it took and the timeouts are logged (figures
 * to compare, not asserted). */
static void twenty_megabytes(int batch, int rcv_batch)
{
	struct link_impair imp = { .drop = 0.05 };
	uint64_t t0;
	int c, s;

	link_set_delay(l, 100);
	link_set_end_batch(l, LINK_A, batch);
	link_set_end_batch(l, LINK_B, rcv_batch);
	make_pair(80, &c, &s);
	link_set_impair(l, LINK_A_TO_B, &imp);
	link_set_impair(l, LINK_B_TO_A, &imp);
	t0 = link_now(l);
	cr_assert_eq(pump(a, c, b, s, 20 << 20, 3600 * 1000), 20 << 20);
	cr_log_info("20 MB at 5%% loss, ACKs taken in batches of %d, data in batches of %d: "
		    "%.3f virtual s, %llu segments resent, %u timeouts",
		    batch, rcv_batch, (link_now(l) - t0) / 1e6,
		    (unsigned long long)tcp_stat(a, "RetransSegs"), total_rto(c));
}

Test(tcp_recovery, twenty_megabytes_at_five_percent_loss)
{
	twenty_megabytes(1, 1);
}

/* The same with the ACKs of a round trip taken together, as the daemon
 * takes them: the one that shows a loss comes with those that took the
 * rest of the flight away. */
Test(tcp_recovery, twenty_megabytes_at_five_percent_loss_acks_in_batches)
{
	twenty_megabytes(64, 1);
}

/* The same with the receiver taking a flight's segments together and
 * answering them with one ACK, as Linux's receiver does on the real path
 * (its ACK goes when the reader drains the queue, and it compresses its
 * SACKs): losing that one ACK leaves the sender nothing to go on but the
 * probe (whose lone segment the receiver ACKs only after its delayed-ACK
 * time) or, in recovery, the timeout. This is where the real path's time
 * goes (docs/DESIGN.md, Loss recovery). */
Test(tcp_recovery, twenty_megabytes_at_five_percent_loss_one_ack_per_flight)
{
	twenty_megabytes(64, 64);
}

/* A to B loses all its data until blackout_until (µs of link time). */
static uint64_t blackout_until;

static int drop_until(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	size_t hl = (size_t)(pkt[20 + 12] >> 4) * 4;

	(void)arg;
	if (dir == LINK_A_TO_B && len > 20 + hl && link_now(l) < blackout_until)
		return LINK_DROP;
	return LINK_PASS;
}

/* The whole flight and the tail loss probe after it are lost (150 ms
 * of blackout; round trips of a few ms, the timeout 200 ms): one
 * retransmission timeout, then slow start repairs the rest without
 * another, before a second timeout (backed off, 400 ms later) could
 * have fired. */
Test(tcp_recovery, flight_and_probe_lost_cost_one_timeout)
{
	uint64_t t0;
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 400000, 10000), 400000);	/* slow start */
	cr_assert_eq(total_rto(c), 0);
	t0 = link_now(l);
	blackout_until = t0 + 150000;
	link_set_filter(l, drop_until, NULL);
	cr_assert_eq(pump(a, c, b, s, 200 * PAYLOAD, 10000), 200 * PAYLOAD);
	cr_assert_eq(total_rto(c), 1);
	cr_assert_lt(link_now(l) - t0, 500000, "took %llu µs",
		     (unsigned long long)(link_now(l) - t0));
}
