#!/bin/bash
# git through the stack: git daemon on the kernel's side serves an 8 MiB
# repository of random content in 4 commits; git clone on the kernel's
# side calls the stack, the connection relayed back by examples/forward.sh.
# The clone completes, git fsck --full finds it clean, its HEAD is the
# source's and its work tree the same files. A clone straight from the
# daemon is timed beside it; both times are printed as "# ..." lines.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

export HOME=$E2E_DIR GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=e2e GIT_AUTHOR_EMAIL=e2e@localhost
export GIT_COMMITTER_NAME=e2e GIT_COMMITTER_EMAIL=e2e@localhost

# The source: 4 commits, each adding 2 MiB of random bytes and a line.
src=$E2E_DIR/srv/repo
git init -q "$src"
for i in 1 2 3 4; do
	head -c 2097152 /dev/urandom >"$src/blob$i"
	echo "commit $i" >>"$src/log"
	git -C "$src" add -A && git -C "$src" commit -q -m "commit $i"
done
check_eq "the source has 4 commits" 4 "$(git -C "$src" rev-list --count HEAD)"

check "the daemon mounts $MNT" start_daemon
spawn gitd git daemon --export-all --base-path="$E2E_DIR/srv" --listen=10.77.0.1 \
	--port=9418 --reuseaddr --informative-errors
check "git daemon listens on 10.77.0.1:9418" wait_listen 9418
forwarder 9418 '10.77.0.1!9418'

# clone_repo NAME HOST: git clone git://HOST/repo into $E2E_DIR/NAME, at most
# 30 s; its time in milliseconds in $E2E_DIR/NAME.ms.
clone_repo() {
	local t0 rc

	t0=$(date +%s%N)
	timeout 30 git clone -q "git://$2/repo" "$E2E_DIR/$1" >"$E2E_DIR/$1.out" 2>&1
	rc=$?
	echo $((($(date +%s%N) - t0) / 1000000)) >"$E2E_DIR/$1.ms"
	[ "$rc" -eq 0 ] || { echo "# git clone: $(tail -n 3 "$E2E_DIR/$1.out")"; return 1; }
}

# report NAME HOW: the time and rate of the clone NAME.
report() {
	local ms bytes

	ms=$(cat "$E2E_DIR/$1.ms")
	bytes=$(du -sb "$E2E_DIR/$1/.git/objects" 2>/dev/null | cut -f1)
	bytes=${bytes:-0}
	echo "# clone $2: $bytes bytes of objects in $ms ms" \
		"($(((bytes * 1000 / (ms > 0 ? ms : 1)) >> 20)) MiB/s)"
}

check "git clone git://10.77.0.2/repo (through the stack) completes" clone_repo stack 10.77.0.2
check "git fsck --full: the clone is clean" git -C "$E2E_DIR/stack" fsck --full --no-progress
check_eq "the clone's HEAD is the source's" "$(git -C "$src" rev-parse HEAD)" \
	"$(git -C "$E2E_DIR/stack" rev-parse HEAD 2>&1)"
check "the clone's work tree is the source's" diff -r --exclude=.git "$src" "$E2E_DIR/stack"
report stack "through the stack (forward.sh)"

check "git clone git://10.77.0.1/repo (straight, kernel only) completes" clone_repo direct 10.77.0.1
report direct "straight from the daemon"
