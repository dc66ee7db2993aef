/*
 * DNS answers as the dns file shows them (fs/dnsrr.c): each record type
 * in 9front's line format, compressed names, records of other types or
 * classes skipped, malformed and random messages refused without a
 * crash; c-ares statuses as errnos; --dns lists; ptr names. (The
 * protocol itself, ids, retries and TCP, is c-ares's: e2e cs_dns.sh.)
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../fs/dnsrr.h"

/* ---- building messages ---- */

struct msg {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void u16(struct msg *m, uint16_t v) { u8(m, (uint8_t)(v >> 8)); u8(m, (uint8_t)v); }
static void u32(struct msg *m, uint32_t v) { u16(m, (uint16_t)(v >> 16)); u16(m, (uint16_t)v); }

/* A name as labels, uncompressed, ending in the root label. */
static void name(struct msg *m, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);

		u8(m, (uint8_t)len);
		memcpy(m->b + m->n, dotted, len);
		m->n += len;
		dotted += len + (dot != NULL);
	}
	u8(m, 0);
}

/* A reply's header and its question (qname at offset 12), an answers. */
static void reply(struct msg *m, const char *qname, uint16_t qtype, uint16_t an)
{
	m->n = 0;
	u16(m, 0x1234);
	u16(m, 0x8180);
	u16(m, 1);
	u16(m, an);
	u16(m, 0);
	u16(m, 0);
	name(m, qname);
	u16(m, qtype);
	u16(m, ns_c_in);
}

/* A record of the question's name (compressed), its data rdlen bytes
 * that the caller writes next. */
static void rr(struct msg *m, uint16_t type, uint16_t rdlen)
{
	u16(m, 0xc000 | 12);
	u16(m, type);
	u16(m, ns_c_in);
	u32(m, 300);
	u16(m, rdlen);
}

/* The lines of m for type, as one string (freed by the caller); *n the
 * count dns_rr_lines gave. */
static char *lines(const struct msg *m, int type, int *n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	*n = dns_rr_lines(f, m->b, (int)m->n, type);
	fclose(f);
	return text;
}

static void expect(const struct msg *m, int type, int n, const char *want)
{
	int got;
	char *text = lines(m, type, &got);

	cr_expect_eq(got, n, "%d lines, want %d", got, n);
	cr_expect_str_eq(text, want);
	free(text);
}

/* ---- the record types ---- */

Test(dns_rr, mx_two_records_with_a_compressed_host)
{
	struct msg m;

	reply(&m, "x.test", ns_t_mx, 2);
	rr(&m, ns_t_mx, 2 + 7);
	u16(&m, 10);
	u8(&m, 4);
	memcpy(m.b + m.n, "mail", 4);
	m.n += 4;
	u16(&m, 0xc000 | 12);	/* mail.x.test */
	rr(&m, ns_t_mx, 2 + 2);
	u16(&m, 20);
	u16(&m, 0xc000 | 12);	/* x.test itself */
	expect(&m, ns_t_mx, 2, "x.test mx\t10 mail.x.test\nx.test mx\t20 x.test\n");
}

Test(dns_rr, ptr_cname_ns_give_a_name)
{
	static const struct { int type; const char *word; } t[] = {
		{ ns_t_ptr, "ptr" }, { ns_t_cname, "cname" }, { ns_t_ns, "ns" },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct msg m;
		char want[64];

		reply(&m, "2.0.77.10.in-addr.arpa", (uint16_t)t[i].type, 1);
		rr(&m, (uint16_t)t[i].type, 13);
		name(&m, "host.x.test");
		snprintf(want, sizeof want, "2.0.77.10.in-addr.arpa %s\thost.x.test\n", t[i].word);
		expect(&m, t[i].type, 1, want);
	}
}

Test(dns_rr, txt_strings_joined_controls_masked)
{
	struct msg m;

	reply(&m, "t.x.test", ns_t_txt, 1);
	rr(&m, ns_t_txt, 1 + 5 + 1 + 4);
	u8(&m, 5);
	memcpy(m.b + m.n, "hello", 5);
	m.n += 5;
	u8(&m, 4);
	memcpy(m.b + m.n, " w\no", 4);
	m.n += 4;
	expect(&m, ns_t_txt, 1, "t.x.test txt\thello w?o\n");
}

Test(dns_rr, srv_soa_and_addresses)
{
	struct msg m;

	reply(&m, "s.x.test", ns_t_any, 4);
	rr(&m, ns_t_srv, 6 + 2);
	u16(&m, 1);
	u16(&m, 5);
	u16(&m, 5060);
	u16(&m, 0xc000 | 12);
	rr(&m, ns_t_soa, 2 + 2 + 20);
	u16(&m, 0xc000 | 12);
	u16(&m, 0xc000 | 12);
	for (uint32_t v = 1; v <= 5; v++)
		u32(&m, v);
	rr(&m, ns_t_a, 4);
	u32(&m, 0x0a4d0001);
	rr(&m, ns_t_aaaa, 16);
	u16(&m, 0xfd77);
	for (int i = 0; i < 6; i++)
		u16(&m, 0);
	u16(&m, 1);
	expect(&m, ns_t_any, 4,
	       "s.x.test srv\t1 5 5060 s.x.test\n"
	       "s.x.test soa\ts.x.test s.x.test 1 2 3 4 5\n"
	       "s.x.test ip\t10.77.0.1\n"
	       "s.x.test ipv6\tfd77::1\n");
	/* asked for one type: only its records */
	expect(&m, ns_t_srv, 1, "s.x.test srv\t1 5 5060 s.x.test\n");
	expect(&m, ns_t_mx, 0, "");
}

Test(dns_rr, other_classes_and_unknown_types_are_skipped)
{
	struct msg m;

	reply(&m, "x.test", ns_t_any, 2);
	u16(&m, 0xc000 | 12);
	u16(&m, ns_t_a);
	u16(&m, 3);		/* CHAOS */
	u32(&m, 0);
	u16(&m, 4);
	u32(&m, 0x0a4d0001);
	rr(&m, 99, 2);		/* SPF-like, not one of ours */
	u16(&m, 0);
	expect(&m, ns_t_any, 0, "");
}

/* ---- hostile messages ---- */

Test(dns_rr, every_truncation_is_refused)
{
	struct msg m;
	int n;

	reply(&m, "x.test", ns_t_mx, 1);
	rr(&m, ns_t_mx, 2 + 2);
	u16(&m, 10);
	u16(&m, 0xc000 | 12);
	for (size_t cut = 0; cut < m.n; cut++) {
		struct msg t = m;

		t.n = cut;
		free(lines(&t, ns_t_mx, &n));
		cr_expect_eq(n, -1, "cut at %zu: %d", cut, n);
	}
}

Test(dns_rr, bad_lengths_and_pointer_loops_are_refused)
{
	struct msg m;
	int n;

	reply(&m, "x.test", ns_t_a, 1);
	rr(&m, ns_t_a, 3);	/* an A of 3 bytes */
	u8(&m, 1), u8(&m, 2), u8(&m, 3);
	free(lines(&m, ns_t_a, &n));
	cr_expect_eq(n, -1);

	reply(&m, "x.test", ns_t_ptr, 1);
	rr(&m, ns_t_ptr, 2);
	u16(&m, (uint16_t)(0xc000 | m.n));	/* points at itself */
	free(lines(&m, ns_t_ptr, &n));
	cr_expect_eq(n, -1);

	reply(&m, "x.test", ns_t_mx, 1);
	rr(&m, ns_t_mx, 1);	/* no room for the preference */
	u8(&m, 0);
	free(lines(&m, ns_t_mx, &n));
	cr_expect_eq(n, -1);
}

Test(dns_rr, random_mutations_never_crash)
{
	struct msg base;

	reply(&base, "s.x.test", ns_t_any, 2);
	rr(&base, ns_t_srv, 6 + 2);
	u16(&base, 1), u16(&base, 5), u16(&base, 5060), u16(&base, 0xc000 | 12);
	rr(&base, ns_t_txt, 3);
	u8(&base, 2), u8(&base, 'h'), u8(&base, 'i');
	srand(7);
	for (int i = 0; i < 20000; i++) {
		struct msg m = base;
		int n;

		for (int k = 0; k < 1 + rand() % 4; k++)
			m.b[rand() % (int)m.n] = (uint8_t)rand();
		free(lines(&m, ns_t_any, &n));
		cr_assert(n >= -1 && n <= 2);
	}
}

/* ---- statuses, lists, ptr names, words ---- */

Test(dns_misc, statuses_map_to_distinct_errnos)
{
	cr_expect_eq(dns_errno(ARES_SUCCESS), 0);
	cr_expect_eq(dns_errno(ARES_ENOTFOUND), ENOENT);
	cr_expect_eq(dns_errno(ARES_ENODATA), ENOENT);
	cr_expect_eq(dns_errno(ARES_ETIMEOUT), ETIMEDOUT);
	cr_expect_eq(dns_errno(ARES_EREFUSED), ECONNREFUSED);
	cr_expect_eq(dns_errno(ARES_ECONNREFUSED), ECONNREFUSED);
	cr_expect_eq(dns_errno(ARES_ESERVFAIL), EIO);
	cr_expect_eq(dns_errno(ARES_EBADNAME), EINVAL);
	cr_expect_eq(dns_errno(ARES_EBADRESP), EBADMSG);
	cr_expect_eq(dns_errno(ARES_EDESTRUCTION), ECONNRESET);
}

Test(dns_misc, server_lists)
{
	cr_expect(dns_servers_ok("10.77.0.1"));
	cr_expect(dns_servers_ok("10.77.0.1,fd77::1,10.78.0.1"));
	cr_expect(!dns_servers_ok(""));
	cr_expect(!dns_servers_ok("10.77.0.1,"));
	cr_expect(!dns_servers_ok(",10.77.0.1"));
	cr_expect(!dns_servers_ok("10.77.0.1,,fd77::1"));
	cr_expect(!dns_servers_ok("[fd77::1]"));
	cr_expect(!dns_servers_ok("10.77.0.1:53"));
	cr_expect(!dns_servers_ok("ns.x.test"));
	cr_expect(dns_servers_ok("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8"));
	cr_expect(!dns_servers_ok("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9"));
}

Test(dns_misc, ptr_names)
{
	char out[DNS_NAME_MAX + 1];

	cr_assert_eq(dns_ptr_name("10.77.0.2", out, sizeof out), 0);
	cr_expect_str_eq(out, "2.0.77.10.in-addr.arpa");
	cr_assert_eq(dns_ptr_name("fd77::1", out, sizeof out), 0);
	cr_expect_str_eq(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.d.f.ip6.arpa");
	cr_assert_eq(dns_ptr_name("2.0.77.10.in-addr.arpa", out, sizeof out), 0);
	cr_expect_str_eq(out, "2.0.77.10.in-addr.arpa");
	cr_expect_eq(dns_ptr_name("fd77::1", out, 20), EINVAL);
}

Test(dns_misc, query_words)
{
	cr_expect_eq(dns_type("ip"), ns_t_a);
	cr_expect_eq(dns_type("ipv6"), ns_t_aaaa);
	cr_expect_eq(dns_type("mx"), ns_t_mx);
	cr_expect_eq(dns_type("ptr"), ns_t_ptr);
	cr_expect_eq(dns_type("all"), ns_t_any);
	cr_expect_eq(dns_type("frob"), 0);
	cr_expect_eq(dns_type("MX"), 0);
}
