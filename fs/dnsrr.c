/*
 * DNS answers as text, c-ares statuses as errnos (see dnsrr.h). Names and
 * strings are read from the message by c-ares (ares_expand_name, which
 * bounds compression and escapes what is not printable;
 * ares_expand_string); this file only walks the records' fixed fields.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsrr.h"

enum { HLEN = 12, RR_FIXED = 10 };	/* a header; type class ttl rdlength */

/* The dns file's words and the record types they ask for; the first
 * word of a type names it in an answer line. */
static const struct {
	const char *word;
	int type;
} types[] = {
	{ "ip", ns_t_a }, { "ipv6", ns_t_aaaa }, { "cname", ns_t_cname }, { "ns", ns_t_ns },
	{ "ptr", ns_t_ptr }, { "mx", ns_t_mx }, { "txt", ns_t_txt }, { "srv", ns_t_srv },
	{ "soa", ns_t_soa }, { "any", ns_t_any }, { "all", ns_t_any },
};

int dns_type(const char *word)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(word, types[i].word) == 0)
			return types[i].type;
	return 0;
}

static const char *type_word(int type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == type)
			return types[i].word;
	return NULL;
}

int dns_servers_ok(const char *list)
{
	char one[INET6_ADDRSTRLEN];
	unsigned char a[16];
	int n = 0;

	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof one || ++n > DNS_MAX_SERVERS)
			return 0;
		memcpy(one, p, len);
		one[len] = '\0';
		if (inet_pton(AF_INET, one, a) != 1 && inet_pton(AF_INET6, one, a) != 1)
			return 0;
		p += len;
		if (*p == '\0')
			return 1;
	}
}

int dns_errno(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENODATA:
	case ARES_ENOTFOUND:
		return ENOENT;
	case ARES_ETIMEOUT:
		return ETIMEDOUT;
	case ARES_EREFUSED:
	case ARES_ECONNREFUSED:
		return ECONNREFUSED;
	case ARES_EBADNAME:
		return EINVAL;
	case ARES_EFORMERR:
	case ARES_EBADRESP:
		return EBADMSG;
	case ARES_ENOMEM:
		return ENOMEM;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return ECONNRESET;
	default:		/* ARES_ESERVFAIL, ARES_ENOTIMP, ... */
		return EIO;
	}
}

int dns_ptr_name(const char *name, char *out, size_t cap)
{
	unsigned char a[16];
	size_t n = 0;

	if (inet_pton(AF_INET, name, a) == 1) {
		n = (size_t)snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
	} else if (inet_pton(AF_INET6, name, a) == 1) {
		for (int i = 15; i >= 0 && n < cap; i--)
			n += (size_t)snprintf(out + n, cap - n, "%x.%x.", a[i] & 0xf, a[i] >> 4);
		if (n < cap)
			n += (size_t)snprintf(out + n, cap - n, "ip6.arpa");
	} else {
		n = (size_t)snprintf(out, cap, "%s", name);
	}
	return n < cap ? 0 : EINVAL;
}

static unsigned rd16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long rd32(const unsigned char *p)
{
	return (unsigned long)rd16(p) << 16 | rd16(p + 2);
}

/* The name at p into f; its length in the message, or -1. */
static long put_name(FILE *f, const unsigned char *p, const unsigned char *msg, int len)
{
	char *s;
	long enc;

	if (ares_expand_name(p, msg, len, &s, &enc) != ARES_SUCCESS)
		return -1;
	fputs(s, f);
	ares_free_string(s);
	return enc;
}

/* TXT: the character strings of rdata [p, end) joined. */
static int put_strings(FILE *f, const unsigned char *p, const unsigned char *end,
		       const unsigned char *msg, int len)
{
	while (p < end) {
		unsigned char *s;
		long enc;

		if (ares_expand_string(p, msg, len, &s, &enc) != ARES_SUCCESS)
			return -1;
		if (enc > end - p) {	/* the string runs past the record */
			ares_free_string(s);
			return -1;
		}
		for (unsigned char *c = s; *c; c++)
			fputc(*c < ' ' || *c == 0x7f ? '?' : *c, f);
		ares_free_string(s);
		p += enc;
	}
	return 0;
}

/* The data of a record of type at [p, p + n): 0, or -1 if malformed. */
static int put_data(FILE *f, int type, const unsigned char *p, unsigned n,
		    const unsigned char *msg, int len)
{
	char ip[INET6_ADDRSTRLEN];
	long k;

	switch (type) {
	case ns_t_a:
	case ns_t_aaaa:
		if (n != (type == ns_t_a ? 4u : 16u))
			return -1;
		fputs(inet_ntop(type == ns_t_a ? AF_INET : AF_INET6, p, ip, sizeof ip), f);
		return 0;
	case ns_t_cname:
	case ns_t_ns:
	case ns_t_ptr:
		return put_name(f, p, msg, len) < 0 ? -1 : 0;
	case ns_t_mx:
		if (n < 3)
			return -1;
		fprintf(f, "%u ", rd16(p));
		return put_name(f, p + 2, msg, len) < 0 ? -1 : 0;
	case ns_t_srv:
		if (n < 7)
			return -1;
		fprintf(f, "%u %u %u ", rd16(p), rd16(p + 2), rd16(p + 4));
		return put_name(f, p + 6, msg, len) < 0 ? -1 : 0;
	case ns_t_txt:
		return put_strings(f, p, p + n, msg, len);
	default:		/* soa */
		if ((k = put_name(f, p, msg, len)) < 0 || fputc(' ', f) == EOF)
			return -1;
		p += k;
		if ((k = put_name(f, p, msg, len)) < 0 || msg + len - (p + k) < 20)
			return -1;
		p += k;
		fprintf(f, " %lu %lu %lu %lu %lu", rd32(p), rd32(p + 4), rd32(p + 8),
			rd32(p + 12), rd32(p + 16));
		return 0;
	}
}

/* Move *pos past the name there; -1 if malformed. */
static int skip_name(const unsigned char *msg, int len, long *pos)
{
	char *s;
	long enc;

	if (ares_expand_name(msg + *pos, msg, len, &s, &enc) != ARES_SUCCESS)
		return -1;
	ares_free_string(s);
	*pos += enc;
	return 0;
}

int dns_rr_lines(FILE *f, const unsigned char *msg, int len, int type)
{
	long pos = HLEN, owner;
	unsigned qd, an;
	int lines = 0;

	if (len < HLEN)
		return -1;
	qd = rd16(msg + 4);
	an = rd16(msg + 6);
	for (unsigned i = 0; i < qd; i++)
		if (skip_name(msg, len, &pos) < 0 || (pos += 4) > len)
			return -1;
	for (unsigned i = 0; i < an; i++) {
		unsigned rtype, rdlen;

		owner = pos;
		if (skip_name(msg, len, &pos) < 0 || len - pos < RR_FIXED)
			return -1;
		rtype = rd16(msg + pos);
		rdlen = rd16(msg + pos + 8);
		pos += RR_FIXED;
		if ((unsigned long)(len - pos) < rdlen)
			return -1;
		if (rd16(msg + pos - 8) == ns_c_in && type_word((int)rtype) != NULL &&
		    rtype != ns_t_any && (type == ns_t_any || (unsigned)type == rtype)) {
			put_name(f, msg + owner, msg, len);
			fprintf(f, " %s\t", type_word((int)rtype));
			if (put_data(f, (int)rtype, msg + pos, rdlen, msg, len) < 0)
				return -1;
			fputc('\n', f);
			lines++;
		}
		pos += rdlen;
	}
	return lines;
}
