/*
 * TCP between two stacks back to back: the handshake, data both ways,
 * the closing states, resets, and bulk transfers over a lossy link.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "sock.h"
#include "stack.h"
#include "tcp_impl.h"

TestSuite(tcp, .init = two_stacks, .fini = teardown);

static ssize_t recv_str(struct stack *st, int fd, char *buf, size_t size)
{
	ssize_t n = sock_recvfrom(st, fd, buf, size - 1, 0, NULL, NULL);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

Test(tcp, connect_accept_and_talk)
{
	int c, s;
	char buf[64];

	make_pair(80, &c, &s);
	cr_assert_eq(send_str(a, c, "hello"), 5);
	run_ms(10);
	cr_assert_eq(recv_str(b, s, buf, sizeof buf), 5);
	cr_assert_str_eq(buf, "hello");
	cr_assert_eq(send_str(b, s, "world!"), 6);
	run_ms(10);
	cr_assert_eq(recv_str(a, c, buf, sizeof buf), 6);
	cr_assert_str_eq(buf, "world!");
	cr_assert_eq(recv_str(a, c, buf, sizeof buf), -EAGAIN);
	cr_assert_eq(tcp_stat(a, "ActiveOpens"), 1);
	cr_assert_eq(tcp_stat(b, "PassiveOpens"), 1);
	cr_assert_eq(tcp_stat(a, "CurrEstab"), 1);
}

Test(tcp, graceful_close_walks_the_states)
{
	int c, s;
	char buf[8];

	make_pair(80, &c, &s);
	cr_assert_eq(sock_shutdown(a, c, SHUT_WR), 0);
	cr_assert_eq(state_of(a, c), NC_TCP_FIN_WAIT_1);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_FIN_WAIT_2);
	cr_assert_eq(state_of(b, s), NC_TCP_CLOSE_WAIT);
	cr_assert_eq(recv_str(b, s, buf, sizeof buf), 0);
	cr_assert_eq(send_str(b, s, "bye"), 3);
	cr_assert_eq(sock_shutdown(b, s, SHUT_WR), 0);
	cr_assert_eq(state_of(b, s), NC_TCP_LAST_ACK);
	run_ms(10);
	cr_assert_eq(recv_str(a, c, buf, sizeof buf), 3);
	cr_assert_eq(recv_str(a, c, buf, sizeof buf), 0);
	cr_assert_eq(state_of(a, c), NC_TCP_TIME_WAIT);
	cr_assert_eq(state_of(b, s), NC_TCP_CLOSED);
	cr_assert_eq(so_error(b, s), 0);
	run_ms(2 * 30000 + 10);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(tcp_stat(a, "CurrEstab"), 0);
}

Test(tcp, bulk_one_megabyte)
{
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 1 << 20, 10000), 1 << 20);
	cr_assert_eq(pump(b, s, a, c, 1 << 20, 10000), 1 << 20);
}

/* The smoothed RTT is measured to the microsecond, also with timestamps
 * on (their millisecond ticks cannot see a 200 µs round trip). */
/* Segments received for what b sent back while a moved 4 MiB to it. */
static uint64_t acks_for_transfer(int batch)
{
	size_t n = 4 << 20;
	int c, s;

	link_set_batch(l, batch);
	make_pair(5000, &c, &s);
	cr_assert_eq(pump(a, c, b, s, n, 20000), n);
	return tcp_stat(b, "OutSegs");
}

/* With the driver's batches (64 packets, then one flush) a flight that
 * arrives at once is acknowledged at the flush, once, where one flush a
 * packet acknowledges every second segment: the batched output path of
 * production (tcp_output_later, tcp_flush) runs here too. */
Test(tcp, a_batch_of_input_is_acknowledged_once)
{
	uint64_t single = acks_for_transfer(1), batched;

	teardown();
	two_stacks();
	batched = acks_for_transfer(64);
	cr_assert_lt(batched * 4, single, "ACKs: %llu batched, %llu one by one",
		     (unsigned long long)batched, (unsigned long long)single);
}

Test(tcp, srtt_to_the_microsecond)
{
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;
	int c, s;

	link_set_delay(l, 100);
	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 1 << 20, 10000), 1 << 20);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert(ti.timestamps, "timestamps were negotiated");
	cr_assert(ti.srtt_us >= 150 && ti.srtt_us <= 1000, "srtt %u µs for a 200 µs path",
		  ti.srtt_us);
}

/* A long transfer brings many ACKs that do not cover the timed segment.
 * Their timestamp echoes, in millisecond ticks, are samples of 1 ms or
 * more (an echo can be of a segment sent several ticks before the ACK):
 * taken beside the timed ones, they put srtt at 5658 µs on this 400 µs
 * path; the timed samples alone, 636. */
Test(tcp, srtt_in_bulk_is_not_the_timestamp_tick)
{
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;
	int c, s;

	make_pair(80, &c, &s);
	link_set_delay(l, 200);
	cr_assert_eq(pump(a, c, b, s, 20 << 20, 60000), 20 << 20);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert(ti.timestamps, "timestamps were negotiated");
	cr_assert(ti.srtt_us >= 400 && ti.srtt_us < 1000, "srtt %u µs for a 400 µs path",
		  ti.srtt_us);
}

/* With segmentation offload new data leaves in super-packets of whole
 * segments, up to 64 KiB; resends are single segments again. */
static size_t biggest;

static int measure(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	(void)arg;
	(void)pkt;
	if (dir == LINK_A_TO_B && len > biggest)
		biggest = len;
	return LINK_PASS;
}

Test(tcp, segmentation_offload_sends_super_packets)
{
	int c, s;

	a->tso = 1;
	make_pair(80, &c, &s);
	biggest = 0;
	link_set_filter(l, measure, NULL);
	cr_assert_eq(pump(a, c, b, s, 4 << 20, 10000), 4 << 20);
	cr_assert_gt(biggest, 60000, "super-packets went out (biggest %zu)", biggest);
	cr_assert_leq(biggest, 65535);
}

/* With checksum offload a segment leaves with only the pseudo-header's
 * part of its checksum; the link (the kernel behind a TUN) finishes it,
 * and b, which checks every checksum, gets each byte. */
static int partials;

static int partial_checksum(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	uint32_t pseudo = cksum_pseudo(get32(pkt + 12), get32(pkt + 16), IPPROTO_TCP, len - IP_HLEN);

	(void)arg;
	if (dir == LINK_A_TO_B && pkt[9] == IPPROTO_TCP) {
		cr_assert_eq(get16(pkt + IP_HLEN + 16), cksum_partial(pseudo));
		partials++;
	}
	return LINK_PASS;
}

Test(tcp, checksum_offload_leaves_the_sum_to_the_link)
{
	int c, s;

	a->tso = 1;
	a->csum_offload = 1;
	partials = 0;
	link_set_filter(l, partial_checksum, NULL);
	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 4 << 20, 10000), 4 << 20);
	cr_assert_gt(partials, 50, "partials %d", partials);	/* 4 MiB in super-packets */
	cr_assert_eq(tcp_stat(b, "InErrs"), 0);
}

/* The same stack to its own address: the loopback wants packets whole,
 * so a payload left in the send buffer is copied behind its header. */
Test(tcp, checksum_offload_to_its_own_address)
{
	int lfd, c, s;

	a->tso = 1;
	a->csum_offload = 1;
	lfd = listen_on(a, 90, 4);
	c = tcp_sock(a);
	cr_assert_eq(connect_to(a, c, A_ADDR, 90), -EINPROGRESS);
	run_ms(10);
	s = sock_accept(a, lfd, NULL, NULL);
	cr_assert_geq(s, 0, "accept: %d", s);
	cr_assert_eq(pump(a, c, a, s, 2 << 20, 10000), 2 << 20);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->sent, 0, "nothing went to the link");
}

Test(tcp, segmentation_offload_over_a_bad_link)
{
	struct link_impair imp = { .drop = 0.10, .dup = 0.05, .reorder = 0.05 };
	int c, s;

	a->tso = 1;
	make_pair(80, &c, &s);
	link_set_impair(l, LINK_A_TO_B, &imp);
	link_set_impair(l, LINK_B_TO_A, &imp);
	cr_assert_eq(pump(a, c, b, s, 4 << 20, 3600 * 1000), 4 << 20);
	cr_log_info("4 MB with offload: %.1f virtual s", link_now(l) / 1e6);
}

/* 10 MB each way over a link that loses 10%, duplicates 5% and reorders
 * 5% of the packets in both directions: every byte arrives, in order. */
static void lossy(void)
{
	struct link_impair imp = { .drop = 0.10, .dup = 0.05, .reorder = 0.05 };

	link_set_impair(l, LINK_A_TO_B, &imp);
	link_set_impair(l, LINK_B_TO_A, &imp);
}

Test(tcp, ten_megabytes_over_a_bad_link_a_to_b)
{
	int c, s;

	make_pair(80, &c, &s);
	lossy();
	cr_assert_eq(pump(a, c, b, s, 10 << 20, 3600 * 1000), 10 << 20);
	cr_assert_gt(tcp_stat(a, "RetransSegs"), 0);
	cr_log_info("10 MB a to b: %.1f virtual s", link_now(l) / 1e6);
}

Test(tcp, ten_megabytes_over_a_bad_link_b_to_a)
{
	int c, s;

	make_pair(80, &c, &s);
	lossy();
	cr_assert_eq(pump(b, s, a, c, 10 << 20, 3600 * 1000), 10 << 20);
	cr_log_info("10 MB b to a: %.1f virtual s", link_now(l) / 1e6);
}

/* ---- the states of RFC 9293's diagram ---- */

static int drop_b_to_a(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	(void)arg, (void)pkt, (void)len;
	return dir == LINK_B_TO_A ? LINK_DROP : LINK_PASS;
}

Test(tcp, closed_listen_closed)
{
	int lfd = tcp_sock(b);

	cr_assert_eq(state_of(b, lfd), NC_TCP_CLOSED);
	cr_assert_eq(bind_to(b, lfd, 0, 80), 0);
	cr_assert_eq(sock_listen(b, lfd, 4), 0);
	cr_assert_eq(state_of(b, lfd), NC_TCP_LISTEN);
	cr_assert_eq(sock_shutdown(b, lfd, NC_SHUT_ABORT), 0);
	cr_assert_eq(state_of(b, lfd), NC_TCP_CLOSED);
}

Test(tcp, closing_a_listener_resets_unaccepted_connections)
{
	int lfd = listen_on(b, 80, 4), c = tcp_sock(a);

	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	cr_assert_eq(sock_close(b, lfd), 0);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(so_error(a, c), ECONNRESET);
}

Test(tcp, syn_sent_closed_by_close)
{
	int c = tcp_sock(a);

	link_set_filter(l, drop_all, NULL);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	cr_assert_eq(sock_close(a, c), 0);
	run_ms(5000);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->sent, 1);	/* the SYN, no more */
	cr_assert_eq(tcp_stat(a, "AttemptFails"), 1);
}

Test(tcp, simultaneous_open)
{
	int x = tcp_sock(a), y = tcp_sock(b);
	char buf[8];

	cr_assert_eq(bind_to(a, x, 0, 5000), 0);
	cr_assert_eq(bind_to(b, y, 0, 6000), 0);
	cr_assert_eq(connect_to(a, x, B_ADDR, 6000), -EINPROGRESS);
	cr_assert_eq(connect_to(b, y, A_ADDR, 5000), -EINPROGRESS);
	run_ms(1);	/* the SYNs cross */
	cr_assert_eq(state_of(a, x), NC_TCP_SYN_RECEIVED);
	cr_assert_eq(state_of(b, y), NC_TCP_SYN_RECEIVED);
	run_ms(10);
	cr_assert_eq(state_of(a, x), NC_TCP_ESTABLISHED);
	cr_assert_eq(state_of(b, y), NC_TCP_ESTABLISHED);
	cr_assert_eq(sock_sendto(a, x, "ping", 4, 0, NULL, 0), 4);
	run_ms(10);
	cr_assert_eq(sock_recvfrom(b, y, buf, sizeof buf, 0, NULL, NULL), 4);
}

Test(tcp, simultaneous_close)
{
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(sock_shutdown(a, c, SHUT_WR), 0);
	cr_assert_eq(sock_shutdown(b, s, SHUT_WR), 0);
	cr_assert_eq(state_of(a, c), NC_TCP_FIN_WAIT_1);
	cr_assert_eq(state_of(b, s), NC_TCP_FIN_WAIT_1);
	run_ms(1);	/* the FINs cross */
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSING);
	cr_assert_eq(state_of(b, s), NC_TCP_CLOSING);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_TIME_WAIT);
	cr_assert_eq(state_of(b, s), NC_TCP_TIME_WAIT);
	run_ms(60000);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(state_of(b, s), NC_TCP_CLOSED);
}

Test(tcp, close_sends_queued_data_then_fin_and_the_orphan_ends)
{
	static char big[100000];
	char buf[4096];
	size_t got = 0;
	int c, s;
	ssize_t n;

	make_pair(80, &c, &s);
	memset(big, 'x', sizeof big);
	cr_assert_eq(sock_sendto(a, c, big, sizeof big, 0, NULL, 0), sizeof big);
	cr_assert_eq(sock_close(a, c), 0);
	for (int i = 0; i < 1000 && (n = sock_recvfrom(b, s, buf, sizeof buf, 0, NULL, NULL)) != 0; i++) {
		if (n > 0)
			got += (size_t)n;
		else
			run_ms(1);
	}
	cr_assert_eq(got, sizeof big);
	cr_assert_eq(state_of(b, s), NC_TCP_CLOSE_WAIT);
	cr_assert_eq(sock_close(b, s), 0);
	run_ms(10);
	cr_assert_eq(tcp_stat(b, "CurrEstab"), 0);
	run_ms(60010);		/* a's TIME_WAIT ends: nothing is left */
}

/* n connections a closes first, each until b's FIN is acknowledged;
 * with keep, a's sockets stay open (reaching Time_wait with a socket),
 * else they are orphans at once. */
static void time_waits(int n, int keep, int *c)
{
	for (int i = 0; i < n; i++) {
		int s;
		make_pair((uint16_t)(80 + i), &c[i], &s);
		cr_assert_eq(keep ? sock_shutdown(a, c[i], SHUT_WR) : sock_close(a, c[i]), 0);
		run_ms(10);
		cr_assert_eq(sock_close(b, s), 0);
		run_ms(10);
	}
	cr_assert_eq(b->tcp->ntcb, 0, "each FIN of b's was acknowledged");
}

Test(tcp, time_wait_within_its_bound_lasts_two_msl)
{
	int c[4];

	time_waits(4, 0, c);
	cr_assert_eq(tcp_stat(a, "CurrTimeWait"), 4);
	cr_assert_eq(tcp_stat(a, "TCPTimeWaitOverflow"), 0);
	run_ms(59000);
	cr_assert_eq(tcp_stat(a, "CurrTimeWait"), 4);
	run_ms(1100);
	cr_assert_eq(tcp_stat(a, "CurrTimeWait"), 0);
	cr_assert_eq(a->tcp->ntcb, 0);
}

/* As Linux past tcp_max_tw_buckets: an orphan beyond the bound does not
 * hold Time_wait, and is counted. With keep, a's sockets reach Time_wait
 * first (not bound: they are the program's), then are closed. */
static void past_the_bound(int keep)
{
	int c[4];

	a->tcp->timewait_max = 2;
	time_waits(4, keep, c);
	if (keep) {
		cr_assert_eq(tcp_stat(a, "CurrTimeWait"), 4);
		cr_assert_eq(tcp_stat(a, "TCPTimeWaitOverflow"), 0);
		for (int i = 0; i < 4; i++)
			cr_assert_eq(sock_close(a, c[i]), 0);
	}
	cr_assert_eq(tcp_stat(a, "CurrTimeWait"), 2);
	cr_assert_eq(tcp_stat(a, "TCPTimeWaitOverflow"), 2);
	cr_assert_eq(a->tcp->ntcb, 2);
}

Test(tcp, time_wait_past_its_bound_ends_at_once)
{
	past_the_bound(0);
}

Test(tcp, time_wait_closed_past_its_bound_ends_at_once)
{
	past_the_bound(1);
}

Test(tcp, close_with_unread_data_resets)
{
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(sock_sendto(a, c, "unread", 6, 0, NULL, 0), 6);
	run_ms(10);
	cr_assert_eq(sock_close(b, s), 0);
	run_ms(10);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(so_error(a, c), ECONNRESET);
	cr_assert_eq(tcp_stat(b, "OutRsts"), 1);
}

Test(tcp, hangup_resets_and_keeps_the_socket)
{
	int c, s;
	char buf[4];

	make_pair(80, &c, &s);
	cr_assert_eq(sock_shutdown(a, c, NC_SHUT_ABORT), 0);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(sock_recvfrom(a, c, buf, sizeof buf, 0, NULL, NULL), 0);
	cr_assert_eq(sock_sendto(a, c, "x", 1, 0, NULL, 0), -EPIPE);
	cr_assert(sock_poll(a, c) & POLLHUP);
	run_ms(10);
	cr_assert_eq(state_of(b, s), NC_TCP_CLOSED);
	cr_assert_eq(sock_recvfrom(b, s, buf, sizeof buf, 0, NULL, NULL), -ECONNRESET);
	cr_assert_eq(sock_recvfrom(b, s, buf, sizeof buf, 0, NULL, NULL), 0);
	cr_assert_eq(sock_sendto(b, s, "x", 1, 0, NULL, 0), -EPIPE);
	cr_assert_eq(tcp_stat(b, "EstabResets"), 1);
}

Test(tcp, retransmission_gives_up_with_etimedout)
{
	int c, s;
	char buf[4];

	make_pair(80, &c, &s);
	link_set_filter(l, drop_all, NULL);
	cr_assert_eq(sock_sendto(a, c, "lost", 4, 0, NULL, 0), 4);
	run_ms(10 * 60 * 1000);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(sock_recvfrom(a, c, buf, sizeof buf, 0, NULL, NULL), -ETIMEDOUT);
	cr_assert_eq(sock_sendto(a, c, "x", 1, 0, NULL, 0), -EPIPE);
	cr_assert_geq(tcp_stat(a, "RetransSegs"), 12);
}

static int get_int(struct stack *st, int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	cr_assert_eq(sock_getopt(st, fd, level, name, &v, &len), 0);
	return v;
}

/* TCP_MAXSEG reads back the value set, on a listener too (as Linux). */
Test(tcp, maxseg_set_on_a_listener_reads_back)
{
	int c = tcp_sock(a), lfd = tcp_sock(b);

	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_MAXSEG, 1100), 0);
	cr_assert_eq(get_int(a, c, IPPROTO_TCP, TCP_MAXSEG), 1100);
	cr_assert_eq(set_int(b, lfd, IPPROTO_TCP, TCP_MAXSEG, 1100), 0);
	cr_assert_eq(bind_to(b, lfd, 0, 80), 0);
	cr_assert_eq(sock_listen(b, lfd, 4), 0);
	cr_assert_eq(get_int(b, lfd, IPPROTO_TCP, TCP_MAXSEG), 1100);
}

/* SO_SNDBUF and SO_RCVBUF set read back doubled, as on Linux; the
 * defaults read back as they are. */
Test(tcp, buffer_sizes_set_read_back_doubled)
{
	int c = tcp_sock(a);

	cr_assert_eq(get_int(a, c, SOL_SOCKET, SO_SNDBUF), SOCK_STREAM_SNDBUF);
	cr_assert_eq(get_int(a, c, SOL_SOCKET, SO_RCVBUF), SOCK_DEF_BUF);
	cr_assert_eq(set_int(a, c, SOL_SOCKET, SO_SNDBUF, 21000), 0);
	cr_assert_eq(set_int(a, c, SOL_SOCKET, SO_RCVBUF, 30000), 0);
	cr_assert_eq(get_int(a, c, SOL_SOCKET, SO_SNDBUF), 42000);
	cr_assert_eq(get_int(a, c, SOL_SOCKET, SO_RCVBUF), 60000);
}

/* IP_MTU_DISCOVER is accepted (Linux's modes 0..5) and read back. */
Test(tcp, ip_mtu_discover_is_accepted)
{
	int c = tcp_sock(a);

	cr_assert_eq(get_int(a, c, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_WANT);
	cr_assert_eq(set_int(a, c, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO), 0);
	cr_assert_eq(get_int(a, c, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_DO);
	cr_assert_eq(set_int(a, c, IPPROTO_IP, IP_MTU_DISCOVER, 6), -EINVAL);
}

/* An IPPROTO_IP integer may be given in one byte, as Linux takes it. */
Test(tcp, ip_options_take_one_byte)
{
	int c = tcp_sock(a);
	unsigned char dont = IP_PMTUDISC_DONT, ttl = 9;

	cr_assert_eq(sock_setopt(a, c, IPPROTO_IP, IP_MTU_DISCOVER, &dont, 1), 0);
	cr_assert_eq(get_int(a, c, IPPROTO_IP, IP_MTU_DISCOVER), IP_PMTUDISC_DONT);
	cr_assert_eq(sock_setopt(a, c, IPPROTO_IP, IP_TTL, &ttl, 1), 0);
	cr_assert_eq(get_int(a, c, IPPROTO_IP, IP_TTL), 9);
	cr_assert_eq(sock_setopt(a, c, IPPROTO_IP, IP_TTL, &ttl, 0), -EINVAL);
}

/* TCP_USER_TIMEOUT (RFC 5482): data unacknowledged for that long ends
 * the connection with ETIMEDOUT, long before 12 retransmissions would. */
Test(tcp, user_timeout_gives_up_with_etimedout)
{
	int c, s;
	char buf[4];

	make_pair(80, &c, &s);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000), 0);
	cr_assert_eq(get_int(a, c, IPPROTO_TCP, TCP_USER_TIMEOUT), 3000);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_USER_TIMEOUT, -1), -EINVAL);
	link_set_filter(l, drop_all, NULL);
	cr_assert_eq(sock_sendto(a, c, "lost", 4, 0, NULL, 0), 4);
	run_ms(2900);
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	run_ms(200);
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(sock_recvfrom(a, c, buf, sizeof buf, 0, NULL, NULL), -ETIMEDOUT);
}

Test(tcp, keepalive_probes_then_gives_up)
{
	int c, s;
	uint64_t before;

	make_pair(80, &c, &s);
	cr_assert_eq(set_int(a, c, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_KEEPINTVL, 2), 0);
	cr_assert_eq(set_int(a, c, IPPROTO_TCP, TCP_KEEPCNT, 3), 0);
	before = link_counters(l, LINK_A_TO_B)->sent;
	run_ms(35000);		/* answered probes at 10, 20, 30 s */
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->sent - before, 3, "sent %llu",
		     (unsigned long long)(link_counters(l, LINK_A_TO_B)->sent - before));
	link_set_filter(l, drop_b_to_a, NULL);
	run_ms(10000);		/* probes at 40, 42, 44 s unanswered */
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	run_ms(2000);		/* 46 s: give up */
	cr_assert_eq(state_of(a, c), NC_TCP_CLOSED);
	cr_assert_eq(so_error(a, c), ETIMEDOUT);
}

Test(tcp, zero_window_then_window_update)
{
	static char big[65536];
	int lfd = tcp_sock(b), c = tcp_sock(a), s;
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;

	cr_assert_eq(set_int(b, lfd, SOL_SOCKET, SO_RCVBUF, 4096), 0);
	cr_assert_eq(bind_to(b, lfd, 0, 80), 0);
	cr_assert_eq(sock_listen(b, lfd, 4), 0);
	cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
	run_ms(10);
	s = sock_accept(b, lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	cr_assert_eq(sock_sendto(a, c, big, sizeof big, 0, NULL, 0), sizeof big);
	run_ms(5000);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.swnd, 0, "swnd %u qout %u", ti.swnd, ti.qout);
	cr_assert_geq(ti.qout, sizeof big - 4096);	/* the buffer is full */
	cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED);
	{
		size_t got = 0;
		for (int i = 0; i < 10000 && got < sizeof big; i++) {
			ssize_t n = sock_recvfrom(b, s, big, sizeof big, 0, NULL, NULL);
			if (n > 0)
				got += (size_t)n;
			else
				run_ms(1);
		}
		cr_assert_eq(got, sizeof big);
	}
}

/* NC_MSG_OVERFILL: a write the buffer has no room for goes in whole,
 * past the limit; the socket is then not writable until the peer has
 * taken enough, and every byte arrives in order. */
Test(tcp, overfill_takes_a_write_whole_then_waits_for_room)
{
	static char big[100000], got[sizeof big];
	size_t first, n = 0;
	int c, s;

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 13 + i / 977);
	make_pair(80, &c, &s);
	cr_assert_eq(set_int(a, c, SOL_SOCKET, SO_SNDBUF, 8192), 0);
	first = (size_t)sock_sendto(a, c, big, sizeof big, 0, NULL, 0);
	cr_assert_lt(first, sizeof big, "the buffer's limit cuts a plain write");
	cr_assert_eq(sock_sendto(a, c, big + first, sizeof big - first, 0, NULL, 0), -EAGAIN);
	cr_assert_eq(sock_sendto(a, c, big + first, sizeof big - first, NC_MSG_OVERFILL, NULL, 0),
		     (ssize_t)(sizeof big - first));
	cr_assert_eq(sock_poll(a, c) & POLLOUT, 0, "full past its limit: not writable");
	for (int i = 0; i < 10000 && n < sizeof big; i++) {
		ssize_t k = sock_recvfrom(b, s, got + n, sizeof got - n, 0, NULL, NULL);

		if (k > 0)
			n += (size_t)k;
		else
			run_ms(1);
	}
	cr_assert_eq(n, sizeof big);
	cr_assert_arr_eq(got, big, sizeof big);
	run_ms(100);
	cr_assert_neq(sock_poll(a, c) & POLLOUT, 0, "all taken: writable again");
}

/* The local port of connected socket fd. */
static uint16_t local_port(struct stack *st, int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	cr_assert_eq(sock_name(st, fd, 0, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* RFC 6056: ports to one peer come in turn, so one just freed is not
 * picked again soon (the peer may hold it in TIME_WAIT). 1000 refused
 * connects free their ports at once; none may come again. */
Test(tcp, ephemeral_ports_to_one_peer_do_not_repeat)
{
	static uint8_t seen[65536];

	for (int i = 0; i < 1000; i++) {
		int c = tcp_sock(a);
		uint16_t port;

		cr_assert_eq(connect_to(a, c, B_ADDR, 9), -EINPROGRESS);
		port = local_port(a, c);
		cr_assert(port >= EPHEMERAL_LO && port <= EPHEMERAL_HI, "port %u", port);
		cr_assert_eq(seen[port], 0, "port %u again after %d connects", port, i);
		seen[port] = 1;
		run_ms(3);	/* SYN, RST: one round trip */
		cr_assert_eq(so_error(a, c), ECONNREFUSED);
		cr_assert_eq(sock_close(a, c), 0);
	}
}

/*
 * The peer closed first and holds the 4-tuple in TIME_WAIT; a new connect
 * from the same port must be taken at once (RFC 6191): the new SYN's
 * timestamp continues the old incarnation's clock. Eight rounds, so a
 * timestamp offset drawn at random per connection could not pass by luck.
 */
Test(tcp, reconnecting_through_the_peers_time_wait_takes_one_round_trip)
{
	int lfd = listen_on(b, 80, 8);

	for (int i = 0; i < 8; i++) {
		int c = tcp_sock(a), s;

		cr_assert_eq(bind_to(a, c, 0, 40000), 0);
		cr_assert_eq(connect_to(a, c, B_ADDR, 80), -EINPROGRESS);
		run_ms(3);	/* SYN, SYN-ACK, ACK: one and a half round trips */
		cr_assert_eq(state_of(a, c), NC_TCP_ESTABLISHED, "round %d", i);
		s = sock_accept(b, lfd, NULL, NULL);
		cr_assert_geq(s, 0);
		cr_assert_eq(sock_close(b, s), 0);	/* the peer closes first */
		run_ms(3);
		cr_assert_eq(sock_close(a, c), 0);
		run_ms(5);
	}
	cr_assert_eq(tcp_stat(a, "OutRsts"), 0);
	cr_assert_eq(tcp_stat(a, "RetransSegs"), 0);
}

static void no_output(void *arg, const uint8_t *pkt, size_t len, unsigned gso)
{
	(void)arg;
	(void)pkt;
	(void)len;
	(void)gso;
}

/* The keys of ISNs, timestamp offsets and ports are the secret the
 * driver draws from the kernel when it gives one; without one, they
 * follow from the seed (so tests are reproducible). */
Test(tcp, a_secret_given_keys_the_hash)
{
	struct stack_config cfg = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 5 };
	struct stack *s1 = stack_new(&cfg, no_output, NULL), *s2 = stack_new(&cfg, no_output, NULL), *s3;

	for (int i = 0; i < 16; i++)
		cfg.secret[i] = (uint8_t)(i + 1);
	s3 = stack_new(&cfg, no_output, NULL);
	cr_assert(s1 && s2 && s3);
	cr_assert_eq(stack_hash(s1, HASH_ISN, 1, 2), stack_hash(s2, HASH_ISN, 1, 2));
	cr_assert_neq(stack_hash(s1, HASH_ISN, 1, 2), stack_hash(s3, HASH_ISN, 1, 2));
	cr_assert_arr_eq(s3->secret, cfg.secret, sizeof cfg.secret);
	stack_free(s1);
	stack_free(s2);
	stack_free(s3);
}

/* A fill for sock_fill: writes pattern bytes from f->next on, at most
 * f->max of them (all offered if 0), or fails with f->err. */
struct filler {
	size_t next, max, offered;
	int err;
};

static uint8_t pattern_at(size_t i)
{
	return (uint8_t)(i * 13 + i / 509);
}

static ssize_t fill_pattern(void *arg, const struct iovec *iov, int cnt)
{
	struct filler *f = arg;
	size_t done = 0;

	f->offered = 0;
	for (int i = 0; i < cnt; i++)
		f->offered += iov[i].iov_len;
	if (f->err)
		return -f->err;
	for (int i = 0; i < cnt; i++) {
		uint8_t *p = iov[i].iov_base;

		for (size_t k = 0; k < iov[i].iov_len && (f->max == 0 || done < f->max); k++)
			p[k] = pattern_at(f->next + done++);
	}
	f->next += done;
	return (ssize_t)done;
}

/* Receive n bytes on (st, fd) and check they are pattern bytes from 0. */
static void expect_pattern(struct stack *st, int fd, size_t n)
{
	static uint8_t buf[65536];
	size_t got = 0;

	for (int i = 0; i < 200 && got < n; i++) {
		ssize_t r;

		run_ms(5);
		while ((r = sock_recvfrom(st, fd, buf, sizeof buf, 0, NULL, NULL)) > 0) {
			for (ssize_t k = 0; k < r; k++)
				cr_assert_eq(buf[k], pattern_at(got + (size_t)k), "byte %zu", got + (size_t)k);
			got += (size_t)r;
		}
	}
	cr_assert_eq(got, n);
}

Test(tcp, a_fill_writes_straight_into_the_send_buffer)
{
	struct filler f = { 0 };
	unsigned before;
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(sock_fill(a, c, 100000, 0, fill_pattern, &f), 100000);
	cr_assert_eq(f.offered, 100000);
	/* a fill that places fewer bytes sends those, and gives back the rest */
	before = chunks_used(a);
	f.max = 5000;
	cr_assert_eq(sock_fill(a, c, 300000, NC_MSG_OVERFILL, fill_pattern, &f), 5000);
	cr_assert_eq(f.offered, 300000, "overfill offers all it is asked");
	cr_assert_leq(chunks_used(a), before + 1, "room not written was given back");
	expect_pattern(b, s, 105000);
}

Test(tcp, a_fill_meets_the_errors_a_send_does)
{
	struct filler f = { .err = EFAULT };
	int c, s, fresh = tcp_sock(a), u = sock_socket(a, AF_INET, SOCK_DGRAM, 0);

	cr_assert_eq(sock_fill(a, fresh, 10, 0, fill_pattern, &f), -ENOTCONN);
	cr_assert_eq(sock_fill(a, u, 10, 0, fill_pattern, &f), -EOPNOTSUPP);
	cr_assert_eq(sock_fill(a, 999, 10, 0, fill_pattern, &f), -EBADF);
	make_pair(80, &c, &s);
	cr_assert_eq(sock_fill(a, c, 10, 0, fill_pattern, &f), -EFAULT, "the fill's own error");
	cr_assert_eq(sock_fill(a, c, 10, 0, NULL, &f), -EFAULT);
	/* a full buffer: EAGAIN, the fill never called */
	cr_assert_eq(set_int(a, c, SOL_SOCKET, SO_SNDBUF, 8192), 0);
	f = (struct filler){ 0 };
	cr_assert_eq(sock_fill(a, c, 8192, 0, fill_pattern, &f), 8192);
	f.offered = 1;
	cr_assert_eq(sock_fill(a, c, 10, 0, fill_pattern, &f), -EAGAIN);
	cr_assert_eq(f.offered, 1, "no room, no call");
	cr_assert_eq(sock_shutdown(a, c, SHUT_WR), 0);
	cr_assert_eq(sock_fill(a, c, 10, 0, fill_pattern, &f), -EPIPE);
	expect_pattern(b, s, 8192);
	sock_close(a, u);
	sock_close(a, fresh);
}
