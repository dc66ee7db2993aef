#!/usr/bin/env python3
"""udprelay.py NET PORT HOST!HPORT: a UDP relay on the stack, over /net.

A conversation announced on *!PORT in `headers` mode takes the datagrams
of one client at a time (the last sender seen); a second conversation,
connected to HOST!HPORT, carries them on, and the server's answers go back
to that client behind the header it last sent. Each data file is opened
ONCE, read-write, and used by two threads at once: one thread reads it
while the other writes it (slashnet(4): a write never waits for a read
that waits for data). Thread "up" reads the announced conversation and
writes the connected one; thread "down" reads the connected one and writes
the announced one.

Prints "ready" once both conversations are set up; at SIGTERM, prints
"up N" and "down N" (datagrams relayed each way) and "errors N", then exits.
An ECONNREFUSED (the server's port closed for a moment, as between two
iperf3 tests) is counted and the relay goes on."""
import errno
import os
import signal
import sys
import threading

HDR = 52            # Plan 9 UDP header: raddr, laddr, ifcaddr, rport, lport
MAXDG = 65536 + HDR

count = {"up": 0, "down": 0, "errors": 0}
peer = {"hdr": None}
have_peer = threading.Event()


def conv(net, *cmds):
    """A new UDP conversation: its ctl descriptor (kept open) and number."""
    ctl = os.open(f"{net}/udp/clone", os.O_RDWR)
    n = os.read(ctl, 64).decode().strip()
    for c in cmds:
        os.write(ctl, c.encode())
    return ctl, n


def retry(op):
    """op() until it does not fail with ECONNREFUSED (counted)."""
    while True:
        try:
            return op()
        except OSError as e:
            if e.errno != errno.ECONNREFUSED:
                raise
            count["errors"] += 1


def up(lfd, cfd):
    while True:
        dg = retry(lambda: os.read(lfd, MAXDG))
        if len(dg) < HDR:
            count["errors"] += 1
            continue
        peer["hdr"] = dg[:HDR]
        have_peer.set()
        retry(lambda: os.write(cfd, dg[HDR:]))
        count["up"] += 1


def down(lfd, cfd):
    while True:
        dg = retry(lambda: os.read(cfd, MAXDG))
        have_peer.wait()
        os.write(lfd, peer["hdr"] + dg)
        count["down"] += 1


def run(f, lfd, cfd):
    """A thread's body; any other failure ends the relay, loudly."""
    try:
        f(lfd, cfd)
    except OSError as e:
        print(f"{f.__name__}: {e}", flush=True)
        os._exit(1)


def report(*_):
    for k in ("up", "down", "errors"):
        print(k, count[k])
    sys.stdout.flush()
    os._exit(0)


def main(net, port, dest):
    lctl, ln = conv(net, f"announce *!{port}", "headers")
    cctl, cn = conv(net, f"connect {dest}")
    lfd = os.open(f"{net}/udp/{ln}/data", os.O_RDWR)
    cfd = os.open(f"{net}/udp/{cn}/data", os.O_RDWR)
    signal.signal(signal.SIGTERM, report)
    for f in (up, down):
        threading.Thread(target=run, args=(f, lfd, cfd), daemon=True).start()
    print("ready", flush=True)
    while True:                 # the threads run until SIGTERM
        signal.pause()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.splitlines()[0])
    main(*sys.argv[1:])
