#!/bin/bash
# meson install makes a usable daemon and library (issue 15, acceptance 1):
# into a staging directory, then the header, netcore.pc, the man pages and
# the systemd unit are there, libnetcore.so.0 exports only the nc_* calls,
# and examples/client.c, built with pkg-config against the staged library,
# talks to a kernel server through a stack of its own.
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"

D=$E2E_DIR/dest
check "meson install --destdir" meson install -C "$E2E_BUILD" --no-rebuild --quiet --destdir "$D"
pc=$(find "$D" -name netcore.pc | head -n 1)
libdir=$(dirname "$(dirname "$pc")")
for f in usr/local/bin/slashnet usr/local/include/netcore/netcore.h \
	usr/local/share/man/man8/slashnet.8 usr/local/share/man/man4/slashnet.4 \
	usr/local/lib/systemd/system/slashnet.service; do
	check "installed: /$f" test -s "$D/$f"
done
check "installed: netcore.pc" test -s "$pc"
check_eq "SONAME" libnetcore.so.0 \
	"$(objdump -p "$libdir/libnetcore.so.0" | awk '$1 == "SONAME" { print $2 }')"
check "nm -D: only the nc_* calls of netcore.h" \
	"$E2E_ROOT/netcore/exports.sh" "$libdir/libnetcore.so.0" "$D/usr/local/include/netcore/netcore.h"

# The unit, with the staged tree where it will be (this mount namespace's
# /usr/local only).
if command -v systemd-analyze >/dev/null; then
	mount --bind "$D/usr/local" /usr/local
	check "systemd-analyze verify slashnet.service" \
		systemd-analyze verify /usr/local/lib/systemd/system/slashnet.service
	umount /usr/local
fi

# The example against the staged library. A sanitizer build's library
# wants its runtime first: the client is built the same way.
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
san=
ldd "$libdir/libnetcore.so.0" | grep -q libasan && san=-fsanitize=address,undefined
# shellcheck disable=SC2046
check "examples/client.c builds with pkg-config --cflags --libs netcore" \
	cc $san -Wall -Werror -o "$E2E_DIR/client" "$E2E_ROOT/examples/client.c" \
	$(pkg-config --cflags --libs netcore)
export LD_LIBRARY_PATH=$libdir
check "the client uses the staged library" \
	grep -q "$libdir/libnetcore.so.0" <<<"$(ldd "$E2E_DIR/client")"
spawn echo kpeer tcp-echo 0.0.0.0 7100
check "the kernel echo server is ready" wait_for "$E2E_DIR/echo.out" ready
check_eq "the client's line comes back from the kernel" "hello from netcore" \
	"$(echo 'hello from netcore' | timeout 20 "$E2E_DIR/client" 10.77.1.1 7100 sn1)"
check "the client removed its TUN" no_link sn1

# nc_config's size guard: a struct of unknown size is refused, a shorter
# one (a program built against an older header) is taken: the first
# header of soversion 0 ended with cc, and fields added since come after.
# A value out of range is refused too (loop_boost, 0 to 19).
cat >"$E2E_DIR/guard.c" <<'C'
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <netcore/netcore.h>

int main(void)
{
	struct nc_config cfg;
	struct nc_stack *st;

	nc_config_init(&cfg);
	cfg.size = 3;
	st = nc_open(&cfg);
	printf("size 3: %s, %s\n", st ? "opened" : strerror(errno), nc_error());
	nc_config_init(&cfg);
	cfg.size = offsetof(struct nc_config, cc) + sizeof cfg.cc;
	cfg.tun = "sn4";
	cfg.no_config = 1;
	st = nc_open(&cfg);
	printf("size 0.1: %s\n", st ? "opened" : nc_error());
	nc_close_stack(st);
	nc_config_init(&cfg);
	cfg.loop_boost = 20;
	st = nc_open(&cfg);
	printf("loop_boost 20: %s\n", st ? "opened" : strerror(errno));
	nc_close_stack(st);
	return 0;
}
C
# shellcheck disable=SC2046
check "a program on the config guard builds" \
	cc $san -Wall -Werror -o "$E2E_DIR/guard" "$E2E_DIR/guard.c" $(pkg-config --cflags --libs netcore)
out=$("$E2E_DIR/guard")
echo "$out" | sed 's/^/# /'
check "nc_open refuses a struct nc_config of unknown size (EINVAL)" \
	grep -q '^size 3: Invalid argument, struct nc_config of unknown size 3' <<<"$out"
check "nc_open takes the struct of soversion 0's first header (up to cc; new fields go after it)" \
	grep -q '^size 0.1: opened$' <<<"$out"
check "nc_open refuses a loop_boost past 19 (EINVAL)" \
	grep -q '^loop_boost 20: Invalid argument$' <<<"$out"
