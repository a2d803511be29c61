/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_TEST_COMMON_H
#define MLX4R_TEST_COMMON_H

/* Helpers shared by the driver's test suites. */

#include <stdint.h>

#include <rte_malloc.h>
#include <rte_mempool.h>

/** Bytes allocated from every rte_malloc heap, for leak checks. */
static inline uint64_t
test_heap_allocated(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < rte_socket_count(); i++) {
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i),
						&st) == 0)
			total += st.heap_allocsz_bytes;
	}
	return total;
}

/** Number of rte_memzones in use, for leak checks. */
unsigned int test_memzone_count(void);

#endif /* MLX4R_TEST_COMMON_H */
