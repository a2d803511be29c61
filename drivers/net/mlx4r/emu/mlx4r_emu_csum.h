/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The long part of the device model's Internet checksum (RFC 1071) in
 * AVX2 registers, for the CPUs that have them (AVX-512 was tried and
 * gained nothing in the 1500 B forward: mlx4r_perf.rst); emu_csum_add()
 * (mlx4r_emu_priv.h) picks it at run time for buffers of
 * EMU_CSUM_VEC_MIN bytes or more and sums the rest itself. Free of DPDK
 * headers, so that devtools/csum_cost.c times this very code.
 *
 * Each 32-bit lane of a little-endian load holds two memory-order 16-bit
 * words, its low and its high half. Both are added into a 32-bit lane of
 * an accumulator (an AND, a shift and two adds a vector, no dependency
 * from one lane to another, no carry to chase: a lane gains at most
 * 2 x 0xffff a vector). Before a lane could overflow (EMU_CSUM_VEC_CHUNK
 * vectors, far more than a frame), the lanes are widened into 64-bit
 * ones. The result is the plain sum of the words, congruent modulo
 * 0xffff to their one's complement sum (2^16 is 1 modulo 0xffff), which
 * is all the fold needs: a sum is 0 only when every word is.
 */

#ifndef MLX4R_EMU_CSUM_H
#define MLX4R_EMU_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* From this many bytes on the vector sum pays for its call and reduce. */
#ifndef EMU_CSUM_VEC_MIN
#define EMU_CSUM_VEC_MIN 256
#endif

/* Vectors a 32-bit lane takes before it is widened: 2 x 0xffff each. */
#define EMU_CSUM_VEC_CHUNK 16384u

/* Which vector sum emu_csum_add() uses (emu_csum_isa). */
enum emu_csum_isa {
	EMU_CSUM_SCALAR = 0,
	EMU_CSUM_AVX2,
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMU_CSUM_HAVE_X86_VEC 1
#include <immintrin.h>

/*
 * The plain sum of the memory-order 16-bit words of @p n bytes at @p buf,
 * @p n a multiple of 32; AVX2 (32 bytes a vector, two accumulators so
 * that consecutive vectors do not wait for each other).
 */
static inline __attribute__((target("avx2"))) uint64_t
emu_csum_vec_avx2(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	const __m256i lo16 = _mm256_set1_epi32(0xffff);
	__m256i wide = _mm256_setzero_si256();
	uint64_t lane[4];
	size_t v = n / 32;

	while (v != 0) {
		size_t k = v < EMU_CSUM_VEC_CHUNK ? v : EMU_CSUM_VEC_CHUNK;
		__m256i a0 = _mm256_setzero_si256();
		__m256i a1 = _mm256_setzero_si256();
		__m256i x0, x1, x2, x3;

		v -= k;
		/*
		 * Four vectors a step, their halves added among themselves
		 * first: one add a vector on each accumulator's chain.
		 */
		for (; k >= 4; k -= 4, p += 128) {
			x0 = _mm256_loadu_si256((const __m256i *)p);
			x1 = _mm256_loadu_si256((const __m256i *)(p + 32));
			x2 = _mm256_loadu_si256((const __m256i *)(p + 64));
			x3 = _mm256_loadu_si256((const __m256i *)(p + 96));
			x0 = _mm256_add_epi32(_mm256_and_si256(x0, lo16),
					      _mm256_srli_epi32(x0, 16));
			x1 = _mm256_add_epi32(_mm256_and_si256(x1, lo16),
					      _mm256_srli_epi32(x1, 16));
			x2 = _mm256_add_epi32(_mm256_and_si256(x2, lo16),
					      _mm256_srli_epi32(x2, 16));
			x3 = _mm256_add_epi32(_mm256_and_si256(x3, lo16),
					      _mm256_srli_epi32(x3, 16));
			a0 = _mm256_add_epi32(a0, _mm256_add_epi32(x0, x1));
			a1 = _mm256_add_epi32(a1, _mm256_add_epi32(x2, x3));
		}
		for (; k != 0; k--, p += 32) {
			x0 = _mm256_loadu_si256((const __m256i *)p);
			a0 = _mm256_add_epi32(a0, _mm256_and_si256(x0, lo16));
			a1 = _mm256_add_epi32(a1, _mm256_srli_epi32(x0, 16));
		}
		/* each below 2^31 (half the chunk's words each): no wrap */
		a0 = _mm256_add_epi32(a0, a1);
		wide = _mm256_add_epi64(wide, _mm256_cvtepu32_epi64(
					_mm256_castsi256_si128(a0)));
		wide = _mm256_add_epi64(wide, _mm256_cvtepu32_epi64(
					_mm256_extracti128_si256(a0, 1)));
	}
	_mm256_storeu_si256((__m256i *)lane, wide);
	return lane[0] + lane[1] + lane[2] + lane[3];
}

#endif /* x86-64 */

#endif /* MLX4R_EMU_CSUM_H */
