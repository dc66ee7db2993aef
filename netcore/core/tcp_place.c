/*
 * Receiving in place: a download's payload read straight into its
 * socket's queue, without the copy from the driver's packet buffer.
 *
 * The driver cannot know whose a packet is before it has read it. So the
 * stack guesses: the connection that last queued a super-packet in order
 * (a bulk download; the kernel hands a TUN up to 64 KiB at once) will
 * most likely be the next packet's too, and its next bytes go at the end
 * of its queue. The driver reads the packet's headers into its buffer
 * and the rest into that room (stack_rx_room); stack_input_placed then
 * checks the guess against the headers (the connection, rcv_nxt, the
 * header's length) and, when it held, input runs as usual except that the
 * bytes are counted into the queue where they already are
 * (tcp_rcvq_in_order). When it did not, the driver makes the packet whole
 * again and hands it in as any other.
 *
 * Bytes read past the queue's end are nobody's until counted: out-of-order
 * data would live there, so a connection with some is never offered.
 */
#include "buf.h"
#include "ip6.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_impl.h"
#include "wire.h"

/* A payload this big came as a super-packet: its connection is a bulk
 * receiver, worth guessing for. Smaller ones are cheap to copy. */
enum { PLACE_MIN = 16384 };

static int receiving(const struct tcb *t)
{
	return t->so != NULL && t->nooo == 0 &&
	       (t->state == NC_TCP_ESTABLISHED || t->state == NC_TCP_FIN_WAIT_1 ||
		t->state == NC_TCP_FIN_WAIT_2);
}

/* The bytes of the IP and TCP headers of t's data segments: no IP
 * options, and the timestamps option when the connection has them. */
static size_t header_len(const struct tcb *t)
{
	return (t->v6 ? IP6_HLEN : IP_HLEN) + TCP_HLEN + (t->ts_ok ? OPT_TS_LEN : 0u);
}

int tcp_rx_room(struct stack *st, struct iovec *iov, int max, size_t *hdr)
{
	struct tcb *t = st->tcp->hot;
	uint32_t space;

	if (t == NULL || !receiving(t) || buf_pressure(st))
		return 0;
	space = t->rcvbuf > t->rcvq.len ? t->rcvbuf - t->rcvq.len : 0;
	*hdr = header_len(t);
	return bufq_room_iov(st, &t->rcvq, space < IP_MAXPACKET ? space : IP_MAXPACKET, iov, max);
}

/* Is pkt (len bytes in all, the wire layer's checks passed) a TCP
 * segment from t's peer to t with no IP options, extension header or
 * fragment, all of it one packet? Its TCP header then, else NULL. */
static const uint8_t *from_peer(const struct tcb *t, uint8_t *pkt, size_t len)
{
	struct ippkt ip;
	struct ip6hdr h6;

	if (t->v6)
		return ip6_parse_hdr(pkt, len, &h6) == IP6V_OK && h6.nxt == IP_PROTO_TCP &&
		       IP6_HLEN + (size_t)h6.plen == len && in6_eq(&h6.src, &t->faddr6) &&
		       in6_eq(&h6.dst, &t->laddr6) ? pkt + IP6_HLEN : NULL;
	return ip_parse(pkt, len, &ip) == IPV_OK && ip.hlen == IP_HLEN && ip.hlen + ip.len == len &&
	       (ip.frag & (IP_MF | IP_OFFMASK)) == 0 && ip.proto == IP_PROTO_TCP &&
	       ip.src == t->faddr && ip.dst == t->laddr ? ip.data : NULL;
}

/* Is pkt the hot connection's next in-order data segment, its headers as
 * header_len lays them out? */
static int is_next(const struct tcb *t, uint8_t *pkt, size_t len)
{
	size_t hl = header_len(t);
	const uint8_t *th = len > hl ? from_peer(t, pkt, len) : NULL;

	if (th == NULL)
		return 0;
	return get16(th) == t->fport && get16(th + 2) == t->lport && get32(th + 4) == t->rcv_nxt &&
	       (size_t)(th - pkt) + (size_t)(th[12] >> 4) * 4 == hl &&
	       (th[13] & (SEG_SYN | SEG_RST | SEG_URG | SEG_ACK)) == SEG_ACK;
}

int tcp_placed_begin(struct stack *st, uint8_t *pkt, size_t len)
{
	struct tcb *t = st->tcp->hot;

	if (t == NULL || !receiving(t) || !is_next(t, pkt, len)) {
		st->tcp->stats[TCPS_IN_PLACE_MISSED]++;
		return 0;
	}
	st->tcp->placed = t;
	return 1;
}

void tcp_placed_end(struct stack *st)
{
	st->tcp->placed = NULL;
}

size_t tcp_rcvq_in_order(struct stack *st, struct tcb *t, const uint8_t *d, uint32_t len)
{
	if (len >= PLACE_MIN)
		st->tcp->hot = t;
	if (st->tcp->placed == t) {	/* read there already (is_next: at rcv_nxt) */
		st->tcp->stats[TCPS_IN_PLACE]++;
		bufq_extend(&t->rcvq, len);
		return len;
	}
	return bufq_append(st, &t->rcvq, d, len);
}

void tcp_place_forget(struct stack *st, const struct tcb *t)
{
	if (st->tcp->hot == t)
		st->tcp->hot = NULL;
}
