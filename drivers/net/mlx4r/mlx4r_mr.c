/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Memory registration. The device reads and writes only registered memory,
 * so every buffer a queue hands it must lie in an MR of the device's PD.
 *
 * What is registered: what the queues use, never the whole process. An
 * Rx queue's pool at its set-up; on Tx, the pool of an mbuf whose memory
 * is not known yet, by the burst itself the first time it meets it (as
 * upstream net_mlx4 does, mlx4_mr.c mlx4_tx_mb2mr_bh(): ibv_reg_mr is
 * thread-safe in libibverbs, the emulated device takes its lock; the
 * seam's reg_mr/dereg_mr are the two calls allowed outside the control
 * lock, mlx4r_hw.h). A Tx buffer that belongs to no pool (an external
 * buffer) is dropped and counted (xstat tx_unregistered_memory_dropped).
 * One MR per chunk of a pool (rte_mempool_mem_iter), virtually adjacent
 * chunks merged: the smallest ranges that hold its mbufs, so that a pool
 * pins only its own pages (upstream registers whole memseg chunks,
 * mlx4_mr.c mlx4_mr_create(), which pins whatever else lies in them:
 * with --no-huge, all of EAL's memory).
 *
 * Lookups are by the whole buffer: a range serves an address only if
 * [addr, addr + len) lies in it, which is also the rule the device
 * enforces on an lkey (Linux mlx4_ib mr.c mlx4_ib_reg_user_mr() gives the
 * MPT exactly [start, start + length)).
 *
 * Life of a range:
 *  - memory freed (an rte_mem_event RTE_MEM_EVENT_FREE, before the pages
 *    are unmapped, lib/eal/common/malloc_heap.c malloc_heap_free()): every
 *    range that overlaps it is taken out of the table and its MR
 *    deregistered there and then, so that a pool created later in the
 *    same addresses is registered anew (the old MR pins the old pages: a
 *    card would read and write those, and the emulated device fails the
 *    old lkey with a local protection error). Upstream does the same in
 *    mlx4_mr.c mlx4_mr_mem_event_free_cb(). EAL in legacy memory mode
 *    (--no-huge, --legacy-mem) never frees memory and has no such
 *    callbacks;
 *  - context closed by a reset: the MRs go with their PD, the ranges stay
 *    (mlx4r_mr_drop_keys()) and are registered again with the new PD
 *    before any queue starts (mlx4r_mr_rekey());
 *  - device closed: every MR deregistered before the PD and the context
 *    (mlx4r_dev_ctx_close()), then the callback removed (mlx4r_mr_fini()).
 *
 * Threads: writers (queue set-up, a Tx burst registering a pool, the
 * memory event callback on whichever thread frees memory, the reset's
 * control thread) take mr_mtx for their whole change, over the seam calls;
 * the table itself changes under mr_rwl, write-locked only around the
 * edit, and bursts read it with mr_rwl read-locked on a cache miss. No
 * writer allocates DPDK memory with mr_mtx held: the memory event
 * callback runs with EAL's memory hotplug lock held, and an allocation
 * under mr_mtx could wait for that lock while the callback waits for
 * mr_mtx. Every range that loses its lkey bumps mr_gen (under mr_rwl),
 * which empties the queues' caches at their next burst
 * (mlx4r_mr_cache_sync()).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "mlx4r.h"

/* Name of the memory event callback (with the device as its argument). */
#define MLX4R_MR_CB_NAME "mlx4r_mr"

/* Index of a range that holds [start, end) with a key, or -1. mr_rwl held. */
static int
mlx4r_mr_index(const struct mlx4r_dev *dev, uintptr_t start, uintptr_t end)
{
	uint32_t i;

	for (i = 0; i < dev->nb_mr; i++)
		if (start >= dev->mr[i].start && end <= dev->mr[i].end &&
		    dev->mr[i].lkey_be != MLX4R_NO_LKEY)
			return (int)i;
	return -1;
}

/* The memory chunks of a pool, collected before registration. */
struct mlx4r_mr_walk {
	struct mlx4r_mr_range *r; /* start and end only */
	uint32_t n;
	uint32_t cap;
	int ret;
};

/*
 * Collect one chunk. libc memory, not rte_malloc: this may run under
 * nothing but the caller's locks, and an rte_malloc could wait for EAL's
 * memory hotplug lock that a memory event callback holds while it waits
 * for mr_mtx.
 */
static void
mlx4r_mr_collect(struct rte_mempool *mp, void *opaque,
		 struct rte_mempool_memhdr *memhdr, unsigned int idx)
{
	struct mlx4r_mr_walk *w = opaque;
	struct mlx4r_mr_range *r;

	RTE_SET_USED(mp);
	RTE_SET_USED(idx);
	if (w->ret < 0 || memhdr->len == 0)
		return;
	if (w->n == w->cap) {
		uint32_t cap = w->cap != 0 ? 2 * w->cap : 16;

		r = realloc(w->r, cap * sizeof(*r));
		if (r == NULL) {
			w->ret = -ENOMEM;
			return;
		}
		w->r = r;
		w->cap = cap;
	}
	w->r[w->n].start = (uintptr_t)memhdr->addr;
	w->r[w->n].end = (uintptr_t)memhdr->addr + memhdr->len;
	w->n++;
}

static int
mlx4r_mr_cmp(const void *a, const void *b)
{
	const struct mlx4r_mr_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Register [start, end) as one MR and add it; mr_mtx held. */
static int
mlx4r_mr_add(struct mlx4r_dev *dev, uintptr_t start, uintptr_t end,
	     const char *pool)
{
	uint32_t n = dev->nb_mr;
	struct mlx4r_hw_mr *mr;
	int ret;

	if (n == MLX4R_MR_MAX) {
		DRV_LOG(ERR, "%s: more than %u memory ranges to register (pool %s)",
			dev->name, MLX4R_MR_MAX, pool);
		return -ENOSPC;
	}
	ret = mlx4r_hw_reg_mr(dev->pd, (void *)start, end - start,
			      IBV_ACCESS_LOCAL_WRITE, &mr);
	if (ret < 0) {
		DRV_LOG(ERR, "%s: cannot register %zu bytes of pool %s: %s",
			dev->name, (size_t)(end - start), pool,
			strerror(-ret));
		return ret;
	}
	rte_rwlock_write_lock(&dev->mr_rwl);
	dev->mr_obj[n] = mr;
	dev->mr[n].start = start;
	dev->mr[n].end = end;
	dev->mr[n].lkey_be = rte_cpu_to_be_32(mr->lkey);
	dev->nb_mr = n + 1;
	rte_rwlock_write_unlock(&dev->mr_rwl);
	dev->mr_regs++;
	return 0;
}

/*
 * Register the memory of @p mp that no range holds yet: its chunks,
 * virtually adjacent ones merged into one MR (a pool on 2 MB pages may
 * have a chunk per page), so that a large pool takes few entries. Any
 * thread; the device's PD must be valid (not between a reset's close and
 * re-open).
 * @return the number of MRs registered now (0: all known), -ENOSPC (table
 *   full), -ENOMEM, or the seam's errno.
 */
int
mlx4r_mr_register_mempool(struct mlx4r_dev *dev, struct rte_mempool *mp)
{
	struct mlx4r_mr_walk w = { .r = NULL, .n = 0, .cap = 0, .ret = 0 };
	uint32_t i, j, added = 0;
	int ret = 0;

	rte_mempool_mem_iter(mp, mlx4r_mr_collect, &w);
	if (w.ret < 0) {
		free(w.r);
		return w.ret;
	}
	qsort(w.r, w.n, sizeof(*w.r), mlx4r_mr_cmp);
	pthread_mutex_lock(&dev->mr_mtx);
	for (i = 0; i < w.n && ret == 0; i = j) {
		uintptr_t start = w.r[i].start, end = w.r[i].end;

		for (j = i + 1; j < w.n && w.r[j].start <= end; j++)
			end = RTE_MAX(end, w.r[j].end);
		/* mr_mtx held: no other writer, the table is stable */
		if (mlx4r_mr_index(dev, start, end) >= 0)
			continue;
		ret = mlx4r_mr_add(dev, start, end, mp->name);
		if (ret == 0)
			added++;
	}
	pthread_mutex_unlock(&dev->mr_mtx);
	free(w.r);
	return ret < 0 ? ret : (int)added;
}

/* Remove entry i; mr_mtx held. @return its MR, for the caller to dereg. */
static struct mlx4r_hw_mr *
mlx4r_mr_remove(struct mlx4r_dev *dev, uint32_t i)
{
	struct mlx4r_hw_mr *mr = dev->mr_obj[i];
	uint32_t last = dev->nb_mr - 1;

	rte_rwlock_write_lock(&dev->mr_rwl);
	dev->mr[i] = dev->mr[last];
	dev->mr_obj[i] = dev->mr_obj[last];
	dev->nb_mr = last;
	/* the queues' caches may hold the range: they start afresh */
	__atomic_store_n(&dev->mr_gen, dev->mr_gen + 1, __ATOMIC_RELAXED);
	rte_rwlock_write_unlock(&dev->mr_rwl);
	return mr;
}

static void
mlx4r_mr_dereg(struct mlx4r_dev *dev, struct mlx4r_hw_mr *mr)
{
	int ret;

	if (mr == NULL)
		return;
	ret = mlx4r_hw_dereg_mr(mr);
	if (ret < 0)
		DRV_LOG(ERR, "%s: cannot deregister the MR of lkey 0x%x: %s",
			dev->name, mr->lkey, strerror(-ret));
	dev->mr_deregs++;
}

/*
 * rte_mem_event callback: memory [addr, addr + len) is about to be freed
 * (RTE_MEM_EVENT_FREE, called before the pages are unmapped, with EAL's
 * memory hotplug lock held: no DPDK allocation here). Runs on the thread
 * that frees the memory.
 */
static void
mlx4r_mr_mem_event(enum rte_mem_event type, const void *addr, size_t len,
		   void *arg)
{
	struct mlx4r_dev *dev = arg;
	uintptr_t start = (uintptr_t)addr, end = start + len;
	uint32_t i;

	if (type != RTE_MEM_EVENT_FREE)
		return;
	pthread_mutex_lock(&dev->mr_mtx);
	for (i = 0; i < dev->nb_mr; ) {
		if (dev->mr[i].start < end && start < dev->mr[i].end) {
			mlx4r_mr_dereg(dev, mlx4r_mr_remove(dev, i));
			dev->mr_freed++;
			continue; /* entry i is now the former last */
		}
		i++;
	}
	pthread_mutex_unlock(&dev->mr_mtx);
}

/* At probe, before the device can register anything. */
void
mlx4r_mr_init(struct mlx4r_dev *dev)
{
	pthread_mutex_init(&dev->mr_mtx, NULL);
	rte_rwlock_init(&dev->mr_rwl);
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return;
	if (rte_mem_event_callback_register(MLX4R_MR_CB_NAME,
					    mlx4r_mr_mem_event, dev) == 0) {
		dev->mr_cb = true;
		return;
	}
	/* legacy memory (--no-huge, --legacy-mem): nothing is ever freed */
	if (rte_errno != ENOTSUP)
		DRV_LOG(WARNING, "%s: no memory event callback (%s): memory freed while registered keeps its MR until close",
			dev->name, rte_strerror(rte_errno));
}

/*
 * At device free, after mlx4r_dev_ctx_close() deregistered every MR. Once
 * unregister returns no callback runs any more (EAL takes its callback
 * list's lock for writing, which a running callback holds for reading).
 */
void
mlx4r_mr_fini(struct mlx4r_dev *dev)
{
	if (dev->mr_cb)
		rte_mem_event_callback_unregister(MLX4R_MR_CB_NAME, dev);
	dev->mr_cb = false;
	dev->nb_mr = 0;
	pthread_mutex_destroy(&dev->mr_mtx);
}

/*
 * The context closes (a reset, or the device's close): every MR is
 * deregistered, before the PD; the ranges stay for mlx4r_mr_rekey(). No
 * burst runs (the queues are quiescent or gone).
 */
void
mlx4r_mr_drop_keys(struct mlx4r_dev *dev)
{
	struct mlx4r_hw_mr *mr;
	uint32_t i;

	pthread_mutex_lock(&dev->mr_mtx);
	for (i = 0; i < dev->nb_mr; i++) {
		rte_rwlock_write_lock(&dev->mr_rwl);
		mr = dev->mr_obj[i];
		dev->mr_obj[i] = NULL;
		dev->mr[i].lkey_be = MLX4R_NO_LKEY;
		__atomic_store_n(&dev->mr_gen, dev->mr_gen + 1,
				 __ATOMIC_RELAXED);
		rte_rwlock_write_unlock(&dev->mr_rwl);
		mlx4r_mr_dereg(dev, mr);
	}
	pthread_mutex_unlock(&dev->mr_mtx);
}

/*
 * A reset opened a new context and PD: register the ranges the queues
 * used before (new lkeys), before any queue starts. A range that cannot
 * be registered fails the attempt (the reset retries or fails).
 * @return 0 or the seam's errno.
 */
int
mlx4r_mr_rekey(struct mlx4r_dev *dev)
{
	struct mlx4r_hw_mr *mr;
	uint32_t i;
	int ret = 0;

	pthread_mutex_lock(&dev->mr_mtx);
	for (i = 0; i < dev->nb_mr && ret == 0; i++) {
		if (dev->mr_obj[i] != NULL)
			continue;
		ret = mlx4r_hw_reg_mr(dev->pd, (void *)dev->mr[i].start,
				      dev->mr[i].end - dev->mr[i].start,
				      IBV_ACCESS_LOCAL_WRITE, &mr);
		if (ret < 0) {
			DRV_LOG(ERR, "%s: cannot register again %zu bytes at %p: %s",
				dev->name, dev->mr[i].end - dev->mr[i].start,
				(void *)dev->mr[i].start, strerror(-ret));
			break;
		}
		rte_rwlock_write_lock(&dev->mr_rwl);
		dev->mr_obj[i] = mr;
		dev->mr[i].lkey_be = rte_cpu_to_be_32(mr->lkey);
		rte_rwlock_write_unlock(&dev->mr_rwl);
		dev->mr_regs++;
	}
	pthread_mutex_unlock(&dev->mr_mtx);
	return ret;
}

/*
 * The range holding all of [addr, addr + len), from a burst's cache miss
 * or the control path. @return 0, -ENOENT.
 */
int
mlx4r_mr_find(struct mlx4r_dev *dev, uintptr_t addr, size_t len,
	      struct mlx4r_mr_range *out)
{
	int i;

	/* a reader of the writers' edits (mlx4r_mr_chunk(), _remove()) */
	rte_rwlock_read_lock(&dev->mr_rwl);
	i = mlx4r_mr_index(dev, addr, addr + len);
	if (i >= 0)
		*out = dev->mr[i];
	rte_rwlock_read_unlock(&dev->mr_rwl);
	return i >= 0 ? 0 : -ENOENT;
}

/*
 * A Tx burst met segment @p seg in memory no range holds: register the
 * pool it belongs to (the pool of the mbuf that owns the buffer for a
 * clone), then look again. @return the lkey (big-endian) or MLX4R_NO_LKEY
 * (the buffer is in no pool: an external buffer, or its registration
 * failed), which the burst drops and counts.
 */
uint32_t
mlx4r_mr_tx_miss(struct mlx4r_txq *txq, struct rte_mbuf *seg)
{
	struct mlx4r_dev *dev = txq->mr.dev;
	uintptr_t addr = rte_pktmbuf_mtod(seg, uintptr_t);
	struct rte_mempool *mp;
	struct mlx4r_mr_range r;
	int n;

	if (RTE_MBUF_HAS_EXTBUF(seg))
		return MLX4R_NO_LKEY;
	mp = RTE_MBUF_CLONED(seg) ? rte_mbuf_from_indirect(seg)->pool :
	     seg->pool;
	/*
	 * A secondary process registers nothing: the protection domain is
	 * the primary's (mlx4r_mp.c). Memory the primary registered (the
	 * pools of its queues, any pool it sent from) is found above.
	 */
	if (mp == NULL || rte_eal_process_type() != RTE_PROC_PRIMARY)
		return MLX4R_NO_LKEY;
	/* another lcore may have registered it meanwhile: n is then 0 */
	n = mlx4r_mr_register_mempool(dev, mp);
	if (n < 0 || mlx4r_mr_find(dev, addr, seg->data_len, &r) < 0)
		return MLX4R_NO_LKEY;
	txq->mr_ondemand += n;
	txq->mr.e[txq->mr.next++ % MLX4R_MR_CACHE] = r;
	return r.lkey_be;
}
