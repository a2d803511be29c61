/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * ethdev control operations of a port: information, configuration, start/
 * stop, link, promiscuous/all-multicast, MAC addresses, MTU, statistics
 * and extended statistics, RSS, packet types, close. Queue set-up and
 * release live in mlx4r_rxq.c / mlx4r_txq.c, steering in mlx4r_flow.c.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_compat.h"
#include "mlx4r_core.h"
#include "mlx4r_quiesce.h"
#include "mlx4r_mp.h"
#include "mlx4r_registry.h"

/* The default RSS key (the well-known Toeplitz key of the Microsoft spec). */
static const uint8_t mlx4r_rss_key_default[MLX4R_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static int
mlx4r_dev_infos_get(struct rte_eth_dev *eth_dev,
		    struct rte_eth_dev_info *info)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	unsigned int q = port->dev->args.max_queues;

	info->max_mac_addrs = MLX4R_MAX_MAC;
	info->max_rx_queues = q;
	info->max_tx_queues = q;
	info->min_rx_bufsize = RTE_ETHER_MIN_LEN;
	info->max_rx_pktlen = MLX4R_MAX_RX_PKTLEN;
	info->min_mtu = MLX4R_MIN_MTU;
	info->max_mtu = MLX4R_MAX_MTU;
	/*
	 * A ring is a power of two of at least MLX4R_MIN_DESC entries
	 * (mlx4r_round_desc()). The limits say as much as struct
	 * rte_eth_desc_lim can: ethdev refuses a count below nb_min or not a
	 * multiple of nb_align, and rte_eth_dev_adjust_nb_rx_tx_desc() rounds
	 * an application's count to them; a multiple of 64 that is not a
	 * power of two is rounded up, as queue_info_get reports.
	 */
	info->rx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = MLX4R_MAX_DESC,
		.nb_min = MLX4R_MIN_DESC,
		.nb_align = MLX4R_MIN_DESC,
	};
	info->tx_desc_lim = info->rx_desc_lim;
	/*
	 * Segments a WQE takes (upstream advertises none): 31 for a frame
	 * of the MTU, fewer for a TSO frame, whose header is inline
	 * (MLX4R_MAX_TSO_SEGS for the largest header: the bound any TSO
	 * frame may count on); the burst stops at a frame of more, and
	 * tx_prepare says EINVAL for it (mlx4r_tx_prepare()).
	 */
	info->tx_desc_lim.nb_seg_max = port->tso_max != 0 ?
				       MLX4R_MAX_TSO_SEGS : MLX4R_MAX_TX_SEGS;
	info->tx_desc_lim.nb_mtu_seg_max = MLX4R_MAX_TX_SEGS;
	info->default_rxportconf.ring_size = MLX4R_DEFAULT_DESC;
	info->default_txportconf.ring_size = MLX4R_DEFAULT_DESC;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER |
				RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
				RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
				RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
				RTE_ETH_RX_OFFLOAD_RSS_HASH;
	/*
	 * CRC keeping where the firmware does it (FCS_KEEP), as upstream
	 * (mlx4.c hw_fcs_strip, mlx4_rxq.c mlx4_get_rx_queue_offloads).
	 */
	if (port->keep_crc_cap)
		info->rx_offload_capa |= RTE_ETH_RX_OFFLOAD_KEEP_CRC;
	info->rx_queue_offload_capa = info->rx_offload_capa;
	/* a filter of the port's steering rules (mlx4r_flow.c) */
	info->rx_offload_capa |= RTE_ETH_RX_OFFLOAD_VLAN_FILTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
				RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
				RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
				RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	/* upstream mlx4_txq.c mlx4_get_tx_port_offloads */
	if (port->tso_max != 0)
		info->tx_offload_capa |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (port->l2tun_cap)
		info->tx_offload_capa |= RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM;
	/* upstream adds GRE_TNL_TSO too: the Pro's tunnel mode is VXLAN */
	if (port->l2tun_cap && port->tso_max != 0)
		info->tx_offload_capa |= RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO;
	info->tx_queue_offload_capa = info->tx_offload_capa;
	info->reta_size = MLX4R_RETA_SIZE;
	info->hash_key_size = MLX4R_RSS_KEY_LEN;
	info->flow_type_rss_offloads = MLX4R_RSS_OFFLOADS;
	/*
	 * The Ethernet speeds of a ConnectX-3 port, as upstream mlx4 reports
	 * them (mlx4_ethdev.c, mlx4_dev_infos_get()); the link runs at the
	 * speed of its module and cable: no speed can be set
	 * (RTE_ETH_LINK_SPEED_FIXED is not honoured).
	 */
	info->speed_capa = RTE_ETH_LINK_SPEED_1G | RTE_ETH_LINK_SPEED_10G |
			   RTE_ETH_LINK_SPEED_20G | RTE_ETH_LINK_SPEED_40G |
			   RTE_ETH_LINK_SPEED_56G;
	info->if_index = port->ifindex;
	/* rte_flow rules stay through stop, start and resets */
	info->dev_capa = RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP;
	return 0;
}

/*
 * The firmware version, from the device's attributes (ibv_query_device,
 * which the kernel answers from its copy: Linux uverbs_cmd.c
 * ib_uverbs_query_device), as upstream's mlx4_fw_version_get reports it.
 */
int
mlx4r_port_fw_read(struct mlx4r_port *port)
{
	struct ibv_device_attr attr;
	int ret;

	if (port->dev->ctx == NULL)
		return -EIO;
	memset(&attr, 0, sizeof(attr));
	ret = mlx4r_hw_query_device(port->dev->ctx, &attr);
	if (ret < 0)
		return ret;
	RTE_BUILD_BUG_ON(sizeof(port->fw_ver) != sizeof(attr.fw_ver));
	memcpy(port->fw_ver, attr.fw_ver, sizeof(port->fw_ver));
	port->fw_ver[sizeof(port->fw_ver) - 1] = '\0';
	return 0;
}

/*
 * ethdev's contract (rte_eth_dev_fw_version_get), upstream's answer: 0
 * with the version, or the size needed (with the NUL) when @p fw_size is
 * too small. The port's copy when the device cannot be asked.
 */
static int
mlx4r_fw_version_copy(struct mlx4r_port *port, char *fw_ver, size_t fw_size)
{
	size_t size = strnlen(port->fw_ver, sizeof(port->fw_ver)) + 1;

	if (size == 1)
		return -EIO; /* never read */
	if (fw_size < size)
		return size;
	strlcpy(fw_ver, port->fw_ver, fw_size);
	return 0;
}

static int
mlx4r_fw_version_get(struct rte_eth_dev *eth_dev, char *fw_ver, size_t fw_size)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);

	mlx4r_port_fw_read(port); /* else the copy */
	return mlx4r_fw_version_copy(port, fw_ver, fw_size);
}

/* A secondary process: the primary's copy, in the shared port. */
static int
mlx4r_fw_version_get_secondary(struct rte_eth_dev *eth_dev, char *fw_ver,
			       size_t fw_size)
{
	return mlx4r_fw_version_copy(mlx4r_port_of(eth_dev), fw_ver, fw_size);
}

static int
mlx4r_dev_configure(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_eth_dev_data *data = eth_dev->data;
	const struct rte_eth_conf *conf = &data->dev_conf;
	const struct rte_eth_rss_conf *rss = &conf->rx_adv_conf.rss_conf;
	unsigned int i, n;

	if (conf->rxmode.mq_mode != RTE_ETH_MQ_RX_NONE &&
	    conf->rxmode.mq_mode != RTE_ETH_MQ_RX_RSS) {
		DRV_LOG(ERR, "port %u: Rx multi-queue mode %d not supported",
			data->port_id, conf->rxmode.mq_mode);
		return -EINVAL;
	}
	if (conf->lpbk_mode > 1) {
		DRV_LOG(ERR, "port %u: loopback mode %u not supported (0 or 1)",
			data->port_id, conf->lpbk_mode);
		return -EINVAL;
	}
	if (rss->rss_key != NULL && rss->rss_key_len != MLX4R_RSS_KEY_LEN) {
		DRV_LOG(ERR, "port %u: RSS key of %u bytes, %u expected",
			data->port_id, rss->rss_key_len, MLX4R_RSS_KEY_LEN);
		return -EINVAL;
	}
	memcpy(port->rss_key, rss->rss_key != NULL ? rss->rss_key :
	       mlx4r_rss_key_default, MLX4R_RSS_KEY_LEN);
	port->rss_hf = rss->rss_hf & MLX4R_RSS_OFFLOADS;
	if (conf->rxmode.mq_mode == RTE_ETH_MQ_RX_RSS && port->rss_hf == 0)
		port->rss_hf = MLX4R_RSS_OFFLOADS;
	/*
	 * Default RETA: round-robin over the largest power of two of queues,
	 * the most a ConnectX-3 table can spread over (see
	 * mlx4r_rss_reta_table(); upstream's mlx4_flow_internal rounds down
	 * the same way): the other queues get no RSS traffic.
	 */
	n = data->nb_rx_queues == 0 ? 1 :
	    rte_align32prevpow2(data->nb_rx_queues);
	if (conf->rxmode.mq_mode == RTE_ETH_MQ_RX_RSS &&
	    n != data->nb_rx_queues)
		DRV_LOG(INFO, "port %u: RSS spreads over Rx queues 0..%u of %u (ConnectX-3 RSS tables are powers of two); the others receive nothing by default",
			data->port_id, n - 1, data->nb_rx_queues);
	for (i = 0; i < MLX4R_RETA_SIZE; i++)
		port->reta[i] = i % n;
	return 0;
}

/* Stop and start the port's device objects. */
static void
mlx4r_port_hw_stop(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	mlx4r_flow_api_stop(port); /* rte_flow rules: on the Rx WQs too */
	mlx4r_rss_stop(port);
	/* the driver's list: the reset stops ports on its own thread */
	MLX4R_FOREACH_RXQ(port, i, rxq) {
		if (port->keep_rx)
			mlx4r_rxq_keep(rxq);
		else
			mlx4r_rxq_stop(rxq);
	}
	MLX4R_FOREACH_TXQ(port, i, txq)
		mlx4r_txq_stop(txq);
}

/*
 * The kernel netdev of a port.
 *
 * On hardware each port has an mlx4_en interface, and the port receives
 * only while it is up: mlx4_en closes the port when the interface goes
 * down (Linux en_netdev.c mlx4_en_stop_port: mlx4_CLOSE_PORT) and programs
 * the port's MTU from the interface's when it comes up
 * (mlx4_en_start_port: mlx4_SET_PORT_general). Upstream net_mlx4 reads the
 * MTU and forces the interface up at probe (mlx4.c mlx4_pci_probe,
 * mlx4_ethdev.c mlx4_mtu_get, mlx4_dev_set_link) and sets it with
 * SIOCSIFMTU (mlx4_mtu_set). mlx4r does the same at probe, and at start
 * too: after a catastrophic error the kernel makes the interface anew,
 * down, with the default MTU (mlx4_restart_one), and the reset starts the
 * port again. Backends without the netdev ops (-ENOTSUP) are left alone.
 */
void
mlx4r_port_netdev_probe(struct mlx4r_port *port)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	struct mlx4r_hw_netdev nd;
	int ret;

	ret = mlx4r_hw_netdev_query(port->dev->ctx, port->port_num, &nd);
	if (ret == -ENOTSUP)
		return;
	if (ret < 0) {
		DRV_LOG(WARNING, MLX4R_PORT_FMT ": no kernel netdev: %s; the port may receive nothing",
			MLX4R_PORT_ARGS(port), strerror(-ret));
		return;
	}
	strlcpy(port->netdev, nd.name, sizeof(port->netdev));
	port->ifindex = nd.ifindex;
	if (nd.mtu >= MLX4R_MIN_MTU && nd.mtu <= MLX4R_MAX_MTU)
		data->mtu = nd.mtu;
	if (nd.up)
		return;
	ret = mlx4r_hw_netdev_set_up(port->dev->ctx, port->port_num, true);
	if (ret < 0)
		DRV_LOG(WARNING, MLX4R_PORT_FMT ": cannot bring netdev %s up: %s; the port receives nothing until it is up",
			MLX4R_PORT_ARGS(port), nd.name,
			strerror(-ret));
}

/* At start: the netdev up, with the port's MTU; the port fails otherwise. */
static int
mlx4r_port_netdev_start(struct mlx4r_port *port)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	struct mlx4r_hw_ctx *ctx = port->dev->ctx;
	struct mlx4r_hw_netdev nd;
	int ret;

	ret = mlx4r_hw_netdev_query(ctx, port->port_num, &nd);
	if (ret == -ENOTSUP)
		return 0;
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT ": no kernel netdev (a ConnectX-3 port receives only while its mlx4_en interface is up): %s",
			MLX4R_PORT_ARGS(port), strerror(-ret));
		return ret;
	}
	strlcpy(port->netdev, nd.name, sizeof(port->netdev));
	port->ifindex = nd.ifindex;
	if (nd.mtu != data->mtu) {
		ret = mlx4r_hw_netdev_set_mtu(ctx, port->port_num, data->mtu);
		if (ret < 0) {
			DRV_LOG(ERR, MLX4R_PORT_FMT ": netdev %s refuses MTU %u: %s",
				MLX4R_PORT_ARGS(port), nd.name,
				data->mtu, strerror(-ret));
			return ret;
		}
	}
	if (port->pause_set) {
		struct mlx4r_hw_pause cur;

		ret = mlx4r_hw_netdev_pause_get(ctx, port->port_num, &cur);
		if (ret == 0 && (cur.rx_pause != port->pause.rx_pause ||
				 cur.tx_pause != port->pause.tx_pause))
			ret = mlx4r_hw_netdev_pause_set(ctx, port->port_num,
							&port->pause);
		if (ret < 0 && ret != -ENOTSUP) {
			DRV_LOG(ERR, MLX4R_PORT_FMT ": netdev %s refuses its flow control: %s",
				MLX4R_PORT_ARGS(port), nd.name,
				strerror(-ret));
			return ret;
		}
	}
	if (nd.up == port->link_down) {
		/* up, unless the application set the link down */
		ret = mlx4r_hw_netdev_set_up(ctx, port->port_num,
					     !port->link_down);
		if (ret < 0) {
			DRV_LOG(ERR, MLX4R_PORT_FMT ": cannot bring netdev %s %s: %s",
				MLX4R_PORT_ARGS(port), nd.name,
				port->link_down ? "down" : "up",
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Flow control: the pause parameters of the port's netdev (ethtool), as
 * upstream's mlx4_flow_ctrl_get/set: rx and tx pause make the mode;
 * autoneg is what mlx4_en says (never), and a set with autoneg is refused
 * by it with -EINVAL (Linux en_ethtool.c mlx4_en_set_pauseparam). The
 * water marks, pause time, XON and MAC control forwarding are not the
 * netdev's to set: ignored, as upstream does.
 */
static int
mlx4r_flow_ctrl_get(struct rte_eth_dev *eth_dev, struct rte_eth_fc_conf *fc)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_hw_pause p;
	int ret;

	ret = mlx4r_hw_netdev_pause_get(port->dev->ctx, port->port_num, &p);
	if (ret < 0) {
		DRV_LOG(ERR, "port %u: pause parameters of netdev %s: %s",
			eth_dev->data->port_id, port->netdev, strerror(-ret));
		return ret;
	}
	fc->autoneg = p.autoneg;
	fc->mode = p.rx_pause && p.tx_pause ? RTE_ETH_FC_FULL :
		   p.rx_pause ? RTE_ETH_FC_RX_PAUSE :
		   p.tx_pause ? RTE_ETH_FC_TX_PAUSE : RTE_ETH_FC_NONE;
	return 0;
}

/* What @p fc asks for; -EINVAL for an unknown mode. */
static int
mlx4r_fc_pause(const struct rte_eth_fc_conf *fc, struct mlx4r_hw_pause *p)
{
	if (fc->mode > RTE_ETH_FC_FULL)
		return -EINVAL;
	p->autoneg = fc->autoneg != 0;
	p->rx_pause = fc->mode == RTE_ETH_FC_FULL ||
		      fc->mode == RTE_ETH_FC_RX_PAUSE;
	p->tx_pause = fc->mode == RTE_ETH_FC_FULL ||
		      fc->mode == RTE_ETH_FC_TX_PAUSE;
	return 0;
}

static int
mlx4r_flow_ctrl_set(struct rte_eth_dev *eth_dev, struct rte_eth_fc_conf *fc)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_hw_pause p;
	int ret;

	if (mlx4r_fc_pause(fc, &p) < 0) {
		DRV_LOG(ERR, "port %u: flow control mode %d unknown",
			eth_dev->data->port_id, fc->mode);
		return -EINVAL;
	}
	ret = mlx4r_hw_netdev_pause_set(port->dev->ctx, port->port_num, &p);
	if (ret < 0) {
		DRV_LOG(ERR, "port %u: netdev %s refuses flow control mode %d%s: %s",
			eth_dev->data->port_id, port->netdev, fc->mode,
			p.autoneg ? " with autoneg" : "", strerror(-ret));
		return ret;
	}
	port->pause = p;
	port->pause_set = true;
	return 0;
}

/*
 * Only what is recorded, for a passive port the application reset
 * between two contexts (the gate): its start applies it.
 */
int
mlx4r_flow_ctrl_record(struct mlx4r_port *port,
		       const struct rte_eth_fc_conf *fc)
{
	struct mlx4r_hw_pause p;

	if (mlx4r_fc_pause(fc, &p) < 0 || p.autoneg)
		return -EINVAL; /* what mlx4_en would refuse */
	port->pause = p;
	port->pause_set = true;
	return 0;
}

/* Mb/s of an ibv_port_attr's width and speed (mlx4_ib's Ethernet ports). */
static uint32_t
mlx4r_port_attr_speed(const struct ibv_port_attr *pa)
{
	uint32_t lanes, lane;

	switch (pa->active_width) {
	case 1: lanes = 1; break;
	case 2: lanes = 4; break;
	case 4: lanes = 8; break;
	case 8: lanes = 12; break;
	default: return RTE_ETH_SPEED_NUM_UNKNOWN;
	}
	switch (pa->active_speed) {
	case 1: lane = 2500; break;    /* SDR */
	case 2: lane = 5000; break;    /* DDR */
	case 4: case 8: lane = 10000; break; /* QDR, FDR10 */
	case 16: lane = 14000; break;  /* FDR: 56 Gb/s on 4x */
	case 32: lane = 25000; break;  /* EDR */
	default: return RTE_ETH_SPEED_NUM_UNKNOWN;
	}
	return lanes * lane;
}

/*
 * The link as if @p started: up while the port is started and the device
 * says the port is active (mlx4_ib: the netdev runs); its speed and duplex
 * from the netdev's ethtool, as upstream's mlx4_link_update reads them,
 * else from the port's width and speed.
 */
static void
mlx4r_link_read_as(struct mlx4r_port *port, bool started,
		   struct rte_eth_link *link)
{
	struct mlx4r_hw_netdev nd;
	struct ibv_port_attr pa;

	memset(link, 0, sizeof(*link));
	link->link_speed = RTE_ETH_SPEED_NUM_NONE;
	link->link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link->link_autoneg = RTE_ETH_LINK_AUTONEG;
	if (!started || port->dev->ctx == NULL ||
	    mlx4r_hw_query_port(port->dev->ctx, port->port_num, &pa) != 0 ||
	    pa.state != IBV_PORT_ACTIVE)
		return;
	link->link_status = RTE_ETH_LINK_UP;
	if (mlx4r_hw_netdev_query(port->dev->ctx, port->port_num, &nd) == 0 &&
	    nd.speed != 0) {
		link->link_speed = nd.speed;
		link->link_duplex = nd.full_duplex ? RTE_ETH_LINK_FULL_DUPLEX :
				    RTE_ETH_LINK_HALF_DUPLEX;
	} else {
		link->link_speed = mlx4r_port_attr_speed(&pa);
	}
}

/* The link of the port; control lock held (started is stable). */
static void
mlx4r_link_read(struct mlx4r_port *port, struct rte_eth_link *link)
{
	mlx4r_link_read_as(port, port->started, link);
}

/*
 * dev_set_link_up/down: the netdev's IFF_UP, as upstream's
 * mlx4_dev_set_link. mlx4_en closes the port while its interface is down
 * (en_netdev.c mlx4_en_stop_port: mlx4_CLOSE_PORT): nothing is received,
 * the port is not active (the link reads down). The link ethdev keeps is
 * the port event's to set (PORT_ERR / PORT_ACTIVE, mlx4r_port_link_event()
 * on the interrupt thread), which raises LSC when it changed, as upstream's
 * mlx4_dev_set_link() leaves it to its interrupt handler: set here, the
 * event found it unchanged and raised nothing on the emulated backend
 * (kface_parity_port). The choice is the port's (link_down): a start
 * and a proactive reset keep it, as ethdev wants a link set down to stay
 * down until set up. Between two contexts of a reset (a passive port the
 * application reset) it is only recorded, and applied at the start.
 */
static int
mlx4r_dev_set_link(struct rte_eth_dev *eth_dev, bool up)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	bool old = port->link_down;
	int ret;

	port->link_down = !up;
	if (port->dev->ctx == NULL)
		return 0;
	ret = mlx4r_hw_netdev_set_up(port->dev->ctx, port->port_num, up);
	if (ret < 0) {
		port->link_down = old;
		DRV_LOG(ERR, "port %u: cannot set netdev %s %s: %s",
			eth_dev->data->port_id, port->netdev,
			up ? "up" : "down", strerror(-ret));
		return ret;
	}
	return 0;
}

static int
mlx4r_dev_set_link_up(struct rte_eth_dev *eth_dev)
{
	return mlx4r_dev_set_link(eth_dev, true);
}

static int
mlx4r_dev_set_link_down(struct rte_eth_dev *eth_dev)
{
	return mlx4r_dev_set_link(eth_dev, false);
}

/*
 * ethdev's queue states of @p port (rte_eth_rx/tx_queue_info_get(), and
 * ethdev's own "already started/stopped" answers of the queue start and
 * stop calls): all stopped when @p started is false; else each queue's
 * own, stopped only if the application stopped it (or deferred its
 * start). They say what the application asked: a reset's stop of the
 * port (mlx4r_port_release_hw()) sets them back to the application's
 * view, so that a queue stop during the reset reaches the gate (-EBUSY)
 * instead of ethdev's "already stopped" (0, and the queue running after
 * the replay), and testpmd's "start" during a reset does not find the
 * queues stopped and disable its streams for good.
 */
void
mlx4r_port_queue_states(struct mlx4r_port *port, bool started)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	for (i = 0; i < data->nb_tx_queues; i++) {
		txq = mlx4r_port_txq(port, i);
		data->tx_queue_state[i] = started && txq != NULL &&
			!txq->stopped ? RTE_ETH_QUEUE_STATE_STARTED :
					RTE_ETH_QUEUE_STATE_STOPPED;
	}
	for (i = 0; i < data->nb_rx_queues; i++) {
		rxq = mlx4r_port_rxq(port, i);
		data->rx_queue_state[i] = started && rxq != NULL &&
			!rxq->stopped ? RTE_ETH_QUEUE_STATE_STARTED :
					RTE_ETH_QUEUE_STATE_STOPPED;
	}
}

static int
mlx4r_dev_start(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_eth_dev_data *data = eth_dev->data;
	struct rte_eth_link link;
	uint16_t i;
	int ret = 0;

	if (port->started)
		return 0;
	if (data->nb_rx_queues == 0 || data->nb_tx_queues == 0 ||
	    mlx4r_port_rxq(port, 0) == NULL) {
		DRV_LOG(ERR, "port %u: set up the queues first", data->port_id);
		return -EINVAL;
	}
	ret = mlx4r_port_netdev_start(port);
	if (ret < 0)
		return ret;
	/*
	 * The Rx WQs created next form this port's RSS table: ConnectX-3
	 * wants their numbers consecutive and aligned to the table size.
	 */
	ret = mlx4r_hw_set_rss_range(port->dev->ctx,
			rte_log2_u32(rte_align32pow2(data->nb_rx_queues)));
	if (ret < 0) {
		DRV_LOG(ERR, "port %u: cannot prepare RSS for %u Rx queues: %s",
			data->port_id, data->nb_rx_queues, strerror(-ret));
		return ret;
	}
	/* the driver's list: the reset replays a start on its own thread */
	for (i = 0; i < data->nb_rx_queues && ret == 0; i++) {
		if (mlx4r_port_rxq(port, i) == NULL) {
			DRV_LOG(ERR, "port %u: Rx queue %u not set up",
				data->port_id, i);
			ret = -EINVAL;
		} else {
			struct mlx4r_rxq *rxq = mlx4r_port_rxq(port, i);

			/*
			 * A stopped queue's WQ is created too (its number
			 * belongs to the RSS table) and parked: no rule
			 * steers anything yet.
			 */
			ret = mlx4r_rxq_start(rxq);
			if (ret == 0 && rxq->stopped)
				ret = mlx4r_rxq_pause(rxq);
		}
	}
	if (ret == 0)
		ret = mlx4r_rss_range_close(port);
	for (i = 0; i < data->nb_tx_queues && ret == 0; i++) {
		if (mlx4r_port_txq(port, i) == NULL) {
			DRV_LOG(ERR, "port %u: Tx queue %u not set up",
				data->port_id, i);
			ret = -EINVAL;
		} else if (!mlx4r_port_txq(port, i)->stopped) {
			ret = mlx4r_txq_start(mlx4r_port_txq(port, i));
		}
	}
	if (ret == 0)
		ret = mlx4r_rss_start(port);
	/* then the application's rte_flow rules, before the internal ones */
	if (ret == 0)
		ret = mlx4r_flow_api_start(port);
	if (ret == 0)
		ret = mlx4r_dev_lpbk(port, data->dev_conf.lpbk_mode != 0);
	if (ret < 0) {
		mlx4r_port_hw_stop(eth_dev);
		return ret;
	}
	mlx4r_port_queue_states(port, true);
	ret = mlx4r_intr_port_start(port);
	if (ret < 0) {
		mlx4r_port_hw_stop(eth_dev);
		return ret;
	}
	/* relaxed: read by mlx4r_port_link_event() without the lock */
	__atomic_store_n(&port->started, true, __ATOMIC_RELAXED);
	mlx4r_link_read(port, &link);
	rte_eth_linkstatus_set(eth_dev, &link);
	return 0;
}

static int
mlx4r_dev_stop(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_eth_link link;

	if (!port->started)
		return 0;
	/*
	 * ethdev already pointed the fast-path ops at its dummy bursts; the
	 * application must not poll a port it stops (ethdev's rule). The
	 * reset issue adds the barred/in_burst handshake here.
	 */
	/* relaxed: read by mlx4r_port_link_event() without the lock */
	__atomic_store_n(&port->started, false, __ATOMIC_RELAXED);
	mlx4r_dev_lpbk(port, false);
	mlx4r_port_hw_stop(eth_dev);
	mlx4r_port_queue_states(port, false);
	mlx4r_link_read(port, &link);
	rte_eth_linkstatus_set(eth_dev, &link);
	return 0;
}

/*
 * Close of a port in a secondary process: nothing to release, the queues
 * and the device are the primary's. A primary process's ports have the
 * gated ops (mlx4r_gate.c), whose close stops the port, releases its
 * queues and leaves the device core.
 */
int
mlx4r_port_close(struct rte_eth_dev *eth_dev)
{
	/* the public calls of this process no longer find it */
	mlx4r_registry_del(mlx4r_port_of(eth_dev));
	mlx4r_mp_secondary_detach(eth_dev);
	return 0;
}

static int
mlx4r_link_update(struct rte_eth_dev *eth_dev, int wait_to_complete)
{
	struct rte_eth_link link;

	RTE_SET_USED(wait_to_complete);
	mlx4r_link_read(mlx4r_port_of(eth_dev), &link);
	return rte_eth_linkstatus_set(eth_dev, &link);
}

/*
 * Called by the device core on a port event of the device: the EAL
 * interrupt thread, without the control lock, which dev_start/dev_stop
 * hold while they change started and then set the link themselves. So
 * started is loaded (atomically) once, the link computed from it and set,
 * and started loaded again: if it changed meanwhile, the link set here may
 * have overwritten the one start or stop set after their store, and the
 * link is computed and set again. rte_eth_linkstatus_set() is a SEQ_CST
 * exchange of the whole link (ethdev_driver.h): when ours comes after
 * theirs in its modification order, it synchronizes with theirs, and their
 * store of started, sequenced before it, is visible to our second load.
 */
bool
mlx4r_port_link_event(struct mlx4r_port *port)
{
	struct rte_eth_dev *eth_dev = port->eth_dev;
	struct rte_eth_link link;
	bool started, changed = false;

	do {
		started = __atomic_load_n(&port->started, __ATOMIC_RELAXED);
		mlx4r_link_read_as(port, started, &link);
		/* rte_eth_linkstatus_set() returns 0 when the link changed */
		if (rte_eth_linkstatus_set(eth_dev, &link) == 0)
			changed = true;
	} while (__atomic_load_n(&port->started, __ATOMIC_SEQ_CST) != started);
	return changed && eth_dev->data->dev_conf.intr_conf.lsc;
}

/* ethdev updates data->promiscuous/all_multicast around these. */
static int
mlx4r_filter_changed(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);

	if (!port->started)
		return 0;
	return mlx4r_flow_sync(port);
}

static int
mlx4r_promiscuous_enable(struct rte_eth_dev *eth_dev)
{
	int ret;

	eth_dev->data->promiscuous = 1;
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0)
		eth_dev->data->promiscuous = 0;
	return ret;
}

static int
mlx4r_promiscuous_disable(struct rte_eth_dev *eth_dev)
{
	int ret;

	eth_dev->data->promiscuous = 0;
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0)
		eth_dev->data->promiscuous = 1;
	return ret;
}

static int
mlx4r_allmulticast_enable(struct rte_eth_dev *eth_dev)
{
	int ret;

	eth_dev->data->all_multicast = 1;
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0)
		eth_dev->data->all_multicast = 0;
	return ret;
}

static int
mlx4r_allmulticast_disable(struct rte_eth_dev *eth_dev)
{
	int ret;

	eth_dev->data->all_multicast = 0;
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0)
		eth_dev->data->all_multicast = 1;
	return ret;
}

static int
mlx4r_mac_addr_set(struct rte_eth_dev *eth_dev, struct rte_ether_addr *addr)
{
	struct rte_ether_addr old = eth_dev->data->mac_addrs[0];
	int ret;

	/* ethdev copies the address to mac_addrs[0] after this returns */
	eth_dev->data->mac_addrs[0] = *addr;
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0)
		eth_dev->data->mac_addrs[0] = old;
	return ret;
}

static int
mlx4r_mac_addr_add(struct rte_eth_dev *eth_dev, struct rte_ether_addr *addr,
		   uint32_t index, uint32_t vmdq)
{
	struct rte_ether_addr old = eth_dev->data->mac_addrs[index];
	int ret;

	RTE_SET_USED(vmdq);
	eth_dev->data->mac_addrs[index] = *addr;
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0)
		eth_dev->data->mac_addrs[index] = old;
	return ret;
}

static void
mlx4r_mac_addr_remove(struct rte_eth_dev *eth_dev, uint32_t index)
{
	/* ethdev zeroes mac_addrs[index] after this returns */
	memset(&eth_dev->data->mac_addrs[index], 0,
	       sizeof(eth_dev->data->mac_addrs[index]));
	if (mlx4r_filter_changed(eth_dev) < 0)
		DRV_LOG(ERR, "port %u: steering rules not rebuilt",
			eth_dev->data->port_id);
}

/*
 * The multicast list, as upstream's mlx4_set_mc_addr_list lays it out:
 * the list takes the last @p num of the port's 128 MAC slots, the unicast
 * addresses being the first MLX4R_MAX_MAC; more than 128 is -EINVAL, a
 * list that would cover a unicast address in use is -EBUSY. A steering
 * rule per address while the port runs (mlx4r_flow_wanted()); the list is
 * the port's, kept across stop/start and replayed by a proactive reset.
 * On failure the port keeps its previous list and rules.
 */
static int
mlx4r_set_mc_addr_list(struct rte_eth_dev *eth_dev,
		       struct rte_ether_addr *list, uint32_t num)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct rte_ether_addr *old;
	uint32_t i, nb_old = port->nb_mc;
	int ret;

	if (num > MLX4R_MAX_MC) {
		DRV_LOG(ERR, "port %u: %u multicast addresses, at most %u",
			eth_dev->data->port_id, num, MLX4R_MAX_MC);
		return -EINVAL;
	}
	if (num > 0 && list == NULL) {
		DRV_LOG(ERR, "port %u: %u multicast addresses and no list",
			eth_dev->data->port_id, num);
		return -EINVAL;
	}
	for (i = MLX4R_MAC_SLOTS - num; i < MLX4R_MAX_MAC; i++)
		if (!rte_is_zero_ether_addr(&eth_dev->data->mac_addrs[i])) {
			DRV_LOG(ERR, "port %u: %u multicast addresses would take MAC slot %u, used by a unicast address",
				eth_dev->data->port_id, num, i);
			return -EBUSY;
		}
	old = malloc(sizeof(port->mc));
	if (old == NULL)
		return -ENOMEM;
	memcpy(old, port->mc, sizeof(port->mc));
	if (num > 0)
		memcpy(port->mc, list, num * sizeof(list[0]));
	port->nb_mc = num;
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0) {
		memcpy(port->mc, old, sizeof(port->mc));
		port->nb_mc = nb_old;
	}
	free(old);
	return ret;
}

/*
 * VLAN filter (RTE_ETH_RX_OFFLOAD_VLAN_FILTER; ethdev refuses the call
 * without it, and updates vlan_filter_conf after this returns 0): the bit
 * is set here first, so that the rules built from vlan_filter_conf have
 * it, as upstream's mlx4_vlan_filter_set does, and restored on failure.
 * mlx4r_flow_wanted() makes the port's address rules per VLAN ID.
 */
static int
mlx4r_vlan_filter_set(struct rte_eth_dev *eth_dev, uint16_t vlan_id, int on)
{
	uint64_t *w = &eth_dev->data->vlan_filter_conf.ids[vlan_id / 64];
	uint64_t old = *w;
	int ret;

	if (on)
		*w |= RTE_BIT64(vlan_id % 64);
	else
		*w &= ~RTE_BIT64(vlan_id % 64);
	ret = mlx4r_filter_changed(eth_dev);
	if (ret < 0) {
		*w = old;
		DRV_LOG(ERR, "port %u: VLAN %u filter %s: %s",
			eth_dev->data->port_id, vlan_id, on ? "on" : "off",
			strerror(-ret));
	}
	return ret;
}

/*
 * rte_eth_dev_set_vlan_offload(): ethdev changed dev_conf.rxmode.offloads
 * (only VLAN_FILTER can change, the other VLAN offloads are not in the
 * capabilities) and restores it when this fails. Upstream net_mlx4 has no
 * such op (the offload is set at configure only); mlx4r also lets a
 * running port turn filtering on and off.
 */
static int
mlx4r_vlan_offload_set(struct rte_eth_dev *eth_dev, int mask)
{
	if (!(mask & RTE_ETH_VLAN_FILTER_MASK))
		return 0;
	return mlx4r_filter_changed(eth_dev);
}

/*
 * Queue start/stop on a running port (ethdev calls these only for a
 * started port's queue in the other state). Upstream net_mlx4 has none:
 * these are mlx4r's. A queue stops as a queue in error is set aside for
 * its repair (mlx4r_repair.c): barred, proven quiescent alone while the
 * port's other queues run, then an Rx queue's WQ is parked in RESET (it
 * stays in the RSS table: a frame hashed to it is dropped) and a Tx
 * queue's QP and CQ are destroyed (the frames not yet completed are
 * freed). Its start brings the WQ back to RDY or builds a new QP, then
 * unbars it. The queue structure stays where it is (type-stable), in the
 * driver's list: the reset walks it, and its replay keeps the queue
 * stopped (mlx4r_dev_start(), mlx4r_port_set_barred()).
 */

/* Bar a queue and wait, without a deadline, until no burst is inside. */
static void
mlx4r_queue_stop_wait(uint8_t *barred, uint8_t *in_burst,
		      uint16_t port_id, const char *dir, uint16_t idx)
{
	while (mlx4r_queue_quiesce(barred, in_burst,
				   mlx4r_now_ns() + 1000000000ull,
				   NULL) != 0)
		DRV_LOG(WARNING, "port %u %s queue %u: a burst is still inside after 1 s; waiting",
			port_id, dir, idx);
}

static int
mlx4r_rx_queue_stop(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq = mlx4r_port_rxq(port, idx);
	int ret = 0;

	if (rxq == NULL)
		return -EINVAL;
	if (port->started && !rxq->stopped) {
		mlx4r_queue_stop_wait(&rxq->barred, &rxq->in_burst,
				      eth_dev->data->port_id, "Rx", idx);
		ret = mlx4r_rxq_pause(rxq);
	}
	/* stopped even when the WQ refused RESET: nobody polls it */
	rxq->stopped = 1;
	eth_dev->data->rx_queue_state[idx] = RTE_ETH_QUEUE_STATE_STOPPED;
	return ret;
}

static int
mlx4r_rx_queue_start(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq = mlx4r_port_rxq(port, idx);
	int ret;

	if (rxq == NULL || !port->started)
		return -EINVAL;
	if (!rxq->stopped)
		return 0;
	ret = mlx4r_rxq_resume(rxq);
	if (ret < 0)
		return ret;
	rxq->stopped = 0;
	eth_dev->data->rx_queue_state[idx] = RTE_ETH_QUEUE_STATE_STARTED;
	mlx4r_queue_unbar(&rxq->barred);
	return 0;
}

static int
mlx4r_tx_queue_stop(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_txq *txq = mlx4r_port_txq(port, idx);

	if (txq == NULL)
		return -EINVAL;
	if (port->started && !txq->stopped) {
		mlx4r_queue_stop_wait(&txq->barred, &txq->in_burst,
				      eth_dev->data->port_id, "Tx", idx);
		mlx4r_txq_stop(txq);
	}
	txq->stopped = 1;
	eth_dev->data->tx_queue_state[idx] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

static int
mlx4r_tx_queue_start(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_txq *txq = mlx4r_port_txq(port, idx);
	int ret;

	if (txq == NULL || !port->started)
		return -EINVAL;
	if (!txq->stopped)
		return 0;
	ret = mlx4r_txq_start(txq);
	if (ret < 0) {
		mlx4r_txq_stop(txq);
		return ret;
	}
	txq->stopped = 0;
	eth_dev->data->tx_queue_state[idx] = RTE_ETH_QUEUE_STATE_STARTED;
	mlx4r_queue_unbar(&txq->barred);
	return 0;
}

static int
mlx4r_mtu_set(struct rte_eth_dev *eth_dev, uint16_t mtu)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	uint32_t frame = mtu + RTE_ETHER_HDR_LEN + 2 * 4;
	struct mlx4r_rxq *rxq;
	uint16_t i;
	int ret;

	/* a running queue's WQEs are sized: the frame must fit them */
	MLX4R_FOREACH_RXQ(port, i, rxq) {
		if (!port->started)
			break;
		if (rxq->seg_first_len + (rxq->sges - 1) * rxq->seg_len <
		    frame) {
			DRV_LOG(ERR, "port %u: MTU %u needs larger Rx WQEs; stop the port first",
				eth_dev->data->port_id, mtu);
			return -EBUSY;
		}
	}
	/*
	 * Between two contexts of a reset (a passive port reset by the
	 * application, mlx4r_gate.c): software only, the start sets the
	 * netdev's MTU from data->mtu (mlx4r_port_netdev_start()).
	 */
	if (port->dev->ctx == NULL)
		return 0;
	/*
	 * The port's MTU is its netdev's (SIOCSIFMTU, as upstream's
	 * mlx4_mtu_set): what the netdev refuses is refused.
	 */
	ret = mlx4r_hw_netdev_set_mtu(port->dev->ctx, port->port_num, mtu);
	if (ret == -ENOTSUP)
		return 0;
	if (ret < 0)
		DRV_LOG(ERR, "port %u: netdev %s refuses MTU %u: %s",
			eth_dev->data->port_id, port->netdev, mtu,
			strerror(-ret));
	return ret;
}

static int
mlx4r_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *stats)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_hw_port_counters c;
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	/* the driver's list of the port's queues */
	MLX4R_FOREACH_RXQ(port, i, rxq) {
		stats->ipackets += rxq->ipackets;
		stats->ibytes += rxq->ibytes;
		stats->ierrors += rxq->ierrors;
		stats->rx_nombuf += rxq->rx_nombuf;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_ipackets[i] = rxq->ipackets;
			stats->q_ibytes[i] = rxq->ibytes;
			stats->q_errors[i] = rxq->ierrors;
		}
	}
	MLX4R_FOREACH_TXQ(port, i, txq) {
		stats->opackets += txq->opackets;
		stats->obytes += txq->obytes;
		stats->oerrors += txq->oerrors;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_opackets[i] = txq->opackets;
			stats->q_obytes[i] = txq->obytes;
		}
	}
	/* the device context is the primary's (see mlx4r_dev_ops_secondary) */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY &&
	    mlx4r_hw_port_counters(port->dev->ctx, port->port_num, &c) == 0)
		stats->imissed = c.rx_missed - port->cnt_base.rx_missed;
	return 0;
}

static int
mlx4r_stats_reset(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	MLX4R_FOREACH_RXQ(port, i, rxq) {
		rxq->ipackets = 0;
		rxq->ibytes = 0;
		rxq->ierrors = 0;
		rxq->rx_nombuf = 0;
	}
	MLX4R_FOREACH_TXQ(port, i, txq) {
		txq->opackets = 0;
		txq->obytes = 0;
		txq->oerrors = 0;
		txq->mr_miss = 0;
		txq->mr_ondemand = 0;
		txq->tso_refused = 0;
		txq->too_many_segs = 0;
	}
	if (mlx4r_hw_port_counters(port->dev->ctx, port->port_num,
				   &port->cnt_base) < 0)
		memset(&port->cnt_base, 0, sizeof(port->cnt_base));
	return 0;
}

/*
 * Extended statistics: the device's port counters, then driver counters.
 * imissed and rx_nombuf are not repeated here: ethdev already lists them
 * as rx_missed_errors and rx_mbuf_allocation_errors.
 */
enum {
	MLX4R_XS_RX_STEERING_DROPPED,
	MLX4R_XS_RX_DEVICE_ERRORS,
	MLX4R_XS_TX_LINK_DOWN_DROPPED,
	MLX4R_XS_TX_UNREGISTERED,
	MLX4R_XS_TX_TSO_REFUSED,
	MLX4R_XS_TX_MR_ONDEMAND,
	MLX4R_XS_MR_FREED,
	MLX4R_XS_RX_REFUSED,
	MLX4R_XS_TX_REFUSED,
	MLX4R_XS_RX_QUEUE_REPAIRS,
	MLX4R_XS_RX_QUEUE_FLUSHED,
	MLX4R_XS_TX_QUEUE_REPAIRS,
	MLX4R_XS_TX_QUEUE_FLUSHED,
	MLX4R_XS_TX_TOO_MANY_SEGS,
	MLX4R_XS_NB,
};

static const char * const mlx4r_xstat_names[MLX4R_XS_NB] = {
	[MLX4R_XS_RX_STEERING_DROPPED] = "rx_steering_dropped",
	[MLX4R_XS_RX_DEVICE_ERRORS] = "rx_device_errors",
	[MLX4R_XS_TX_LINK_DOWN_DROPPED] = "tx_link_down_dropped",
	[MLX4R_XS_TX_UNREGISTERED] = "tx_unregistered_memory_dropped",
	/* memory registration (mlx4r_mr.c) */
	[MLX4R_XS_TX_TSO_REFUSED] = "tx_tso_refused",
	[MLX4R_XS_TX_MR_ONDEMAND] = "tx_mr_registered_on_demand",
	[MLX4R_XS_MR_FREED] = "mr_dropped_memory_freed",
	[MLX4R_XS_RX_REFUSED] = "rx_refused_bursts",
	[MLX4R_XS_TX_REFUSED] = "tx_refused_packets",
	/* queues in error repaired without a device reset (mlx4r_repair.c) */
	[MLX4R_XS_RX_QUEUE_REPAIRS] = "rx_queue_repairs",
	[MLX4R_XS_RX_QUEUE_FLUSHED] = "rx_queue_flushed_wqes",
	[MLX4R_XS_TX_QUEUE_REPAIRS] = "tx_queue_repairs",
	[MLX4R_XS_TX_QUEUE_FLUSHED] = "tx_queue_flushed_packets",
	/* bursts stopped at a frame of more segments than a WQE holds */
	[MLX4R_XS_TX_TOO_MANY_SEGS] = "tx_too_many_segs",
};

static int
mlx4r_xstats_get_names(struct rte_eth_dev *eth_dev,
		       struct rte_eth_xstat_name *names, unsigned int size)
{
	unsigned int i;

	RTE_SET_USED(eth_dev);
	if (names == NULL || size < RTE_DIM(mlx4r_xstat_names))
		return RTE_DIM(mlx4r_xstat_names);
	for (i = 0; i < RTE_DIM(mlx4r_xstat_names); i++)
		strlcpy(names[i].name, mlx4r_xstat_names[i],
			sizeof(names[i].name));
	return RTE_DIM(mlx4r_xstat_names);
}

static int
mlx4r_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xs,
		 unsigned int n)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_hw_port_counters c;
	uint64_t v[RTE_DIM(mlx4r_xstat_names)];
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	unsigned int i;

	if (xs == NULL || n < RTE_DIM(v))
		return RTE_DIM(v);
	memset(v, 0, sizeof(v));
	/* the device context is the primary's (see mlx4r_dev_ops_secondary) */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY &&
	    mlx4r_hw_port_counters(port->dev->ctx, port->port_num, &c) == 0) {
		v[MLX4R_XS_RX_STEERING_DROPPED] =
			c.rx_dropped - port->cnt_base.rx_dropped;
		v[MLX4R_XS_RX_DEVICE_ERRORS] =
			c.rx_errors - port->cnt_base.rx_errors;
		v[MLX4R_XS_TX_LINK_DOWN_DROPPED] =
			c.tx_dropped - port->cnt_base.tx_dropped;
	}
	MLX4R_FOREACH_RXQ(port, i, rxq) {
		v[MLX4R_XS_RX_REFUSED] += __atomic_load_n(&rxq->refused,
							  __ATOMIC_RELAXED);
		v[MLX4R_XS_RX_QUEUE_REPAIRS] += rxq->repairs;
		v[MLX4R_XS_RX_QUEUE_FLUSHED] += rxq->flushed;
	}
	/* the device's: written under its mr_mtx, a snapshot here */
	v[MLX4R_XS_MR_FREED] = port->dev->mr_freed;
	MLX4R_FOREACH_TXQ(port, i, txq) {
		v[MLX4R_XS_TX_UNREGISTERED] += txq->mr_miss;
		v[MLX4R_XS_TX_TSO_REFUSED] += txq->tso_refused;
		v[MLX4R_XS_TX_TOO_MANY_SEGS] += txq->too_many_segs;
		v[MLX4R_XS_TX_MR_ONDEMAND] += txq->mr_ondemand;
		v[MLX4R_XS_TX_REFUSED] += __atomic_load_n(&txq->refused,
							  __ATOMIC_RELAXED);
		v[MLX4R_XS_TX_QUEUE_REPAIRS] += txq->repairs;
		v[MLX4R_XS_TX_QUEUE_FLUSHED] += txq->flushed;
	}
	for (i = 0; i < RTE_DIM(v); i++) {
		xs[i].id = i;
		xs[i].value = v[i];
	}
	return RTE_DIM(v);
}

static int
mlx4r_xstats_reset(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	/* relaxed, as the bursts' MLX4R_BURST_REFUSED */
	MLX4R_FOREACH_RXQ(port, i, rxq) {
		__atomic_store_n(&rxq->refused, 0, __ATOMIC_RELAXED);
		rxq->repairs = 0;
		rxq->flushed = 0;
	}
	MLX4R_FOREACH_TXQ(port, i, txq) {
		__atomic_store_n(&txq->refused, 0, __ATOMIC_RELAXED);
		txq->repairs = 0;
		txq->flushed = 0;
	}
	return mlx4r_stats_reset(eth_dev);
}

/*
 * Rebuild the RSS objects of a running port after a RETA, key or hash
 * change; on failure the port keeps receiving through the old ones.
 */
static int
mlx4r_rss_changed(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);

	if (!port->started)
		return 0;
	return mlx4r_rss_update(port);
}

static int
mlx4r_reta_update(struct rte_eth_dev *eth_dev,
		  struct rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	uint16_t reta[MLX4R_RETA_SIZE], old[MLX4R_RETA_SIZE], first;
	uint32_t count;
	unsigned int i;
	int ret;

	if (size != MLX4R_RETA_SIZE) {
		DRV_LOG(ERR, "port %u: RETA of %u entries, %u expected",
			eth_dev->data->port_id, size, MLX4R_RETA_SIZE);
		return -EINVAL;
	}
	memcpy(reta, port->reta, sizeof(reta));
	for (i = 0; i < size; i++) {
		const struct rte_eth_rss_reta_entry64 *g =
			&conf[i / RTE_ETH_RETA_GROUP_SIZE];
		unsigned int b = i % RTE_ETH_RETA_GROUP_SIZE;

		if (!(g->mask & (1ULL << b)))
			continue;
		if (g->reta[b] >= eth_dev->data->nb_rx_queues) {
			DRV_LOG(ERR, "port %u: RETA entry %u: queue %u of %u",
				eth_dev->data->port_id, i, g->reta[b],
				eth_dev->data->nb_rx_queues);
			return -EINVAL;
		}
		reta[i] = g->reta[b];
	}
	/* refuse what the card cannot express before anything changes */
	ret = mlx4r_rss_reta_table(port, reta, &first, &count);
	if (ret < 0)
		return ret;
	memcpy(old, port->reta, sizeof(old));
	memcpy(port->reta, reta, sizeof(reta));
	ret = mlx4r_rss_changed(eth_dev);
	if (ret < 0)
		memcpy(port->reta, old, sizeof(old));
	return ret;
}

static int
mlx4r_reta_query(struct rte_eth_dev *eth_dev,
		 struct rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	unsigned int i;

	if (size != MLX4R_RETA_SIZE)
		return -EINVAL;
	for (i = 0; i < size; i++) {
		struct rte_eth_rss_reta_entry64 *g =
			&conf[i / RTE_ETH_RETA_GROUP_SIZE];
		unsigned int b = i % RTE_ETH_RETA_GROUP_SIZE;

		if (g->mask & (1ULL << b))
			g->reta[b] = port->reta[i];
	}
	return 0;
}

static int
mlx4r_rss_hash_update(struct rte_eth_dev *eth_dev,
		      struct rte_eth_rss_conf *rss)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	uint8_t old_key[MLX4R_RSS_KEY_LEN];
	uint64_t old_hf = port->rss_hf;
	int ret;

	if (rss->rss_key != NULL && rss->rss_key_len != MLX4R_RSS_KEY_LEN) {
		DRV_LOG(ERR, "port %u: RSS key of %u bytes, %u expected",
			eth_dev->data->port_id, rss->rss_key_len,
			MLX4R_RSS_KEY_LEN);
		return -EINVAL;
	}
	if (rss->rss_hf & ~MLX4R_RSS_OFFLOADS) {
		DRV_LOG(ERR, "port %u: RSS hash types 0x%" PRIx64 " not supported",
			eth_dev->data->port_id,
			rss->rss_hf & ~MLX4R_RSS_OFFLOADS);
		return -EINVAL;
	}
	memcpy(old_key, port->rss_key, sizeof(old_key));
	if (rss->rss_key != NULL)
		memcpy(port->rss_key, rss->rss_key, MLX4R_RSS_KEY_LEN);
	port->rss_hf = rss->rss_hf;
	ret = mlx4r_rss_changed(eth_dev);
	if (ret < 0) {
		memcpy(port->rss_key, old_key, sizeof(old_key));
		port->rss_hf = old_hf;
	}
	return ret;
}

static int
mlx4r_rss_hash_conf_get(struct rte_eth_dev *eth_dev,
			struct rte_eth_rss_conf *rss)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);

	if (rss->rss_key != NULL) {
		if (rss->rss_key_len < MLX4R_RSS_KEY_LEN)
			return -EINVAL;
		memcpy(rss->rss_key, port->rss_key, MLX4R_RSS_KEY_LEN);
	}
	rss->rss_key_len = MLX4R_RSS_KEY_LEN;
	rss->rss_hf = port->rss_hf;
	return 0;
}

/* The array ends with RTE_PTYPE_UNKNOWN; *n counts the entries before it. */
static const uint32_t *
mlx4r_ptypes(struct rte_eth_dev *eth_dev, size_t *n)
{
	static const uint32_t ptypes[] = {
		RTE_PTYPE_L2_ETHER,
		RTE_PTYPE_L3_IPV4,
		RTE_PTYPE_L3_IPV4_EXT,
		RTE_PTYPE_L3_IPV6_EXT_UNKNOWN,
		RTE_PTYPE_L4_FRAG,
		RTE_PTYPE_L4_TCP,
		RTE_PTYPE_L4_UDP,
		RTE_PTYPE_L4_NONFRAG,
		RTE_PTYPE_UNKNOWN,
	};
	/* a ConnectX-3 Pro adds VXLAN (upstream mlx4_ethdev.c ptypes_l2tun) */
	static const uint32_t ptypes_l2tun[] = {
		RTE_PTYPE_L2_ETHER,
		RTE_PTYPE_L3_IPV4,
		RTE_PTYPE_L3_IPV4_EXT,
		RTE_PTYPE_L3_IPV4_EXT_UNKNOWN,
		RTE_PTYPE_L3_IPV6_EXT_UNKNOWN,
		RTE_PTYPE_L4_FRAG,
		RTE_PTYPE_L4_TCP,
		RTE_PTYPE_L4_UDP,
		RTE_PTYPE_L4_NONFRAG,
		RTE_PTYPE_TUNNEL_VXLAN,
		RTE_PTYPE_INNER_L2_ETHER,
		RTE_PTYPE_INNER_L3_IPV4,
		RTE_PTYPE_INNER_L3_IPV4_EXT,
		RTE_PTYPE_INNER_L3_IPV6_EXT_UNKNOWN,
		RTE_PTYPE_INNER_L4_FRAG,
		RTE_PTYPE_INNER_L4_TCP,
		RTE_PTYPE_INNER_L4_UDP,
		RTE_PTYPE_INNER_L4_NONFRAG,
		RTE_PTYPE_UNKNOWN,
	};

	if (mlx4r_port_of(eth_dev)->l2tun_cap) {
		*n = RTE_DIM(ptypes_l2tun) - 1;
		return ptypes_l2tun;
	}
	*n = RTE_DIM(ptypes) - 1;
	return ptypes;
}

MLX4R_PTYPES_GET_OP(mlx4r_dev_supported_ptypes_get, mlx4r_ptypes)

static void
mlx4r_rxq_info_get(struct rte_eth_dev *eth_dev, uint16_t idx,
		   struct rte_eth_rxq_info *qinfo)
{
	const struct mlx4r_rxq *rxq = eth_dev->data->rx_queues[idx];

	qinfo->mp = rxq->mp;
	qinfo->nb_desc = rxq->nb_desc;
	qinfo->conf.offloads = rxq->offloads;
	qinfo->scattered_rx = rxq->sges > 1;
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
	.dev_set_link_up = mlx4r_dev_set_link_up,
	.dev_set_link_down = mlx4r_dev_set_link_down,
	.dev_close = mlx4r_port_close,
	.dev_infos_get = mlx4r_dev_infos_get,
	.fw_version_get = mlx4r_fw_version_get,
	.dev_supported_ptypes_get = mlx4r_dev_supported_ptypes_get,
	.link_update = mlx4r_link_update,
	.promiscuous_enable = mlx4r_promiscuous_enable,
	.promiscuous_disable = mlx4r_promiscuous_disable,
	.allmulticast_enable = mlx4r_allmulticast_enable,
	.allmulticast_disable = mlx4r_allmulticast_disable,
	.mac_addr_set = mlx4r_mac_addr_set,
	.mac_addr_add = mlx4r_mac_addr_add,
	.mac_addr_remove = mlx4r_mac_addr_remove,
	.set_mc_addr_list = mlx4r_set_mc_addr_list,
	.vlan_filter_set = mlx4r_vlan_filter_set,
	.vlan_offload_set = mlx4r_vlan_offload_set,
	.flow_ctrl_get = mlx4r_flow_ctrl_get,
	.flow_ctrl_set = mlx4r_flow_ctrl_set,
	.mtu_set = mlx4r_mtu_set,
	.stats_get = mlx4r_stats_get,
	.stats_reset = mlx4r_stats_reset,
	.xstats_get = mlx4r_xstats_get,
	.xstats_get_names = mlx4r_xstats_get_names,
	.xstats_reset = mlx4r_xstats_reset,
	.reta_update = mlx4r_reta_update,
	.reta_query = mlx4r_reta_query,
	.rss_hash_update = mlx4r_rss_hash_update,
	.rss_hash_conf_get = mlx4r_rss_hash_conf_get,
	.rx_queue_setup = mlx4r_rx_queue_setup,
	.rx_queue_release = mlx4r_rx_queue_release,
	.tx_queue_setup = mlx4r_tx_queue_setup,
	.tx_queue_release = mlx4r_tx_queue_release,
	.rx_queue_start = mlx4r_rx_queue_start,
	.rx_queue_stop = mlx4r_rx_queue_stop,
	.rx_queue_intr_enable = mlx4r_rx_intr_enable,
	.rx_queue_intr_disable = mlx4r_rx_intr_disable,
	.tx_queue_start = mlx4r_tx_queue_start,
	.tx_queue_stop = mlx4r_tx_queue_stop,
	.rxq_info_get = mlx4r_rxq_info_get,
	.txq_info_get = mlx4r_txq_info_get,
};

/*
 * Link of a port seen from a secondary process: ethdev's shared copy, as
 * the primary last wrote it.
 */
static int
mlx4r_link_update_secondary(struct rte_eth_dev *eth_dev, int wait_to_complete)
{
	RTE_SET_USED(eth_dev);
	RTE_SET_USED(wait_to_complete);
	return 0;
}

/*
 * A secondary process (dpdk-proc-info, for instance) shares the port's
 * ethdev data, the driver's port and device structures and the queues
 * (rte_malloc memory), but not the device context, the rings' device
 * memory nor the emulated device, which are the primary's private memory.
 * It gets the operations that read nothing else: information, link,
 * statistics and extended statistics (without the device's port counters,
 * reported as 0), RSS and queue information. Everything else is
 * -ENOTSUP there.
 */
const struct eth_dev_ops mlx4r_dev_ops_secondary = {
	.dev_close = mlx4r_port_close,
	.dev_infos_get = mlx4r_dev_infos_get,
	.fw_version_get = mlx4r_fw_version_get_secondary,
	.dev_supported_ptypes_get = mlx4r_dev_supported_ptypes_get,
	.link_update = mlx4r_link_update_secondary,
	.stats_get = mlx4r_stats_get,
	.xstats_get = mlx4r_xstats_get,
	.xstats_get_names = mlx4r_xstats_get_names,
	.reta_query = mlx4r_reta_query,
	.rss_hash_conf_get = mlx4r_rss_hash_conf_get,
	.rxq_info_get = mlx4r_rxq_info_get,
	.txq_info_get = mlx4r_txq_info_get,
};
