#!/usr/bin/env python3
"""upload_reset.py NET HOST: a peer resets an upload between writes.

A kernel listener on HOST takes a call made through NET (the /net tree);
two big blocking writes go to its data file, so that the daemon guesses
the next request to be the upload's next write (fs/reply.c). The peer
reads both and resets the call: no write is waiting, so the socket keeps
the reset's error until a call takes it. The requests that follow are a
poll, then a write, which must fail with the reset. Prints the
errno name the write fails with ("none" if it did not), then err."""
import errno
import os
import select
import socket
import struct
import sys
import threading

net, host = sys.argv[1:3]
MIB = 1 << 20


def read_all(sock, n):
    """The peer's side: read n bytes (beside the writes, which would
    otherwise wait for a window the peer opens only as it reads)."""
    while n > 0:
        got = sock.recv(n)
        if not got:
            return
        n -= len(got)


srv = socket.socket()
srv.bind((host, 0))
srv.listen(1)
srv.settimeout(10)
with open(f"{net}/tcp/clone", "r+b", buffering=0) as ctl:
    conv = f"{net}/tcp/{ctl.read(32).decode().strip()}"
    ctl.write(f"connect {host}!{srv.getsockname()[1]}".encode())
    peer, _ = srv.accept()
    peer.settimeout(10)
    reader = threading.Thread(target=read_all, args=(peer, 2 * MIB))
    reader.start()
    fd = os.open(f"{conv}/data", os.O_WRONLY)
    os.write(fd, bytes(MIB))
    os.write(fd, bytes(MIB))
    reader.join()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()  # the RST is in the TUN before this returns
    # Wait for the reset to reach the stack: data polls POLLERR/POLLHUP
    # (the poll is the request the daemon guesses at), 10 s at most.
    waiter = select.poll()
    waiter.register(fd, select.POLLERR | select.POLLHUP)
    if not waiter.poll(10000):
        sys.exit("no reset 10 s after it was sent")
    try:
        os.write(fd, bytes(MIB))
        print("none")
    except OSError as e:
        print(errno.errorcode[e.errno])
    os.close(fd)
    print(open(f"{conv}/err").read().strip())
