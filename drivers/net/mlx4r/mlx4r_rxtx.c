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
 * WQE, so that each CQE releases everything up to it: mbufs go back to
 * their pools in bulk and every TXBB of theirs is stamped invalid (0x7fffffff with the
 * owner bit of the pass it was used in). One send doorbell (and the
 * backend's hook) per burst. A frame that asks for an offload the queue
 * enabled (txq->ofl: checksums, TSO) is the one extra test: a TSO frame
 * is an LSO WQE (mlx4r_tx_lso), a VXLAN frame on a ConnectX-3 Pro gets
 * the inner checksum bits in its owner word (mlx4r_tx_csum).
 *
 * Rx: every WQE of the WQ always holds 'sges' posted mbufs (the first with
 * headroom). A CQE gives the frame length; the segments it filled are
 * chained into the returned mbuf and replaced by raw objects taken from
 * the pool in one bulk get for the burst (an mbuf in its pool has refcnt
 * 1, nb_segs 1 and next NULL, so only the first cache line is written for
 * a one-segment frame); when the pool is empty the frames of the burst
 * are dropped (rx_nombuf) and their buffers stay posted. One RQ doorbell
 * record and one CQ doorbell record update per burst. The CQE's
 * immed_rss_invalid is the hash QP's Toeplitz hash (mlx4_en en_rx.c
 * mlx4_en_process_rx_cq reads it so): it goes to mbuf->hash.rss, flagged
 * RTE_MBUF_F_RX_RSS_HASH while the port hashes (RSS mode). On a ConnectX-3
 * Pro with checksum offloads a tunnelled frame's CQE gives tunnel packet
 * types (mlx4r_rx_tunnel): the Pro's ports get their own copy of the
 * burst (mlx4r_rx_burst_l2tun, chosen at probe), a ConnectX-3's has no
 * test for it.
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
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_io.h>
#include <rte_mbuf.h>

#include "mlx4r.h"
#include "mlx4r_core.h"
#include "mlx4r_mp.h"

/* Most frames handled by one Rx burst call. */
#define MLX4R_RX_BURST_MAX 64
/* Mbufs given back by one rte_mempool_put_bulk() on Tx completion. */
#define MLX4R_TX_FREE_BULK 64

/*
 * The lcore's side of the quiescence handshake; the control thread's side
 * is mlx4r_port_bar(), mlx4r_process_fence() and mlx4r_port_drain_wait()
 * (and mlx4r_port_unbar() the other way), in mlx4r_quiesce.c, whose file
 * comment holds the proof. Per burst: a relaxed store, a compiler-only
 * fence, an acquire load and a release store: on x86 three plain moves.
 *
 * - in_burst = this process's tag (mlx4r_burst_tag, non-zero), relaxed:
 *   one writer (this lcore), read by mlx4r_port_drain_wait(); an atomic,
 *   so no C11 data race. The tag is a load of a read-mostly global.
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
	__atomic_store_n(&(q)->in_burst, \
			 __atomic_load_n(&mlx4r_burst_tag, __ATOMIC_RELAXED), \
			 __ATOMIC_RELAXED); \
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
 * A queue met an error CQE (an lcore, inside a burst): mark it in error,
 * wake the control thread, bar the queue (its later bursts refuse it; the
 * lcore's store of barred is the one mlx4r_quiesce.c "A queue in error"
 * orders before the repair's unbar). The request takes a mutex, or sends
 * a message from a secondary: the error path only.
 *
 * A forwarding secondary may be killed at any instruction of this, and
 * nothing is lost if the next burst that passes the bar finishes the job:
 * the error CQE is still there (the caller stops before consuming it), so
 * that burst comes here again, and so no early return when fault is set
 * already (a secondary killed after that store left the queue in error,
 * never barred and never repaired: its successor returned at once, for
 * ever). The order makes every point of death recoverable: fault before
 * the request (the control thread reads it once it took the request:
 * the request's mutex, or the message's system call, orders it before),
 * the request before the bar (a bar without a request refuses every later
 * burst, and nothing would ever repair the queue). A second call while a
 * repair is pending, or while the control thread repairs a Tx queue from
 * its QP's event, adds a request the repair coalesces and a bar the
 * repair makes anyway. Model: model/quiesce.pml (the secondary killed
 * between these steps; FAULT_ONCE and BAR_BEFORE_REQUEST are the two
 * orders that stall).
 */
static __rte_noinline __rte_cold void
mlx4r_queue_fault(uint8_t *fault, uint8_t *barred, struct mlx4r_port *port,
		  uint16_t port_id)
{
	struct mlx4r_dev *dev = port->dev;

	__atomic_store_n(fault, 1, __ATOMIC_RELAXED);
	/* a secondary's lcore: the primary's control thread, by message */
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		mlx4r_mp_repair(port_id);
	else
		dev->events->request(dev, MLX4R_REQ_REPAIR);
	__atomic_store_n(barred, 1, __ATOMIC_RELAXED);
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

/* Whether the Rx queue's CQE @p ci is software-owned (its owner byte). */
static __rte_always_inline int
mlx4r_rxq_cqe_owned(const struct mlx4r_rxq *rxq, uint32_t ci)
{
	return mlx4r_cqe_sw_owned(mlx4r_cqe_get(rxq->cqes, ci, rxq->cqe_mask,
						rxq->cqe_shift, rxq->cqe_off),
				  ci, rxq->cqe_cnt);
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

/*
 * A tunnelled frame's CQE on a ConnectX-3 Pro (MLX4R_CQE_L2_TUNNEL in
 * vlan_my_qpn): the status bits, read into @p pt and the checksum flags,
 * describe the inner headers; vlan_my_qpn the outer ones. As upstream
 * (mlx4_rxtx.c rxq_cq_to_pkt_type, rxq_cq_to_ol_flags), with the types
 * moved to the INNER_ fields and the outer UDP checksum as its own flag
 * (upstream folds both levels into the same two flags). The device
 * recognises VXLAN only (mlx4_en's tunnel_offload_mode VXLAN).
 */
static __rte_always_inline void
mlx4r_rx_tunnel(struct rte_mbuf *m, const struct mlx4_cqe *cqe, uint32_t pt)
{
	uint32_t tn = rte_be_to_cpu_32(cqe->vlan_my_qpn);

	if (!(tn & MLX4R_CQE_L2_TUNNEL))
		return;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L4_UDP |
		((tn & MLX4R_CQE_L2_TUNNEL_IPV4) ?
		 RTE_PTYPE_L3_IPV4_EXT_UNKNOWN : RTE_PTYPE_L3_IPV6_EXT_UNKNOWN) |
		RTE_PTYPE_TUNNEL_VXLAN | RTE_PTYPE_INNER_L2_ETHER |
		((pt & (RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK)) << 16);
	if (tn & MLX4R_CQE_L2_TUNNEL_CSUM)
		m->ol_flags |= RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD;
}

/*
 * mlx4r_mr_lkey() past the first entry: the cache's other entries, then
 * the device's table. A hit moves to the front, so that a queue fed from
 * one pool at a time (the common case: an Rx queue's own pool, a Tx
 * burst of one Rx queue's mbufs) takes the inline test only. The cache is
 * the queue's, written by its lcore alone (the burst, and
 * mlx4r_mr_cache_sync() at its start).
 */
static __rte_noinline uint32_t
mlx4r_mr_lkey_slow(struct mlx4r_mr_cache *mc, uintptr_t addr, uint32_t len)
{
	struct mlx4r_mr_range r;
	unsigned int i;

	for (i = 1; i < MLX4R_MR_CACHE; i++) {
		const struct mlx4r_mr_range *c = &mc->e[i];

		if (addr >= c->start && addr + len <= c->end) {
			r = *c;
			mc->e[i] = mc->e[0];
			mc->e[0] = r;
			return r.lkey_be;
		}
	}
	if (mlx4r_mr_find(mc->dev, addr, len, &r) < 0)
		return MLX4R_NO_LKEY;
	mc->e[mc->next++ % MLX4R_MR_CACHE] = r;
	return r.lkey_be;
}

/*
 * Lkey of the registered range that holds all of [addr, addr + len),
 * big-endian; NO_LKEY if none. The device checks the same bounds on the
 * lkey (an MR covers exactly what was registered). The first entry
 * inline (a zeroed entry holds nothing: end 0), the rest called.
 */
static __rte_always_inline uint32_t
mlx4r_mr_lkey(struct mlx4r_mr_cache *mc, uintptr_t addr, uint32_t len)
{
	const struct mlx4r_mr_range *c = &mc->e[0];

	if (likely(addr >= c->start && addr + len <= c->end))
		return c->lkey_be;
	return mlx4r_mr_lkey_slow(mc, addr, len);
}

uint32_t
mlx4r_mr_lookup(struct mlx4r_mr_cache *mc, uintptr_t addr, uint32_t len)
{
	return mlx4r_mr_lkey(mc, addr, len);
}

/*
 * Packet type by the CQE's status bits, a table built once from
 * mlx4r_rx_ptype(): index bits 0-5 are status bits 22-27 (IPv4, IPv4
 * fragment, IPv6, IPv4 options, TCP, UDP), bit 6 is status bit 12 (IPv6
 * fragment); no other bit takes part.
 */
#define MLX4R_PTYPE_IDX(st) ((((st) >> 22) & 0x3f) | (((st) >> 6) & 0x40))
static uint32_t mlx4r_ptype_table[128];

RTE_INIT(mlx4r_ptype_table_init)
{
	uint32_t i;

	for (i = 0; i < RTE_DIM(mlx4r_ptype_table); i++) {
		uint32_t st = ((i & 0x3f) << 22) | ((i & 0x40) << 6);

		mlx4r_ptype_table[i] = mlx4r_rx_ptype(st);
	}
}

/* Point data segment j of Rx WQE w at the buffer of mbuf m. */
static __rte_always_inline void
mlx4r_rx_post_seg(struct mlx4r_rxq *rxq, uint32_t w, uint32_t j,
		  struct rte_mbuf *m)
{
	struct mlx4_wqe_data_seg *d = (struct mlx4_wqe_data_seg *)
		(rxq->wqes + ((size_t)w << rxq->wqe_shift)) + j;
	uint32_t off = j == 0 ? RTE_PKTMBUF_HEADROOM : 0;

	/*
	 * The pool was registered at set-up: the lookup cannot miss. A
	 * direct mbuf of the queue's own pool lies in one of its chunks,
	 * which one range holds whole: its first byte finds that range.
	 */
	d->lkey = mlx4r_mr_lkey(&rxq->mr, (uintptr_t)m->buf_addr, 1);
	d->addr = rte_cpu_to_be_64((uintptr_t)m->buf_addr + off);
}

/*
 * The first 8 bytes of rte_mbuf's rearm_data (data_off, refcnt, nb_segs,
 * port) as one store. Buffers come raw from the pool (rte_mempool_get):
 * an mbuf in its pool has refcnt 1, nb_segs 1 and next NULL (the mbuf
 * library's invariant, rte_mbuf_raw_alloc(), kept by every free path), so
 * what a received mbuf needs written is this word and the descriptor
 * fields of its first cache line; next, in the second line, is written
 * only to chain a scattered frame.
 */
static __rte_always_inline void
mlx4r_rx_rearm(struct rte_mbuf *m, uint16_t data_off, uint16_t nb_segs,
	       uint16_t port)
{
	union {
		uint64_t u64;
		struct {
			uint16_t data_off;
			uint16_t refcnt;
			uint16_t nb_segs;
			uint16_t port;
		};
	} r = { .data_off = data_off, .refcnt = 1, .nb_segs = nb_segs,
		.port = port };

	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, refcnt) !=
			 offsetof(struct rte_mbuf, data_off) + 2);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, nb_segs) !=
			 offsetof(struct rte_mbuf, data_off) + 4);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, port) !=
			 offsetof(struct rte_mbuf, data_off) + 6);
	memcpy((uint8_t *)m + offsetof(struct rte_mbuf, rearm_data), &r.u64,
	       sizeof(r.u64));
}

/*
 * A scattered frame (more than the first segment): chain its nseg posted
 * buffers, replace each by one from @p extra. Cold: only when the MTU
 * exceeds the first segment.
 */
static __rte_noinline void
mlx4r_rx_chain(struct mlx4r_rxq *rxq, struct rte_mbuf **e, uint32_t w,
	       uint32_t nseg, uint32_t len, struct rte_mbuf **extra)
{
	struct rte_mbuf *head = e[0], *prev = head;
	uint32_t j, left = len - rxq->seg_first_len;

	head->data_len = rxq->seg_first_len;
	for (j = 1; j < nseg; j++) {
		struct rte_mbuf *s = e[j];

		mlx4r_rx_rearm(s, 0, 1, rxq->port_id);
		s->data_len = RTE_MIN(left, rxq->seg_len);
		left -= s->data_len;
		prev->next = s;
		prev = s;
		e[j] = extra[j - 1];
		mlx4r_rx_post_seg(rxq, w, j, e[j]);
	}
	/* the last one's next is NULL already (raw from the pool) */
}

/* What the frames of an Rx burst advance (mlx4r_rx_frames()). */
struct mlx4r_rx_pos {
	uint32_t ci;       /**< CQ consumer index */
	uint32_t rq_ci;    /**< WQEs consumed */
	uint32_t used;     /**< replacements taken from repl[] */
	uint32_t got;      /**< frames returned */
	uint64_t bytes;    /**< their bytes */
};

/*
 * Whether a completed frame of @p len bytes fits the WQE's segments. The
 * device writes no more than the WQE holds: a frame that does not fit
 * completes with a length error (MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR), so
 * a success CQE counting more bytes is a CQ the driver cannot trust, and
 * its frame would take more buffers than the WQE has (the next WQEs', or
 * past the replacement array). Such a CQE is treated as an error CQE: left
 * unconsumed, the queue barred and repaired (mlx4r_repair.c counts it as
 * a flushed completion). Cold: called only past the first segment.
 */
static __rte_noinline bool
mlx4r_rx_len_fits(struct mlx4r_rxq *rxq, uint32_t len)
{
	if (len - rxq->seg_first_len <= (rxq->sges - 1) * rxq->seg_len)
		return true;
	rxq->ierrors++;
	mlx4r_queue_fault(&rxq->fault, &rxq->barred, rxq->port, rxq->port_id);
	return false;
}

/*
 * The frames of the software-owned CQEs from pos->ci on, at most @p nb,
 * each given a replacement from @p repl, up to the first CQE the device
 * still owns or the first error CQE. Each CQE's owner byte is tested
 * before its body is read, with the read barrier in between (upstream
 * mlx4_rxtx.c mlx4_cq_poll_one: the owner test, then rte_io_rmb()); the
 * first one's owner the caller has seen already. Compiled per combination of
 * @p csum (checksum flags) and @p rss (the hash in the mbuf) the burst
 * meets, constants in the common one (neither: mlx4r_rx_burst_tmpl()),
 * so that a queue reporting neither tests neither per frame; @p tun as
 * in mlx4r_rx_burst_tmpl(). The queue's fields in locals: the mbuf and
 * WQE stores could alias them as far as the compiler knows.
 */
static __rte_always_inline void
mlx4r_rx_frames(struct mlx4r_rxq *rxq, struct rte_mbuf **pkts, uint32_t nb,
		struct rte_mbuf **repl, struct mlx4r_rx_pos *pos,
		const bool csum, const bool rss, const bool tun)
{
	struct rte_mbuf *extra[MLX4R_MAX_RX_SEGS];
	uint8_t *cqes = rxq->cqes;
	const uint32_t cqe_mask = rxq->cqe_mask;
	const uint32_t cqe_shift = rxq->cqe_shift;
	const uint32_t cqe_off = rxq->cqe_off;
	const uint32_t wqe_mask = rxq->wqe_mask;
	const uint32_t sges_log = rxq->sges_log;
	const uint32_t first_len = rxq->seg_first_len;
	const uint32_t cqe_cnt = rxq->cqe_cnt;
	const uint16_t port = rxq->port_id;
	struct rte_mbuf **elts = rxq->elts;
	const uint64_t ol = rss ? RTE_MBUF_F_RX_RSS_HASH : 0;
	uint32_t ci = pos->ci, rq_ci = pos->rq_ci, used = pos->used;
	uint32_t got = pos->got, i;
	uint64_t bytes = pos->bytes;

	for (i = 0; i < nb; i++) {
		struct mlx4_cqe *cqe = mlx4r_cqe_get(cqes, ci, cqe_mask,
						     cqe_shift, cqe_off);
		uint32_t w = rq_ci & wqe_mask;
		struct rte_mbuf **e = &elts[w << sges_log];
		struct rte_mbuf *head;
		uint32_t len, st, nseg, pt;

		if (!mlx4r_cqe_sw_owned(cqe, ci, cqe_cnt))
			break;
		/* the body only after the owner byte said it is ours */
		rte_io_rmb();
		if (unlikely((cqe->owner_sr_opcode & MLX4_CQE_OPCODE_MASK) ==
			     MLX4_CQE_OPCODE_ERROR)) {
			/* the WQ is in error: left to its repair, with this */
			mlx4r_queue_fault(&rxq->fault, &rxq->barred,
					  rxq->port, rxq->port_id);
			break;
		}
		len = rte_be_to_cpu_32(cqe->byte_cnt);
		nseg = 1;
		if (unlikely(len > first_len)) {
			if (unlikely(!mlx4r_rx_len_fits(rxq, len)))
				break;
			nseg += (len - first_len + rxq->seg_len - 1) /
				rxq->seg_len;
			if (rte_mempool_get_bulk(rxq->mp, (void **)extra,
						 nseg - 1) != 0) {
				ci++;
				rq_ci++;
				rxq->rx_nombuf++;
				continue;
			}
		}
		ci++;
		rq_ci++;
		st = rte_be_to_cpu_32(cqe->status);
		/* IPOK and the checksum field at 0xffff: L4 good too */
		if (csum && (st & MLX4R_CQE_STATUS_IP_HDR_CSUM_OK) &&
		    cqe->checksum == RTE_BE16(0xffff))
			st |= MLX4R_CQE_STATUS_TCP_UDP_CSUM_OK;
		head = e[0];
		mlx4r_rx_rearm(head, RTE_PKTMBUF_HEADROOM, nseg, port);
		if (likely(nseg == 1))
			head->data_len = len;
		else
			mlx4r_rx_chain(rxq, e, w, nseg, len, extra);
		head->pkt_len = len;
		pt = mlx4r_ptype_table[MLX4R_PTYPE_IDX(st)];
		head->packet_type = pt;
		/* the hash QP's Toeplitz hash, as mlx4_en reads it */
		if (rss)
			head->hash.rss =
				rte_be_to_cpu_32(cqe->immed_rss_invalid);
		if (csum) {
			head->ol_flags = ol | mlx4r_rx_csum(st, pt);
			/* l2tun implies csum (read here: checksums are on) */
			if (tun && unlikely(rxq->l2tun))
				mlx4r_rx_tunnel(head, cqe, pt);
		} else {
			head->ol_flags = ol;
		}
		e[0] = repl[used++];
		mlx4r_rx_post_seg(rxq, w, 0, e[0]);
		bytes += len;
		pkts[got++] = head;
	}
	pos->ci = ci;
	pos->rq_ci = rq_ci;
	pos->used = used;
	pos->got = got;
	pos->bytes = bytes;
}

/*
 * mlx4r_rx_frames() for the common queue: one data segment per 16-byte
 * WQE (rxq->seg1), no checksum flags reported, every frame in one
 * buffer; compiled per CQE size (@p cqe_size, a constant: no shift
 * through %cl) and per @p rss (the hash reported, as a port with RSS
 * does: testpmd with several queues, the fast-path harness). The same
 * tests in the same order; what the general loop computes per frame from
 * the queue's geometry is constant or derived here: the mbuf's rearm
 * word (port included), the WQE as an array index, the elts entry the
 * WQE's own, one count for frames, replacements and CQEs (no frame is
 * skipped: none takes more than its one buffer, see
 * mlx4r_rx_len_fits()).
 */
static __rte_always_inline void
mlx4r_rx_frames1(struct mlx4r_rxq *rxq, struct rte_mbuf **pkts, uint32_t nb,
		 struct rte_mbuf **repl, struct mlx4r_rx_pos *pos,
		 const uint32_t cqe_size, const bool rss)
{
	const uint8_t *cqes = rxq->cqes + (cqe_size - sizeof(struct mlx4_cqe));
	const uint32_t cqe_cnt = rxq->cqe_cnt;
	struct mlx4_wqe_data_seg *wqes = (void *)rxq->wqes;
	struct rte_mbuf **elts = rxq->elts;
	const uint32_t wqe_mask = rxq->wqe_mask;
	const uint32_t first_len = rxq->seg_first_len;
	struct mlx4r_mr_cache *mc = &rxq->mr;
	const uint32_t ci0 = pos->ci, end = ci0 + nb;
	/* the WQE of CQE ci is rq_ci's: one a CQE (no frame is skipped) */
	const uint32_t dw = pos->rq_ci - ci0;
	struct rte_mbuf **out = pkts;
	uint32_t bytes = 0; /* at most MLX4R_RX_BURST_MAX segments' worth */
	uint64_t rearm;
	uint32_t ci;

	/* the mbuf's rearm word: mlx4r_rx_rearm()'s, built once */
	{
		struct rte_mbuf tmp;

		mlx4r_rx_rearm(&tmp, RTE_PKTMBUF_HEADROOM, 1, rxq->port_id);
		memcpy(&rearm, (uint8_t *)&tmp +
		       offsetof(struct rte_mbuf, rearm_data), sizeof(rearm));
	}
	for (ci = ci0; ci != end; ci++) {
		const struct mlx4_cqe *cqe = (const void *)
			(cqes + (size_t)(ci & (cqe_cnt - 1)) * cqe_size);
		uint32_t w = (ci + dw) & wqe_mask;
		/*
		 * owner and opcode from one load of their byte (a byte the
		 * device writes at once): the opcode is the one written with
		 * the owner bit tested
		 */
		const uint8_t op = cqe->owner_sr_opcode;
		struct rte_mbuf *head, *m;
		uint32_t len, st;

		if (!(op & MLX4_CQE_OWNER_MASK) != !(ci & cqe_cnt))
			break;
		/* the body only after the owner byte said it is ours */
		rte_io_rmb();
		if (unlikely((op & MLX4_CQE_OPCODE_MASK) ==
			     MLX4_CQE_OPCODE_ERROR)) {
			mlx4r_queue_fault(&rxq->fault, &rxq->barred,
					  rxq->port, rxq->port_id);
			break;
		}
		len = rte_be_to_cpu_32(cqe->byte_cnt);
		if (unlikely(len > first_len)) {
			mlx4r_rx_len_fits(rxq, len); /* false: sges is 1 */
			break;
		}
		st = rte_be_to_cpu_32(cqe->status);
		head = elts[w];
		memcpy((uint8_t *)head + offsetof(struct rte_mbuf, rearm_data),
		       &rearm, sizeof(rearm));
		head->packet_type = mlx4r_ptype_table[MLX4R_PTYPE_IDX(st)];
		head->pkt_len = len;
		head->data_len = len;
		if (rss) {
			/* the hash QP's Toeplitz hash, as mlx4_en reads it */
			head->hash.rss =
				rte_be_to_cpu_32(cqe->immed_rss_invalid);
			head->ol_flags = RTE_MBUF_F_RX_RSS_HASH;
		} else {
			head->ol_flags = 0;
		}
		m = *repl++;
		elts[w] = m;
		/* mlx4r_rx_post_seg() for segment 0 */
		wqes[w].lkey = mlx4r_mr_lkey(mc, (uintptr_t)m->buf_addr, 1);
		wqes[w].addr = rte_cpu_to_be_64((uintptr_t)m->buf_addr +
						RTE_PKTMBUF_HEADROOM);
		bytes += len;
		*out++ = head;
	}
	pos->ci = ci;
	pos->rq_ci = ci + dw;
	pos->used = ci - ci0;
	pos->got = ci - ci0;
	pos->bytes = bytes;
}

/*
 * No replacement for the burst (the pool empty): the frames of the @p nb
 * CQEs from pos->ci on are lost up to the first error CQE, their buffers
 * stay posted (rx_nombuf).
 */
static __rte_noinline void
mlx4r_rx_drop(struct mlx4r_rxq *rxq, uint32_t nb, struct mlx4r_rx_pos *pos)
{
	uint32_t i;

	for (i = 0; i < nb; i++) {
		struct mlx4_cqe *cqe = mlx4r_cqe_get(rxq->cqes, pos->ci,
						     rxq->cqe_mask,
						     rxq->cqe_shift,
						     rxq->cqe_off);

		if (unlikely((cqe->owner_sr_opcode & MLX4_CQE_OPCODE_MASK) ==
			     MLX4_CQE_OPCODE_ERROR)) {
			mlx4r_queue_fault(&rxq->fault, &rxq->barred,
					  rxq->port, rxq->port_id);
			break;
		}
		pos->ci++;
		pos->rq_ci++;
		rxq->rx_nombuf++;
	}
}

/*
 * The Rx burst, compiled twice: @p tun says whether the port may see
 * tunnel CQEs (a ConnectX-3 Pro: mlx4r_rx_burst_l2tun), so that a
 * ConnectX-3's burst has no test for them.
 */
static __rte_always_inline uint16_t
mlx4r_rx_burst_tmpl(void *q, struct rte_mbuf **pkts, uint16_t n,
		    const bool tun)
{
	struct mlx4r_rxq *rxq = q;
	struct rte_mbuf *repl[MLX4R_RX_BURST_MAX];
	struct mlx4r_rx_pos pos;
	uint32_t nb, ci0;
	bool csum, rss;

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
	ci0 = rxq->cq_ci;
	pos.got = 0;
	csum = rxq->csum;
	rss = rxq->rss_hash;
	mlx4r_mr_cache_sync(&rxq->mr);
	mlx4r_hw_hook_call(&rxq->hook);
	n = RTE_MIN(n, (uint16_t)MLX4R_RX_BURST_MAX);
	/* an idle queue: one owner byte, no replacement taken */
	if (n == 0 || !mlx4r_rxq_cqe_owned(rxq, ci0))
		goto out;
	pos.ci = ci0;
	pos.rq_ci = rxq->rq_ci;
	pos.used = 0;
	pos.bytes = 0;
	/*
	 * One replacement per frame (a scattered frame takes more), taken
	 * for the whole burst before its CQEs are counted: the frames loop
	 * tests each owner byte anyway, and what a short burst leaves goes
	 * back to the pool's cache at once (a counting pass first cost 8
	 * to 10 instructions a frame, callgrind-fwd.sh). When the pool
	 * cannot give that many, the CQEs are counted and as many asked.
	 */
	nb = n;
	if (unlikely(rte_mempool_get_bulk(rxq->mp, (void **)repl, nb) != 0)) {
		for (nb = 1; nb < n && mlx4r_rxq_cqe_owned(rxq, ci0 + nb); nb++)
			;
		if (rte_mempool_get_bulk(rxq->mp, (void **)repl, nb) != 0) {
			rte_io_rmb();
			mlx4r_rx_drop(rxq, nb, &pos);
			nb = 0;
		}
	}
	if (nb != 0) {
		if (likely(!csum && rxq->seg1)) {
			/* the CQE's size a constant: no shift through %cl */
			if (rxq->cqe_shift == 6 && !rss)
				mlx4r_rx_frames1(rxq, pkts, nb, repl, &pos,
						 64, false);
			else if (!rss)
				mlx4r_rx_frames1(rxq, pkts, nb, repl, &pos,
						 32, false);
			else if (rxq->cqe_shift == 6)
				mlx4r_rx_frames1(rxq, pkts, nb, repl, &pos,
						 64, true);
			else
				mlx4r_rx_frames1(rxq, pkts, nb, repl, &pos,
						 32, true);
		} else if (likely(!csum && !rss))
			mlx4r_rx_frames(rxq, pkts, nb, repl, &pos, false,
					false, tun);
		else
			mlx4r_rx_frames(rxq, pkts, nb, repl, &pos, csum, rss,
					tun);
		if (pos.used < nb)
			rte_mempool_put_bulk(rxq->mp, (void **)&repl[pos.used],
					     nb - pos.used);
	}
	if (pos.ci == ci0)
		goto out;
	rxq->rq_ci = pos.rq_ci;
	/* the WQEs are rewritten before the device may see them again */
	rte_io_wmb();
	*rxq->rq_db = rte_cpu_to_be_32((pos.rq_ci + rxq->wqe_mask + 1) &
				       0xffff);
	*rxq->cq_db = rte_cpu_to_be_32(pos.ci & MLX4R_CQ_DB_CI_MASK);
	rxq->cq_ci = pos.ci;
	rxq->ipackets += pos.got;
	rxq->ibytes += pos.bytes;
out:
	MLX4R_BURST_LEAVE(rxq);
	return pos.got;
}

uint16_t
mlx4r_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return mlx4r_rx_burst_tmpl(q, pkts, n, false);
}

uint16_t
mlx4r_rx_burst_l2tun(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return mlx4r_rx_burst_tmpl(q, pkts, n, true);
}

/* The 16-byte unit u (free-running) of the SQ, modulo its size. */
static __rte_always_inline struct mlx4_wqe_data_seg *
mlx4r_tx_dseg(const struct mlx4r_txq *txq, uint32_t u)
{
	return (struct mlx4_wqe_data_seg *)
		(txq->sq + ((size_t)(u & (txq->txbb_cnt * 4 - 1)) << 4));
}

/*
 * Give back the mbufs the device is done with, in runs of one pool: a
 * single-segment, direct mbuf of refcnt 1 (the common case) goes straight
 * to rte_mempool_put_bulk() without touching its second cache line (a
 * one-segment packet has next NULL: the mbuf library's invariant);
 * anything else through rte_pktmbuf_prefree_seg(), segment by segment
 * (mlx4r_tx_free_chain()). The run's pool and count are the caller's
 * locals (in registers: nothing else can reach them), its mbufs in objs.
 */
static __rte_always_inline bool
mlx4r_tx_free_simple(const struct rte_mbuf *m)
{
	/*
	 * refcnt and nb_segs, adjacent 16-bit fields, both 1: one load
	 * (0x00010001 in either byte order)
	 */
	const uint32_t one_one = 0x00010001u;
	uint32_t rs;

	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, nb_segs) !=
			 offsetof(struct rte_mbuf, refcnt) + 2 ||
			 sizeof(m->refcnt) != 2 || sizeof(m->nb_segs) != 2);
	memcpy(&rs, (const uint8_t *)m + offsetof(struct rte_mbuf, refcnt),
	       sizeof(rs));
	/*
	 * A plain load where rte_mbuf_refcnt_read() is a relaxed atomic one.
	 * At refcnt 1 no other thread holds the mbuf; above it, another
	 * holder may drop its reference meanwhile, and either value read is
	 * right: 1, the driver's alone now; more, prefree's atomic decrement
	 * decides (mlx4r_tx_free_chain()), as with rte_mbuf_refcnt_read()
	 */
	return rs == one_one && RTE_MBUF_DIRECT(m);
}

/* Add @p m to the run (@p pool, @p n mbufs in objs), flushing it first. */
static __rte_always_inline void
mlx4r_tx_free_add(void **objs, struct rte_mempool **pool, uint32_t *n,
		  struct rte_mbuf *m)
{
	/* the run's pool (NULL before the first): the common case first */
	if (likely(m->pool == *pool && *n < MLX4R_TX_FREE_BULK)) {
		objs[(*n)++] = m;
		return;
	}
	if (*n != 0)
		rte_mempool_put_bulk(*pool, objs, *n);
	*pool = m->pool;
	objs[0] = m;
	*n = 1;
}

/* The segments of @p m that prefree releases, in runs of their own. */
static __rte_noinline void
mlx4r_tx_free_chain(struct rte_mbuf *m)
{
	void *objs[MLX4R_TX_FREE_BULK];
	struct rte_mempool *pool = NULL;
	uint32_t n = 0;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m = rte_pktmbuf_prefree_seg(m);
		if (m != NULL)
			mlx4r_tx_free_add(objs, &pool, &n, m);
		m = next;
	}
	if (n != 0)
		rte_mempool_put_bulk(pool, objs, n);
}

/*
 * Poll the Tx CQ; free what the device is done with.
 * @return 0, or -EIO: an error CQE, left for the queue's repair, which
 * the queue is barred for (mlx4r_queue_fault()).
 */
int
mlx4r_txq_complete(struct mlx4r_txq *txq)
{
	void *objs[MLX4R_TX_FREE_BULK];
	struct rte_mempool *pool = NULL;
	struct rte_mbuf **elts;
	uint32_t ci = txq->cq_ci;
	uint32_t tail = txq->sq_ci;
	uint32_t idx, cnt, n = 0;
	uint8_t *sq;
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
					  txq->port, txq->port_id);
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
	/* locals: the stores below could alias the queue's fields */
	cnt = txq->txbb_cnt;
	elts = txq->elts;
	sq = txq->sq;
	for (idx = txq->sq_ci; idx != tail; idx++) {
		struct rte_mbuf **e = &elts[idx & (cnt - 1)];
		struct rte_mbuf *m = *e;

		if (m != NULL) {
			*e = NULL;
			if (likely(mlx4r_tx_free_simple(m))) {
				mlx4r_tx_free_add(objs, &pool, &n, m);
			} else {
				/* a run's mbufs go back before a chain's */
				if (n != 0)
					rte_mempool_put_bulk(pool, objs, n);
				n = 0;
				mlx4r_tx_free_chain(m);
			}
		}
		/*
		 * Stamp the TXBB invalid for the next pass of the ring (two
		 * constants: no byte swap per TXBB).
		 */
		*(uint32_t *)(sq + ((size_t)(idx & (cnt - 1)) <<
				    MLX4R_TXBB_SHIFT)) = (idx & cnt) ?
			RTE_BE32(MLX4R_TXBB_STAMP | MLX4R_WQE_OWNER_BIT) :
			RTE_BE32(MLX4R_TXBB_STAMP);
	}
	txq->sq_ci = tail;
	if (n != 0)
		rte_mempool_put_bulk(pool, objs, n);
	return ret;
}

/*
 * The data segments of a frame of several mbufs, from 16-byte unit
 * pi * 4 + 1 on, modulo the SQ: addresses and keys first, then (after a
 * barrier) the byte counts, which open each TXBB after the first to the
 * device's prefetch (libmlx4 qp.c mlx4_post_send, set_data_seg).
 * @return 0, or -1: a segment outside registered memory (nothing written
 * that the device may read: the owner word is not).
 */
static __rte_noinline int
mlx4r_tx_segs(struct mlx4r_txq *txq, struct rte_mbuf *m, uint32_t pi)
{
	uint32_t lkeys[MLX4R_MAX_TX_SEGS];
	struct rte_mbuf *s;
	uint32_t j, u;

	for (s = m, j = 0; s != NULL; s = s->next, j++) {
		lkeys[j] = mlx4r_mr_lkey(&txq->mr,
					 rte_pktmbuf_mtod(s, uintptr_t),
					 s->data_len);
		if (unlikely(lkeys[j] == MLX4R_NO_LKEY)) {
			lkeys[j] = mlx4r_mr_tx_miss(txq, s);
			if (lkeys[j] == MLX4R_NO_LKEY)
				return -1;
		}
	}
	for (s = m, j = 0, u = pi * 4 + 1; s != NULL; s = s->next, j++, u++) {
		struct mlx4_wqe_data_seg *d = mlx4r_tx_dseg(txq, u);

		d->lkey = lkeys[j];
		d->addr = rte_cpu_to_be_64(rte_pktmbuf_mtod(s, uintptr_t));
	}
	rte_io_wmb();
	/*
	 * The device reads a byte count of 0 as 2 GB: an empty segment is
	 * an inline segment of no data, 0x80000000 (libmlx4 qp.c
	 * set_data_seg, upstream mlx4_rxtx.c).
	 */
	for (s = m, u = pi * 4 + 1; s != NULL; s = s->next, u++)
		mlx4r_tx_dseg(txq, u)->byte_count = rte_cpu_to_be_32(
			s->data_len != 0 ? s->data_len : MLX4_INLINE_SEG);
	return 0;
}

/*
 * The LSO WQE of a TSO frame (RTE_MBUF_F_TX_TCP_SEG, TCP_TSO enabled)
 * from TXBB @p pi on, all but what the burst writes in the control
 * segment, as upstream builds it (mlx4_rxtx.c mlx4_tx_burst_tso): the
 * LSO segment (tso_segsz << 16 | header size, the l2_len + l3_len +
 * l4_len header bytes of the first mbuf inline), then a data segment for
 * the rest of the first mbuf (none when it holds only the header) and one
 * per further mbuf. Written through a copy of the WQE so that the first
 * word of each TXBB after the first goes last, after a barrier (the
 * device may prefetch those TXBBs: upstream mlx4_tx_burst_fill_tso_hdr's
 * pv[], libmlx4 qp.c mlx4_post_send). Refused, as upstream refuses them
 * (mlx4_tx_burst_tso_get_params): a header of 0 or more than
 * MLX4R_TSO_MAX_HDR bytes or not in the first mbuf, tso_segsz 0; and a
 * WQE above MLX4R_MAX_WQE_TXBBS (too many segments: -2, the burst stops
 * at the frame as upstream's does, mlx4r_tx_burst()); and, beyond upstream,
 * what the device cannot send: a payload above tso_caps.max_tso, a
 * segment above MLX4R_TSO_MAX_FRAME, a tunnel other than VXLAN on a
 * queue with VXLAN_TNL_TSO (ConnectX-3 Pro). A VXLAN frame's header is
 * the outer headers (outer_l2_len + outer_l3_len, l2_len from the outer
 * UDP header to the inner Ethernet one) and the inner ones, as upstream's.
 * @return the WQE's DS count, 0 when the ring has no room for it (nothing
 *   written), -1: refused (counted in tso_refused or, for memory the
 *   device cannot read, mr_miss), nothing written the device may read,
 *   or -2: more segments than a WQE holds (nothing written, not counted).
 */
static __rte_noinline int
mlx4r_tx_lso(struct mlx4r_txq *txq, struct rte_mbuf *m, uint32_t pi,
	     uint32_t room)
{
	uint8_t body[MLX4R_MAX_WQE_TXBBS * MLX4R_TXBB_SIZE] __rte_aligned(16);
	uint64_t tun = m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK;
	uint32_t hdr = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	uint32_t lso, n, u, txbbs;
	struct mlx4_wqe_data_seg *d;
	struct rte_mbuf *s;
	uint32_t w;

	/* a VXLAN frame: the outer headers too, as upstream counts them */
	if (tun != 0) {
		if (tun != RTE_MBUF_F_TX_TUNNEL_VXLAN || !txq->tso_vxlan)
			goto refuse;
		hdr += (uint32_t)m->outer_l2_len + m->outer_l3_len;
	}
	lso = mlx4r_tx_lso_seg(hdr);
	if (hdr == 0 || hdr > MLX4R_TSO_MAX_HDR || hdr > m->data_len ||
	    m->tso_segsz == 0 || hdr + m->tso_segsz > MLX4R_TSO_MAX_FRAME ||
	    m->pkt_len - hdr > txq->tso_max)
		goto refuse;
	n = mlx4r_tx_lso_ds(hdr, m->nb_segs - (m->data_len == hdr));
	txbbs = (n + 3) / 4;
	if (txbbs > MLX4R_MAX_WQE_TXBBS)
		return -2; /* too many segments: the burst stops at it */
	if (txbbs > room)
		return 0;
	/* the WQE from its second 16-byte unit on */
	w = rte_cpu_to_be_32((uint32_t)m->tso_segsz << 16 | hdr);
	memcpy(body, &w, sizeof(w));
	memcpy(body + 4, rte_pktmbuf_mtod(m, const void *), hdr);
	memset(body + 4 + hdr, 0, lso - 4 - hdr);
	d = (struct mlx4_wqe_data_seg *)(body + lso);
	for (s = m; s != NULL; s = s->next) {
		uintptr_t a = rte_pktmbuf_mtod(s, uintptr_t);
		uint32_t len = s->data_len, lkey;

		if (s == m) {
			a += hdr;
			len -= hdr;
			if (len == 0)
				continue;
		}
		lkey = mlx4r_mr_lkey(&txq->mr, a, len);
		if (unlikely(lkey == MLX4R_NO_LKEY)) {
			lkey = mlx4r_mr_tx_miss(txq, s);
			if (lkey == MLX4R_NO_LKEY) {
				txq->mr_miss++;
				return -1;
			}
		}
		d->lkey = lkey;
		d->addr = rte_cpu_to_be_64(a);
		/* an empty segment: an inline one of no data (see above) */
		d->byte_count = rte_cpu_to_be_32(len != 0 ? len :
						 MLX4_INLINE_SEG);
		d++;
	}
	for (u = 1; u < n; u++) {
		uint8_t *to = (uint8_t *)mlx4r_tx_dseg(txq, pi * 4 + u);
		const uint8_t *from = body + (u - 1) * 16;

		if (u % 4 == 0)
			memcpy(to + 4, from + 4, 12);
		else
			memcpy(to, from, 16);
	}
	rte_io_wmb();
	for (u = 4; u < n; u += 4)
		memcpy(mlx4r_tx_dseg(txq, pi * 4 + u), body + (u - 1) * 16, 4);
	return (int)n;
refuse:
	txq->tso_refused++;
	return -1;
}

/*
 * The checksum flags of frame @p m (ol_flags @p ol, those of txq->ofl
 * only): srcrb's IP_HDR_CSUM / TCP_UDP_CSUM, or on a ConnectX-3 Pro for a
 * VXLAN frame the inner ones in the owner word (*op) and the outer IPv4
 * one in srcrb (upstream mlx4_rxtx.c mlx4_tx_burst, mlx4_en en_tx.c
 * mlx4_en_xmit; upstream sets both inner bits whatever was asked).
 */
static __rte_always_inline void
mlx4r_tx_csum(const struct mlx4r_txq *txq, const struct rte_mbuf *m,
	      uint64_t ol, uint32_t *flags, uint32_t *op)
{
	uint64_t l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	bool ip = (ol & RTE_MBUF_F_TX_IP_CKSUM) != 0;
	bool tl = l4 == RTE_MBUF_F_TX_TCP_CKSUM ||
		  l4 == RTE_MBUF_F_TX_UDP_CKSUM;

	if (unlikely(txq->l2tun) &&
	    (m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK) ==
	    RTE_MBUF_F_TX_TUNNEL_VXLAN) {
		*op |= (ip ? MLX4R_WQE_CTRL_IIP_CSUM : 0) |
		       (tl ? MLX4R_WQE_CTRL_IL4_CSUM : 0);
		if (ol & RTE_MBUF_F_TX_OUTER_IP_CKSUM)
			*flags |= MLX4_WQE_CTRL_IP_HDR_CSUM;
	} else {
		*flags |= (ip ? MLX4_WQE_CTRL_IP_HDR_CSUM : 0) |
			  (tl ? MLX4_WQE_CTRL_TCP_UDP_CSUM : 0);
	}
}

/*
 * The data segments of a frame that is not TSO, at TXBB @p pi.
 * @return 0, MLX4R_TX_UNREG: refused (unregistered memory), or
 *   MLX4R_TX_TOO_MANY: more than MLX4R_MAX_TX_SEGS segments (nothing
 *   written).
 */
#define MLX4R_TX_UNREG 1
#define MLX4R_TX_TOO_MANY 2

static __rte_always_inline int
mlx4r_tx_data(struct mlx4r_txq *txq, struct rte_mbuf *m,
	      struct mlx4_wqe_ctrl_seg *ctrl, uint32_t pi, uint32_t nb_segs)
{
	if (likely(nb_segs == 1)) {
		/*
		 * One data segment, in the control segment's TXBB: the
		 * owner word written last covers all of it.
		 */
		struct mlx4_wqe_data_seg *d =
			(struct mlx4_wqe_data_seg *)(ctrl + 1);
		uintptr_t a = rte_pktmbuf_mtod(m, uintptr_t);
		uint32_t lkey = mlx4r_mr_lkey(&txq->mr, a, m->data_len);

		if (unlikely(lkey == MLX4R_NO_LKEY)) {
			lkey = mlx4r_mr_tx_miss(txq, m);
			if (lkey == MLX4R_NO_LKEY)
				return MLX4R_TX_UNREG;
		}
		d->lkey = lkey;
		d->addr = rte_cpu_to_be_64(a);
		d->byte_count = rte_cpu_to_be_32(m->data_len != 0 ?
						 m->data_len :
						 MLX4_INLINE_SEG);
		return 0;
	}
	if (unlikely(nb_segs > MLX4R_MAX_TX_SEGS))
		return MLX4R_TX_TOO_MANY;
	return unlikely(mlx4r_tx_segs(txq, m, pi) != 0) ? MLX4R_TX_UNREG : 0;
}

/*
 * The control segment of the WQE at TXBB @p pi, its owner word (opcode
 * @p op, the owner bit of the pass over the @p cnt TXBBs) last: the completion request every
 * comp_thresh TXBBs, the DS count, the flags, a VF's destination MAC.
 */
static __rte_always_inline void
mlx4r_tx_ctrl(struct mlx4r_txq *txq, struct mlx4_wqe_ctrl_seg *ctrl,
	      const struct rte_mbuf *m, uint32_t pi, uint32_t ds,
	      uint32_t txbbs, uint32_t flags, uint32_t op, uint32_t cnt,
	      bool lb, uint32_t *pending, uint32_t thresh)
{
	union {
		uint32_t flags;
		uint16_t flags16[2];
	} rb;

	*pending += txbbs;
	if (*pending >= thresh) {
		flags |= MLX4_WQE_CTRL_CQ_UPDATE;
		*pending = 0;
		txq->sig[txq->sig_pi++ & txq->sig_mask] = pi + txbbs;
	}
	/*
	 * The whole second word: no VLAN to insert (vlan_tag and ins_vlan,
	 * which mlx4_en en_tx.c mlx4_en_xmit writes in every WQE, may hold
	 * an older WQE's lkey bytes), no fence, the DS count.
	 */
	ctrl->bf_qpn = rte_cpu_to_be_32(ds);
	rb.flags = rte_cpu_to_be_32(flags);
	if (unlikely(lb)) {
		/*
		 * The destination MAC, for the eSwitch: its first two bytes
		 * in the high half of srcrb_flags, the other four in imm
		 * (upstream mlx4_rxtx.c mlx4_tx_burst).
		 */
		const uint8_t *dmac = rte_pktmbuf_mtod(m, const uint8_t *);

		memcpy(&rb.flags16[0], dmac, 2);
		memcpy(&ctrl->imm, dmac + 2, 4);
	} else {
		ctrl->imm = 0;
	}
	ctrl->srcrb_flags = rb.flags;
	/* the owner word hands the WQE over: write it last */
	rte_io_wmb();
	ctrl->owner_opcode = rte_cpu_to_be_32(op |
		((pi & cnt) ? MLX4R_WQE_OWNER_BIT : 0));
}

/*
 * TXBBs of the WQE of frame @p m (TSO or not, as the burst builds it), or
 * UINT32_MAX when its TSO header is not one the device takes
 * (mlx4r_tx_lso()).
 */
static uint32_t
mlx4r_tx_wqe_txbbs(const struct rte_mbuf *m)
{
	uint32_t hdr;

	if (!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG))
		return (1 + m->nb_segs + 3) / 4;
	hdr = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	if (m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK)
		hdr += (uint32_t)m->outer_l2_len + m->outer_l3_len;
	if (hdr == 0 || hdr > MLX4R_TSO_MAX_HDR || hdr > m->data_len ||
	    m->tso_segsz == 0)
		return UINT32_MAX;
	return (mlx4r_tx_lso_ds(hdr, m->nb_segs - (m->data_len == hdr)) + 3) /
	       4;
}

/*
 * tx_pkt_prepare (rte_eth_tx_prepare()): the frames a WQE can take. A
 * frame of more segments than its WQE holds (MLX4R_MAX_TX_SEGS; with TSO,
 * fewer as the header inline grows: mlx4r_tx_lso_ds()) or with a TSO
 * header the device does not take stops it, rte_errno EINVAL: the burst
 * would stop at it (mlx4r_tx_burst()). Reads only the mbufs, not the
 * queue. Nothing to compute for the checksums: the device needs no
 * pseudo-header in them (upstream net_mlx4 has no tx_prepare).
 */
uint16_t
mlx4r_tx_prepare(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	RTE_SET_USED(q);
	for (i = 0; i < n; i++) {
		if (unlikely(mlx4r_tx_wqe_txbbs(pkts[i]) >
			     MLX4R_MAX_WQE_TXBBS)) {
			rte_errno = EINVAL;
			break;
		}
	}
	return i;
}

/* What the frames of a Tx burst advance (mlx4r_tx_frames()). */
struct mlx4r_tx_pos {
	uint32_t pi;       /**< SQ producer index (TXBBs) */
	uint32_t pending;  /**< TXBBs since the last completion request */
	uint16_t sent;     /**< frames taken (posted or dropped) */
	uint16_t posted;   /**< frames posted */
	uint64_t bytes;    /**< their bytes */
};

/*
 * The WQEs of frames @p pkts[0, n) from pos->pi on, up to a full ring or
 * a frame of too many segments. Compiled twice: @p plain for a queue with
 * no offload enabled (txq->ofl 0) that is not a VF's (txq->lb false), the
 * common case, whose loop has neither test (constants); the other with
 * both from the queue. The queue's fields in locals: the WQE stores below
 * may alias them as far as the compiler knows, which would reload each
 * per frame.
 */
static __rte_always_inline void
mlx4r_tx_frames(struct mlx4r_txq *txq, struct rte_mbuf **pkts, uint16_t n,
		struct mlx4r_tx_pos *pos, const bool plain)
{
	const uint32_t mask = txq->txbb_cnt - 1;
	const uint32_t sq_ci = txq->sq_ci;
	const uint32_t txbb_max = txq->txbb_max;
	const uint32_t thresh = txq->comp_thresh;
	const uint32_t srcrb = txq->srcrb;
	const uint64_t ofl = plain ? 0 : txq->ofl;
	const bool lb = plain ? false : txq->lb;
	uint8_t *sq = txq->sq;
	struct rte_mbuf **elts = txq->elts;
	uint32_t pi = pos->pi, pending = pos->pending;
	uint64_t bytes = 0;
	uint16_t i, sent = 0, posted = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t nb_segs = m->nb_segs;
		int r;
		uint32_t ds = 1 + nb_segs;
		uint32_t txbbs = (ds + 3) / 4;
		uint32_t flags = srcrb;
		/* no load of ol_flags while no offload is enabled */
		uint64_t ol = unlikely(ofl != 0) ? m->ol_flags & ofl : 0;
		struct mlx4_wqe_ctrl_seg *ctrl = (struct mlx4_wqe_ctrl_seg *)
			(sq + ((size_t)(pi & mask) << MLX4R_TXBB_SHIFT));

		/*
		 * One test for what needs no offload (txq->ofl); the WQE of
		 * an offloaded frame is written by the same code with its
		 * own opcode (a constant for the others).
		 */
		if (unlikely(ol != 0)) {
			uint32_t op = MLX4_OPCODE_SEND;

			if (ol & RTE_MBUF_F_TX_TCP_SEG) {
				r = mlx4r_tx_lso(txq, m, pi,
						 txbb_max - (pi - sq_ci));

				if (r == 0)
					break; /* ring full: the caller
						* keeps the rest */
				if (r == -2)
					goto too_many;
				if (r < 0)
					goto drop;
				ds = (uint32_t)r;
				txbbs = (ds + 3) / 4;
				/*
				 * Both checksums, as mlx4_en on every LSO
				 * WQE (a GSO skb is CHECKSUM_PARTIAL:
				 * en_tx.c mlx4_en_xmit); the header-size
				 * bit as upstream and mlx4_en set it.
				 */
				op = MLX4_OPCODE_LSO | MLX4R_WQE_CTRL_LSO_BLH;
				if (likely(!(m->ol_flags &
					     RTE_MBUF_F_TX_TUNNEL_MASK))) {
					flags |= MLX4_WQE_CTRL_IP_HDR_CSUM |
						 MLX4_WQE_CTRL_TCP_UDP_CSUM;
				} else {
					/* VXLAN: the inner ones, the outer IP */
					op |= MLX4R_WQE_CTRL_IIP_CSUM |
					      MLX4R_WQE_CTRL_IL4_CSUM;
					if (m->ol_flags &
					    RTE_MBUF_F_TX_OUTER_IP_CKSUM)
						flags |=
						    MLX4_WQE_CTRL_IP_HDR_CSUM;
				}
			} else {
				mlx4r_tx_csum(txq, m, ol, &flags, &op);
				if (pi + txbbs - sq_ci > txbb_max) {
					if (nb_segs > MLX4R_MAX_TX_SEGS)
						goto too_many;
					break; /* ring full */
				}
				r = mlx4r_tx_data(txq, m, ctrl, pi, nb_segs);
				if (unlikely(r != 0))
					goto refused;
			}
			mlx4r_tx_ctrl(txq, ctrl, m, pi, ds, txbbs, flags,
				      op, mask + 1, lb, &pending, thresh);
		} else {
			/*
			 * A frame of more segments than a WQE holds may
			 * look larger than the room left: told apart from
			 * a full ring there, else it would stop every
			 * burst uncounted. Tested only past a full ring and
			 * for a frame of several segments (mlx4r_tx_data()).
			 */
			if (pi + txbbs - sq_ci > txbb_max) {
				if (nb_segs > MLX4R_MAX_TX_SEGS)
					goto too_many;
				break; /* ring full: the caller keeps the rest */
			}
			r = mlx4r_tx_data(txq, m, ctrl, pi, nb_segs);
			if (unlikely(r != 0))
				goto refused;
			mlx4r_tx_ctrl(txq, ctrl, m, pi, ds, txbbs, flags,
				      MLX4_OPCODE_SEND, mask + 1, lb,
				      &pending, thresh);
		}
		elts[pi & mask] = m;
		pi += txbbs;
		bytes += m->pkt_len;
		posted++;
		sent++;
		continue;
refused:
		if (r == MLX4R_TX_TOO_MANY)
			goto too_many;
		/* memory the device cannot read (not registered): dropped */
		txq->mr_miss++;
drop:
		txq->oerrors++;
		rte_pktmbuf_free(m);
		sent++;
		continue;
too_many:
		/*
		 * More segments than one WQE holds (MLX4R_MAX_TX_SEGS, fewer
		 * with TSO's inline header): nothing written; the burst
		 * stops at the frame, which stays with the caller, as
		 * upstream's does (mlx4_tx_burst_segs() and
		 * mlx4_tx_burst_tso_get_params() fail, mlx4_tx_burst()
		 * stops); counted each time it is offered. tx_prepare
		 * (mlx4r_tx_prepare()) says EINVAL for it.
		 */
		txq->oerrors++;
		txq->too_many_segs++;
		break;
	}
	pos->pi = pi;
	pos->pending = pending;
	pos->sent = sent;
	pos->posted = posted;
	pos->bytes = bytes;
}

/*
 * mlx4r_tx_frames() for a plain queue (no offload, not a VF's) while its
 * frames are of one segment each in registered memory: the same WQE (a
 * control and a data segment in one TXBB, the owner word last) with what
 * the general loop computes per frame constant here (one TXBB, DS count
 * 2, the source flags' byte order) and the ring's room counted once: at
 * most @p n and the room, no frame dropped, so one count for frames
 * taken and posted. Stops at the first frame it cannot take as the
 * common one (several segments, or memory neither the lkey cache nor the
 * device's table holds), which mlx4r_tx_frames() then takes on (for the
 * latter: mlx4r_mr_tx_miss(), else the drop).
 */
static __rte_always_inline void
mlx4r_tx_frames1(struct mlx4r_txq *txq, struct rte_mbuf **pkts, uint16_t n,
		 struct mlx4r_tx_pos *pos)
{
	const uint32_t cnt = txq->txbb_cnt;
	const uint32_t thresh = txq->comp_thresh;
	const uint32_t flags = rte_cpu_to_be_32(txq->srcrb);
	uint8_t *sq = txq->sq;
	struct rte_mbuf **elts = txq->elts;
	struct mlx4r_mr_cache *mc = &txq->mr;
	uint32_t pi = pos->pi, pending = pos->pending;
	const uint32_t room = txq->txbb_max - (pi - txq->sq_ci);
	const uint16_t lim = RTE_MIN((uint32_t)n, room);
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < lim; i++) {
		struct rte_mbuf *m = pkts[i];
		struct mlx4_wqe_ctrl_seg *ctrl = (struct mlx4_wqe_ctrl_seg *)
			(sq + ((size_t)(pi & (cnt - 1)) << MLX4R_TXBB_SHIFT));
		struct mlx4_wqe_data_seg *d =
			(struct mlx4_wqe_data_seg *)(ctrl + 1);
		uintptr_t a;
		uint32_t lkey, f = flags;

		if (unlikely(m->nb_segs != 1))
			break;
		a = rte_pktmbuf_mtod(m, uintptr_t);
		lkey = mlx4r_mr_lkey(mc, a, m->data_len);
		if (unlikely(lkey == MLX4R_NO_LKEY))
			break;
		/* mlx4r_tx_data() for one segment */
		d->lkey = lkey;
		d->addr = rte_cpu_to_be_64(a);
		d->byte_count = rte_cpu_to_be_32(m->data_len != 0 ?
						 m->data_len :
						 MLX4_INLINE_SEG);
		/* mlx4r_tx_ctrl() for one TXBB, DS 2, no MAC */
		if (++pending >= thresh) {
			f |= RTE_BE32(MLX4_WQE_CTRL_CQ_UPDATE);
			pending = 0;
			txq->sig[txq->sig_pi++ & txq->sig_mask] = pi + 1;
		}
		ctrl->bf_qpn = RTE_BE32(2);
		ctrl->srcrb_flags = f;
		ctrl->imm = 0;
		/* the owner word hands the WQE over: write it last */
		rte_io_wmb();
		ctrl->owner_opcode = (pi & cnt) ?
			RTE_BE32(MLX4_OPCODE_SEND | MLX4R_WQE_OWNER_BIT) :
			RTE_BE32(MLX4_OPCODE_SEND);
		elts[pi & (cnt - 1)] = m;
		pi++;
		bytes += m->pkt_len;
	}
	pos->pi = pi;
	pos->pending = pending;
	pos->sent = i;
	pos->posted = i;
	pos->bytes = bytes;
}

/*
 * @p sec: the burst of a secondary process, which rings the doorbell
 * through its own mapping of the UAR (struct mlx4r_proc, mlx4r_mp.c); a
 * constant, so that the primary's burst is the code it was.
 */
static __rte_always_inline uint16_t
mlx4r_tx_burst_tmpl(void *q, struct rte_mbuf **pkts, uint16_t n,
		    const bool sec)
{
	struct mlx4r_txq *txq = q;
	struct mlx4r_tx_pos pos;
	volatile uint32_t *sdb;

	if (!MLX4R_QUEUE_IS(q, MLX4R_TXQ_TAG))
		return 0;
	MLX4R_BURST_ENTER(txq);
	if (MLX4R_BURST_BARRED(txq)) {
		MLX4R_BURST_REFUSED(txq, n);
		MLX4R_BURST_LEAVE(txq);
		return 0;
	}
	/* queue state only past the bar check (see mlx4r_rx_burst) */
	if (sec) {
		const struct mlx4r_proc *pp =
			rte_eth_devices[txq->port_id].process_private;
		/*
		 * Acquire: pairs with the release store of the map by this
		 * process's multi-process thread (mlx4r_mp.c
		 * mlx4r_mp_map_publish()), whose fields are then visible.
		 * A map of an older context (the primary's reset made a new
		 * one, whose UAR this process has not mapped yet) refuses:
		 * its doorbell would ring another context's page. gen is
		 * rewritten in place when the page is (release, after the
		 * page moved: mlx4r_mp_link.c mlx4r_mp_map_in_place()); the
		 * acquire load orders the doorbell write after it.
		 */
		const struct mlx4r_uar_map *map = pp == NULL ? NULL :
			__atomic_load_n(&pp->map, __ATOMIC_ACQUIRE);

		if (unlikely(map == NULL ||
			     __atomic_load_n(&map->gen, __ATOMIC_ACQUIRE) !=
			     txq->ctx_gen)) {
			MLX4R_BURST_REFUSED(txq, n);
			MLX4R_BURST_LEAVE(txq);
			return 0;
		}
		sdb = (volatile uint32_t *)(map->uar +
			((uintptr_t)txq->sdb & (map->page - 1)));
	} else {
		sdb = txq->sdb;
	}
	mlx4r_mr_cache_sync(&txq->mr);
	if (unlikely(mlx4r_txq_complete(txq) != 0)) {
		/* the QP is in error, the queue barred until its repair */
		MLX4R_BURST_REFUSED(txq, n);
		MLX4R_BURST_LEAVE(txq);
		return 0;
	}
	pos.pi = txq->sq_pi;
	pos.pending = txq->comp_pending;
	if (likely(txq->ofl == 0 && !txq->lb)) {
		mlx4r_tx_frames1(txq, pkts, n, &pos);
		if (unlikely(pos.sent < n)) {
			/* the rest from the first frame it did not take */
			struct mlx4r_tx_pos more = {
				.pi = pos.pi, .pending = pos.pending,
			};

			mlx4r_tx_frames(txq, pkts + pos.sent, n - pos.sent,
					&more, true);
			pos.pi = more.pi;
			pos.pending = more.pending;
			pos.sent += more.sent;
			pos.posted += more.posted;
			pos.bytes += more.bytes;
		}
	} else {
		mlx4r_tx_frames(txq, pkts, n, &pos, false);
	}
	txq->comp_pending = pos.pending;
	if (pos.pi != txq->sq_pi) {
		txq->opackets += pos.posted;
		txq->obytes += pos.bytes;
		txq->sq_pi = pos.pi;
		/* WQEs in memory before the doorbell reaches the device */
		rte_wmb();
		rte_write32_relaxed(txq->doorbell_qpn, sdb);
	}
	/* no hook in a secondary: forwarding needs a backend without one */
	if (!sec)
		mlx4r_hw_hook_call(&txq->hook);
	MLX4R_BURST_LEAVE(txq);
	return pos.sent;
}

uint16_t
mlx4r_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return mlx4r_tx_burst_tmpl(q, pkts, n, false);
}

uint16_t
mlx4r_tx_burst_secondary(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return mlx4r_tx_burst_tmpl(q, pkts, n, true);
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
