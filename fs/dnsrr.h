/*
 * DNS answers as the dns file shows them, and what cs makes of c-ares's
 * results: no socket, no state (unit-tested, fuzzed).
 */
#ifndef SLASHNET_DNSRR_H
#define SLASHNET_DNSRR_H

#include <stddef.h>
#include <stdio.h>

enum {
	DNS_NAME_MAX = 253,	/* a name in text, without the final dot */
	DNS_MAX_SERVERS = 8,	/* in --dns */
};

/* Is list a --dns value: one to DNS_MAX_SERVERS IPv4 or IPv6 addresses,
 * comma-separated, nothing else? */
int dns_servers_ok(const char *list);

/* The errno for a c-ares status: 0 (success), ENOENT (no such name, or
 * no record of the type), ETIMEDOUT (no server answered), ECONNREFUSED
 * (refused: by the server's answer, or its port unreachable), EIO (server
 * failure), EINVAL (a malformed name), EBADMSG (a malformed answer),
 * ENOMEM, ECONNRESET (the daemon is ending), else EIO. */
int dns_errno(int status);

/* The record type of a dns file query word (9front's: ip ipv6 ptr mx
 * txt cname ns soa srv any), 0 if none. */
int dns_type(const char *word);

/* The name to ask a ptr query about: an IPv4 or IPv6 address becomes
 * its in-addr.arpa or ip6.arpa name, anything else stays. 0, or EINVAL
 * if it does not fit in out (cap bytes). */
int dns_ptr_name(const char *name, char *out, size_t cap);

/*
 * The records of type (any: those of every type below) in the answer
 * section of msg, a line each as 9front's ndb/dns prints them:
 * "OWNER TYPE\tDATA" with DATA an address (ip, ipv6), a name (cname ns
 * ptr), "PREF NAME" (mx), "PRI WEIGHT PORT NAME" (srv), the strings
 * joined (txt; control characters as '?'), "MNAME RNAME SERIAL REFRESH
 * RETRY EXPIRE MINTTL" (soa). The number of lines, or -1 when msg is
 * malformed.
 */
int dns_rr_lines(FILE *f, const unsigned char *msg, int len, int type);

#endif
