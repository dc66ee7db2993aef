#!/usr/bin/env python3
"""flood: the kernel's side of the SYN flood and memory scenarios.

    flood.py syn DST PORT COUNT SECONDS   COUNT SYNs at DST:PORT from spoofed
                                          random sources (10.78.0.0/15, random
                                          ports and ISNs) through a raw socket,
                                          spread over SECONDS; prints "sent N"
    flood.py probe DST PORT SECONDS       a kernel connect() to DST:PORT every
                                          0.1 s for SECONDS, each given 3 s;
                                          prints "connect MS" or "failed ERR"
    flood.py recv DST PORT FILE N SECONDS connect, read until EOF into FILE,
                                          paced to take about SECONDS for N
                                          bytes; prints "received N"
    flood.py push DST PORT N SECONDS      N connections to DST:PORT, each
                                          writing whenever it may for SECONDS;
                                          prints "connected K" then "pushed B"

Every loop is bounded in count and time.
"""
import os
import random
import selectors
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_packet(src, dst, sport, dport, isn):
    """IPv4 + TCP SYN with MSS, SACK-permitted, timestamps and wscale."""
    opts = struct.pack("!BBH", 2, 4, 1460) + bytes([4, 2, 8, 10]) + \
        struct.pack("!II", random.getrandbits(32), 0) + bytes([1, 3, 3, 7])
    thl = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, isn, 0, (thl // 4) << 4, 0x02,
                      64240, 0, 0) + opts
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0,
                     64, socket.IPPROTO_TCP, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def syn(dst, port, count, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    d = socket.inet_aton(dst)
    count, seconds = int(count), float(seconds)
    batch = 100
    start = time.monotonic()
    sent = 0
    while sent < count:
        for _ in range(min(batch, count - sent)):
            src = bytes([10, 78 + random.getrandbits(1), random.getrandbits(8),
                         1 + random.randrange(254)])
            pkt = syn_packet(src, d, random.randrange(1024, 65536), int(port),
                             random.getrandbits(32))
            s.sendto(pkt, (dst, 0))
            sent += 1
        due = start + seconds * sent / count
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
    print("sent", sent, flush=True)
    return 0


def probe(dst, port, seconds):
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(3)
        t0 = time.monotonic()
        try:
            c.connect((dst, int(port)))
            print("connect %d" % ((time.monotonic() - t0) * 1000), flush=True)
        except OSError as e:
            print("failed", e, flush=True)
        c.close()
        time.sleep(0.1)
    return 0


def recv(dst, port, path, n, seconds):
    c = socket.create_connection((dst, int(port)), timeout=10)
    c.settimeout(30)
    step = 64 * 1024
    pause = float(seconds) * step / max(int(n), 1)
    got = 0
    with open(path, "wb") as f:
        while True:
            data = c.recv(step)
            if not data:
                break
            f.write(data)
            got += len(data)
            time.sleep(pause * len(data) / step)
    c.close()
    print("received", got, flush=True)
    return 0


def push(dst, port, n, seconds):
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(int(n)):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(5)
        try:
            c.connect((dst, int(port)))
        except OSError as e:
            print("connect failed", e, flush=True)
            c.close()
            continue
        c.setblocking(False)
        sel.register(c, selectors.EVENT_WRITE)
        socks.append(c)
    print("connected", len(socks), flush=True)
    block = os.urandom(65536)
    pushed = 0
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            try:
                pushed += key.fileobj.send(block)
            except BlockingIOError:
                pass
            except OSError as e:
                print("send failed", e, flush=True)
                sel.unregister(key.fileobj)
    print("pushed", pushed, flush=True)
    for c in socks:
        c.close()
    return 0


def main(argv):
    cmds = {"syn": syn, "probe": probe, "recv": recv, "push": push}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
