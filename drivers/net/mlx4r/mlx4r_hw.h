/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_HW_H
#define MLX4R_HW_H

/**
 * @file
 * The hardware seam of mlx4r.
 *
 * Everything the driver asks of a ConnectX-3 goes through one table of
 * operations, struct mlx4r_hw_ops, shaped like the rdma-core calls a
 * raw-Ethernet mlx4 driver makes (ibv_open_device, ibv_alloc_pd,
 * ibv_reg_mr, ibv_create_cq, ibv_create_qp(RAW_PACKET), ibv_create_wq,
 * ibv_create_rwq_ind_table, ibv_create_qp_ex(rx_hash_conf),
 * ibv_create_flow, ibv_modify_qp/wq, ibv_get/ack_async_event,
 * mlx4dv_init_obj). Two backends implement it: "emu" (the emulated
 * ConnectX-3 in emu/) and, later, "verbs" (libibverbs + mlx4dv).
 *
 * Error convention
 * ----------------
 * Every operation returns an int: 0 on success, a negative errno value on
 * failure (never sets errno as the only report). Objects are returned
 * through an out-pointer, which is left untouched on failure. The errno
 * values each call may return are listed on the call; in addition, the
 * firmware commands return -EIO once the device hit a catastrophic error
 * (see below).
 *
 * Objects and ownership
 * ---------------------
 * A handle (struct mlx4r_hw_ctx, _pd, _mr, _cq, _qp, _wq, _ind_table,
 * _flow) is allocated by the backend, starts with the public fields below
 * (read-only for the driver) and stays valid until its destroy call
 * returns. A handle is owned by the context it was created from; objects
 * must be destroyed before what they depend on (flow before QP, QP before
 * its CQ and indirection table, table before its WQs, WQ before its CQ,
 * MR and QP before their PD), otherwise the destroy returns -EBUSY.
 * close_device destroys whatever is left (the emulated device counts it).
 *
 * The memory a view points at (SQ/RQ/CQ buffers, doorbell records, the
 * UAR) belongs to the object and remains mapped until its destroy call
 * returns, including after a catastrophic error (rdma-core remaps the UAR
 * to a dummy page then; the emulated engine simply freezes).
 *
 * Catastrophic error
 * ------------------
 * As Linux goes through it (mlx4 catas.c, mlx4_ib main.c, uverbs):
 *  - before the kernel detected it, firmware commands (all but the
 *    destroys, the views, the async-event calls, query_device and
 *    alloc_pd) wait, then fail with -EIO; query_device answers from the
 *    kernel's copy of the attributes (it never sees the error) and
 *    open_device still works;
 *  - IBV_EVENT_DEVICE_FATAL, then firmware commands fail with -EIO at
 *    once; open_device returns -EAGAIN while the device is dying, then
 *    -ENODEV while it is absent;
 *  - the kernel disassociates every context: every call on it but the
 *    destroys, close_device, the views and the async-event calls fails
 *    with -EIO; the async stream may end (get_async_event -EIO, the fd in
 *    error for ever, Linux < 5.7);
 *  - destroys and close_device always succeed (rdma-core with
 *    RDMAV_ALLOW_DISASSOC_DESTROY, or the verbs backend forgetting an
 *    object whose destroy said EIO);
 *  - the device comes back under its name: a new context (new incarnation,
 *    all object numbers new); contexts of the old one stay dead until
 *    closed.
 *
 * Datapath rules (the single datapath)
 * ------------------------------------
 * The datapath reads and writes real mlx4 formats through the views
 * (struct mlx4dv_qp, mlx4dv_cq, mlx4dv_rwq): big-endian fields, owner bit =
 * wrap parity, a write barrier before a WQE's owner word, doorbell records
 * and the send doorbell at UAR offset MLX4_SEND_DOORBELL (dv.sdb). The
 * only addition is a hook (struct mlx4r_hw_hook): NULL on hardware; when
 * it is not NULL the datapath calls it once per burst:
 *  - Tx: after the send doorbell write, from the thread that wrote it
 *    (the emulated device executes the posted WQEs there);
 *  - Rx: once per burst, before polling the CQ (the emulated device pumps
 *    the port's wire into the posted receive WQEs).
 * Hooks never block for long, take no lock the driver can see, and may run
 * concurrently for different queues on different lcores: the backend
 * protects its own state. A given queue's hook is called by one thread at
 * a time (the one that owns the queue), exactly as a queue's doorbells.
 *
 * Control calls (everything else) are not thread-safe with respect to each
 * other on one context: the device core serialises them. They are safe to
 * call while datapath threads use other queues. Two exceptions: reg_mr and
 * dereg_mr may be called from any thread at any time, concurrently with
 * any other call but the close of their context (the MR layer calls them
 * from a Tx burst that meets a new pool and from EAL's memory event
 * callback, as upstream net_mlx4 does; ibv_reg_mr/ibv_dereg_mr are
 * thread-safe in libibverbs, and the backends guard their own lists).
 *
 * Additional datapath requirements, as on hardware:
 *  - A Tx WQE is posted when the owner bit (bit 31 of owner_opcode) of its
 *    first block equals (index & wqe_cnt) != 0; a block with the other
 *    owner bit ends the posted WQEs. RESET->INIT makes every block an
 *    invalid NOP, as libmlx4 does. A WQE may span several blocks (its DS
 *    count, up to the device's max_sq_desc_sz / 16).
 *  - Prefetch headroom: the device reads up to (2048 >> wqe_shift) + 1
 *    blocks past the last posted WQE ahead of time. At most wqe_cnt minus
 *    that many blocks may be outstanding, and those past the last posted
 *    WQE must not look posted: drivers that reuse blocks as parts of
 *    larger WQEs stamp every freed block (first word 0x7fffffff with the
 *    owner bit of the pass it was used in), as upstream does.
 *  - Every raw Ethernet send carries MLX4_WQE_CTRL_SOLICIT (without it the
 *    device appends a 4-byte ICRC); completion is requested per WQE with
 *    MLX4_WQE_CTRL_CQ_UPDATE in srcrb_flags; checksum offloads with
 *    MLX4_WQE_CTRL_IP_HDR_CSUM and MLX4_WQE_CTRL_TCP_UDP_CSUM;
 *    MLX4R_WQE_CTRL_FORCE_LOOPBACK sends the frame to the port's own
 *    receive side instead of the wire (on a VF, by the destination MAC the
 *    control segment carries in srcrb_flags16[0] and imm). The second word
 *    of the control segment holds vlan_tag and ins_vlan (a VLAN tag to
 *    insert) and the DS count.
 *  - A data segment of no bytes is written 0x80000000 (an empty inline
 *    segment); a byte count of 0 means 2 GB.
 *  - The RQ doorbell record (dv.rdb) holds the 16-bit count of WQEs
 *    posted; the CQ doorbell record (dv.set_ci_db) the 24-bit consumer
 *    index, written after the driver is done reading the CQEs it covers.
 *  - A CQ serves exactly one QP (send) or one WQ (receive).
 *
 * Completion events (Rx interrupts)
 * ---------------------------------
 * As libibverbs and libmlx4 do it (verbs.h ibv_create_comp_channel,
 * ibv_get_cq_event, ibv_ack_cq_events; libmlx4 cq.c mlx4_arm_cq,
 * mlx4_cq_event): a CQ created on a completion channel is armed by the
 * driver itself through its view (dv.arm_db, dv.arm_sn, dv.cq_uar): the arm
 * word sn << 28 | MLX4_CQ_DB_REQ_NOT | ci (sn: the driver's count of events
 * taken, two bits; ci: its consumer index) into the doorbell record
 * *arm_db first, a write barrier, then the 64-bit doorbell
 * (sn << 28 | cmd | cqn) << 32 | ci at cq_uar + MLX4_CQ_DOORBELL. An armed
 * CQ raises one event on its channel for the first CQE past ci (at once if
 * there is one already) and is disarmed; an arm word with the sequence
 * number of the arm that raised the last event is ignored, so the driver
 * adds one to its sn for every event it takes (get_cq_event). Every event
 * taken is acknowledged (ack_cq_events) before the CQ is destroyed.
 * cq_armed() (NULL on hardware) is the emulated device's notification of
 * an arm, after the doorbell.
 */

#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>

#include <infiniband/verbs.h>
#include <infiniband/mlx4dv.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * mlx4 format constants that rdma-core's mlx4dv.h does not define (taken
 * from the ConnectX-3 programmer's reference as used by Linux mlx4_en).
 */

/** srcrb_flags bit 0: force loopback of the frame to the port's Rx. */
#define MLX4R_WQE_CTRL_FORCE_LOOPBACK (1u << 0)
/** owner_opcode bit 31: the owner bit of a Tx WQE. */
#define MLX4R_WQE_OWNER_BIT (1u << 31)
/** owner_opcode low bits: the opcode of a Tx WQE. */
#define MLX4R_WQE_OPCODE_MASK 0x1fu
/** fence_size low 6 bits: WQE size in 16-byte units (DS count). */
#define MLX4R_WQE_DS_MASK 0x3fu
/** Size of a Tx basic block (TXBB), and its log2. */
#define MLX4R_TXBB_SIZE 64u
#define MLX4R_TXBB_SHIFT 6
/** First word of a stamped (free) TXBB, without its owner bit. */
#define MLX4R_TXBB_STAMP 0x7fffffffu
/**
 * LSO (TSO): the opcode is rdma-core's MLX4_OPCODE_LSO, the WQE a control
 * segment, struct mlx4_wqe_lso_seg (mss << 16 | header size, then the
 * header inline), padded to 16 bytes, then data segments of the payload.
 * owner_opcode bit 6 says the inline header spans more than the first
 * 64 bytes (Linux mlx4_ib qp.c build_lso_seg "blh", set when the LSO
 * segment is above 64 bytes; mlx4_en en_tx.c mlx4_en_xmit and upstream
 * mlx4_rxtx.c mlx4_tx_burst set it on every LSO WQE).
 */
#define MLX4R_WQE_CTRL_LSO_BLH (1u << 6)
/**
 * owner_opcode bits 28 and 27 (Linux include/linux/mlx4/qp.h
 * MLX4_WQE_CTRL_IIP, _ILP; upstream mlx4_prm.h MLX4_WQE_CTRL_IIP_HDR_CSUM,
 * _IL4_HDR_CSUM): the inner IP and TCP/UDP checksums of a tunnelled frame
 * (ConnectX-3 Pro); srcrb's IP_HDR_CSUM is then the outer IPv4 one.
 */
#define MLX4R_WQE_CTRL_IIP_CSUM (1u << 28)
#define MLX4R_WQE_CTRL_IL4_CSUM (1u << 27)
/**
 * Receive CQE vlan_my_qpn bits of a tunnelled frame (ConnectX-3 Pro;
 * Linux include/linux/mlx4/cq.h, upstream mlx4_prm.h): the status bits
 * then describe the inner headers, these the outer ones.
 */
#define MLX4R_CQE_L2_TUNNEL_IPOK (1u << 31) /**< outer IPv4 checksum ok */
#define MLX4R_CQE_L2_TUNNEL (1u << 27)      /**< a tunnelled frame */
#define MLX4R_CQE_L2_TUNNEL_CSUM (1u << 26) /**< outer UDP checksum ok */
#define MLX4R_CQE_L2_TUNNEL_IPV4 (1u << 25) /**< outer IPv4 (else IPv6) */
/** The VXLAN UDP port a ConnectX-3 Pro recognises (IANA; mlx4_en
 * en_netdev.c mlx4_udp_tunnel_sync -> mlx4_config_vxlan_port). */
#define MLX4R_VXLAN_PORT 4789
/** Receive CQE status bits (host order of mlx4_cqe.status). */
#define MLX4R_CQE_STATUS_TCP_UDP_CSUM_OK (1u << 2)
#define MLX4R_CQE_STATUS_IPV6F (1u << 12)  /**< IPv6 fragment */
#define MLX4R_CQE_STATUS_IPV4 (1u << 22)
#define MLX4R_CQE_STATUS_IPV4F (1u << 23)  /**< IPv4 fragment */
#define MLX4R_CQE_STATUS_IPV6 (1u << 24)
#define MLX4R_CQE_STATUS_IPV4OPT (1u << 25) /**< IPv4 with options */
#define MLX4R_CQE_STATUS_TCP (1u << 26)
#define MLX4R_CQE_STATUS_UDP (1u << 27)
#define MLX4R_CQE_STATUS_IP_HDR_CSUM_OK (1u << 28)
/** Consumer index bits of the CQ doorbell record. */
#define MLX4R_CQ_DB_CI_MASK 0xffffffu

struct mlx4r_hw_ops;

/*
 * PCI device ids of ConnectX-3 functions (ibv_device_attr.vendor_part_id;
 * Linux mlx4_core main.c mlx4_pci_table, DPDK net/mlx4 mlx4.h).
 */
#define MLX4R_PART_CX3 0x1003     /**< ConnectX-3 (physical function) */
#define MLX4R_PART_CX3_VF 0x1004  /**< ConnectX-3 virtual function */
#define MLX4R_PART_CX3_PRO 0x1007 /**< ConnectX-3 Pro */

/** A device context (ibv_context). */
struct mlx4r_hw_ctx {
	const struct mlx4r_hw_ops *ops; /**< backend of this context */
	int async_fd;        /**< pollable (POLLIN) when an async event waits */
	uint32_t incarnation; /**< device incarnation this context belongs to */
	uint32_t vendor_part_id; /**< PCI device id (MLX4R_PART_*), at open */
	/**
	 * IBV_RAW_PACKET_CAP_* of the device (ibv_query_device_ex), at
	 * open: SCATTER_FCS when the firmware keeps the FCS on request
	 * (Linux mlx4_ib main.c mlx4_ib_query_device:
	 * MLX4_DEV_CAP_FLAG_FCS_KEEP).
	 */
	uint32_t raw_packet_caps;
	/**
	 * TSO (ibv_query_device_ex tso_caps), at open: the largest LSO
	 * payload in bytes (0: no TSO) and the QP types that do it (bit
	 * 1 << IBV_QPT_*). Linux mlx4_ib main.c mlx4_ib_query_device: the
	 * firmware's max_gso_sz (mlx4_core fw.c mlx4_QUERY_DEV_CAP,
	 * QUERY_DEV_CAP_MAX_GSO_OFFSET) with RAW_PACKET on an Ethernet port.
	 */
	uint32_t max_tso;
	uint32_t tso_qpts;   /**< supported_qpts of tso_caps */
	uint8_t nb_ports;    /**< physical ports (1 or 2) */
	/**
	 * NUMA node of the rings (SQ/RQ/CQ buffers) of the objects created
	 * next, SOCKET_ID_ANY (-1, the value at open) for the device's own:
	 * written by the driver before it creates a queue's objects (under
	 * the control lock); the verbs backend allocates them in DPDK memory
	 * there (MLX4DV_SET_CTX_ATTR_BUF_ALLOCATORS), the emulated device
	 * ignores it (libc buffers).
	 */
	int buf_socket;
	/**
	 * Another process may drive this context's queues (a secondary
	 * forwarding, mlx4r_mp.c): the rings and doorbell records are in
	 * DPDK's shared memory, and cmd_fd, passed to that process, maps the
	 * UAR page at offset uar_mmap_off (libmlx4 mlx4.c
	 * mlx4_alloc_context(): uar_mmap_offset 0; Linux mlx4_ib main.c
	 * mlx4_ib_mmap(): the context's UAR at page offset 0). false
	 * (the value at open) on the emulated backend, whose engine is the
	 * primary's private memory.
	 */
	bool mp_shareable;
	int cmd_fd;          /**< the uverbs command file (mp_shareable) */
	off_t uar_mmap_off;  /**< mmap offset of the UAR page on cmd_fd */
	char name[64];       /**< device name it was opened with */
};

/** A protection domain (ibv_pd). */
struct mlx4r_hw_pd {
	struct mlx4r_hw_ctx *ctx; /**< owner */
	uint32_t pdn;             /**< PD number */
};

/** A memory region (ibv_mr). */
struct mlx4r_hw_mr {
	struct mlx4r_hw_pd *pd; /**< owner */
	void *addr;             /**< start of the registered range */
	size_t length;          /**< length of the registered range */
	uint32_t lkey;          /**< host order; store rte_cpu_to_be_32(lkey) */
	uint32_t access;        /**< enum ibv_access_flags */
};

/** A completion queue (ibv_cq). */
struct mlx4r_hw_cq {
	struct mlx4r_hw_ctx *ctx; /**< owner */
	uint32_t cqn;             /**< CQ number */
	uint32_t cqe;             /**< usable entries (>= the requested) */
};

/** A completion event channel (ibv_comp_channel). */
struct mlx4r_hw_channel {
	struct mlx4r_hw_ctx *ctx; /**< owner */
	/**
	 * Pollable (POLLIN) while an event waits; non-blocking. Owned by
	 * the channel: closed by its destroy.
	 */
	int fd;
};

/** Kinds of QP the seam creates. */
enum mlx4r_hw_qp_kind {
	MLX4R_HW_QP_RAW_TX, /**< IBV_QPT_RAW_PACKET with a send queue */
	MLX4R_HW_QP_RSS,    /**< receive hash QP over an indirection table */
};

/** A queue pair (ibv_qp). */
struct mlx4r_hw_qp {
	struct mlx4r_hw_ctx *ctx;   /**< owner */
	uint32_t qpn;               /**< QP number (24 bits) */
	enum mlx4r_hw_qp_kind kind; /**< raw Tx or RSS */
	enum ibv_qp_state state;    /**< last state set by modify_qp (or a
				     *   QP_FATAL); WQE errors show as
				     *   error CQEs, not here */
	void *user_context;         /**< for the driver, never touched */
};

/** A receive work queue (ibv_wq). */
struct mlx4r_hw_wq {
	struct mlx4r_hw_ctx *ctx; /**< owner */
	uint32_t wq_num;          /**< WQ number (24 bits) */
	enum ibv_wq_state state;  /**< last state set by modify_wq */
	void *user_context;       /**< for the driver, never touched */
};

/** An RSS indirection table (ibv_rwq_ind_table). */
struct mlx4r_hw_ind_table {
	struct mlx4r_hw_ctx *ctx; /**< owner */
	uint32_t ind_tbl_num;     /**< table number */
	uint32_t log_size;        /**< log2 of the number of entries */
};

/** A steering rule (ibv_flow). */
struct mlx4r_hw_flow {
	struct mlx4r_hw_qp *qp; /**< destination */
	uint32_t handle;        /**< rule number */
};

/** Attributes of a raw-packet Tx QP (ibv_qp_init_attr, reduced). */
struct mlx4r_hw_qp_attr {
	struct mlx4r_hw_cq *send_cq; /**< completions of the SQ */
	struct ibv_qp_cap cap;       /**< max_send_wr/max_send_sge in, out */
};

/** Attributes of a receive WQ (ibv_wq_init_attr, reduced). */
struct mlx4r_hw_wq_attr {
	struct mlx4r_hw_cq *cq; /**< completions of the WQ */
	uint32_t max_wr;        /**< WQEs, rounded up to a power of two */
	uint32_t max_sge;       /**< data segments per WQE, rounded up too */
	uint32_t create_flags;  /**< enum ibv_wq_flags: SCATTER_FCS only */
};

/** What an async event's element is, by its type. */
enum mlx4r_hw_ev_elem {
	MLX4R_HW_EV_NONE, /**< nothing used (DEVICE_FATAL, the SRQ events) */
	MLX4R_HW_EV_QP,   /**< element.qp */
	MLX4R_HW_EV_CQ,   /**< element.cq */
	MLX4R_HW_EV_WQ,   /**< element.wq */
	MLX4R_HW_EV_PORT, /**< element.port_num */
};

/*
 * The element of an event of type @p t, as rdma-core's
 * ibv_ack_async_event() (libibverbs/device.c) and uverbs'
 * ib_uverbs_qp_event_handler() & co read it.
 */
static inline enum mlx4r_hw_ev_elem
mlx4r_hw_event_elem(enum ibv_event_type t)
{
	switch (t) {
	case IBV_EVENT_CQ_ERR:
		return MLX4R_HW_EV_CQ;
	case IBV_EVENT_QP_FATAL:
	case IBV_EVENT_QP_REQ_ERR:
	case IBV_EVENT_QP_ACCESS_ERR:
	case IBV_EVENT_COMM_EST:
	case IBV_EVENT_SQ_DRAINED:
	case IBV_EVENT_PATH_MIG:
	case IBV_EVENT_PATH_MIG_ERR:
	case IBV_EVENT_QP_LAST_WQE_REACHED:
		return MLX4R_HW_EV_QP;
	case IBV_EVENT_WQ_FATAL:
		return MLX4R_HW_EV_WQ;
	case IBV_EVENT_PORT_ACTIVE:
	case IBV_EVENT_PORT_ERR:
	case IBV_EVENT_LID_CHANGE:
	case IBV_EVENT_PKEY_CHANGE:
	case IBV_EVENT_SM_CHANGE:
	case IBV_EVENT_CLIENT_REREGISTER:
	case IBV_EVENT_GID_CHANGE:
		return MLX4R_HW_EV_PORT;
	default:
		return MLX4R_HW_EV_NONE;
	}
}

/** An asynchronous event (ibv_async_event with seam handles). */
struct mlx4r_hw_async_event {
	union {
		struct mlx4r_hw_cq *cq; /**< IBV_EVENT_CQ_ERR */
		struct mlx4r_hw_qp *qp; /**< IBV_EVENT_QP_FATAL, ... */
		struct mlx4r_hw_wq *wq; /**< IBV_EVENT_WQ_FATAL */
		int port_num;           /**< IBV_EVENT_PORT_ACTIVE/ERR */
	} element;
	enum ibv_event_type event_type; /**< what happened */
	/** the backend's own element (verbs: rdma-core's), for the ack */
	void *be_element;
};

/** Optional per-port hardware counters. */
struct mlx4r_hw_port_counters {
	uint64_t rx_missed;  /**< frames dropped for lack of receive WQEs */
	uint64_t rx_dropped; /**< frames no steering rule accepted */
	uint64_t rx_errors;  /**< receive errors (length, protection) */
	uint64_t tx_dropped; /**< frames sent while the link was down */
};

/**
 * The kernel netdev of a port: on hardware mlx4_en's Ethernet interface,
 * found as <ibdev>/device/net/<ifname> whose dev_port is port - 1. While it
 * is down mlx4_en keeps the port closed (mlx4_CLOSE_PORT): nothing is
 * received. Its MTU is the port's: larger frames are dropped by the port.
 */
struct mlx4r_hw_netdev {
	char name[16];        /**< interface name (IFNAMSIZ); "" if none */
	unsigned int ifindex; /**< interface index; 0 if not a real one */
	bool up;              /**< IFF_UP: administratively up */
	bool running;         /**< IFF_RUNNING: up, with carrier */
	uint16_t mtu;         /**< MTU (SIOCGIFMTU) */
	uint32_t speed;       /**< ethtool link speed, Mb/s; 0 unknown */
	bool full_duplex;     /**< ethtool duplex is full */
};

/** Pause (IEEE 802.3x flow control) of a port (ethtool_pauseparam). */
struct mlx4r_hw_pause {
	bool autoneg;  /**< negotiated (mlx4_en: never) */
	bool rx_pause; /**< honour received pause frames */
	bool tx_pause; /**< send pause frames when the Rx buffer fills */
};

/**
 * The per-burst hook of a queue. fn is NULL on hardware; otherwise the
 * datapath calls fn(arg) once per burst (see the file comment).
 */
struct mlx4r_hw_hook {
	void (*fn)(void *arg); /**< NULL on hardware */
	void *arg;             /**< passed to fn */
};

/**
 * The operations of a backend. Use the mlx4r_hw_*() wrappers below rather
 * than the table itself. Every pointer must be set unless noted.
 */
struct mlx4r_hw_ops {
	const char *name; /**< "emu", "verbs" */

	/**
	 * Open a device (ibv_open_device). Sets up the async fd.
	 * @return 0, -ENODEV (no such device, or absent after a catastrophic
	 *   error), -EAGAIN (dying: mlx4_ib refuses new contexts), -EIO
	 *   (failing to come back), -ENOMEM.
	 */
	int (*open_device)(const char *name, struct mlx4r_hw_ctx **out);
	/**
	 * Close a context (ibv_close_device); destroys what is left. Always
	 * succeeds, also after a catastrophic error.
	 */
	int (*close_device)(struct mlx4r_hw_ctx *ctx);
	/**
	 * ibv_query_device: the kernel's copy of the attributes (answers on
	 * a dying device). @return 0, -EIO (context disassociated).
	 */
	int (*query_device)(struct mlx4r_hw_ctx *ctx,
			    struct ibv_device_attr *attr);
	/**
	 * ibv_query_port; port numbers start at 1. state follows the link
	 * (IBV_PORT_ACTIVE / IBV_PORT_DOWN), link_layer is
	 * IBV_LINK_LAYER_ETHERNET. A firmware command on mlx4 (QUERY_PORT):
	 * it fails on a device in catastrophic error. Unlike the other
	 * control calls it may run beside another thread's call on the same
	 * context (the health check).
	 * @return 0, -EINVAL (bad port), -EIO.
	 */
	int (*query_port)(struct mlx4r_hw_ctx *ctx, uint8_t port,
			  struct ibv_port_attr *attr);
	/** MAC address of a port (netdev on hardware). @return 0, -EINVAL. */
	int (*port_mac)(struct mlx4r_hw_ctx *ctx, uint8_t port,
			uint8_t mac[6]);
	/**
	 * Port counters; may be NULL (the wrapper returns -ENOTSUP).
	 * @return 0, -EINVAL, -EIO.
	 */
	int (*port_counters)(struct mlx4r_hw_ctx *ctx, uint8_t port,
			     struct mlx4r_hw_port_counters *c);
	/**
	 * The port's kernel netdev: name, flags, MTU, ethtool link speed
	 * (SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFINDEX, ETHTOOL_GLINKSETTINGS or
	 * ETHTOOL_GSET). May be NULL (the wrapper returns -ENOTSUP).
	 * @return 0, -EINVAL (port), -ENODEV (no netdev for the port), or
	 *   the errno of the ioctl.
	 */
	int (*netdev_query)(struct mlx4r_hw_ctx *ctx, uint8_t port,
			    struct mlx4r_hw_netdev *nd);
	/**
	 * Bring the netdev up or down (SIOCSIFFLAGS, IFF_UP). May be NULL.
	 * @return 0, -EINVAL, -ENODEV, -EPERM (no CAP_NET_ADMIN), or the
	 *   errno of the ioctl.
	 */
	int (*netdev_set_up)(struct mlx4r_hw_ctx *ctx, uint8_t port, bool up);
	/**
	 * Set the netdev's MTU (SIOCSIFMTU), which is the port's. May be
	 * NULL. @return 0, -EINVAL (the netdev refuses the value: outside
	 *   its min_mtu..max_mtu), -ENODEV, -EPERM, or the errno of the ioctl.
	 */
	int (*netdev_set_mtu)(struct mlx4r_hw_ctx *ctx, uint8_t port,
			      uint16_t mtu);
	/**
	 * The netdev's pause parameters (ethtool ETHTOOL_GPAUSEPARAM, as
	 * upstream's mlx4_flow_ctrl_get). May be NULL.
	 * @return 0, -EINVAL, -ENODEV, or the errno of the ioctl.
	 */
	int (*netdev_pause_get)(struct mlx4r_hw_ctx *ctx, uint8_t port,
				struct mlx4r_hw_pause *pause);
	/**
	 * Set them (ETHTOOL_SPAUSEPARAM, as mlx4_flow_ctrl_set). May be
	 * NULL. @return 0, -EINVAL (autoneg: Linux en_ethtool.c
	 *   mlx4_en_set_pauseparam refuses it), -ENODEV, -EPERM, or the
	 *   errno of the ioctl.
	 */
	int (*netdev_pause_set)(struct mlx4r_hw_ctx *ctx, uint8_t port,
				const struct mlx4r_hw_pause *pause);

	/** ibv_alloc_pd. @return 0, -ENOMEM, -EIO. */
	int (*alloc_pd)(struct mlx4r_hw_ctx *ctx, struct mlx4r_hw_pd **out);
	/** ibv_dealloc_pd. @return 0, -EBUSY (MRs or QPs left). */
	int (*dealloc_pd)(struct mlx4r_hw_pd *pd);
	/**
	 * ibv_reg_mr. access: IBV_ACCESS_LOCAL_WRITE is needed for memory
	 * the device writes (receive buffers). As Linux does it
	 * (uverbs_cmd.c ib_uverbs_reg_mr(), ib_verbs.h ib_check_mr_access(),
	 * umem.c ib_umem_get()): the pages of the range are pinned, whole;
	 * an lkey then covers exactly [addr, addr + length), and keeps the
	 * pages it pinned even if the process unmaps them (a card then reads
	 * and writes pages the process no longer sees; the emulated device
	 * fails such an lkey with a local protection error).
	 * @return 0, -EINVAL (NULL/empty range, wrapping range, unknown
	 *   flags, remote write or atomic without local write), -EFAULT
	 *   (a page of the range not mapped, or not writable for a
	 *   writable MR), -ENOMEM, -EIO.
	 */
	int (*reg_mr)(struct mlx4r_hw_pd *pd, void *addr, size_t length,
		      uint32_t access, struct mlx4r_hw_mr **out);
	/** ibv_dereg_mr. @return 0. */
	int (*dereg_mr)(struct mlx4r_hw_mr *mr);

	/**
	 * ibv_create_cq: at least @p cqe entries, rounded up to a power of
	 * two; every entry starts hardware-owned.
	 * @return 0, -EINVAL (cqe 0 or above the device maximum), -ENOMEM,
	 *   -EIO.
	 */
	int (*create_cq)(struct mlx4r_hw_ctx *ctx, uint32_t cqe,
			 struct mlx4r_hw_cq **out);
	/**
	 * ibv_destroy_cq. @return 0, -EBUSY (a QP or WQ uses it, or events
	 *   taken from its channel are not all acknowledged: libibverbs'
	 *   ibv_destroy_cq would wait for them for ever).
	 */
	int (*destroy_cq)(struct mlx4r_hw_cq *cq);
	/**
	 * ibv_create_comp_channel; the fd is non-blocking. May be NULL
	 * (the wrapper returns -ENOTSUP).
	 * @return 0, -ENOMEM, -EMFILE, -EIO.
	 */
	int (*create_comp_channel)(struct mlx4r_hw_ctx *ctx,
				   struct mlx4r_hw_channel **out);
	/**
	 * ibv_destroy_comp_channel. @return 0, -EBUSY (a CQ is bound to
	 *   it: libibverbs verbs.c ibv_destroy_comp_channel).
	 */
	int (*destroy_comp_channel)(struct mlx4r_hw_channel *ch);
	/**
	 * ibv_create_cq(ctx, cqe, NULL, ch, 0): as create_cq, its events on
	 * @p ch. @return as create_cq.
	 */
	int (*create_cq_ch)(struct mlx4r_hw_ctx *ctx, uint32_t cqe,
			    struct mlx4r_hw_channel *ch,
			    struct mlx4r_hw_cq **out);
	/**
	 * ibv_get_cq_event, never blocking: the CQ of the oldest event
	 * waiting on @p ch, which the caller acknowledges later.
	 * @return 0, -EAGAIN (none waits), -EIO (the context is gone).
	 */
	int (*get_cq_event)(struct mlx4r_hw_channel *ch,
			    struct mlx4r_hw_cq **cq);
	/** ibv_ack_cq_events: @p n events taken from the CQ's channel. */
	void (*ack_cq_events)(struct mlx4r_hw_cq *cq, unsigned int n);
	/**
	 * The driver armed the CQ (after its doorbell): the emulated
	 * device, which cannot see the UAR write, looks at the arm word.
	 * NULL on hardware.
	 */
	void (*cq_armed)(struct mlx4r_hw_cq *cq);
	/**
	 * The CQ's view (mlx4dv_init_obj MLX4DV_OBJ_CQ): buffer, cqe_cnt,
	 * cqe_size (32 or 64; a 64-byte entry holds its CQE in the second
	 * half), set_ci_db. @return 0.
	 */
	int (*cq_view)(struct mlx4r_hw_cq *cq, struct mlx4dv_cq *dv);

	/**
	 * ibv_create_qp(IBV_QPT_RAW_PACKET) with a send queue only (no
	 * receive WRs, no inline data); the QP starts in IBV_QPS_RESET. The
	 * SQ is what libmlx4 makes of cap: a stride of the smallest power of
	 * two >= 64 holding max_send_sge data segments and the control
	 * segment, max_send_wr + (2048 / stride + 1) spare WQEs rounded up to
	 * a power of two; cap is updated with what was granted (max_send_wr:
	 * all WQEs but the spare ones; max_send_sge: what a stride holds).
	 * @return 0, -EINVAL (no CQ, CQ already in use, no WRs, caps above
	 *   query_device's, a SQ the kernel refuses), -ENOMEM, -EIO.
	 */
	int (*create_qp)(struct mlx4r_hw_pd *pd, struct mlx4r_hw_qp_attr *attr,
			 struct mlx4r_hw_qp **out);
	/**
	 * ibv_create_qp_ex with rx_hash_conf: a receive hash QP spreading
	 * frames over @p ind by Toeplitz hash. conf->rx_hash_function must
	 * be IBV_RX_HASH_FUNC_TOEPLITZ, key_len 40; fields_mask takes
	 * IBV_RX_HASH_{SRC,DST}_{IPV4,IPV6} and _PORT_{TCP,UDP} (0 = every
	 * frame to entry 0).
	 * @return 0, -EINVAL, -EOPNOTSUPP (other fields), -ENOMEM, -EIO.
	 */
	int (*create_rss_qp)(struct mlx4r_hw_pd *pd,
			     struct mlx4r_hw_ind_table *ind,
			     const struct ibv_rx_hash_conf *conf,
			     struct mlx4r_hw_qp **out);
	/**
	 * ibv_modify_qp: attr_mask must hold IBV_QP_STATE; IBV_QP_PORT is
	 * required for RESET->INIT of a Tx QP. Valid moves: RESET->INIT,
	 * INIT->INIT, INIT->RTR, RTR->RTS, RTS->RTS, any->RESET, any->ERR.
	 * RESET empties the queue (indexes back to 0); INIT stamps every
	 * TXBB invalid.
	 * @return 0, -EINVAL (invalid move or attribute), -EIO.
	 */
	int (*modify_qp)(struct mlx4r_hw_qp *qp, struct ibv_qp_attr *attr,
			 int attr_mask);
	/**
	 * ibv_query_qp for IBV_QP_STATE: the state the device holds the QP
	 * in, which it moves to error by itself (Linux mlx4_ib qp.c
	 * mlx4_ib_query_qp(): the firmware's QUERY_QP, not the last state
	 * set). Optional: NULL where the backend cannot tell.
	 * @return 0, -EIO (the firmware does not answer), -errno.
	 */
	int (*query_qp_state)(struct mlx4r_hw_qp *qp,
			      enum ibv_qp_state *state);
	/** ibv_destroy_qp. @return 0, -EBUSY (flows attached). */
	int (*destroy_qp)(struct mlx4r_hw_qp *qp);
	/**
	 * The Tx QP's view (MLX4DV_OBJ_QP): SQ at buf.buf + sq.offset,
	 * sq.wqe_cnt blocks of 1 << sq.wqe_shift bytes (64-byte TXBBs for
	 * up to 3 SGEs), sdb and doorbell_qpn; plus the Tx hook.
	 * @return 0, -EINVAL (not a Tx QP).
	 */
	int (*qp_view)(struct mlx4r_hw_qp *qp, struct mlx4dv_qp *dv,
		       struct mlx4r_hw_hook *hook);

	/**
	 * ibv_create_wq(IBV_WQT_RQ), starts in IBV_WQS_RESET.
	 * @return 0, -EINVAL (no CQ, CQ in use, sizes), -EOPNOTSUPP (flags),
	 *   -ENOMEM, -EIO.
	 */
	int (*create_wq)(struct mlx4r_hw_pd *pd, struct mlx4r_hw_wq_attr *attr,
			 struct mlx4r_hw_wq **out);
	/**
	 * ibv_modify_wq: RESET->RDY, RDY->RDY, any->ERR, any->RESET (which
	 * empties the queue). @return 0, -EINVAL, -EIO.
	 */
	int (*modify_wq)(struct mlx4r_hw_wq *wq, enum ibv_wq_state state);
	/** ibv_destroy_wq. @return 0, -EBUSY (in an indirection table). */
	int (*destroy_wq)(struct mlx4r_hw_wq *wq);
	/**
	 * The WQ's view (MLX4DV_OBJ_RWQ): rq.wqe_cnt WQEs of
	 * 1 << rq.wqe_shift bytes (max_sge data segments; unused ones carry
	 * lkey MLX4_INVALID_LKEY), rdb; plus the Rx hook. @return 0.
	 */
	int (*wq_view)(struct mlx4r_hw_wq *wq, struct mlx4dv_rwq *dv,
		       struct mlx4r_hw_hook *hook);

	/**
	 * Prepare the context for receive WQs that will form one RSS
	 * indirection table of 1 << log_size queues (ConnectX-3 needs their
	 * numbers consecutive and aligned: mlx4dv_set_context_attr
	 * LOG_WQS_RANGE_SZ). Called before creating those WQs. May be NULL
	 * (the wrapper then succeeds). @return 0, -EINVAL, -EIO.
	 */
	int (*set_rss_range)(struct mlx4r_hw_ctx *ctx, uint32_t log_size);
	/**
	 * ibv_create_rwq_ind_table over 1 << log_size entries.
	 * @return 0, -EINVAL (size, NULL WQ), -ENOMEM, -EIO.
	 */
	int (*create_ind_table)(struct mlx4r_hw_ctx *ctx, uint32_t log_size,
				struct mlx4r_hw_wq *const *wqs,
				struct mlx4r_hw_ind_table **out);
	/** ibv_destroy_rwq_ind_table. @return 0, -EBUSY (a QP uses it). */
	int (*destroy_ind_table)(struct mlx4r_hw_ind_table *ind);

	/**
	 * ibv_create_flow: @p attr is followed by attr->num_of_specs specs
	 * (IBV_FLOW_SPEC_ETH, _IPV4, _TCP, _UDP), as in verbs. attr->type
	 * IBV_FLOW_ATTR_NORMAL (match), IBV_FLOW_ATTR_ALL_DEFAULT
	 * (promiscuous), IBV_FLOW_ATTR_MC_DEFAULT (all-multicast).
	 * @return 0, -EINVAL (port, sizes), -EOPNOTSUPP (spec or type),
	 *   -ENOMEM, -EIO.
	 */
	int (*create_flow)(struct mlx4r_hw_qp *qp, struct ibv_flow_attr *attr,
			   struct mlx4r_hw_flow **out);
	/** ibv_destroy_flow. @return 0. */
	int (*destroy_flow)(struct mlx4r_hw_flow *flow);

	/**
	 * ibv_get_async_event, never blocking: poll ctx->async_fd for POLLIN.
	 * @return 0, -EAGAIN (nothing pending), -EIO (the event stream ended:
	 *   the kernel closed the queue of a disassociated device; the fd
	 *   stays ready or in error for ever).
	 */
	int (*get_async_event)(struct mlx4r_hw_ctx *ctx,
			       struct mlx4r_hw_async_event *ev);
	/**
	 * ibv_ack_async_event. Until an event naming a QP or a CQ is
	 * acknowledged, its handle stays valid: the object's destroy waits
	 * for it (rdma-core libibverbs/cmd_qp.c ibv_cmd_destroy_qp, cmd_cq.c
	 * ibv_cmd_destroy_cq); the emulated device waits as well.
	 */
	void (*ack_async_event)(struct mlx4r_hw_ctx *ctx,
				struct mlx4r_hw_async_event *ev);
};

/** The emulated ConnectX-3 (drivers/net/mlx4r/emu). */
extern const struct mlx4r_hw_ops mlx4r_hw_emu_ops;

/**
 * The rdma-core backend: librte_net_mlx4r_verbs.so, opened with dlopen()
 * on first use (mlx4r_verbs_load.c), so that the driver itself needs no
 * rdma-core library at run time.
 * @param[out] err
 *   Why it could not be loaded (dlerror()), on failure.
 * @return
 *   The backend, or NULL.
 */
const struct mlx4r_hw_ops *mlx4r_hw_verbs_backend(char *err, size_t len);

/**
 * Select a backend by name ("emu", "verbs").
 * @return the backend, or NULL if it is unknown or cannot be loaded.
 */
static inline const struct mlx4r_hw_ops *
mlx4r_hw_backend(const char *name)
{
	char err[256];

	if (strcmp(name, "emu") == 0)
		return &mlx4r_hw_emu_ops;
	if (strcmp(name, "verbs") == 0)
		return mlx4r_hw_verbs_backend(err, sizeof(err));
	return NULL;
}

/*
 * Wrappers: dispatch through the owner context's backend.
 */

static inline int
mlx4r_hw_open_device(const struct mlx4r_hw_ops *ops, const char *name,
		     struct mlx4r_hw_ctx **out)
{
	return ops->open_device(name, out);
}

static inline int
mlx4r_hw_close_device(struct mlx4r_hw_ctx *ctx)
{
	return ctx->ops->close_device(ctx);
}

static inline int
mlx4r_hw_query_device(struct mlx4r_hw_ctx *ctx, struct ibv_device_attr *a)
{
	return ctx->ops->query_device(ctx, a);
}

static inline int
mlx4r_hw_query_port(struct mlx4r_hw_ctx *ctx, uint8_t port,
		    struct ibv_port_attr *a)
{
	/* no context between the two contexts of a reset */
	if (ctx == NULL)
		return -ENODEV;
	return ctx->ops->query_port(ctx, port, a);
}

static inline int
mlx4r_hw_port_mac(struct mlx4r_hw_ctx *ctx, uint8_t port, uint8_t mac[6])
{
	return ctx->ops->port_mac(ctx, port, mac);
}

static inline int
mlx4r_hw_port_counters(struct mlx4r_hw_ctx *ctx, uint8_t port,
		       struct mlx4r_hw_port_counters *c)
{
	if (ctx == NULL)
		return -ENODEV; /* between the two contexts of a reset */
	if (ctx->ops->port_counters == NULL)
		return -ENOTSUP;
	return ctx->ops->port_counters(ctx, port, c);
}

static inline int
mlx4r_hw_netdev_query(struct mlx4r_hw_ctx *ctx, uint8_t port,
		      struct mlx4r_hw_netdev *nd)
{
	if (ctx == NULL)
		return -ENODEV; /* between the two contexts of a reset */
	if (ctx->ops->netdev_query == NULL)
		return -ENOTSUP;
	return ctx->ops->netdev_query(ctx, port, nd);
}

static inline int
mlx4r_hw_netdev_set_up(struct mlx4r_hw_ctx *ctx, uint8_t port, bool up)
{
	if (ctx == NULL)
		return -ENODEV;
	if (ctx->ops->netdev_set_up == NULL)
		return -ENOTSUP;
	return ctx->ops->netdev_set_up(ctx, port, up);
}

static inline int
mlx4r_hw_netdev_set_mtu(struct mlx4r_hw_ctx *ctx, uint8_t port, uint16_t mtu)
{
	if (ctx == NULL)
		return -ENODEV;
	if (ctx->ops->netdev_set_mtu == NULL)
		return -ENOTSUP;
	return ctx->ops->netdev_set_mtu(ctx, port, mtu);
}

static inline int
mlx4r_hw_netdev_pause_get(struct mlx4r_hw_ctx *ctx, uint8_t port,
			  struct mlx4r_hw_pause *pause)
{
	if (ctx == NULL)
		return -ENODEV;
	if (ctx->ops->netdev_pause_get == NULL)
		return -ENOTSUP;
	return ctx->ops->netdev_pause_get(ctx, port, pause);
}

static inline int
mlx4r_hw_netdev_pause_set(struct mlx4r_hw_ctx *ctx, uint8_t port,
			  const struct mlx4r_hw_pause *pause)
{
	if (ctx == NULL)
		return -ENODEV;
	if (ctx->ops->netdev_pause_set == NULL)
		return -ENOTSUP;
	return ctx->ops->netdev_pause_set(ctx, port, pause);
}

static inline int
mlx4r_hw_alloc_pd(struct mlx4r_hw_ctx *ctx, struct mlx4r_hw_pd **out)
{
	return ctx->ops->alloc_pd(ctx, out);
}

static inline int
mlx4r_hw_dealloc_pd(struct mlx4r_hw_pd *pd)
{
	return pd->ctx->ops->dealloc_pd(pd);
}

static inline int
mlx4r_hw_reg_mr(struct mlx4r_hw_pd *pd, void *addr, size_t len,
		uint32_t access, struct mlx4r_hw_mr **out)
{
	return pd->ctx->ops->reg_mr(pd, addr, len, access, out);
}

static inline int
mlx4r_hw_dereg_mr(struct mlx4r_hw_mr *mr)
{
	return mr->pd->ctx->ops->dereg_mr(mr);
}

static inline int
mlx4r_hw_create_cq(struct mlx4r_hw_ctx *ctx, uint32_t cqe,
		   struct mlx4r_hw_cq **out)
{
	return ctx->ops->create_cq(ctx, cqe, out);
}

static inline int
mlx4r_hw_destroy_cq(struct mlx4r_hw_cq *cq)
{
	return cq->ctx->ops->destroy_cq(cq);
}

static inline int
mlx4r_hw_cq_view(struct mlx4r_hw_cq *cq, struct mlx4dv_cq *dv)
{
	return cq->ctx->ops->cq_view(cq, dv);
}

static inline int
mlx4r_hw_create_comp_channel(struct mlx4r_hw_ctx *ctx,
			     struct mlx4r_hw_channel **out)
{
	if (ctx->ops->create_comp_channel == NULL)
		return -ENOTSUP;
	return ctx->ops->create_comp_channel(ctx, out);
}

static inline int
mlx4r_hw_destroy_comp_channel(struct mlx4r_hw_channel *ch)
{
	return ch->ctx->ops->destroy_comp_channel(ch);
}

static inline int
mlx4r_hw_create_cq_ch(struct mlx4r_hw_ctx *ctx, uint32_t cqe,
		      struct mlx4r_hw_channel *ch, struct mlx4r_hw_cq **out)
{
	if (ch == NULL)
		return ctx->ops->create_cq(ctx, cqe, out);
	if (ctx->ops->create_cq_ch == NULL)
		return -ENOTSUP;
	return ctx->ops->create_cq_ch(ctx, cqe, ch, out);
}

static inline int
mlx4r_hw_get_cq_event(struct mlx4r_hw_channel *ch, struct mlx4r_hw_cq **cq)
{
	return ch->ctx->ops->get_cq_event(ch, cq);
}

static inline void
mlx4r_hw_ack_cq_events(struct mlx4r_hw_cq *cq, unsigned int n)
{
	cq->ctx->ops->ack_cq_events(cq, n);
}

static inline void
mlx4r_hw_cq_armed(struct mlx4r_hw_cq *cq)
{
	if (cq->ctx->ops->cq_armed != NULL)
		cq->ctx->ops->cq_armed(cq);
}

static inline int
mlx4r_hw_create_qp(struct mlx4r_hw_pd *pd, struct mlx4r_hw_qp_attr *attr,
		   struct mlx4r_hw_qp **out)
{
	return pd->ctx->ops->create_qp(pd, attr, out);
}

static inline int
mlx4r_hw_create_rss_qp(struct mlx4r_hw_pd *pd, struct mlx4r_hw_ind_table *ind,
		       const struct ibv_rx_hash_conf *conf,
		       struct mlx4r_hw_qp **out)
{
	return pd->ctx->ops->create_rss_qp(pd, ind, conf, out);
}

static inline int
mlx4r_hw_modify_qp(struct mlx4r_hw_qp *qp, struct ibv_qp_attr *attr,
		   int attr_mask)
{
	return qp->ctx->ops->modify_qp(qp, attr, attr_mask);
}

/* -ENOTSUP when the backend cannot tell. */
static inline int
mlx4r_hw_query_qp_state(struct mlx4r_hw_qp *qp, enum ibv_qp_state *state)
{
	if (qp->ctx->ops->query_qp_state == NULL)
		return -ENOTSUP;
	return qp->ctx->ops->query_qp_state(qp, state);
}

static inline int
mlx4r_hw_destroy_qp(struct mlx4r_hw_qp *qp)
{
	return qp->ctx->ops->destroy_qp(qp);
}

static inline int
mlx4r_hw_qp_view(struct mlx4r_hw_qp *qp, struct mlx4dv_qp *dv,
		 struct mlx4r_hw_hook *hook)
{
	return qp->ctx->ops->qp_view(qp, dv, hook);
}

static inline int
mlx4r_hw_create_wq(struct mlx4r_hw_pd *pd, struct mlx4r_hw_wq_attr *attr,
		   struct mlx4r_hw_wq **out)
{
	return pd->ctx->ops->create_wq(pd, attr, out);
}

static inline int
mlx4r_hw_modify_wq(struct mlx4r_hw_wq *wq, enum ibv_wq_state state)
{
	return wq->ctx->ops->modify_wq(wq, state);
}

static inline int
mlx4r_hw_destroy_wq(struct mlx4r_hw_wq *wq)
{
	return wq->ctx->ops->destroy_wq(wq);
}

static inline int
mlx4r_hw_wq_view(struct mlx4r_hw_wq *wq, struct mlx4dv_rwq *dv,
		 struct mlx4r_hw_hook *hook)
{
	return wq->ctx->ops->wq_view(wq, dv, hook);
}

static inline int
mlx4r_hw_create_ind_table(struct mlx4r_hw_ctx *ctx, uint32_t log_size,
			  struct mlx4r_hw_wq *const *wqs,
			  struct mlx4r_hw_ind_table **out)
{
	return ctx->ops->create_ind_table(ctx, log_size, wqs, out);
}

static inline int
mlx4r_hw_set_rss_range(struct mlx4r_hw_ctx *ctx, uint32_t log_size)
{
	if (ctx->ops->set_rss_range == NULL)
		return 0;
	return ctx->ops->set_rss_range(ctx, log_size);
}

static inline int
mlx4r_hw_destroy_ind_table(struct mlx4r_hw_ind_table *ind)
{
	return ind->ctx->ops->destroy_ind_table(ind);
}

static inline int
mlx4r_hw_create_flow(struct mlx4r_hw_qp *qp, struct ibv_flow_attr *attr,
		     struct mlx4r_hw_flow **out)
{
	return qp->ctx->ops->create_flow(qp, attr, out);
}

static inline int
mlx4r_hw_destroy_flow(struct mlx4r_hw_flow *flow)
{
	return flow->qp->ctx->ops->destroy_flow(flow);
}

static inline int
mlx4r_hw_get_async_event(struct mlx4r_hw_ctx *ctx,
			 struct mlx4r_hw_async_event *ev)
{
	return ctx->ops->get_async_event(ctx, ev);
}

static inline void
mlx4r_hw_ack_async_event(struct mlx4r_hw_ctx *ctx,
			 struct mlx4r_hw_async_event *ev)
{
	ctx->ops->ack_async_event(ctx, ev);
}

/**
 * Call a queue's hook if it has one (the datapath's only concession to
 * emulation: one predictable branch per burst on hardware).
 */
static inline void
mlx4r_hw_hook_call(const struct mlx4r_hw_hook *hook)
{
	if (hook->fn != NULL)
		hook->fn(hook->arg);
}

#ifdef __cplusplus
}
#endif

#endif /* MLX4R_HW_H */
