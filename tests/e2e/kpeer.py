#!/usr/bin/env python3
"""kpeer: the kernel's side of the end-to-end scenarios (plain Linux sockets).

    kpeer.py udp-echo ADDR PORT [TAG]     answer each datagram with TAG + it;
                                          print "from HOST!PORT" for each
    kpeer.py udp-ask ADDR PORT MSG [SPORT [FROM]]
                                          send MSG (from port SPORT, address
                                          FROM), print the one reply
    kpeer.py udp-send ADDR PORT MSG SPORT send MSG from port SPORT, no reply
    kpeer.py tcp-echo ADDR PORT           echo every connection, many at once;
                                          print "open" and "closed" for each
    kpeer.py tcp-sink ADDR PORT           accept one connection, print
                                          "accepted", then "eof N" at its FIN
                                          or "reset N" at an RST (N: bytes read)
    kpeer.py tcp-reset ADDR PORT          accept one connection, read until a
                                          newline, then reset it (SO_LINGER 0)
                                          and print "reset sent"
    kpeer.py http-close ADDR PORT         an HTTP/1.0 server that closes
                                          first; print "served N" for each

Servers bind before they print "ready" on stdout, so a scenario can wait for
that line. Every wait is bounded: udp-ask gives up after 3 s (exit 1).
"""
import selectors
import socket
import struct
import sys


def ready():
    print("ready", flush=True)


def family(addr):
    """An address with a colon is IPv6."""
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_socket(port, addr):
    """Bound with SO_REUSEADDR: a sender may share a server's port."""
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    return s


def udp_echo(addr, port, tag=""):
    s = udp_socket(port, addr)
    ready()
    while True:
        data, peer = s.recvfrom(65536)
        print("from %s!%d" % peer[:2], flush=True)
        s.sendto(tag.encode() + data, peer)


def udp_ask(addr, port, msg, sport="0", src="10.77.0.1"):
    s = udp_socket(sport, src)
    s.settimeout(3)
    s.sendto(msg.encode(), (addr, int(port)))
    try:
        data, _ = s.recvfrom(65536)
    except socket.timeout:
        print("timeout", flush=True)
        return 1
    sys.stdout.buffer.write(data)
    return 0


def udp_send(addr, port, msg, sport, src="10.77.0.1"):
    udp_socket(sport, src).sendto(msg.encode(), (addr, int(port)))
    return 0


def tcp_listener(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(4096)
    return s


def tcp_echo(addr, port):
    lsock = tcp_listener(addr, port)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    ready()
    while True:
        for key, _ in sel.select():
            if key.fileobj is lsock:
                try:
                    c, _ = lsock.accept()
                except BlockingIOError:
                    continue
                sel.register(c, selectors.EVENT_READ)
                print("open", flush=True)
                continue
            c = key.fileobj
            try:
                data = c.recv(65536)
                if data:
                    c.sendall(data)  # lines are short: never blocks long
                    continue
            except OSError:
                pass
            sel.unregister(c)
            c.close()
            print("closed", flush=True)


def tcp_sink(addr, port):
    """Read until the end and say how it ended."""
    lsock = tcp_listener(addr, port)
    ready()
    c, _ = lsock.accept()
    print("accepted", flush=True)
    n = 0
    try:
        while True:
            data = c.recv(65536)
            if not data:
                break
            n += len(data)
        print("eof", n, flush=True)
    except ConnectionResetError:
        print("reset", n, flush=True)
    return 0


def tcp_reset(addr, port):
    lsock = tcp_listener(addr, port)
    ready()
    c, _ = lsock.accept()
    print("accepted", flush=True)
    data = b""
    while b"\n" not in data:
        more = c.recv(65536)
        if not more:
            break
        data += more
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print("reset sent", flush=True)
    return 0


def http_close(addr, port):
    """An HTTP/1.0 server that closes first: each request gets a short
    answer, then the server's close (it holds the TIME_WAIT)."""
    lsock = tcp_listener(addr, port)
    ready()
    n = 0
    while True:
        c, _ = lsock.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            more = c.recv(65536)
            if not more:
                break
            data += more
        n += 1
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
        c.close()
        print("served", n, flush=True)


def main(argv):
    cmds = {"udp-echo": udp_echo, "udp-ask": udp_ask, "udp-send": udp_send,
            "tcp-echo": tcp_echo, "tcp-sink": tcp_sink, "tcp-reset": tcp_reset,
            "http-close": http_close}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
