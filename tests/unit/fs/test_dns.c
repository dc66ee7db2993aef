/*
 * DNS for /net/cs: the query encoder, the reply parser against
 * well-formed, compressed and hostile messages, and the resolver state
 * machine (retries, timeout, cache, TTL) on a virtual clock.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../../fs/dns.h"

/* ---- building messages ---- */

struct msg {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void u16(struct msg *m, uint16_t v) { u8(m, (uint8_t)(v >> 8)); u8(m, (uint8_t)v); }
static void u32(struct msg *m, uint32_t v) { u16(m, (uint16_t)(v >> 16)); u16(m, (uint16_t)v); }

static void header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	u16(m, id);
	u16(m, flags);
	u16(m, qd);
	u16(m, an);
	u16(m, 0);
	u16(m, 0);
}

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

static void ptr(struct msg *m, uint16_t off) { u16(m, 0xc000 | off); }

/* type, class IN, ttl, then rdlen: the caller writes rdlen bytes */
static void rr_head(struct msg *m, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	u16(m, type);
	u16(m, 1);
	u32(m, ttl);
	u16(m, rdlen);
}

static void a_record_at(struct msg *m, uint16_t owner, uint32_t ttl, uint32_t addr)
{
	ptr(m, owner);
	rr_head(m, 1, ttl, 4);
	u32(m, addr);
}

static void question(struct msg *m, const char *qname)
{
	name(m, qname);
	u16(m, 1);
	u16(m, 1);
}

/* A reply for qname: n A records (owner compressed to the question). */
static void simple_reply(struct msg *m, uint16_t id, int rcode, const char *qname, int n,
			 uint32_t ttl)
{
	header(m, id, (uint16_t)(0x8180 | rcode), 1, (uint16_t)n);
	question(m, qname);
	for (int i = 0; i < n; i++)
		a_record_at(m, 12, ttl, 0x0a000001 + (uint32_t)i);
}

/*
 * www.example.com: CNAME web.example.com (ttl 300, its rdata compressed
 * into the question's "example.com"), then two A records of web (ttl 60
 * and 120), their owners pointing into the CNAME's rdata.
 */
static void cname_reply(struct msg *m)
{
	size_t web;

	header(m, 0x4242, 0x8180, 1, 3);
	question(m, "www.example.com");
	ptr(m, 12);
	rr_head(m, 5, 300, 6);
	web = m->n;
	u8(m, 3);
	memcpy(m->b + m->n, "web", 3);
	m->n += 3;
	ptr(m, 16);		/* "example.com" inside the question */
	a_record_at(m, (uint16_t)web, 60, 0x0a000001);
	a_record_at(m, (uint16_t)web, 120, 0x0a000002);
}

static uint32_t addr_of(const struct dns_answer *a, int i)
{
	return ntohl(a->addr[i].s6_addr32[3]);
}

/* ---- the encoder ---- */

Test(dns_codec, query_wire_format)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
	};
	uint8_t buf[DNS_MSG_MAX];

	cr_assert_eq(dns_encode_query(buf, sizeof buf, 0x1234, "www.example.com", DNS_T_A), sizeof want);
	cr_assert_eq(memcmp(buf, want, sizeof want), 0);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 0x1234, "www.example.com.", DNS_T_A), sizeof want);
	cr_assert_eq(memcmp(buf, want, sizeof want), 0);
	cr_assert_eq(dns_encode_query(buf, sizeof want - 1, 0x1234, "www.example.com", DNS_T_A), -ENOSPC);
}

Test(dns_codec, query_rejects_what_is_not_a_host_name)
{
	char longlabel[80], longname[300];
	uint8_t buf[DNS_MSG_MAX];

	memset(longlabel, 'a', 64);
	longlabel[64] = '\0';
	for (int i = 0; i < 255; i++)	/* a.a.a…a: 255 characters */
		longname[i] = (i % 2) ? '.' : 'a';
	longname[255] = '\0';
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, "", DNS_T_A), -EINVAL);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, ".", DNS_T_A), -EINVAL);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, "a..b", DNS_T_A), -EINVAL);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, ".a", DNS_T_A), -EINVAL);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, "a b", DNS_T_A), -EINVAL);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, "a\\.b", DNS_T_A), -EINVAL);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, longlabel, DNS_T_A), -EINVAL);
	cr_assert_eq(dns_encode_query(buf, sizeof buf, 1, longname, DNS_T_A), -EINVAL);
	longlabel[63] = '\0';
	cr_assert_gt(dns_encode_query(buf, sizeof buf, 1, longlabel, DNS_T_A), 0);
	longname[253] = '\0';
	cr_assert_gt(dns_encode_query(buf, sizeof buf, 1, longname, DNS_T_A), 0);
}

/* ---- the parser ---- */

Test(dns_codec, plain_reply)
{
	struct msg m;
	struct dns_reply r;

	simple_reply(&m, 0x77, 0, "host.x.test", 2, 3600);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_eq(r.id, 0x77);
	cr_assert_eq(r.rcode, 0);
	cr_assert_str_eq(r.qname, "host.x.test");
	cr_assert_eq(r.qtype, 1);
	cr_assert_eq(r.qclass, 1);
	cr_assert_eq(r.ans.n, 2);
	cr_assert_eq(addr_of(&r.ans, 0), 0x0a000001);
	cr_assert_eq(addr_of(&r.ans, 1), 0x0a000002);
	cr_assert_eq(r.ans.ttl, 3600);
}

Test(dns_codec, cname_chain_with_compression)
{
	struct msg m;
	struct dns_reply r;

	cname_reply(&m);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_str_eq(r.qname, "www.example.com");
	cr_assert_eq(r.ans.n, 2);
	cr_assert_eq(addr_of(&r.ans, 0), 0x0a000001);
	cr_assert_eq(addr_of(&r.ans, 1), 0x0a000002);
	cr_assert_eq(r.ans.ttl, 60, "the least TTL on the way");
}

Test(dns_codec, records_of_other_names_are_ignored_and_order_does_not_matter)
{
	struct msg m;
	struct dns_reply r;
	size_t other;

	header(&m, 1, 0x8180, 1, 3);
	question(&m, "a.test");
	/* an A record of another name first, written in full */
	other = m.n;
	name(&m, "b.test");
	rr_head(&m, 1, 10, 4);
	u32(&m, 0x01020304);
	/* then the A record of the alias target, then the alias */
	a_record_at(&m, (uint16_t)other, 20, 0x05060708);
	ptr(&m, 12);
	rr_head(&m, 5, 30, 2);
	ptr(&m, (uint16_t)other);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_eq(r.ans.n, 2, "a.test is b.test, which has two addresses");
	cr_assert_eq(addr_of(&r.ans, 0), 0x01020304);
	cr_assert_eq(addr_of(&r.ans, 1), 0x05060708);
	cr_assert_eq(r.ans.ttl, 10);
}

Test(dns_codec, names_compare_without_case)
{
	struct msg m;
	struct dns_reply r;

	header(&m, 1, 0x8180, 1, 1);
	question(&m, "WwW.Example.COM");
	name(&m, "www.EXAMPLE.com");
	rr_head(&m, 1, 5, 4);
	u32(&m, 0x0a0b0c0d);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_eq(r.ans.n, 1);
}

Test(dns_codec, at_most_max_addresses_are_kept)
{
	struct msg m;
	struct dns_reply r;

	simple_reply(&m, 1, 0, "many.test", 20, 50);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_eq(r.ans.n, DNS_MAX_ADDRS);
}

Test(dns_codec, nxdomain_and_ttl_with_the_top_bit)
{
	struct msg m;
	struct dns_reply r;

	simple_reply(&m, 9, 3, "no.test", 0, 0);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_eq(r.rcode, 3);
	cr_assert_eq(r.ans.n, 0);
	simple_reply(&m, 9, 0, "odd.test", 1, 0x80000000u);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_eq(r.ans.ttl, 0, "RFC 2181: a TTL with the top bit is zero");
}

/* ---- hostile replies ---- */

Test(dns_hostile, every_truncation_is_an_error)
{
	struct msg m;
	struct dns_reply r;

	cname_reply(&m);
	for (size_t len = 0; len < m.n; len++)
		cr_assert_eq(dns_parse_reply(m.b, len, &r), -EBADMSG, "length %zu", len);
}

Test(dns_hostile, pointer_to_itself)
{
	struct msg m;
	struct dns_reply r;

	header(&m, 1, 0x8180, 1, 0);
	ptr(&m, 12);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_hostile, pointer_loop_between_two_names)
{
	struct msg m;
	struct dns_reply r;

	/* answer 1's name is label "x" then a pointer to answer 2's name,
	 * which points back at answer 1's */
	header(&m, 1, 0x8180, 1, 2);
	question(&m, "q.test");
	size_t first = m.n;
	u8(&m, 1);
	u8(&m, 'x');
	ptr(&m, (uint16_t)(first + 2 + 2 + 10 + 4));
	rr_head(&m, 1, 1, 4);
	u32(&m, 1);
	ptr(&m, (uint16_t)first);
	rr_head(&m, 1, 1, 4);
	u32(&m, 2);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_hostile, forward_pointer)
{
	struct msg m;
	struct dns_reply r;

	header(&m, 1, 0x8180, 1, 1);
	question(&m, "q.test");
	ptr(&m, (uint16_t)(m.n + 20));	/* into what follows */
	rr_head(&m, 1, 1, 4);
	u32(&m, 1);
	name(&m, "q.test");
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

/* Answer 1 is an unknown record whose data is a chain of hops pointers,
 * each to the one before, the first to the question's name; answer 2's
 * name points at the last, so reading it follows hops + 1 pointers. */
static int pointer_chain(int hops)
{
	struct msg m;
	struct dns_reply r;
	size_t base;

	header(&m, 1, 0x8180, 1, 2);
	question(&m, "q.test");
	name(&m, "pad.test");
	rr_head(&m, 99, 1, (uint16_t)(2 * hops));
	base = m.n;
	ptr(&m, 12);
	for (int i = 1; i < hops; i++)
		ptr(&m, (uint16_t)(base + 2 * (i - 1)));
	ptr(&m, (uint16_t)(base + 2 * (hops - 1)));
	rr_head(&m, 1, 7, 4);
	u32(&m, 0x0a000001);
	int err = dns_parse_reply(m.b, m.n, &r);
	if (err == 0)
		cr_assert_eq(r.ans.n, 1, "the chain ends at q.test");
	return err;
}

Test(dns_hostile, long_pointer_chains_are_cut)
{
	cr_assert_eq(pointer_chain(8), 0);
	cr_assert_eq(pointer_chain(40), -EBADMSG);
}

Test(dns_hostile, bad_labels)
{
	struct msg m;
	struct dns_reply r;

	header(&m, 1, 0x8180, 1, 0);
	u8(&m, 0x41);		/* extended label type */
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);

	header(&m, 1, 0x8180, 1, 0);
	u8(&m, 40);		/* longer than the message */
	memcpy(m.b + m.n, "abc", 3);
	m.n += 3;
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);

	header(&m, 1, 0x8180, 1, 0);
	u8(&m, 3);
	memcpy(m.b + m.n, "a.b", 3);	/* a dot inside a label */
	m.n += 3;
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_hostile, name_longer_than_255_bytes)
{
	struct msg m;
	struct dns_reply r;

	header(&m, 1, 0x8180, 1, 0);
	for (int i = 0; i < 5; i++) {
		u8(&m, 63);
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_hostile, record_data_past_the_end_and_bad_a_length)
{
	struct msg m;
	struct dns_reply r;

	simple_reply(&m, 1, 0, "q.test", 1, 5);
	m.b[m.n - 6] = 0x10;	/* rdlen 0x1004 */
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);

	header(&m, 1, 0x8180, 1, 1);
	question(&m, "q.test");
	ptr(&m, 12);
	rr_head(&m, 1, 5, 5);
	u32(&m, 1);
	u8(&m, 0);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_hostile, header_checks)
{
	struct msg m;
	struct dns_reply r;

	simple_reply(&m, 1, 0, "q.test", 1, 5);
	m.b[2] &= 0x7f;		/* a query, not a response */
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
	simple_reply(&m, 1, 0, "q.test", 1, 5);
	m.b[2] |= 0x08;		/* opcode 1 */
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
	simple_reply(&m, 1, 0, "q.test", 1, 5);
	m.b[5] = 0;		/* no question */
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
	m.b[5] = 2;		/* two */
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
	simple_reply(&m, 1, 0, "q.test", 1, 5);
	m.b[7] = 9;		/* more answers than there are */
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_hostile, cname_loop)
{
	struct msg m;
	struct dns_reply r;
	size_t b;

	header(&m, 1, 0x8180, 1, 2);
	question(&m, "a.test");
	ptr(&m, 12);		/* a.test CNAME b.test */
	rr_head(&m, 5, 1, 8);
	b = m.n;
	name(&m, "b.test");
	ptr(&m, (uint16_t)b);	/* b.test CNAME a.test */
	rr_head(&m, 5, 1, 2);
	ptr(&m, 12);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_hostile, cname_data_longer_than_its_name)
{
	struct msg m;
	struct dns_reply r;

	header(&m, 1, 0x8180, 1, 1);
	question(&m, "a.test");
	ptr(&m, 12);
	rr_head(&m, 5, 1, 4);
	ptr(&m, 12);
	u16(&m, 0xdead);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

/* Mutations of a valid reply: the parser must answer 0 or -EBADMSG, and
 * what it fills must stay within bounds (ASan watches the reads). */
Test(dns_hostile, random_mutations_never_crash)
{
	struct msg orig, m;
	struct dns_reply r;
	int ok = 0, bad = 0;

	cname_reply(&orig);
	for (int i = 0; i < 50000; i++) {
		m = orig;
		for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
			m.b[rnd() % m.n] = (uint8_t)rnd();
		if (rnd() % 4 == 0)
			m.n = rnd() % (m.n + 1);
		int err = dns_parse_reply(m.b, m.n, &r);
		cr_assert(err == 0 || err == -EBADMSG);
		if (err == 0) {
			cr_assert_leq(r.ans.n, DNS_MAX_ADDRS);
			cr_assert_leq(strlen(r.qname), DNS_NAME_MAX);
			ok++;
		} else {
			bad++;
		}
	}
	cr_assert_gt(ok, 0);
	cr_assert_gt(bad, 0);
}

Test(dns_hostile, random_bytes_never_crash)
{
	uint8_t b[600];
	struct dns_reply r;

	for (int i = 0; i < 20000; i++) {
		size_t n = rnd() % sizeof b;
		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)rnd();
		if (n > 6) {	/* often a plausible header, to get further */
			b[2] = 0x81;
			b[4] = 0;
			b[5] = 1;
			b[6] = 0;
		}
		int err = dns_parse_reply(b, n, &r);
		cr_assert(err == 0 || err == -EBADMSG);
	}
}

/* ---- the resolver ---- */

struct result {
	int calls, err;
	struct dns_answer ans;
};

static void done(void *arg, int err, const struct dns_answer *ans)
{
	struct result *res = arg;

	res->calls++;
	res->err = err;
	if (ans != NULL)
		res->ans = *ans;
}

static struct dns *d;
static uint8_t out[DNS_MSG_MAX];

static void resolver_setup(void)
{
	d = dns_new(1000, 3, 42);
	cr_assert_not_null(d);
}

static void resolver_teardown(void)
{
	dns_free(d);
}

TestSuite(dns_resolver, .init = resolver_setup, .fini = resolver_teardown);

/* The query due at now: checks it asks for name, returns its id. */
static uint16_t take_query(uint64_t now, const char *qname)
{
	uint8_t want[DNS_MSG_MAX];
	size_t n = dns_output(d, now, out, sizeof out);
	int wn = dns_encode_query(want, sizeof want, (uint16_t)(out[0] << 8 | out[1]), qname, DNS_T_A);

	cr_assert_gt(n, 0, "a query is due at %llu", (unsigned long long)now);
	cr_assert_eq(n, (size_t)wn);
	cr_assert_eq(memcmp(out, want, n), 0);
	return (uint16_t)(out[0] << 8 | out[1]);
}

Test(dns_resolver, answer_then_cache_until_the_ttl)
{
	struct result res = { 0 };
	struct dns_answer ans;
	struct msg m;
	uint16_t id;
	int h;

	h = dns_lookup(d, 0, "www.example.com", DNS_T_A, &ans, done, &res);
	cr_assert_gt(h, 0);
	cr_assert_eq(dns_deadline(d), 0);
	id = take_query(0, "www.example.com");
	cr_assert_eq(dns_output(d, 0, out, sizeof out), 0, "one query at a time");
	cr_assert_eq(dns_deadline(d), 1000);

	cname_reply(&m);
	m.b[0] = (uint8_t)(id >> 8);
	m.b[1] = (uint8_t)id;
	dns_input(d, 20, m.b, m.n);
	cr_assert_eq(res.calls, 1);
	cr_assert_eq(res.err, 0);
	cr_assert_eq(res.ans.n, 2);
	cr_assert_eq(addr_of(&res.ans, 1), 0x0a000002);
	cr_assert_eq(dns_deadline(d), UINT64_MAX);

	/* from the cache, any case, with what is left of the TTL */
	cr_assert_eq(dns_lookup(d, 10020, "WWW.Example.COM.", DNS_T_A, &ans, done, &res), 0);
	cr_assert_eq(ans.n, 2);
	cr_assert_eq(ans.ttl, 50);
	cr_assert_eq(dns_output(d, 10020, out, sizeof out), 0);
	cr_assert_eq(res.calls, 1);
	/* expired: asked again */
	cr_assert_gt(dns_lookup(d, 60020, "www.example.com", DNS_T_A, &ans, done, &res), 0);
	take_query(60020, "www.example.com");
}

Test(dns_resolver, retries_with_doubling_timeout_then_gives_up)
{
	struct result res = { 0 };
	struct dns_answer ans;
	uint16_t id;

	cr_assert_gt(dns_lookup(d, 0, "slow.test", DNS_T_A, &ans, done, &res), 0);
	id = take_query(0, "slow.test");
	cr_assert_eq(dns_output(d, 999, out, sizeof out), 0);
	cr_assert_eq(take_query(1000, "slow.test"), id, "a retry keeps the id");
	cr_assert_eq(dns_deadline(d), 3000);
	cr_assert_eq(take_query(3000, "slow.test"), id);
	cr_assert_eq(dns_deadline(d), 7000);
	dns_advance(d, 6999);
	cr_assert_eq(res.calls, 0);
	cr_assert_eq(dns_output(d, 7000, out, sizeof out), 0, "no fourth try");
	dns_advance(d, 7000);
	cr_assert_eq(res.calls, 1);
	cr_assert_eq(res.err, -ETIMEDOUT);
	cr_assert_eq(dns_deadline(d), UINT64_MAX);
}

Test(dns_resolver, late_answer_to_the_first_try_is_taken)
{
	struct result res = { 0 };
	struct dns_answer ans;
	struct msg m;
	uint16_t id;

	cr_assert_gt(dns_lookup(d, 0, "late.test", DNS_T_A, &ans, done, &res), 0);
	id = take_query(0, "late.test");
	take_query(1000, "late.test");
	simple_reply(&m, id, 0, "late.test", 1, 30);
	dns_input(d, 1500, m.b, m.n);
	cr_assert_eq(res.calls, 1);
	cr_assert_eq(res.err, 0);
	cr_assert_eq(res.ans.n, 1);
}

static void answer(uint64_t now, const char *qname, int rcode, int n, uint32_t ttl)
{
	struct msg m;
	uint16_t id = take_query(now, qname);

	simple_reply(&m, id, rcode, qname, n, ttl);
	dns_input(d, now + 1, m.b, m.n);
}

Test(dns_resolver, negative_answers)
{
	struct result res = { 0 };
	struct dns_answer ans;

	cr_assert_gt(dns_lookup(d, 0, "no.test", DNS_T_A, &ans, done, &res), 0);
	answer(0, "no.test", 3, 0, 0);
	cr_assert_eq(res.err, -ENOENT);
	cr_assert_gt(dns_lookup(d, 5, "no.test", DNS_T_A, &ans, done, &res), 0, "not cached");
	answer(5, "no.test", 0, 0, 0);
	cr_assert_eq(res.err, -ENOENT, "no address");
	cr_assert_gt(dns_lookup(d, 10, "fail.test", DNS_T_A, &ans, done, &res), 0);
	answer(10, "fail.test", 2, 0, 0);
	cr_assert_eq(res.err, -EIO);
	cr_assert_eq(res.calls, 3);
}

Test(dns_resolver, zero_ttl_is_not_cached)
{
	struct result res = { 0 };
	struct dns_answer ans;

	cr_assert_gt(dns_lookup(d, 0, "z.test", DNS_T_A, &ans, done, &res), 0);
	answer(0, "z.test", 0, 1, 0);
	cr_assert_eq(res.err, 0);
	cr_assert_gt(dns_lookup(d, 2, "z.test", DNS_T_A, &ans, done, &res), 0);
}

Test(dns_resolver, replies_that_do_not_match_are_ignored)
{
	struct result res = { 0 };
	struct dns_answer ans;
	struct msg m;
	uint16_t id;

	cr_assert_gt(dns_lookup(d, 0, "m.test", DNS_T_A, &ans, done, &res), 0);
	id = take_query(0, "m.test");
	simple_reply(&m, (uint16_t)(id + 1), 0, "m.test", 1, 30);
	dns_input(d, 1, m.b, m.n);
	simple_reply(&m, id, 0, "other.test", 1, 30);
	dns_input(d, 1, m.b, m.n);
	simple_reply(&m, id, 0, "m.test", 1, 30);
	dns_input(d, 1, m.b, m.n - 1);	/* truncated */
	header(&m, id, 0x8180, 1, 0);	/* about AAAA */
	name(&m, "m.test");
	u16(&m, 28);
	u16(&m, 1);
	dns_input(d, 1, m.b, m.n);
	cr_assert_eq(res.calls, 0);
	simple_reply(&m, id, 0, "M.TEST", 1, 30);	/* 0x20 case */
	dns_input(d, 2, m.b, m.n);
	cr_assert_eq(res.calls, 1);
	cr_assert_eq(res.err, 0);
	dns_input(d, 3, m.b, m.n);
	cr_assert_eq(res.calls, 1, "a second copy finds nothing in flight");
}

Test(dns_resolver, cancel_means_no_callback)
{
	struct result res = { 0 };
	struct dns_answer ans;
	struct msg m;
	uint16_t id;
	int h;

	h = dns_lookup(d, 0, "c.test", DNS_T_A, &ans, done, &res);
	cr_assert_gt(h, 0);
	id = take_query(0, "c.test");
	dns_cancel(d, h);
	simple_reply(&m, id, 0, "c.test", 1, 30);
	dns_input(d, 1, m.b, m.n);
	dns_advance(d, 100000);
	cr_assert_eq(res.calls, 0);
	cr_assert_eq(dns_deadline(d), UINT64_MAX);
}

Test(dns_resolver, lookups_in_flight_are_bounded_and_names_checked)
{
	struct result res = { 0 };
	struct dns_answer ans;
	char n[32];

	cr_assert_eq(dns_lookup(d, 0, "bad name", DNS_T_A, &ans, done, &res), -EINVAL);
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++) {
		snprintf(n, sizeof n, "h%d.test", i);
		cr_assert_gt(dns_lookup(d, 0, n, DNS_T_A, &ans, done, &res), 0);
	}
	cr_assert_eq(dns_lookup(d, 0, "one.more.test", DNS_T_A, &ans, done, &res), -ENOSPC);
	/* every try of every lookup, then the end */
	for (uint64_t t = 0; t <= 3000; t = 2 * t + 1000) {
		for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
			cr_assert_gt(dns_output(d, t, out, sizeof out), 0);
		cr_assert_eq(dns_output(d, t, out, sizeof out), 0);
	}
	dns_advance(d, 7000);
	cr_assert_eq(res.calls, DNS_MAX_LOOKUPS);
	cr_assert_gt(dns_lookup(d, 7000, "one.more.test", DNS_T_A, &ans, done, &res), 0);
}

static struct result chained;

static void lookup_again(void *arg, int err, const struct dns_answer *ans)
{
	struct dns_answer a;

	done(arg, err, ans);
	cr_assert_gt(dns_lookup(d, 5, "second.test", DNS_T_A, &a, done, &chained), 0);
}

Test(dns_resolver, a_callback_may_start_another_lookup)
{
	struct result res = { 0 };
	struct dns_answer ans;

	cr_assert_gt(dns_lookup(d, 0, "first.test", DNS_T_A, &ans, lookup_again, &res), 0);
	answer(0, "first.test", 0, 1, 30);
	cr_assert_eq(res.calls, 1);
	answer(5, "second.test", 0, 2, 30);
	cr_assert_eq(chained.calls, 1);
	cr_assert_eq(chained.ans.n, 2);
}

Test(dns_resolver, cache_keeps_working_past_its_size)
{
	struct result res = { 0 };
	struct dns_answer ans;
	char n[32];

	for (int i = 0; i < 200; i++) {
		snprintf(n, sizeof n, "c%d.test", i);
		cr_assert_gt(dns_lookup(d, (uint64_t)i, n, DNS_T_A, &ans, done, &res), 0);
		answer((uint64_t)i, n, 0, 1, 1000 + (uint32_t)i);
		cr_assert_eq(res.err, 0);
	}
	cr_assert_eq(dns_lookup(d, 300, "c199.test", DNS_T_A, &ans, done, &res), 0, "the newest is kept");
	cr_assert_eq(ans.n, 1);
}

Test(dns_resolver, in_flight_by_id_until_it_ends)
{
	struct result res = { 0 };
	struct dns_answer ans;
	struct msg m;
	uint16_t id;

	cr_assert_gt(dns_lookup(d, 0, "flight.test", DNS_T_A, &ans, done, &res), 0);
	id = take_query(0, "flight.test");
	cr_assert(dns_in_flight(d, id));
	cr_assert_not(dns_in_flight(d, (uint16_t)(id + 1)));
	simple_reply(&m, id, 0, "flight.test", 1, 30);
	dns_input(d, 10, m.b, m.n);
	cr_assert_eq(res.calls, 1);
	cr_assert_not(dns_in_flight(d, id), "its socket may go");
}

/* The ids of the first queries of eight lookups by r. */
static void first_ids(struct dns *r, uint16_t ids[8])
{
	struct result res = { 0 };
	struct dns_answer ans;
	char name[32];

	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "host%d.test", i);
		cr_assert_gt(dns_lookup(r, 0, name, DNS_T_A, &ans, done, &res), 0);
		cr_assert_gt(dns_output(r, 0, out, sizeof out), 0);
		ids[i] = (uint16_t)(out[0] << 8 | out[1]);
	}
}

Test(dns_ids, from_the_kernel_without_a_seed_reproducible_with_one)
{
	struct dns *r1 = dns_new(0, 0, 0), *r2 = dns_new(0, 0, 0);
	struct dns *s1 = dns_new(0, 0, 7), *s2 = dns_new(0, 0, 7);
	uint16_t a[8], b[8], c[8], e[8];

	first_ids(r1, a);
	first_ids(r2, b);
	first_ids(s1, c);
	first_ids(s2, e);
	/* two daemons: a chance of 2^-128 that eight ids all match */
	cr_assert_neq(memcmp(a, b, sizeof a), 0, "two resolvers, one id sequence");
	cr_assert_eq(memcmp(c, e, sizeof c), 0, "one seed, two id sequences");
	dns_free(r1);
	dns_free(r2);
	dns_free(s1);
	dns_free(s2);
}

/* ---- AAAA (RFC 3596) ---- */

/* A reply to the AAAA question of qname with one AAAA record fd77::N
 * and one A record beside it (which an AAAA lookup does not take). */
static void aaaa_reply(struct msg *m, uint16_t id, const char *qname, uint8_t n)
{
	static uint8_t v6[16] = { 0xfd, 0x77 };

	header(m, id, 0x8180, 1, 2);
	name(m, qname);
	u16(m, DNS_T_AAAA);
	u16(m, 1);
	ptr(m, 12);
	rr_head(m, DNS_T_AAAA, 60, 16);
	v6[15] = n;
	memcpy(m->b + m->n, v6, 16);
	m->n += 16;
	a_record_at(m, 12, 60, 0x0a000001);
}

Test(dns_codec, aaaa_query_and_reply)
{
	uint8_t buf[DNS_MSG_MAX];
	struct dns_reply r;
	struct msg m;
	int n = dns_encode_query(buf, sizeof buf, 7, "v6.test", DNS_T_AAAA);

	cr_assert_gt(n, 4);
	cr_assert_eq(buf[n - 4] << 8 | buf[n - 3], DNS_T_AAAA, "the question's type");
	aaaa_reply(&m, 7, "v6.test", 5);
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), 0);
	cr_assert_eq(r.qtype, DNS_T_AAAA);
	cr_assert_eq(r.ans.n, 1, "the AAAA record only");
	cr_assert_eq(r.ans.addr[0].s6_addr[0], 0xfd);
	cr_assert_eq(r.ans.addr[0].s6_addr[15], 5);
	/* an AAAA record of another length is malformed */
	m.b[m.n - 16 - 16 - 1] = 4;	/* the low byte of its rdlen */
	cr_assert_eq(dns_parse_reply(m.b, m.n, &r), -EBADMSG);
}

Test(dns_resolver, aaaa_lookup_apart_from_a)
{
	struct result res = { 0 };
	struct dns_answer ans;
	uint8_t want[DNS_MSG_MAX];
	struct msg m;
	size_t n;
	uint16_t id;
	int wn;

	cr_assert_gt(dns_lookup(d, 0, "v6.test", DNS_T_AAAA, &ans, done, &res), 0);
	n = dns_output(d, 0, out, sizeof out);
	id = (uint16_t)(out[0] << 8 | out[1]);
	wn = dns_encode_query(want, sizeof want, id, "v6.test", DNS_T_AAAA);
	cr_assert_eq(n, (size_t)wn);
	cr_assert_eq(memcmp(out, want, n), 0, "an AAAA question");
	/* an A reply with the right id is not the answer */
	simple_reply(&m, id, 0, "v6.test", 1, 60);
	dns_input(d, 10, m.b, m.n);
	cr_assert_eq(res.calls, 0);
	aaaa_reply(&m, id, "v6.test", 9);
	dns_input(d, 20, m.b, m.n);
	cr_assert_eq(res.calls, 1);
	cr_assert_eq(res.err, 0);
	cr_assert_eq(res.ans.n, 1);
	cr_assert_eq(res.ans.addr[0].s6_addr[15], 9);
	/* the cache keeps it under AAAA only: A is asked anew */
	cr_assert_eq(dns_lookup(d, 30, "v6.test", DNS_T_AAAA, &ans, done, &res), 0);
	cr_assert_eq(ans.addr[0].s6_addr[15], 9);
	cr_assert_gt(dns_lookup(d, 30, "v6.test", DNS_T_A, &ans, done, &res), 0);
	cr_assert_eq(dns_lookup(d, 30, "v6.test", 99, &ans, done, &res), -EINVAL);
}
