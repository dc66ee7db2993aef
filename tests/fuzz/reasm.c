/*
 * Fuzz target "reasm": IP reassembly (netcore/core/reasm.c) through the
 * stack's input path. The input is a sequence of fragments of up to
 * 2048 datagrams (their id, source, protocol, flags and offset, length
 * and bytes from the input: enough to reach reassembly's limits) with
 * time passing between them; a UDP socket on
 * port 53 and an echo socket take what gets reassembled. At the end the
 * stack must hold nothing: no datagram left behind in reassembly.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "net.h"
#include "sock.h"
#include "wire.h"

enum { UDP_PORT = 53, OTHER_PEER = 0x0a4d0009 };

static const uint8_t protos[4] = { IP_PROTO_UDP, IP_PROTO_ICMP, IP_PROTO_TCP, 253 };

static void setup(struct net *n)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(NET_PEER) };
	int fd = sock_socket(n->st, AF_INET, SOCK_DGRAM, IPPROTO_UDP);

	sock_bind(n->st, fd, (struct sockaddr *)&any, sizeof any);
	fd = sock_socket(n->st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	sock_connect(n->st, fd, (struct sockaddr *)&peer, sizeof peer);
}

/* One fragment. A first one (offset 0) may start with a UDP header to
 * port 53 without checksum, so a datagram that completes reaches the
 * socket. */
static void fragment(struct net *n, struct input *in, uint8_t sel)
{
	uint8_t id = take8(in);
	uint16_t frag = take16(in), len = take16(in) % 1480;
	uint8_t *data = n->pkt + IP_HLEN;
	size_t got;
	const uint8_t *bytes = take_bytes(in, take8(in), &got);

	memset(data, 0, len);
	memcpy(data, bytes, got < len ? got : len);
	if ((sel & 0x40) && (frag & IP_OFFMASK) == 0 && len >= UDP_HLEN) {
		put16(data, 1234);
		put16(data + 2, UDP_PORT);
		put16(data + 6, 0);
	}
	ip_emit(n->pkt, &(struct iphdr){ .ttl = IP_DEFTTL, .proto = protos[sel >> 2 & 3],
					 .total = (uint16_t)(IP_HLEN + len), .id = id,
					 .frag = frag, .src = (sel & 0x10) ? OTHER_PEER : NET_PEER,
					 .dst = NET_ADDR });
	net_inject(n, n->pkt, IP_HLEN + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net n;
	struct input in = { data, size };

	net_init(&n);
	setup(&n);
	while (input_left(&in)) {
		uint8_t sel = take8(&in);

		if (sel & 0x80) {
			uint16_t v = take16(&in);	/* up to about a minute */
			net_advance(&n, (uint64_t)(v & 0x0fff) << (v >> 12 & 0x0f));
		} else {
			fragment(&n, &in, sel);
		}
	}
	net_fini(&n);
	return 0;
}
