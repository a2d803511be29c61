/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_EMU_PRIV_H
#define MLX4R_EMU_PRIV_H

/*
 * Internals of the emulated ConnectX-3, shared by its files:
 *   mlx4r_emu_obj.c    contexts and objects, ids, incarnations, async events
 *   mlx4r_emu_engine.c Tx and Rx engines, steering, Toeplitz, CQEs
 *   mlx4r_emu_wire.c   wires, generator, checker, TAP
 *   mlx4r_emu_fault.c  fault injection
 *
 * Locks, outermost first (a thread never takes an outer lock while it holds
 * an inner one):
 *   emu_registry_lock  (mutex)    the list of devices
 *   dev->lock          (mutex)    control path: objects, faults, wires
 *   qp->lock           (spinlock) a Tx QP's engine state and its CQ
 *   port->rx_lock      (spinlock) a port's steering rules, the engine state
 *                                 of its WQs and their CQs, generator, TAP
 *                                 reads; one port's at a time
 *   port->chk_lock     (spinlock) the checker of a port; the Tx engine
 *                                 holds one rx_lock or one chk_lock, never
 *                                 both (emu_lock_switch())
 *   ctx->ev_lock       (spinlock) a context's async event queue
 *   ch->lock           (spinlock) a completion channel's events
 *                                 (mlx4r_emu_intr.c); taken inside the
 *                                 engine locks, which also guard the arm
 *                                 state of their CQs
 * Hooks take only spinlocks; the control path takes dev->lock, then the
 * spinlocks it needs to publish a change to the engine.
 */

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_log.h>
#include <rte_spinlock.h>

#include "mlx4r_hw.h"
#include "mlx4r_emu.h"
#include "mlx4r_emu_csum.h"

extern int mlx4r_emu_logtype;
#define EMU_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, mlx4r_emu_logtype, "mlx4r emu: %s(): " \
		fmt "\n", __func__, ##__VA_ARGS__)

/* Single-writer counter (the writer holds a lock), read lock-free. */
#define EMU_INC(c, n) \
	__atomic_store_n(&(c), __atomic_load_n(&(c), __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)

#define EMU_MAX_PORTS 2
#define EMU_MR_SLOTS 1024          /* MR table entries per context */
#define EMU_EV_RING 64             /* queued async events per context */
#define EMU_MAX_SGE 32             /* query_device max_sge (see below) */
#define EMU_MAX_SQ_DESC_SZ 1008    /* default max_sq_desc_sz, bytes */
/*
 * max_gso_sz: default and largest (a ConnectX-3 reports 65536; the field
 * is 5 bits of log2, mlx4_core fw.c mlx4_QUERY_DEV_CAP; the model stops
 * at 256 KB).
 */
#define EMU_MAX_GSO_DEFAULT 65536u
#define EMU_MAX_GSO (1u << 18)
/*
 * Send queue geometry, as Linux mlx4_ib (drivers/infiniband/hw/mlx4/
 * mlx4_ib.h, qp.c) and libmlx4 (providers/mlx4/verbs.c create_qp_ex)
 * define it: strides of at least 64 bytes, and 2 KB + one WQE of
 * prefetch headroom kept free.
 */
#define EMU_SQ_MIN_STRIDE 6        /* MLX4_IB_MIN_SQ_STRIDE */
#define EMU_SQ_MAX_HEADROOM 2048   /* MLX4_IB_MAX_HEADROOM */
#define EMU_SQ_HEADROOM(shift) ((EMU_SQ_MAX_HEADROOM >> (shift)) + 1)
#define EMU_SQ_MAX_SPARE EMU_SQ_HEADROOM(EMU_SQ_MIN_STRIDE) /* 33 */
/*
 * qpn_vlan.ins_vlan of a Tx control segment (include/linux/mlx4/qp.h
 * MLX4_WQE_CTRL_INS_CVLAN / _INS_SVLAN, set by mlx4_en's mlx4_en_xmit):
 * insert a C-VLAN (0x8100) or S-VLAN (0x88a8) tag of qpn_vlan.vlan_tag.
 */
#define EMU_WQE_INS_CVLAN (1u << 6)
#define EMU_WQE_INS_SVLAN (1u << 7)
/* Bytes an ICRC (no SOLICIT) and an inserted VLAN tag add to a frame. */
#define EMU_TX_GROWTH 8
#define EMU_RSS_KEY_LEN 40
#define EMU_RSS_INPUT_MAX 36       /* IPv6 + ports */
#define EMU_CHK_WINDOW 256         /* sequence numbers a checker tracks */
/*
 * Ring buffers of destroyed CQs, QPs and WQs a device keeps for its next
 * objects (emu_ring_get()): at most this many, of at most this many bytes.
 */
#define EMU_RING_CACHE_MAX 512
#define EMU_RING_CACHE_BYTES (512ull << 20)
#define EMU_CHK_STREAMS 8          /* streams a checker tracks */
#define EMU_RX_PUMP_MAX 32         /* TAP frames read per pump */
#define EMU_NETDEV_MC 16           /* multicast addresses a netdev joins */
/* MTUs of mlx4_en's netdev: ETH_MIN_MTU..the port's eth_mtu_cap. */
#define EMU_NETDEV_MIN_MTU 68
#define EMU_NETDEV_MAX_MTU 9600
#define EMU_NETDEV_DEFAULT_MTU 1500
/* Largest frame (no FCS) a port takes: MLX4_EN_EFF_MTU(mtu). */
#define EMU_PORT_MAX_FRAME(mtu) ((uint32_t)(mtu) + 14 + 2 * 4)

struct emu_ctx;
struct emu_qp;

/*
 * The kernel face only (emu/kface/mlx4r_kface_cmd.c): the user memory
 * the next CQ, Tx QP or WQ created on a context lives in, as mlx4_ib takes
 * it from the command (buf_addr pinned by ib_umem_get(), db_addr by
 * mlx4_ib_db_map_user(); Linux 6.1 drivers/infiniband/hw/mlx4 cq.c
 * mlx4_ib_create_cq, qp.c create_qp_common, create_rq), and for a Tx QP
 * the SQ geometry libmlx4 chose (mlx4_ib_create_qp's log_sq_bb_count,
 * log_sq_stride). Set by the kernel face around the create, under its
 * file lock (which serialises a context's commands); the seam face never
 * sets it.
 */
struct emu_umem {
	bool set;
	uint8_t *buf;              /* ring (for a QP: the whole QP buffer) */
	uint32_t *db;              /* doorbell record */
	uint32_t log_bb_count;     /* Tx QP: SQ of 1 << log_bb_count WQEs */
	uint32_t log_stride;       /* Tx QP: of 1 << log_stride bytes */
	size_t sq_offset;          /* Tx QP: the SQ's offset in buf */
};
struct emu_wq;
struct emu_wqn_range;

/* Object kinds, for lists and leak counts. */
enum emu_obj_kind {
	EMU_OBJ_PD, EMU_OBJ_MR, EMU_OBJ_CQ, EMU_OBJ_QP, EMU_OBJ_WQ,
	EMU_OBJ_IND, EMU_OBJ_FLOW, EMU_OBJ_KINDS
};

/* An entry of the MR table, read by the engine without a lock. */
struct emu_mr_slot {
	uint32_t lkey;     /* 0 when free; published last (release) */
	uint32_t access;   /* enum ibv_access_flags */
	uint32_t pdn;      /* PD it belongs to */
	/*
	 * atomic: the pages the MR pinned were unmapped by the process (an
	 * rte_mem_event FREE over them); the lkey then fails (emu_mr_check())
	 */
	uint32_t unmapped;
	uintptr_t addr;    /* start */
	size_t len;        /* length */
};

/*
 * A queue's memory of the last lkey its engine found good
 * (emu_mr_check_cached()): [start, end) of that key's registration for
 * the queue's PD and access need, valid while the context's mr_gen is
 * still gen. gen 0: empty (mr_gen starts at 1 and only grows).
 */
struct emu_mr_cache {
	uint64_t gen;
	uint32_t lkey;
	uintptr_t start;
	uintptr_t end;
};

/* A delayed async event, or a delayed device action. */
struct emu_timer_ev {
	uint64_t due_ns;           /* CLOCK_MONOTONIC */
	struct mlx4r_hw_async_event ev;
	int link_up_port;          /* >0: set this port's link up when due */
};

struct emu_pd {
	struct mlx4r_hw_pd hw;     /* public part, first */
	TAILQ_ENTRY(emu_pd) next;
	uint32_t users;            /* MRs, QPs, WQs */
};

struct emu_mr {
	struct mlx4r_hw_mr hw;
	TAILQ_ENTRY(emu_mr) next;
	uint32_t slot;             /* index in ctx->mrs */
	bool unmapped;             /* counted in mrs_unmapped already */
	uintptr_t pin_start;       /* the pages pinned: page-aligned */
	uintptr_t pin_end;
};

/* CQEs of a Tx QP whose WQE ends the model tracks (struct emu_qp done) */
#define EMU_TX_DONE 8

/*
 * The async events one object was named in, read and acknowledged: its
 * destroy waits until every event read was acknowledged, as libibverbs'
 * ibv_cmd_destroy_qp/cq wait for events_completed (async_events_completed)
 * to reach the events_reported the kernel returns (rdma-core 44
 * libibverbs/cmd_qp.c, cmd_cq.c); the driver may use the handle in an
 * event until it acknowledges it (mlx4r_emu_obj.c emu_ev_wait_acks()).
 */
struct emu_ev_count {
	uint32_t read;   /* events get_async_event returned (ctx->ev_lock) */
	uint32_t acked;  /* ack_async_event calls (atomic) */
};

struct emu_cq {
	struct mlx4r_hw_cq hw;
	TAILQ_ENTRY(emu_cq) next;
	uint8_t *buf;              /* cnt entries of 32 or 64 bytes */
	uint32_t cnt;              /* power of two */
	uint32_t cqe_size;         /* 32 or 64 */
	uint32_t *db;              /* [0] set_ci (be32), [1] arm (be32) */
	uint32_t pi;               /* producer counter (engine) */
	/*
	 * The driver's consumer index as the engine last read it from db[0]
	 * (engine): consumption only moves it forward, so while pi - ci_seen
	 * < cnt the CQ cannot be full and db[0] need not be read again
	 * (emu_cqe_next()).
	 */
	uint32_t ci_seen;
	/*
	 * The entries emu_cqe_next() may still hand out without a look at
	 * ci_seen or overrun (engine): cnt - (pi - ci_seen) when
	 * emu_cqe_next_slow() last found room, one fewer each CQE written
	 * since, 0 when it did not (overrun) and at creation. Never more
	 * than the room ci_seen leaves: ci_seen only grows.
	 */
	uint32_t room;
	/*
	 * libmlx4's own consumer index of the CQ (struct mlx4_cq cons_index):
	 * 0 at creation, moved only by its clean at a QP's or WQ's RESET
	 * (emu_cq_libmlx4_clean()), since a direct-verbs driver polls the CQ
	 * itself. Under the lock of the CQ's user.
	 */
	uint32_t lib_ci;
	bool user;                 /* bound to a QP or WQ */
	bool umem;                 /* buf and db are the user's (kface) */
	bool overrun;              /* CQ in error after an overrun */
	uint64_t overruns;         /* CQEs lost to the overrun */
	/*
	 * Completion events (mlx4r_emu_intr.c). ch is set at creation.
	 * The arm state is the engine's: under the lock of the CQ's user
	 * (its WQ's port rx_lock, its QP's lock).
	 */
	struct emu_ch *ch;         /* its completion channel, or NULL */
	uint32_t arm_seen;         /* arm word (db[1]) last taken, host */
	uint32_t arm_ci;           /* consumer index of the pending arm */
	uint8_t armed;             /* 0, MLX4_CQ_DB_REQ_NOT(_SOL) >> 24 */
	uint8_t arm_sn;            /* sequence number of the pending arm */
	uint8_t fired_sn;          /* of the arm that raised the last event */
	uint64_t ev_raised;        /* events raised (engine) */
	struct emu_ev_count evc;   /* async events naming it (CQ_ERR) */
	uint64_t stale_arms;       /* arms ignored: sn of the last event */
	/*
	 * Events read from the channel (get_cq_event, under ch->lock) and
	 * acknowledged (ack_cq_events, any thread): relaxed atomics, compared
	 * at the CQ's destroy, which the caller orders after its own
	 * acknowledgements (the same thread, or the queue proven quiescent:
	 * the release of the lcore's in_burst marker, mlx4r_quiesce.c).
	 */
	uint64_t ev_taken;
	uint64_t ev_acked;
};

/* A completion event channel (ibv_comp_channel). */
#define EMU_CH_RING 1024
struct emu_ch {
	struct mlx4r_hw_channel hw;
	TAILQ_ENTRY(emu_ch) next;
	rte_spinlock_t lock;
	uint32_t head, tail;       /* events waiting: ev[head..tail) */
	struct emu_cq *ev[EMU_CH_RING];
	uint32_t users;            /* CQs bound to it (dev->lock) */
	uint64_t lost;             /* events lost to a full ring */
};

/* A receive work queue. Engine state under its port's rx_lock. */
struct emu_wq {
	struct mlx4r_hw_wq hw;
	TAILQ_ENTRY(emu_wq) next;
	struct emu_ctx *ctx;
	struct emu_pd *pd;
	struct emu_cq *cq;
	uint8_t *buf;              /* cnt WQEs of sges data segments */
	uint32_t *rdb;             /* doorbell record: WQEs posted (be32) */
	uint32_t cnt;              /* WQEs, power of two */
	uint32_t sges;             /* data segments per WQE, power of two */
	uint32_t shift;            /* log2(sges * 16) */
	uint32_t ci;               /* WQEs consumed (engine) */
	uint32_t pi_seen;          /* *rdb as last read (engine, rx_lock) */
	struct emu_mr_cache mrc;   /* last good scatter lkey (engine) */
	uint32_t users;            /* indirection tables holding it */
	struct emu_wqn_range *range; /* WQN range its number came from */
	uint8_t port;              /* bound port (0: none yet), atomic */
	bool umem;                 /* buf and rdb are the user's (kface) */
	bool scatter_fcs;          /* IBV_WQ_FLAGS_SCATTER_FCS: FCS kept */
	enum ibv_wq_state state;   /* engine copy of hw.state */
	uint64_t missed;           /* frames that found no posted WQE */
	uint32_t eng_slot;         /* engine thread's slot + 1 (dev->lock) */
};

/*
 * A range of WQ numbers of a context (Linux mlx4_ib qp.c,
 * mlx4_ib_alloc_wqn / mlx4_ib_release_wqn): consecutive, aligned to its
 * size, handed out in order; a range that is full, or one of whose WQs
 * was destroyed (dirty), gives no more numbers.
 */
struct emu_wqn_range {
	TAILQ_ENTRY(emu_wqn_range) next; /* newest first */
	uint32_t base;             /* first WQN, base % size == 0 */
	uint32_t size;             /* power of two */
	uint32_t refcount;         /* WQs holding a number of it */
	bool dirty;                /* a WQ of it was destroyed */
};

struct emu_ind {
	struct mlx4r_hw_ind_table hw;
	TAILQ_ENTRY(emu_ind) next;
	uint32_t users;            /* RSS QPs */
	uint32_t mask;             /* entries - 1 */
	struct emu_wq **wqs;       /* entries */
};

/* Largest rule priority (Linux mlx4 main.c MLX4_IB_FLOW_MAX_PRIO). */
#define EMU_FLOW_MAX_PRIO 0xfff
/* Most specs of a rule (Linux rdma/ib_verbs.h IB_FLOW_SPEC_SUPPORT_LAYERS). */
#define EMU_FLOW_MAX_SPECS 10

struct emu_flow {
	struct mlx4r_hw_flow hw;
	TAILQ_ENTRY(emu_flow) next;
	struct emu_qp *qp;
	uint8_t port;
	uint8_t cls;               /* 0 normal, 1 all-multicast, 2 promisc */
	uint16_t priority;
	uint64_t seq;              /* creation order */
	/*
	 * Match (normal rules); masks zero = any. The destination MAC as
	 * emu_mac48() words: the mask, and the value already masked (v & m),
	 * so that a frame's address is loaded once and compared once.
	 */
	uint64_t dmac_v, dmac_m;
	uint16_t vlan, vlan_m;     /* host order, TCI */
	uint32_t sip, sip_m, dip, dip_m; /* big-endian as on the wire */
	uint8_t l4;                /* 0 any, IPPROTO_TCP or IPPROTO_UDP */
	uint16_t sport, sport_m, dport, dport_m; /* big-endian */
	bool has_vlan_spec;
	bool has_ip_spec;
};

struct emu_qp {
	struct mlx4r_hw_qp hw;
	TAILQ_ENTRY(emu_qp) next;
	struct emu_ctx *ctx;
	struct emu_pd *pd;
	rte_spinlock_t lock;       /* Tx engine state, see top of file */
	enum ibv_qp_state state;   /* engine copy, under lock */
	uint8_t port;              /* set at INIT */
	uint32_t flows;            /* rules pointing here */
	/* Tx QP */
	struct emu_cq *cq;
	uint8_t *sq;               /* txbbs << shift bytes, then the RQ */
	bool umem;                 /* sq is in the user's buffer (kface) */
	uint32_t txbbs;            /* SQ basic blocks (sq.wqe_cnt), pow2 */
	uint32_t shift;            /* log2 of the stride (sq.wqe_shift) */
	uint32_t spare;            /* prefetch headroom, in strides */
	uint8_t ds_shift;          /* shift - 4: DS units to strides */
	uint8_t ds_round;          /* DS units per stride - 1 */
	uint32_t hr_done;          /* headroom checked up to here (engine) */
	uint32_t max_ds;           /* DS limit: max_sq_desc_sz / 16 */
	uint32_t head;             /* strides consumed (engine) */
	/*
	 * What the driver can have freed (engine, emu_tx_room()):
	 * freed, the end of the last WQE whose CQE the driver consumed (as
	 * its CQ consumer index said when last read); then the CQEs written
	 * in the current walk, oldest first: the CQ index of each and the
	 * end of its WQE (when full, the newest entry takes the later ends).
	 */
	uint32_t freed;
	uint8_t nb_done, done_r;
	struct {
		uint32_t cqe;
		uint32_t end;
	} done[EMU_TX_DONE];
	struct emu_mr_cache mrc;   /* last good gather lkey (engine) */
	bool vf;                   /* eSwitch loopback by control seg MAC */
	uint8_t *uar;              /* this QP's emulated UAR page */
	uint32_t doorbell_qpn;     /* be32(qpn << 8) */
	uint32_t lost_db;          /* doorbells to lose */
	uint32_t eng_slot;         /* engine thread's slot + 1 (dev->lock) */
	bool eng_more;             /* walk cut by its budget (engine thread) */
	struct emu_ev_count evc;   /* async events naming it (QP_FATAL) */
	uint8_t *frame;            /* gather buffer, MLX4R_EMU_MAX_FRAME
				    * + EMU_TX_GROWTH */
	/* RSS QP */
	struct emu_ind *ind;
	uint64_t hash_fields;      /* IBV_RX_HASH_* */
	uint32_t (*rss_tbl)[256];  /* Toeplitz contribution per byte */
};

/* A frame on its way to a receive side. */
struct emu_frame {
	const uint8_t *data;
	uint32_t len;
	uint32_t csum_known;       /* EMU_CSUM_* checksums known correct */
};
#define EMU_CSUM_L3_OK 1u
#define EMU_CSUM_L4_OK 2u

/*
 * Per (stream, flow) state of a checker. The window is the W sequence
 * numbers before next; a bit stands for the one of them it holds (seq %
 * W), set while that one is missing (skipped, not seen since). nmissing
 * counts the bits set: 0 (every run without loss), and a frame in order
 * has nothing to clear.
 */
struct emu_chk_flow {
	uint64_t next;             /* next sequence number expected */
	uint32_t nmissing;         /* bits set in missing[] */
	uint64_t missing[EMU_CHK_WINDOW / 64]; /* bit (seq % W): seq missing */
};

struct emu_chk_stream {
	bool used;
	uint16_t id;
	struct emu_chk_flow *flows; /* MLX4R_EMU_GEN_MAX_FLOWS */
};

struct emu_gen {
	bool on;
	struct mlx4r_emu_gen_conf conf;
	uint16_t stream;
	uint64_t start_ns;         /* clock when started */
	uint64_t due_base;         /* frames counted before the (re)start */
	uint64_t issued;           /* frames issued (sent or wire-dropped) */
	uint64_t *seq;             /* per flow next sequence number */
	struct mlx4r_emu_gen_stats st;
	/*
	 * Frame being generated: built in full at start, then only the
	 * fields that vary (flow fields when the flow changes, the sequence
	 * number always) are stored per frame, never read back.
	 */
	uint8_t *frame;
	uint64_t ip_sum;           /* IPv4 header sum without source address */
	uint32_t cur_flow;         /* flow the frame's fields are set for */
};

struct emu_port {
	struct emu_dev *dev;
	uint8_t num;               /* 1-based */
	bool link_up;              /* atomic (relaxed): engine and control */
	struct rte_ether_addr mac;
	rte_spinlock_t rx_lock;
	/* Steering, under rx_lock. */
	struct emu_flow **rules;
	uint32_t nb_rules;
	uint32_t rules_cap;
	/* Wire, changed under dev->lock + rx_lock, read by engines. */
	enum mlx4r_emu_wire_kind wire;
	struct emu_port *peer;     /* cross-connect */
	int tap_fd;
	uint8_t *rx_frame;         /* pump buffer, under rx_lock */
	struct emu_gen gen;        /* under rx_lock */
	rte_spinlock_t chk_lock;
	struct emu_chk_stream chk[EMU_CHK_STREAMS];
	struct emu_chk_stream *chk_last; /* last frame's stream, chk_lock */
	struct mlx4r_emu_chk_stats chk_st;
	/*
	 * The kernel netdev of the port (mlx4_en's interface). up and mtu
	 * are changed under dev->lock and read by the Rx engine with
	 * relaxed atomics (a frame racing a change sees either, as on
	 * hardware); the multicast list is changed under dev->lock and
	 * rx_lock, read under rx_lock.
	 */
	struct {
		char name[16];         /* interface name */
		bool up;               /* IFF_UP; down: the port is closed */
		uint16_t mtu;          /* the port's MTU */
		bool rx_pause;         /* ethtool pause: honour pause frames */
		bool tx_pause;         /* ethtool pause: send pause frames */
		uint32_t incarnation;  /* device incarnation it was made in */
		uint32_t nb_mc;        /* multicast addresses joined */
		struct rte_ether_addr mc[EMU_NETDEV_MC];
		/*
		 * IFF_PROMISC / IFF_ALLMULTI (its default rules): one byte of
		 * EMU_ND_* bits, stored whole by mlx4r_emu_netdev_set_rx_mode
		 * (obj.c) and read whole, without rx_lock, by the Rx paths
		 * (engine.c emu_nd_flags): see there for the order.
		 */
		uint8_t rx_mode;
		/* its receive side, under rx_lock */
		mlx4r_emu_netdev_rx_t rx_fn;
		void *rx_arg;
	} nd;
	/* Counters: atomics (relaxed), added once per burst. */
	struct mlx4r_emu_port_stats st;
};

/*
 * A catastrophic error in progress (mlx4r_emu_fault.c), under dev->lock:
 * its phase and when the next ones begin (CLOCK_MONOTONIC). Phases move
 * lazily, whenever the device is asked something (emu_catas_advance());
 * what must happen on time without anybody asking (DEVICE_FATAL, the
 * legacy closure of the event queue) is on each context's timer.
 */
struct emu_catas {
	enum mlx4r_emu_catas phase;
	uint64_t detect_ns;        /* DEAD -> ERROR */
	uint64_t gone_ns;          /* ERROR -> GONE */
	uint64_t back_ns;          /* GONE -> back, new incarnation */
	bool slow_open;            /* the next open sleeps fw_reset_ms */
	bool hold;                 /* tests: stay in ERROR / GONE */
};

struct emu_dev {
	TAILQ_ENTRY(emu_dev) next;
	char name[64];
	uint32_t index;            /* creation order, for default MACs */
	struct mlx4r_emu_dev_conf conf;
	pthread_mutex_t lock;
	pthread_cond_t catas_cond; /* commands waiting for the detection */
	uint32_t incarnation;       /* atomic: hooks compare their context's */
	bool fatal;                /* atomic: engines read it */
	struct emu_catas catas;
	bool timers_pending;       /* atomic: link_up timers queued */
	uint32_t nb_ctx;
	TAILQ_HEAD(, emu_ctx) ctxs;
	uint32_t next_id[EMU_OBJ_KINDS];
	uint32_t next_qpn;         /* QPs and WQN ranges share the space */
	uint32_t nb_objects;
	uint64_t leaked;
	/* MRs (struct mlx4r_emu_dev_info) */
	uint32_t nb_mrs;
	uint64_t pinned_bytes, mrs_registered, mrs_deregistered;
	uint64_t mrs_unmapped;
	/* nodes asked for the rings of CQs, QPs, WQs (emu_ring_socket()) */
	uint64_t rings_socket_any, rings_socket_set;
	int last_ring_socket;
	uint64_t events, acks;
	uint64_t opens;            /* open_device calls reaching the device */
	uint64_t cq_overruns;      /* CQs that overran (atomic: engines) */
	/* Manual clock. */
	bool manual_clock;
	uint64_t manual_ns;        /* atomic */
	/* Pending link-up actions (monotonic clock). */
	uint64_t link_up_due[EMU_MAX_PORTS];
	/* Faults. */
	uint32_t cmd_mask, cmd_count, cmd_delay_ms;
	int cmd_err;
	uint32_t reinit_fail;
	uint32_t fw_reset_ms;
	uint32_t absent_ms;      /* after a fatal: absent this much longer */
	/* Ring buffers kept for reuse (emu_ring_get(), dev->lock). */
	struct emu_ring_buf {
		void *p;
		size_t size;     /* bytes, a multiple of align */
		size_t align;
	} ring_cache[EMU_RING_CACHE_MAX];
	uint32_t nb_ring_cache;
	uint64_t ring_cache_bytes;
	uint64_t rings_reused;   /* ring buffers taken from the cache */
	uint64_t rings_allocated; /* ring buffers allocated anew */
	/*
	 * The device's event thread (mlx4r_emu_intr.c), running while a
	 * completion channel exists: it plays the CQ arm doorbell the model
	 * cannot see. intr_efd wakes it (cq_armed, stop); dev->lock.
	 */
	struct emu_intr_thread *intr;
	uint32_t nb_ch;            /* completion channels of all contexts */
	bool intr_off;             /* stopped for good (mlx4r_emu_dev_stop_threads) */
	/*
	 * conf.engine_thread: the thread that runs the engine, as the card
	 * does, instead of the bursts' hooks (mlx4r_emu_thread.c); created
	 * with the first queue, dev->lock.
	 */
	struct emu_engine *engine;
	struct emu_port port[EMU_MAX_PORTS];
};

struct emu_ctx {
	struct mlx4r_hw_ctx hw;
	TAILQ_ENTRY(emu_ctx) next;
	struct emu_dev *dev;
	uint32_t next_mr_slot;
	struct emu_mr_slot *mrs;   /* EMU_MR_SLOTS */
	/*
	 * atomic: bumped (release) after every change that makes a good
	 * lkey bad (deregistration, pages unmapped), so that the engines'
	 * per-queue emu_mr_cache entries of older generations are checked
	 * against the table again (emu_mr_check_cached()). Starts at 1.
	 */
	uint64_t mr_gen;
	TAILQ_HEAD(, emu_pd) pds;
	TAILQ_HEAD(, emu_mr) mrl;
	TAILQ_HEAD(, emu_cq) cqs;
	TAILQ_HEAD(, emu_qp) qps;
	TAILQ_HEAD(, emu_wq) wqs;
	TAILQ_HEAD(, emu_ind) inds;
	TAILQ_HEAD(, emu_flow) flows;
	TAILQ_HEAD(, emu_wqn_range) wqn_ranges; /* newest first */
	TAILQ_HEAD(, emu_ch) chs;  /* completion channels */
	/*
	 * log2 of the WQN range the next WQ opens (libmlx4's
	 * mlx4dv_set_context_attr(LOG_WQS_RANGE_SZ)); back to 0 after each
	 * WQ created, as libmlx4's mlx4_create_wq does.
	 */
	uint8_t log_wqs_range;
	struct emu_umem umem;      /* kernel face: memory of the next object */
	/* Async events. */
	int efd;                   /* eventfd (semaphore): ready events */
	int tfd;                   /* timerfd: next delayed event */
	rte_spinlock_t ev_lock;
	struct mlx4r_hw_async_event ready[EMU_EV_RING];
	uint32_t ready_head, ready_tail;
	struct emu_timer_ev delayed[EMU_EV_RING];
	uint32_t nb_delayed;
	uint64_t ev_lost;
	/*
	 * Disassociation (catastrophic error, GONE): set under dev->lock;
	 * read under dev->lock by the commands (EIO) and by the kernel face.
	 */
	bool disassoc;
	/*
	 * legacy_disassoc: when the event queue closes (ev_lock); hup[0] is
	 * in the async fd's epoll set, hup[1] closed then: the async fd
	 * polls readable for ever and get_async_event fails with -EIO once
	 * the ready events are read.
	 */
	uint64_t ev_close_ns;
	bool ev_closed;
	int hup[2];
};

/*
 * A send queue as libmlx4 lays it out for the capabilities asked
 * (providers/mlx4/qp.c mlx4_calc_sq_wqe_size, mlx4_set_sq_sizes;
 * verbs.c create_qp_ex).
 */
struct emu_sq_geom {
	uint32_t log_stride;       /* cmd.log_sq_stride: sq.wqe_shift */
	uint32_t log_bb_count;     /* cmd.log_sq_bb_count */
	uint32_t wqe_cnt;          /* sq.wqe_cnt: 1 << log_bb_count */
	uint32_t spare;            /* sq_spare_wqes: 2 KB + 1 WQE headroom */
	uint32_t max_post;         /* granted max_send_wr: wqe_cnt - spare */
	uint32_t max_gs;           /* granted max_send_sge */
	uint32_t max_inline;       /* what libmlx4 grants as max_inline_data */
};

/*
 * A context whose objects must not run: the device is in catastrophic
 * error, or came back in a later incarnation than the context's. Read by
 * the hooks of any lcore without a lock: fatal and incarnation are atomics
 * written under dev->lock (emu_catas_advance()), and a stale fatal for one
 * burst is what a chip stopping between two doorbells looks like.
 */
static inline bool
emu_ctx_frozen(const struct emu_ctx *ctx)
{
	const struct emu_dev *dev = ctx->dev;

	/* acquire: pairs with the release of fatal = false at the way back */
	return __atomic_load_n(&dev->fatal, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&dev->incarnation, __ATOMIC_RELAXED) !=
	       ctx->hw.incarnation;
}

/* mlx4r_emu_obj.c */
/*
 * Seam face only: what libmlx4 asks the kernel for a RAW_PACKET QP with
 * @p cap (no receive queue, no inline data asked), after libmlx4's own
 * checks against query_device. @return 0, -EINVAL.
 */
int emu_libmlx4_sq_geom(const struct emu_dev *dev,
			const struct ibv_qp_cap *cap, struct emu_sq_geom *g);
/*
 * Both faces: does mlx4_ib accept a user SQ of 1 << log_bb_count WQEs of
 * 1 << log_stride bytes (drivers/infiniband/hw/mlx4/qp.c
 * set_user_sq_size)? On success *sq_bytes is the size of the SQ part of
 * the QP buffer. @return 0, -EINVAL.
 */
int emu_kernel_sq_check(const struct emu_dev *dev, uint32_t log_bb_count,
			uint32_t log_stride, size_t *sq_bytes);
uint64_t emu_mono_ns(void);
void emu_ctx_post_event(struct emu_ctx *ctx, enum ibv_event_type type,
			void *element, int port, uint64_t delay_ns);
void emu_dev_post_event(struct emu_dev *dev, enum ibv_event_type type,
			int port, uint64_t delay_ns);
void emu_dev_run_timers(struct emu_dev *dev);
struct emu_qp *emu_dev_find_qp(struct emu_dev *dev, uint32_t qpn);
struct emu_wq *emu_dev_find_wq(struct emu_dev *dev, uint32_t wqn);
struct emu_port *emu_dev_port(struct emu_dev *dev, uint8_t port);
struct emu_dev *emu_dev_from_ctx(struct mlx4r_hw_ctx *ctx);

/* mlx4r_emu_intr.c */
int emu_cq_alloc(struct mlx4r_hw_ctx *hctx, uint32_t cqe, struct emu_ch *ch,
		 struct mlx4r_hw_cq **out);
void emu_cq_notify(struct emu_cq *cq, bool err_cqe);
int emu_cq_unbind_locked(struct emu_cq *cq, bool force);
void emu_ch_destroy_locked(struct emu_ch *ch);
struct emu_intr_thread *emu_intr_detach_locked(struct emu_dev *dev);
void emu_intr_join(struct emu_intr_thread *t);
int emu_create_comp_channel(struct mlx4r_hw_ctx *hctx,
			    struct mlx4r_hw_channel **out);
int emu_destroy_comp_channel(struct mlx4r_hw_channel *hch);
int emu_create_cq_ch(struct mlx4r_hw_ctx *hctx, uint32_t cqe,
		     struct mlx4r_hw_channel *hch, struct mlx4r_hw_cq **out);
int emu_get_cq_event(struct mlx4r_hw_channel *hch, struct mlx4r_hw_cq **out);
void emu_ack_cq_events(struct mlx4r_hw_cq *hcq, unsigned int n);
void emu_cq_armed(struct mlx4r_hw_cq *hcq);

/* mlx4r_emu_engine.c */
void emu_tx_hook(void *arg);
void emu_rx_hook(void *arg);
#define EMU_ND_PROMISC 1u           /* nd.rx_mode: IFF_PROMISC */
#define EMU_ND_ALLMULTI 2u          /* nd.rx_mode: IFF_ALLMULTI */

void emu_rx_deliver(struct emu_port *port, const struct emu_frame *f);
/*
 * Runs of frames into one port, its rx_lock held throughout: the receive
 * verdict of a run's first frame (steering, RSS, WQ, the header part of
 * the CQE status, the QP's and the WQ's state: emu_rx_classify()) serves
 * the frames after it, whose WQE, MR checks, copy, payload checksum and
 * CQE are each done and checked as emu_rx_deliver() does. The port gate
 * and the inputs of the verdict that other threads store without rx_lock
 * (the RSS QP's state; for emu_rx_deliver_seq() the netdev's flags too)
 * are sampled at the run's first frame (emu_rx_gate_run(),
 * emu_rx_place()).
 *
 * emu_rx_deliver_seq(): the caller (the generator) clears @p valid before
 * the first frame and whenever the next frame may differ from the one
 * before it otherwise than in bytes from l4 + 8 on (the L4 payload: a
 * sequence number), in its length or in csum_known, or rx_lock was
 * released in between (rules and the netdev's addresses change under
 * it). emu_rx_deliver_tx() (the Tx engine, one run per doorbell) finds
 * that out itself: the same port, rx_lock held since the verdict
 * (*held), length, csum_known and the header bytes the verdict read.
 * emu_rx_deliver_tx() also compares the netdev's promiscuous and
 * all-multicast flags (stored without rx_lock) with those the verdict
 * read, for every frame; emu_rx_deliver_seq() at a run's first frame.
 */
#define EMU_RX_SUM_NONE 0          /* checksum field final */
#define EMU_RX_SUM_L3 1            /* sum the IP payload per frame */
#define EMU_RX_SUM_L4 2            /* sum the TCP/UDP segment per frame */
#define EMU_RX_KEY_MAX 96          /* header bytes a verdict may hold */
struct emu_pkt {
	uint16_t etype;    /* after at most one VLAN tag */
	uint16_t tci;
	uint16_t l3;       /* offset of the IP header */
	uint16_t l4;       /* offset of TCP/UDP, 0 if none */
	uint16_t l4_len;   /* L4 header + payload, per the IP header */
	uint8_t ipv;       /* 4, 6 or 0 */
	uint8_t proto;     /* IPPROTO_TCP/UDP or 0 */
	bool vlan;
	bool frag;
	bool ipopt;
};

struct emu_rx_verdict {
	struct emu_qp *qp;         /* RSS QP of the rule that took it */
	struct emu_wq *wq;
	struct emu_pkt p;
	uint32_t hash;
	uint32_t status;           /* CQE status (header part) */
	uint32_t tun;              /* vlan_my_qpn tunnel bits */
	uint32_t key_len;          /* header bytes the verdict read */
	/* the CQE's first 16 bytes: QPN and tunnel bits, hash, zeros */
	uint32_t cqe_head[4];
	/* its status and byte_cnt (sum EMU_RX_SUM_NONE: final) */
	uint64_t cqe_w8;
	uint16_t csum;             /* CQE checksum field (EMU_RX_SUM_NONE) */
	uint8_t sum;               /* EMU_RX_SUM_*: left per frame */
	uint8_t nd_flags;          /* netdev flags steering read */
	bool udp0;                 /* IPv4 UDP without a checksum */
	bool same;                 /* may serve the next frame of a run */
};
/* Frames received and their bytes, counted over a run (emu_rx_place()). */
struct emu_rx_tally {
	uint64_t frames;
	uint64_t bytes;
};
struct emu_rx_run {
	struct emu_rx_verdict v;
	bool valid;
	/*
	 * emu_rx_gate() of port gate as a bound on the frame's length,
	 * sampled at the run's first frame there (emu_rx_gate_run()):
	 * EMU_PORT_MAX_FRAME(mtu) + 1 when the port takes frames, 0 when
	 * the device is dead or the netdev down. NULL gate: not sampled.
	 */
	const struct emu_port *gate;
	uint32_t rx_lim;
	/* emu_rx_deliver_tx(): what the verdict was made from */
	const struct emu_port *port;
	uint32_t len;
	uint32_t csum_known;
	uint8_t key[EMU_RX_KEY_MAX];
};
/* A run before its first frame: no verdict, no gate sampled. */
static inline void
emu_rx_run_init(struct emu_rx_run *run)
{
	run->valid = false;
	run->gate = NULL;
}
/*
 * @p n frames of one flow into @p port: @p f with the big-endian @p seq,
 * seq + 1, ... stored at @p seq_at (inside f's data, past l4 + 8) before
 * each is delivered, the loop here so that each frame's delivery is
 * inline in it (the generator's pump).
 */
void emu_rx_deliver_seq(struct emu_port *port, const struct emu_frame *f,
			struct emu_rx_run *run, uint8_t *seq_at, uint64_t seq,
			uint64_t n);
void emu_rx_deliver_tx(struct emu_port *port, const struct emu_frame *f,
		       rte_spinlock_t **held, struct emu_rx_run *run);
uint32_t emu_wq_flush(struct emu_wq *wq);
/* libmlx4's clean of a CQ at its QP's or WQ's RESET (mlx4r_emu_engine.c). */
void emu_cq_libmlx4_clean(struct emu_cq *cq, uint32_t qpn);
void emu_rss_table_init(uint32_t (*tbl)[256], const uint8_t *key);
void emu_sq_stamp_all(struct emu_qp *qp);
/*
 * The kernel face's device thread (emu/kface), which plays the part of the
 * doorbells the model cannot see: true if the WQE at the head of a Tx QP
 * in RTS or ERR looks posted (its owner bit); then emu_tx_kick() runs the
 * Tx engine on it as a send doorbell would.
 */
bool emu_tx_pending(struct emu_qp *qp);
void emu_tx_kick(struct emu_qp *qp);
bool emu_tx_engine(struct emu_qp *qp);

/*
 * Frames a receive WQ's port has received so far (relaxed: a counter, for
 * the device threads' "did this turn do anything" test); 0 while unbound.
 */
static inline uint64_t
emu_wq_port_rx_frames(const struct emu_wq *wq)
{
	uint8_t p = __atomic_load_n(&wq->port, __ATOMIC_ACQUIRE);

	if (p == 0)
		return 0;
	return __atomic_load_n(&wq->ctx->dev->port[p - 1].st.rx_frames,
			       __ATOMIC_RELAXED);
}

/*
 * mlx4r_emu_thread.c: the engine thread of a device created with
 * conf.engine_thread. emu_engine_add_*() (dev->lock) give the queue to
 * the thread, starting it if needed (-ENOMEM, -EAGAIN, -ENOSPC: a full
 * table); emu_engine_del() (dev->lock) takes it back and returns once
 * the thread can no longer be touching it, so that it can be freed.
 * emu_engine_stop_locked() (dev->lock) stops and joins the thread.
 */
int emu_engine_add_qp(struct emu_dev *dev, struct emu_qp *qp);
int emu_engine_add_wq(struct emu_dev *dev, struct emu_wq *wq);
void emu_engine_del(struct emu_dev *dev, uint32_t slot);
void emu_engine_stop_locked(struct emu_dev *dev);
void emu_port_add_stat(uint64_t *ctr, uint64_t n);

/*
 * The Tx engine holds at most one port spinlock besides qp->lock (a port's
 * rx_lock or its chk_lock), kept from one frame to the next while frames
 * go the same way: switch to @p want, releasing what is held.
 */
static inline void
emu_lock_switch(rte_spinlock_t **held, rte_spinlock_t *want)
{
	if (*held == want)
		return;
	if (*held != NULL)
		rte_spinlock_unlock(*held);
	rte_spinlock_lock(want);
	*held = want;
}

/* mlx4r_emu_wire.c */
bool emu_wire_tx(struct emu_port *port, const struct emu_frame *f,
		 rte_spinlock_t **held, struct emu_rx_run *run);

bool emu_wire_tx_other(struct emu_port *port, enum mlx4r_emu_wire_kind w,
		       const struct emu_frame *f, rte_spinlock_t **held);
/* The checker (mlx4r_emu_wire.c): the generator's stamp. */
#define EMU_STAMP_MAGIC 0x4d345245u /* "M4RE" */
#define EMU_STAMP_OFF 42            /* Ethernet + IPv4 + UDP */
#define EMU_STAMP_LEN 16

/*
 * Whether @p f is a generator's frame (IPv4 without options, UDP, the
 * stamp with a flow in range): its stream, flow and sequence number.
 */
static __rte_always_inline bool
emu_chk_stamp(const struct emu_frame *f, uint16_t *stream, uint16_t *flow,
	      uint64_t *seq)
{
	const uint8_t *d = f->data;
	uint32_t magic, h;

	if (f->len < EMU_STAMP_OFF + EMU_STAMP_LEN)
		return false;
	/* EtherType 0x0800 and IPv4 without options: bytes 12-14, one load */
	memcpy(&h, d + 12, sizeof(h));
	memcpy(&magic, d + EMU_STAMP_OFF, 4);
	memcpy(stream, d + EMU_STAMP_OFF + 4, 2);
	memcpy(flow, d + EMU_STAMP_OFF + 6, 2);
	memcpy(seq, d + EMU_STAMP_OFF + 8, 8);
	*stream = rte_be_to_cpu_16(*stream);
	*flow = rte_be_to_cpu_16(*flow);
	*seq = rte_be_to_cpu_64(*seq);
	return (rte_be_to_cpu_32(h) >> 8) == 0x080045 &&
	       d[23] == IPPROTO_UDP &&
	       rte_be_to_cpu_32(magic) == EMU_STAMP_MAGIC &&
	       *flow < MLX4R_EMU_GEN_MAX_FLOWS;
}

void emu_chk_frame_all(struct emu_port *port, const struct emu_frame *f);

/*
 * A frame the port sent to the peer, checked; port->chk_lock held. The
 * common case here, inline in the Tx engine's paths (a
 * generator's frame of the stream of the frame before, the next of its
 * flow), with as few registers as it needs, and everything else in
 * emu_chk_frame_all(), which tests it all again: the fast case has
 * no side effect until it is known to be one, so that the two count
 * every frame once. Without the split, the common case paid for the
 * rare ones' registers (five saved and restored, about 13 instructions
 * a frame: callgrind-fwd.sh); called, the Tx engine's run kept its loop
 * on the stack across the call (mlx4r_emu_engine.c emu_tx_send1_run()).
 */
static __rte_always_inline void
emu_chk_frame(struct emu_port *port, const struct emu_frame *f)
{
	struct mlx4r_emu_chk_stats *st = &port->chk_st;
	struct emu_chk_stream *s = port->chk_last;
	struct emu_chk_flow *fl;
	uint16_t stream, flow;
	uint64_t seq;

	if (unlikely(s == NULL || !emu_chk_stamp(f, &stream, &flow, &seq) ||
		     stream != s->id))
		goto all;
	fl = &s->flows[flow];
	if (unlikely(seq != fl->next || fl->nmissing != 0))
		goto all;
	/*
	 * emu_chk_frame_all()'s in-order case with nothing missing in the
	 * window: no bit to clear
	 */
	st->bytes += f->len;
	st->received += 1;
	fl->next = seq + 1;
	return;
all:
	emu_chk_frame_all(port, f);
}


/*
 * The port whose receive side gets what @p port transmits, when its wire
 * is a loopback (the port itself) or a cross-connect (the peer) and the
 * links it crosses are up; else NULL and *w the port's other wire, for
 * emu_wire_tx_other() (MLX4R_EMU_WIRE_NONE: the frame is lost). The first
 * part of emu_wire_tx(), inline so that the Tx engine calls nothing per
 * frame on these wires.
 */
static inline struct emu_port *
emu_wire_port(struct emu_port *port, enum mlx4r_emu_wire_kind *w)
{
	struct emu_port *to;

	*w = MLX4R_EMU_WIRE_NONE;
	if (!__atomic_load_n(&port->link_up, __ATOMIC_RELAXED))
		return NULL;
	switch (__atomic_load_n(&port->wire, __ATOMIC_RELAXED)) {
	case MLX4R_EMU_WIRE_LOOPBACK:
		return port;
	case MLX4R_EMU_WIRE_XCONNECT:
		to = port->peer;
		if (to == NULL ||
		    !__atomic_load_n(&to->link_up, __ATOMIC_RELAXED))
			return NULL;
		return to;
	case MLX4R_EMU_WIRE_PEER:
		*w = MLX4R_EMU_WIRE_PEER;
		return NULL;
	case MLX4R_EMU_WIRE_TAP:
		*w = MLX4R_EMU_WIRE_TAP;
		return NULL;
	default:
		return NULL;
	}
}

void emu_wire_pump(struct emu_port *port);
void emu_wire_port_init(struct emu_port *port);
void emu_wire_port_fini(struct emu_port *port);
uint64_t emu_dev_clock(struct emu_dev *dev);

/*
 * Checksums (mlx4r_emu_engine.c, mlx4r_emu_wire.c; inline: called per
 * frame with small constant lengths): one's complement sums in memory
 * order (the sum of 16-bit words read in host order is the byte swap of
 * the sum in network order, so no swap is needed as long as the result
 * is stored back the same way). 8 bytes a step with the carries counted
 * apart: 2^64 is 1 modulo 0xffff, like 2^16, so each carry out adds 1.
 * Returns at most 33 bits: room for more additions before the fold.
 */
/*
 * The 6 bytes of a MAC address at @p a (any alignment) in a 48-bit
 * integer, memory order: (x & m) == v of two such words is the masked
 * byte-by-byte compare of the addresses.
 */
static inline uint64_t
emu_mac48(const uint8_t *a)
{
	uint32_t lo;
	uint16_t hi;

	memcpy(&lo, a, 4);
	memcpy(&hi, a + 4, 2);
	return lo | (uint64_t)hi << 32;
}

/*
 * The vector sum emu_csum_add() uses for long buffers: chosen once, when
 * the first emulated device is made (emu_csum_pick(), after EAL has
 * parsed --force-max-simd-bitwidth), read relaxed by every sum after
 * (a value set before any device exists; the unit tests set it
 * themselves to check each way).
 */
extern enum emu_csum_isa emu_csum_isa;
void emu_csum_pick(void);

/* @p s + @p v with the carry out added back (RFC 1071's end-around carry). */
static __rte_always_inline uint64_t
emu_csum_word(uint64_t s, uint64_t v)
{
	s += v;
	return s + (s < v); /* add, then add-with-carry of 0 */
}

/*
 * The one's complement sum of @p len bytes at @p buf added to @p sum, as
 * memory-order 16-bit words (RFC 1071: computed on 64-bit words, folded
 * to 33 bits at most), each word's carry added back at once
 * (emu_csum_word()). 32 bytes a step go into four sums of their own, so
 * that the words of one step do not wait for each other: one sum's chain
 * is 2 cycles a word, and at 1500 B that chain, not the number of
 * instructions, was the time (1.7 x the loop with the carries counted
 * apart; four sums 0.7 x: devtools/csum_cost.c, mlx4r_perf.rst "The
 * 1500 B checksum"). The four are added together at the end, which one's
 * complement addition allows in any order. The tail of a buffer of 8
 * bytes or more is one 8-byte load ending at its last byte, shifted right
 * so that the bytes already summed leave and the others keep their place
 * in the word (a little-endian load: byte j of the word is buf[j]);
 * shorter buffers by 4, 2 and 1.
 */
static inline uint64_t
emu_csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	const size_t all = len;
	uint64_t s = sum, q;
	uint32_t w;
	uint16_t h;

	RTE_BUILD_BUG_ON(RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN);
#ifdef EMU_CSUM_HAVE_X86_VEC
	/*
	 * The 32-byte multiple of a long buffer in AVX2 registers when
	 * the CPU has them (emu_csum_pick()); the rest starts at an even
	 * offset, so its words keep their place.
	 */
	if (len >= EMU_CSUM_VEC_MIN) {
		enum emu_csum_isa isa = __atomic_load_n(&emu_csum_isa,
							__ATOMIC_RELAXED);

		if (isa != EMU_CSUM_SCALAR) {
			size_t b = len & ~(size_t)31;

			s = emu_csum_word(s, emu_csum_vec_avx2(p, b));
			p += b;
			len -= b;
		}
	}
#endif
	if (len >= 32) {
		uint64_t s1 = 0, s2 = 0, s3 = 0, v0, v1, v2, v3;

		/* one load a word (a 32-byte copy goes through the stack) */
		do {
			memcpy(&v0, p, 8);
			memcpy(&v1, p + 8, 8);
			memcpy(&v2, p + 16, 8);
			memcpy(&v3, p + 24, 8);
			s = emu_csum_word(s, v0);
			s1 = emu_csum_word(s1, v1);
			s2 = emu_csum_word(s2, v2);
			s3 = emu_csum_word(s3, v3);
			p += 32;
			len -= 32;
		} while (len >= 32);
		s = emu_csum_word(s, s2);
		s = emu_csum_word(s, emu_csum_word(s1, s3));
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&q, p, 8);
		s = emu_csum_word(s, q);
	}
	if (len != 0 && all >= 8) {
		/* bytes p[0, len) at their places, the ones before out */
		memcpy(&q, p + len - 8, 8);
		s = emu_csum_word(s, q >> (64 - 8 * len));
		len = 0;
	}
	if (len >= 4) {
		memcpy(&w, p, 4);
		s = emu_csum_word(s, w);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		s = emu_csum_word(s, h);
		p += 2;
		len -= 2;
	}
	if (len != 0) {
		uint8_t last[2] = { *p, 0 };

		memcpy(&h, last, 2);
		s = emu_csum_word(s, h);
	}
	return (s & 0xffffffffull) + (s >> 32);
}

/*
 * @p sum folded to 16 bits with end-around carries: x + (x rotated by
 * half its width) holds in its upper half the sum of both halves plus the
 * carry out of the lower one (the fold of Linux's csum_fold()), for 64
 * then 32 bits.
 */
static inline uint16_t
emu_csum_fold(uint64_t sum)
{
	uint32_t t;

	sum = (sum + ((sum >> 32) | (sum << 32))) >> 32;
	t = (uint32_t)sum;
	t = (t + ((t >> 16) | (t << 16))) >> 16;
	return (uint16_t)t;
}

/* mlx4r_emu_fault.c */
int emu_cmd_check(struct emu_ctx *ctx, uint32_t op);
int emu_sw_check(struct emu_ctx *ctx, uint32_t op);
int emu_open_check(struct emu_dev *dev, struct emu_ctx *ctx);
void emu_catas_advance(struct emu_dev *dev);
bool emu_ctx_disassociated(struct emu_ctx *ctx);
void emu_ctx_ev_close_due(struct emu_ctx *ctx, uint64_t now);
void emu_detach_flows_locked(struct emu_ctx *ctx);

#endif /* MLX4R_EMU_PRIV_H */
