/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_H
#define MLX4R_H

/*
 * Private definitions shared by the files of the driver.
 *
 * One vdev instance ("net_mlx4r0") is one HCA: the *device core*
 * (struct mlx4r_dev) owns the hardware context, the PD, the registered
 * memory and the async-event handler the ports share, and each physical
 * port is an ethdev whose private data is a struct mlx4r_port, a client of
 * the device core. Everything the driver asks of the device goes through
 * the hardware seam (mlx4r_hw.h).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/queue.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_rwlock.h>
#include <rte_spinlock.h>

#include <ethdev_driver.h>

#include "mlx4r_devargs.h"
#include "mlx4r_hw.h"

#define MLX4R_DRIVER_NAME net_mlx4r

#define MLX4R_MIN_DESC 64
#define MLX4R_MAX_DESC 8192
#define MLX4R_DEFAULT_DESC 512
/* Frame limits of a ConnectX-3 Ethernet port. */
#define MLX4R_MIN_MTU RTE_ETHER_MIN_MTU
#define MLX4R_MAX_MTU 9600
#define MLX4R_MAX_RX_PKTLEN (MLX4R_MAX_MTU + RTE_ETHER_HDR_LEN + \
			     RTE_ETHER_CRC_LEN + 2 * 4 /* two VLAN tags */)
/*
 * Largest number of segments of a Tx frame: a control segment and 31 data
 * segments make a 512-byte WQE of 8 TXBBs, the largest upstream net_mlx4
 * (mlx4_prm.h MLX4_MAX_WQE_SIZE, TXBB-aligned in mlx4_tx_burst_segs) and
 * mlx4_en (mlx4_en.h MAX_DESC_SIZE) post; the firmware's limit
 * (QUERY_DEV_CAP max_sq_desc_sz) is above it.
 */
#define MLX4R_MAX_TX_SEGS 31
/*
 * Segments of any TSO frame: a WQE of 32 units less the control segment
 * and the LSO segment of the largest header inline (4 + 192 bytes, 13
 * units: mlx4r_tx_lso_ds()); 19 when the first mbuf holds only the header.
 * tx_desc_lim.nb_seg_max with TSO (ethdev: "for TSO packets, the total
 * number of data descriptors").
 */
#define MLX4R_MAX_TSO_SEGS 18
/* TXBBs of the largest Tx WQE (control + MLX4R_MAX_TX_SEGS segments). */
#define MLX4R_MAX_WQE_TXBBS \
	(((1 + MLX4R_MAX_TX_SEGS) * 16 + MLX4R_TXBB_SIZE - 1) / MLX4R_TXBB_SIZE)
/*
 * TSO: the largest header (L2 + L3 + L4) of a TSO frame, upstream's
 * (mlx4.h MLX4_MAX_TSO_HEADER), and the largest segment a port sends
 * (header + MSS: MTU + Ethernet header + one VLAN tag). An LSO WQE is at
 * most MLX4R_MAX_WQE_TXBBS, as upstream's (mlx4_rxtx.c
 * mlx4_tx_burst_tso_get_params, MLX4_MAX_WQE_SIZE).
 */
#define MLX4R_TSO_MAX_HDR 192
#define MLX4R_TSO_MAX_FRAME (MLX4R_MAX_MTU + RTE_ETHER_HDR_LEN + 4)

/**
 * DS count (16-byte units) of an LSO WQE of a @p hdr -byte header and
 * @p nd data segments: the control segment, struct mlx4_wqe_lso_seg with
 * the header inline padded to 16 bytes (libmlx4 qp.c mlx4_calc_sq_wqe_size,
 * Linux mlx4_ib qp.c build_lso_seg), the data segments. The one place
 * of the driver's LSO WQE size.
 */
static inline uint32_t
mlx4r_tx_lso_seg(uint32_t hdr)
{
	return (4 + hdr + 15) & ~15u; /* bytes of the padded LSO segment */
}

static inline uint32_t
mlx4r_tx_lso_ds(uint32_t hdr, uint32_t nd)
{
	return 1 + mlx4r_tx_lso_seg(hdr) / 16 + nd;
}

/* Largest number of segments of an Rx WQE. */
#define MLX4R_MAX_RX_SEGS 16
/* Entries of the RSS redirection table (the device's indirection table). */
#define MLX4R_RETA_SIZE 64
#define MLX4R_RSS_KEY_LEN 40
/* Marker of a missing lkey. */
#define MLX4R_NO_LKEY UINT32_MAX
/* Memory ranges a device core registers (one MR per mempool chunk). */
#define MLX4R_MR_MAX 256
/* Per-queue cache of recently used memory ranges. */
#define MLX4R_MR_CACHE 8
/* MAC addresses a port filters on (index 0 is the default one). */
#define MLX4R_MAX_MAC 16
/*
 * Multicast addresses of a port (set_mc_addr_list). Upstream net_mlx4
 * keeps them in the tail of its 128 MAC slots (mlx4.h
 * MLX4_MAX_MAC_ADDRESSES, mlx4_ethdev.c mlx4_set_mc_addr_list): mlx4r
 * keeps the same 128 slots, the unicast ones first (MLX4R_MAX_MAC).
 */
#define MLX4R_MAC_SLOTS 128
#define MLX4R_MAX_MC MLX4R_MAC_SLOTS
/*
 * Steering rules a port may hold: each address (unicast, multicast,
 * broadcast) once per filtered VLAN, plus the promiscuous or
 * all-multicast rule. A driver limit: a ConnectX-3 holds more (its MCG
 * table), and answers a full table with -ENOMEM (Linux mlx4 cmd.c
 * mlx4_status_to_errno: CMD_STAT_EXCEED_LIM), the errno mlx4r gives too.
 */
#define MLX4R_MAX_FLOWS 4096
/* No VLAN in a steering rule. */
#define MLX4R_NO_VLAN UINT16_MAX
/*
 * Last and lowest priority of a steering rule: mlx4_ib's largest
 * (Linux mlx4 main.c MLX4_IB_FLOW_MAX_PRIO, __mlx4_ib_create_flow: above
 * it -EINVAL), the one of upstream's internal rules (mlx4_flow.h
 * MLX4_FLOW_PRIORITY_LAST).
 */
#define MLX4R_FLOW_PRIO_LAST 0xfffu

#define MLX4R_RSS_OFFLOADS (RTE_ETH_RSS_IPV4 | \
			    RTE_ETH_RSS_FRAG_IPV4 | \
			    RTE_ETH_RSS_NONFRAG_IPV4_OTHER | \
			    RTE_ETH_RSS_NONFRAG_IPV4_TCP | \
			    RTE_ETH_RSS_NONFRAG_IPV4_UDP | \
			    RTE_ETH_RSS_IPV6 | \
			    RTE_ETH_RSS_FRAG_IPV6 | \
			    RTE_ETH_RSS_NONFRAG_IPV6_OTHER | \
			    RTE_ETH_RSS_NONFRAG_IPV6_TCP | \
			    RTE_ETH_RSS_NONFRAG_IPV6_UDP)

/* Log types (mlx4r_log.c). */
extern int mlx4r_logtype;
extern int mlx4r_logtype_init;
extern int mlx4r_logtype_reset;

#define DRV_LOG_(type, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, (type), "%s(): " fmt "%s\n", __func__, \
		__VA_ARGS__)
/** Log on pmd.net.mlx4r; adds the function name and the newline. */
#define DRV_LOG(level, ...) DRV_LOG_(mlx4r_logtype, level, __VA_ARGS__, "")
/** Log on pmd.net.mlx4r.init (probe, devargs, remove). */
#define INIT_LOG(level, ...) \
	DRV_LOG_(mlx4r_logtype_init, level, __VA_ARGS__, "")
/** Log on pmd.net.mlx4r.reset (the reset machine, quiescence, gate). */
#define RST_LOG(level, ...) \
	DRV_LOG_(mlx4r_logtype_reset, level, __VA_ARGS__, "")

/*
 * What a log line about one port says: the HCA (vdev name), the ethdev
 * port id an application knows, and the physical port of the HCA:
 * "net_mlx4r0: port 3 (physical port 2)". Use with MLX4R_PORT_ARGS().
 */
#define MLX4R_PORT_FMT "%s: port %u (physical port %u)"
#define MLX4R_PORT_ARGS(port) (port)->dev->name, \
	(port)->eth_dev->data->port_id, (port)->port_num

struct mlx4r_port;
struct mlx4r_dev;
struct mlx4r_dev_events;
struct mlx4r_reset;
struct mlx4r_rxq_intr;

/** One registered memory range (a mempool chunk). */
struct mlx4r_mr_range {
	uintptr_t start;   /**< first byte */
	uintptr_t end;     /**< one past the last byte */
	uint32_t lkey_be;  /**< lkey, big-endian as the WQE wants it */
};

/**
 * A queue's cache of the registered ranges it used last. Its entries are
 * copies of the device table's (mlx4r_mr.c); they are valid while gen
 * equals the table's generation, which the bursts compare once per burst
 * (mlx4r_mr_cache_sync()).
 */
struct mlx4r_mr_cache {
	struct mlx4r_mr_range e[MLX4R_MR_CACHE]; /**< recent ranges */
	uint32_t next;           /**< next entry to replace */
	uint32_t gen;            /**< table generation of the entries */
	struct mlx4r_dev *dev;   /**< device table to look up on a miss */
};

/*
 * Quiescence (mlx4r_quiesce.c): each queue has a single-writer marker
 * in_burst, set by the polling lcore for the duration of a burst, and a
 * flag barred, set by the control thread that wants the queue quiescent.
 * The burst stores in_burst (relaxed), then (compiler-only fence) loads
 * barred (acquire); it clears in_burst with a release store on exit. The
 * control side sets barred, issues membarrier(PRIVATE_EXPEDITED) as the
 * fence of both sides, then waits until in_burst reads 0. No atomic RMW,
 * no fence in the burst. Both are accessed with __atomic builtins only.
 * The value stored is the process's tag, mlx4r_burst_tag: so a marker
 * left set by a secondary that died inside a burst is told from a live
 * lcore's, and stops counting once that process is proven gone.
 */

/* The primary's lcores' in_burst value; also every unnamed process's. */
#define MLX4R_TAG_PRIMARY 1
/* First tag the primary gives a forwarding secondary (mlx4r_mp.c). */
#define MLX4R_TAG_FIRST_SECONDARY 2
/* A secondary the primary could not name (no pidfd, tags used up). */
#define MLX4R_TAG_UNTRACKED 255
/*
 * This process's in_burst value: MLX4R_TAG_PRIMARY, or the tag the
 * primary gave this secondary (mlx4r_mp_secondary_attach(), before its
 * first burst). Relaxed atomics: set once per process, before its lcores
 * poll the queues (and again with the same value by a later attach).
 */
extern uint8_t mlx4r_burst_tag;

/*
 * First byte of every queue structure, checked by the bursts before they
 * store anything (mlx4r_rxtx.c): ethdev may hand a burst its dummy queue
 * object instead, whose first byte is a bool (0 or 1).
 */
#define MLX4R_RXQ_TAG 0xa5
#define MLX4R_TXQ_TAG 0x5a

/*
 * Lifetime of the queue structures: type-stable for the life of the
 * device. The structure of (port, queue index) is allocated at the first
 * set-up of that index, reused at the same address by every later set-up
 * (after a release, a reconfigure, a passive reset), and freed only with
 * the device (mlx4r_dev_core_free()). A released structure keeps its tag
 * and stays barred. So a burst called with a pointer loaded at any time
 * before, however late, finds the guard (tag, in_burst, barred, refused)
 * of a queue, refuses if barred, and touches nothing else: the condition
 * the quiescence proof needs (mlx4r_quiesce.c). Set-up re-initialises
 * everything after the guard (the reinit marker).
 */

/** Receive queue: a receive WQ and its CQ. Burst fields first. */
struct mlx4r_rxq {
	/* the guard: valid for the life of the device */
	uint8_t tag;               /**< MLX4R_RXQ_TAG (offset 0) */
	uint8_t in_burst;          /**< process tag while a burst runs (one writer) */
	uint8_t barred;            /**< set by the control path: refuse */
	uint64_t refused;          /**< bursts refused while barred */
	RTE_MARKER reinit;         /**< set-up zeroes from here on */
	uint8_t sges_log;          /**< log2 of data segments per WQE */
	uint8_t csum;              /**< report checksum flags in ol_flags */
	/**
	 * ConnectX-3 Pro with checksum offloads: a tunnelled frame's CQE
	 * (MLX4R_CQE_L2_TUNNEL) gives tunnel packet types and the outer
	 * UDP checksum flag (upstream mlx4_rxq.c csum_l2tun, l2tun_offload)
	 */
	uint8_t l2tun;
	uint8_t rss_hash;          /**< report the RSS hash (RX_RSS_HASH) */
	/**
	 * one data segment per 16-byte WQE (no Rx scatter): the burst's
	 * one-segment loop may serve the queue (mlx4r_rx_frames1())
	 */
	uint8_t seg1;
	uint16_t port_id;          /**< ethdev port, for mbuf->port */
	uint16_t cqe_off;          /**< offset of the CQE in a CQ entry */
	uint32_t rq_ci;            /**< WQEs consumed (free-running) */
	uint32_t cq_ci;            /**< CQ consumer index (free-running) */
	uint32_t wqe_mask;         /**< WQEs in the WQ - 1 */
	uint32_t cqe_mask;         /**< CQ entries - 1 */
	uint32_t cqe_cnt;          /**< CQ entries (wrap parity bit) */
	uint32_t cqe_shift;        /**< log2 of the CQ entry size */
	uint32_t seg_first_len;    /**< bytes of the first segment */
	uint32_t seg_len;          /**< bytes of the other segments */
	uint8_t *wqes;             /**< the WQ buffer */
	uint32_t wqe_shift;        /**< log2 of the WQE size */
	struct mlx4r_mr_cache mr;  /**< lkeys of the buffers it posts */
	uint8_t *cqes;             /**< the CQ buffer */
	volatile uint32_t *rq_db;  /**< RQ doorbell record */
	volatile uint32_t *cq_db;  /**< CQ doorbell record (set_ci) */
	struct rte_mbuf **elts;    /**< posted mbufs, sges per WQE */
	struct rte_mempool *mp;    /**< pool of the receive buffers */
	struct mlx4r_hw_hook hook; /**< per-burst hook (NULL on hardware) */
	uint64_t ipackets;         /**< frames received (single writer) */
	uint64_t ibytes;           /**< bytes received (single writer) */
	uint64_t ierrors;          /**< error CQEs (single writer) */
	uint64_t rx_nombuf;        /**< frames dropped: no mbuf to repost */
	/**
	 * The WQ is in error (an error CQE): set by the lcore, which bars
	 * its queue, cleared by its repair (mlx4r_repair.c) and by start.
	 */
	uint8_t fault;
	/* control path only below */
	struct mlx4r_port *port;   /**< owning port */
	struct mlx4r_hw_cq *cq;    /**< CQ (NULL while stopped) */
	struct mlx4r_hw_wq *wq;    /**< WQ (NULL while stopped) */
	uint64_t repairs;          /**< WQ repaired without a device reset */
	uint64_t flushed;          /**< WQEs whose frames an error lost */
	uint32_t nb_wqe;           /**< WQEs granted */
	uint32_t sges;             /**< data segments per WQE */
	/**
	 * Mbufs in elts kept by a reset's drain for the next start
	 * (mlx4r_rxq_keep()): posted to no WQ, counted when posted again
	 * (mbufs_kept) or freed (mbufs_reclaimed). 0 otherwise.
	 */
	uint32_t kept;
	/**
	 * Offset of the data buffer from its mbuf in the pool
	 * (sizeof(struct rte_mbuf) + private size), or 0 when the pool's
	 * mbufs carry pinned external buffers: posting reads buf_addr.
	 */
	uint32_t buf_off;
	uint16_t queue_id;         /**< index in the port */
	uint16_t nb_desc;          /**< descriptors, rounded as documented */
	int socket;                /**< NUMA node of the queue */
	uint64_t offloads;         /**< RTE_ETH_RX_OFFLOAD_* of the queue */
	uint8_t deferred;          /**< rx_deferred_start: stopped at start */
	/**
	 * Stopped by the application (rx_queue_stop, deferred start): its WQ
	 * in RESET, the queue barred. Set at each start from deferred, kept
	 * by a reset's replay (control lock).
	 */
	uint8_t stopped;
} __rte_cache_aligned;

/** Transmit queue: a raw-packet QP and its CQ. Burst fields first. */
struct mlx4r_txq {
	/* the guard: valid for the life of the device */
	uint8_t tag;               /**< MLX4R_TXQ_TAG (offset 0) */
	uint8_t in_burst;          /**< process tag while a burst runs (one writer) */
	uint8_t barred;            /**< set by the control path: refuse */
	uint64_t refused;          /**< packets refused while barred */
	RTE_MARKER reinit;         /**< set-up zeroes from here on */
	uint8_t lb;                /**< VF: destination MAC in each WQE */
	uint8_t csum;              /**< checksum offloads enabled */
	/**
	 * ConnectX-3 Pro with OUTER_IPV4_CKSUM: inner checksums of VXLAN
	 * frames (upstream mlx4_txq.c csum_l2tun)
	 */
	uint8_t l2tun;
	/** ConnectX-3 Pro with VXLAN_TNL_TSO: TSO of VXLAN frames */
	uint8_t tso_vxlan;
	/**
	 * The ol_flags that ask for work: the checksum ones while checksum
	 * offloads are enabled, RTE_MBUF_F_TX_TCP_SEG while TCP_TSO is
	 */
	uint64_t ofl;
	uint32_t tso_max;          /**< largest TSO payload (tso_caps) */
	uint32_t srcrb;            /**< srcrb flags of every WQE (host) */
	uint32_t sq_pi;            /**< TXBBs posted (free-running) */
	uint32_t sq_ci;            /**< TXBBs completed (free-running) */
	uint32_t txbb_cnt;         /**< TXBBs in the SQ (power of two) */
	uint32_t txbb_max;         /**< TXBBs that may be outstanding: all
				    *   but the prefetch headroom */
	uint32_t comp_thresh;      /**< TXBBs between completion requests */
	uint32_t comp_pending;     /**< TXBBs posted since the last request */
	uint32_t cq_ci;            /**< CQ consumer index (free-running) */
	uint32_t cqe_mask;         /**< CQ entries - 1 */
	uint32_t cqe_cnt;          /**< CQ entries (wrap parity bit) */
	uint16_t cqe_off;          /**< offset of the CQE in a CQ entry */
	uint16_t cqe_shift;        /**< log2 of the CQ entry size */
	uint32_t sig_pi;           /**< completion requests made */
	uint32_t sig_ci;           /**< completion requests answered */
	uint32_t sig_mask;         /**< entries of sig[] - 1 */
	uint32_t doorbell_qpn;     /**< send doorbell value (big-endian) */
	uint8_t *sq;               /**< the SQ buffer (TXBBs) */
	uint8_t *cqes;             /**< the CQ buffer */
	volatile uint32_t *sdb;    /**< send doorbell (UAR + 0x14) */
	volatile uint32_t *cq_db;  /**< CQ doorbell record (set_ci) */
	uint32_t *sig;             /**< sq_pi after each requested WQE */
	struct rte_mbuf **elts;    /**< mbuf of the WQE at each first TXBB */
	struct mlx4r_mr_cache mr;  /**< lkeys of the memory it sends */
	struct mlx4r_hw_hook hook; /**< per-burst hook (NULL on hardware) */
	uint64_t opackets;         /**< frames sent (single writer) */
	uint64_t obytes;           /**< bytes sent (single writer) */
	uint64_t oerrors;          /**< frames refused or failed */
	uint64_t mr_miss;          /**< frames from unregistered memory */
	uint64_t tso_refused;      /**< TSO frames refused (mlx4r_tx_lso) */
	uint64_t too_many_segs;    /**< bursts stopped: more segs than a WQE */
	uint64_t mr_ondemand;      /**< pools registered by the burst */
	/**
	 * The QP is in error (an error CQE, or QP_FATAL): set by the lcore
	 * (or the control thread), which bars the queue, cleared by its
	 * repair (mlx4r_repair.c) and by start.
	 */
	uint8_t fault;
	/*
	 * A secondary process's burst (mlx4r_tx_burst_secondary()): its own
	 * mapping of the UAR, struct mlx4r_proc of rte_eth_devices[port_id],
	 * for the device context of generation ctx_gen (struct mlx4r_dev
	 * mp_gen when the QP was made). Written at start, with the queue.
	 */
	uint16_t port_id;          /**< ethdev port (the same in every process) */
	uint32_t ctx_gen;          /**< mp_gen of the QP's device context */
	/* control path only below */
	struct mlx4r_port *port;   /**< owning port */
	struct mlx4r_hw_cq *cq;    /**< CQ (NULL while stopped) */
	struct mlx4r_hw_qp *qp;    /**< raw QP (NULL while stopped) */
	uint64_t repairs;          /**< QP repaired without a device reset */
	/** QP error events about it found stale (repaired since) */
	uint64_t stale_events;
	uint64_t flushed;          /**< frames failed or flushed, freed */
	uint16_t queue_id;         /**< index in the port */
	uint16_t nb_desc;          /**< descriptors, rounded as documented */
	int socket;                /**< NUMA node of the queue */
	uint64_t offloads;         /**< RTE_ETH_TX_OFFLOAD_* of the queue */
	uint8_t deferred;          /**< tx_deferred_start: stopped at start */
	/**
	 * Stopped by the application (tx_queue_stop, deferred start): no QP
	 * nor CQ, the queue barred. Set at each start from deferred, kept by
	 * a reset's replay (control lock).
	 */
	uint8_t stopped;
} __rte_cache_aligned;

/** A steering rule of a port, as the driver asked for it. */
struct mlx4r_flow_spec {
	enum ibv_flow_attr_type type; /**< NORMAL (on mac), ALL/MC_DEFAULT */
	struct rte_ether_addr mac;    /**< destination MAC of a NORMAL rule */
	uint16_t vlan;                /**< its VLAN ID, or MLX4R_NO_VLAN */
};

/** The application's rte_flow rules of a port (mlx4r_flow_api.c). */
struct rte_flow;
TAILQ_HEAD(mlx4r_rte_flow_list, rte_flow);
struct mlx4r_flow_rss;
LIST_HEAD(mlx4r_flow_rss_list, mlx4r_flow_rss);

/** One physical port: the private data of its ethdev. */
struct mlx4r_port {
	struct mlx4r_dev *dev;        /**< the HCA this port belongs to */
	struct rte_eth_dev *eth_dev;  /**< its ethdev */
	uint8_t port_num;             /**< verbs port number, 1-based */
	bool started;                 /**< between dev_start and dev_stop */
	/**
	 * A reset's drain stops the port for its replay: the posted Rx
	 * buffers stay in the queues' rings (mlx4r_rxq_keep()). Control
	 * lock, only across that stop.
	 */
	bool keep_rx;
	/**
	 * Rx buffers a reset kept (mlx4r_rxq_keep()) that a start posted
	 * again into a new WQ, and those freed instead (no start took
	 * them): control lock; reported as mbufs_kept and in
	 * mbufs_reclaimed (rte_pmd_mlx4r_reset_state).
	 */
	uint64_t rx_kept_posted;
	uint64_t rx_kept_freed;
	bool gen_unplugged;           /**< generator wire off for lpbk_mode */
	/**
	 * The application set the link down (dev_set_link_down): the
	 * netdev stays down, through start and reset, until set_link_up.
	 */
	bool link_down;
	/**
	 * Flow control the application set (flow_ctrl_set): applied again
	 * at each start, since a catastrophic reset makes the netdev anew
	 * with mlx4_en's defaults (pause on both ways).
	 */
	bool pause_set;
	struct mlx4r_hw_pause pause;  /**< what it set */
	struct rte_ether_addr mac;    /**< permanent address of the port */
	struct mlx4r_hw_ind_table *ind; /**< RSS indirection (started) */
	struct mlx4r_hw_qp *rss_qp;   /**< receive hash QP (started) */
	struct mlx4r_hw_flow *flows[MLX4R_MAX_FLOWS]; /**< steering rules */
	struct mlx4r_flow_spec flow_spec[MLX4R_MAX_FLOWS]; /**< of flows[] */
	unsigned int nb_flows;        /**< rules in flows[] */
	/**
	 * The application's rte_flow rules (mlx4r_flow_api.c), in creation
	 * order: kept across stop, start and resets, on the device while
	 * the port runs (control lock).
	 */
	struct mlx4r_rte_flow_list rte_flows;
	/** Isolated mode (rte_flow_isolate): no internal rules. */
	bool isolated;
	/**
	 * The RSS contexts (indirection table and hash QP) of the rules on
	 * the device, each shared by the rules of the same queues, key and
	 * hash fields (mlx4r_flow_api.c rss_get()).
	 */
	struct mlx4r_flow_rss_list flow_rss;
	struct mlx4r_hw_cq *drop_cq;  /**< CQ of the drop QP */
	struct mlx4r_hw_qp *drop_qp;  /**< QP of the drop rules */
	unsigned int drop_refs;       /**< rules on drop_qp */
	uint16_t reta[MLX4R_RETA_SIZE]; /**< RSS redirection table */
	uint8_t rss_key[MLX4R_RSS_KEY_LEN]; /**< RSS hash key */
	uint64_t rss_hf;              /**< RTE_ETH_RSS_* hashed */
	/**
	 * Multicast addresses (set_mc_addr_list): kept by the port across
	 * stop, start and resets, steered while the port runs.
	 */
	struct rte_ether_addr mc[MLX4R_MAX_MC];
	uint32_t nb_mc;               /**< entries of mc[] */
	/**
	 * Firmware version (ibv_device_attr.fw_ver), as last read from the
	 * device: at probe and at each fw_version_get of a live device.
	 */
	char fw_ver[64];
	/** The device keeps the FCS on request (SCATTER_FCS), at probe. */
	bool keep_crc_cap;
	/**
	 * Largest TSO payload, 0 without TSO: tso_caps.max_tso when
	 * supported_qpts has RAW_PACKET (upstream mlx4.c priv->tso,
	 * tso_max_payload_sz).
	 */
	uint32_t tso_max;
	/**
	 * A ConnectX-3 Pro: tunnel (VXLAN) checksum offloads (upstream
	 * mlx4.c hw_csum_l2tun: vendor_part_id 0x1007).
	 */
	bool l2tun_cap;
	char netdev[16];              /**< its kernel netdev, "" if none */
	unsigned int ifindex;         /**< interface index of the netdev */
	struct mlx4r_hw_port_counters cnt_base; /**< at the last reset */
	/**
	 * The driver's own list of the port's queues: set up and not yet
	 * released, by queue index (control lock). Every walk of the
	 * driver (reset, stop, close, statistics) reads these, never
	 * ethdev's rx_queues[]/tx_queues[], which ethdev reallocates and
	 * frees without the driver's lock.
	 */
	struct mlx4r_rxq *rxqs[MLX4R_MAX_QUEUES];
	struct mlx4r_txq *txqs[MLX4R_MAX_QUEUES]; /**< see rxqs */
	/**
	 * Rx interrupts (mlx4r_intr.c): the ethdev's intr_handle, whose
	 * efds are the queues' stable fds; NULL until a start with
	 * intr_conf.rxq. Control lock.
	 */
	struct rte_intr_handle *rx_intr;
};

/** The device core: one per HCA (vdev instance). */
struct mlx4r_dev {
	char name[RTE_DEV_NAME_MAX_LEN]; /**< vdev name */
	struct mlx4r_args args;          /**< devargs */
	int socket_id;                   /**< NUMA node of the vdev */
	unsigned int nb_live_ports;      /**< ports not yet closed */
	struct mlx4r_port *ports[MLX4R_MAX_PORTS]; /**< NULL once closed */
	const struct mlx4r_hw_ops *ops;  /**< backend */
	struct mlx4r_hw_ctx *ctx;        /**< device context */
	struct mlx4r_hw_pd *pd;          /**< protection domain */
	bool emu_owned;                  /**< the emulated device is ours */
	struct rte_intr_handle *intr;    /**< async event fd */
	/**
	 * QPs an async event said are in error (QP_FATAL, ...), for the
	 * control thread to find among its queues: handles compared, never
	 * dereferenced. A handle is taken out when its QP is destroyed
	 * (mlx4r_dev_destroy_qp()), so it never stands for a later QP the
	 * allocator put at the same address. Under qp_err_lock.
	 */
	void *qp_errs[8];
	unsigned int nb_qp_errs;
	/**
	 * A leaf lock (nothing is taken under it), so that the destroys,
	 * which run under the control lock, may take it: ev_lock may not be
	 * taken there (mlx4r_reset.h).
	 */
	rte_spinlock_t qp_err_lock;
	/** the context's async event stream ended (interrupt thread) */
	bool async_ended;
	uint64_t async_wakeups;          /**< calls of the async handler */
	/** what the async events tell the layers above (mlx4r_core.h) */
	const struct mlx4r_dev_events *events;
	/**
	 * Taken by the async event handler (EAL interrupt thread) while it
	 * uses ports[], and by a closing port while it leaves ports[].
	 */
	rte_spinlock_t ev_lock;
	/**
	 * Registered memory (mlx4r_mr.c): the ranges the queues need, each
	 * one MR. mr_gen is bumped whenever a range loses its lkey (memory
	 * freed, context closed): the queues' caches start afresh. Read by
	 * the bursts (mr_gen once per burst, the table on a cache miss
	 * under mr_rwl); written under mr_mtx, the table under mr_rwl too.
	 */
	uint32_t mr_gen;
	rte_rwlock_t mr_rwl;             /**< the table: bursts read */
	pthread_mutex_t mr_mtx;          /**< writers; held over reg/dereg */
	bool mr_cb;                      /**< mem event callback registered */
	uint32_t nb_mr;                  /**< entries of mr[] */
	struct mlx4r_mr_range mr[MLX4R_MR_MAX];
	struct mlx4r_hw_mr *mr_obj[MLX4R_MR_MAX]; /**< NULL: no key yet */
	uint64_t mr_regs;                /**< MRs registered */
	uint64_t mr_deregs;              /**< MRs deregistered */
	uint64_t mr_freed;               /**< ranges dropped: memory freed */
	/**
	 * Storage of the queue structures by port and index, allocated at
	 * their first set-up, freed with the device (type-stable, above).
	 */
	struct mlx4r_rxq *rxq_store[MLX4R_MAX_PORTS][MLX4R_MAX_QUEUES];
	struct mlx4r_txq *txq_store[MLX4R_MAX_PORTS][MLX4R_MAX_QUEUES];
	/**
	 * Rx interrupt state by port and queue index (mlx4r_intr.c):
	 * made at a queue's first start with intr_conf.rxq, freed with the
	 * device, so that the fd an application got stays valid.
	 */
	struct mlx4r_rxq_intr *rxq_intr[MLX4R_MAX_PORTS][MLX4R_MAX_QUEUES];
	struct mlx4r_reset *reset;       /**< reset machine (mlx4r_reset.c) */
	/**
	 * What a secondary's CMD_FD request needs of dev->ctx (mlx4r_mp.c),
	 * published by mlx4r_mp_publish() / mlx4r_mp_unpublish()
	 * (mlx4r_mp_link.c) under mp_lock, a lock of its own, so that EAL's
	 * multi-process thread answers without the control lock, which a
	 * reset or a slow command may hold. Written by the primary's control
	 * path (probe, the close of a context, REINIT's open) with mp_lock
	 * (and the control lock, but at probe and free); read by the
	 * multi-process thread with mp_lock. Primary only.
	 */
	pthread_mutex_t mp_lock;
	/**
	 * Generation of the context for secondary processes: bumped each
	 * time the primary opens a new one, whose UAR a secondary must map
	 * again. Written under mp_lock and the control lock; read under
	 * either (the queues' ctx_gen: control lock).
	 */
	uint32_t mp_gen;
	int mp_cmd_fd;        /**< its command file; -1 between two contexts */
	bool mp_shareable;    /**< a secondary may forward (verbs backend) */
	int64_t mp_uar_off;   /**< mmap offset of its UAR page on mp_cmd_fd */
};

/**
 * A secondary process's view of a port's device context (its
 * eth_dev->process_private, mlx4r_mp.c): the UAR page of the context of
 * generation gen, mapped from the command file the primary passed. Never
 * changed once published; a newer context gets a new one, and the old
 * mapping stays until the port is closed in this process, for a burst
 * that loaded it before.
 */
struct mlx4r_uar_map {
	uint32_t gen;                 /**< struct mlx4r_dev mp_gen (atomic:
				       *   rewritten with the page in place) */
	uint8_t *uar;                 /**< the UAR page, in this process */
	size_t page;                  /**< its size */
	struct mlx4r_uar_map *older;  /**< the previous mapping */
};

/** eth_dev->process_private of a port in a secondary process. */
struct mlx4r_proc {
	struct mlx4r_uar_map *map;    /**< the newest mapping (atomic) */
};

/* mlx4r_ethdev.c */
extern const struct eth_dev_ops mlx4r_dev_ops;
extern const struct eth_dev_ops mlx4r_dev_ops_secondary;
int mlx4r_port_close(struct rte_eth_dev *eth_dev);
/* At probe: read the port's kernel netdev (MTU) and bring it up. */
void mlx4r_port_netdev_probe(struct mlx4r_port *port);
/* Record a flow control setting, to be applied at the next start. */
int mlx4r_flow_ctrl_record(struct mlx4r_port *port,
			   const struct rte_eth_fc_conf *fc);
/* Read the firmware version of a live device into the port's copy. */
int mlx4r_port_fw_read(struct mlx4r_port *port);
/* Update the link from the device; true: raise RTE_ETH_EVENT_INTR_LSC. */
bool mlx4r_port_link_event(struct mlx4r_port *port);
void mlx4r_port_queue_states(struct mlx4r_port *port, bool started);

/* mlx4r_rxtx.c */
uint16_t mlx4r_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n);
/* The same for a ConnectX-3 Pro's ports (tunnel CQEs). */
uint16_t mlx4r_rx_burst_l2tun(void *rxq, struct rte_mbuf **pkts,
			      uint16_t n);
uint16_t mlx4r_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n);
/* Of a secondary process: its own UAR mapping (struct mlx4r_proc). */
uint16_t mlx4r_tx_burst_secondary(void *txq, struct rte_mbuf **pkts,
				  uint16_t n);
uint16_t mlx4r_tx_prepare(void *txq, struct rte_mbuf **pkts, uint16_t n);
uint32_t mlx4r_mr_lookup(struct mlx4r_mr_cache *c, uintptr_t addr,
			 uint32_t len);
int mlx4r_rx_descriptor_status(void *rxq, uint16_t offset);
uint32_t mlx4r_rx_queue_count(void *rxq);
int mlx4r_tx_descriptor_status(void *txq, uint16_t offset);
/* Reap completions; -EIO: an error CQE, the queue is barred for repair. */
int mlx4r_txq_complete(struct mlx4r_txq *txq);

/* mlx4r_repair.c: queues in error, repaired without a device reset. */
/*
 * Destroy a QP and forget the async events that named it (dev->qp_errs):
 * every destroy of a QP goes through it. Inline: the queues' and the
 * steering's files sit below the device core (check_layers.py).
 */
static inline int
mlx4r_dev_destroy_qp(struct mlx4r_dev *dev, struct mlx4r_hw_qp *qp)
{
	unsigned int i;
	int ret;

	ret = mlx4r_hw_destroy_qp(qp);
	if (ret != 0)
		return ret;
	/*
	 * Gone: the allocator may give its address to the next QP. Every
	 * event naming it that the interrupt thread read was acknowledged
	 * before the destroy returned, and so kept before
	 * (mlx4r_dev_async_events(), which keeps the handle, then
	 * acknowledges); those not read were dropped (uverbs_main.c
	 * ib_uverbs_release_uevent()). qp_err_lock orders the keeping
	 * before this look.
	 */
	rte_spinlock_lock(&dev->qp_err_lock);
	for (i = 0; i < dev->nb_qp_errs; )
		if (dev->qp_errs[i] == (void *)qp)
			dev->qp_errs[i] = dev->qp_errs[--dev->nb_qp_errs];
		else
			i++;
	rte_spinlock_unlock(&dev->qp_err_lock);
	return 0;
}
int mlx4r_port_repair(struct mlx4r_port *port, void *const *qp_errs,
		      unsigned int nb_qp_errs, uint64_t deadline_ns,
		      bool *closing);
/* A (barred, quiescent) Rx queue's WQ to RESET, its CQ emptied. */
int mlx4r_rxq_pause(struct mlx4r_rxq *rxq);
/* And back to RDY with every WQE posted again. */
int mlx4r_rxq_resume(struct mlx4r_rxq *rxq);

/* mlx4r_rxq.c */
int mlx4r_rx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t idx,
			 uint16_t nb_desc, unsigned int socket,
			 const struct rte_eth_rxconf *conf,
			 struct rte_mempool *mp);
void mlx4r_rx_queue_release(struct rte_eth_dev *eth_dev, uint16_t idx);
int mlx4r_rxq_start(struct mlx4r_rxq *rxq);
void mlx4r_rxq_stop(struct mlx4r_rxq *rxq);
void mlx4r_rxq_keep(struct mlx4r_rxq *rxq);
uint16_t mlx4r_round_desc(uint16_t nb_desc);

/* mlx4r_intr.c: Rx interrupts (intr_conf.rxq). */
int mlx4r_rx_intr_enable(struct rte_eth_dev *eth_dev, uint16_t idx);
int mlx4r_rx_intr_disable(struct rte_eth_dev *eth_dev, uint16_t idx);
/* At a queue's start: its channel (NULL without intr_conf.rxq). */
int mlx4r_rxq_intr_attach(struct mlx4r_rxq *rxq, struct mlx4r_hw_channel **ch);
/* With its CQ's view: the arm doorbell. */
void mlx4r_rxq_intr_view(struct mlx4r_rxq *rxq, const struct mlx4dv_cq *cv);
/* At its stop: events acknowledged before the CQ goes, channel after. */
void mlx4r_rxq_intr_drain(struct mlx4r_rxq *rxq);
void mlx4r_rxq_intr_detach(struct mlx4r_rxq *rxq);
/* The queue is live again: wake whoever sleeps on it. */
void mlx4r_rxq_intr_kick(struct mlx4r_rxq *rxq);
/* After mlx4r_port_unbar(): every live Rx queue of the port. */
void mlx4r_intr_port_kick(struct mlx4r_port *port);
int mlx4r_intr_port_start(struct mlx4r_port *port);
void mlx4r_intr_port_stop(struct mlx4r_port *port, bool close);
void mlx4r_intr_dev_free(struct mlx4r_dev *dev);

/* mlx4r_txq.c */
int mlx4r_tx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t idx,
			 uint16_t nb_desc, unsigned int socket,
			 const struct rte_eth_txconf *conf);
void mlx4r_tx_queue_release(struct rte_eth_dev *eth_dev, uint16_t idx);
int mlx4r_txq_start(struct mlx4r_txq *txq);
void mlx4r_txq_stop(struct mlx4r_txq *txq);

/* mlx4r_mr.c */
void mlx4r_mr_init(struct mlx4r_dev *dev);
void mlx4r_mr_fini(struct mlx4r_dev *dev);
int mlx4r_mr_register_mempool(struct mlx4r_dev *dev, struct rte_mempool *mp);
void mlx4r_mr_drop_keys(struct mlx4r_dev *dev);
int mlx4r_mr_rekey(struct mlx4r_dev *dev);
int mlx4r_mr_find(struct mlx4r_dev *dev, uintptr_t addr, size_t len,
		  struct mlx4r_mr_range *out);
uint32_t mlx4r_mr_tx_miss(struct mlx4r_txq *txq, struct rte_mbuf *seg);

/**
 * Start the cache afresh if the device table lost a range since it was
 * filled. Once per burst, from the queue's thread.
 */
static __rte_always_inline void
mlx4r_mr_cache_sync(struct mlx4r_mr_cache *mc)
{
	/*
	 * Relaxed: the memory event callback bumps mr_gen before the freed
	 * memory can be allocated again, and whatever mbuf of that new
	 * memory reaches this burst came to the thread through the
	 * application's own hand-off (a ring, a pool: release/acquire) after
	 * the allocation; that hand-off orders the bump before this load.
	 */
	uint32_t g = __atomic_load_n(&mc->dev->mr_gen, __ATOMIC_RELAXED);

	if (unlikely(g != mc->gen)) {
		memset(mc->e, 0, sizeof(mc->e));
		mc->gen = g;
	}
}

/* mlx4r_flow.c */
int mlx4r_rss_start(struct mlx4r_port *port);
int mlx4r_rss_update(struct mlx4r_port *port);
void mlx4r_rss_stop(struct mlx4r_port *port);
int mlx4r_rss_reta_table(const struct mlx4r_port *port, const uint16_t *reta,
			 uint16_t *first, uint32_t *count);
int mlx4r_rss_range_close(struct mlx4r_port *port);
int mlx4r_flow_sync(struct mlx4r_port *port);
uint64_t mlx4r_rss_hf_to_fields(uint64_t rss_hf);
int mlx4r_rss_ctx_build(struct mlx4r_port *port, uint16_t first, uint32_t n,
			const uint8_t *key, uint64_t fields,
			struct mlx4r_hw_ind_table **ind,
			struct mlx4r_hw_qp **qp);

/*
 * mlx4r_flow_api.c: rte_flow, ungated (control lock held; the gated
 * rte_flow_ops are mlx4r_gate.c's).
 */
/* The port's rules onto the device (start), or off it (stop). */
int mlx4r_flow_api_start(struct mlx4r_port *port);
void mlx4r_flow_api_stop(struct mlx4r_port *port);
/* Free every rule of the port (flush, close). */
void mlx4r_flow_api_clean(struct mlx4r_port *port);
/* Whether @p qp (a handle, compared only) is a QP of the port's rules. */
bool mlx4r_flow_api_has_qp(const struct mlx4r_port *port, const void *qp);
struct rte_flow_attr;
struct rte_flow_item;
struct rte_flow_action;
struct rte_flow_error;
int mlx4r_flow_api_validate(struct mlx4r_port *port,
			    const struct rte_flow_attr *attr,
			    const struct rte_flow_item pattern[],
			    const struct rte_flow_action actions[],
			    struct rte_flow_error *error);
struct rte_flow *mlx4r_flow_api_create(struct mlx4r_port *port,
				       const struct rte_flow_attr *attr,
				       const struct rte_flow_item pattern[],
				       const struct rte_flow_action actions[],
				       struct rte_flow_error *error);
int mlx4r_flow_api_destroy(struct mlx4r_port *port, struct rte_flow *flow,
			   struct rte_flow_error *error);
int mlx4r_flow_api_isolate(struct mlx4r_port *port, int enable,
			   struct rte_flow_error *error);

/** Monotonic time in nanoseconds (deadlines of the reset machine). */
static inline uint64_t
mlx4r_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/** A monotonic time as the timespec of pthread_cond_timedwait(). */
static inline void
mlx4r_abstime(struct timespec *ts, uint64_t at_ns)
{
	ts->tv_sec = at_ns / 1000000000u;
	ts->tv_nsec = at_ns % 1000000000u;
}

/** Walk the Rx queues of the driver's list of @p port (control lock). */
#define MLX4R_FOREACH_RXQ(port, i, q) \
	for ((i) = 0; (i) < MLX4R_MAX_QUEUES; (i)++) \
		if (((q) = (port)->rxqs[(i)]) != NULL)

/** Walk the Tx queues of the driver's list of @p port (control lock). */
#define MLX4R_FOREACH_TXQ(port, i, q) \
	for ((i) = 0; (i) < MLX4R_MAX_QUEUES; (i)++) \
		if (((q) = (port)->txqs[(i)]) != NULL)

/** Rx queue @p i of the driver's list of @p port, or NULL. */
static inline struct mlx4r_rxq *
mlx4r_port_rxq(const struct mlx4r_port *port, uint16_t i)
{
	return i < MLX4R_MAX_QUEUES ? port->rxqs[i] : NULL;
}

/** Tx queue @p i of the driver's list of @p port, or NULL. */
static inline struct mlx4r_txq *
mlx4r_port_txq(const struct mlx4r_port *port, uint16_t i)
{
	return i < MLX4R_MAX_QUEUES ? port->txqs[i] : NULL;
}

/** The port behind an ethdev of this driver. */
static inline struct mlx4r_port *
mlx4r_port_of(const struct rte_eth_dev *eth_dev)
{
	return eth_dev->data->dev_private;
}

#endif /* MLX4R_H */
