#!/bin/bash
# 3% random loss each way on the TUN (nftables numgen): netcore still
# receives 8 MB from the kernel's http.server byte-identical.
. "$(dirname "$0")/lib.sh"

check "the TUN sn0 is made, host side 10.77.0.1" make_tun
drop_each_way 3
mkdir "$E2E_DIR/www"
head -c $((8 << 20)) /dev/urandom >"$E2E_DIR/www/file"
spawn http python3 -m http.server 8000 --bind 10.77.0.1 --directory "$E2E_DIR/www"
check "http.server listens on 10.77.0.1:8000" wait_listen 8000

timeout 45 "$NCTOOL" --no-config get 10.77.0.1 8000 /file >"$E2E_DIR/got"
check_eq "nctool get: exit status" 0 "$?"
check_eq "8 MB received" $((8 << 20)) "$(stat -c %s "$E2E_DIR/got")"
check "byte-identical" cmp "$E2E_DIR/www/file" "$E2E_DIR/got"
for chain in in out; do
	drops=$(nft list chain inet e2e "$chain" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	check_gt "packets were dropped ($chain: $drops)" "$drops" 0
done
