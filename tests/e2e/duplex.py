#!/usr/bin/env python3
"""duplex.py DATAFILE MESSAGE: one open of DATAFILE, read and written at once.

A reader thread blocks in read(2) on the descriptor; once the kernel shows
it asleep in that system call, the main thread writes MESSAGE on the same
descriptor and the reader must get the peer's answer. Prints what it read,
or "stuck" when the write or the read did not finish within 5 s each."""
import os
import sys
import threading


def in_read(tid):
    """Is thread tid asleep in read(2) (system call 0 on x86-64, 63 on arm64)?"""
    try:
        with open(f"/proc/self/task/{tid}/syscall") as f:
            return f.read().split()[0] in ("0", "63")
    except (OSError, IndexError):
        return False


def main(path, msg):
    fd = os.open(path, os.O_RDWR)
    got = []
    reader = threading.Thread(target=lambda: got.append(os.read(fd, 65536)), daemon=True)
    reader.start()
    for _ in range(500):            # at most 5 s for the reader to block
        if in_read(reader.native_id):
            break
        threading.Event().wait(0.01)
    else:
        print("reader never blocked")
        return 1
    writer = threading.Thread(target=lambda: os.write(fd, msg.encode()), daemon=True)
    writer.start()
    writer.join(5)
    reader.join(5)
    if writer.is_alive() or reader.is_alive():
        print("stuck")
        return 1
    print(got[0].decode(errors="replace").rstrip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
