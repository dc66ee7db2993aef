#!/usr/bin/env python3
"""What an attacker would try to predict, read from a --pcap file
(LINKTYPE_RAW, IPv4) for the e2e scenario random_secrets.sh:

    pcap_fields.py FILE ADDR

prints one line per packet ADDR sent: "syn SPORT ISN" for a TCP SYN
(not SYN-ACK), "dns SPORT ID" for a UDP datagram to port 53,
"ipid ID" for every packet."""
import struct
import sys


def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    order = '<' if magic == 0xa1b2c3d4 else '>'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(order + 'IIII', data[off:off + 16])[2]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def main():
    path, addr = sys.argv[1], bytes(int(x) for x in sys.argv[2].split('.'))
    for p in packets(path):
        if len(p) < 20 or p[0] >> 4 != 4 or p[12:16] != addr:
            continue
        hl = (p[0] & 15) * 4
        print('ipid', struct.unpack('>H', p[4:6])[0])
        t = p[hl:]
        if p[9] == 6 and len(t) >= 20 and t[13] & 0x12 == 0x02:
            sport, _, seq = struct.unpack('>HHI', t[:8])
            print('syn', sport, seq)
        elif p[9] == 17 and len(t) >= 10:
            sport, dport = struct.unpack('>HH', t[:4])
            if dport == 53:
                print('dns', sport, struct.unpack('>H', t[8:10])[0])


main()
