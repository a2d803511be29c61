/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Where a queue in error is repaired without a device reset: the Tx QP
 * back through RESET -> INIT -> RTR -> RTS, the receive WQ through
 * RESET -> RDY (the CQEs read once in RESET, when the device writes no
 * more for the queue), as mlx5 repairs its queues, on the control
 * thread, with the queue barred and proven quiescent on its own
 * (mlx4r_quiesce.c) while the port's other queues keep running.
 *
 * How a queue gets here: every completion in error moves its work queue
 * to the error state, and the device then completes every outstanding
 * WQE with a flush error; mlx4_ib delivers no event for a WQ (Linux 6.1
 * qp.c mlx4_ib_wq_event(): "Events are not supported for WQs") and none
 * for a send error a CQE reports, only IBV_EVENT_QP_FATAL & co. for a
 * QP's local catastrophic error (mlx4_ib_qp_event()). So the burst that
 * meets an error CQE leaves it unconsumed, bars its queue and asks for a
 * repair (mlx4r_rxtx.c mlx4r_queue_fault()); a QP event names its QP.
 *
 * What a repair accounts for. Tx: the WQEs are executed in order, so the
 * frames before the one in error were sent, the failed one and those
 * after it (flushed) were not: every mbuf still in the ring is freed, the
 * frames not sent counted in oerrors and tx_queue_flushed_packets. Rx:
 * the mbufs stay posted (the device wrote nothing for a failed or flushed
 * WQE) and are posted again; the WQEs lost count in ierrors and
 * rx_queue_flushed_wqes. The CQ lives on: its CQEs up to now are consumed,
 * its consumer index goes on.
 *
 * Why the rebuild is allowed: the seam (mlx4r_hw.h) and both backends
 * take RESET from any state and RESET->INIT stamps every TXBB invalid
 * (libmlx4 mlx4_modify_qp() -> mlx4_qp_init_sq_ownership()); a WQ in
 * error goes back only through RESET (mlx4_ib_modify_wq() refuses
 * ERR -> RDY, and RDY -> RDY leaves a WQ the hardware put in error as it
 * is), whose doorbell record libmlx4 zeroes (mlx4_modify_wq()).
 *
 * When a repair is not possible (the RSS QP in error) or fails (a command
 * fails, the queue is not quiescent by the deadline), the caller resets
 * the device.
 *
 * The same moves stop and start an Rx queue for the application
 * (rx_queue_stop/start, deferred start): its WQ must stay, a member of
 * the port's RSS table whose WQ numbers are consecutive, so it is parked
 * in RESET, where the device delivers nothing into it (a frame hashed to
 * it is dropped), and brought back to RDY with its WQEs posted again.
 * A stopped queue is not repaired: its start goes through RESET anyway.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_io.h>
#include <rte_mbuf.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_quiesce.h"

/* The CQE at consumer index @p ci of a queue's CQ, if software owns it. */
static struct mlx4_cqe *
mlx4r_repair_cqe(uint8_t *cqes, uint32_t ci, uint32_t mask, uint32_t shift,
		 uint32_t off, uint32_t cnt)
{
	struct mlx4_cqe *cqe = (struct mlx4_cqe *)(cqes +
		((size_t)(ci & mask) << shift) + off);

	if (!(cqe->owner_sr_opcode & MLX4_CQE_OWNER_MASK) != !(ci & cnt))
		return NULL;
	rte_io_rmb(); /* the body after the owner byte */
	return cqe;
}

/* What the CQEs of a queue in error said. */
struct mlx4r_repair_cqes {
	uint32_t completions; /**< CQEs of work done before the error */
	uint32_t errors;      /**< error CQEs but flushes */
	uint32_t flushes;     /**< WR_FLUSH_ERR CQEs */
	int wqe_index;        /**< the first error's WQE index, or -1 */
	uint8_t syndrome;     /**< the first error's syndrome */
	uint8_t vendor_err;   /**< and its vendor syndrome */
};

static inline bool
mlx4r_cqe_is_error(const struct mlx4_cqe *cqe)
{
	return (cqe->owner_sr_opcode & MLX4_CQE_OPCODE_MASK) ==
	       MLX4_CQE_OPCODE_ERROR;
}

static void
mlx4r_repair_note(struct mlx4r_repair_cqes *r, const struct mlx4_cqe *cqe)
{
	const struct mlx4_err_cqe *e = (const struct mlx4_err_cqe *)cqe;

	if (!mlx4r_cqe_is_error(cqe)) {
		r->completions++;
		return;
	}
	if (e->syndrome == MLX4_CQE_SYNDROME_WR_FLUSH_ERR) {
		r->flushes++;
		return;
	}
	if (r->errors++ == 0) {
		r->wqe_index = rte_be_to_cpu_16(e->wqe_index);
		r->syndrome = e->syndrome;
		r->vendor_err = e->vendor_err;
	}
}

/*
 * Move a Tx QP through @p steps (control lock held): RESET alone, then
 * INIT -> RTR -> RTS.
 */
static int
mlx4r_txq_qp_move(struct mlx4r_txq *txq, const enum ibv_qp_state *steps,
		  unsigned int nb_steps)
{
	struct ibv_qp_attr mod;
	unsigned int i;
	int ret;

	for (i = 0; i < nb_steps; i++) {
		memset(&mod, 0, sizeof(mod));
		mod.qp_state = steps[i];
		mod.port_num = txq->port->port_num;
		ret = mlx4r_hw_modify_qp(txq->qp, &mod, IBV_QP_STATE |
			(steps[i] == IBV_QPS_INIT ? IBV_QP_PORT : 0));
		if (ret < 0) {
			DRV_LOG(ERR, "port %u Tx queue %u: QP 0x%x to state %d: %s",
				txq->port->eth_dev->data->port_id,
				txq->queue_id, txq->qp->qpn, steps[i],
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Repair a Tx queue in error; it is barred and quiescent. */
static int
mlx4r_txq_repair(struct mlx4r_txq *txq)
{
	static const enum ibv_qp_state reset[] = { IBV_QPS_RESET };
	static const enum ibv_qp_state up[] = {
		IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPS_RTS,
	};
	struct mlx4r_repair_cqes r = { .wqe_index = -1 };
	uint32_t mask = txq->txbb_cnt - 1;
	uint32_t ci = txq->cq_ci, idx, sent = 0, lost = 0, k;
	bool past = false;
	int ret;

	/*
	 * RESET before the CQEs are read: a QP in error flushes its WQEs
	 * with CQEs the device writes when it gets to them, possibly after
	 * the burst found the first error; once in RESET it writes no more
	 * for them, so the CQEs read below are all there will be (read
	 * before, a late flush CQE would stay past the consumer index and
	 * look like a new error after the repair).
	 */
	ret = mlx4r_txq_qp_move(txq, reset, RTE_DIM(reset));
	if (ret < 0)
		return ret;
	/* what the device said since the last completion reaped */
	for (k = 0; k < txq->cqe_cnt; k++) {
		struct mlx4_cqe *cqe = mlx4r_repair_cqe(txq->cqes, ci,
			txq->cqe_mask, txq->cqe_shift, txq->cqe_off,
			txq->cqe_cnt);

		if (cqe == NULL)
			break;
		mlx4r_repair_note(&r, cqe);
		ci++;
	}
	/*
	 * Every frame still in the ring: those before the failed WQE were
	 * sent (in order), the failed one and the later ones were not. A
	 * QP error without an error CQE (QP_FATAL) tells nothing: none
	 * counts as sent.
	 */
	for (idx = txq->sq_ci; idx != txq->sq_pi; idx++) {
		struct rte_mbuf **e = &txq->elts[idx & mask];

		if (r.wqe_index >= 0 && (uint16_t)idx == r.wqe_index)
			past = true;
		if (*e == NULL)
			continue;
		if (past || r.wqe_index < 0)
			lost++;
		else
			sent++;
		rte_pktmbuf_free(*e);
		*e = NULL;
	}
	ret = mlx4r_txq_qp_move(txq, up, RTE_DIM(up));
	if (ret < 0)
		return ret;
	/* RESET emptied the SQ and INIT stamped it: indexes from 0 */
	txq->sq_pi = 0;
	txq->sq_ci = 0;
	txq->sig_pi = 0;
	txq->sig_ci = 0;
	txq->comp_pending = 0;
	/* afresh: a stale lkey in its cache may be what failed */
	memset(txq->mr.e, 0, sizeof(txq->mr.e));
	txq->cq_ci = ci;
	*txq->cq_db = rte_cpu_to_be_32(ci & MLX4R_CQ_DB_CI_MASK);
	txq->oerrors += lost;
	txq->flushed += lost;
	txq->repairs++;
	DRV_LOG(WARNING, "port %u Tx queue %u: QP 0x%x in error (%u error CQE(s), syndrome 0x%x vendor 0x%x at WQE %d; %u flushed): repaired, %u frames not sent (or not known to be), %u sent, freed",
		txq->port->eth_dev->data->port_id, txq->queue_id,
		txq->qp->qpn, r.errors, r.syndrome, r.vendor_err,
		r.wqe_index, r.flushes, lost, sent);
	return 0;
}

/* Move a receive WQ to @p st (control lock held); say why not. */
static int
mlx4r_rxq_wq_move(struct mlx4r_rxq *rxq, enum ibv_wq_state st)
{
	int ret = mlx4r_hw_modify_wq(rxq->wq, st);

	if (ret < 0)
		DRV_LOG(ERR, "port %u Rx queue %u: WQ 0x%x to %s: %s",
			rxq->port_id, rxq->queue_id, rxq->wq->wq_num,
			st == IBV_WQS_RESET ? "RESET" : "ready",
			strerror(-ret));
	return ret;
}

/* Repair an Rx queue in error; it is barred and quiescent. */
static int
mlx4r_rxq_repair(struct mlx4r_rxq *rxq)
{
	struct mlx4r_repair_cqes r = { .wqe_index = -1 };
	uint32_t ci = rxq->cq_ci, k;
	int ret;

	/* RESET first, as for Tx: no CQE comes for the WQ after it */
	ret = mlx4r_rxq_wq_move(rxq, IBV_WQS_RESET);
	if (ret < 0)
		return ret;
	/* the error, the flushes (and frames after it: lost as well) */
	for (k = 0; k < rxq->cqe_cnt; k++) {
		struct mlx4_cqe *cqe = mlx4r_repair_cqe(rxq->cqes, ci,
			rxq->cqe_mask, rxq->cqe_shift, rxq->cqe_off,
			rxq->cqe_cnt);

		if (cqe == NULL)
			break;
		mlx4r_repair_note(&r, cqe);
		ci++;
	}
	ret = mlx4r_rxq_wq_move(rxq, IBV_WQS_RDY);
	if (ret < 0)
		return ret;
	/*
	 * RESET emptied the WQ: every WQE, still holding its mbufs (the
	 * device wrote nothing for a failed or flushed one), is posted
	 * again from the start; the CQ goes on from where it is.
	 */
	rxq->rq_ci = 0;
	rxq->cq_ci = ci;
	rte_io_wmb();
	*rxq->rq_db = rte_cpu_to_be_32(rxq->nb_wqe & 0xffff);
	*rxq->cq_db = rte_cpu_to_be_32(ci & MLX4R_CQ_DB_CI_MASK);
	rxq->ierrors += r.errors + r.flushes;
	rxq->flushed += r.errors + r.flushes + r.completions;
	rxq->repairs++;
	DRV_LOG(WARNING, "port %u Rx queue %u: WQ 0x%x in error (syndrome 0x%x vendor 0x%x at WQE %d, %u flushed): repaired, %u WQEs posted again",
		rxq->port_id, rxq->queue_id, rxq->wq->wq_num, r.syndrome,
		r.vendor_err, r.wqe_index, r.flushes, rxq->nb_wqe);
	return 0;
}

/*
 * Park a stopped Rx queue (barred and quiescent): its WQ to RESET, after
 * which the device writes nothing more into it; the frames it completed
 * and nobody polled are dropped (counted in rx_queue_flushed_wqes), their
 * mbufs stay posted for the start. Control lock held.
 */
int
mlx4r_rxq_pause(struct mlx4r_rxq *rxq)
{
	uint32_t ci = rxq->cq_ci, k;
	int ret;

	ret = mlx4r_rxq_wq_move(rxq, IBV_WQS_RESET);
	if (ret < 0)
		return ret;
	for (k = 0; k < rxq->cqe_cnt; k++) {
		if (mlx4r_repair_cqe(rxq->cqes, ci, rxq->cqe_mask,
				     rxq->cqe_shift, rxq->cqe_off,
				     rxq->cqe_cnt) == NULL)
			break;
		ci++;
	}
	rxq->flushed += ci - rxq->cq_ci;
	rxq->cq_ci = ci;
	*rxq->cq_db = rte_cpu_to_be_32(ci & MLX4R_CQ_DB_CI_MASK);
	return 0;
}

/*
 * Bring a parked Rx queue back: its WQ RESET -> RDY (mlx4_ib_modify_wq
 * takes no other way from RESET), every WQE posted again from index 0,
 * as a repair does. The caller unbars it. Control lock held.
 */
int
mlx4r_rxq_resume(struct mlx4r_rxq *rxq)
{
	int ret;

	ret = mlx4r_rxq_wq_move(rxq, IBV_WQS_RDY);
	if (ret < 0)
		return ret;
	rxq->rq_ci = 0;
	rxq->fault = 0; /* through RESET: no error left */
	rte_io_wmb(); /* the WQEs before the doorbell record */
	*rxq->rq_db = rte_cpu_to_be_32(rxq->nb_wqe & 0xffff);
	return 0;
}

/*
 * A QP event about a Tx queue whose QP the device holds as working: the
 * queue was repaired since the event was raised (its flush CQEs, met by a
 * burst, came first), and another trip through RESET would drop the
 * frames posted after that repair. The state is the device's
 * (mlx4_ib_query_qp(): QUERY_QP), not the one last set. When the device
 * cannot say (no query in the backend, a command failing), the event is
 * taken as it is. Control lock held.
 */
static bool
mlx4r_txq_event_stale(struct mlx4r_txq *txq)
{
	static const char *const name[] = {
		[IBV_QPS_RESET] = "RESET", [IBV_QPS_INIT] = "INIT",
		[IBV_QPS_RTR] = "RTR", [IBV_QPS_RTS] = "RTS",
	};
	enum ibv_qp_state st;

	if (mlx4r_hw_query_qp_state(txq->qp, &st) != 0 ||
	    st == IBV_QPS_ERR || st == IBV_QPS_SQE)
		return false;
	DRV_LOG(NOTICE, "port %u Tx queue %u: QP 0x%x named by an error event, but the device holds it in %s: an event of before its last repair, ignored",
		txq->port->eth_dev->data->port_id, txq->queue_id,
		txq->qp->qpn, (unsigned int)st < RTE_DIM(name) &&
		name[st] != NULL ? name[st] : "another state");
	txq->stale_events++;
	return true;
}

/*
 * Repair the queues of a started port that are in error: those whose
 * lcore found an error CQE (fault set) and the Tx queues whose QP is in
 * @p qp_errs (QP events). Control lock held; the device is live. Each
 * queue is barred and proven quiescent alone; the others run on.
 * @return 0; -EIO for a QP that cannot be repaired alone (the RSS QP,
 *   the hash or drop QP of an rte_flow rule);
 *   -ETIMEDOUT (a queue not quiescent by @p deadline_ns), -EINTR (close),
 *   or a command's errno: the caller resets the device.
 */
int
mlx4r_port_repair(struct mlx4r_port *port, void *const *qp_errs,
		  unsigned int nb_qp_errs, uint64_t deadline_ns, bool *closing)
{
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	unsigned int k;
	uint16_t i;
	int ret;

	for (k = 0; k < nb_qp_errs; k++) {
		/* handles compared, not dereferenced: one may be gone */
		if (port->rss_qp != NULL &&
		    qp_errs[k] == (void *)port->rss_qp) {
			DRV_LOG(ERR, "port %u: the RSS QP is in error: a device reset is needed",
				port->eth_dev->data->port_id);
			return -EIO;
		}
		/* a rule's QP, as the RSS QP: its rule would drop for ever */
		if (mlx4r_flow_api_has_qp(port, qp_errs[k])) {
			DRV_LOG(ERR, "port %u: the QP of an rte_flow rule is in error: a device reset is needed",
				port->eth_dev->data->port_id);
			return -EIO;
		}
		MLX4R_FOREACH_TXQ(port, i, txq)
			if (txq->qp != NULL && qp_errs[k] == (void *)txq->qp &&
			    !__atomic_load_n(&txq->fault, __ATOMIC_RELAXED) &&
			    !mlx4r_txq_event_stale(txq))
				__atomic_store_n(&txq->fault, 1,
						 __ATOMIC_RELAXED);
	}
	MLX4R_FOREACH_TXQ(port, i, txq) {
		if (txq->qp == NULL ||
		    !__atomic_load_n(&txq->fault, __ATOMIC_RELAXED))
			continue;
		ret = mlx4r_queue_quiesce(&txq->barred, &txq->in_burst,
					  deadline_ns, closing);
		if (ret == 0)
			ret = mlx4r_txq_repair(txq);
		if (ret < 0)
			return ret;
		__atomic_store_n(&txq->fault, 0, __ATOMIC_RELAXED);
		mlx4r_queue_unbar(&txq->barred);
	}
	MLX4R_FOREACH_RXQ(port, i, rxq) {
		if (rxq->wq == NULL || rxq->stopped ||
		    !__atomic_load_n(&rxq->fault, __ATOMIC_RELAXED))
			continue;
		ret = mlx4r_queue_quiesce(&rxq->barred, &rxq->in_burst,
					  deadline_ns, closing);
		if (ret == 0)
			ret = mlx4r_rxq_repair(rxq);
		if (ret < 0)
			return ret;
		__atomic_store_n(&rxq->fault, 0, __ATOMIC_RELAXED);
		mlx4r_queue_unbar(&rxq->barred);
		mlx4r_rxq_intr_kick(rxq);
	}
	return 0;
}
