#!/usr/bin/env python3
"""upload_mixed.py DATA STATUS FILE: write FILE's bytes to DATA in writes
of many sizes (most of them big and back to back, as an upload's), with
other requests between some of them: reads of STATUS, and big writes
through a second, non-blocking descriptor of the same data file. Exits 0
once every byte was written."""
import os
import random
import select
import sys

data_path, status_path, file_path = sys.argv[1:4]
payload = open(file_path, "rb").read()
rng = random.Random(7)
sizes = [1 << 20, 1 << 20, 1 << 20, 65536, 65535, 65537, 1, 300000, (1 << 20) - 1, 4096]

fd = os.open(data_path, os.O_WRONLY)
nb = os.open(data_path, os.O_WRONLY | os.O_NONBLOCK)
at = 0


def write_all(f, chunk):
    """Write chunk whole through f, waiting for room when f is non-blocking."""
    done = 0
    while done < len(chunk):
        try:
            done += os.write(f, chunk[done:])
        except BlockingIOError:
            p = select.poll()
            p.register(f, select.POLLOUT)
            if not p.poll(10000):
                sys.exit("no room for 10 s")


while at < len(payload):
    n = min(rng.choice(sizes), len(payload) - at)
    kind = rng.random()
    if kind < 0.15:
        with open(status_path) as s:
            s.read()
    write_all(nb if kind > 0.9 else fd, payload[at:at + n])
    at += n
os.close(nb)
os.close(fd)
