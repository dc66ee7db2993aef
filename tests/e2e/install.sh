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
