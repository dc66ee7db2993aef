#!/usr/bin/env python3
"""echo_many.py serve PORT | call ADDR PORT N: an asyncio echo server on
0.0.0.0:PORT (it echoes each connection to its end, then closes), or N
clients at once against ADDR:PORT, each sending 100000 + i random bytes
while it reads the echo, then half-closing. The clients print how many
got back exactly what they sent, "good G of N", and the first error."""
import asyncio
import os
import sys


async def echo(r, w):
    while data := await r.read(65536):
        w.write(data)
        await w.drain()
    w.close()


async def serve(port):
    server = await asyncio.start_server(echo, "0.0.0.0", port, backlog=512)
    async with server:
        await server.serve_forever()


async def one(addr, port, i):
    r, w = await asyncio.open_connection(addr, port)
    data = os.urandom(100000 + i)

    async def send():
        w.write(data)
        await w.drain()
        w.write_eof()

    sending = asyncio.create_task(send())
    got = bytearray()
    while more := await r.read(65536):
        got += more
    await sending
    w.close()
    return got == data


async def call(addr, port, n):
    res = await asyncio.gather(*(one(addr, port, i) for i in range(n)), return_exceptions=True)
    errors = [r for r in res if isinstance(r, BaseException)]
    print(f"good {sum(r is True for r in res)} of {n}")
    if errors:
        print(f"first error: {errors[0]!r}")


if sys.argv[1] == "serve":
    asyncio.run(serve(int(sys.argv[2])))
else:
    asyncio.run(call(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
