/*
 * Fuzz target "cs": fs/cs.c's queries ("proto!host!service") and the
 * names they send to DNS, without a mount (fs_fake.h). The input's
 * first line is written to cs; when that sent DNS queries, the rest is
 * the answer to each (parsed by c-ares). Then the answer is
 * read line by line. Every request must be answered exactly once.
 */
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "cs.h"
#include "fs_fake.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	const uint8_t *nl = memchr(data, '\n', size), *line;
	size_t got;
	struct ofile *of;

	fake = (struct fake){ 0 };
	fake_cs_start();
	of = ofile_new(Qcs, 0, NULL);
	if (of == NULL)
		abort();
	line = take_bytes(&in, nl ? (size_t)(nl - data) + 1 : size, &got);
	cs_write(fake_request(), of, (const char *)line, got);
	fake_dns_answer(in.p, in.n);
	fake_cs_end();
	while (of->pos < of->len)
		cs_read(fake_request(), of, 64);
	ofile_free(of);
	fake_check_replies();
	return 0;
}
