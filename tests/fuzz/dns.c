/*
 * Fuzz target "dns": fs/dns.c's reply parser, alone and inside the
 * resolver. The input is a DNS message: it is parsed as it stands, and,
 * when its question names a host, given to a resolver that has just
 * sent a query for that name (its id put in), so that a well-formed
 * reply goes on to the cache and the lookup's callback.
 */
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "fuzz.h"

static void done(void *arg, int err, const struct dns_answer *ans)
{
	int *called = arg;

	/* an answer has addresses, anything else none */
	if ((err == 0) != (ans != NULL && ans->n > 0))
		abort();
	(*called)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t q[DNS_MSG_MAX], m[DNS_MSG_MAX];
	struct dns_reply r;
	struct dns_answer ans;
	struct dns *d;
	int called = 0;
	uint16_t qtype;

	if (dns_parse_reply(data, size, &r) < 0 || size > sizeof m)
		return 0;
	if (r.ans.n < 0 || r.ans.n > DNS_MAX_ADDRS || strlen(r.qname) > DNS_NAME_MAX)
		abort();
	d = dns_new(0, 0, 1);
	if (d == NULL)
		abort();
	qtype = r.qtype == DNS_T_AAAA ? DNS_T_AAAA : DNS_T_A;
	if (dns_lookup(d, 0, r.qname, qtype, &ans, done, &called) > 0 &&
	    dns_output(d, 0, q, sizeof q) > 0) {
		memcpy(m, data, size);
		memcpy(m, q, 2);	/* the query's id */
		dns_input(d, 1, m, size);
		/* once answered, the cache answers again */
		if (called == 1 && r.rcode == 0 && r.ans.n > 0 && r.ans.ttl > 0 &&
		    dns_lookup(d, 1, r.qname, qtype, &ans, done, &called) != 0)
			abort();
	}
	dns_free(d);
	return 0;
}
