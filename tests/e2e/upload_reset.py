#!/usr/bin/env python3
"""upload_reset.py DATA STATUS SAID: two big blocking writes to DATA,
the second ending in a newline (a tcp-reset peer resets at it); once the
file SAID says "reset sent", read STATUS until the conversation has left
Established, then write again. Prints the errno name that write fails
with ("none" if it did not)."""
import errno
import os
import sys
import time

data_path, status_path, said = sys.argv[1:4]
fd = os.open(data_path, os.O_WRONLY)
os.write(fd, bytes(1 << 20))
os.write(fd, bytes((1 << 20) - 1) + b"\n")
deadline = time.monotonic() + 10
while "reset sent" not in open(said).read():
    if time.monotonic() > deadline:
        sys.exit("no reset in 10 s")
    time.sleep(0.01)
while open(status_path).read().startswith("Established"):
    if time.monotonic() > deadline:
        sys.exit("still Established 10 s on")
    time.sleep(0.01)
try:
    os.write(fd, bytes(1 << 20))
    print("none")
except OSError as e:
    print(errno.errorcode[e.errno])
