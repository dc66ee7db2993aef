#!/bin/bash
# core-purity.sh LIBRARY SANITIZE: DESIGN rule 1 as a build fact. The
# core may call nothing outside itself but the allocator and the memory
# copies: no clock, no system call, no stdio. Prints what else it calls
# and fails. SANITIZE is meson's b_sanitize: in a sanitizer build the
# instrumentation's own symbols are allowed too.
set -euo pipefail
lib=$1
sanitize=${2:-none}

allowed='calloc|free|malloc|posix_memalign|realloc|memcpy|memmove|memset'
# Not calls: the GOT of position-independent code, and the stack
# protector's failure path when the compiler adds one.
allowed+='|_GLOBAL_OFFSET_TABLE_|__stack_chk_fail'
if [ "$sanitize" != none ]; then
	allowed+='|__(asan|ubsan|lsan|sanitizer)_.*'
fi

symbols() {	# symbols() NM-OPTIONS...: the names nm lists, one a line
	nm "$@" "$lib" | awk 'NF >= 2 && $NF !~ /:$/ { print $NF }' | sort -u
}

bad=$(comm -23 <(symbols -u) <(symbols --defined-only) | grep -Ev "^($allowed)\$" || true)
if [ -n "$bad" ]; then
	echo "core-purity: the core calls outside itself (DESIGN rule 1):"
	for s in $bad; do
		echo "  $s, from: $(nm -A -u "$lib" | awk -v s="$s" '$NF == s { split($1, p, ":"); print p[2] }' | tr '\n' ' ')"
	done
	exit 1
fi
echo "core-purity: the core calls only the allocator and memory copies"
