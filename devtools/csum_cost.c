/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Cost of three ways to sum a 1486-byte UDP segment (a 1500-byte frame's
 * L4) as the device model's receive checksum does: 64-bit words, RFC
 * 1071's end-around carry. They differ only in their dependency chains:
 *  - carries apart: one sum, its carries counted in a second register
 *    (the model before the fifth round of mlx4r_perf.rst);
 *  - one chain: each carry added back at once (add, add-with-carry: the
 *    fifth round's), 2 cycles a word of latency on one register;
 *  - four sums: four such chains, one per word of a 32-byte step, added
 *    together at the end (emu_csum_add() since "The 1500 B checksum");
 *  - AVX2: the model's vector sum (emu/mlx4r_emu_csum.h, this very
 *    code) over the 32-byte multiple, four sums for the rest, as
 *    emu_csum_add() does on a CPU that has it (skipped otherwise).
 * Prints TSC cycles per segment (the best of 40 rounds of each, taken in
 * turn) and each against "carries apart", after checking that all of
 * them give the same folded sum. The segment's length is the argument
 * (default 1486).
 *
 *   cc -O3 -march=corei7 -Idrivers/net/mlx4r/emu devtools/csum_cost.c \
 *      -o /tmp/csum_cost
 *   /tmp/csum_cost [bytes]
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "mlx4r_emu_csum.h"

#define CALLS 20000u
#define ROUNDS 40u

static uint64_t
load8(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static __attribute__((noinline)) uint64_t
sum_carries_apart(const uint8_t *p, size_t len)
{
	uint64_t s = 0, c = 0, v;

	for (; len >= 8; p += 8, len -= 8) {
		v = load8(p);
		s += v;
		c += s < v;
	}
	s += c;
	s += s < c;
	return s;
}

static __attribute__((noinline)) uint64_t
sum_one_chain(const uint8_t *p, size_t len)
{
	uint64_t s = 0, v;

	for (; len >= 8; p += 8, len -= 8) {
		v = load8(p);
		s += v;
		s += s < v;
	}
	return s;
}

static __attribute__((noinline)) uint64_t
sum_four(const uint8_t *p, size_t len)
{
	uint64_t s[4] = { 0, 0, 0, 0 }, v;
	unsigned int k;

	for (; len >= 32; p += 32, len -= 32) {
		for (k = 0; k < 4; k++) {
			v = load8(p + 8 * k);
			s[k] += v;
			s[k] += s[k] < v;
		}
	}
	for (; len >= 8; p += 8, len -= 8) {
		v = load8(p);
		s[0] += v;
		s[0] += s[0] < v;
	}
	for (k = 1; k < 4; k++) {
		s[0] += s[k];
		s[0] += s[0] < s[k];
	}
	return s[0];
}

static __attribute__((noinline)) uint64_t
sum_avx2(const uint8_t *p, size_t len)
{
	size_t b = len & ~(size_t)31;
	uint64_t s = emu_csum_vec_avx2(p, b), t = sum_four(p + b, len - b);

	s += t;
	return s + (s < t);
}

static uint16_t
fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[16384] __attribute__((aligned(64)));
	static const struct {
		const char *name;
		uint64_t (*fn)(const uint8_t *, size_t);
	} way[] = {
		{ "carries apart", sum_carries_apart },
		{ "one chain", sum_one_chain },
		{ "four sums", sum_four },
		{ "AVX2", sum_avx2 },
	};
	double best[4] = { 1e30, 1e30, 1e30, 1e30 };
	unsigned int i, k, r, nway = 3;
	size_t seg = argc > 1 ? strtoul(argv[1], NULL, 0) : 1486;
	uint64_t sink = 0;

	if (seg == 0 || seg > sizeof(buf) - 16) {
		printf("segment length %zu: 1 to %zu bytes\n", seg,
		       sizeof(buf) - 16);
		return 1;
	}
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		nway = 4;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)((i * 131 + 7) ^ (i >> 3));
	for (k = 1; k < nway; k++)
		if (fold(way[k].fn(buf + 14, seg)) !=
		    fold(way[0].fn(buf + 14, seg))) {
			printf("%s: wrong sum\n", way[k].name);
			return 1;
		}
	for (r = 0; r < ROUNDS; r++)
		for (k = 0; k < nway; k++) {
			uint64_t t0 = __rdtsc();
			double c;

			/* the offset depends on the last sum: no hoisting */
			for (i = 0; i < CALLS; i++)
				sink += way[k].fn(buf + 14 + (sink & 1), seg);
			c = (double)(__rdtsc() - t0) / CALLS;
			if (c < best[k])
				best[k] = c;
		}
	for (k = 0; k < nway; k++)
		printf("%-14s %6.1f TSC cycles per %zu bytes (%.2f x carries apart)\n",
		       way[k].name, best[k], seg, best[k] / best[0]);
	return sink == 42 ? 2 : 0;
}
