/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fast path: Rx and Tx bursts in the real mlx4 formats of rdma-core's
 * mlx4dv.h, the same bytes on hardware and on the emulated device.
 *
 * Tx: a frame is one WQE of ceil((1 + segments) / 4) 64-byte TXBBs: a
 * control segment then one data segment per mbuf segment (an empty one as
 * 0x80000000), written modulo the SQ size, the owner word last after a
 * write barrier. The control segment always says SOLICIT (no ICRC on raw
 * Ethernet), clears the VLAN insertion bytes and, on a VF, carries the
 * destination MAC. At most all TXBBs but the prefetch headroom are
 * outstanding. A completion is requested every comp_thresh = min(64,
 * usable/4) TXBBs; sig[] remembers the producer index after each requesting
 * WQE, so that each CQE releases everything up to it: mbufs are freed in
 * bulk and every TXBB of theirs is stamped invalid (0x7fffffff with the
 * owner bit of the pass it was used in). One send doorbell (and the
 * backend's hook) per burst.
 *
 * Rx: every WQE of the WQ always holds 'sges' posted mbufs (the first with
 * headroom). A CQE gives the frame length; the segments it filled are
 * chained into the returned mbuf and replaced by mbufs allocated in bulk
 * for the whole burst; when the pool is empty the frames of the burst are
 * dropped (rx_nombuf) and their buffers stay posted. One RQ doorbell record
 * and one CQ doorbell record update per burst. The CQE's
 * immed_rss_invalid is the hash QP's Toeplitz hash (mlx4_en en_rx.c
 * mlx4_en_process_rx_cq reads it so): it goes to mbuf->hash.rss, flagged
 * RTE_MBUF_F_RX_RSS_HASH while the port hashes (RSS mode).
 *
 * Both bursts start with the quiescence marker (MLX4R_BURST_ENTER, the
 * lcore's side of mlx4r_quiesce.c): no atomic read-modify-write, no
 * fence; the barriers here are the ones the device format needs
 * (compiler barriers on x86 except the one before the send doorbell).
 *
 * Errors: an error CQE means the QP or WQ is in error (every completion
 * in error moves a work queue to the error state, and mlx4_ib delivers no
 * WQ event: Linux qp.c mlx4_ib_wq_event()). The burst that meets one
 * leaves it unconsumed, bars its own queue and asks the control thread to
 * repair it (mlx4r_queue_fault(), mlx4r_repair.c); the queue refuses
 * bursts until then, the port's other queues go on.
 */

#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_io.h>
#include <rte_mbuf.h>

#include "mlx4r.h"
#include "mlx4r_core.h"

/* Most frames handled by one Rx burst call. */
#define MLX4R_RX_BURST_MAX 64
/* Mbufs freed by one rte_pktmbuf_free_bulk() call on Tx completion. */
#define MLX4R_TX_FREE_BULK 64

/*
 * The lcore's side of the quiescence handshake; the control thread's side
 * is mlx4r_port_bar(), mlx4r_process_fence() and mlx4r_port_drain_wait()
 * (and mlx4r_port_unbar() the other way), in mlx4r_quiesce.c, whose file
 * comment holds the proof. Per burst: a relaxed store, a compiler-only
 * fence, an acquire load and a release store: on x86 three plain moves.
 *
 * - in_burst = 1, relaxed: one writer (this lcore), read by
 *   mlx4r_port_drain_wait(); an atomic, so no C11 data race.
 * - __atomic_signal_fence(SEQ_CST) keeps the compiler from moving that
 *   store below the load of barred, and emits nothing. The CPU may still
 *   let the load pass the store (store buffer): that is what the control
 *   side's membarrier() rules out, by running a full barrier on this CPU
 *   between any two of them that straddle the bar.
 * - barred, acquire: no access to the queue that follows is hoisted
 *   above the check, by the compiler or the CPU (a plain load on x86), so
 *   a burst that saw 0 reads the queue as mlx4r_port_unbar() left it.
 * - in_burst = 0, release: whoever reads 0 (acquire, drain_wait) also
 *   sees every access the burst made.
 */
#define MLX4R_BURST_ENTER(q) do { \
	__atomic_store_n(&(q)->in_burst, 1, __ATOMIC_RELAXED); \
	__atomic_signal_fence(__ATOMIC_SEQ_CST); \
} while (0)

/* After MLX4R_BURST_ENTER: did the control path bar the queue? */
#define MLX4R_BURST_BARRED(q) \
	unlikely(__atomic_load_n(&(q)->barred, __ATOMIC_ACQUIRE))

/*
 * Count what a barred queue refused: relaxed atomics (no RMW; the control
 * path's xstats reset stores 0 the same way).
 */
#define MLX4R_BURST_REFUSED(q, k) \
	__atomic_store_n(&(q)->refused, \
			 __atomic_load_n(&(q)->refused, __ATOMIC_RELAXED) + (k), \
			 __ATOMIC_RELAXED)

/* Leave a burst: whoever sees 0 also sees every access the burst made. */
#define MLX4R_BURST_LEAVE(q) \
	__atomic_store_n(&(q)->in_burst, 0, __ATOMIC_RELEASE)

/*
 * Is @p q a queue structure of ours, tagged @p tag? Checked before the
 * first store of a burst. What ethdev's rte_eth_rx/tx_burst() may hand a
 * burst besides a live queue (DPDK 22.11, lib/ethdev):
 * - NULL: rxq.data[i] of a queue never set up, or released
 *   (eth_dev_rxq_release() stores NULL);
 * - its dummy queue object: eth_dev_fp_ops_reset() (ethdev_private.c),
 *   run at rte_eth_dev_stop() and before the first start, points
 *   rxq.data/txq.data at dummy_queues_array[port], whose entries all point
 *   at per_port_queues[port], a struct dummy_queue of two bools
 *   (rx_warn_once, tx_warn_once): two bytes. rte_eth_rx_burst() loads the
 *   burst function and the queue array without synchronisation, and
 *   eth_dev_fp_ops_reset() / eth_dev_fp_ops_setup() write them one after
 *   the other, so an lcore polling across a stop or a start can call this
 *   burst with the dummy object;
 * - a queue structure released since: type-stable (mlx4r.h), so still
 *   tagged, and barred.
 * The check reads one byte at offset 0 (within the dummy's two), through
 * a character type so that nothing is assumed about the alignment or type
 * of what was handed, with a relaxed atomic load (ethdev's dummy burst
 * writes its bools from any lcore). A dummy's first byte is a bool, 0 or
 * 1; a tag is neither.
 */
#define MLX4R_QUEUE_IS(q, t) \
	likely((q) != NULL && \
	       __atomic_load_n((const uint8_t *)(q), __ATOMIC_RELAXED) == (t))

/*
 * A queue met an error CQE (an lcore, inside a burst): report it once,
 * bar the queue (its later bursts refuse it; the lcore's store of barred
 * is the one mlx4r_quiesce.c "A queue in error" orders before the
 * repair's unbar), wake the control thread. The request takes a mutex:
 * the error path only.
 */
static __rte_noinline __rte_cold void
mlx4r_queue_fault(uint8_t *fault, uint8_t *barred, struct mlx4r_port *port)
{
	struct mlx4r_dev *dev = port->dev;

	if (__atomic_load_n(fault, __ATOMIC_RELAXED))
		return;
	/*
	 * Read by the control thread after it took the request, which the
	 * request's mutex orders after this store.
	 */
	__atomic_store_n(fault, 1, __ATOMIC_RELAXED);
	__atomic_store_n(barred, 1, __ATOMIC_RELAXED);
	dev->events->request(dev, MLX4R_REQ_REPAIR);
}

static __rte_always_inline struct mlx4_cqe *
mlx4r_cqe_get(uint8_t *cqes, uint32_t ci, uint32_t mask, uint32_t shift,
	      uint32_t off)
{
	return (struct mlx4_cqe *)(cqes + ((size_t)(ci & mask) << shift) + off);
}

/* A CQE belongs to software when its owner bit is the wrap parity of ci. */
static __rte_always_inline int
mlx4r_cqe_sw_owned(const struct mlx4_cqe *cqe, uint32_t ci, uint32_t cnt)
{
	return !(cqe->owner_sr_opcode & MLX4_CQE_OWNER_MASK) == !(ci & cnt);
}

static __rte_always_inline uint32_t
mlx4r_rx_ptype(uint32_t st)
{
	uint32_t pt = RTE_PTYPE_L2_ETHER;

	if (st & MLX4R_CQE_STATUS_IPV4)
		pt |= (st & MLX4R_CQE_STATUS_IPV4OPT) ?
		      RTE_PTYPE_L3_IPV4_EXT : RTE_PTYPE_L3_IPV4;
	else if (st & MLX4R_CQE_STATUS_IPV6)
		pt |= RTE_PTYPE_L3_IPV6_EXT_UNKNOWN;
	else
		return pt;
	if (st & (MLX4R_CQE_STATUS_IPV4F | MLX4R_CQE_STATUS_IPV6F))
		pt |= RTE_PTYPE_L4_FRAG;
	else if (st & MLX4R_CQE_STATUS_TCP)
		pt |= RTE_PTYPE_L4_TCP;
	else if (st & MLX4R_CQE_STATUS_UDP)
		pt |= RTE_PTYPE_L4_UDP;
	else
		pt |= RTE_PTYPE_L4_NONFRAG;
	return pt;
}

/*
 * Checksum flags from what the CQE says. A ConnectX-3 says "good" two
 * ways: the status bit MLX4_CQE_STATUS_L4_CSUM (what upstream net_mlx4
 * reads) or the checksum field at 0xffff with IPOK on a TCP/UDP frame
 * (what Linux mlx4_en reads, en_rx.c mlx4_en_process_rx_cq; the burst
 * folds that into the status bit). It never says "bad": a clear bit means
 * the device did not find the checksum right, not that it found it wrong
 * (mlx4_en then falls back to CHECKSUM_COMPLETE or NONE, upstream reports
 * nothing). So: GOOD or UNKNOWN (0), never BAD.
 */
static __rte_always_inline uint64_t
mlx4r_rx_csum(uint32_t st, uint32_t pt)
{
	uint64_t f = 0;

	if (((pt & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV4 ||
	     (pt & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV4_EXT) &&
	    (st & MLX4R_CQE_STATUS_IP_HDR_CSUM_OK))
		f |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	if (((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP ||
	     (pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP) &&
	    (st & MLX4R_CQE_STATUS_TCP_UDP_CSUM_OK))
		f |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return f;
}

/* A range missing from the cache: the device's table, then the cache. */
static __rte_noinline uint32_t
mlx4r_mr_miss(struct mlx4r_mr_cache *mc, uintptr_t addr)
{
	struct mlx4r_mr_range r;

	if (mlx4r_mr_find(mc->dev, addr, &r) < 0)
		return MLX4R_NO_LKEY;
	mc->e[mc->next++ % MLX4R_MR_CACHE] = r;
	return r.lkey_be;
}

/* Lkey of the registered range holding addr, big-endian; NO_LKEY if none. */
static __rte_always_inline uint32_t
mlx4r_mr_lkey(struct mlx4r_mr_cache *mc, uintptr_t addr)
{
	unsigned int i;

	for (i = 0; i < MLX4R_MR_CACHE; i++) {
		const struct mlx4r_mr_range *c = &mc->e[i];

		if (addr >= c->start && addr < c->end)
			return c->lkey_be;
	}
	return mlx4r_mr_miss(mc, addr);
}

uint32_t
mlx4r_mr_lookup(struct mlx4r_mr_cache *mc, uintptr_t addr)
{
	return mlx4r_mr_lkey(mc, addr);
}

/* Point data segment j of Rx WQE w at mbuf m. */
static __rte_always_inline void
mlx4r_rx_post_seg(struct mlx4r_rxq *rxq, uint32_t w, uint32_t j,
		  struct rte_mbuf *m)
{
	struct mlx4_wqe_data_seg *d = (struct mlx4_wqe_data_seg *)
		(rxq->wqes + ((size_t)w << rxq->wqe_shift)) + j;
	uint32_t off = j == 0 ? RTE_PKTMBUF_HEADROOM : 0;

	m->data_off = off;
	/* the pool was registered at set-up: the lookup cannot miss */
	d->lkey = mlx4r_mr_lkey(&rxq->mr, (uintptr_t)m->buf_addr);
	d->addr = rte_cpu_to_be_64((uintptr_t)m->buf_addr + off);
}

uint16_t
mlx4r_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mlx4r_rxq *rxq = q;
	struct rte_mbuf *repl[MLX4R_RX_BURST_MAX * MLX4R_MAX_RX_SEGS];
	uint32_t len[MLX4R_RX_BURST_MAX];
	uint32_t status[MLX4R_RX_BURST_MAX];
	uint32_t hash[MLX4R_RX_BURST_MAX];
	uint8_t nseg[MLX4R_RX_BURST_MAX];
	uint32_t nb, i, j, k, ci, need = 0, got = 0;
	uint64_t bytes = 0, ol;
	bool refill, csum, rss;

	if (!MLX4R_QUEUE_IS(q, MLX4R_RXQ_TAG))
		return 0;
	MLX4R_BURST_ENTER(rxq);
	if (MLX4R_BURST_BARRED(rxq)) {
		MLX4R_BURST_REFUSED(rxq, 1);
		MLX4R_BURST_LEAVE(rxq);
		return 0;
	}
	/*
	 * Queue state is read only past the bar check: a reset may rebuild
	 * the queue (indexes back to 0) between a stale read and the check.
	 */
	ci = rxq->cq_ci;
	csum = rxq->csum;
	rss = rxq->rss_hash;
	mlx4r_hw_hook_call(&rxq->hook);
	n = RTE_MIN(n, (uint16_t)MLX4R_RX_BURST_MAX);
	/* collect the completed WQEs, in order */
	for (nb = 0; nb < n; nb++) {
		struct mlx4_cqe *cqe = mlx4r_cqe_get(rxq->cqes, ci,
						     rxq->cqe_mask,
						     rxq->cqe_shift,
						     rxq->cqe_off);
		uint32_t l;

		if (!mlx4r_cqe_sw_owned(cqe, ci, rxq->cqe_cnt))
			break;
		/* read the body only after the owner byte said it is ours */
		rte_io_rmb();
		if (unlikely((cqe->owner_sr_opcode & MLX4_CQE_OPCODE_MASK) ==
			     MLX4_CQE_OPCODE_ERROR)) {
			/* the WQ is in error: left to its repair, with this */
			mlx4r_queue_fault(&rxq->fault, &rxq->barred,
					  rxq->port);
			break;
		}
		ci++;
		l = rte_be_to_cpu_32(cqe->byte_cnt);
		len[nb] = l;
		status[nb] = rte_be_to_cpu_32(cqe->status);
		/* IPOK and the checksum field at 0xffff: L4 good too */
		if (csum && (status[nb] & MLX4R_CQE_STATUS_IP_HDR_CSUM_OK) &&
		    cqe->checksum == RTE_BE16(0xffff))
			status[nb] |= MLX4R_CQE_STATUS_TCP_UDP_CSUM_OK;
		/* the hash QP's Toeplitz hash, as mlx4_en reads it */
		if (rss)
			hash[nb] = cqe->immed_rss_invalid;
		if (l <= rxq->seg_first_len)
			nseg[nb] = 1;
		else
			nseg[nb] = 1 + (l - rxq->seg_first_len +
					rxq->seg_len - 1) / rxq->seg_len;
		need += nseg[nb];
	}
	if (nb == 0)
		goto out;
	refill = rte_pktmbuf_alloc_bulk(rxq->mp, repl, need) == 0;
	ol = rss ? RTE_MBUF_F_RX_RSS_HASH : 0;
	k = 0;
	for (i = 0; i < nb; i++) {
		uint32_t w = rxq->rq_ci & rxq->wqe_mask;
		struct rte_mbuf **e = &rxq->elts[w << rxq->sges_log];
		struct rte_mbuf *head, *prev;
		uint32_t left, pt;

		rxq->rq_ci++;
		if (!refill) {
			rxq->rx_nombuf++;
			continue;
		}
		head = e[0];
		left = len[i];
		prev = NULL;
		for (j = 0; j < nseg[i]; j++) {
			struct rte_mbuf *s = e[j];
			uint32_t cap = j == 0 ? rxq->seg_first_len :
					       rxq->seg_len;

			s->data_len = RTE_MIN(left, cap);
			left -= s->data_len;
			if (prev != NULL)
				prev->next = s;
			prev = s;
			e[j] = repl[k++];
			mlx4r_rx_post_seg(rxq, w, j, e[j]);
		}
		prev->next = NULL;
		head->nb_segs = nseg[i];
		head->pkt_len = len[i];
		head->port = rxq->port_id;
		pt = mlx4r_rx_ptype(status[i]);
		head->packet_type = pt;
		if (rss)
			head->hash.rss = rte_be_to_cpu_32(hash[i]);
		head->ol_flags = ol | (csum ? mlx4r_rx_csum(status[i], pt) :
				       0);
		bytes += len[i];
		pkts[got++] = head;
	}
	/* the WQEs are rewritten before the device may see them again */
	rte_io_wmb();
	*rxq->rq_db = rte_cpu_to_be_32((rxq->rq_ci + rxq->wqe_mask + 1) &
				       0xffff);
	*rxq->cq_db = rte_cpu_to_be_32(ci & MLX4R_CQ_DB_CI_MASK);
	rxq->cq_ci = ci;
	rxq->ipackets += got;
	rxq->ibytes += bytes;
out:
	MLX4R_BURST_LEAVE(rxq);
	return got;
}

/* Owner bit of a WQE starting at TXBB idx: the wrap parity of idx. */
static __rte_always_inline uint32_t
mlx4r_txbb_owner(const struct mlx4r_txq *txq, uint32_t idx)
{
	return (idx & txq->txbb_cnt) ? MLX4R_WQE_OWNER_BIT : 0;
}

/* The 16-byte unit u (free-running) of the SQ, modulo its size. */
static __rte_always_inline struct mlx4_wqe_data_seg *
mlx4r_tx_dseg(const struct mlx4r_txq *txq, uint32_t u)
{
	return (struct mlx4_wqe_data_seg *)
		(txq->sq + ((size_t)(u & (txq->txbb_cnt * 4 - 1)) << 4));
}

/* Stamp a freed TXBB invalid for the next round of the ring. */
static __rte_always_inline void
mlx4r_txbb_stamp(struct mlx4r_txq *txq, uint32_t idx)
{
	uint32_t *w = (uint32_t *)(txq->sq + ((size_t)(idx &
			(txq->txbb_cnt - 1)) << MLX4R_TXBB_SHIFT));

	*w = rte_cpu_to_be_32(MLX4R_TXBB_STAMP | mlx4r_txbb_owner(txq, idx));
}

/*
 * Poll the Tx CQ; free what the device is done with.
 * @return 0, or -EIO: an error CQE, left for the queue's repair, which
 * the queue is barred for (mlx4r_queue_fault()).
 */
int
mlx4r_txq_complete(struct mlx4r_txq *txq)
{
	struct rte_mbuf *fr[MLX4R_TX_FREE_BULK];
	uint32_t ci = txq->cq_ci;
	uint32_t tail = txq->sq_ci;
	uint32_t idx, nfr = 0;
	int ret = 0;

	for (;;) {
		struct mlx4_cqe *cqe = mlx4r_cqe_get(txq->cqes, ci,
						     txq->cqe_mask,
						     txq->cqe_shift,
						     txq->cqe_off);

		if (!mlx4r_cqe_sw_owned(cqe, ci, txq->cqe_cnt))
			break;
		rte_io_rmb();
		if (unlikely((cqe->owner_sr_opcode & MLX4_CQE_OPCODE_MASK) ==
			     MLX4_CQE_OPCODE_ERROR)) {
			/*
			 * The QP is in error: what completed before is
			 * freed below, the rest is left to the repair.
			 */
			mlx4r_queue_fault(&txq->fault, &txq->barred,
					  txq->port);
			ret = -EIO;
			break;
		}
		ci++;
		if (txq->sig_ci != txq->sig_pi)
			tail = txq->sig[txq->sig_ci++ & txq->sig_mask];
	}
	if (ci == txq->cq_ci)
		return ret;
	*txq->cq_db = rte_cpu_to_be_32(ci & MLX4R_CQ_DB_CI_MASK);
	txq->cq_ci = ci;
	for (idx = txq->sq_ci; idx != tail; idx++) {
		struct rte_mbuf **e = &txq->elts[idx & (txq->txbb_cnt - 1)];

		if (*e != NULL) {
			fr[nfr++] = *e;
			*e = NULL;
			if (nfr == RTE_DIM(fr)) {
				rte_pktmbuf_free_bulk(fr, nfr);
				nfr = 0;
			}
		}
		mlx4r_txbb_stamp(txq, idx);
	}
	txq->sq_ci = tail;
	if (nfr != 0)
		rte_pktmbuf_free_bulk(fr, nfr);
	return ret;
}

uint16_t
mlx4r_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mlx4r_txq *txq = q;
	uint32_t lkeys[MLX4R_MAX_TX_SEGS];
	uint32_t mask, pi;
	uint64_t bytes = 0;
	uint16_t i, sent = 0, posted = 0;

	if (!MLX4R_QUEUE_IS(q, MLX4R_TXQ_TAG))
		return 0;
	MLX4R_BURST_ENTER(txq);
	if (MLX4R_BURST_BARRED(txq)) {
		MLX4R_BURST_REFUSED(txq, n);
		MLX4R_BURST_LEAVE(txq);
		return 0;
	}
	/* queue state only past the bar check (see mlx4r_rx_burst) */
	mask = txq->txbb_cnt - 1;
	pi = txq->sq_pi;
	if (unlikely(mlx4r_txq_complete(txq) != 0)) {
		/* the QP is in error, the queue barred until its repair */
		MLX4R_BURST_REFUSED(txq, n);
		MLX4R_BURST_LEAVE(txq);
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *s;
		struct mlx4_wqe_ctrl_seg *ctrl;
		union {
			uint32_t flags;
			uint16_t flags16[2];
		} srcrb;
		uint32_t ds = 1 + m->nb_segs;
		uint32_t txbbs = (ds + 3) / 4;
		uint32_t flags = txq->srcrb;
		uint32_t j, u;

		if (unlikely(m->nb_segs > MLX4R_MAX_TX_SEGS)) {
			txq->oerrors++;
			rte_pktmbuf_free(m);
			sent++;
			continue;
		}
		if (pi + txbbs - txq->sq_ci > txq->txbb_max)
			break; /* ring full: the caller keeps the rest */
		for (s = m, j = 0; s != NULL; s = s->next, j++) {
			lkeys[j] = mlx4r_mr_lkey(&txq->mr,
				rte_pktmbuf_mtod(s, uintptr_t));
			if (unlikely(lkeys[j] == MLX4R_NO_LKEY))
				break;
		}
		if (unlikely(s != NULL)) {
			/* not registered memory: the device cannot read it */
			txq->mr_miss++;
			txq->oerrors++;
			rte_pktmbuf_free(m);
			sent++;
			continue;
		}
		/* data segments, addresses first, byte counts last */
		for (s = m, j = 0, u = pi * 4 + 1; s != NULL;
		     s = s->next, j++, u++) {
			struct mlx4_wqe_data_seg *d = mlx4r_tx_dseg(txq, u);

			d->lkey = lkeys[j];
			d->addr = rte_cpu_to_be_64(
				rte_pktmbuf_mtod(s, uintptr_t));
		}
		rte_io_wmb();
		/*
		 * The device reads a byte count of 0 as 2 GB: an empty
		 * segment is an inline segment of no data, 0x80000000
		 * (libmlx4 qp.c set_data_seg, upstream mlx4_rxtx.c).
		 */
		for (s = m, u = pi * 4 + 1; s != NULL; s = s->next, u++)
			mlx4r_tx_dseg(txq, u)->byte_count = rte_cpu_to_be_32(
				s->data_len != 0 ? s->data_len :
				MLX4_INLINE_SEG);
		if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM)
			flags |= MLX4_WQE_CTRL_IP_HDR_CSUM;
		if ((m->ol_flags & RTE_MBUF_F_TX_L4_MASK) ==
		    RTE_MBUF_F_TX_TCP_CKSUM ||
		    (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) ==
		    RTE_MBUF_F_TX_UDP_CKSUM)
			flags |= MLX4_WQE_CTRL_TCP_UDP_CSUM;
		txq->comp_pending += txbbs;
		if (txq->comp_pending >= txq->comp_thresh) {
			flags |= MLX4_WQE_CTRL_CQ_UPDATE;
			txq->comp_pending = 0;
			txq->sig[txq->sig_pi++ & txq->sig_mask] = pi + txbbs;
		}
		ctrl = (struct mlx4_wqe_ctrl_seg *)
			(txq->sq + ((size_t)(pi & mask) << MLX4R_TXBB_SHIFT));
		/*
		 * The whole second word: no VLAN to insert (vlan_tag and
		 * ins_vlan, which mlx4_en en_tx.c mlx4_en_xmit writes in
		 * every WQE, may hold an older WQE's lkey bytes), no fence,
		 * the DS count.
		 */
		ctrl->bf_qpn = rte_cpu_to_be_32(ds);
		srcrb.flags = rte_cpu_to_be_32(flags);
		if (unlikely(txq->lb)) {
			/*
			 * The destination MAC, for the eSwitch: its first two
			 * bytes in the high half of srcrb_flags, the other
			 * four in imm (upstream mlx4_rxtx.c mlx4_tx_burst).
			 */
			const uint8_t *dmac = rte_pktmbuf_mtod(m, uint8_t *);

			memcpy(&srcrb.flags16[0], dmac, 2);
			memcpy(&ctrl->imm, dmac + 2, 4);
		} else {
			ctrl->imm = 0;
		}
		ctrl->srcrb_flags = srcrb.flags;
		txq->elts[pi & mask] = m;
		/* the owner word hands the WQE over: write it last */
		rte_io_wmb();
		ctrl->owner_opcode = rte_cpu_to_be_32(
			MLX4_OPCODE_SEND | mlx4r_txbb_owner(txq, pi));
		pi += txbbs;
		bytes += m->pkt_len;
		posted++;
		sent++;
	}
	if (pi != txq->sq_pi) {
		txq->opackets += posted;
		txq->obytes += bytes;
		txq->sq_pi = pi;
		/* WQEs in memory before the doorbell reaches the device */
		rte_wmb();
		rte_write32_relaxed(txq->doorbell_qpn, txq->sdb);
	}
	mlx4r_hw_hook_call(&txq->hook);
	MLX4R_BURST_LEAVE(txq);
	return sent;
}

/*
 * Descriptor status and Rx queue count (rte_eth_rx/tx_descriptor_status,
 * rte_eth_rx_queue_count). Upstream net_mlx4 has none of them. They read
 * the ring of a queue, as a burst does, so they take the burst's guard
 * (tag, in_burst marker, barred): a barred queue, whose device memory a
 * reset may free, is only answered UNAVAIL (0 frames). On the emulated
 * device the engine advances at the bursts' hooks (a frame is received,
 * a WQE completed, inside a burst), on a card on its own.
 */

/* Frames the device completed into @p rxq not yet polled, at most @p max. */
static uint32_t
mlx4r_rxq_done(const struct mlx4r_rxq *rxq, uint32_t max)
{
	uint32_t n;

	for (n = 0; n < max; n++) {
		uint32_t ci = rxq->cq_ci + n;

		if (!mlx4r_cqe_sw_owned(mlx4r_cqe_get(rxq->cqes, ci,
				rxq->cqe_mask, rxq->cqe_shift, rxq->cqe_off),
				ci, rxq->cqe_cnt))
			break;
	}
	return n;
}

/*
 * Every WQE of an Rx queue is always posted (a burst reposts what it
 * takes): descriptor rq_ci + offset is DONE when its frame's CQE is
 * software's (a WQ completes in order into its own CQ), AVAIL otherwise.
 */
int
mlx4r_rx_descriptor_status(void *q, uint16_t offset)
{
	struct mlx4r_rxq *rxq = q;
	int ret;

	if (!MLX4R_QUEUE_IS(q, MLX4R_RXQ_TAG))
		return -ENODEV;
	MLX4R_BURST_ENTER(rxq);
	if (MLX4R_BURST_BARRED(rxq))
		ret = RTE_ETH_RX_DESC_UNAVAIL;
	else if (offset >= RTE_MIN(rxq->nb_wqe, rxq->cqe_cnt))
		ret = -EINVAL;
	else
		ret = mlx4r_rxq_done(rxq, offset + 1) > offset ?
		      RTE_ETH_RX_DESC_DONE : RTE_ETH_RX_DESC_AVAIL;
	MLX4R_BURST_LEAVE(rxq);
	return ret;
}

uint32_t
mlx4r_rx_queue_count(void *q)
{
	struct mlx4r_rxq *rxq = q;
	uint32_t n = 0;

	if (!MLX4R_QUEUE_IS(q, MLX4R_RXQ_TAG))
		return 0;
	MLX4R_BURST_ENTER(rxq);
	if (!MLX4R_BURST_BARRED(rxq))
		n = mlx4r_rxq_done(rxq, RTE_MIN(rxq->nb_wqe, rxq->cqe_cnt));
	MLX4R_BURST_LEAVE(rxq);
	return n;
}

/*
 * Tx descriptors are TXBBs (a frame of up to 3 segments is one): the
 * slot sq_pi + offset last held the TXBB of index u = that - txbb_cnt,
 * outstanding while sq_ci <= u. It is DONE when reaped, or when a CQE not
 * yet reaped completes it (each CQE answers the next completion request,
 * sig[] holds the producer index after its WQE); FULL otherwise.
 */
int
mlx4r_tx_descriptor_status(void *q, uint16_t offset)
{
	struct mlx4r_txq *txq = q;
	uint32_t u, ci, sig, k;
	int ret = RTE_ETH_TX_DESC_FULL;

	if (!MLX4R_QUEUE_IS(q, MLX4R_TXQ_TAG))
		return -ENODEV;
	MLX4R_BURST_ENTER(txq);
	if (MLX4R_BURST_BARRED(txq)) {
		ret = RTE_ETH_TX_DESC_UNAVAIL;
		goto out;
	}
	if (offset >= txq->txbb_max) {
		ret = -EINVAL;
		goto out;
	}
	u = txq->sq_pi + offset - txq->txbb_cnt;
	if ((int32_t)(u - txq->sq_ci) < 0) {
		ret = RTE_ETH_TX_DESC_DONE;
		goto out;
	}
	for (k = 0, ci = txq->cq_ci, sig = txq->sig_ci;
	     k < txq->cqe_cnt && sig != txq->sig_pi; k++, ci++, sig++) {
		const struct mlx4_cqe *cqe = mlx4r_cqe_get(txq->cqes, ci,
			txq->cqe_mask, txq->cqe_shift, txq->cqe_off);

		if (!mlx4r_cqe_sw_owned(cqe, ci, txq->cqe_cnt))
			break;
		rte_io_rmb(); /* the opcode after the owner bit */
		if ((cqe->owner_sr_opcode & MLX4_CQE_OPCODE_MASK) ==
		    MLX4_CQE_OPCODE_ERROR)
			break;
		if ((int32_t)(u - txq->sig[sig & txq->sig_mask]) < 0) {
			ret = RTE_ETH_TX_DESC_DONE;
			break;
		}
	}
out:
	MLX4R_BURST_LEAVE(txq);
	return ret;
}
