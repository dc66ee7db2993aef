/*
 * ctl (SPEC.md §3): one command a write, words separated by blanks. A
 * command returns 0, a positive errno (kept as text for err), or PARKED
 * when the write is answered later (a blocking connect).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conv.h"
#include "cs.h"
#include "ctl.h"

enum {
	PARKED = -1,
	MAXARGS = 4,
};

struct ctlreq {
	fuse_req_t req;
	size_t len;
	int flags;
	const char *line;
	int argc;
	char *argv[MAXARGS];
	const char *unknown;	/* the verb, when it is none of proto's */
};

/*
 * err in words, as Plan 9's ("connect: no route to 10.80.0.1: Network is
 * unreachable"): for the errors a command's own words explain better than
 * errno's text, then that text; the others read "COMMAND: errno text".
 */
static void set_err(struct conv *c, int err, const char *line)
{
	char verb[16] = "", arg[ADDR_MAX] = "", host[ADDR_MAX], text[ERR_MAX];
	const char *w = NULL;

	sscanf(line, "%15s %127s", verb, arg);
	snprintf(host, sizeof host, "%s", arg);
	host[strcspn(host, strchr(host, '!') ? "!" : ":")] = 0;
	if (strcmp(verb, "connect") == 0) {
		w = err == ENETUNREACH ? "no route to %s" :
		    err == EHOSTUNREACH ? "host %s is unreachable" :
		    err == ECONNREFUSED ? "%s refused the connection" :
		    err == ETIMEDOUT ? "no answer from %s" :
		    err == ENOENT ? "%s: no such host or service" : NULL;
		if (err == ENETUNREACH || err == EHOSTUNREACH)
			snprintf(arg, sizeof arg, "%s", host);
	} else if (strcmp(verb, "announce") == 0 || strcmp(verb, "bind") == 0) {
		w = err == EADDRINUSE ? "%s is in use" :
		    err == EADDRNOTAVAIL ? "%s is not an address of this stack" :
		    err == EPERM ? "%s: only root and the daemon's owner take every call" :
		    err == ENOENT ? "%s: no such host or service" : NULL;
	} else if (strcmp(verb, "addmulti") == 0 || strcmp(verb, "remmulti") == 0) {
		w = err == EOPNOTSUPP ? "%s: this stack joins no multicast group" : NULL;
	}
	if (w == NULL) {
		conv_seterr(c, err, line);
		return;
	}
	snprintf(text, sizeof text, "%s: ", verb);
	snprintf(text + strlen(text), sizeof text - strlen(text), w, arg);
	/* and errno's text, last, for programs (the shim's SO_ERROR) */
	snprintf(text + strlen(text), sizeof text - strlen(text), ": %s", strerror(err));
	conv_seterrtext(c, text);
}

static int number(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == 0 || *end != 0 || errno || v < min || v > max)
		return EINVAL;
	*out = (int)v;
	return 0;
}

static int sockopt(struct conv *c, int level, int name, int val)
{
	return nc_setsockopt(fs.st, c->sock, level, name, &val, sizeof val) < 0 ? errno : 0;
}

static const char *proto_name(struct conv *c)
{
	return c->proto == P_TCP ? "tcp" : "udp";	/* for /etc/services */
}

/* The family of c's socket: AF_INET6 (dual-stack) unless the stack
 * speaks IPv4 only or the conversation is icmp. */
static int sock_family(struct conv *c)
{
	union addr a = { 0 };
	socklen_t len = sizeof a;

	if (nc_getsockname(fs.st, c->sock, &a.sa, &len) < 0 || a.sa.sa_family != AF_INET6)
		return AF_INET;
	return AF_INET6;
}

static int bind_to(struct conv *c, union addr *a)
{
	int err = addr_as(a, sock_family(c));

	if (err)
		return err;
	return nc_bind(fs.st, c->sock, &a->sa, addr_len(a)) < 0 ? errno : 0;
}

/* Is c bound to a already (a port, and the same address and port)? */
static int bound_to(struct conv *c, const union addr *a)
{
	union addr me = { 0 }, want = *a;
	socklen_t len = sizeof me;

	if (addr_as(&want, sock_family(c)) != 0 ||
	    nc_getsockname(fs.st, c->sock, &me.sa, &len) < 0 ||
	    me.sa.sa_family != want.sa.sa_family || addr_get_port(&me) == 0 ||
	    addr_get_port(&me) != addr_get_port(&want))
		return 0;
	if (me.sa.sa_family == AF_INET)
		return me.v4.sin_addr.s_addr == want.v4.sin_addr.s_addr;
	return memcmp(&me.v6.sin6_addr, &want.v6.sin6_addr, sizeof me.v6.sin6_addr) == 0;
}

/*
 * Plan 9's fields beyond host!port (devip's setraddrport): "r" asks for
 * a reserved local port, any other is ignored. Cuts them off s in
 * place; 1 when "r" was among them.
 */
static int extra_fields(char *s)
{
	char *bang = strchr(s, '!'), *rest, *save, *f;
	int reserved = 0;

	if (bang == NULL)
		return 0;
	rest = strchr(bang + 1, '!');
	if (rest == NULL && strcmp(bang + 1, "r") == 0)
		rest = bang;	/* "PORT!r", a local address */
	if (rest == NULL)
		return 0;
	*rest++ = 0;
	for (f = strtok_r(rest, "!", &save); f; f = strtok_r(NULL, "!", &save))
		reserved |= strcmp(f, "r") == 0;
	return reserved;
}

enum { RESERVED_LO = 600, RESERVED_HI = 1023 };	/* Plan 9's restricted ports */

/* Bind c to a free port of 600-1023 on la's address, cycling as devip. */
static int bind_reserved(struct conv *c, union addr *la)
{
	static int next = RESERVED_LO;
	int err = EADDRINUSE;

	for (int i = 0; i <= RESERVED_HI - RESERVED_LO && err == EADDRINUSE; i++) {
		addr_set_port(la, (uint16_t)next);
		next = next == RESERVED_HI ? RESERVED_LO : next + 1;
		err = bind_to(c, la);
	}
	return err;
}

/* connect's local side: the third word ([LADDR!]LPORT), or a reserved
 * port when the remote address ended in "!r". */
static int connect_local(struct ctlreq *x, struct conv *c, int reserved)
{
	union addr la;
	int err;

	addr_host("*", &la);
	if (x->argc == 3) {
		reserved |= extra_fields(x->argv[2]);
		err = addr_parse(x->argv[2], proto_name(c), 1, &la, NULL);
		if (err || !reserved || addr_get_port(&la) != 0)
			return err ? err : bind_to(c, &la);
	}
	return reserved ? bind_reserved(c, &la) : 0;
}

/* Start connecting c to a: 0 when connected, EINPROGRESS when under
 * way, or an errno. */
static int connect_sock(struct conv *c, union addr *a)
{
	int err = addr_as(a, sock_family(c));

	if (err)
		return err;
	if (nc_connect(fs.st, c->sock, &a->sa, addr_len(a)) == 0)
		return 0;
	if (errno == EINPROGRESS)
		c->connecting = 1;
	return errno;
}

/* The name of a parked connect is known (or not): go on. */
/* (the first address of the name; the others are cs's to list) */
static void connect_resolved(void *arg, int err, const struct addrs *as)
{
	struct pending *p = arg;
	union addr sa = as->a[0];

	p->l = NULL;
	addr_set_port(&sa, p->port);
	if (err == 0)
		err = connect_sock(p->c, &sa);
	if (err == EINPROGRESS && !p->nonblock)
		return;		/* ctl_connect_done answers it */
	if (err && err != EINPROGRESS)
		set_err(p->c, err, conv_what(p->c));
	if (err)
		fuse_reply_err(p->req, err);
	else
		fuse_reply_write(p->req, p->len);
	pend_done(p);
}

/* A connection under way or made answers a second connect (EALREADY,
 * EISCONN) before its LPORT could fail to bind. */
static int connect_again(struct conv *c)
{
	int state = conv_tcp_state(c);

	if (state == NC_TCP_SYN_SENT)
		return EALREADY;
	return state == NC_TCP_CLOSED || state == NC_TCP_LISTEN ? 0 : EISCONN;
}

static int tcp_connect(struct ctlreq *x, struct conv *c)
{
	union addr sa;
	char name[ADDR_MAX];
	struct pending *p;
	int err = connect_again(c), reserved;

	if (err)
		return err;
	reserved = extra_fields(x->argv[1]);
	err = addr_parse(x->argv[1], "tcp", 0, &sa, name);
	if (err == 0 || err == ENOENT) {
		int berr = connect_local(x, c, reserved);

		err = berr ? berr : err;
	}
	if (err != 0 && (err != ENOENT || name[0] == 0))
		return err;
	conv_setwhat(c, x->line);
	p = pend_new(x->req, PEND_CONNECT);
	if (p == NULL)
		return ENOMEM;
	p->len = x->len;
	p->nonblock = (x->flags & O_NONBLOCK) != 0;
	p->port = addr_get_port(&sa);
	p->cancel = resolve_cancel_pending;
	if (err == ENOENT) {	/* a name for cs: the write waits for it */
		struct addrs as;

		err = resolve(name, &as, connect_resolved, p, &p->l);
		if (err == EINPROGRESS) {
			pend_park(c, p);
			return PARKED;
		}
		sa = as.a[0];
		addr_set_port(&sa, p->port);
	}
	if (err == 0)
		err = connect_sock(c, &sa);
	if (err != EINPROGRESS || p->nonblock) {
		pend_free(p);
		return err;
	}
	pend_park(c, p);
	return PARKED;
}

/* The handshake of c has ended (or not yet): answer the parked connect
 * and record the outcome in err. */
void ctl_connect_done(struct conv *c)
{
	int state = conv_tcp_state(c), err = 0;
	socklen_t len = sizeof err;
	struct pending *p, **pp = &c->q[PEND_CONNECT];

	if (state == NC_TCP_SYN_SENT || state == NC_TCP_SYN_RECEIVED)
		return;
	c->connecting = 0;
	if (state == NC_TCP_CLOSED) {
		if (nc_getsockopt(fs.st, c->sock, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err == 0)
			err = ECONNABORTED;
		set_err(c, err, conv_what(c));
	} else {
		conv_seterrtext(c, NULL);
	}
	conv_setwhat(c, NULL);
	/* (a connect still waiting for its name is not this one, but the
	 * ones parked behind it are) */
	while ((p = *pp) != NULL) {
		if (p->l != NULL) {
			pp = &p->next;
			continue;
		}
		if (err)
			fuse_reply_err(p->req, err);
		else
			fuse_reply_write(p->req, p->len);
		pend_done(p);
	}
}

/* announce *: every call to a port nobody announced, for root and the
 * daemon's owner only (devip: eve's). */
static int tcp_catchall(struct ctlreq *x, struct conv *c)
{
	if (!conv_privileged(fuse_req_ctx(x->req)->uid))
		return EPERM;
	return sockopt(c, IPPROTO_TCP, NC_TCP_CATCHALL, 1);
}

static int tcp_announce(struct ctlreq *x, struct conv *c)
{
	union addr sa;
	int err;

	extra_fields(x->argv[1]);
	if (strcmp(x->argv[1], "*") == 0) {
		err = tcp_catchall(x, c);
	} else {
		err = addr_parse(x->argv[1], "tcp", 1, &sa, NULL);
		if (err)
			return err;
		sockopt(c, SOL_SOCKET, SO_REUSEADDR, 1);
		/* after `bind` to this same address (BSD's bind, then listen),
		 * the socket is bound already */
		if (!bound_to(c, &sa))
			err = bind_to(c, &sa);
	}
	if (err == 0 && nc_listen(fs.st, c->sock, c->backlog) < 0)
		err = errno;
	return err;
}

/* Plan 9's UDP: announced without headers, each new peer's first
 * datagram makes a conversation that listen returns; with headers, the
 * announced conversation reads from everyone itself. */
static int udp_calls(struct conv *c)
{
	int backlog = c->announced && !c->headers ? c->backlog : 0;

	return nc_listen(fs.st, c->sock, backlog) < 0 ? errno : 0;
}

/* bind, and udp's announce */
static int any_bind(struct ctlreq *x, struct conv *c)
{
	union addr sa;
	int err;

	extra_fields(x->argv[1]);
	err = addr_parse(x->argv[1], proto_name(c), 1, &sa, NULL);
	return err ? err : bind_to(c, &sa);
}

/* reuse [0|1] (SO_REUSEADDR): before bind, a UDP conversation may share
 * its port with others that asked for it too (a datagram goes to the
 * best match: one connected to its sender before one that is not). */
static int udp_reuse(struct ctlreq *x, struct conv *c)
{
	int on = 1, err = x->argc == 2 ? number(x->argv[1], 0, 1, &on) : 0;

	return err ? err : sockopt(c, SOL_SOCKET, SO_REUSEADDR, on);
}

/* v6only [0|1] (IPV6_V6ONLY): before bind, connect or announce, the
 * conversation takes IPv6 peers alone, so that `::` and `0.0.0.0` (IPv4
 * alone) of one port can be two conversations, as a server on two
 * sockets has them. */
static int any_v6only(struct ctlreq *x, struct conv *c)
{
	int on = 1, err = x->argc == 2 ? number(x->argv[1], 0, 1, &on) : 0;

	if (err == 0 && sock_family(c) != AF_INET6)
		err = EAFNOSUPPORT;
	return err ? err : sockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, on);
}

/* tcp: RST and Closed; udp, icmp: dissolve the association */
static int any_hangup(struct ctlreq *x, struct conv *c)
{
	(void)x;
	return nc_shutdown(fs.st, c->sock, NC_SHUT_ABORT) < 0 ? errno : 0;
}

/* close (9front, Go's net package): a graceful hangup. A connection
 * sends FIN after what is queued and its reads end; a listener or a
 * connect under way stops; anything else is already closing. */
static int tcp_close(struct ctlreq *x, struct conv *c)
{
	switch (conv_tcp_state(c)) {
	case NC_TCP_SYN_RECEIVED:
	case NC_TCP_ESTABLISHED:
	case NC_TCP_CLOSE_WAIT:
		return nc_shutdown(fs.st, c->sock, SHUT_RDWR) < 0 ? errno : 0;
	case NC_TCP_LISTEN:
	case NC_TCP_SYN_SENT:
		return any_hangup(x, c);
	}
	return 0;
}

/* ignoreadvice: accepted, as a program written for Plan 9 sends it;
 * slashnet already takes only hard ICMP errors (as Linux). */
static int any_ignoreadvice(struct ctlreq *x, struct conv *c)
{
	(void)x;
	(void)c;
	return 0;
}

static int tcp_shutdown(struct ctlreq *x, struct conv *c)
{
	static const char *const how[] = { "rd", "wr", "rdwr" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(x->argv[1], how[i]) == 0)
			return nc_shutdown(fs.st, c->sock, i) < 0 ? errno : 0;
	}
	return EINVAL;
}

/* keepalive [MS]: probes after 2 hours idle, or as Plan 9's keepalive
 * timer, after MS idle and every MS then (whole seconds, rounded up). */
static int tcp_keepalive(struct ctlreq *x, struct conv *c)
{
	int ms, s, err = 0;

	if (x->argc == 2 && (err = number(x->argv[1], 1, 24 * 3600 * 1000, &ms)) != 0)
		return err;
	err = sockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (err || x->argc == 1)
		return err;
	s = (ms + 999) / 1000;
	err = sockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, s);
	return err ? err : sockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, s);
}

static int tcp_nodelay(struct ctlreq *x, struct conv *c)
{
	return sockopt(c, IPPROTO_TCP, TCP_NODELAY, strcmp(x->argv[0], "nodelay") == 0);
}

static int tcp_cork(struct ctlreq *x, struct conv *c)
{
	return sockopt(c, IPPROTO_TCP, TCP_CORK, strcmp(x->argv[0], "cork") == 0);
}

static int tcp_timeout(struct ctlreq *x, struct conv *c)
{
	int ms, err = number(x->argv[1], 1, 3600 * 1000, &ms);

	return err ? err : sockopt(c, IPPROTO_TCP, NC_TCP_CONNECT_TIMEOUT, ms);
}

/* usertimeout MS: give up on data unacknowledged for MS (TCP_USER_TIMEOUT,
 * RFC 5482); 0 restores the default (the retransmission count). */
static int tcp_usertimeout(struct ctlreq *x, struct conv *c)
{
	int ms, err = number(x->argv[1], 0, 24 * 3600 * 1000, &ms);

	return err ? err : sockopt(c, IPPROTO_TCP, TCP_USER_TIMEOUT, ms);
}

static int tcp_backlog(struct ctlreq *x, struct conv *c)
{
	int n, err = number(x->argv[1], 1, 65535, &n);

	if (err)
		return err;
	c->backlog = n;
	if (conv_tcp_state(c) == NC_TCP_LISTEN && nc_listen(fs.st, c->sock, n) < 0)
		return errno;
	return 0;
}

/* cc cubic|newreno|bbr: the conversation's congestion control; the core
 * also knows Linux's "reno", and says ENOENT for a name it does not. */
static int tcp_cc(struct ctlreq *x, struct conv *c)
{
	const char *name = x->argv[1];

	if (nc_setsockopt(fs.st, c->sock, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)) == 0)
		return 0;
	return errno == ENOENT ? EINVAL : errno;
}

static int ip_ttl_tos(struct ctlreq *x, struct conv *c)
{
	int ttl = strcmp(x->argv[0], "ttl") == 0, v;
	int err = number(x->argv[1], ttl, 255, &v);

	return err ? err : sockopt(c, IPPROTO_IP, ttl ? IP_TTL : IP_TOS, v);
}

/* udp and icmp: connect sets the peer (icmp takes a bare host), again
 * and again; a null address dissolves. */
static int dgram_connect(struct ctlreq *x, struct conv *c)
{
	union addr sa;
	const char *a = x->argv[1];
	int err, reserved = extra_fields(x->argv[1]);

	/* icmp takes a bare host, which may hold colons (IPv6) */
	if (c->proto != P_UDP && addr_host(a, &sa) == 0)
		err = 0;
	else
		err = addr_parse(a, proto_name(c), 0, &sa, NULL);
	if (err == 0)
		err = connect_local(x, c, reserved);
	if (err == 0)
		err = addr_as(&sa, sock_family(c));
	if (err)
		return err;
	return nc_connect(fs.st, c->sock, &sa.sa, addr_len(&sa)) < 0 ? errno : 0;
}

static int udp_announce(struct ctlreq *x, struct conv *c)
{
	int err;

	if (strcmp(x->argv[1], "*") == 0)
		return EINVAL;	/* a catch-all is TCP's only */
	err = any_bind(x, c);
	if (err)
		return err;
	c->announced = 1;
	return udp_calls(c);
}

/* Plan 9's addmulti/remmulti: the stack joins no multicast group (it
 * speaks no IGMP or MLD, and the TUN delivers no group traffic), so the
 * request is refused as unsupported rather than as an unknown word. */
static int udp_multi(struct ctlreq *x, struct conv *c)
{
	(void)x, (void)c;
	return EOPNOTSUPP;
}

static int udp_headers(struct ctlreq *x, struct conv *c)
{
	(void)x;
	c->headers = 1;
	return udp_calls(c);
}

enum { TCP = 1 << P_TCP, UDP = 1 << P_UDP, ICMP = 1 << P_ICMP | 1 << P_ICMP6 };

static const struct verb {
	const char *name;
	int min, max;	/* arguments, beside the verb */
	int protos;
	int (*fn)(struct ctlreq *x, struct conv *c);
} verbs[] = {
	{ "connect", 1, 2, TCP, tcp_connect },
	{ "connect", 1, 2, UDP | ICMP, dgram_connect },
	{ "announce", 1, 1, TCP, tcp_announce },
	{ "announce", 1, 1, UDP, udp_announce },
	{ "bind", 1, 1, TCP | UDP, any_bind },
	{ "reuse", 0, 1, UDP, udp_reuse },
	{ "v6only", 0, 1, TCP | UDP, any_v6only },
	{ "hangup", 0, 0, TCP | UDP | ICMP, any_hangup },
	{ "close", 0, 0, TCP, tcp_close },
	{ "ignoreadvice", 0, 0, TCP | UDP | ICMP, any_ignoreadvice },
	{ "shutdown", 1, 1, TCP, tcp_shutdown },
	{ "keepalive", 0, 1, TCP, tcp_keepalive },
	{ "nodelay", 0, 0, TCP, tcp_nodelay },
	{ "delay", 0, 0, TCP, tcp_nodelay },
	{ "cork", 0, 0, TCP, tcp_cork },
	{ "nocork", 0, 0, TCP, tcp_cork },
	{ "timeout", 1, 1, TCP, tcp_timeout },
	{ "usertimeout", 1, 1, TCP, tcp_usertimeout },
	{ "backlog", 1, 1, TCP, tcp_backlog },
	{ "cc", 1, 1, TCP, tcp_cc },
	{ "headers", 0, 0, UDP, udp_headers },
	{ "addmulti", 1, 2, UDP, udp_multi },
	{ "remmulti", 1, 2, UDP, udp_multi },
	{ "ttl", 1, 1, TCP | UDP | ICMP, ip_ttl_tos },
	{ "tos", 1, 1, TCP | UDP | ICMP, ip_ttl_tos },
	{ NULL, 0, 0, 0, NULL },
};

static int run(struct ctlreq *x, struct conv *c)
{
	for (const struct verb *v = verbs; v->name; v++) {
		if (strcmp(v->name, x->argv[0]) == 0 && (v->protos & 1 << c->proto)) {
			if (x->argc - 1 < v->min || x->argc - 1 > v->max)
				return EINVAL;
			return v->fn(x, c);
		}
	}
	x->unknown = x->argv[0];
	return EINVAL;
}

static void split(struct ctlreq *x, char *s)
{
	char *save, *w;

	x->argc = 0;
	for (w = strtok_r(s, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (x->argc == MAXARGS) {
			x->argc = MAXARGS + 1;	/* too many: no verb takes them */
			return;
		}
		x->argv[x->argc++] = w;
	}
}

void ctl_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len, int flags)
{
	char line[CTL_MAX + 1], words[CTL_MAX + 1];
	struct ctlreq x = { .req = req, .len = len, .flags = flags, .line = line };
	struct conv *c = of->c;
	size_t n = len;
	int err;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n > CTL_MAX || memchr(buf, 0, n)) {
		conv_seterr(c, EINVAL, "ctl: command too long or not text");
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(line, buf, n);
	line[n] = 0;
	strcpy(words, line);
	split(&x, words);
	err = x.argc == 0 || x.argc > MAXARGS ? EINVAL : run(&x, c);
	if (err == PARKED)
		return;
	if (err && x.unknown) {
		char text[ERR_MAX];

		snprintf(text, sizeof text, "unknown control request '%.*s'", (int)(sizeof text - 32),
			 x.unknown);
		conv_seterrtext(c, text);
		fuse_reply_err(req, err);
	} else if (err) {
		set_err(c, err, line);
		fuse_reply_err(req, err);
	} else {
		fuse_reply_write(req, len);
	}
}
