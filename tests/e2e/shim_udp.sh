#!/bin/bash
# slashnet-run with UDP (shim/): a python3 client connects to one kernel
# echo server, connects again to another (same local port), dissolves the
# association and sends and receives unconnected (sendto/recvfrom through
# the headers mode), then connects once more; OpenBSD nc -u as a client;
# a shim UDP server (bind, recvfrom, sendto) answers the kernel; MSG_PEEK
# on UDP: a peeked datagram and its sender come again, whole, to the next
# receive, and OpenBSD nc -u -l (which peeks at the first datagram,
# connects to its sender, then reads) prints what a kernel nc sends.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

RUN=(sh "$E2E_BUILD/shim/slashnet-run" -m "$MNT")

check "the daemon mounts $MNT" start_daemon
spawn one kpeer udp-echo 10.77.0.1 9001 one:
check "the first kernel echo server is ready" wait_for "$E2E_DIR/one.out" ready
spawn two kpeer udp-echo 10.77.0.1 9002 two:
check "the second kernel echo server is ready" wait_for "$E2E_DIR/two.out" ready

timeout 20 "${RUN[@]}" python3 - >"$E2E_DIR/client.out" 2>&1 <<'PY'
import ctypes, socket
A, B = ("10.77.0.1", 9001), ("10.77.0.1", 9002)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(A)
s.send(b"a")
print("connected", s.recv(100).decode(), s.getpeername()[1])
port = s.getsockname()[1]
s.connect(B)
s.send(b"b")
print("reconnected", s.recv(100).decode(), s.getpeername()[1], s.getsockname()[1] == port)
unspec = (ctypes.c_char * 16)()		# sa_family 0: AF_UNSPEC
print("dissolve", ctypes.CDLL(None).connect(s.fileno(), unspec, 16))
try:
    s.getpeername()
except OSError as e:
    print("no peer", e.errno)
s.sendto(b"c", A)
data, frm = s.recvfrom(100)
port = s.getsockname()[1]	# (a new one: the stack frees an implicit port on dissolve, as Linux)
print("unconnected", data.decode(), frm[1])
s.connect(B)
s.send(b"d")
print("again", s.recv(100).decode(), s.getsockname()[1] == port)
PY
check_eq "the client: exit status" 0 "$?"
out=$(cat "$E2E_DIR/client.out")
echo "$out" | sed 's/^/# /'
check "connect: the first server answers" grep -qx "connected one:a 9001" <<<"$out"
check "connect again: the second, from the same port" \
	grep -qx "reconnected two:b 9002 True" <<<"$out"
check "connect AF_UNSPEC dissolves" grep -qx "dissolve 0" <<<"$out"
check "then getpeername: ENOTCONN" grep -qx "no peer 107" <<<"$out"
check "sendto, recvfrom: the first server's answer, its address" \
	grep -qx "unconnected one:c 9001" <<<"$out"
check "connect after that: the second server, same port" grep -qx "again two:d True" <<<"$out"

# nc -u ends when its input does: the input lasts until the answer came.
{ echo hello; wait_for "$E2E_DIR/ncu.out" one:hello; } |
	timeout 20 "${RUN[@]}" nc -u 10.77.0.1 9001 >"$E2E_DIR/ncu.out"
check_eq "slashnet-run nc -u: the kernel's echo" "one:hello" "$(cat "$E2E_DIR/ncu.out")"

spawn srv "${RUN[@]}" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 9100))
print("bound", flush=True)
for i in range(2):
    data, frm = s.recvfrom(100)
    s.sendto(b"srv:" + data, frm)'
check "a shim UDP server binds 9100" wait_for "$E2E_DIR/srv.out" bound
check_eq "it answers the kernel" "srv:ping" "$(kpeer udp-ask 10.77.0.2 9100 ping 2>&1 | tail -n 1)"
check_eq "and again, from another port" "srv:pong" \
	"$(kpeer udp-ask 10.77.0.2 9100 pong 9200 2>&1 | tail -n 1)"

spawn peek "${RUN[@]}" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 9101))
print("bound", flush=True)
print(s.recvfrom(100, socket.MSG_PEEK), s.recvfrom(2, socket.MSG_PEEK), s.recvfrom(100),
      s.recvfrom(100), flush=True)'
check "a shim UDP socket binds 9101" wait_for "$E2E_DIR/peek.out" bound
kpeer udp-send 10.77.0.2 9101 one 9201
kpeer udp-send 10.77.0.2 9101 two 9202
check "peek, peek 2 bytes, receive, receive" wait_for "$E2E_DIR/peek.out" \
	"(b'one', ('10.77.0.1', 9201)) (b'on', ('10.77.0.1', 9201)) (b'one', ('10.77.0.1', 9201)) (b'two', ('10.77.0.1', 9202))"

# udp_bound PORT: has a UDP conversation PORT as its local port?
udp_bound() {
	grep -qs "!$1\$" "$MNT"/udp/[0-9]*/local
}
spawn ncl "${RUN[@]}" nc -u -l 9102
check "slashnet-run nc -u -l binds 9102" eventually udp_bound 9102
kpeer udp-send 10.77.0.2 9102 first 9203
check "nc -u -l prints the first datagram" wait_for "$E2E_DIR/ncl.out" first
