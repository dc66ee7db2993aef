/*
 * Fuzz target "packet": the stack's whole input path and its sockets.
 *
 * Each input starts a fresh stack (net.h) holding a TCP listener on port
 * 80, a connection established with the tap (port 9000), a UDP socket on
 * port 53 and an echo socket talking to the tap. The input is then read
 * as a sequence of operations, one byte of opcode each and its
 * arguments: forged TCP segments (to a flow the tap has seen, with
 * sequence and acknowledgment numbers near what the stack expects so
 * the fuzzer reaches the window logic, or to a new flow), UDP
 * datagrams, ICMP messages (echo, and errors quoting the stack's last
 * packet), raw IP packets, time passing, and the application's calls.
 * Checksums are right unless the input asks otherwise. At the end every
 * socket closes and the stack must let go of everything.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "net.h"
#include "sock.h"
#include "wire.h"

enum {
	LISTEN_PORT = 80,
	CONN_PORT = 9000,	/* the tap's, of the established connection */
	UDP_PORT = 53,
	PEER_ISN = 1000000,
	MAX_FDS = 16,
	APP_IO = 70000,		/* a read or write of up to this */
};

enum { OP_TCP, OP_UDP, OP_ICMP, OP_RAW, OP_TIME, OP_READ, OP_WRITE, OP_CLOSE,
       OP_SHUTDOWN, OP_CONNECT, OP_ACCEPT, OP_PEEK, OP_SETOPT, NOPS };

struct run {
	struct net n;
	struct input in;
	int fds[MAX_FDS];
	int nfds;
	uint8_t io[APP_IO];
};

static void add_fd(struct run *r, int fd)
{
	if (fd >= 0 && r->nfds < MAX_FDS)
		r->fds[r->nfds++] = fd;
}

static struct sockaddr_in peer_sin(uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(NET_PEER) };
}

static int tcp_socket(struct stack *st)
{
	return sock_socket(st, AF_INET, SOCK_STREAM, 0);
}

/* The tap answers the stack's SYN to port 9000 with this SYN-ACK. */
static void syn_ack(struct run *r, struct flow *f)
{
	uint8_t *h = r->n.pkt + IP_HLEN;
	struct seg s = { .sport = f->fport, .dport = f->lport, .seq = PEER_ISN,
			 .ack = f->snd_nxt, .flags = SEG_SYN | SEG_ACK, .wnd = 65535,
			 .mss = 1460, .wscale = 7, .sack_perm = 1, .has_ts = 1,
			 .tsval = 1, .tsecr = f->tsval };
	size_t hlen = tcp_emit(h, &s);

	tcp_cksum_set(h, NET_PEER, NET_ADDR, hlen);
	net_inject(&r->n, r->n.pkt, net_ip(&r->n, IP_PROTO_TCP, hlen));
}

static void setup(struct run *r)
{
	struct stack *st = r->n.st;
	struct sockaddr_in any = { .sin_family = AF_INET }, peer = peer_sin(CONN_PORT);
	int fd;

	r->nfds = 0;
	fd = tcp_socket(st);
	any.sin_port = htons(LISTEN_PORT);
	sock_bind(st, fd, (struct sockaddr *)&any, sizeof any);
	sock_listen(st, fd, 4);
	add_fd(r, fd);

	fd = tcp_socket(st);
	sock_connect(st, fd, (struct sockaddr *)&peer, sizeof peer);
	add_fd(r, fd);
	net_settle(&r->n);
	if (r->n.nflows == 1)
		syn_ack(r, &r->n.flows[0]);

	fd = sock_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	any.sin_port = htons(UDP_PORT);
	sock_bind(st, fd, (struct sockaddr *)&any, sizeof any);
	add_fd(r, fd);

	fd = sock_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	sock_connect(st, fd, (struct sockaddr *)&peer, sizeof peer);
	add_fd(r, fd);
	net_settle(&r->n);
}

/* Payload bytes: a pattern, so that short inputs can send long segments. */
static void fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 1);
}

/* Options from the input, structured (ctl bits) or raw bytes. */
static size_t tcp_options(struct run *r, struct seg *s, uint8_t *h, const struct flow *f)
{
	uint8_t ctl = take8(&r->in);
	size_t hlen, got;
	const uint8_t *raw;

	tcp_no_options(s);
	if (ctl & 0x01)
		s->mss = take16(&r->in);
	if (ctl & 0x02)
		s->wscale = (int8_t)(take8(&r->in) & 0x1f);
	s->sack_perm = (ctl & 0x04) != 0;
	if (ctl & 0x08) {
		s->has_ts = 1;
		s->tsval = take32(&r->in);
		s->tsecr = f ? f->tsval + (int8_t)take8(&r->in) : take32(&r->in);
	}
	if (ctl & 0x10) {
		s->nsack = (uint8_t)(take8(&r->in) % TCP_SACK_MAX + 1);
		for (int i = 0; i < s->nsack; i++) {
			s->sack[i].start = s->ack + (int16_t)take16(&r->in);
			s->sack[i].end = s->sack[i].start + take16(&r->in);
		}
	}
	hlen = tcp_emit(h, s);
	if (!(ctl & 0x20))
		return hlen;
	/* raw options replace them: whatever bytes the input has */
	raw = take_bytes(&r->in, take8(&r->in) % (TCP_MAXOPT + 1), &got);
	memcpy(h + TCP_HLEN, raw, got);
	hlen = TCP_HLEN + ((got + 3) & ~(size_t)3);
	memset(h + TCP_HLEN + got, OPT_EOL, hlen - TCP_HLEN - got);
	h[12] = (uint8_t)(hlen / 4) << 4;
	return hlen;
}

/*
 * A segment from the tap: to a flow it has seen (numbers relative to
 * where that flow stands, or absolute) or to a new one (toward the
 * listener or any port).
 */
static void op_tcp(struct run *r)
{
	uint8_t sel = take8(&r->in), mode = take8(&r->in);
	uint8_t *h = r->n.pkt + IP_HLEN;
	struct flow *f = NULL;
	struct seg s = { 0 };
	size_t hlen, len;

	if (sel < 0x80 && r->n.nflows > 0) {
		f = &r->n.flows[sel % r->n.nflows];
		s.sport = f->fport;
		s.dport = f->lport;
		s.seq = f->ack;
		s.ack = f->snd_nxt;
	} else {
		s.sport = (uint16_t)(40000 + (sel & 7));
		s.dport = (sel & 8) ? take16(&r->in) : LISTEN_PORT;
		s.seq = PEER_ISN + (sel & 7) * 100000u;
	}
	s.seq = (mode & 0x01) ? take32(&r->in) : s.seq + (uint32_t)(int16_t)take16(&r->in);
	s.ack = (mode & 0x02) ? take32(&r->in) : s.ack + (uint32_t)(int16_t)take16(&r->in);
	s.flags = take8(&r->in);
	s.wnd = take16(&r->in);
	hlen = tcp_options(r, &s, h, f);
	put16(h + 18, (mode & 0x04) ? take16(&r->in) : 0);	/* urgent pointer */
	len = (mode & 0x08) ? take16(&r->in) % 2000 : (mode & 0x10) ? take8(&r->in) : 0;
	fill(h + hlen, len);
	tcp_cksum_set(h, NET_PEER, NET_ADDR, hlen + len);
	if (mode & 0x80)
		h[16] ^= 0x5a;	/* a wrong checksum */
	net_inject(&r->n, r->n.pkt, net_ip(&r->n, IP_PROTO_TCP, hlen + len));
}

static void op_udp(struct run *r)
{
	uint8_t mode = take8(&r->in);
	uint8_t *h = r->n.pkt + IP_HLEN;
	size_t got, len;
	const uint8_t *data = take_bytes(&r->in, take8(&r->in), &got);
	struct udphdr u = { .sport = take16(&r->in),
			    .dport = (mode & 1) ? take16(&r->in) : UDP_PORT };

	memcpy(h + UDP_HLEN, data, got);
	len = UDP_HLEN + got;
	u.len = (uint16_t)len;
	udp_emit(h, &u, NET_PEER, NET_ADDR);
	if (mode & 2)
		put16(h + 4, take16(&r->in));	/* a length of its own */
	if (mode & 4)
		put16(h + 6, (mode & 8) ? 0 : take16(&r->in));	/* none, or wrong */
	net_inject(&r->n, r->n.pkt, net_ip(&r->n, IP_PROTO_UDP, len));
}

/* Echo requests and replies, and errors quoting the stack's last packet
 * (a few of its bytes changed, at the input's choice). */
static void op_icmp(struct run *r)
{
	uint8_t mode = take8(&r->in);
	uint8_t *m = r->n.pkt + IP_HLEN;
	struct icmphdr h = { .type = take8(&r->in), .code = take8(&r->in) };
	size_t got, len;
	const uint8_t *body;

	if (mode & 1) {		/* an error */
		len = take8(&r->in) % (r->n.lastlen + 1);
		memcpy(m + ICMP_HLEN, r->n.last, len);
		for (int i = 0; i < (mode >> 1 & 3) && len > 0; i++)
			m[ICMP_HLEN + take8(&r->in) % len] ^= take8(&r->in);
		h.seq = take16(&r->in);	/* e.g. the next-hop MTU */
	} else {		/* an echo: to the stack, or a reply to its socket */
		h.id = (mode & 2) ? r->n.echo_id : take16(&r->in);
		h.seq = (mode & 4) ? r->n.echo_seq : take16(&r->in);
		body = take_bytes(&r->in, take8(&r->in), &got);
		memcpy(m + ICMP_HLEN, body, got);
		len = got;
	}
	icmp_emit(m, ICMP_HLEN + len, &h);
	if (mode & 0x80)
		m[2] ^= 0x5a;
	net_inject(&r->n, r->n.pkt, net_ip(&r->n, IP_PROTO_ICMP, ICMP_HLEN + len));
}

/* Any bytes as an IP packet, with the header made sane as far as the
 * input asks. */
static void op_raw(struct run *r)
{
	uint8_t fix = take8(&r->in);
	size_t got;
	const uint8_t *p = take_bytes(&r->in, take16(&r->in) % 1600, &got);

	memcpy(r->n.pkt, p, got);
	if (got >= IP_HLEN) {
		if (fix & 1)
			r->n.pkt[0] = 0x45;
		if (fix & 2)
			put16(r->n.pkt + 2, (uint16_t)got);
		if (fix & 4)
			put32(r->n.pkt + 16, NET_ADDR);
		if (fix & 8) {
			size_t hl = (size_t)(r->n.pkt[0] & 0xf) * 4;
			if (hl >= IP_HLEN && hl <= got) {
				put16(r->n.pkt + 10, 0);
				put16(r->n.pkt + 10, cksum(r->n.pkt, hl));
			}
		}
	}
	net_inject(&r->n, r->n.pkt, got);
}

/* From a microsecond to about two minutes, in one step. */
static void op_time(struct run *r)
{
	uint16_t v = take16(&r->in);

	net_advance(&r->n, (uint64_t)(v & 0x0fff) << (v >> 12));
}

static int pick_fd(struct run *r)
{
	return r->nfds > 0 ? r->fds[take8(&r->in) % r->nfds] : -1;
}

static void op_read(struct run *r)
{
	int fd = pick_fd(r);
	uint8_t mode = take8(&r->in);
	size_t len = take16(&r->in) + (mode & 1 ? 4096 : 0);
	struct sockaddr_in from;
	socklen_t fromlen = sizeof from;

	sock_recvfrom(r->n.st, fd, r->io, len < sizeof r->io ? len : sizeof r->io,
		      (mode & 2 ? MSG_PEEK : 0) | (mode & 4 ? MSG_TRUNC : 0),
		      (struct sockaddr *)&from, &fromlen);
}

static void op_write(struct run *r)
{
	int fd = pick_fd(r);
	uint8_t mode = take8(&r->in);
	size_t len = (size_t)take16(&r->in) * (mode & 1 ? 1 : 0) + (mode & 2 ? 65536 : 0);
	struct sockaddr_in to = peer_sin(take16(&r->in));

	fill(r->io, len < sizeof r->io ? len : sizeof r->io);
	sock_sendto(r->n.st, fd, r->io, len < sizeof r->io ? len : sizeof r->io, 0,
		    (mode & 4) ? (struct sockaddr *)&to : NULL, (mode & 4) ? sizeof to : 0);
}

static void op_close(struct run *r)
{
	int i = r->nfds > 0 ? take8(&r->in) % r->nfds : -1;

	if (i < 0)
		return;
	sock_close(r->n.st, r->fds[i]);
	r->fds[i] = r->fds[--r->nfds];
}

static void op_shutdown(struct run *r)
{
	int fd = pick_fd(r);

	sock_shutdown(r->n.st, fd, take8(&r->in) % 4);	/* NC_SHUT_ABORT is 3 */
}

/* A new socket connects to the tap, or an open one connects again. */
static void op_connect(struct run *r)
{
	uint8_t mode = take8(&r->in);
	struct sockaddr_in to = peer_sin(take16(&r->in));
	int fd;

	if (mode & 1) {
		fd = pick_fd(r);
	} else {
		fd = mode & 2 ? sock_socket(r->n.st, AF_INET, SOCK_DGRAM, 0) : tcp_socket(r->n.st);
		add_fd(r, fd);
	}
	if (mode & 4)
		to.sin_addr.s_addr = htonl(take32(&r->in));
	sock_connect(r->n.st, fd, (struct sockaddr *)&to, sizeof to);
}

static void op_accept(struct run *r)
{
	add_fd(r, sock_accept(r->n.st, pick_fd(r), NULL, NULL));
}

/* Zero-copy receive: look, then take some of it. */
static void op_peek(struct run *r)
{
	int fd = pick_fd(r), cnt = 4;
	struct iovec iov[4];
	ssize_t got = sock_peek(r->n.st, fd, iov, &cnt, take16(&r->in));

	if (got > 0)
		sock_consume(r->n.st, fd, take16(&r->in) % ((size_t)got + 1));
}

static void op_setopt(struct run *r)
{
	static const int opts[][2] = {
		{ SOL_SOCKET, SO_RCVBUF }, { SOL_SOCKET, SO_SNDBUF },
		{ SOL_SOCKET, SO_KEEPALIVE }, { IPPROTO_TCP, TCP_NODELAY },
		{ IPPROTO_TCP, TCP_MAXSEG }, { IPPROTO_TCP, TCP_KEEPIDLE },
		{ IPPROTO_TCP, TCP_KEEPINTVL }, { IPPROTO_TCP, TCP_KEEPCNT },
		{ IPPROTO_TCP, TCP_USER_TIMEOUT }, { IPPROTO_IP, IP_TTL },
	};
	int fd = pick_fd(r), i = take8(&r->in) % (int)(sizeof opts / sizeof opts[0]);
	int v = (int)take32(&r->in);

	if (take8(&r->in) & 1) {	/* SO_LINGER, 0 makes close a reset */
		struct linger lg = { .l_onoff = 1, .l_linger = v & 3 };
		sock_setopt(r->n.st, fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	} else {
		sock_setopt(r->n.st, fd, opts[i][0], opts[i][1], &v, sizeof v);
	}
}

static void (*const ops[NOPS])(struct run *r) = {
	[OP_TCP] = op_tcp, [OP_UDP] = op_udp, [OP_ICMP] = op_icmp, [OP_RAW] = op_raw,
	[OP_TIME] = op_time, [OP_READ] = op_read, [OP_WRITE] = op_write,
	[OP_CLOSE] = op_close, [OP_SHUTDOWN] = op_shutdown, [OP_CONNECT] = op_connect,
	[OP_ACCEPT] = op_accept, [OP_PEEK] = op_peek, [OP_SETOPT] = op_setopt,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;

	r.in = (struct input){ data, size };
	net_init(&r.n);
	setup(&r);
	while (input_left(&r.in)) {
		ops[take8(&r.in) % NOPS](&r);
		net_settle(&r.n);
	}
	net_fini(&r.n);
	return 0;
}
