/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * mlx4r's bursts (drivers/net/mlx4r/mlx4r_rxtx.c, compiled beside this
 * file) on the fake rings, with the queue structures filled as
 * mlx4r_rxq.c and mlx4r_txq.c fill them from mlx4dv: one segment per Rx
 * WQE, the prefetch headroom of 2048 + 64 bytes kept free, a completion
 * every min(64, usable / 4) TXBBs, the MR cache holding the pool's range.
 */

#include <stdlib.h>
#include <string.h>

#include <rte_debug.h>
#include <rte_malloc.h>

#include "mlx4r.h"
#include "mlx4r_core.h"
#include "mlx4r_mp.h"

#include "fp.h"

/* The primary's in-burst marker value (mlx4r_quiesce.c defines it). */
uint8_t mlx4r_burst_tag = MLX4R_TAG_PRIMARY;

/* A miss means the harness registered too little: stop there. */
int
mlx4r_mr_find(struct mlx4r_dev *dev, uintptr_t addr, size_t len,
	      struct mlx4r_mr_range *r)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(len);
	RTE_SET_USED(r);
	rte_panic("fp mlx4r: MR miss at %#lx\n", (unsigned long)addr);
}

uint32_t
mlx4r_mr_tx_miss(struct mlx4r_txq *txq, struct rte_mbuf *seg)
{
	RTE_SET_USED(txq);
	rte_panic("fp mlx4r: Tx MR miss at %p\n", seg->buf_addr);
}

/* A queue in error seen by a secondary process: never here. */
void
mlx4r_mp_repair(uint16_t port_id)
{
	rte_panic("fp mlx4r: a secondary's repair request, port %u\n", port_id);
}

/* The device table whose generation the bursts compare (never bumped). */
static struct mlx4r_dev fp_dev;

static void
fp_ours_mr(struct mlx4r_mr_cache *c, struct rte_mempool *mp)
{
	uintptr_t s, e;

	fp_pool_range(mp, &s, &e);
	memset(c, 0, sizeof(*c));
	c->e[0].start = s;
	c->e[0].end = e;
	c->e[0].lkey_be = rte_cpu_to_be_32(FP_LKEY);
	c->next = 1;
	c->dev = &fp_dev;
}

static void *
fp_ours_rx_create(struct rte_mempool *mp, struct fp_rx_ring *r)
{
	struct mlx4r_rxq *rxq = rte_zmalloc(NULL, sizeof(*rxq),
					    RTE_CACHE_LINE_SIZE);
	struct mlx4_wqe_data_seg *w = (void *)r->wqes;
	uint32_t i, room;

	if (rxq == NULL)
		rte_panic("fp mlx4r: no memory\n");
	rxq->tag = MLX4R_RXQ_TAG;
	rxq->elts = calloc(r->nb_wqe, sizeof(*rxq->elts));
	room = rte_pktmbuf_data_room_size(mp);
	rxq->sges_log = 0;
	rxq->rss_hash = 1; /* upstream always reports the hash */
	rxq->wqe_mask = r->nb_wqe - 1;
	rxq->cqe_mask = r->nb_cqe - 1;
	rxq->cqe_cnt = r->nb_cqe;
	rxq->cqe_shift = 5;
	rxq->seg_first_len = room - RTE_PKTMBUF_HEADROOM;
	rxq->seg_len = room;
	rxq->wqes = r->wqes;
	rxq->wqe_shift = 4;
	rxq->cqes = r->cqes;
	rxq->rq_db = r->rq_db;
	rxq->cq_db = r->cq_db;
	rxq->mp = mp;
	fp_ours_mr(&rxq->mr, mp);
	for (i = 0; i < r->nb_wqe; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		if (m == NULL)
			rte_panic("fp mlx4r: pool too small\n");
		rxq->elts[i] = m;
		w[i].addr = rte_cpu_to_be_64(rte_pktmbuf_mtod(m, uintptr_t));
		w[i].byte_count = rte_cpu_to_be_32(rxq->seg_first_len);
		w[i].lkey = rte_cpu_to_be_32(FP_LKEY);
	}
	*rxq->rq_db = rte_cpu_to_be_32(r->nb_wqe & 0xffff);
	return rxq;
}

static void *
fp_ours_tx_create(struct rte_mempool *mp, struct fp_tx_ring *r,
		  uint32_t nb_desc)
{
	struct mlx4r_txq *txq = rte_zmalloc(NULL, sizeof(*txq),
					    RTE_CACHE_LINE_SIZE);
	uint32_t usable, nsig;

	RTE_SET_USED(nb_desc);
	if (txq == NULL)
		rte_panic("fp mlx4r: no memory\n");
	txq->tag = MLX4R_TXQ_TAG;
	txq->sq = r->sq;
	txq->txbb_cnt = r->nb_txbb;
	txq->sdb = r->sdb;
	txq->doorbell_qpn = rte_cpu_to_be_32(0x48 << 8);
	txq->cqes = r->cqes;
	txq->cqe_cnt = r->nb_cqe;
	txq->cqe_mask = r->nb_cqe - 1;
	txq->cqe_shift = 5;
	txq->cq_db = r->cq_db;
	/* the headroom: (2048 + 64) / 64 TXBBs */
	usable = RTE_MIN(r->nb_txbb - 33, r->nb_cqe * 64);
	txq->comp_thresh = RTE_MIN(64u, RTE_MAX(usable / 4, 1u));
	nsig = rte_align32pow2(txq->txbb_cnt / txq->comp_thresh + 2);
	txq->sig_mask = nsig - 1;
	txq->sig = calloc(nsig, sizeof(*txq->sig));
	txq->elts = calloc(txq->txbb_cnt, sizeof(*txq->elts));
	txq->txbb_max = usable;
	txq->srcrb = MLX4_WQE_CTRL_SOLICIT;
	fp_ours_mr(&txq->mr, mp);
	return txq;
}

static void
fp_ours_rx_destroy(void *q)
{
	struct mlx4r_rxq *rxq = q;

	free(rxq->elts);
	rte_free(rxq);
}

static void
fp_ours_tx_destroy(void *q)
{
	struct mlx4r_txq *txq = q;

	free(txq->sig);
	free(txq->elts);
	rte_free(txq);
}

const struct fp_driver fp_mlx4r = {
	.name = "mlx4r",
	.rx_create = fp_ours_rx_create,
	.rx_burst = mlx4r_rx_burst,
	.tx_create = fp_ours_tx_create,
	.tx_burst = mlx4r_tx_burst,
	.rx_destroy = fp_ours_rx_destroy,
	.tx_destroy = fp_ours_tx_destroy,
};
