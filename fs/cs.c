/*
 * cs (SPEC.md §6): name to address translation. A write of
 * "proto!host!service" (proto tcp, udp, icmp, or net for tcp and udp)
 * translates it; reads then return one line per protocol, as
 * "/MOUNTPOINT/tcp/clone 10.77.0.1!80". An untranslatable name fails the
 * write with the errno of the reason (ENOENT: no such name).
 *
 * Host names come from /etc/hosts, then from DNS: through c-ares over the
 * stack's own UDP and TCP to the --dns servers (dns.c) when given,
 * otherwise from the host's resolver, asked with getaddrinfo_a, which
 * reports through a real-time signal on the daemon's signalfd. Either way
 * the loop never waits for an answer: the write is parked until it comes.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conv.h"
#include "cs.h"
#include "dns.h"
#include "dnsrr.h"
#include "log.h"

struct lookup {
	struct lookup *next;
	resolve_fn done;	/* NULL once cancelled */
	void *arg;
	struct dns_query *q[2];	/* the A and AAAA queries under way */
	int pending;		/* queries not ended */
	int starting;		/* inside dns_start: no delivery yet */
	int dns_err;		/* the most telling failure so far */
	const char *why;	/* and its text (c-ares's or strerror's) */
	struct addrs got;	/* the addresses so far */
	struct gaicb gcb;	/* through the host, when there is no --dns */
	struct addrinfo hints;
	char name[DNS_NAME_MAX + 1];
};

static const int qtypes[2] = { ns_t_a, ns_t_aaaa };

static int use_dns;		/* --dns given: c-ares is running */
static struct lookup *lookups;	/* in flight */

int cs_signo(void)
{
	return SIGRTMIN + 1;
}

static void unlink_lookup(struct lookup *l)
{
	for (struct lookup **pp = &lookups; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			return;
		}
	}
}

static void add_addr(struct addrs *as, const struct in6_addr *a)
{
	union addr *u;

	if (as->n >= CS_MAX_ADDRS)
		return;
	u = &as->a[as->n++];
	memset(u, 0, sizeof *u);
	u->v6.sin6_family = AF_INET6;
	u->v6.sin6_addr = *a;
	if (IN6_IS_ADDR_V4MAPPED(a))
		addr_as(u, AF_INET);
}

static void add_v4(struct addrs *as, struct in_addr a)
{
	if (as->n >= CS_MAX_ADDRS)
		return;
	memset(&as->a[as->n], 0, sizeof as->a[0]);
	as->a[as->n].v4.sin_family = AF_INET;
	as->a[as->n++].v4.sin_addr = a;
}

/* The addresses of an answer to an A or AAAA query into as: 0, or the
 * errno (ENOENT: none). */
static int add_reply(struct addrs *as, int type, const unsigned char *abuf, int alen)
{
	struct ares_addrttl a4[CS_MAX_ADDRS];
	struct ares_addr6ttl a6[CS_MAX_ADDRS];
	int n = CS_MAX_ADDRS, r;

	if (type == ns_t_a)
		r = ares_parse_a_reply(abuf, alen, NULL, a4, &n);
	else
		r = ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n);
	if (r != ARES_SUCCESS)
		return dns_errno(r);
	for (int i = 0; i < n; i++) {
		struct in6_addr v6;

		if (type == ns_t_a) {
			add_v4(as, a4[i].ipaddr);
		} else {
			memcpy(&v6, &a6[i].ip6addr, sizeof v6);
			add_addr(as, &v6);
		}
	}
	return n > 0 ? 0 : ENOENT;
}

/* RFC 6724, simplified: IPv6 addresses first when the stack has an IPv6
 * default route, else IPv4 first; each family in the order it came. */
static void order(struct addrs *as)
{
	struct nc_ifinfo ii;
	struct addrs o = { 0 };
	int v6_first = nc_ifinfo(fs.st, &ii) == 0 && !IN6_IS_ADDR_UNSPECIFIED(&ii.gw6);

	for (int pass = 0; pass < 2; pass++) {
		int want = (pass == 0) == v6_first ? AF_INET6 : AF_INET;

		for (int i = 0; i < as->n; i++)
			if (as->a[i].sa.sa_family == want)
				o.a[o.n++] = as->a[i];
	}
	*as = o;
}

/* The end of a lookup with what it found: every address, or err. */
static void deliver(struct lookup *l, int err)
{
	unlink_lookup(l);
	order(&l->got);
	if (l->done)
		l->done(l->arg, l->got.n > 0 ? 0 : err, &l->got);
	free(l);
}

/* ---- DNS over the stack ---- */

/* Keep the failure that says most: anything rather than "no such name"
 * (the other family may have been unanswered, or refused). */
static void dns_failed(struct lookup *l, int err, const char *why)
{
	if (l->dns_err == 0 || l->dns_err == ENOENT) {
		l->dns_err = err;
		l->why = why;
	}
}

/* The errno a lookup that found no address ends with; its text goes to
 * the daemon's log (what Plan 9's cs would leave in errstr). */
static int dns_end_err(struct lookup *l)
{
	if (l->dns_err == 0)
		return ENOENT;
	logmsg(LOG_INFO, "dns: %s: %s", l->name, l->why);
	return l->dns_err;
}

/* One of the queries of l (i: 0 A, 1 AAAA) ended. */
static void dns_took(struct lookup *l, int i, int err, const char *why,
		     const unsigned char *abuf, int alen)
{
	l->q[i] = NULL;
	if (err == 0 && (err = add_reply(&l->got, qtypes[i], abuf, alen)) != 0)
		why = strerror(err);
	if (err)
		dns_failed(l, err, why);
	if (--l->pending == 0 && !l->starting)
		deliver(l, l->got.n > 0 ? 0 : dns_end_err(l));
}

static void dns_done_a(void *arg, int err, const char *why, const unsigned char *abuf, int alen)
{
	dns_took(arg, 0, err, why, abuf, alen);
}

static void dns_done_aaaa(void *arg, int err, const char *why, const unsigned char *abuf,
			  int alen)
{
	dns_took(arg, 1, err, why, abuf, alen);
}

int cs_init(void)
{
	if (fs.dns == NULL)
		return 0;
	if (dns_init(fs.st, fs.dns) < 0) {
		logmsg(LOG_ERR, "--dns %s: %s", fs.dns, strerror(errno));
		return -1;
	}
	use_dns = 1;
	return 0;
}

/* ---- the host's resolver ---- */

static int host_lookup(struct lookup *l)
{
	struct gaicb *list[1] = { &l->gcb };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = cs_signo() };

	sev.sigev_value.sival_ptr = l;
	l->hints.ai_family = fs.no_ipv6 ? AF_INET : AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM;
	l->gcb.ar_name = l->name;
	l->gcb.ar_request = &l->hints;
	return getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) == 0 ? EINPROGRESS : EAGAIN;
}

/* The signal of a finished getaddrinfo_a: ptr is its lookup. */
void cs_signalled(void *ptr)
{
	struct lookup *l = ptr;
	struct addrinfo *ai;

	int err = gai_error(&l->gcb);

	if (err == 0) {
		for (ai = l->gcb.ar_result; ai; ai = ai->ai_next) {
			if (ai->ai_family == AF_INET6)
				add_addr(&l->got, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
			else if (ai->ai_family == AF_INET && l->got.n < CS_MAX_ADDRS)
				memcpy(&l->got.a[l->got.n++], ai->ai_addr, sizeof(struct sockaddr_in));
		}
		freeaddrinfo(l->gcb.ar_result);
	}
	for (int i = 0; i < l->got.n; i++)
		addr_set_port(&l->got.a[i], 0);
	/* no such name, or none of its addresses; the resolver not answering */
	deliver(l, err == EAI_AGAIN ? ETIMEDOUT : err == EAI_MEMORY ? ENOMEM : ENOENT);
}

/* ---- either ---- */

/* Start the DNS queries of l: EINPROGRESS when some are under way, else
 * what they gave at once (0 with l->got, or an errno). */
static int dns_start(struct lookup *l)
{
	static const dns_done_fn done[2] = { dns_done_a, dns_done_aaaa };
	int n = fs.no_ipv6 ? 1 : 2;

	l->pending = n;
	l->starting = 1;
	for (int i = 0; i < n; i++)
		l->q[i] = dns_ask(l->name, qtypes[i], done[i], l);
	l->starting = 0;
	if (l->pending > 0)
		return EINPROGRESS;
	return l->got.n > 0 ? 0 : dns_end_err(l);
}

int resolve(const char *name, struct addrs *as, resolve_fn done, void *arg, struct lookup **lp)
{
	struct lookup *l;
	int err;

	memset(as, 0, sizeof *as);
	err = addr_host(name, &as->a[0]);
	if (err != ENOENT) {	/* a literal, *, /etc/hosts, or malformed */
		as->n = err == 0;
		return err;
	}
	if (strlen(name) > DNS_NAME_MAX || (l = calloc(1, sizeof *l)) == NULL)
		return ENOENT;
	strcpy(l->name, name);
	l->done = done;
	l->arg = arg;
	err = use_dns ? dns_start(l) : host_lookup(l);
	if (err != EINPROGRESS) {	/* answered at once, or failed */
		order(&l->got);
		*as = l->got;
		free(l);
		return err ? err : as->n > 0 ? 0 : ENOENT;
	}
	l->next = lookups;
	lookups = l;
	*lp = l;
	return EINPROGRESS;
}

/* Stop l's lookups: 1 if done, 0 for a host lookup a resolver thread
 * still works on (its signal will come). */
static int stop(struct lookup *l)
{
	if (use_dns) {
		for (int i = 0; i < 2; i++)
			if (l->q[i])
				dns_cancel(l->q[i]);
		return 1;
	}
	return gai_cancel(&l->gcb) == EAI_CANCELED;
}

void resolve_cancel(struct lookup *l)
{
	l->done = NULL;
	if (!stop(l))
		return;
	unlink_lookup(l);
	free(l);
}

/* At exit: end every lookup, answering its waiter. A host lookup that
 * a resolver thread still works on is left to it: the process ends. */
void cs_fini(void)
{
	struct lookup *l;

	while ((l = lookups) != NULL) {
		lookups = l->next;
		if (!stop(l))
			continue;
		l->got.n = 0;
		if (l->done)
			l->done(l->arg, ECONNRESET, &l->got);
		free(l);
	}
	if (use_dns)
		dns_fini();
	use_dns = 0;
}

/* ---- the cs file ---- */

/* What a cs write asks, kept while its name is looked up (its ctx). */
struct csreq {
	char proto[8], service[64];
	int any;		/* host "*" */
};

static int is_v6(const union addr *a)
{
	return a->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr);
}

/* The answer lines of address a to f; how many. */
static int lines_of(FILE *f, const char *proto, const char *service, const union addr *a,
		    int any)
{
	static const char *const both[] = { "tcp", "udp" };
	char ip[ADDR_TEXT];
	int lines = 0;

	addr_text(a, 0, ip);
	for (int i = 0; i < 2; i++) {
		const char *p = strcmp(proto, "net") == 0 ? both[i] : proto;
		uint16_t port;

		if (strcmp(p, "icmp") == 0) {	/* the echo of the address's family */
			fprintf(f, "%s/%s/clone %s\n", fs.mountpoint,
				is_v6(a) ? "icmpv6" : "icmp", any ? "*" : ip);
			lines++;
		} else if (addr_port(service, p, &port) == 0) {
			fprintf(f, "%s/%s/clone %s!%u\n", fs.mountpoint, p, any ? "*" : ip, port);
			lines++;
		}
		if (p == proto)
			break;
	}
	return lines;
}

/* The answer lines, for every address of as in turn; ENOENT if the
 * service is unknown to every protocol asked. */
static int answer(struct ofile *of, const char *proto, const char *service,
		  const struct addrs *as, int any)
{
	char *text = NULL;
	size_t len = 0;
	int lines = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return ENOMEM;
	for (int i = 0; i < (any ? 1 : as->n); i++)
		lines += lines_of(f, proto, service, &as->a[i], any);
	fclose(f);
	if (lines == 0) {
		free(text);
		return ENOENT;
	}
	free(of->text);
	of->text = text;
	of->len = len;
	of->pos = 0;
	return 0;
}

/* As in Plan 9, each read returns the next line, whatever the offset. */
void cs_read(fuse_req_t req, struct ofile *of, size_t size)
{
	const char *line = of->text + of->pos, *nl;
	size_t n = of->len - of->pos;

	if (n > 0 && (nl = memchr(line, '\n', n)) != NULL)
		n = (size_t)(nl - line) + 1;
	if (n > size)
		n = size;
	of->pos += n;
	fuse_reply_buf(req, line, n);
}

/* Answer the write p with the lines for as, or with err. */
static void cs_reply(struct pending *p, int err, const struct addrs *as)
{
	struct csreq *q = p->ctx;

	/* err says why it is untranslatable: ENOENT no such name, ETIMEDOUT
	 * no server answered, ECONNREFUSED refused, EIO server failure ... */
	if (err == 0)
		err = answer(p->of, q->proto, q->service, as, q->any);
	if (err) {
		p->of->len = p->of->pos = 0;	/* no answer to read */
		fuse_reply_err(p->req, err);
	} else {
		fuse_reply_write(p->req, p->len);
	}
}

static void cs_resolved(void *arg, int err, const struct addrs *as)
{
	struct pending *p = arg;

	p->l = NULL;		/* over: nothing to cancel */
	cs_reply(p, err, as);
	pend_done(p);
}

void resolve_cancel_pending(struct pending *p)
{
	if (p->l)
		resolve_cancel(p->l);
}

/* Split "proto!host!service" in line into q and *host; EINVAL if it is
 * not one. */
static int cs_parse(char *line, struct csreq *q, char **host)
{
	char *service;

	*host = strchr(line, '!');
	service = *host ? strchr(*host + 1, '!') : NULL;
	if (*host)
		*(*host)++ = 0;
	if (service)
		*service++ = 0;
	if (*host == NULL || strlen(line) >= sizeof q->proto ||
	    (service ? strlen(service) >= sizeof q->service : strcmp(line, "icmp") != 0) ||
	    (strcmp(line, "tcp") && strcmp(line, "udp") && strcmp(line, "icmp") &&
	     strcmp(line, "net")))
		return EINVAL;
	strcpy(q->proto, line);
	strcpy(q->service, service ? service : "");
	q->any = strcmp(*host, "*") == 0;
	return 0;
}

/* "proto!host!service"; the service may be left out for icmp. A name
 * to look up parks the write (PEND_CS) until the answer comes. */
void cs_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len)
{
	char line[256], *host;
	struct addrs as = { 0 };
	struct pending *p = pend_new(req, PEND_CS);
	struct csreq *q = calloc(1, sizeof *q);
	size_t n = len;
	int err;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	err = p == NULL || q == NULL ? ENOMEM : n >= sizeof line ? EINVAL : 0;
	if (err == 0) {
		memcpy(line, buf, n);
		line[n] = 0;
		err = cs_parse(line, q, &host);
	}
	if (err) {
		pend_free(p);
		free(q);
		fuse_reply_err(req, err);
		return;
	}
	p->ctx = q;
	p->of = of;
	p->len = len;
	err = q->any ? 0 : resolve(host, &as, cs_resolved, p, &p->l);
	if (err != EINPROGRESS) {
		cs_reply(p, err, &as);
		pend_free(p);	/* and q, its ctx */
		return;
	}
	p->cancel = resolve_cancel_pending;
	pend_park(NULL, p);
}

/* ---- dns: 9front's query file ---- */

/*
 * Write "name type", then read the answers, a line each, as 9front's
 * ndb/dns gives them (dnsrr.h): "name ip\taddress", "name mx\t10 host" ...
 * ip and ipv6 are looked up as cs does (/etc/hosts, then --dns or the
 * host's resolver); the other types (ptr mx txt cname ns soa srv any) are
 * asked of the --dns servers (without --dns: EOPNOTSUPP). An unknown type
 * is EINVAL; a name without such records ENOENT; a failure its errno.
 */
struct dnsq {
	char name[DNS_NAME_MAX + 1];
	int type;
	struct dns_query *q;	/* a record query under way */
	int parked;		/* its write waits in the parked queue */
};

static int is_v4(const union addr *a)
{
	return a->sa.sa_family == AF_INET || IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr);
}

/* A line per address of the family asked; none is ENOENT. */
static int dns_answer(FILE *f, const struct dnsq *q, const struct addrs *as)
{
	int v6 = q->type == ns_t_aaaa;
	char text[ADDR_TEXT];
	int n = 0;

	for (int i = 0; i < as->n; i++) {
		if (is_v4(&as->a[i]) == v6)
			continue;
		fprintf(f, "%s %s\t%s\n", q->name, v6 ? "ipv6" : "ip",
			addr_text(&as->a[i], 0, text));
		n++;
	}
	return n ? 0 : ENOENT;
}

/* Answer the write p: with err, or with the text f wrote to *text (f is
 * closed here). */
static void dns_query_end(struct pending *p, int err, FILE *f, char **text, size_t *len)
{
	if (f != NULL && fclose(f) && err == 0)
		err = ENOMEM;
	free(p->of->text);
	p->of->text = err ? NULL : *text;
	p->of->len = err ? 0 : *len;
	p->of->pos = 0;
	if (err) {
		free(*text);
		fuse_reply_err(p->req, err);
	} else {
		fuse_reply_write(p->req, p->len);
	}
}

static void dns_query_reply(struct pending *p, int err, const struct addrs *as)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = err ? NULL : open_memstream(&text, &len);

	if (err == 0)
		err = f ? dns_answer(f, p->ctx, as) : ENOMEM;
	dns_query_end(p, err, f, &text, &len);
}

static void dns_query_resolved(void *arg, int err, const struct addrs *as)
{
	struct pending *p = arg;

	p->l = NULL;
	dns_query_reply(p, err, as);
	pend_done(p);
}

/* A record query ended: its lines, or why not. */
static void dns_rr_answered(void *arg, int err, const char *why, const unsigned char *abuf,
			    int alen)
{
	struct pending *p = arg;
	struct dnsq *q = p->ctx;
	char *text = NULL;
	size_t len = 0;
	FILE *f = err ? NULL : open_memstream(&text, &len);
	int n;

	if (err == 0 && f == NULL)
		err = ENOMEM;
	if (err == 0 && (n = dns_rr_lines(f, abuf, alen, q->type)) <= 0) {
		err = n < 0 ? EBADMSG : ENOENT;
		why = n < 0 ? "malformed answer" : "no such record";
	}
	if (err)
		logmsg(LOG_INFO, "dns: %s: %s", q->name, why);
	dns_query_end(p, err, f, &text, &len);
	q->q = NULL;
	if (q->parked)
		pend_done(p);
}

static void dns_rr_cancel(struct pending *p)
{
	struct dnsq *q = p->ctx;

	if (q->q)
		dns_cancel(q->q);
}

/* Ask the --dns servers for q's records; p is answered now or later. */
static void dns_rr_query(struct pending *p, struct dnsq *q)
{
	char name[DNS_NAME_MAX + 1];

	if (!use_dns || dns_ptr_name(q->name, name, sizeof name) != 0) {
		fuse_reply_err(p->req, use_dns ? EINVAL : EOPNOTSUPP);
		free(q);
		pend_free(p);
		return;
	}
	if (q->type != ns_t_ptr)
		strcpy(name, q->name);
	p->ctx = q;
	q->q = dns_ask(name, q->type, dns_rr_answered, p);
	if (q->q == NULL) {	/* answered already */
		pend_free(p);
		return;
	}
	q->parked = 1;
	p->cancel = dns_rr_cancel;
	pend_park(NULL, p);
}

void dns_query_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len)
{
	char line[DNS_NAME_MAX + 16], name[DNS_NAME_MAX + 1], type[16], extra;
	struct addrs as = { 0 };
	struct pending *p;
	struct dnsq *q;
	size_t n = len;
	int err, t = 0;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	err = n >= sizeof line ? EINVAL : 0;
	if (err == 0) {
		memcpy(line, buf, n);
		line[n] = 0;
		err = sscanf(line, "%253s %15s %c", name, type, &extra) != 2 ||
		      (t = dns_type(type)) == 0 ? EINVAL : 0;
	}
	p = err ? NULL : pend_new(req, PEND_CS);
	q = p ? calloc(1, sizeof *q) : NULL;
	if (q == NULL) {
		pend_free(p);
		fuse_reply_err(req, err ? err : ENOMEM);
		return;
	}
	strcpy(q->name, name);
	q->type = t;
	p->of = of;
	p->len = len;
	if (t != ns_t_a && t != ns_t_aaaa) {
		dns_rr_query(p, q);
		return;
	}
	p->ctx = q;
	err = resolve(name, &as, dns_query_resolved, p, &p->l);
	if (err != EINPROGRESS) {
		dns_query_reply(p, err, &as);
		pend_free(p);
		return;
	}
	p->cancel = resolve_cancel_pending;
	pend_park(NULL, p);
}
