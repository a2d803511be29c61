/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Rx queue life cycle. Set-up takes the queue structure of its index
 * (allocated at the first set-up, type-stable for the life of the device:
 * mlx4r.h) and registers the mempool with the device; start creates the CQ and the receive WQ,
 * fills every WQE with mbufs and moves the WQ to ready (the port then
 * puts the WQs behind its RSS indirection table, mlx4r_flow.c); stop
 * destroys the WQ and the CQ and returns every posted mbuf to its pool.
 *
 * Descriptors: nb_desc is rounded up to a power of two in
 * [MLX4R_MIN_DESC, MLX4R_MAX_DESC] (0 means MLX4R_DEFAULT_DESC); it is the
 * number of WQEs, each holding one frame. A WQE has one data segment, or
 * with RTE_ETH_RX_OFFLOAD_SCATTER as many as a frame of the MTU needs in
 * mbufs of the pool (rounded up to a power of two, at most 16): the first
 * segment starts after RTE_PKTMBUF_HEADROOM, the others use the whole
 * buffer.
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

uint16_t
mlx4r_round_desc(uint16_t nb_desc)
{
	if (nb_desc == 0)
		nb_desc = MLX4R_DEFAULT_DESC;
	nb_desc = RTE_MAX(nb_desc, (uint16_t)MLX4R_MIN_DESC);
	return rte_align32pow2(nb_desc);
}

/*
 * Release Rx queue @p idx: it leaves the driver's list, barred, its ring
 * and device objects gone; the structure stays where it is (type-stable,
 * mlx4r.h) for the next set-up of the index. Called by ethdev (which
 * clears its rx_queues[idx] itself) and by close and dev_reset.
 */
void
mlx4r_rx_queue_release(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_eth_dev_data *data = eth_dev->data;
	struct mlx4r_rxq *rxq = mlx4r_port_rxq(port, idx);

	if (rxq == NULL)
		return;
	mlx4r_queue_retire(&rxq->barred, &rxq->in_burst);
	mlx4r_rxq_stop(rxq);
	port->rxqs[idx] = NULL;
	if (data->rx_queues != NULL && idx < data->nb_rx_queues &&
	    data->rx_queues[idx] == rxq)
		data->rx_queues[idx] = NULL;
}

/*
 * The structure of Rx queue @p idx of @p port: the one of an earlier
 * set-up, re-initialised after its guard, or a new one.
 */
static struct mlx4r_rxq *
mlx4r_rxq_get(struct mlx4r_port *port, uint16_t idx, unsigned int socket)
{
	struct mlx4r_rxq **slot = &port->dev->rxq_store[port->port_num - 1][idx];
	struct mlx4r_rxq *rxq = *slot;
	size_t off = offsetof(struct mlx4r_rxq, reinit);

	if (rxq != NULL) {
		/* released: barred, no burst inside, nothing attached */
		memset((uint8_t *)rxq + off, 0, sizeof(*rxq) - off);
		__atomic_store_n(&rxq->refused, 0, __ATOMIC_RELAXED);
		return rxq;
	}
	rxq = rte_zmalloc_socket("mlx4r_rxq", sizeof(*rxq),
				 RTE_CACHE_LINE_SIZE, socket);
	if (rxq == NULL)
		return NULL;
	rxq->tag = MLX4R_RXQ_TAG;
	__atomic_store_n(&rxq->barred, 1, __ATOMIC_RELAXED);
	*slot = rxq;
	return rxq;
}

int
mlx4r_rx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t idx,
		     uint16_t nb_desc, unsigned int socket,
		     const struct rte_eth_rxconf *conf, struct rte_mempool *mp)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq;
	int ret;

	if (mp == NULL) {
		DRV_LOG(ERR, "port %u Rx queue %u: no mempool",
			eth_dev->data->port_id, idx);
		return -EINVAL;
	}
	if (port->started) {
		DRV_LOG(ERR, "port %u Rx queue %u: stop the port first",
			eth_dev->data->port_id, idx);
		return -EBUSY;
	}
	if (idx >= MLX4R_MAX_QUEUES) {
		DRV_LOG(ERR, "port %u Rx queue %u: at most %u queues",
			eth_dev->data->port_id, idx, MLX4R_MAX_QUEUES);
		return -EINVAL;
	}
	if (rte_pktmbuf_data_room_size(mp) <= RTE_PKTMBUF_HEADROOM) {
		DRV_LOG(ERR, "port %u Rx queue %u: mbufs of %s have no room",
			eth_dev->data->port_id, idx, mp->name);
		return -EINVAL;
	}
	/* the pool's memory, for the buffers the queue will post */
	ret = mlx4r_mr_register_mempool(port->dev, mp);
	if (ret < 0)
		return ret;
	/* ethdev released any previous queue at this index already */
	mlx4r_rx_queue_release(eth_dev, idx);
	rxq = mlx4r_rxq_get(port, idx, socket);
	if (rxq == NULL) {
		DRV_LOG(ERR, "port %u Rx queue %u: out of memory",
			eth_dev->data->port_id, idx);
		return -ENOMEM;
	}
	/* barred (mlx4r_rxq_get) until the port starts and unbars it */
	rxq->mp = mp;
	rxq->port = port;
	rxq->mr.dev = port->dev;
	rxq->port_id = eth_dev->data->port_id;
	rxq->queue_id = idx;
	rxq->socket = socket;
	rxq->nb_desc = mlx4r_round_desc(nb_desc);
	rxq->offloads = conf->offloads |
			eth_dev->data->dev_conf.rxmode.offloads;
	rxq->deferred = conf->rx_deferred_start;
	port->rxqs[idx] = rxq;
	eth_dev->data->rx_queues[idx] = rxq;
	return 0;
}

/*
 * Give the ring's mbufs back to the pool. Every posted buffer is a raw
 * object of rxq->mp, never handed out (the burst replaces a buffer before
 * it delivers it, mlx4r_rxtx.c): refcnt 1, nb_segs 1, next NULL, the
 * state rte_mempool_put() expects of an mbuf (rte_mbuf_raw_free()), so
 * they go back in bulk without a read of any of them. Mbufs a reset kept
 * for a start that does not take them are counted reclaimed here.
 */
static void
mlx4r_rxq_free_ring(struct mlx4r_rxq *rxq)
{
	void *objs[64];
	uint32_t i, n = 0, nelts = rxq->nb_wqe * rxq->sges;

	if (rxq->elts == NULL)
		return;
	for (i = 0; i < nelts; i++) {
		if (rxq->elts[i] == NULL)
			continue;
		objs[n++] = rxq->elts[i];
		if (n == RTE_DIM(objs)) {
			rte_mempool_put_bulk(rxq->mp, objs, n);
			n = 0;
		}
	}
	if (n != 0)
		rte_mempool_put_bulk(rxq->mp, objs, n);
	rxq->port->rx_kept_freed += rxq->kept;
	rxq->kept = 0;
	rte_free(rxq->elts);
	rxq->elts = NULL;
}

/* Destroy the queue's device objects; its ring (elts) stays. */
static void
mlx4r_rxq_detach(struct mlx4r_rxq *rxq)
{
	if (rxq->wq != NULL) {
		mlx4r_hw_modify_wq(rxq->wq, IBV_WQS_RESET);
		mlx4r_hw_destroy_wq(rxq->wq);
		rxq->wq = NULL;
	}
	if (rxq->cq != NULL) {
		mlx4r_rxq_intr_drain(rxq);
		mlx4r_hw_destroy_cq(rxq->cq);
		rxq->cq = NULL;
	}
	mlx4r_rxq_intr_detach(rxq);
	rxq->hook = (struct mlx4r_hw_hook){ NULL, NULL };
}

void
mlx4r_rxq_stop(struct mlx4r_rxq *rxq)
{
	mlx4r_rxq_detach(rxq);
	mlx4r_rxq_free_ring(rxq);
}

/*
 * Stop for a reset's replay (the queue barred and quiescent, control lock
 * held): the WQ and the CQ are destroyed with the device, the mbufs posted
 * in them stay in the ring, host memory the device no longer knows, for
 * mlx4r_rxq_start() to post into the new WQ (doc/guides/nics/
 * mlx4r_reset.rst, "What a reset keeps"). The frames the device completed
 * and nobody polled are lost with the CQ, as at any stop.
 */
void
mlx4r_rxq_keep(struct mlx4r_rxq *rxq)
{
	uint32_t i, n = 0, nelts = rxq->nb_wqe * rxq->sges;

	mlx4r_rxq_detach(rxq);
	if (rxq->elts == NULL)
		return;
	for (i = 0; i < nelts; i++)
		n += rxq->elts[i] != NULL;
	if (n != nelts) {
		/* a partial ring (a start that failed): not worth keeping */
		mlx4r_rxq_free_ring(rxq);
		return;
	}
	rxq->kept = n;
}

/*
 * Where the device is to write into @p m, a raw mbuf of the queue's pool:
 * its buffer, computed from the mbuf's address when the pool's layout
 * gives it (rte_pktmbuf_init() puts the buffer right after the mbuf and
 * its private area, as rte_mbuf_to_baddr() computes it; detach and free
 * restore it, rte_pktmbuf_detach()), so that posting a ring reads no mbuf.
 */
static inline uintptr_t
mlx4r_rxq_buf(const struct mlx4r_rxq *rxq, struct rte_mbuf *m)
{
	if (likely(rxq->buf_off != 0))
		return (uintptr_t)m + rxq->buf_off;
	return (uintptr_t)m->buf_addr;
}

/* Segments per WQE for the port's MTU; -EINVAL if it needs scatter. */
static int
mlx4r_rxq_segments(struct mlx4r_rxq *rxq, uint32_t *first, uint32_t *other)
{
	struct rte_eth_dev_data *data = rxq->port->eth_dev->data;
	uint32_t room = rte_pktmbuf_data_room_size(rxq->mp);
	uint32_t frame = data->mtu + RTE_ETHER_HDR_LEN + 2 * 4;
	uint32_t n;

	*first = room - RTE_PKTMBUF_HEADROOM;
	*other = room;
	if (frame <= *first)
		return 1;
	if (!(rxq->offloads & RTE_ETH_RX_OFFLOAD_SCATTER)) {
		DRV_LOG(ERR, "port %u Rx queue %u: %u-byte frames do not fit %u-byte buffers; enable RTE_ETH_RX_OFFLOAD_SCATTER",
			data->port_id, rxq->queue_id, frame, *first);
		return -EINVAL;
	}
	n = 1 + (frame - *first + room - 1) / room;
	n = rte_align32pow2(n);
	if (n > MLX4R_MAX_RX_SEGS) {
		DRV_LOG(ERR, "port %u Rx queue %u: %u-byte frames need more than %u segments",
			data->port_id, rxq->queue_id, frame,
			MLX4R_MAX_RX_SEGS);
		return -EINVAL;
	}
	return n;
}

int
mlx4r_rxq_start(struct mlx4r_rxq *rxq)
{
	struct mlx4r_port *port = rxq->port;
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_hw_wq_attr wattr;
	struct mlx4r_hw_channel *ch;
	struct mlx4dv_rwq wv;
	struct mlx4dv_cq cv;
	uint32_t first, other, w, j, nelts, slots, len;
	int ret;

	ret = mlx4r_rxq_segments(rxq, &first, &other);
	if (ret < 0) {
		mlx4r_rxq_free_ring(rxq);
		return ret;
	}
	/* a ring kept by a reset serves only a WQE of the same layout */
	if (rxq->elts != NULL &&
	    ((uint32_t)ret != rxq->sges || first != rxq->seg_first_len ||
	     other != rxq->seg_len))
		mlx4r_rxq_free_ring(rxq);
	rxq->sges = ret;
	rxq->sges_log = rte_log2_u32(rxq->sges);
	rxq->seg_first_len = first;
	rxq->seg_len = other;
	rxq->buf_off = (rte_pktmbuf_priv_flags(rxq->mp) &
			RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) ? 0 :
		       sizeof(struct rte_mbuf) +
		       rte_pktmbuf_priv_size(rxq->mp);
	/* Rx interrupts: the CQ on a completion channel (mlx4r_intr.c) */
	ret = mlx4r_rxq_intr_attach(rxq, &ch);
	if (ret < 0)
		goto error;
	/* the rings on the queue's node (the verbs backend, mlx4r_hw.h) */
	dev->ctx->buf_socket = rxq->socket;
	ret = mlx4r_hw_create_cq_ch(dev->ctx, rxq->nb_desc, ch, &rxq->cq);
	if (ret < 0) {
		dev->ctx->buf_socket = SOCKET_ID_ANY;
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: cannot create CQ: %s",
			MLX4R_PORT_ARGS(port), rxq->queue_id,
			strerror(-ret));
		goto error;
	}
	memset(&wattr, 0, sizeof(wattr));
	wattr.cq = rxq->cq;
	wattr.max_wr = rxq->nb_desc;
	wattr.max_sge = rxq->sges;
	/*
	 * RTE_ETH_RX_OFFLOAD_KEEP_CRC: the device scatters the FCS after
	 * the frame and counts it in the CQE's byte count, so the mbuf
	 * holds it (upstream net_mlx4 asks for it the same way, mlx4_rxq.c
	 * mlx4_rxq_attach, but then subtracts it from the length).
	 */
	if (rxq->offloads & RTE_ETH_RX_OFFLOAD_KEEP_CRC)
		wattr.create_flags = IBV_WQ_FLAGS_SCATTER_FCS;
	ret = mlx4r_hw_create_wq(dev->pd, &wattr, &rxq->wq);
	dev->ctx->buf_socket = SOCKET_ID_ANY;
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: cannot create WQ: %s",
			MLX4R_PORT_ARGS(port), rxq->queue_id,
			strerror(-ret));
		goto error;
	}
	ret = mlx4r_hw_wq_view(rxq->wq, &wv, &rxq->hook);
	if (ret == 0)
		ret = mlx4r_hw_cq_view(rxq->cq, &cv);
	if (ret < 0)
		goto error;
	slots = (1u << wv.rq.wqe_shift) / sizeof(struct mlx4_wqe_data_seg);
	if (!rte_is_power_of_2(wv.rq.wqe_cnt) || slots < rxq->sges ||
	    !rte_is_power_of_2(cv.cqe_cnt) ||
	    (cv.cqe_size != 32 && cv.cqe_size != 64)) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: unexpected geometry",
			MLX4R_PORT_ARGS(port), rxq->queue_id);
		ret = -EINVAL;
		goto error;
	}
	if (rxq->elts != NULL && rxq->nb_wqe != wv.rq.wqe_cnt)
		mlx4r_rxq_free_ring(rxq);
	rxq->nb_wqe = wv.rq.wqe_cnt;
	rxq->wqe_mask = wv.rq.wqe_cnt - 1;
	rxq->wqe_shift = wv.rq.wqe_shift;
	rxq->wqes = (uint8_t *)wv.buf.buf + wv.rq.offset;
	rxq->rq_db = (volatile uint32_t *)wv.rdb;
	rxq->cqes = cv.buf.buf;
	rxq->cqe_cnt = cv.cqe_cnt;
	rxq->cqe_mask = cv.cqe_cnt - 1;
	rxq->cqe_shift = rte_log2_u32(cv.cqe_size);
	rxq->cqe_off = cv.cqe_size - sizeof(struct mlx4_cqe);
	rxq->cq_db = (volatile uint32_t *)cv.set_ci_db;
	mlx4r_rxq_intr_view(rxq, &cv);
	rxq->rq_ci = 0;
	rxq->cq_ci = 0;
	rxq->fault = 0; /* a new WQ: no error to repair */
	rxq->seg1 = rxq->sges == 1 &&
		    rxq->wqe_shift == rte_log2_u32(sizeof(struct mlx4_wqe_data_seg));
	rxq->csum = (rxq->offloads & RTE_ETH_RX_OFFLOAD_CHECKSUM) != 0;
	rxq->l2tun = rxq->csum && rxq->port->l2tun_cap;
	nelts = rxq->nb_wqe * rxq->sges;
	if (rxq->elts == NULL) {
		rxq->elts = rte_zmalloc_socket("mlx4r_rxq_elts",
					       nelts * sizeof(*rxq->elts),
					       RTE_CACHE_LINE_SIZE,
					       rxq->socket);
		if (rxq->elts == NULL) {
			ret = -ENOMEM;
			goto error;
		}
		/*
		 * Raw objects, as the burst refills (mlx4r_rxtx.c): the
		 * burst writes what a received mbuf needs
		 * (mlx4r_rx_rearm()), so none is read or written here.
		 */
		if (rte_mempool_get_bulk(rxq->mp, (void **)rxq->elts,
					 nelts) != 0) {
			DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: %u mbufs wanted from %s, not available",
				MLX4R_PORT_ARGS(port), rxq->queue_id, nelts,
				rxq->mp->name);
			memset(rxq->elts, 0, nelts * sizeof(*rxq->elts));
			ret = -ENOMEM;
			goto error;
		}
	}
	/*
	 * Every descriptor written whole, for the new WQ: a kept ring's
	 * buffers get the new context's lkeys (mlx4r_mr_rekey()), their
	 * addresses and byte counts again; nothing of the old WQ is read.
	 */
	memset(&rxq->mr.e, 0, sizeof(rxq->mr.e));
	mlx4r_mr_cache_sync(&rxq->mr);
	len = rte_pktmbuf_data_room_size(rxq->mp);
	for (w = 0; w < rxq->nb_wqe; w++) {
		struct mlx4_wqe_data_seg *d = (struct mlx4_wqe_data_seg *)
			(rxq->wqes + ((size_t)w << rxq->wqe_shift));

		for (j = 0; j < slots; j++) {
			struct rte_mbuf *m;
			uintptr_t buf;
			uint32_t off;

			if (j >= rxq->sges) {
				d[j].byte_count = 0;
				d[j].lkey = rte_cpu_to_be_32(MLX4_INVALID_LKEY);
				d[j].addr = 0;
				continue;
			}
			m = rxq->elts[(w << rxq->sges_log) + j];
			buf = mlx4r_rxq_buf(rxq, m);
			off = j == 0 ? RTE_PKTMBUF_HEADROOM : 0;
			d[j].byte_count = rte_cpu_to_be_32(j == 0 ? first :
							   other);
			d[j].lkey = mlx4r_mr_lookup(&rxq->mr, buf,
						    rxq->buf_off != 0 ? len :
						    m->buf_len);
			d[j].addr = rte_cpu_to_be_64(buf + off);
			if (d[j].lkey == MLX4R_NO_LKEY) {
				ret = -EFAULT;
				goto error;
			}
		}
	}
	ret = mlx4r_hw_modify_wq(rxq->wq, IBV_WQS_RDY);
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: WQ to ready: %s",
			MLX4R_PORT_ARGS(port), rxq->queue_id,
			strerror(-ret));
		goto error;
	}
	rte_io_wmb();
	*rxq->rq_db = rte_cpu_to_be_32(rxq->nb_wqe & 0xffff);
	/* posted again: counted kept, no longer the ring's to free */
	port->rx_kept_posted += rxq->kept;
	rxq->kept = 0;
	/* stays barred: the caller unbars (mlx4r_reset.c) */
	return 0;
error:
	mlx4r_rxq_stop(rxq);
	return ret;
}
