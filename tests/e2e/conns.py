#!/usr/bin/env python3
"""conns.py MNT ADDR N [echo]: N connections in turn through MNT/tcp, each
on a new conversation: clone, connect ADDR, an HTTP/1.0 request read to
the server's EOF (the server closes first), or with "echo" a line read
back from an echo server and then the close (the stack closes first).
Prints "done N" and the slowest in ms; exits 1 at the first failure."""
import os
import sys
import time


def http(data):
    os.write(data, b"GET / HTTP/1.0\r\n\r\n")
    got = b""
    while True:
        more = os.read(data, 65536)
        if not more:
            return got.endswith(b"hello\n")
        got += more


def echo(data):
    os.write(data, b"hi\n")
    got = b""
    while not got.endswith(b"\n"):
        more = os.read(data, 65536)
        if not more:
            return False
        got += more
    return got == b"hi\n"


def one(mnt, addr, talk):
    ctl = os.open(f"{mnt}/tcp/clone", os.O_RDWR)
    try:
        n = os.read(ctl, 64).decode().strip()
        os.write(ctl, f"connect {addr}".encode())
        data = os.open(f"{mnt}/tcp/{n}/data", os.O_RDWR)
        try:
            return talk(data)
        finally:
            os.close(data)
    finally:
        os.close(ctl)


def main(mnt, addr, n, mode="http"):
    talk = echo if mode == "echo" else http
    worst = 0.0
    for i in range(int(n)):
        t = time.monotonic()
        if not one(mnt, addr, talk):
            print(f"bad answer at {i}")
            return 1
        worst = max(worst, time.monotonic() - t)
    print(f"done {n} slowest {worst * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
