/*
 * The deterministic core of netcore: one struct stack holds the interface,
 * the routes, the counters, the timers and the protocols. Time comes in as
 * an argument (microseconds on any monotonic origin), packets come in
 * through stack_input() and go out through the output callback. Nothing
 * below this header reads a clock or makes a system call (DESIGN rule 1).
 */
#ifndef NETCORE_STACK_H
#define NETCORE_STACK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "timer.h"

struct tcp;
struct udp;
struct sock;
struct socktab;

/* Packet output: one IPv4 or IPv6 packet (its first nibble says which), valid only during the call. gso 0: a
 * whole packet; otherwise a TCP super-packet the link cuts into segments
 * of gso payload bytes (TCP segmentation offload, when the stack's
 * config asked for it). */
typedef void (*stack_output_fn)(void *arg, const uint8_t *pkt, size_t len, unsigned gso);
/* The same in pieces (len bytes in all): the headers, then a TCP
 * payload where it lies in its socket's send buffer. A link that can
 * write such a list gives it in the config; with csum_offload too (a
 * checksum would read the payload anyway), TCP leaves its payloads where
 * they are instead of copying each behind its header. */
typedef void (*stack_output_iov_fn)(void *arg, const struct iovec *iov, int cnt, size_t len,
				    unsigned gso);

struct stack_config {
	uint32_t addr;		/* host byte order, like every address inside */
	int prefix;
	uint32_t gw;		/* 0: no default route */
	struct in6_addr addr6;	/* :: : the stack speaks no IPv6 */
	int prefix6;
	struct in6_addr gw6;	/* :: : no default IPv6 route */
	int mtu;
	unsigned msl_ms;	/* 0 means 30000 */
	uint64_t seed;		/* for ports, IP ids, timers' jitter; tests fix it */
	uint8_t secret[16];	/* key of stack_hash() (ISNs, timestamp offsets,
				 * ports); all zero: drawn from the seed, as
				 * tests want it reproducible */
	int tso;		/* the link takes TCP super-packets (gso) */
	stack_output_iov_fn output_iov;	/* may be NULL: see stack_output_iov_fn */
	int csum_offload;	/* the link finishes TCP checksums: a segment
				 * leaves with its pseudo-header's sum in the
				 * checksum field, to be summed on from the
				 * TCP header (a NIC's partial checksum) */
	int no_timestamps;	/* offer and accept no TCP timestamps */
	int no_sack;		/* offer and accept no SACK */
	int push_segs;		/* PSH at least every this many segments of a
				 * burst, as Linux's TSO packets; 0 means 2 */
	int no_idle_restart;	/* cwnd is kept through idle (Linux's
				 * tcp_slow_start_after_idle=0) */
	int tcp_cc;		/* new connections' congestion control, enum
				 * tcp_ccalg (tcp.h); 0 is CUBIC */
	size_t buf_max;		/* bytes every socket buffer may hold together;
				 * 0: 256 MiB */
};

/* Counters of the interface (nc_ifinfo). */
struct ifstats {
	uint64_t ipackets, ibytes, opackets, obytes, ierrors, oerrors;
};

/* Counters of IP and ICMP, indexes of st->ips and st->icmps; their names
 * (as Linux's /proc/net/snmp) are in stack.c, by these indexes. */
enum {
	IPS_IN_RECEIVES, IPS_IN_DELIVERS, IPS_OUT_REQUESTS,
	IPS_IN_SHORT, IPS_IN_VERSION, IPS_IN_HLEN, IPS_IN_CKSUM, IPS_IN_LEN,
	IPS_IN_ADDR_ERRORS, IPS_IN_UNKNOWN_PROTO, IPS_IN_TTL, IPS_OUT_NO_ROUTES,
	IPS_FRAG_NEEDED,	/* datagrams over the MTU with DF, dropped */
	IPS_REASM_REQDS, IPS_REASM_OKS, IPS_REASM_FAILS,
	IPS_N
};

enum {
	ICMPS_IN_MSGS, ICMPS_IN_ERRORS, ICMPS_IN_ECHOS, ICMPS_IN_ECHO_REPS,
	ICMPS_IN_DEST_UNREACHS, ICMPS_OUT_MSGS, ICMPS_OUT_ECHO_REPS,
	ICMPS_OUT_DEST_UNREACHS, ICMPS_OUT_ECHOS, ICMPS_OUT_TIME_EXCDS,
	ICMPS_N
};

/* Counters of IPv6 and ICMPv6 (Linux's /proc/net/snmp6 names, stack.c). */
enum {
	IP6S_IN_RECEIVES, IP6S_IN_DELIVERS, IP6S_OUT_REQUESTS,
	IP6S_IN_TRUNCATED,	/* shorter than the header, or than its payload length */
	IP6S_IN_HDR_ERRORS,	/* version, hop limit 0, a malformed extension header */
	IP6S_IN_ADDR_ERRORS, IP6S_IN_UNKNOWN_PROTO, IP6S_OUT_NO_ROUTES,
	IP6S_FRAG_CREATES, IP6S_FRAG_OKS, IP6S_REASM_REQDS, IP6S_REASM_OKS,
	IP6S_REASM_FAILS, IP6S_REASM_TIMEOUT,
	IP6S_N
};

enum {
	ICMP6S_IN_MSGS, ICMP6S_IN_ERRORS, ICMP6S_IN_ECHOS, ICMP6S_IN_ECHO_REPLIES,
	ICMP6S_IN_DEST_UNREACHS, ICMP6S_IN_PKT_TOO_BIGS, ICMP6S_IN_TIME_EXCDS,
	ICMP6S_IN_PARM_PROBLEMS, ICMP6S_OUT_MSGS, ICMP6S_OUT_ECHO_REPLIES,
	ICMP6S_OUT_ECHOS, ICMP6S_OUT_DEST_UNREACHS, ICMP6S_OUT_PARM_PROBLEMS,
	ICMP6S_OUT_TIME_EXCDS, ICMP6S_OUT_RATE_LIMITED,
	ICMP6S_N
};

/* A route: dst/prefix, through gw (0: directly connected). */
struct route {
	uint32_t dst;
	int prefix;
	uint32_t gw;
};
/* An IPv6 route, the same (gw :: : directly connected). */
struct route6 {
	struct in6_addr dst;
	int prefix;
	struct in6_addr gw;
};
enum { STACK_MAX_ROUTES = 16 };
/* A path MTU learnt from a packet too big (RFC 8201), for a while. */
struct pmtu6 {
	struct in6_addr dst;
	uint32_t mtu;		/* 0: slot free */
	uint64_t expires;	/* µs */
};
enum { STACK_PMTU6 = 16 };
/* Room before st->obuf: IPv6 and fragment header, less IPv4's. */
enum { OBUF_HEADROOM = 32 };

/* An address of the interface (a logical interface, Plan 9's Iplifc):
 * addr/prefix, and the far end of a point-to-point link, or the network
 * itself when there is none. */
struct lifc {
	uint32_t addr, mask, remote;
	int prefix;
};
enum { STACK_MAX_ADDRS = 8 };

/*
 * The protocol event log (Plan 9's netlog): the core reports drops with
 * their reason, TCP state changes, retransmissions, RSTs and ICMP errors
 * through st->log, only for the protocols in st->log_mask, so nothing is
 * built while nobody listens. The strings are static.
 */
enum { LOG_IP = 1, LOG_ICMP = 2, LOG_UDP = 4, LOG_TCP = 8 };
struct log_event {
	int proto;		/* one LOG_* */
	const char *what;	/* "drop", "state", "rexmit", "rst out" … */
	const char *why;	/* a drop's reason, or NULL */
	uint32_t src, dst;
	uint16_t sport, dport;
	int from, to;		/* "state": enum nc_tcp_state before and after */
	int type, code;		/* ICMP errors */
};

/* Per transport: how ICMP and ICMPv6 errors quoting one of its packets
 * reach it, in ICMPv4's types and codes (icmp6.c translates). info is
 * the message's second word (a packet too big's MTU). quoted is the
 * packet quoted: its addresses (v4 or v6), proto, and data at its
 * transport header, of which at least 8 bytes are there. */
struct ippkt;
typedef void (*icmp_error_fn)(struct stack *st, int type, int code, uint32_t info,
			      const struct ippkt *quoted);

/* A transport, as the IP layer sees it (cf. Plan 9's struct Proto).
 * stack.c keeps the table of the ones this stack speaks. */
struct ippkt;
struct nc_stat;
struct sockops;
struct proto {
	uint8_t num;		/* IP protocol number */
	int (*init)(struct stack *st);
	void (*fini)(struct stack *st);
	void (*input)(struct stack *st, struct ippkt *ip);
	icmp_error_fn error;
	int (*stats)(struct stack *st, struct nc_stat *out, int max);
	void (*flush)(struct stack *st);	/* end of a batch of input */
	const struct sockops *ops;	/* its sockets, NULL if none */
};
/* The socket operations for socket(type, protocol), NULL if none. */
const struct sockops *stack_sockops(int type, int protocol);
/* The transport for an IP protocol number, NULL if not spoken. */
const struct proto *stack_proto(int num);
/* Counters of IPPROTO_IP (and the interface), ICMP, TCP, UDP. */
int stack_stats(struct stack *st, int proto, struct nc_stat *out, int max);
/* Copy n counters and their names out, up to max; returns n. */
int stack_put_stats(struct nc_stat *out, int max, const char *const *names,
		    const uint64_t *values, int n);

struct stack {
	uint32_t addr, mask, gw;
	int prefix, mtu;
	/* IPv6 (ip6.c), on when addr6 is not :: */
	int ip6_on;
	struct in6_addr addr6, gw6;
	int prefix6;
	struct route6 routes6[STACK_MAX_ROUTES];
	int nroutes6;
	uint64_t ip6s[IP6S_N];
	uint64_t icmp6s[ICMP6S_N];
	struct reasm *reasm6;	/* reasm.c, IPv6 fragments, NULL until the first */
	struct pmtu6 pmtu6[STACK_PMTU6];	/* ip6.c: path MTUs learnt */
	uint32_t frag6_count;	/* ip6.c: fragment identifications */
	uint64_t icmp6_credit_at;	/* icmp6.c: error rate limit, token bucket */
	int icmp6_credit;

	int tso, csum_offload;	/* see stack_config */
	int no_timestamps, no_sack, push_segs, no_idle_restart;	/* see stack_config */
	uint8_t tcp_cc;		/* see stack_config */
	unsigned msl_ms;
	uint64_t now;		/* µs, set by stack_input/stack_advance */

	stack_output_fn output;
	stack_output_iov_fn output_iov;	/* NULL unless the config gave one */
	void *output_arg;

	struct route routes[STACK_MAX_ROUTES];
	int nroutes;
	/* the interface's addresses; addrs[0] is addr/prefix/mask above,
	 * the primary one (the source of what the stack starts) */
	struct lifc addrs[STACK_MAX_ADDRS];
	int naddrs;

	unsigned log_mask;	/* LOG_* reported through log */
	void (*log)(void *arg, const struct log_event *ev);
	void *log_arg;

	struct ifstats ifs;
	uint64_t ips[IPS_N];
	uint64_t icmps[ICMPS_N];

	uint16_t ip_id[256];	/* ip.c: IP ID counters, by destination */
	uint64_t rng;		/* xorshift state, from the seed */
	uint8_t secret[16];	/* key of stack_hash() */
	uint16_t port_step[256];	/* sock.c: ephemeral ports (RFC 6056) */

	struct timers timers;

	struct socktab *socks;	/* sock.c */
	struct tcp *tcp;	/* tcp.c */
	struct udp *udp;	/* udp.c */
	struct reasm *reasm;	/* reasm.c, NULL until the first fragment */
	struct ping *ping;	/* ping.c, NULL while no echo socket is open */
	struct loopback *lo;	/* loopback.c, NULL until the stack talks to itself */
	struct chunkpool *pool;	/* buf.c: free chunks, NULL until first use */
	unsigned chunks_max;	/* buf.c: chunks queues may hold, the budget */

	/* Called after stack_flush() delivered events, so a driver can wake
	 * threads blocked in the API. */
	void (*wake)(void *arg);
	void *wake_arg;

	/* Output scratch: transports build segments at obuf + IP_HLEN;
	 * OBUF_HEADROOM bytes before obuf take an IPv6 header's extra. */
	uint8_t *obuf;
	size_t obuf_size;
};

struct stack *stack_new(const struct stack_config *cfg, stack_output_fn out, void *arg);
void stack_free(struct stack *st);

/*
 * The driver's contract: for each batch of input (up to 64 packets from
 * the TUN, or a timer going off), stack_input() each packet, then one
 * stack_poll(). Output leaves through the output callback meanwhile;
 * events reach the sockets' callbacks in stack_poll. Returns the next
 * deadline (µs, UINT64_MAX: none): the driver calls again by then (at
 * once when it is not later than now).
 */
uint64_t stack_poll(struct stack *st, uint64_t now);

/* One IPv4 packet arrives at time now. The buffer may be modified. */
void stack_input(struct stack *st, uint64_t now, uint8_t *pkt, size_t len);
/* The same, from a link that vouches for the TCP/UDP checksum (the kernel
 * hands a TUN with checksum offload packets whose checksum is partial). */
void stack_input_csum_ok(struct stack *st, uint64_t now, uint8_t *pkt, size_t len);
/* Receiving in place (tcp_place.c): where the payload of the next packet
 * most likely belongs, a TCP download's queue, as at most max iovecs (0:
 * no guess), and in *hdr the bytes of headers before it. The driver reads
 * the packet's first *hdr bytes into its buffer and the rest there, then
 * hands it in with stack_input_placed (len: the whole packet's bytes, the
 * link having vouched for its checksum). -1: the guess was wrong, nothing
 * was done; the driver makes the packet whole and calls stack_input. */
int stack_rx_room(struct stack *st, struct iovec *iov, int max, size_t *hdr);
int stack_input_placed(struct stack *st, uint64_t now, uint8_t *pkt, size_t len);
/* Time moves to now: run every timer that is due. */
void stack_advance(struct stack *st, uint64_t now);
/* When the next timer is due (µs), UINT64_MAX if none. */
uint64_t stack_deadline(struct stack *st);
/* Deliver socket readiness events gathered since the last flush (and the
 * output the batch made due), so readers see whole batches. stack_poll
 * calls it; so does the API after a call from another thread. */
void stack_flush(struct stack *st);

/* What the stack holds for work in progress: open sockets, TCP control
 * blocks, chunks in socket queues, bytes of datagrams in reassembly,
 * armed timers, packets on the loopback. 0 once it has let go of everything (the unit tests end
 * with that check, as lwIP's do). */
size_t stack_mem(struct stack *st);
/* Sockets and TCP control blocks alive: what a burst of connections
 * leaves behind, and not the data in flight. */
size_t stack_conns(struct stack *st);

/* Handing out randomness from the seeded generator. */
uint64_t stack_random(struct stack *st);
/*
 * A keyed hash (SipHash-2-4) of 16 bytes under the stack's secret, for
 * values a remote host must not predict: ISNs (RFC 6528), timestamp
 * offsets, ephemeral ports (RFC 6056), IP IDs (RFC 7739), SYN
 * cookies. Each use hashes under its own tag
 * (in m1's top byte, which the uses leave 0), so no two share values.
 */
enum hash_use { HASH_ISN, HASH_TS_OFFSET, HASH_PORT_OFFSET, HASH_PORT_STEP, HASH_IP_ID,
		HASH_SYNCOOKIE };
uint64_t stack_hash(const struct stack *st, enum hash_use use, uint64_t m0, uint64_t m1);

/* Routes: add/remove; lookup is longest-prefix match. flush removes
 * every route through a gateway; the connected ones stay with their
 * addresses. */
int route_add(struct stack *st, uint32_t dst, int prefix, uint32_t gw);
int route_del(struct stack *st, uint32_t dst, int prefix);
void route_flush(struct stack *st);
/* Is dst on a network an address of the interface is connected to? */
int route_connected(const struct stack *st, uint32_t dst);

/* The interface's addresses (ip.c). add: a new address (or new mask and
 * remote for one it has) and the route to its network; 0, -EINVAL or
 * -ENOSPC. del: -EADDRNOTAVAIL if the interface has no such address. */
int ifaddr_add(struct stack *st, uint32_t addr, int prefix, uint32_t remote);
int ifaddr_del(struct stack *st, uint32_t addr, int prefix);
/* The link MTU, 576 to 65535, for the segments and datagrams made from
 * now on; 0 or -EINVAL. */
int stack_set_mtu(struct stack *st, int mtu);

/* Report an event when ev->proto is logged (st->log_mask). */
void stack_log(struct stack *st, const struct log_event *ev);
static inline int stack_logs(const struct stack *st, int proto)
{
	return (st->log_mask & (unsigned)proto) != 0;
}
const struct route *route_lookup(const struct stack *st, uint32_t dst);

/* The IPv6 table (ip6.c), the same. */
int route6_add(struct stack *st, const struct in6_addr *dst, int prefix,
	       const struct in6_addr *gw);
int route6_del(struct stack *st, const struct in6_addr *dst, int prefix);
const struct route6 *route6_lookup(const struct stack *st, const struct in6_addr *dst);

static inline uint32_t prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~0u << (32 - prefix);
}

#endif
