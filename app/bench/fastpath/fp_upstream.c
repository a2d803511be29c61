/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Upstream net_mlx4's bursts (drivers/net/mlx4/mlx4_rxtx.c of the DPDK
 * source package of the installed version, compiled beside this file by
 * devtools/bench-fastpath.sh) on the fake rings. The queue structures are
 * filled as upstream's own set-up fills them from mlx4dv (mlx4_rxq.c
 * mlx4_rxq_attach(), mlx4_txq.c mlx4_tx_queue_setup() and
 * mlx4_txq_fill_dv_obj_info()): one segment per Rx WQE with the lkey
 * written once, a Tx completion requested every min(64, desc / 4)
 * packets, 2048 + 64 bytes of SQ headroom, the MR cache holding the
 * pool's one range.
 */

#include <stdlib.h>
#include <string.h>

#include <rte_debug.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "mlx4.h"
#include "mlx4_mr.h"
#include "mlx4_rxtx.h"
#include "mlx4_utils.h"

#include "fp.h"

/* An ethdev slot no probe uses: upstream's Tx finds its UAR through it. */
#define FP_UP_PORT (RTE_MAX_ETHPORTS - 1)

/* What mlx4_rxtx.c needs from the rest of the driver. */
int mlx4_logtype;

void
mlx4_mr_flush_local_cache(struct mlx4_mr_ctrl *mr_ctrl)
{
	mr_ctrl->cur_gen = *mr_ctrl->dev_gen_ptr;
}

uint32_t
mlx4_rx_addr2mr_bh(struct rxq *rxq, uintptr_t addr)
{
	RTE_SET_USED(rxq);
	rte_panic("fp upstream: Rx MR miss at %#lx\n", (unsigned long)addr);
}

uint32_t
mlx4_tx_mb2mr_bh(struct txq *txq, struct rte_mbuf *mb)
{
	RTE_SET_USED(txq);
	rte_panic("fp upstream: Tx MR miss for %p\n", (void *)mb);
}

static uint32_t fp_up_dev_gen;

static void
fp_up_mr(struct mlx4_mr_ctrl *c, struct rte_mempool *mp)
{
	uintptr_t s, e;

	fp_pool_range(mp, &s, &e);
	memset(c, 0, sizeof(*c));
	c->dev_gen_ptr = &fp_up_dev_gen;
	c->cache[0].start = s;
	c->cache[0].end = e;
	c->cache[0].lkey = rte_cpu_to_be_32(FP_LKEY);
}

static void *
fp_up_rx_create(struct rte_mempool *mp, struct fp_rx_ring *r)
{
	struct rxq *rxq = calloc(1, sizeof(*rxq));
	struct rte_mbuf **elts = calloc(r->nb_wqe, sizeof(*elts));
	volatile struct mlx4_wqe_data_seg *w = (void *)r->wqes;
	uint32_t i;

	if (rxq == NULL || elts == NULL)
		rte_panic("fp upstream: no memory\n");
	rxq->mp = mp;
	rxq->port_id = 0;
	rxq->sges_n = 0;
	rxq->elts_n = rte_log2_u32(r->nb_wqe);
	rxq->elts = (void *)elts;
	rxq->wqes = (void *)r->wqes;
	rxq->rq_db = r->rq_db;
	rxq->mcq.buf = r->cqes;
	rxq->mcq.cqe_cnt = r->nb_cqe;
	rxq->mcq.cqe_64 = 0;
	rxq->mcq.set_ci_db = r->cq_db;
	fp_up_mr(&rxq->mr_ctrl, mp);
	for (i = 0; i < r->nb_wqe; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		if (m == NULL)
			rte_panic("fp upstream: pool too small\n");
		m->data_len = rte_pktmbuf_tailroom(m);
		elts[i] = m;
		w[i].addr = rte_cpu_to_be_64(rte_pktmbuf_mtod(m, uintptr_t));
		w[i].byte_count = rte_cpu_to_be_32(m->data_len);
		w[i].lkey = rte_cpu_to_be_32(FP_LKEY);
	}
	rxq->rq_ci = r->nb_wqe;
	*rxq->rq_db = rte_cpu_to_be_32(rxq->rq_ci);
	return rxq;
}

static void *
fp_up_tx_create(struct rte_mempool *mp, struct fp_tx_ring *r,
		uint32_t nb_desc)
{
	struct txq *txq = calloc(1, sizeof(*txq));
	struct txq_elt *elts = calloc(nb_desc, sizeof(*elts));
	struct mlx4_proc_priv *pp = calloc(1, sizeof(*pp) + sizeof(void *));
	struct mlx4_priv *priv = calloc(1, sizeof(*priv));
	struct mlx4_sq *sq;

	if (txq == NULL || elts == NULL || pp == NULL || priv == NULL)
		rte_panic("fp upstream: no memory\n");
	sq = &txq->msq;
	sq->buf = r->sq;
	sq->size = r->nb_txbb * MLX4_TXBB_SIZE;
	sq->eob = sq->buf + sq->size;
	sq->remain_size = sq->size - (2048 + MLX4_TXBB_SIZE);
	sq->owner_opcode = MLX4_OPCODE_SEND;
	sq->stamp = rte_cpu_to_be_32(MLX4_SQ_STAMP_VAL);
	sq->db = (uint32_t *)(uintptr_t)r->sdb;
	sq->doorbell_qpn = rte_cpu_to_be_32(0x48 << 8);
	txq->mcq.buf = r->cqes;
	txq->mcq.cqe_cnt = r->nb_cqe;
	txq->mcq.set_ci_db = r->cq_db;
	txq->port_id = FP_UP_PORT;
	txq->elts_n = nb_desc;
	txq->elts = (void *)elts;
	txq->elts_comp_cd = RTE_MIN(MLX4_PMD_TX_PER_COMP_REQ, nb_desc / 4);
	txq->elts_comp_cd_init = txq->elts_comp_cd;
	txq->priv = priv;
	txq->bounce_buf = calloc(1, MLX4_MAX_WQE_SIZE);
	elts[0].wqe = (volatile struct mlx4_wqe_ctrl_seg *)sq->buf;
	fp_up_mr(&txq->mr_ctrl, mp);
	pp->uar_table_sz = 1;
	pp->uar_table[0] = (void *)(uintptr_t)r->sdb;
	rte_eth_devices[FP_UP_PORT].process_private = pp;
	return txq;
}

static void
fp_up_rx_destroy(void *q)
{
	struct rxq *rxq = q;

	free((void *)rxq->elts);
	free(rxq);
}

static void
fp_up_tx_destroy(void *q)
{
	struct txq *txq = q;

	free(rte_eth_devices[FP_UP_PORT].process_private);
	rte_eth_devices[FP_UP_PORT].process_private = NULL;
	free(txq->bounce_buf);
	free(txq->priv);
	free((void *)txq->elts);
	free(txq);
}

const struct fp_driver fp_upstream = {
	.name = "upstream",
	.rx_create = fp_up_rx_create,
	.rx_burst = mlx4_rx_burst,
	.tx_create = fp_up_tx_create,
	.tx_burst = mlx4_tx_burst,
	.rx_destroy = fp_up_rx_destroy,
	.tx_destroy = fp_up_tx_destroy,
};
