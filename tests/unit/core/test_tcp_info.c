/*
 * TCP_INFO in Linux's layout: the struct matches Linux's uapi header
 * field for field, and its counters match what the test link carried,
 * after a clean transfer and after a retransmission.
 */
#include <criterion/criterion.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>

#include <netcore/netcore.h>

#include "sock.h"
#include "fixture.h"

TestSuite(tcp_info, .init = two_stacks, .fini = teardown);

/* What the link carried in one direction, counted from the packets. */
struct seen {
	uint32_t segs, data_segs, resent_segs;
	uint64_t bytes, resent_bytes;
	uint32_t high;		/* end of the highest data seen */
	int drop_seq;		/* drop the first segment with this offset from the ISN + 1 */
	uint32_t isn;
};
static struct seen seen[2];

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int count(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	struct seen *w = &seen[dir];
	size_t ihl = (size_t)(pkt[0] & 15) * 4, doff, payload;
	uint32_t seq;

	(void)arg;
	if (pkt[9] != IPPROTO_TCP)
		return LINK_PASS;
	doff = (size_t)(pkt[ihl + 12] >> 4) * 4;
	payload = len - ihl - doff;
	seq = be32(pkt + ihl + 4);
	if (pkt[ihl + 13] & 0x02)	/* SYN */
		w->isn = seq;
	if (payload > 0 && w->drop_seq >= 0 && seq - w->isn - 1 == (uint32_t)w->drop_seq) {
		w->drop_seq = -1;
		w->high = seq + (uint32_t)payload;
		w->segs++;
		w->data_segs++;
		w->bytes += payload;
		return LINK_DROP;	/* counted as sent: it left the stack */
	}
	w->segs++;
	if (payload == 0)
		return LINK_PASS;
	w->data_segs++;
	w->bytes += payload;
	if ((int32_t)(seq + (uint32_t)payload - w->high) <= 0 && w->high != 0) {
		w->resent_segs++;
		w->resent_bytes += payload;
	} else {
		w->high = seq + (uint32_t)payload;
	}
	return LINK_PASS;
}

static void watch(int drop_at)
{
	memset(seen, 0, sizeof seen);
	seen[LINK_A_TO_B].drop_seq = drop_at;
	seen[LINK_B_TO_A].drop_seq = -1;
	link_set_filter(l, count, NULL);
}

static struct nc_linux_tcp_info info_of(struct stack *st, int fd)
{
	struct nc_linux_tcp_info ti;
	socklen_t len = sizeof ti;

	cr_assert_eq(sock_getopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	cr_assert_eq(len, sizeof ti);
	return ti;
}

#define SAME_OFFSET(f) \
	cr_expect_eq(offsetof(struct nc_linux_tcp_info, f), offsetof(struct tcp_info, f), #f)

Test(tcp_info, layout_is_linuxs)
{
	SAME_OFFSET(tcpi_retransmits);
	SAME_OFFSET(tcpi_options);
	SAME_OFFSET(tcpi_rto);
	SAME_OFFSET(tcpi_unacked);
	SAME_OFFSET(tcpi_last_data_sent);
	SAME_OFFSET(tcpi_pmtu);
	SAME_OFFSET(tcpi_snd_cwnd);
	SAME_OFFSET(tcpi_total_retrans);
	SAME_OFFSET(tcpi_pacing_rate);
	SAME_OFFSET(tcpi_bytes_received);
	SAME_OFFSET(tcpi_segs_in);
	SAME_OFFSET(tcpi_min_rtt);
	SAME_OFFSET(tcpi_delivery_rate);
	SAME_OFFSET(tcpi_sndbuf_limited);
	SAME_OFFSET(tcpi_delivered_ce);
	SAME_OFFSET(tcpi_bytes_retrans);
	SAME_OFFSET(tcpi_reord_seen);
	SAME_OFFSET(tcpi_snd_wnd);
	cr_expect_geq(sizeof(struct nc_linux_tcp_info), sizeof(struct tcp_info));
}

Test(tcp_info, after_handshake_and_transfer)
{
	enum { N = 100000 };
	struct nc_linux_tcp_info ta, tb;
	int c, s;

	watch(-1);
	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, N, 10000), N);
	run_ms(500);	/* every ACK in */
	ta = info_of(a, c);
	tb = info_of(b, s);

	cr_expect_eq(ta.tcpi_state, NC_TCPI_ESTABLISHED);
	cr_expect_eq(ta.tcpi_ca_state, NC_TCPI_CA_OPEN);
	cr_expect_eq(ta.tcpi_options,
		     NC_TCPI_OPT_TIMESTAMPS | NC_TCPI_OPT_SACK | NC_TCPI_OPT_WSCALE);
	cr_expect_eq(ta.tcpi_snd_mss, 1500 - 20 - 20 - 12, "MSS less the timestamps");
	cr_expect_eq(ta.tcpi_advmss, 1448);
	cr_expect_eq(ta.tcpi_pmtu, 1500);
	cr_expect_geq(ta.tcpi_snd_cwnd, 10, "at least the initial window");
	cr_expect_eq(ta.tcpi_snd_ssthresh, NC_TCPI_INFINITE_SSTHRESH, "no loss yet");
	cr_expect_eq(ta.tcpi_unacked, 0);
	cr_expect_eq(ta.tcpi_notsent_bytes, 0);

	/* the sender's counters against what left it */
	cr_expect_eq(ta.tcpi_segs_out, seen[LINK_A_TO_B].segs);
	cr_expect_eq(ta.tcpi_data_segs_out, seen[LINK_A_TO_B].data_segs);
	cr_expect_eq(ta.tcpi_bytes_sent, N);
	cr_expect_eq(seen[LINK_A_TO_B].bytes, N);
	cr_expect_eq(ta.tcpi_bytes_acked, N + 1, "the data and the SYN");
	cr_expect_eq(ta.tcpi_segs_in, seen[LINK_B_TO_A].segs);
	cr_expect_eq(ta.tcpi_total_retrans, 0);
	cr_expect_eq(ta.tcpi_bytes_retrans, 0);
	cr_expect_gt(ta.tcpi_min_rtt, 0);
	cr_expect_leq(ta.tcpi_min_rtt, ta.tcpi_rtt + ta.tcpi_rttvar);
	cr_expect_geq(ta.tcpi_last_data_sent, 500, "ms since the last data, at least the wait");
	cr_expect_gt(ta.tcpi_busy_time, 0);

	/* the receiver's, against what reached it */
	cr_expect_eq(tb.tcpi_bytes_received, N);
	cr_expect_eq(tb.tcpi_segs_in, seen[LINK_A_TO_B].segs);
	cr_expect_eq(tb.tcpi_data_segs_in, seen[LINK_A_TO_B].data_segs);
	cr_expect_eq(tb.tcpi_segs_out, seen[LINK_B_TO_A].segs - 1, "all but the SYN-ACK, as Linux");
	cr_expect_eq(tb.tcpi_data_segs_out, 0);
	cr_expect_eq(tb.tcpi_bytes_acked, 0, "a passive open's SYN not counted, as Linux");
}

Test(tcp_info, a_short_buffer_gets_the_prefix)
{
	struct nc_linux_tcp_info full;
	uint8_t buf[sizeof full + 8];
	socklen_t len = offsetof(struct nc_linux_tcp_info, tcpi_rtt);
	int c, s;

	make_pair(80, &c, &s);
	full = info_of(a, c);
	memset(buf, 0xa5, sizeof buf);
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	cr_expect_eq(len, offsetof(struct nc_linux_tcp_info, tcpi_rtt));
	cr_expect_eq(memcmp(buf, &full, len), 0, "the leading part");
	for (size_t i = len; i < sizeof buf; i++)
		cr_assert_eq(buf[i], 0xa5, "byte %zu past the buffer written", i);

	len = sizeof buf;	/* a longer one gets the whole struct, no more */
	cr_assert_eq(sock_getopt(a, c, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	cr_expect_eq(len, sizeof full);
}

Test(tcp_info, after_a_retransmission)
{
	enum { N = 20 * 1448 };
	struct nc_linux_tcp_info ta;
	int c, s;

	watch(2 * 1448);	/* the third segment is lost once */
	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, N, 10000), N);
	run_ms(2000);
	ta = info_of(a, c);

	cr_assert_gt(seen[LINK_A_TO_B].resent_segs, 0, "the link saw a resend");
	cr_expect_eq(ta.tcpi_total_retrans, seen[LINK_A_TO_B].resent_segs);
	cr_expect_eq(ta.tcpi_bytes_retrans, seen[LINK_A_TO_B].resent_bytes);
	cr_expect_eq(ta.tcpi_bytes_sent, seen[LINK_A_TO_B].bytes, "resends included");
	cr_expect_eq(ta.tcpi_data_segs_out, seen[LINK_A_TO_B].data_segs);
	cr_expect_eq(ta.tcpi_bytes_acked, N + 1);
	cr_expect_eq(ta.tcpi_retrans, 0, "nothing resent is still out");
	cr_expect_eq(ta.tcpi_ca_state, NC_TCPI_CA_OPEN, "recovery is over");
	cr_expect_neq(ta.tcpi_snd_ssthresh, NC_TCPI_INFINITE_SSTHRESH, "the loss set ssthresh");
}
