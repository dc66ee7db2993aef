/*
 * The fuzz harnesses' common part: the libFuzzer entry point each target
 * defines, and a reader that takes a target's arguments out of the fuzz
 * input one field at a time (zeros once the input runs out, so every
 * input is a whole run).
 */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t n;
};

static inline int input_left(const struct input *in)
{
	return in->n > 0;
}

static inline uint8_t take8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t take16(struct input *in)
{
	uint16_t hi = take8(in);

	return (uint16_t)(hi << 8 | take8(in));
}

static inline uint32_t take32(struct input *in)
{
	uint32_t hi = take16(in);

	return hi << 16 | take16(in);
}

/* Up to len bytes as they stand in the input; *got says how many. */
static inline const uint8_t *take_bytes(struct input *in, size_t len, size_t *got)
{
	const uint8_t *p = in->p;

	*got = len < in->n ? len : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

#endif
