/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_EMU_H
#define MLX4R_EMU_H

/**
 * @file
 * The emulated ConnectX-3: its C API beyond the hardware seam.
 *
 * An emulated device (an "HCA" with one or two Ethernet ports) is named;
 * the seam's open_device() finds it by name and creates it with the default
 * configuration when it does not exist yet. This header configures devices,
 * their wires (what a port is cabled to), the built-in traffic generator and
 * checker, and injects faults; the driver's fault-injection layer and the
 * tests use it.
 *
 * Calls return 0 or a negative errno. Port numbers start at 1, as in verbs.
 *
 * Determinism: the device has no thread. The engine runs inside the queue
 * hooks the datapath calls (see mlx4r_hw.h); the generator is paced by the
 * device clock, which is either the TSC or, for tests, a manual clock that
 * only moves when mlx4r_emu_clock_advance() is called. Delayed events
 * (fatal detection, end of a link flap) use a timerfd of each context, so
 * that the async fd wakes up poll() without any thread of ours.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <rte_ether.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mlx4r_emu_dev;

/** Largest frame (without FCS) the device sends or receives. */
#define MLX4R_EMU_MAX_FRAME 9618u
/** Smallest generated frame: Ethernet + IPv4 + UDP + stamp. */
#define MLX4R_EMU_GEN_MIN_FRAME 60u
/** Most flows a generator varies. */
#define MLX4R_EMU_GEN_MAX_FLOWS 1024u

/** Configuration of a device; zeroed fields take the default. */
struct mlx4r_emu_dev_conf {
	uint8_t nb_ports;  /**< 1 or 2 (default 2) */
	uint8_t cqe_size;  /**< 32 or 64 (default 32) */
	/**
	 * The durations of a catastrophic error's way back (see
	 * mlx4r_emu_fault_fatal()), in percent of Linux's: 1..1000, default
	 * MLX4R_EMU_CATAS_PCT_DEFAULT (fast enough for CI); 100 is the
	 * kernel's own timeline.
	 */
	uint16_t catas_time_pct;
	/**
	 * Behave as Linux 4.5 to 5.6 at disassociation: the async event
	 * queue is closed, so that once its events are read the async fd
	 * polls as readable (error) for ever and reading it fails with EIO
	 * (ib_uverbs_free_hw_resources() of those kernels set is_closed on
	 * every event file). Linux 6.1, the default, leaves it open and
	 * quiet (uverbs_std_types_async_fd.c).
	 */
	bool legacy_disassoc;
	uint32_t max_cqe;  /**< largest CQ (default 65536) */
	/**
	 * Largest SQ/RQ in WQEs, the firmware's max_wqes (default 16384);
	 * query_device reports max_qp_wr = max_qp_wr - 33, as mlx4_ib does.
	 */
	uint32_t max_qp_wr;
	/**
	 * Largest send WQE in bytes, the firmware's max_sq_desc_sz
	 * (QUERY_DEV_CAP; default 1008, all the 6-bit DS count can say).
	 * A WQE whose DS count exceeds max_sq_desc_sz / 16 is refused.
	 */
	uint16_t max_sq_desc_sz;
	/**
	 * An SR-IOV virtual function (PCI device 0x1004, vendor_part_id
	 * 4100) behind the ConnectX-3 eSwitch: the eSwitch takes the
	 * destination MAC of a looped-back frame from the WQE's control
	 * segment (srcrb_flags16[0], imm), not from the frame.
	 */
	bool vf;
	struct rte_ether_addr mac[2]; /**< default 00:02:c9:<id>:<port> */
	/**
	 * Largest RSS indirection table and WQN range, a power of two
	 * (default 256): the firmware's QUERY_DEV_CAP max_rss_tbl_sz, which
	 * mlx4_ib reports as max_rwq_indirection_table_size.
	 */
	uint32_t max_rss_tbl;
	/**
	 * Firmware that reports a good TCP/UDP checksum only with the CQE's
	 * checksum field at 0xffff (and IPOK), leaving
	 * MLX4_CQE_STATUS_L4_CSUM clear: what Linux mlx4_en tests
	 * (en_rx.c mlx4_en_process_rx_cq). Default false: both indications.
	 */
	bool rx_csum_field_only;
	/**
	 * Link speed of the ports in Mb/s: 10000, 40000 (default) or 56000,
	 * as ethtool on the netdev and query_port (width, speed) report it.
	 */
	uint32_t speed;
	/**
	 * Largest MTU the ports' netdevs take (default and at most 9600):
	 * mlx4_en's max_mtu, the port's eth_mtu_cap from firmware.
	 */
	uint16_t max_mtu;
	/**
	 * Firmware without MLX4_DEV_CAP_FLAG_FCS_KEEP: no
	 * IBV_RAW_PACKET_CAP_SCATTER_FCS, and Linux 6.1 mlx4_ib then refuses
	 * every WQ with -EOPNOTSUPP (qp.c mlx4_ib_create_wq). Default false:
	 * a ConnectX-3 keeps the FCS on request.
	 */
	bool no_fcs_keep;
	/**
	 * A ConnectX-3 Pro (PCI device 0x1007, vendor_part_id 4103: Linux
	 * mlx4_core main.c mlx4_pci_table) rather than a ConnectX-3 (0x1003,
	 * 4099): the tunnel (VXLAN) offloads of mlx4_core's
	 * MLX4_DEV_CAP_FLAG2_VXLAN_OFFLOADS, which upstream net_mlx4 takes
	 * from the part id (mlx4.c hw_csum_l2tun). Tx: inner IP and TCP/UDP
	 * checksums (owner_opcode MLX4R_WQE_CTRL_IIP_CSUM, _IL4_CSUM) of a
	 * VXLAN frame; Rx: a VXLAN frame's CQE describes the inner headers
	 * in its status and the outer ones in vlan_my_qpn
	 * (MLX4R_CQE_L2_TUNNEL*). VXLAN is UDP to MLX4R_VXLAN_PORT. Ignored
	 * with vf (no Pro VF is modelled). Default false: a ConnectX-3,
	 * whose firmware ignores those WQE bits and sets none of the CQE's.
	 */
	bool pro;
	/**
	 * Largest LSO payload, the firmware's max_gso_sz (QUERY_DEV_CAP: a
	 * power of two), which mlx4_ib reports as tso_caps.max_tso
	 * (default 65536, what a ConnectX-3 reports). no_tso: firmware
	 * without LSO (max_gso_sz 0: no tso_caps, LSO WQEs are bad opcodes).
	 */
	uint32_t max_gso;
	bool no_tso;  /**< firmware without LSO */
	/**
	 * Run the device's engine on a thread of its own, as the card works
	 * beside the CPU, instead of at the bursts' hooks on the lcores
	 * (mlx4r_emu_thread.c): every queue's hook is NULL, as on hardware;
	 * the thread takes send doorbells and fills receive WQEs on its own,
	 * and sleeps when nothing happens. Default false: the hooks
	 * (deterministic, and the lcore pays for the device's work).
	 */
	bool engine_thread;
	/**
	 * With engine_thread: pin the thread to CPU engine_cpu
	 * (engine_cpu_set); the first queue's creation fails with -EINVAL
	 * when the process may not run there. Unset (the default), it runs
	 * where the thread that creates the first queue may run.
	 */
	bool engine_cpu_set;
	unsigned int engine_cpu;
};

/** Default of mlx4r_emu_dev_conf.catas_time_pct. */
#define MLX4R_EMU_CATAS_PCT_DEFAULT 10
/*
 * The way back from a catastrophic error at 100 %, after it was detected
 * (DEVICE_FATAL): the device stays listed, dying, while mlx4_core unloads
 * it (mlx4_restart_one() -> mlx4_unload_one(), which unregisters the IB
 * device and so disassociates every context), then it is absent while
 * mlx4_load_one() brings the firmware up again. Linux has no constant for
 * either; these are estimates of a ConnectX-3's (the firmware bring-up,
 * QUERY_FW, MAP_FA, RUN_FW, INIT_HCA, takes seconds).
 */
#define MLX4R_EMU_CATAS_UNLOAD_MS 200
#define MLX4R_EMU_CATAS_RELOAD_MS 2000

/** Where a device is in a catastrophic error (mlx4r_emu_fault_fatal()). */
enum mlx4r_emu_catas {
	MLX4R_EMU_CATAS_NONE,  /**< healthy */
	MLX4R_EMU_CATAS_DEAD,  /**< the chip stopped, not detected yet */
	MLX4R_EMU_CATAS_ERROR, /**< detected, still listed, dying */
	MLX4R_EMU_CATAS_GONE,  /**< unregistered: contexts disassociated */
};

/**
 * Create a device. @return 0, -EEXIST, -EINVAL (configuration), -ENOMEM.
 */
int mlx4r_emu_dev_create(const char *name,
			 const struct mlx4r_emu_dev_conf *conf);
/**
 * Find a device by name, creating it with the defaults when absent.
 * @return the device, or NULL (name too long, out of memory).
 */
struct mlx4r_emu_dev *mlx4r_emu_dev_get(const char *name);
/** Find a device by name. @return the device or NULL. */
struct mlx4r_emu_dev *mlx4r_emu_dev_lookup(const char *name);
/**
 * Destroy a device (its wires are unplugged).
 * @return 0, -ENOENT, -EBUSY (contexts still open).
 */
int mlx4r_emu_dev_destroy(const char *name);

/** What a device says about itself. */
struct mlx4r_emu_dev_info {
	uint32_t incarnation;   /**< bumped when the device comes back */
	bool fatal;            /**< in catastrophic error */
	enum mlx4r_emu_catas catas; /**< where in it */
	uint32_t catas_next_ms; /**< to the next phase of it (0: none) */
	uint64_t opens;        /**< open_device calls, failed ones too */
	uint32_t nb_contexts;  /**< contexts open */
	uint32_t nb_objects;   /**< live PDs, MRs, CQs, QPs, WQs, tables, flows */
	uint64_t objects_leaked; /**< objects close_device had to destroy */
	uint32_t nb_mrs;       /**< live MRs */
	uint64_t pinned_bytes; /**< bytes of the pages live MRs pin */
	uint64_t mrs_registered;   /**< reg_mr calls that succeeded */
	uint64_t mrs_deregistered; /**< dereg_mr (and close_device) of them */
	/** live MRs whose pages the process unmapped (rte_mem_event FREE) */
	uint64_t mrs_unmapped;
	/**
	 * CQs, QPs and WQs created with mlx4r_hw_ctx.buf_socket
	 * SOCKET_ID_ANY, and with a node (the last one in last_ring_socket)
	 */
	uint64_t rings_socket_any;
	uint64_t rings_socket_set;
	int last_ring_socket;
	/**
	 * Ring buffers (CQ entries, SQs, RQs) of new objects taken from the
	 * device's cache of destroyed ones' (zeroed as new), and allocated
	 * anew; bytes the cache holds now.
	 */
	uint64_t rings_reused;
	uint64_t rings_allocated;
	uint64_t ring_cache_bytes;
	uint64_t async_events; /**< events queued to contexts */
	uint64_t async_acks;   /**< events acknowledged */
	uint64_t cq_overruns;  /**< CQs that overran (each once: then in
				*   error, IBV_EVENT_CQ_ERR) */
};

/** @return 0, -EINVAL (NULL). */
int mlx4r_emu_dev_info(struct mlx4r_emu_dev *dev,
		       struct mlx4r_emu_dev_info *info);

/**
 * Stop the device's own threads (the event thread) for good and join
 * them, for a process that goes away with the device still in use (the
 * kernel face's teardown before rte_eal_cleanup(), mlx4r_kface_dev.c
 * kf_dev_stop()). Channels left raise no event afterwards, and a new one
 * is refused (-ENODEV). Call it from one thread, once.
 */
void mlx4r_emu_dev_stop_threads(struct mlx4r_emu_dev *dev);

/**
 * Live MRs of the device whose pinned pages overlap [addr, addr + len).
 * @return that count (0: none pins that memory), -EINVAL (NULL).
 */
int mlx4r_emu_mr_pinning(struct mlx4r_emu_dev *dev, const void *addr,
			 size_t len);

/*
 * Clock.
 */

/** Use the manual clock (true, starts at 0) or the TSC (false). */
void mlx4r_emu_clock_manual(struct mlx4r_emu_dev *dev, bool manual);
/** Move the manual clock forward. */
void mlx4r_emu_clock_advance(struct mlx4r_emu_dev *dev, uint64_t ns);
/** The device clock in nanoseconds. */
uint64_t mlx4r_emu_clock_now(struct mlx4r_emu_dev *dev);

/*
 * Wires. A port is cabled to nothing (frames sent are counted and
 * dropped), to itself (loopback), to another emulated port (cross-connect,
 * which may be on another device), to the built-in peer (a generator that
 * sends to the port and a checker that verifies what the port sends), or
 * to a TAP interface of the kernel. Re-cabling a port unplugs its old
 * wire (and the peer end of a cross-connect).
 */

/** Kinds of wire. */
enum mlx4r_emu_wire_kind {
	MLX4R_EMU_WIRE_NONE,
	MLX4R_EMU_WIRE_LOOPBACK,
	MLX4R_EMU_WIRE_XCONNECT,
	MLX4R_EMU_WIRE_PEER,
	MLX4R_EMU_WIRE_TAP,
};

/** @return 0, -EINVAL (port). */
int mlx4r_emu_wire_none(struct mlx4r_emu_dev *dev, uint8_t port);
/** @return 0, -EINVAL. */
int mlx4r_emu_wire_loopback(struct mlx4r_emu_dev *dev, uint8_t port);
/** Cable two ports together. @return 0, -EINVAL (a port, same port). */
int mlx4r_emu_wire_xconnect(struct mlx4r_emu_dev *dev, uint8_t port,
			    struct mlx4r_emu_dev *peer, uint8_t peer_port);
/** Cable a port to the built-in generator/checker. @return 0, -EINVAL. */
int mlx4r_emu_wire_peer(struct mlx4r_emu_dev *dev, uint8_t port);
/**
 * Cable a port to a new TAP interface (IFF_TAP | IFF_NO_PI), created in
 * the caller's network namespace and left down.
 * @param ifname
 *   Name wanted ("" or NULL: the kernel picks one).
 * @param ifname_out
 *   If not NULL, receives the name (IFNAMSIZ bytes).
 * @return 0, -EINVAL, or the errno of open(/dev/net/tun) / TUNSETIFF
 *   (-EPERM, -ENOENT, ... where the machine forbids TAP).
 */
int mlx4r_emu_wire_tap(struct mlx4r_emu_dev *dev, uint8_t port,
		       const char *ifname, char *ifname_out);
/** @return the kind of wire of a port, or -EINVAL. */
int mlx4r_emu_wire_kind(struct mlx4r_emu_dev *dev, uint8_t port);

/*
 * Generator and checker (wire "peer").
 *
 * Generated frames are Ethernet/IPv4/UDP; flow f (0 <= f < nb_flows) has
 * source address src_ip + f and source port 1024 + 7 f, so RSS spreads
 * flows. The UDP payload starts with a stamp: magic, stream (the
 * generator's id), flow and a per-flow sequence number. The checker reads
 * the stamps of the frames the port sends and keeps, per stream and flow,
 * a window of sequence numbers to count every frame: received, lost
 * (a gap nothing filled), out-of-order (filled a gap late), duplicated.
 */

/** Generator configuration; zeroed fields take the default. */
struct mlx4r_emu_gen_conf {
	uint64_t rate_pps;   /**< frames per second; 0: burst per pump */
	uint64_t count;      /**< frames to send in all; 0: no limit */
	uint16_t frame_size; /**< bytes without FCS (default 60) */
	uint16_t nb_flows;   /**< flows (default 1) */
	uint16_t burst;      /**< most frames per pump (default 32) */
	uint16_t backlog;    /**< most frames due at once (default 4096);
			      *   beyond it they overflow the port: counted
			      *   in wire_drop and the port's rx_missed */
	struct rte_ether_addr dst_mac; /**< default: the port's MAC */
	struct rte_ether_addr src_mac; /**< default 02:00:00:00:00:<id> */
	uint32_t src_ip;     /**< host order (default 10.0.0.1) */
	uint32_t dst_ip;     /**< host order (default 10.1.0.1) */
	uint16_t dst_port;   /**< UDP destination port (default 5000) */
};

/** Generator counters. */
struct mlx4r_emu_gen_stats {
	uint64_t sent;      /**< frames put on the wire */
	uint64_t bytes;     /**< their bytes */
	uint64_t wire_drop; /**< due frames dropped: backlog or link down */
	uint16_t stream;    /**< stream id stamped in the frames */
};

/** Checker counters. */
struct mlx4r_emu_chk_stats {
	uint64_t received;     /**< stamped frames seen (with duplicates) */
	uint64_t unique;       /**< distinct stamped frames */
	uint64_t lost;         /**< sequence numbers skipped, not (yet) seen */
	uint64_t out_of_order; /**< frames that arrived after a later one */
	uint64_t duplicated;   /**< frames seen again */
	uint64_t foreign;      /**< frames without a stamp */
	uint64_t bytes;        /**< bytes of all frames seen */
};

/**
 * Start (or restart) the generator of a port, as a new stream (stream id,
 * sequence numbers from 0); it sends while the port's wire is "peer" and
 * the link is up.
 * @return 0, -EINVAL (port, frame size, flows).
 */
int mlx4r_emu_gen_start(struct mlx4r_emu_dev *dev, uint8_t port,
			const struct mlx4r_emu_gen_conf *conf);
/** Stop the generator. @return 0, -EINVAL. */
int mlx4r_emu_gen_stop(struct mlx4r_emu_dev *dev, uint8_t port);
/** @return 0, -EINVAL. */
int mlx4r_emu_gen_stats(struct mlx4r_emu_dev *dev, uint8_t port,
			struct mlx4r_emu_gen_stats *st);
/** @return 0, -EINVAL. */
int mlx4r_emu_chk_stats(struct mlx4r_emu_dev *dev, uint8_t port,
			struct mlx4r_emu_chk_stats *st);
/** Forget every stream the checker saw. @return 0, -EINVAL. */
int mlx4r_emu_chk_reset(struct mlx4r_emu_dev *dev, uint8_t port);
/**
 * Build the frame the generator of @p conf sends for (stream, flow, seq)
 * (for tests that play a misbehaving forwarder).
 * @return the frame length, -EINVAL (size too small, flow).
 */
int mlx4r_emu_gen_frame(const struct mlx4r_emu_gen_conf *conf,
			uint16_t stream, uint16_t flow, uint64_t seq,
			void *buf, size_t size);

/*
 * Statistics of a port, as the device sees them.
 */
struct mlx4r_emu_port_stats {
	uint64_t rx_frames;   /**< frames written to receive WQEs */
	uint64_t rx_bytes;    /**< their bytes */
	uint64_t rx_missed;   /**< frames that found no posted WQE */
	uint64_t rx_dropped;  /**< frames no rule/QP/WQ in a ready state took */
	uint64_t rx_errors;   /**< error CQEs written on the receive side */
	uint64_t tx_frames;   /**< frames sent to the wire */
	uint64_t tx_bytes;    /**< their bytes */
	uint64_t tx_dropped;  /**< frames lost: link down, no wire, TAP full */
	uint64_t tx_errors;   /**< error CQEs written on the send side */
	uint64_t doorbells;   /**< Tx hook calls that found a doorbell */
	uint64_t lost_doorbells; /**< doorbells lost by fault injection */
	uint64_t rx_port_down; /**< frames that arrived while the netdev
				*   was down (port closed) */
	uint64_t rx_oversize; /**< frames larger than the port's MTU */
	uint64_t netdev_rx;   /**< frames the netdev's own rules took */
	uint64_t netdev_rx_dropped; /**< of those, frames its receive side
				     *   (mlx4r_emu_netdev_set_rx) refused */
	uint64_t netdev_tx;   /**< frames the netdev sent to the wire
			       *   (mlx4r_emu_netdev_xmit), also in tx_frames */
	uint64_t netdev_tx_dropped; /**< frames the netdev sent that the port
				     *   lost (down, MTU, no wire), also in
				     *   tx_dropped */
	uint64_t tx_lso;      /**< LSO WQEs executed (their segments are
			       *   in tx_frames and tx_bytes) */
};

/** @return 0, -EINVAL. */
int mlx4r_emu_port_stats(struct mlx4r_emu_dev *dev, uint8_t port,
			 struct mlx4r_emu_port_stats *st);

/*
 * The kernel netdev of a port (mlx4_en's Ethernet interface; a real TAP
 * interface once the device has its kernel face). While it is down the
 * port is closed and receives nothing (Linux en_netdev.c
 * mlx4_en_stop_port: mlx4_CLOSE_PORT); its MTU is the port's (frames
 * larger than MTU + 14 + 8 are dropped); its rules for its MAC address,
 * broadcast and the multicast groups it joined take frames ahead of the
 * uverbs default rules (see mlx4r_emu_engine.c emu_steer) and count them in
 * netdev_rx; ibv_query_port says ACTIVE only
 * while it is up with carrier (mlx4_ib main.c eth_link_query_port). It is
 * created down with MTU 1500, and created again so when the device comes
 * back after a catastrophic error (mlx4_restart_one re-creates mlx4_en's
 * interfaces). The seam's netdev ops are the driver's way in; these calls
 * play the administrator (ip link).
 */

/** What the netdev of a port says. */
struct mlx4r_emu_netdev_info {
	char name[16];   /**< interface name */
	bool up;         /**< IFF_UP */
	bool running;    /**< up with carrier (the port's link) */
	uint16_t mtu;    /**< MTU */
	uint32_t nb_mc;  /**< multicast addresses joined */
	bool rx_pause;   /**< ethtool pause parameters: rx */
	bool tx_pause;   /**< and tx */
};

/** @return 0, -EINVAL (port, NULL). */
int mlx4r_emu_netdev_info(struct mlx4r_emu_dev *dev, uint8_t port,
			  struct mlx4r_emu_netdev_info *info);
/**
 * ip link set up|down: IBV_EVENT_PORT_ACTIVE / _ERR on every context when
 * the port's state changes. @return 0, -EINVAL.
 */
int mlx4r_emu_netdev_set_up(struct mlx4r_emu_dev *dev, uint8_t port,
			    bool up);
/** ip link set mtu. @return 0, -EINVAL (port, MTU outside 68..max_mtu). */
int mlx4r_emu_netdev_set_mtu(struct mlx4r_emu_dev *dev, uint8_t port,
			     uint16_t mtu);
/**
 * ip maddr add: the netdev joins a multicast group; frames to it go to the
 * netdev, ahead of the uverbs MC_DEFAULT / ALL_DEFAULT rules.
 * @return 0, -EINVAL (port, not a multicast address), -ENOSPC (16 already).
 */
int mlx4r_emu_netdev_mc_add(struct mlx4r_emu_dev *dev, uint8_t port,
			    const struct rte_ether_addr *mac);
/** ip maddr del. @return 0, -EINVAL, -ENOENT (not joined). */
int mlx4r_emu_netdev_mc_del(struct mlx4r_emu_dev *dev, uint8_t port,
			    const struct rte_ether_addr *mac);
/**
 * ip link set promisc / allmulti on the netdev: mlx4_en adds its own
 * default rules, MLX4_FS_ALL_DEFAULT / MLX4_FS_MC_DEFAULT (Linux
 * en_netdev.c mlx4_en_set_promisc_mode, mlx4_en_do_multicast), at
 * priority 0 (mcg.c mlx4_flow_steer_promisc_add sets none), so that they
 * come before the uverbs default rules (MLX4_DOMAIN_UVERBS, 0x1000 |
 * priority) and after every regular rule (mlx4r_emu_engine.c emu_steer).
 * @return 0, -EINVAL.
 */
int mlx4r_emu_netdev_set_rx_mode(struct mlx4r_emu_dev *dev, uint8_t port,
				 bool promisc, bool allmulti);

/**
 * The receive side of the netdev (mlx4_en's Rx ring, en_rx.c
 * mlx4_en_process_rx_cq -> the kernel's stack): called for every frame the
 * netdev's rules take, from the thread that delivers it (a Tx engine of the
 * port wired to this one, or this port's pump), with the port's receive
 * lock held: it must not call back into the device. It returns false when
 * it could not take the frame (counted in netdev_rx_dropped). NULL (the
 * default): the frame is only counted, in netdev_rx.
 */
typedef bool (*mlx4r_emu_netdev_rx_t)(void *arg, uint8_t port,
				      const void *frame, uint32_t len);
/** @return 0, -EINVAL (port). */
int mlx4r_emu_netdev_set_rx(struct mlx4r_emu_dev *dev, uint8_t port,
			    mlx4r_emu_netdev_rx_t fn, void *arg);
/**
 * A frame the netdev transmits (mlx4_en en_tx.c mlx4_en_xmit): out of the
 * port onto its wire, counted in the port's tx_frames / tx_bytes and in
 * netdev_tx, or in tx_dropped and netdev_tx_dropped when lost. The caller
 * holds none of the device's locks.
 * @return 0; -EINVAL (port, NULL, shorter than an Ethernet header);
 * -EIO (catastrophic error); -ENETDOWN (netdev down: mlx4_en's port is
 * closed); -EMSGSIZE (larger than the port's MTU allows); -ENOLINK
 * (link down, no wire, the far end refused it).
 */
int mlx4r_emu_netdev_xmit(struct mlx4r_emu_dev *dev, uint8_t port,
			  const void *frame, uint32_t len);

/*
 * Faults.
 */

/** Vendor error codes of the error CQEs the engine writes. */
enum mlx4r_emu_vendor_err {
	MLX4R_EMU_VERR_NONE = 0x00,
	/**
	 * No longer written: a WQE whose owner bit is not that of its pass
	 * is simply not posted, as on the card.
	 */
	MLX4R_EMU_VERR_OWNER = 0x51,
	MLX4R_EMU_VERR_OPCODE = 0x52,  /**< opcode not valid for raw Eth */
	MLX4R_EMU_VERR_DS = 0x53,      /**< DS count too small or above
					*   max_sq_desc_sz / 16 */
	MLX4R_EMU_VERR_LKEY = 0x54,    /**< lkey unknown, other PD, access,
					*   or its pages unmapped since */
	MLX4R_EMU_VERR_BOUNDS = 0x55,  /**< segment outside its MR */
	MLX4R_EMU_VERR_LENGTH = 0x56,  /**< frame too short/long for buffers */
	MLX4R_EMU_VERR_INLINE = 0x57,  /**< inline data (unsupported) */
	MLX4R_EMU_VERR_FLUSH = 0x58,   /**< flushed: QP/WQ in error */
	/**
	 * The driver broke the prefetch headroom: more than wqe_cnt - spare
	 * TXBBs outstanding (posted past what the CQEs it consumed freed,
	 * emu_tx_room()), or a TXBB of the 2 KB + 1 WQE past the
	 * last posted one that looks posted (owner bit of its pass).
	 */
	MLX4R_EMU_VERR_HEADROOM = 0x59,
	/**
	 * A bad LSO WQE (mlx4r_emu_engine.c emu_tx_lso): MSS or header size
	 * 0, a header that is not Ethernet + IPv4/IPv6 + TCP ending where
	 * the header size says, more than the WQE holds, beyond 64 bytes
	 * without MLX4R_WQE_CTRL_LSO_BLH, VLAN insertion asked.
	 */
	MLX4R_EMU_VERR_LSO = 0x5a,
};

/** Commands for mlx4r_emu_fault_cmd() (bit mask). */
enum mlx4r_emu_op {
	MLX4R_EMU_OP_OPEN = 1u << 0,
	MLX4R_EMU_OP_QUERY = 1u << 1,     /**< query_device */
	MLX4R_EMU_OP_ALLOC_PD = 1u << 2,
	MLX4R_EMU_OP_REG_MR = 1u << 3,
	MLX4R_EMU_OP_CREATE_CQ = 1u << 4,
	MLX4R_EMU_OP_CREATE_QP = 1u << 5, /**< raw and RSS QPs */
	MLX4R_EMU_OP_MODIFY_QP = 1u << 6,
	MLX4R_EMU_OP_CREATE_WQ = 1u << 7,
	MLX4R_EMU_OP_MODIFY_WQ = 1u << 8,
	MLX4R_EMU_OP_CREATE_IND = 1u << 9,
	MLX4R_EMU_OP_CREATE_FLOW = 1u << 10,
	MLX4R_EMU_OP_QUERY_PORT = 1u << 11, /**< query_port (QUERY_PORT) */
	MLX4R_EMU_OP_QUERY_QP = 1u << 12,   /**< query_qp_state (QUERY_QP) */
	MLX4R_EMU_OP_ALL = (1u << 13) - 1,
};

/**
 * Catastrophic error, on the timeline Linux follows (mlx4 catas.c,
 * infiniband/hw/mlx4/main.c, infiniband/core/uverbs_main.c):
 *
 * - DEAD, for @p detect_ms (catas.c polls the internal error buffer every
 *   5 s, then resets the chip for 1 s before it reports: 1000 to 6000 ms
 *   on a card): the engine is frozen (no more CQEs, frames or receive);
 *   firmware commands (every command but the destroys, query_device and
 *   alloc_pd) wait for the detection, then fail with -EIO (mlx4_cmd_wait()
 *   woken by mlx4_cmd_wake_completions()); open, query_device and
 *   alloc_pd succeed (the kernel answers the legacy QUERY_DEVICE from its
 *   copy of the attributes, uverbs_cmd.c ib_uverbs_query_device(); a PD
 *   is a bitmap allocation, mlx4_pd_alloc()).
 * - ERROR, for MLX4R_EMU_CATAS_UNLOAD_MS: IBV_EVENT_DEVICE_FATAL on every
 *   context's async fd; firmware commands fail with -EIO at once,
 *   destroys succeed (mlx4_internal_err_ret_value()); open fails with
 *   -EAGAIN (mlx4_ib_alloc_ucontext() while !ib_active); query_device and
 *   alloc_pd still answer.
 * - GONE, for MLX4R_EMU_CATAS_RELOAD_MS plus any reappear delay: the
 *   device is unregistered: open fails with -ENODEV; every context is
 *   disassociated: its objects leave the engine, every command including
 *   query_device fails with -EIO, a second DEVICE_FATAL is queued
 *   (uverbs_async_event_destroy_uobj()), the async fd then stays quiet
 *   (or, with legacy_disassoc, errs for ever); through the seam destroys
 *   succeed, as rdma-core's with RDMAV_ALLOW_DISASSOC_DESTROY.
 * - then the device is back under its name, with a new incarnation (new
 *   object numbers): opens succeed (unless re-initialisation faults say
 *   otherwise); contexts of the old incarnation stay disassociated until
 *   closed.
 *
 * The durations after detection scale with conf.catas_time_pct.
 * @return 0, -EALREADY (already in error).
 */
int mlx4r_emu_fault_fatal(struct mlx4r_emu_dev *dev, uint32_t detect_ms);
/**
 * Hold a detected catastrophic error where it is (for tests that check
 * what a phase does without racing its end): while held, the timeline
 * stays in ERROR or GONE whatever the clock says; released, it catches up
 * with the clock at the next command. The detection (DEAD) is not held:
 * it is the @p detect_ms the caller chose. The async events already
 * scheduled still fire on time.
 */
void mlx4r_emu_fault_catas_hold(struct mlx4r_emu_dev *dev, bool hold);
/**
 * Make the next @p count commands in @p op_mask fail with -err, after
 * sleeping @p delay_ms (a firmware command timeout: err = ETIMEDOUT and a
 * delay), or with err 0 succeed after it (slow commands). count 0
 * clears. @return 0, -EINVAL (err < 0, or err 0 without a delay).
 */
int mlx4r_emu_fault_cmd(struct mlx4r_emu_dev *dev, uint32_t op_mask,
			uint32_t count, int err, uint32_t delay_ms);
/**
 * After a catastrophic error, the next @p n opens of the re-created
 * device fail with -EIO (its firmware does not come up) before one
 * succeeds. @return 0.
 */
int mlx4r_emu_fault_reinit_fail(struct mlx4r_emu_dev *dev, uint32_t n);
/**
 * After the next catastrophic error, the device stays absent (opens fail
 * with -ENODEV, as rdma-core's do while the kernel re-creates a device
 * after its reset) @p ms longer than the reload takes; during an error in
 * progress, at least @p ms from now. @return 0.
 */
int mlx4r_emu_fault_reappear_delay(struct mlx4r_emu_dev *dev, uint32_t ms);
/**
 * After a catastrophic error, the open that brings the device back takes
 * @p delay_ms longer (slow firmware reset). @return 0.
 */
int mlx4r_emu_fault_fw_reset_delay(struct mlx4r_emu_dev *dev,
				   uint32_t delay_ms);
/**
 * Set the link of a port up or down now: IBV_EVENT_PORT_ACTIVE /
 * IBV_EVENT_PORT_ERR on every context when it changes; query_port
 * follows. While down, frames sent are dropped, nothing is received.
 * @return 0, -EINVAL.
 */
int mlx4r_emu_link_set(struct mlx4r_emu_dev *dev, uint8_t port, bool up);
/**
 * The link of a port (the cable, not the netdev): 1 up, 0 down, -EINVAL.
 */
int mlx4r_emu_link_get(struct mlx4r_emu_dev *dev, uint8_t port);
/**
 * Link flap: down now, up again after @p down_ms (0: stays down).
 * @return 0, -EINVAL.
 */
int mlx4r_emu_fault_link_flap(struct mlx4r_emu_dev *dev, uint8_t port,
			      uint32_t down_ms);
/**
 * A local work queue catastrophic error on a QP (Tx or RSS) or a WQ: it
 * goes to the error state. A QP's context gets IBV_EVENT_QP_FATAL
 * (mlx4_ib_qp_event() for MLX4_EVENT_TYPE_WQ_CATAS_ERROR); a WQ's gets
 * nothing, as mlx4_ib drops every WQ event (Linux 6.1 qp.c
 * mlx4_ib_wq_event(): "Events are not supported for WQs"): its posted
 * receive WQEs are flushed with error CQEs instead, at once, and those
 * posted later at the next pump. Posted Tx WQEs are flushed with error
 * CQEs at the next doorbell.
 * @return 0, -ENOENT (no such QP/WQ number).
 */
int mlx4r_emu_fault_qp_error(struct mlx4r_emu_dev *dev, uint32_t qpn);
/*
 * The same for the oldest send QP of physical port @p port (from INIT on):
 * for a program that drives the device through the kernel face and knows
 * no QP number (mlx4r-emu-ctl.py qp_error). @return its QP number, or
 * -ENOENT.
 */
int mlx4r_emu_fault_qp_error_port(struct mlx4r_emu_dev *dev, uint8_t port);
/**
 * Lose the next @p count send doorbells of a QP: the WQEs stay posted
 * until a later doorbell. @return 0, -ENOENT.
 */
int mlx4r_emu_fault_lost_doorbell(struct mlx4r_emu_dev *dev, uint32_t qpn,
				  uint32_t count);
/** Clear every pending fault (not a catastrophic error in progress). */
void mlx4r_emu_fault_clear(struct mlx4r_emu_dev *dev);

/*
 * Helpers.
 */

/**
 * Toeplitz hash of @p len bytes with a key of @p key_len bytes (>= len + 4),
 * the reference bit-by-bit algorithm (the engine uses a table).
 */
uint32_t mlx4r_emu_toeplitz(const uint8_t *key, size_t key_len,
			    const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MLX4R_EMU_H */
