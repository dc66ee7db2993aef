#!/bin/bash
# exports.sh LIBRARY HEADER: libnetcore.so exports the calls netcore.h
# declares and nothing else (it is built with -fvisibility=hidden; the
# header marks its declarations visible). Fails on any other exported
# symbol, and on a declared call the library does not export.
set -euo pipefail
lib=$1
header=$2

exported=$(nm -D --defined-only "$lib" | awk '{ print $NF }' | sort -u)
# calls declared in the header; a static inline one is not in the library
declared=$(grep -oE '\bnc_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u |
	grep -vxF -f <(grep -oE 'static inline [a-z ]+\*?nc_[a-z0-9_]+' "$header" |
		grep -oE 'nc_[a-z0-9_]+'))
rc=0
extra=$(grep -v '^nc_' <<<"$exported" || true)
if [ -n "$extra" ]; then
	echo "exports: $(wc -l <<<"$extra") symbols exported beyond the nc_* calls:"
	sed 's/^/  /' <<<"$extra" | head -n 20
	rc=1
fi
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [ -n "$missing" ]; then
	echo "exports: declared in netcore.h but not exported:"
	sed 's/^/  /' <<<"$missing"
	rc=1
fi
[ "$rc" -eq 0 ] && echo "exports: $(wc -l <<<"$exported") symbols, all nc_* calls of netcore.h"
exit "$rc"
