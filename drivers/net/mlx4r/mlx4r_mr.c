/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Memory registration. The device reads and writes only registered memory,
 * so every mbuf a queue hands it must lie in an MR of the device's PD.
 *
 * Strategy: one MR per memory chunk of a mempool (rte_mempool_mem_iter),
 * in a table of the device core that only grows until the device closes.
 * Rx pools are registered at Rx queue set-up; at every port start, every
 * mempool of the process is registered too (rte_mempool_walk), so that Tx
 * accepts mbufs of any pool that existed when the port started. The burst
 * never calls the seam (control calls are not thread-safe): a Tx frame in
 * memory that is still not registered is dropped and counted (oerrors and
 * xstat tx_mr_miss); restarting the port registers the new pool.
 *
 * The table is read by bursts without a lock: entries are written first,
 * then published by a release store of nb_mr; readers load nb_mr with
 * acquire (a plain load on x86). Each Tx queue keeps a small cache of the
 * ranges it used last.
 */

#include <errno.h>

#include <rte_common.h>
#include <rte_mempool.h>

#include "mlx4r.h"

struct mlx4r_mr_walk {
	struct mlx4r_dev *dev;
	int ret;
};

static bool
mlx4r_mr_known(struct mlx4r_dev *dev, uintptr_t start, uintptr_t end)
{
	uint32_t i;

	for (i = 0; i < dev->nb_mr; i++)
		if (start >= dev->mr[i].start && end <= dev->mr[i].end)
			return true;
	return false;
}

static void
mlx4r_mr_chunk(struct rte_mempool *mp, void *opaque,
	       struct rte_mempool_memhdr *memhdr, unsigned int idx)
{
	struct mlx4r_mr_walk *w = opaque;
	struct mlx4r_dev *dev = w->dev;
	uintptr_t start = (uintptr_t)memhdr->addr;
	struct mlx4r_hw_mr *mr;
	uint32_t n = dev->nb_mr;
	int ret;

	RTE_SET_USED(idx);
	if (w->ret < 0 || memhdr->len == 0 ||
	    mlx4r_mr_known(dev, start, start + memhdr->len))
		return;
	if (n == MLX4R_MR_MAX) {
		DRV_LOG(ERR, "%s: more than %u memory chunks to register (pool %s)",
			dev->name, MLX4R_MR_MAX, mp->name);
		w->ret = -ENOSPC;
		return;
	}
	ret = mlx4r_hw_reg_mr(dev->pd, memhdr->addr, memhdr->len,
			      IBV_ACCESS_LOCAL_WRITE, &mr);
	if (ret < 0) {
		DRV_LOG(ERR, "%s: cannot register %zu bytes of pool %s: %s",
			dev->name, memhdr->len, mp->name, strerror(-ret));
		w->ret = ret;
		return;
	}
	dev->mr_obj[n] = mr;
	dev->mr[n].start = start;
	dev->mr[n].end = start + memhdr->len;
	dev->mr[n].lkey_be = rte_cpu_to_be_32(mr->lkey);
	/* pairs with the acquire load of mlx4r_mr_find() in a burst */
	__atomic_store_n(&dev->nb_mr, n + 1, __ATOMIC_RELEASE);
}

int
mlx4r_mr_register_mempool(struct mlx4r_dev *dev, struct rte_mempool *mp)
{
	struct mlx4r_mr_walk w = { .dev = dev, .ret = 0 };

	rte_mempool_mem_iter(mp, mlx4r_mr_chunk, &w);
	return w.ret;
}

static void
mlx4r_mr_walk_pool(struct rte_mempool *mp, void *arg)
{
	/* best effort: a pool that cannot be registered is counted on Tx */
	mlx4r_mr_register_mempool(arg, mp);
}

void
mlx4r_mr_register_all(struct mlx4r_dev *dev)
{
	rte_mempool_walk(mlx4r_mr_walk_pool, dev);
}

/* At device close, when no burst can run any more. */
void
mlx4r_mr_release_all(struct mlx4r_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nb_mr; i++)
		mlx4r_hw_dereg_mr(dev->mr_obj[i]);
	dev->nb_mr = 0;
}

int
mlx4r_mr_find(struct mlx4r_dev *dev, uintptr_t addr,
	      struct mlx4r_mr_range *out)
{
	/* pairs with the release store of mlx4r_mr_chunk() */
	uint32_t n = __atomic_load_n(&dev->nb_mr, __ATOMIC_ACQUIRE);
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (addr >= dev->mr[i].start && addr < dev->mr[i].end) {
			*out = dev->mr[i];
			return 0;
		}
	}
	return -ENOENT;
}
