/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The upstream side of the fast-path harness when upstream's
 * mlx4_rxtx.c is not compiled in: meson's mlx4r-fp-check links the
 * harness with mlx4r's bursts only, so that a new cold-path symbol the
 * bursts call without a stub in fp_mlx4r.c fails the build, and runs
 * the mlx4r side (--only mlx4r) as a test. devtools/bench-fastpath.sh
 * links fp_upstream.c instead.
 */

#include <rte_debug.h>

#include "fp.h"

static void *
fp_none_rx_create(struct rte_mempool *mp, struct fp_rx_ring *r)
{
	RTE_SET_USED(mp);
	RTE_SET_USED(r);
	rte_exit(EXIT_FAILURE,
		 "upstream net_mlx4 is not built in: use --only mlx4r, or devtools/bench-fastpath.sh\n");
}

static void *
fp_none_tx_create(struct rte_mempool *mp, struct fp_tx_ring *r,
		  uint32_t nb_desc)
{
	RTE_SET_USED(nb_desc);
	return fp_none_rx_create(mp, (struct fp_rx_ring *)r);
}

const struct fp_driver fp_upstream = {
	.name = "upstream (not built in)",
	.rx_create = fp_none_rx_create,
	.tx_create = fp_none_tx_create,
};
