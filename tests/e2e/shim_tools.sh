#!/bin/bash
# slashnet-run with iperf3 and ssh (shim/), the other end the kernel's:
# iperf3 client for 3 s over TCP and UDP (-u, 100 Mbit/s), iperf3 -s
# answering the kernel's client over TCP, then over UDP (-u, 50 Mbit/s,
# 2 s: the server binds its port again with SO_REUSEADDR); ssh logs in to a kernel sshd
# with a key and moves 4 MB up, then 4 MB each way at once through `cat`
# (full duplex, then the half-close at stdin's end), sha256-identical;
# sshd -t starts under slashnet-run (its libcap-ng reads in a constructor
# that runs before the shim's). The rates are printed as "# ..." lines.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

RUN=(sh "$E2E_BUILD/shim/slashnet-run" -m "$MNT")

check "the daemon mounts $MNT" start_daemon

# ---- iperf3 ----

spawn iperf3s iperf3 -s -B 10.77.0.1 -p 5201
check "the kernel's iperf3 -s listens on 10.77.0.1:5201" wait_listen 5201

# rate NAME: the receiver's rate in the JSON NAME.json, in Mbit/s.
rate() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(int(j["end"]["sum_received"]["bits_per_second"] / 1e6) if "sum_received" in j["end"]
      else int(j["end"]["sum"]["bits_per_second"] / 1e6))' "$E2E_DIR/$1.json" 2>/dev/null
}

# iperf NAME ARGS...: an iperf3 client, at most 20 s, its JSON in NAME.json;
# a test of T seconds (3).
iperf() {
	local name=$1
	shift
	timeout 20 "$@" -t "${T:-3}" -J >"$E2E_DIR/$name.json" 2>"$E2E_DIR/$name.err"
}

check "slashnet-run iperf3 -c (TCP) completes" \
	iperf tcp "${RUN[@]}" iperf3 -c 10.77.0.1 -p 5201
echo "# iperf3 TCP, shim client -> kernel server: $(rate tcp) Mbit/s"
check "slashnet-run iperf3 -c -u (UDP, 100 Mbit/s) completes" \
	iperf udp "${RUN[@]}" iperf3 -c 10.77.0.1 -p 5201 -u -b 100M
echo "# iperf3 UDP, shim client -> kernel server: $(rate udp) Mbit/s received"
check "it moved data" test "$(rate udp)" -gt 0

spawn shims "${RUN[@]}" iperf3 -s -p 5202 -1
check "slashnet-run iperf3 -s listens on the stack's 5202" wait_stack_listens 5202
check "the kernel's iperf3 -c against it completes" iperf stcp iperf3 -c 10.77.0.2 -p 5202
echo "# iperf3 TCP, kernel client -> shim server: $(rate stcp) Mbit/s"
check "the shim server ends after its one test" wait_exit "$SPAWN_PID" 10

# iperf3 -s over UDP: after the first datagram it connects its socket to
# the client and binds another to the same port (SO_REUSEADDR, `reuse`).
spawn shimsu "${RUN[@]}" iperf3 -s -p 5203 -1
check "slashnet-run iperf3 -s listens on the stack's 5203" wait_stack_listens 5203
T=2 check "the kernel's iperf3 -c -u (50 Mbit/s) against it completes" \
	iperf sudp iperf3 -c 10.77.0.2 -p 5203 -u -b 50M
echo "# iperf3 UDP, kernel client -> shim server: $(rate sudp) Mbit/s"
check "it reports a rate" test "$(rate sudp)" -gt 0
check "the UDP shim server ends after its one test" wait_exit "$SPAWN_PID" 10

# ---- ssh ----

# sshd wants its privilege separation directory: a /run of our own.
mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd || exit 1
K=$E2E_DIR/ssh
mkdir -m 0700 "$K"
ssh-keygen -q -t ed25519 -N '' -f "$K/host" && ssh-keygen -q -t ed25519 -N '' -f "$K/id" || exit 1
cp "$K/id.pub" "$K/authorized_keys"
cat >"$K/sshd_config" <<CONF
ListenAddress 10.77.0.1:2222
HostKey $K/host
AuthorizedKeysFile $K/authorized_keys
PidFile $K/sshd.pid
PermitRootLogin yes
StrictModes no
UsePAM no
PasswordAuthentication no
CONF
spawn sshd "$(command -v sshd)" -D -e -f "$K/sshd_config"
# sshd's libcap-ng reads /proc in its constructor, which runs before the
# shim's: the shim must find the C library's read there too (it crashed).
check "slashnet-run sshd -t: a program whose libraries read in their constructors starts" \
	"${RUN[@]}" "$(command -v sshd)" -t -f "$K/sshd_config"
check "the kernel's sshd listens on 10.77.0.1:2222" wait_listen 2222

# sshcmd COMMAND: run COMMAND on the kernel's side over slashnet-run ssh.
sshcmd() {
	timeout 30 "${RUN[@]}" ssh -q -p 2222 -i "$K/id" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o IdentitiesOnly=yes root@10.77.0.1 "$@"
}

head -c 4194304 /dev/urandom >"$E2E_DIR/up"
sshcmd "id -un >$E2E_DIR/who; cat >$E2E_DIR/up.got" <"$E2E_DIR/up"
check_eq "4 MB up: exit status" 0 "$?"
check_eq "slashnet-run ssh logged in" "$(id -un)" "$(cat "$E2E_DIR/who")"
check_eq "4 MB up: sha256 the same" "$(sha256sum <"$E2E_DIR/up")" "$(sha256sum <"$E2E_DIR/up.got")"
sshcmd cat <"$E2E_DIR/up" >"$E2E_DIR/echo.got"
check_eq "4 MB each way at once through cat: exit status" 0 "$?"
check_eq "4 MB back: sha256 the same" "$(sha256sum <"$E2E_DIR/up")" "$(sha256sum <"$E2E_DIR/echo.got")"
check "the kernel saw the ssh calls from the stack's address" \
	grep -q 'Accepted publickey for root from 10\.77\.0\.2' "$E2E_DIR/sshd.out"
