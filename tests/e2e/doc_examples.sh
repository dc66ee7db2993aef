#!/bin/bash
# Every example marked in README.md (<!-- example: NAME --> before a sh
# block) and in the man pages (.\" example: NAME before .nf … .fi) runs as
# written (issue 15, acceptance 5): extracted from the text, with /net
# replaced by this scenario's mountpoint and a man page's "# " or "$ "
# prompt taken off, against the kernel servers the text says it needs.
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"

DOCS=("$E2E_ROOT/README.md" "$E2E_ROOT/docs/slashnet.8" "$E2E_ROOT/docs/slashnet.4")

# example NAME: the text of the marked example NAME, as a shell would run it.
example() {
	awk -v name="$1" '
		$0 == "<!-- example: " name " -->" || $0 == ".\\\" example: " name { on = 1; next }
		on == 1 { on = 2; next }			# the opening fence, or .nf
		on == 2 && ($0 == "```" || $0 == ".fi") { exit }
		on == 2 { print }' "${DOCS[@]}" |
		sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/^[#$] //' -e "s#/net#$MNT#g"
}

# Every example's name, in the order of the files.
names() {
	sed -n -e 's/^<!-- example: \([a-z0-9-]*\) -->$/\1/p' \
		-e 's/^\.\\" example: \([a-z0-9-]*\)$/\1/p' "${DOCS[@]}"
}

RAN=()

# run NAME: run example NAME with bash; its output in $E2E_DIR/NAME.out.
run() {
	RAN+=("$1")
	example "$1" | sed 's/^/# | /'
	timeout 20 bash -c "$(example "$1")" >"$E2E_DIR/$1.out" 2>&1
}

# serve NAME: the same for a server, left running.
serve() {
	RAN+=("$1")
	example "$1" | sed 's/^/# | /'
	spawn "$1" bash -c "$(example "$1")"
}

# The daemon as installed: on PATH, and on mount(8)'s standard PATH.
mkdir "$E2E_DIR/sbin"
ln -s "$SLASHNET" "$E2E_DIR/sbin/slashnet"
mount --bind "$E2E_DIR/sbin" /usr/local/sbin
export PATH=$E2E_DIR/sbin:$PATH
cp /etc/fstab "$E2E_DIR/fstab" 2>/dev/null || : >"$E2E_DIR/fstab"
mount --bind "$E2E_DIR/fstab" /etc/fstab

# The HTTP server on the host side that the HTTP examples ask for.
mkdir "$E2E_DIR/www"
echo "hello from the host" >"$E2E_DIR/www/index.html"
(cd "$E2E_DIR/www" && exec python3 -m http.server --bind 0.0.0.0 80) >/dev/null 2>&1 &
E2E_PIDS+=($!)
check "an HTTP server listens on port 80" wait_listen 80

# The examples that start and end the daemon themselves.
check "man8-session: runs" run man8-session
check "man8-session: the page comes back" grep -q "hello from the host" "$E2E_DIR/man8-session.out"
check "man8-session: unmounted at the end" not_mounted "$MNT"
check "man8-fstab: runs" run man8-fstab
check "man8-fstab: findmnt lists the mount" grep -q "fuse.slashnet" "$E2E_DIR/man8-fstab.out"
# its daemon exits after umount returns: wait until its TUN is gone
wait_no_sn1() {
	local i
	for ((i = 0; i < 200; i++)); do
		no_link sn1 && return 0
		sleep 0.05
	done
	return 1
}
check "man8-fstab: the daemon's TUN goes" wait_no_sn1
check "man8-mount: runs" run man8-mount
check "man8-mount: unmounted at the end" not_mounted "$MNT"
check "man8-mount: the daemon's TUN goes" wait_no_sn1

# The examples on a running daemon (with --nat, for man8-nat).
check "the daemon mounts $MNT with --nat" start_daemon --nat
check "man8-nat: runs" run man8-nat
check "man8-nat: the table masquerades" grep -q masquerade "$E2E_DIR/man8-nat.out"
for ex in readme-http-client man4-http-client; do
	check "$ex: runs" run "$ex"
	check "$ex: the page comes back" grep -q "hello from the host" "$E2E_DIR/$ex.out"
done
check "man4-cs: runs" run man4-cs
check_eq "man4-cs: the answer" "$MNT/tcp/clone 10.77.0.1!80" "$(cat "$E2E_DIR/man4-cs.out")"

serve readme-tcp-server
check "readme-tcp-server: listens" wait_stack_listens 7007
check_eq "readme-tcp-server: echoes" "hello there" \
	"$(echo 'hello there' | timeout 10 socat -t 5 - TCP:10.77.0.2:7007)"
serve man4-echo-server
check "man4-echo-server: listens" wait_stack_listens 7
check_eq "man4-echo-server: echoes" "hello there" \
	"$(echo 'hello there' | timeout 10 socat -t 5 - TCP:10.77.0.2:7)"
check_eq "man4-echo-server: and the next caller" "again" \
	"$(echo again | timeout 10 socat -t 5 - TCP:10.77.0.2:7)"
serve readme-udp-server
check_eq "readme-udp-server: the datagram comes back" "ping me" \
	"$(for i in 1 2 3 4 5; do kpeer udp-ask 10.77.0.2 9999 'ping me' && break; done)"

# Each marked example was run above; a new one needs its check here.
for name in $(names); do
	[[ " ${RAN[*]} " == *" $name "* ]] || not_ok "example $name is not run by this scenario"
done
check "the docs mark examples" test "$(names | wc -l)" -ge 9
