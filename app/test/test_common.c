/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#include <rte_common.h>
#include <rte_memzone.h>

#include "test_common.h"

static void
count_zone(const struct rte_memzone *mz, void *arg)
{
	unsigned int *n = arg;

	RTE_SET_USED(mz);
	(*n)++;
}

unsigned int
test_memzone_count(void)
{
	unsigned int n = 0;

	rte_memzone_walk(count_zone, &n);
	return n;
}
