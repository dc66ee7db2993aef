#!/usr/bin/env python3
"""Write the seed corpora, corpus/TARGET/NAME, from the inputs below.

Each seed is a small valid input in the target's own format (see the
comment at the top of each harness): packets and app calls for packet,
fragment sets for reasm, ctl commands, cs queries with DNS replies, DNS
replies. Run it again after changing a harness's input format; regression
inputs of findings are kept as found (corpus/TARGET/regress-*)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(*v):
    return bytes(v)


def u16(*v):
    return b"".join(struct.pack(">H", x & 0xFFFF) for x in v)


def u32(*v):
    return b"".join(struct.pack(">I", x & 0xFFFFFFFF) for x in v)


# ---- packet: operations (packet.c) ----
(OP_TCP, OP_UDP, OP_ICMP, OP_RAW, OP_TIME, OP_READ, OP_WRITE, OP_CLOSE,
 OP_SHUTDOWN, OP_CONNECT, OP_ACCEPT, OP_PEEK, OP_SETOPT) = range(13)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
CONN = 0                             # the established connection's flow
FD_LISTEN, FD_CONN, FD_UDP, FD_ECHO = 0, 1, 2, 3   # the fds set up, in order


def tcp(flow, flags, seq=0, ack=0, win=0xFFFF, opts=b"\x00", data=0, mode=0):
    """A segment to flow (numbers relative), opts a ctl byte and its fields."""
    if data:
        mode |= 0x08
        tail = u16(data)
    else:
        tail = b""
    return u8(OP_TCP, flow, mode) + u16(seq, ack) + u8(flags) + u16(win) + opts + tail


def ts(delta=0):
    return u8(0x08) + u32(100) + u8(delta)


def time(us_code):
    return u8(OP_TIME) + u16(us_code)


def read(fd, n=0x1000):
    return u8(OP_READ, fd, 0) + u16(n)


def write(fd, n, to=None):
    if to is None:
        return u8(OP_WRITE, fd, 1) + u16(n) + u16(0)
    return u8(OP_WRITE, fd, 1 | 4) + u16(n) + u16(to)


ONE_MS, ONE_S = 0x03E8, 0xA3D1      # 1000 µs; 977 << 10 µs
PACKET = {
    "data-in": tcp(CONN, PSH | ACK, opts=ts(), data=100) + read(FD_CONN) + time(ONE_MS),
    "data-out-acked": write(FD_CONN, 3000) + time(ONE_MS) + tcp(CONN, ACK, opts=ts()) + time(ONE_S),
    "handshake-accept": tcp(0x80, SYN, opts=u8(0x0F) + u16(1460) + u8(7) + u32(5, 0))
    + tcp(1, ACK) + u8(OP_ACCEPT, FD_LISTEN) + write(4, 500) + time(ONE_MS),
    "udp-in": u8(OP_UDP, 0, 5) + b"hello" + u16(4000) + read(FD_UDP) + write(FD_UDP, 10, 4000),
    "echo-request": u8(OP_ICMP, 0, 8, 0) + u16(7, 1) + u8(4) + b"ping" + time(ONE_MS),
    "echo-reply": write(FD_ECHO, 16) + u8(OP_ICMP, 6, 0, 0) + u8(16) + bytes(16) + read(FD_ECHO),
    "icmp-needfrag": write(FD_CONN, 1400) + u8(OP_ICMP, 1, 3, 4, 64) + u16(576) + time(ONE_S),
    "fin-close": tcp(CONN, FIN | ACK) + read(FD_CONN) + u8(OP_CLOSE, FD_CONN) + time(ONE_S),
    "rst": tcp(CONN, RST | ACK) + read(FD_CONN),
    "sack": write(FD_CONN, 20000) + time(ONE_MS)
    + tcp(CONN, ACK, opts=u8(0x10, 0) + u16(1448, 1448)) + time(ONE_S),
    "zero-window": tcp(CONN, ACK, win=0) + write(FD_CONN, 5000) + time(ONE_S) + time(0xF000 | 0xFFF),
    "raw-ip": u8(OP_RAW, 0x0F) + u16(28) + u8(0x45, 0, 0, 28) + bytes(5) + u8(1) + bytes(14)
    + u8(8, 0) + bytes(6),
    "out-of-order": tcp(CONN, PSH | ACK, seq=1000, data=500) + tcp(CONN, PSH | ACK, data=1000)
    + read(FD_CONN) + time(ONE_MS),
    "closing": u8(OP_SHUTDOWN, FD_CONN, 1) + tcp(CONN, FIN | ACK, ack=-1) + tcp(CONN, ACK)
    + time(0xF000 | 0xFFF),
    "last-ack": tcp(CONN, FIN | ACK) + u8(OP_CLOSE, FD_CONN) + tcp(CONN, ACK) + time(ONE_S),
    "app-calls": u8(OP_SETOPT, FD_CONN, 3) + u32(1) + u8(0) + u8(OP_SHUTDOWN, FD_CONN, 1)
    + u8(OP_CONNECT, 0) + u16(9001) + u8(OP_PEEK, FD_CONN) + u16(100) + u16(10) + time(ONE_S),
}

# ---- reasm: fragments (reasm.c) ----
MF = 0x2000


def frag(sel, flags_off, length, data=b"", ident=0):
    return u8(sel, ident) + u16(flags_off, length) + u8(len(data)) + data


UDPHDR = u16(0, 0, 24, 0)      # length 24: 8 + 16 bytes
REASM = {
    "udp-two": frag(0x40, MF | 0, 16, UDPHDR) + frag(0x00, 2, 8),
    "udp-reversed": frag(0x00, 2, 8) + frag(0x40, MF | 0, 16, UDPHDR),
    "overlap": frag(0x40, MF | 0, 16, UDPHDR) + frag(0x00, MF | 1, 16) + frag(0x00, 2, 8),
    "timeout": frag(0x40, MF | 0, 64, ident=1) + u8(0x80) + u16(0xF000 | 0x800)
    + frag(0x00, 8, 8, ident=1),
    "many": b"".join(frag(0x00, MF | 8000, 1400, ident=i) for i in range(80)),
    "echo": frag(0x04, MF | 0, 16, u8(8, 0, 0, 0, 0, 1, 0, 1)) + frag(0x04, 2, 16),
    "sources": frag(0x40, MF | 0, 16, UDPHDR) + frag(0x50, 2, 8) + frag(0x00, 2, 8),
}

# ---- ctl: proto, mode, state, then commands (ctl.c) ----
TCP, UDPP, ICMP = 0, 1, 2


def ctl(proto, mode, state, *lines):
    return u8(proto, mode, state) + b"".join(l.encode() + b"\n" for l in lines)


CTL = {
    "tcp-connect": ctl(TCP, 0, 0, "connect 10.77.0.1!80"),
    "tcp-connect-parked": ctl(TCP, 0x48, 2, "connect 10.77.0.1!80 7000"),
    "tcp-connect-name": ctl(TCP, 0x08, 0, "connect localhost:80", "connect example.org!http"),
    "tcp-announce": ctl(TCP, 0, 0, "announce *!7007", "backlog 10", "keepalive 1000"),
    "tcp-options": ctl(TCP, 0, 4, "nodelay", "delay", "timeout 5000", "ttl 64", "tos 16",
                       "shutdown wr", "hangup"),
    "tcp-errors": ctl(TCP, 4, 0, "bind 10.77.0.2!ssh", "connect [::1]:80", "announce 1.2.3!9",
                      "connect a b c d e", ""),
    "udp": ctl(UDPP, 0, 0, "announce 9999", "headers", "connect 10.77.0.1!53 5353"),
    "icmp": ctl(ICMP, 0, 0, "connect 10.77.0.1", "ttl 1", "hangup"),
}

# ---- dns: messages (dnsrr.c); cs: a query line, then a reply (cs.c) ----
A, CNAME, MX, TXT = 1, 5, 15, 16


def name(dotted):
    return b"".join(u8(len(l)) + l.encode() for l in dotted.split(".") if l) + b"\0"


def rr(owner, rtype, rdata, ttl=300):
    return owner + u16(rtype, 1) + u32(ttl) + u16(len(rdata)) + rdata


def reply(qname, answers, rcode=0, flags=0x8180):
    return (u16(0x1234, flags | rcode, 1, len(answers), 0, 0) + name(qname) + u16(A, 1)
            + b"".join(answers))


PTR_Q = u8(0xC0, 12)     # the question's name, compressed
DNS = {
    "a": reply("example.org", [rr(PTR_Q, A, u8(10, 77, 0, 1))]),
    "two-a": reply("example.org", [rr(PTR_Q, A, u8(10, 77, 0, 1)),
                                   rr(PTR_Q, A, u8(10, 77, 0, 3), ttl=10)]),
    "cname": reply("www.example.org", [rr(PTR_Q, CNAME, name("example.org")),
                                       rr(name("example.org"), A, u8(10, 77, 0, 1))]),
    "nxdomain": reply("nosuch.example.org", [], rcode=3),
    "servfail": reply("example.org", [], rcode=2),
    "truncated": reply("example.org", [], flags=0x8380),
    "mx-txt": reply("example.org", [rr(PTR_Q, MX, u16(10) + name("mail") [:-1] + PTR_Q),
                                    rr(PTR_Q, TXT, u8(5) + b"hello" + u8(2) + b"hi")]),
}
CS = {
    "tcp-addr": b"tcp!10.77.0.1!80\n",
    "net-hosts": b"net!localhost!http\n",
    "icmp": b"icmp!10.77.0.1\n",
    "any": b"udp!*!53\n",
    "bad": b"tcp!10.77.0.1\n",
    "dns-a": b"tcp!example.org!80\n" + DNS["a"],
    "dns-cname": b"net!www.example.org!domain\n" + DNS["cname"],
    "dns-nxdomain": b"tcp!nosuch.example.org!80\n" + DNS["nxdomain"],
}


def write_corpus(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for n, data in seeds.items():
        with open(os.path.join(d, n), "wb") as f:
            f.write(data)


for target, seeds in (("packet", PACKET), ("reasm", REASM), ("ctl", CTL),
                      ("cs", CS), ("dns", DNS)):
    write_corpus(target, seeds)
