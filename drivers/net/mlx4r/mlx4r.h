/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_H
#define MLX4R_H

/*
 * Private definitions shared by the files of the driver.
 *
 * One vdev instance ("net_mlx4r0") is one HCA: the *device core*
 * (struct mlx4r_dev) owns what the ports share, and each physical port is
 * an ethdev whose private data is a struct mlx4r_port, a client of the
 * device core.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_ring.h>

#include <ethdev_driver.h>

#define MLX4R_DRIVER_NAME net_mlx4r

/* A ConnectX-3 HCA has one or two physical ports. */
#define MLX4R_MAX_PORTS 2
/* Queue limits advertised by dev_infos_get. */
#define MLX4R_MAX_QUEUES 16
#define MLX4R_MIN_DESC 64
#define MLX4R_MAX_DESC 8192
#define MLX4R_DEFAULT_DESC 512
/* Frame limits of a ConnectX-3 Ethernet port. */
#define MLX4R_MIN_MTU RTE_ETHER_MIN_MTU
#define MLX4R_MAX_MTU 9600
#define MLX4R_MAX_RX_PKTLEN (MLX4R_MAX_MTU + RTE_ETHER_HDR_LEN + \
			     RTE_ETHER_CRC_LEN + 2 * 4 /* two VLAN tags */)
/* Size of the placeholder wire of each port (frames in flight). */
#define MLX4R_WIRE_SIZE 4096

extern int mlx4r_logtype;
extern int mlx4r_logtype_init;

#define DRV_LOG_(type, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, (type), "%s(): " fmt "%s\n", __func__, \
		__VA_ARGS__)
/** Log on pmd.net.mlx4r; adds the function name and the newline. */
#define DRV_LOG(level, ...) DRV_LOG_(mlx4r_logtype, level, __VA_ARGS__, "")
/** Log on pmd.net.mlx4r.init (probe, devargs, remove). */
#define INIT_LOG(level, ...) \
	DRV_LOG_(mlx4r_logtype_init, level, __VA_ARGS__, "")

/** Backends of the hardware seam a device can be opened on. */
enum mlx4r_backend {
	MLX4R_BACKEND_EMU,   /**< the emulated ConnectX-3 (default) */
	MLX4R_BACKEND_VERBS, /**< real hardware through rdma-core */
};

/** Parsed devargs of one vdev instance. */
struct mlx4r_args {
	unsigned int nb_ports;       /**< ports=1|2 */
	enum mlx4r_backend backend;  /**< backend=emu|verbs */
};

struct mlx4r_port;

/** Receive queue. Fields the burst touches come first. */
struct mlx4r_rxq {
	struct rte_ring *wire;     /**< frames arriving on the port */
	struct rte_mempool *mp;    /**< pool the queue was set up with */
	uint64_t ipackets;         /**< frames received (single writer) */
	uint64_t ibytes;           /**< bytes received (single writer) */
	struct mlx4r_port *port;   /**< owning port */
	uint16_t queue_id;         /**< index in the port */
	uint16_t nb_desc;          /**< descriptors, rounded as documented */
	uint64_t offloads;         /**< RTE_ETH_RX_OFFLOAD_* of the queue */
} __rte_cache_aligned;

/** Transmit queue. Fields the burst touches come first. */
struct mlx4r_txq {
	struct rte_ring *wire;     /**< where frames go; NULL: no peer */
	uint64_t opackets;         /**< frames sent (single writer) */
	uint64_t obytes;           /**< bytes sent (single writer) */
	uint64_t oerrors;          /**< frames the wire refused */
	struct mlx4r_port *port;   /**< owning port */
	uint16_t queue_id;         /**< index in the port */
	uint16_t nb_desc;          /**< descriptors, rounded as documented */
	uint64_t offloads;         /**< RTE_ETH_TX_OFFLOAD_* of the queue */
} __rte_cache_aligned;

/** One physical port: the private data of its ethdev. */
struct mlx4r_port {
	struct mlx4r_dev *dev;        /**< the HCA this port belongs to */
	struct rte_eth_dev *eth_dev;  /**< its ethdev */
	uint8_t port_num;             /**< verbs port number, 1-based */
	bool started;                 /**< between dev_start and dev_stop */
	struct rte_ring *wire;        /**< frames arriving (dev->wire[i]) */
	struct rte_ether_addr mac;    /**< permanent address of the port */
};

/** The device core: one per HCA (vdev instance). */
struct mlx4r_dev {
	char name[RTE_DEV_NAME_MAX_LEN]; /**< vdev name */
	struct mlx4r_args args;          /**< devargs */
	int socket_id;                   /**< NUMA node of the vdev */
	unsigned int nb_live_ports;      /**< ports not yet closed */
	struct mlx4r_port *ports[MLX4R_MAX_PORTS]; /**< NULL once closed */
	/**
	 * Placeholder wire of each port until the emulated device lands:
	 * owned by the core so that a peer's Tx queue never outlives it.
	 */
	struct rte_ring *wire[MLX4R_MAX_PORTS];
};

/* mlx4r_ethdev.c */
extern const struct eth_dev_ops mlx4r_dev_ops;
int mlx4r_port_close(struct rte_eth_dev *eth_dev);

/* mlx4r_rxtx.c */
uint16_t mlx4r_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n);
uint16_t mlx4r_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n);
struct rte_ring *mlx4r_tx_destination(struct mlx4r_port *port);

/* mlx4r_probe.c */
void mlx4r_dev_port_closed(struct mlx4r_dev *dev, struct mlx4r_port *port);

/** The port behind an ethdev of this driver. */
static inline struct mlx4r_port *
mlx4r_port_of(const struct rte_eth_dev *eth_dev)
{
	return eth_dev->data->dev_private;
}

#endif /* MLX4R_H */
