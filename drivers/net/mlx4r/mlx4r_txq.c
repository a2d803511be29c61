/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Tx queue life cycle. Set-up takes the queue structure of its index only
 * (allocated at the first set-up, type-stable for the life of the device:
 * mlx4r.h); start creates the CQ and the raw-packet QP, maps their views
 * and moves the QP RESET -> INIT (port; the device stamps every TXBB) -> RTR -> RTS; stop
 * moves it to RESET, frees the mbufs still in the ring and destroys the
 * QP and the CQ. So a stopped port holds no device object and no mbuf.
 *
 * Geometry, as upstream net_mlx4 (mlx4_txq.c mlx4_tx_queue_setup) asks
 * for it: nb_desc send WRs of one SGE, which libmlx4 (qp.c
 * mlx4_calc_sq_wqe_size, verbs.c create_qp_ex) turns into a SQ of 64-byte
 * TXBBs, nb_desc plus the spare ones rounded up to a power of two. The
 * datapath builds WQEs of several TXBBs itself (up to MLX4R_MAX_TX_SEGS
 * segments, 8 TXBBs) and keeps the spare TXBBs, the 2 KB + 1 WQE the
 * device prefetches past the last posted WQE, free: at most
 * wqe_cnt - ((2048 >> wqe_shift) + 1) TXBBs outstanding.
 *
 * Descriptors: nb_desc is rounded up to a power of two in
 * [MLX4R_MIN_DESC, MLX4R_MAX_DESC] (0 means MLX4R_DEFAULT_DESC); the ring
 * holds at least that many single-segment frames (a frame of s segments
 * takes ceil((s + 1) / 4) TXBBs).
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_quiesce.h"

/*
 * Release Tx queue @p idx: as mlx4r_rx_queue_release(), the structure
 * stays (type-stable, mlx4r.h), barred, off the driver's list.
 */
void
mlx4r_tx_queue_release(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_eth_dev_data *data = eth_dev->data;
	struct mlx4r_txq *txq = mlx4r_port_txq(port, idx);

	if (txq == NULL)
		return;
	mlx4r_queue_retire(&txq->barred, &txq->in_burst);
	mlx4r_txq_stop(txq);
	port->txqs[idx] = NULL;
	if (data->tx_queues != NULL && idx < data->nb_tx_queues &&
	    data->tx_queues[idx] == txq)
		data->tx_queues[idx] = NULL;
}

/* The structure of Tx queue @p idx of @p port (see mlx4r_rxq_get()). */
static struct mlx4r_txq *
mlx4r_txq_get(struct mlx4r_port *port, uint16_t idx, unsigned int socket)
{
	struct mlx4r_txq **slot = &port->dev->txq_store[port->port_num - 1][idx];
	struct mlx4r_txq *txq = *slot;
	size_t off = offsetof(struct mlx4r_txq, reinit);

	if (txq != NULL) {
		/* released: barred, no burst inside, nothing attached */
		memset((uint8_t *)txq + off, 0, sizeof(*txq) - off);
		__atomic_store_n(&txq->refused, 0, __ATOMIC_RELAXED);
		return txq;
	}
	txq = rte_zmalloc_socket("mlx4r_txq", sizeof(*txq),
				 RTE_CACHE_LINE_SIZE, socket);
	if (txq == NULL)
		return NULL;
	txq->tag = MLX4R_TXQ_TAG;
	__atomic_store_n(&txq->barred, 1, __ATOMIC_RELAXED);
	*slot = txq;
	return txq;
}

int
mlx4r_tx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t idx,
		     uint16_t nb_desc, unsigned int socket,
		     const struct rte_eth_txconf *conf)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_txq *txq;

	if (port->started) {
		DRV_LOG(ERR, "port %u Tx queue %u: stop the port first",
			eth_dev->data->port_id, idx);
		return -EBUSY;
	}
	if (idx >= MLX4R_MAX_QUEUES) {
		DRV_LOG(ERR, "port %u Tx queue %u: at most %u queues",
			eth_dev->data->port_id, idx, MLX4R_MAX_QUEUES);
		return -EINVAL;
	}
	/* ethdev released any previous queue at this index already */
	mlx4r_tx_queue_release(eth_dev, idx);
	txq = mlx4r_txq_get(port, idx, socket);
	if (txq == NULL) {
		DRV_LOG(ERR, "port %u Tx queue %u: out of memory",
			eth_dev->data->port_id, idx);
		return -ENOMEM;
	}
	/* barred (mlx4r_txq_get) until the port starts and unbars it */
	txq->port = port;
	txq->mr.dev = port->dev;
	txq->queue_id = idx;
	txq->socket = socket;
	txq->nb_desc = mlx4r_round_desc(nb_desc);
	txq->offloads = conf->offloads |
			eth_dev->data->dev_conf.txmode.offloads;
	txq->deferred = conf->tx_deferred_start;
	port->txqs[idx] = txq;
	eth_dev->data->tx_queues[idx] = txq;
	return 0;
}

static void
mlx4r_txq_free_ring(struct mlx4r_txq *txq)
{
	uint32_t i;

	if (txq->elts == NULL)
		return;
	for (i = 0; i < txq->txbb_cnt; i++) {
		if (txq->elts[i] != NULL) {
			rte_pktmbuf_free(txq->elts[i]);
			txq->elts[i] = NULL;
		}
	}
	rte_free(txq->elts);
	txq->elts = NULL;
	rte_free(txq->sig);
	txq->sig = NULL;
}

void
mlx4r_txq_stop(struct mlx4r_txq *txq)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RESET };

	if (txq->qp != NULL) {
		/* nothing is executed any more: every mbuf is ours */
		mlx4r_hw_modify_qp(txq->qp, &attr, IBV_QP_STATE);
		mlx4r_dev_destroy_qp(txq->port->dev, txq->qp);
		txq->qp = NULL;
	}
	if (txq->cq != NULL) {
		mlx4r_hw_destroy_cq(txq->cq);
		txq->cq = NULL;
	}
	mlx4r_txq_free_ring(txq);
	txq->hook = (struct mlx4r_hw_hook){ NULL, NULL };
}

int
mlx4r_txq_start(struct mlx4r_txq *txq)
{
	struct mlx4r_port *port = txq->port;
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_hw_qp_attr qattr;
	struct ibv_qp_attr mod;
	struct mlx4dv_qp qv;
	struct mlx4dv_cq cv;
	uint32_t spare, usable, nsig;
	static const enum ibv_qp_state steps[] = {
		IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPS_RTS,
	};
	unsigned int i;
	int ret;

	/*
	 * The CQ holds a CQE for every WQE that may be outstanding (each
	 * gets one when the QP flushes them in error): as many as the TXBBs
	 * the SQ libmlx4 makes for nb_desc WRs leaves outside the headroom.
	 */
	spare = (2048u >> MLX4R_TXBB_SHIFT) + 1;
	/* the rings on the queue's node (the verbs backend, mlx4r_hw.h) */
	dev->ctx->buf_socket = txq->socket;
	ret = mlx4r_hw_create_cq(dev->ctx,
				 rte_align32pow2(txq->nb_desc + spare) - spare,
				 &txq->cq);
	if (ret < 0) {
		dev->ctx->buf_socket = SOCKET_ID_ANY;
		DRV_LOG(ERR, MLX4R_PORT_FMT " Tx queue %u: cannot create CQ: %s",
			MLX4R_PORT_ARGS(port), txq->queue_id,
			strerror(-ret));
		goto error;
	}
	memset(&qattr, 0, sizeof(qattr));
	qattr.send_cq = txq->cq;
	/* one SGE: 64-byte TXBBs; the datapath chains them itself */
	qattr.cap.max_send_wr = txq->nb_desc;
	qattr.cap.max_send_sge = 1;
	ret = mlx4r_hw_create_qp(dev->pd, &qattr, &txq->qp);
	dev->ctx->buf_socket = SOCKET_ID_ANY;
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Tx queue %u: cannot create QP: %s",
			MLX4R_PORT_ARGS(port), txq->queue_id,
			strerror(-ret));
		goto error;
	}
	ret = mlx4r_hw_qp_view(txq->qp, &qv, &txq->hook);
	if (ret == 0)
		ret = mlx4r_hw_cq_view(txq->cq, &cv);
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Tx queue %u: no view: %s",
			MLX4R_PORT_ARGS(port), txq->queue_id,
			strerror(-ret));
		goto error;
	}
	/* the prefetch headroom: 2 KB + one WQE, as libmlx4 reserves it */
	if (qv.sq.wqe_shift != MLX4R_TXBB_SHIFT ||
	    !rte_is_power_of_2(qv.sq.wqe_cnt) ||
	    qv.sq.wqe_cnt < spare + MLX4R_MAX_WQE_TXBBS) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Tx queue %u: send queue of %u WQEs of %u bytes, expected a power of two of %u-byte TXBBs above %u",
			MLX4R_PORT_ARGS(port), txq->queue_id,
			qv.sq.wqe_cnt, 1u << qv.sq.wqe_shift, MLX4R_TXBB_SIZE,
			spare + MLX4R_MAX_WQE_TXBBS);
		ret = -EINVAL;
		goto error;
	}
	if (!rte_is_power_of_2(cv.cqe_cnt) ||
	    (cv.cqe_size != 32 && cv.cqe_size != 64)) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Tx queue %u: CQ of %u entries of %u bytes, expected a power of two of 32 or 64",
			MLX4R_PORT_ARGS(port), txq->queue_id,
			cv.cqe_cnt, cv.cqe_size);
		ret = -EINVAL;
		goto error;
	}
	txq->sq = (uint8_t *)qv.buf.buf + qv.sq.offset;
	txq->txbb_cnt = qv.sq.wqe_cnt;
	txq->sdb = (volatile uint32_t *)qv.sdb;
	txq->port_id = port->eth_dev->data->port_id;
	txq->ctx_gen = dev->mp_gen;
	txq->doorbell_qpn = qv.doorbell_qpn;
	txq->cqes = cv.buf.buf;
	txq->cqe_cnt = cv.cqe_cnt;
	txq->cqe_mask = cv.cqe_cnt - 1;
	txq->cqe_shift = rte_log2_u32(cv.cqe_size);
	txq->cqe_off = cv.cqe_size - sizeof(struct mlx4_cqe);
	txq->cq_db = (volatile uint32_t *)cv.set_ci_db;
	/* every TXBB but the headroom, with a CQE for each, may be out */
	usable = RTE_MIN(txq->txbb_cnt - spare, txq->cq->cqe);
	txq->comp_thresh = RTE_MIN(64u, RTE_MAX(usable / 4, 1u));
	/* requests outstanding at most: one per comp_thresh TXBBs, + 1 */
	nsig = rte_align32pow2(txq->txbb_cnt / txq->comp_thresh + 2);
	txq->sig_mask = nsig - 1;
	txq->sig = rte_zmalloc_socket("mlx4r_txq_sig", nsig * sizeof(uint32_t),
				      0, txq->socket);
	txq->elts = rte_zmalloc_socket("mlx4r_txq_elts",
				       txq->txbb_cnt * sizeof(*txq->elts),
				       RTE_CACHE_LINE_SIZE, txq->socket);
	if (txq->sig == NULL || txq->elts == NULL) {
		ret = -ENOMEM;
		goto error;
	}
	txq->sq_pi = 0;
	txq->sq_ci = 0;
	txq->cq_ci = 0;
	txq->sig_pi = 0;
	txq->sig_ci = 0;
	txq->comp_pending = 0;
	txq->fault = 0; /* a new QP: no error to repair */
	txq->txbb_max = usable;
	/*
	 * Every WQE: SOLICIT, which on raw Ethernet means "no ICRC"
	 * (libmlx4 qp.c mlx4_post_send, upstream mlx4_rxtx.c
	 * mlx4_tx_burst, mlx4_en en_netdev.c ctrl_flags); force loopback
	 * in lpbk_mode, as mlx4_en for NETIF_F_LOOPBACK (en_main.c
	 * mlx4_en_update_loopback_state).
	 */
	txq->srcrb = MLX4_WQE_CTRL_SOLICIT;
	if (port->eth_dev->data->dev_conf.lpbk_mode != 0)
		txq->srcrb |= MLX4R_WQE_CTRL_FORCE_LOOPBACK;
	/*
	 * A VF carries the destination MAC in the control segment, which
	 * the eSwitch switches by (upstream mlx4_txq.c "Enable Tx loopback
	 * for VF devices", mlx4_en for multi-function devices).
	 */
	txq->lb = dev->ctx->vendor_part_id == MLX4R_PART_CX3_VF;
	txq->csum = (txq->offloads & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
				      RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
				      RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) != 0;
	txq->l2tun = port->l2tun_cap &&
		     (txq->offloads & RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM);
	txq->ofl = (txq->csum ? RTE_MBUF_F_TX_IP_CKSUM |
		    RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_OUTER_IP_CKSUM : 0) |
		   ((txq->offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) &&
		    port->tso_max != 0 ? RTE_MBUF_F_TX_TCP_SEG : 0);
	txq->tso_max = port->tso_max;
	txq->tso_vxlan = port->l2tun_cap && port->tso_max != 0 &&
			 (txq->offloads & RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO);
	memset(txq->mr.e, 0, sizeof(txq->mr.e));
	for (i = 0; i < RTE_DIM(steps); i++) {
		memset(&mod, 0, sizeof(mod));
		mod.qp_state = steps[i];
		mod.port_num = port->port_num;
		ret = mlx4r_hw_modify_qp(txq->qp, &mod, IBV_QP_STATE |
					 (i == 0 ? IBV_QP_PORT : 0));
		if (ret < 0) {
			DRV_LOG(ERR, MLX4R_PORT_FMT " Tx queue %u: QP to state %d: %s",
				MLX4R_PORT_ARGS(port), txq->queue_id,
				steps[i], strerror(-ret));
			goto error;
		}
	}
	/* stays barred: the caller unbars (mlx4r_reset.c) */
	return 0;
error:
	mlx4r_txq_stop(txq);
	return ret;
}
