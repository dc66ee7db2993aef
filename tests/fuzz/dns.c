/*
 * Fuzz target "dns": fs/dnsrr.c's answer lines. The input is a DNS
 * message; its records are written as the dns file would for every query
 * type. A well-formed message gives at most one line a record, a
 * malformed one -1, never a crash or a leak.
 */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>

#include "dnsrr.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = {
		ns_t_a, ns_t_aaaa, ns_t_cname, ns_t_ns, ns_t_ptr, ns_t_mx, ns_t_txt, ns_t_srv,
		ns_t_soa, ns_t_any,
	};
	unsigned records = size >= 8 ? (unsigned)data[6] << 8 | data[7] : 0;

	if (size > 65535)
		return 0;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		int n;

		if (f == NULL)
			abort();
		n = dns_rr_lines(f, data, (int)size, types[i]);
		fclose(f);
		if (n < -1 || (n >= 0 && (unsigned)n > records))
			abort();
		free(text);
	}
	return 0;
}
