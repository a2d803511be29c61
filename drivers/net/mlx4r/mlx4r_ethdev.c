/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * ethdev control operations of a port: information, configuration, queue
 * set-up and release, start/stop, link, promiscuous/all-multicast, MAC,
 * MTU, statistics, close.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <ethdev_driver.h>

#include "mlx4r.h"

/* Descriptor counts are rounded up to a power of two, as mlx4 rings are. */
static uint16_t
mlx4r_round_desc(uint16_t nb_desc)
{
	if (nb_desc == 0)
		nb_desc = MLX4R_DEFAULT_DESC;
	nb_desc = RTE_MAX(nb_desc, (uint16_t)MLX4R_MIN_DESC);
	return rte_align32pow2(nb_desc);
}

static int
mlx4r_dev_infos_get(struct rte_eth_dev *eth_dev,
		    struct rte_eth_dev_info *info)
{
	info->max_mac_addrs = 1;
	info->max_rx_queues = MLX4R_MAX_QUEUES;
	info->max_tx_queues = MLX4R_MAX_QUEUES;
	info->min_rx_bufsize = RTE_ETHER_MIN_LEN;
	info->max_rx_pktlen = MLX4R_MAX_RX_PKTLEN;
	info->min_mtu = MLX4R_MIN_MTU;
	info->max_mtu = MLX4R_MAX_MTU;
	info->rx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = MLX4R_MAX_DESC,
		.nb_min = 1,
		.nb_align = 1,
	};
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = MLX4R_DEFAULT_DESC;
	info->default_txportconf.ring_size = MLX4R_DEFAULT_DESC;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->speed_capa = RTE_ETH_LINK_SPEED_40G | RTE_ETH_LINK_SPEED_10G;
	info->if_index = 0;
	info->dev_capa = 0;
	RTE_SET_USED(eth_dev);
	return 0;
}

static int
mlx4r_dev_configure(struct rte_eth_dev *eth_dev)
{
	const struct rte_eth_conf *conf = &eth_dev->data->dev_conf;

	if (conf->rxmode.mq_mode != RTE_ETH_MQ_RX_NONE &&
	    conf->rxmode.mq_mode != RTE_ETH_MQ_RX_RSS) {
		DRV_LOG(ERR, "port %u: Rx multi-queue mode %d not supported",
			eth_dev->data->port_id, conf->rxmode.mq_mode);
		return -EINVAL;
	}
	if (conf->lpbk_mode > 1) {
		DRV_LOG(ERR, "port %u: loopback mode %u not supported (0 or 1)",
			eth_dev->data->port_id, conf->lpbk_mode);
		return -EINVAL;
	}
	return 0;
}

static void
mlx4r_rx_queue_release(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	rte_free(eth_dev->data->rx_queues[idx]);
	eth_dev->data->rx_queues[idx] = NULL;
}

static void
mlx4r_tx_queue_release(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	rte_free(eth_dev->data->tx_queues[idx]);
	eth_dev->data->tx_queues[idx] = NULL;
}

static int
mlx4r_rx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t idx,
		     uint16_t nb_desc, unsigned int socket,
		     const struct rte_eth_rxconf *conf, struct rte_mempool *mp)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq;

	if (mp == NULL) {
		DRV_LOG(ERR, "port %u Rx queue %u: no mempool",
			eth_dev->data->port_id, idx);
		return -EINVAL;
	}
	/* ethdev released any previous queue at this index already */
	rxq = rte_zmalloc_socket("mlx4r_rxq", sizeof(*rxq),
				 RTE_CACHE_LINE_SIZE, socket);
	if (rxq == NULL) {
		DRV_LOG(ERR, "port %u Rx queue %u: out of memory",
			eth_dev->data->port_id, idx);
		return -ENOMEM;
	}
	rxq->wire = port->wire;
	rxq->mp = mp;
	rxq->port = port;
	rxq->queue_id = idx;
	rxq->nb_desc = mlx4r_round_desc(nb_desc);
	rxq->offloads = conf->offloads | eth_dev->data->dev_conf.rxmode.offloads;
	eth_dev->data->rx_queues[idx] = rxq;
	return 0;
}

static int
mlx4r_tx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t idx,
		     uint16_t nb_desc, unsigned int socket,
		     const struct rte_eth_txconf *conf)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_txq *txq;

	txq = rte_zmalloc_socket("mlx4r_txq", sizeof(*txq),
				 RTE_CACHE_LINE_SIZE, socket);
	if (txq == NULL) {
		DRV_LOG(ERR, "port %u Tx queue %u: out of memory",
			eth_dev->data->port_id, idx);
		return -ENOMEM;
	}
	txq->port = port;
	txq->queue_id = idx;
	txq->nb_desc = mlx4r_round_desc(nb_desc);
	txq->offloads = conf->offloads | eth_dev->data->dev_conf.txmode.offloads;
	eth_dev->data->tx_queues[idx] = txq;
	return 0;
}

static int
mlx4r_dev_start(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_ring *dest = mlx4r_tx_destination(port);
	uint16_t i;

	for (i = 0; i < eth_dev->data->nb_tx_queues; i++) {
		struct mlx4r_txq *txq = eth_dev->data->tx_queues[i];

		txq->wire = dest;
		eth_dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	}
	for (i = 0; i < eth_dev->data->nb_rx_queues; i++)
		eth_dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	port->started = true;
	eth_dev->data->dev_link.link_status = RTE_ETH_LINK_UP;
	return 0;
}

/* Free the frames still on a port's wire (nobody will receive them). */
static void
mlx4r_wire_flush(struct rte_ring *wire)
{
	struct rte_mbuf *m[32];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(wire, (void **)m, RTE_DIM(m),
					   NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
}

static int
mlx4r_dev_stop(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	uint16_t i;

	port->started = false;
	eth_dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	for (i = 0; i < eth_dev->data->nb_tx_queues; i++)
		eth_dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (i = 0; i < eth_dev->data->nb_rx_queues; i++)
		eth_dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	mlx4r_wire_flush(port->wire);
	return 0;
}

int
mlx4r_port_close(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	uint16_t i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	for (i = 0; i < eth_dev->data->nb_rx_queues; i++)
		mlx4r_rx_queue_release(eth_dev, i);
	for (i = 0; i < eth_dev->data->nb_tx_queues; i++)
		mlx4r_tx_queue_release(eth_dev, i);
	mlx4r_wire_flush(port->wire);
	mlx4r_dev_port_closed(port->dev, port);
	/* ethdev frees dev_private and mac_addrs on release */
	return 0;
}

static int
mlx4r_link_update(struct rte_eth_dev *eth_dev, int wait_to_complete)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_eth_link link = eth_dev->data->dev_link;

	RTE_SET_USED(wait_to_complete);
	link.link_status = port->started ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	return rte_eth_linkstatus_set(eth_dev, &link);
}

/* The placeholder wire filters nothing: these only record the mode. */
static int
mlx4r_promiscuous_enable(struct rte_eth_dev *eth_dev)
{
	RTE_SET_USED(eth_dev);
	return 0;
}

static int
mlx4r_promiscuous_disable(struct rte_eth_dev *eth_dev)
{
	RTE_SET_USED(eth_dev);
	return 0;
}

static int
mlx4r_allmulticast_enable(struct rte_eth_dev *eth_dev)
{
	RTE_SET_USED(eth_dev);
	return 0;
}

static int
mlx4r_allmulticast_disable(struct rte_eth_dev *eth_dev)
{
	RTE_SET_USED(eth_dev);
	return 0;
}

static int
mlx4r_mac_addr_set(struct rte_eth_dev *eth_dev, struct rte_ether_addr *addr)
{
	/* ethdev has validated the address and copies it to mac_addrs[0] */
	RTE_SET_USED(eth_dev);
	RTE_SET_USED(addr);
	return 0;
}

static int
mlx4r_mtu_set(struct rte_eth_dev *eth_dev, uint16_t mtu)
{
	/* ethdev has checked min_mtu/max_mtu and stores the new value */
	RTE_SET_USED(eth_dev);
	RTE_SET_USED(mtu);
	return 0;
}

static int
mlx4r_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *stats)
{
	uint16_t i;

	for (i = 0; i < eth_dev->data->nb_rx_queues; i++) {
		const struct mlx4r_rxq *rxq = eth_dev->data->rx_queues[i];

		if (rxq == NULL)
			continue;
		stats->ipackets += rxq->ipackets;
		stats->ibytes += rxq->ibytes;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_ipackets[i] = rxq->ipackets;
			stats->q_ibytes[i] = rxq->ibytes;
		}
	}
	for (i = 0; i < eth_dev->data->nb_tx_queues; i++) {
		const struct mlx4r_txq *txq = eth_dev->data->tx_queues[i];

		if (txq == NULL)
			continue;
		stats->opackets += txq->opackets;
		stats->obytes += txq->obytes;
		stats->oerrors += txq->oerrors;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_opackets[i] = txq->opackets;
			stats->q_obytes[i] = txq->obytes;
			stats->q_errors[i] = txq->oerrors;
		}
	}
	return 0;
}

static int
mlx4r_stats_reset(struct rte_eth_dev *eth_dev)
{
	uint16_t i;

	for (i = 0; i < eth_dev->data->nb_rx_queues; i++) {
		struct mlx4r_rxq *rxq = eth_dev->data->rx_queues[i];

		if (rxq != NULL) {
			rxq->ipackets = 0;
			rxq->ibytes = 0;
		}
	}
	for (i = 0; i < eth_dev->data->nb_tx_queues; i++) {
		struct mlx4r_txq *txq = eth_dev->data->tx_queues[i];

		if (txq != NULL) {
			txq->opackets = 0;
			txq->obytes = 0;
			txq->oerrors = 0;
		}
	}
	return 0;
}

static void
mlx4r_rxq_info_get(struct rte_eth_dev *eth_dev, uint16_t idx,
		   struct rte_eth_rxq_info *qinfo)
{
	const struct mlx4r_rxq *rxq = eth_dev->data->rx_queues[idx];

	qinfo->mp = rxq->mp;
	qinfo->nb_desc = rxq->nb_desc;
	qinfo->conf.offloads = rxq->offloads;
	qinfo->scattered_rx = eth_dev->data->scattered_rx;
}

static void
mlx4r_txq_info_get(struct rte_eth_dev *eth_dev, uint16_t idx,
		   struct rte_eth_txq_info *qinfo)
{
	const struct mlx4r_txq *txq = eth_dev->data->tx_queues[idx];

	qinfo->nb_desc = txq->nb_desc;
	qinfo->conf.offloads = txq->offloads;
}

const struct eth_dev_ops mlx4r_dev_ops = {
	.dev_configure = mlx4r_dev_configure,
	.dev_start = mlx4r_dev_start,
	.dev_stop = mlx4r_dev_stop,
	.dev_close = mlx4r_port_close,
	.dev_infos_get = mlx4r_dev_infos_get,
	.link_update = mlx4r_link_update,
	.promiscuous_enable = mlx4r_promiscuous_enable,
	.promiscuous_disable = mlx4r_promiscuous_disable,
	.allmulticast_enable = mlx4r_allmulticast_enable,
	.allmulticast_disable = mlx4r_allmulticast_disable,
	.mac_addr_set = mlx4r_mac_addr_set,
	.mtu_set = mlx4r_mtu_set,
	.stats_get = mlx4r_stats_get,
	.stats_reset = mlx4r_stats_reset,
	.rx_queue_setup = mlx4r_rx_queue_setup,
	.rx_queue_release = mlx4r_rx_queue_release,
	.tx_queue_setup = mlx4r_tx_queue_setup,
	.tx_queue_release = mlx4r_tx_queue_release,
	.rxq_info_get = mlx4r_rxq_info_get,
	.txq_info_get = mlx4r_txq_info_get,
};
