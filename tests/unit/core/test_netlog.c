/*
 * The protocol event log (stack_log): what the core reports for the
 * protocols logged, and nothing for the others; the MSS after a new MTU.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "ip.h"
#include "sock.h"
#include "stack.h"

enum { MAXEV = 64 };

static struct log_event ev[MAXEV];
static int nev;

static void record(void *arg, const struct log_event *e)
{
	(void)arg;
	if (nev < MAXEV)
		ev[nev++] = *e;
}

static void log_on(struct stack *st, unsigned mask)
{
	st->log = record;
	st->log_arg = NULL;
	st->log_mask = mask;
}

/* How many events of what (and why, unless NULL) were recorded. */
static int count(const char *what, const char *why)
{
	int n = 0;

	for (int i = 0; i < nev; i++)
		n += strcmp(ev[i].what, what) == 0 && (why == NULL || (ev[i].why &&
							 strcmp(ev[i].why, why) == 0));
	return n;
}

static int has_state(int from, int to)
{
	for (int i = 0; i < nev; i++)
		if (strcmp(ev[i].what, "state") == 0 && ev[i].from == from && ev[i].to == to)
			return 1;
	return 0;
}

static void setup(void)
{
	nev = 0;
	two_stacks();
}

TestSuite(netlog, .init = setup, .fini = teardown);

Test(netlog, tcp_state_changes_of_a_connection)
{
	int c, s;

	log_on(a, LOG_TCP);
	make_pair(80, &c, &s);
	cr_assert(has_state(NC_TCP_CLOSED, NC_TCP_SYN_SENT));
	cr_assert(has_state(NC_TCP_SYN_SENT, NC_TCP_ESTABLISHED));
	for (int i = 0; i < nev; i++) {
		cr_assert_eq(ev[i].proto, LOG_TCP);
		cr_assert_eq(ev[i].src, A_ADDR);
		cr_assert_eq(ev[i].dst, B_ADDR);
		cr_assert_eq(ev[i].dport, 80);
	}
}

Test(netlog, nothing_when_the_protocol_is_not_logged)
{
	int c, s;

	log_on(a, LOG_IP | LOG_UDP | LOG_ICMP);
	make_pair(80, &c, &s);
	cr_assert_eq(nev, 0);
}

Test(netlog, a_refused_connect_logs_the_rsts)
{
	int fa = tcp_sock(a);

	log_on(a, LOG_TCP);
	log_on(b, LOG_TCP);
	connect_to(a, fa, B_ADDR, 81);	/* nobody listens */
	run_ms(50);
	cr_assert_eq(count("drop", "no connection"), 1, "b drops the SYN");
	cr_assert_eq(count("rst out", NULL), 1, "b resets");
	cr_assert_eq(count("rst in", NULL), 1, "a gets it");
	cr_assert(has_state(NC_TCP_SYN_SENT, NC_TCP_CLOSED));
}

Test(netlog, a_bad_checksum_is_a_drop)
{
	uint8_t pkt[IP_HLEN + TCP_HLEN], seg[TCP_HLEN] = { 0x9c, 0x40, 0, 80 };
	size_t len;

	seg[12] = 5 << 4;
	seg[13] = 0x02;	/* SYN, checksum left wrong */
	len = link_build_ip(pkt, B_ADDR, A_ADDR, IP_PROTO_TCP, seg, sizeof seg);
	log_on(a, LOG_TCP);
	stack_input(a, a->now, pkt, len);
	cr_assert_eq(count("drop", "bad checksum"), 1);
	cr_assert_eq(ev[0].sport, 40000);
	cr_assert_eq(ev[0].dport, 80);
}

Test(netlog, ip_drops_say_why)
{
	uint8_t pkt[IP_HLEN + 8], data[8] = { 0 };
	size_t len = link_build_ip(pkt, B_ADDR, 0x0a4d0063, 253, data, sizeof data);

	log_on(a, LOG_IP);
	stack_input(a, a->now, pkt, len);	/* to 10.77.0.99 */
	cr_assert_eq(count("drop", "not our address"), 1);
	cr_assert_eq(ev[0].dst, 0x0a4d0063);
}

/* A new MTU: the MSS of the connections made after it. */
Test(netlog, mtu_sets_the_mss_of_new_connections)
{
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;
	int c, s;

	cr_assert_eq(stack_set_mtu(a, 1400), 0);
	make_pair(80, &c, &s);
	cr_assert_eq(sock_getopt(b, s, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	cr_assert_eq(ti.mss, 1360, "b sends a's MSS");
}
