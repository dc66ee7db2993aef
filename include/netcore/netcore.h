/*
 * netcore — a user-space TCP/IP stack behind a TUN device.
 *
 * The calls mirror POSIX sockets with an nc_ prefix and the stack as first
 * argument; they return -1 and set errno as POSIX does (SPEC.md §3, §7).
 * This header is the whole public surface: the FUSE daemon uses nothing else.
 */
#ifndef NETCORE_NETCORE_H
#define NETCORE_NETCORE_H

#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stddef.h>
#include <sys/uio.h>

/* libnetcore is built with -fvisibility=hidden: what this header declares
 * is its whole exported surface (tests/install checks it with nm -D). */
#pragma GCC visibility push(default)

struct nc_stack;

struct nc_config {
	size_t size;		/* sizeof the caller's struct: nc_config_init sets
				 * it, so a program built against an older, shorter
				 * struct still works (the fields it lacks keep
				 * their defaults) */
	const char *tun;	/* TUN to create or attach to; default "sn0" */
	struct in_addr addr;	/* the stack's own address; 10.77.0.2 */
	int prefix;		/* prefix length of addr; 24 */
	struct in_addr gw;	/* host side of the TUN, default route; 10.77.0.1 */
	int mtu;		/* 1500 */
	int no_config;		/* leave the host side alone (no netlink) */
	const char *pcap;	/* capture every packet to this file ("-":
				 * standard output), or NULL. Without one, TCP
				 * leaves its checksums to the kernel (partial,
				 * as for a NIC) and reads downloads into its
				 * buffers in place; with one, each packet is
				 * whole and checksummed, and a little slower */
	unsigned msl_ms;	/* maximum segment lifetime; TIME_WAIT is 2*MSL */
	size_t buf_max;		/* bytes all socket buffers may hold together;
				 * 0: 256 MiB */
	int own_loop;		/* 1: no thread; the caller runs nc_run() */
	int no_timestamps;	/* TCP offers and accepts no timestamps (RFC 7323) */
	int no_sack;		/* TCP offers and accepts no SACK (RFC 2018) */
	const char *cc;		/* congestion control of new TCP connections,
				 * a TCP_CONGESTION name; NULL: "cubic" */
	struct in6_addr addr6;	/* the stack's own IPv6 address; fd77::2 */
	int prefix6;		/* prefix length of addr6; 64 */
	struct in6_addr gw6;	/* host side of the TUN, default v6 route; fd77::1
				 * (:: : no default v6 route) */
	int no_ipv6;		/* speak no IPv6: AF_INET6 sockets get EAFNOSUPPORT */
	unsigned busy_poll_us;	/* the loop polls this long before it sleeps
				 * while events come close together; 0 (the
				 * default): never */
	int loop_boost;		/* nice levels, 0 to 19, the loop's thread runs
				 * above the thread that started it, as the
				 * kernel's network processing runs above
				 * programs; 0 (the default), or no right to
				 * (CAP_SYS_NICE), leaves it as it was */
	/* New fields go here, at the end: nc_open takes the struct of an
	 * older header, which ends at cc or at a later field. */
};

/* Fill the first size bytes of cfg with the defaults of SPEC.md §1. */
void nc_config_init_size(struct nc_config *cfg, size_t size);
/* Fill cfg with the defaults: the size is the caller's, compiled in. */
static inline void nc_config_init(struct nc_config *cfg)
{
	nc_config_init_size(cfg, sizeof *cfg);
}
/* Parse "a.b.c.d/N" (or "a.b.c.d", prefix 32). 0, or -1 with EINVAL. */
int nc_parse_cidr(const char *s, struct in_addr *addr, int *prefix);
/* Parse "fd77::2/N" (or "fd77::2", prefix 128). 0, or -1 with EINVAL. */
int nc_parse_cidr6(const char *s, struct in6_addr *addr, int *prefix);

/* Open the TUN, configure the host side, start the loop (a thread unless
 * cfg->own_loop). NULL with errno on failure; nc_error() says why. cfg
 * must come from nc_config_init (EINVAL otherwise: its size is unknown). */
struct nc_stack *nc_open(const struct nc_config *cfg);
/* Text of the last nc_open failure in this thread. */
const char *nc_error(void);
/* Reset every open TCP connection, stop the loop, remove what nc_open
 * created (TUN, host configuration), free everything. */
void nc_close_stack(struct nc_stack *st);

/* Run the event loop in the calling thread (cfg->own_loop) until
 * nc_stop(); returns 0, or -1 with errno. */
int nc_run(struct nc_stack *st);
/* Ask the loop to return; callable from any thread or a callback. */
void nc_stop(struct nc_stack *st);

/* Event-driven use, on the stack's own loop: ready(arg) runs on the loop
 * whenever fd is readable. fd < 0 entries are refused (EBADF). */
int nc_loop_watch(struct nc_stack *st, int fd, void (*ready)(void *arg), void *arg);
int nc_loop_unwatch(struct nc_stack *st, int fd);
/* cb(arg, s, revents) runs on the loop when socket s's readiness changes
 * (POLLIN POLLOUT POLLHUP POLLERR). cb NULL removes it. */
int nc_set_event_cb(struct nc_stack *st, int s,
		    void (*cb)(void *arg, int s, short revents), void *arg);

/* Sockets. domain AF_INET or AF_INET6; type SOCK_STREAM, SOCK_DGRAM
 * (SOCK_NONBLOCK may be or-ed in); protocol 0 or the matching IPPROTO_*
 * (SOCK_DGRAM with IPPROTO_ICMP, or IPPROTO_ICMPV6 on AF_INET6: echo
 * sockets). An AF_INET6 socket takes and gives struct sockaddr_in6 in
 * every call with an address; IPV6_V6ONLY is as Linux's, off by default:
 * such a socket also talks to IPv4 peers, seen as ::ffff:a.b.c.d. Bound
 * to ::ffff:0.0.0.0 it takes IPv4 peers alone; an AF_INET socket on
 * 0.0.0.0 and an IPV6_V6ONLY one on :: may share a port. */
int nc_socket(struct nc_stack *st, int domain, int type, int protocol);
int nc_bind(struct nc_stack *st, int s, const struct sockaddr *addr, socklen_t len);
int nc_listen(struct nc_stack *st, int s, int backlog);
int nc_accept(struct nc_stack *st, int s, struct sockaddr *addr, socklen_t *len);
int nc_connect(struct nc_stack *st, int s, const struct sockaddr *name, socklen_t namelen);
ssize_t nc_send(struct nc_stack *st, int s, const void *buf, size_t len, int flags);
ssize_t nc_recv(struct nc_stack *st, int s, void *buf, size_t len, int flags);
ssize_t nc_sendto(struct nc_stack *st, int s, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen);
ssize_t nc_recvfrom(struct nc_stack *st, int s, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen);
/* how: SHUT_RD, SHUT_WR, SHUT_RDWR, or NC_SHUT_ABORT: an abortive close
 * that keeps the socket (TCP: RST to the peer, straight to Closed; then
 * recv gives 0 and send EPIPE; UDP: the association dissolves). */
int nc_shutdown(struct nc_stack *st, int s, int how);
enum { NC_SHUT_ABORT = 3 };
int nc_close(struct nc_stack *st, int s);
int nc_getsockname(struct nc_stack *st, int s, struct sockaddr *addr, socklen_t *len);
int nc_getpeername(struct nc_stack *st, int s, struct sockaddr *addr, socklen_t *len);
int nc_setsockopt(struct nc_stack *st, int s, int level, int name, const void *val, socklen_t len);
int nc_getsockopt(struct nc_stack *st, int s, int level, int name, void *val, socklen_t *len);
int nc_set_nonblock(struct nc_stack *st, int s, int on);

/* Zero-copy receive for stream sockets: describe up to *iovcnt pieces of
 * at most len queued bytes without consuming them (returns the byte count,
 * 0 at EOF, -1 with errno like nc_recv), then nc_recv_consume() drops n of
 * them. The pieces stay valid until the next call on the socket. */
ssize_t nc_recv_peek(struct nc_stack *st, int s, struct iovec *iov, int *iovcnt, size_t len);
int nc_recv_consume(struct nc_stack *st, int s, size_t n);

/* Zero-copy send for stream sockets: the bytes are written straight into
 * the send buffer. fill(arg, iov, iovcnt) is called, under the stack's
 * lock and before nc_send_fill returns, with room for up to len bytes
 * (less when the buffer has less; flags as nc_send's: NC_MSG_OVERFILL,
 * MSG_MORE); it writes its bytes there from the front and returns how
 * many, or a negative errno. Those bytes are then sent as nc_send's
 * would be. Returns their count, or -1 with errno: nc_send's (EAGAIN
 * when there is no room: it never waits), or fill's. The daemon moves
 * an upload's bytes from the FUSE request to the queue this way. */
ssize_t nc_send_fill(struct nc_stack *st, int s, size_t len, int flags,
		     ssize_t (*fill)(void *arg, const struct iovec *iov, int iovcnt), void *arg);

struct nc_pollfd {
	int fd;
	short events;
	short revents;
};
int nc_poll(struct nc_stack *st, struct nc_pollfd *fds, nfds_t nfds, int timeout_ms);

/* Options of our own, beside the POSIX and Linux ones (SO_ERROR,
 * SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF, SO_LINGER, SO_REUSEADDR, TCP_NODELAY,
 * TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT,
 * TCP_INFO (struct nc_linux_tcp_info below), TCP_CONGESTION, TCP_CORK,
 * TCP_QUICKACK, TCP_NOTSENT_LOWAT, TCP_INQ, IP_TTL, IP_TOS,
 * IP_MTU_DISCOVER, IPV6_V6ONLY, IPV6_UNICAST_HOPS, IPV6_TCLASS). As on Linux, SO_RCVBUF and SO_SNDBUF read back twice
 * the size set (the buffer holds the size set), and IP_MTU_DISCOVER is
 * accepted but changes nothing yet. A TCP socket's buffers, until set,
 * grow by themselves as Linux's do (SPEC.md §7) and read back the size in
 * use.
 *
 * TCP_CONGESTION is a name, as on Linux: "cubic" (CUBIC, RFC 9438, with
 * HyStart++, RFC 9406; the default) or "reno" (NewReno, RFC 5681 and
 * 6582; "newreno" is taken too); another name is ENOENT. It may change
 * on a live connection, which keeps its window; getsockopt gives the
 * name in up to 16 bytes, zero-padded. An accepted connection has its
 * listener's.
 *
 * A stream send with NC_MSG_OVERFILL (netcore's, not a Linux flag) takes
 * all of buf at once, past the send buffer's limit if need be (only the
 * stack's buffer budget cuts it short); the caller then writes no more
 * until POLLOUT. The daemon's blocking writers use it: their bytes are
 * copied once, into the queue, rather than kept aside until room comes.
 *
 * TCP as Linux's: a send ends with PSH, unless flags has MSG_MORE, which
 * holds a short tail as TCP_CORK does, for that call. TCP_CORK 1 holds
 * writes shorter than a segment until TCP_CORK 0 or TCP_NODELAY 1 (which
 * sends what is held), or until the persist timer (an RTO, at least
 * 200 ms) sends them. TCP_QUICKACK 1 ACKs at once for a while (then
 * delayed ACKs resume; reads back 1 while it lasts), 0 delays ACKs again.
 * TCP_NOTSENT_LOWAT N: writable (POLLOUT, send) only while fewer than N
 * bytes wait to be sent a first time; 0 means no limit. TCP_INQ is kept
 * and read back, but nc_recv carries no control message: the bytes
 * readable are NC_TCP_INFO's qin. */
enum { NC_MSG_OVERFILL = 0x10000000 };

enum {
	NC_TCP_CONNECT_TIMEOUT = 0x4e01, /* IPPROTO_TCP, int ms; default 75000 */
	NC_TCP_INFO = 0x4e02,		 /* IPPROTO_TCP, struct nc_tcp_info */
	NC_SO_NREAD = 0x4e04,		 /* SOL_SOCKET, int, read only: bytes
					  * queued for reading (datagrams:
					  * their payloads), as Plan 9's
					  * stat of data gives */
	NC_TCP_CATCHALL = 0x4e03,	 /* IPPROTO_TCP, int: before listen on an
					  * unbound socket, it takes the SYNs
					  * to every port nobody listens on
					  * (one such listener a stack) */
};

/* TCP states, in RFC 9293 order; nc_tcp_state_name() gives the status
 * file's names (Closed Listen Syn_sent …). */
enum nc_tcp_state {
	NC_TCP_CLOSED, NC_TCP_LISTEN, NC_TCP_SYN_SENT, NC_TCP_SYN_RECEIVED,
	NC_TCP_ESTABLISHED, NC_TCP_FIN_WAIT_1, NC_TCP_FIN_WAIT_2,
	NC_TCP_CLOSE_WAIT, NC_TCP_CLOSING, NC_TCP_LAST_ACK, NC_TCP_TIME_WAIT,
};
const char *nc_tcp_state_name(int state);

struct nc_tcp_info {
	int state;		/* enum nc_tcp_state */
	uint32_t qin;		/* bytes readable */
	uint32_t qout;		/* bytes queued, not yet acknowledged */
	uint32_t srtt_us, mdev_us, rto_us;
	uint32_t cwnd;		/* congestion window, bytes */
	uint32_t ssthresh;
	uint32_t swnd;		/* peer's advertised window, bytes */
	uint32_t rwnd;		/* window we advertise, bytes */
	uint32_t mss;		/* send MSS */
	uint32_t retrans;	/* segments retransmitted */
	uint8_t wscale_snd, wscale_rcv, sack, timestamps;
};

/*
 * TCP_INFO (IPPROTO_TCP, Linux's option 11): the connection as Linux's
 * struct tcp_info of Linux 6.18 describes one, field for field at the
 * same offsets, so programs and test tools written for Linux read it
 * unchanged. A shorter buffer gets the leading part. Units as Linux:
 * times in µs except last_* and total_rto_time (ms); cwnd and ssthresh in
 * segments of snd_mss (ssthresh NC_TCPI_INFINITE_SSTHRESH before any
 * loss); unacked, sacked, lost and retrans in segments. delivery_rate is
 * the last round trip's (bytes delivered over its length, not Linux's
 * per-ACK sample); pacing_rate is BBR's, 0 for the window-based
 * algorithms, which do not pace. Fields netcore has nothing for (ECN,
 * rehash) read 0.
 */
enum {
	NC_TCPI_OPT_TIMESTAMPS = 1, NC_TCPI_OPT_SACK = 2, NC_TCPI_OPT_WSCALE = 4,
	NC_TCPI_INFINITE_SSTHRESH = 0x7fffffff,
};
/* tcpi_state, Linux's numbering (not enum nc_tcp_state's). */
enum {
	NC_TCPI_ESTABLISHED = 1, NC_TCPI_SYN_SENT, NC_TCPI_SYN_RECV, NC_TCPI_FIN_WAIT1,
	NC_TCPI_FIN_WAIT2, NC_TCPI_TIME_WAIT, NC_TCPI_CLOSE, NC_TCPI_CLOSE_WAIT,
	NC_TCPI_LAST_ACK, NC_TCPI_LISTEN, NC_TCPI_CLOSING,
};
/* tcpi_ca_state: where loss recovery is. */
enum {
	NC_TCPI_CA_OPEN, NC_TCPI_CA_DISORDER, NC_TCPI_CA_CWR, NC_TCPI_CA_RECOVERY,
	NC_TCPI_CA_LOSS,
};

struct nc_linux_tcp_info {
	uint8_t tcpi_state, tcpi_ca_state;
	uint8_t tcpi_retransmits;	/* timeouts in a row */
	uint8_t tcpi_probes;		/* zero-window or keepalive probes unanswered */
	uint8_t tcpi_backoff;		/* doublings of the RTO */
	uint8_t tcpi_options;		/* NC_TCPI_OPT_* */
	uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
	uint8_t tcpi_delivery_rate_app_limited : 1, tcpi_fastopen_client_fail : 2;

	uint32_t tcpi_rto, tcpi_ato;	/* µs */
	uint32_t tcpi_snd_mss, tcpi_rcv_mss;

	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;

	/* ms since the event; last_ack_sent is not kept (0, as Linux) */
	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent;
	uint32_t tcpi_last_data_recv, tcpi_last_ack_recv;

	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh;
	uint32_t tcpi_rtt, tcpi_rttvar;	/* µs */
	uint32_t tcpi_snd_ssthresh, tcpi_snd_cwnd;
	uint32_t tcpi_advmss, tcpi_reordering;
	uint32_t tcpi_rcv_rtt, tcpi_rcv_space;
	uint32_t tcpi_total_retrans;	/* segments resent, ever */

	uint64_t tcpi_pacing_rate, tcpi_max_pacing_rate;	/* bytes/s */
	uint64_t tcpi_bytes_acked, tcpi_bytes_received;
	uint32_t tcpi_segs_out, tcpi_segs_in;
	uint32_t tcpi_notsent_bytes;
	uint32_t tcpi_min_rtt;		/* µs */
	uint32_t tcpi_data_segs_in, tcpi_data_segs_out;
	uint64_t tcpi_delivery_rate;	/* bytes/s */
	uint64_t tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;	/* µs */
	uint32_t tcpi_delivered, tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups, tcpi_reord_seen;
	uint32_t tcpi_rcv_ooopack;
	uint32_t tcpi_snd_wnd, tcpi_rcv_wnd;	/* bytes, scaled */
	uint32_t tcpi_rehash;
	uint16_t tcpi_total_rto, tcpi_total_rto_recoveries;
	uint32_t tcpi_total_rto_time;	/* ms */
	/* Accurate ECN (Linux 6.18); netcore does no ECN */
	uint32_t tcpi_received_ce;
	uint32_t tcpi_delivered_e1_bytes, tcpi_delivered_e0_bytes, tcpi_delivered_ce_bytes;
	uint32_t tcpi_received_e1_bytes, tcpi_received_e0_bytes, tcpi_received_ce_bytes;
	uint32_t tcpi_ecn_mode : 2, tcpi_accecn_opt_seen : 2, tcpi_accecn_fail_mode : 4,
		 tcpi_options2 : 24;
};

/* Interface, routes and counters, for ipifc/status, iproute, P/stats.
 * addr6 is :: (and prefix6 0) when the stack speaks no IPv6. */
struct nc_ifinfo {
	char name[16];
	struct in_addr addr, gw;
	int prefix, mtu;
	struct in6_addr addr6, gw6;
	int prefix6;
	uint64_t ipackets, ibytes, opackets, obytes, ierrors, oerrors;
};
int nc_ifinfo(struct nc_stack *st, struct nc_ifinfo *out);
/* Interface n: 0 the TUN (as nc_ifinfo), 1 the loopback (127.0.0.1/8
 * and, with IPv6, ::1/128: what the stack sends itself); -1 with ENOENT
 * past the last. */
int nc_ifinfo_n(struct nc_stack *st, int n, struct nc_ifinfo *out);

struct nc_route {
	struct in_addr dst;
	int prefix;
	struct in_addr gw;	/* 0.0.0.0 for a connected route */
};
/* Copies up to max routes; returns how many the table has. */
int nc_routes(struct nc_stack *st, struct nc_route *out, int max);

/* Changing routes (iproute): add replaces a route to the same dst/prefix;
 * the gateway must be on a network the interface is connected to
 * (ENETUNREACH otherwise); EINVAL for a bad prefix or a gateway 0.0.0.0,
 * ENOSPC when the table is full. del: ESRCH if no such route. flush
 * removes every route through a gateway (connected ones stay with their
 * addresses). Effective at once for every packet sent. */
int nc_route_add(struct nc_stack *st, struct in_addr dst, int prefix, struct in_addr gw);
int nc_route_del(struct nc_stack *st, struct in_addr dst, int prefix);
int nc_route_flush(struct nc_stack *st);

/* The interface's addresses (ipifc): the primary one first, the source
 * of what the stack starts. remote: the far end of a point-to-point link,
 * or the network's own address. nc_ifaddrs copies up to max, returns how
 * many there are. add: a new address (or a new mask for one there) and
 * its connected route; unless the stack was opened with no_config, the
 * host routes that network to the TUN. EINVAL, ENOSPC (8 addresses at
 * most). del: EADDRNOTAVAIL if the interface has no such address/prefix. */
struct nc_ifaddr {
	struct in_addr addr, remote;
	int prefix;
};
int nc_ifaddrs(struct nc_stack *st, struct nc_ifaddr *out, int max);
int nc_addr_add(struct nc_stack *st, struct in_addr addr, int prefix, struct in_addr remote);
int nc_addr_del(struct nc_stack *st, struct in_addr addr, int prefix);
/* The link MTU (576–65535): segments (the MSS of new connections) and
 * datagrams made from now on; the TUN gets it too unless no_config. */
int nc_set_mtu(struct nc_stack *st, int mtu);

/*
 * The protocol event log (Plan 9's netlog): cb(arg, ev) for each event of
 * a protocol in mask (NC_LOG_*): drops with their reason, TCP state
 * changes, retransmissions, RSTs sent and received, ICMP errors sent and
 * received. mask 0 (or cb NULL) turns it off: the stack then builds no
 * event. cb runs on the thread running the stack, with its lock held: it
 * must not block nor call nc_*; it copies what it keeps (the strings are
 * static, the event is not).
 */
enum { NC_LOG_IP = 1, NC_LOG_ICMP = 2, NC_LOG_UDP = 4, NC_LOG_TCP = 8 };
struct nc_log_event {
	uint64_t time_us;	/* the stack's clock (CLOCK_MONOTONIC) */
	int proto;		/* one NC_LOG_* */
	const char *what;	/* "drop", "state", "rexmit", "rst in", "rst out",
				 * "error in", "error out" (ICMP) */
	const char *why;	/* a drop's reason ("bad checksum" …), or NULL */
	struct in_addr src, dst;	/* as the packet went */
	uint16_t sport, dport;		/* host order, 0 if none */
	int from, to;		/* "state": enum nc_tcp_state before, after */
	int type, code;		/* ICMP errors */
};
int nc_set_log(struct nc_stack *st, unsigned mask,
	       void (*cb)(void *arg, const struct nc_log_event *ev), void *arg);

/* The IPv6 routing table, as nc_routes. */
struct nc_route6 {
	struct in6_addr dst;
	int prefix;
	struct in6_addr gw;	/* :: for a connected route */
};
int nc_routes6(struct nc_stack *st, struct nc_route6 *out, int max);

struct nc_stat {
	const char *name;
	uint64_t value;
};
/* Counters of one protocol (IPPROTO_IP, IPPROTO_ICMP, IPPROTO_TCP,
 * IPPROTO_UDP, and IPPROTO_IPV6, IPPROTO_ICMPV6 for IPv6 alone) as
 * name/value pairs; returns how many, copies up to max. */
int nc_stats(struct nc_stack *st, int proto, struct nc_stat *out, int max);

#pragma GCC visibility pop

#endif
