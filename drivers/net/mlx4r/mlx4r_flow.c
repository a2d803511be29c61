/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Receive steering of a port: the RSS indirection table over the Rx
 * queues' WQs, the hash QP that uses it, and the flow rules that send
 * frames to that QP (a raw QP receives nothing without one): one rule per
 * MAC address of the port, one for broadcast, and the promiscuous and
 * all-multicast default rules when those modes are on. The rules are
 * rebuilt as a whole whenever the filter changes while the port runs.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>

#include <ethdev_driver.h>

#include "mlx4r.h"

uint64_t
mlx4r_rss_hf_to_fields(uint64_t hf)
{
	uint64_t f = 0;

	if (hf & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
		  RTE_ETH_RSS_NONFRAG_IPV4_OTHER |
		  RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP))
		f |= IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4;
	if (hf & (RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 |
		  RTE_ETH_RSS_NONFRAG_IPV6_OTHER |
		  RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP))
		f |= IBV_RX_HASH_SRC_IPV6 | IBV_RX_HASH_DST_IPV6;
	if (hf & (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP))
		f |= IBV_RX_HASH_SRC_PORT_TCP | IBV_RX_HASH_DST_PORT_TCP;
	if (hf & (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP))
		f |= IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP;
	return f;
}

void
mlx4r_flow_flush(struct mlx4r_port *port)
{
	while (port->nb_flows > 0)
		mlx4r_hw_destroy_flow(port->flows[--port->nb_flows]);
}

/* Add one rule: type ALL_DEFAULT/MC_DEFAULT, or NORMAL on dst MAC. */
static int
mlx4r_flow_add(struct mlx4r_port *port, enum ibv_flow_attr_type type,
	       const struct rte_ether_addr *dst)
{
	/*
	 * Verbs wants the specs right after the 20-byte attribute; place
	 * the attribute 4 bytes into an 8-byte aligned buffer so that the
	 * spec (which holds 64-bit-aligned unions) is aligned too.
	 */
	uint64_t buf[(4 + sizeof(struct ibv_flow_attr) +
		      sizeof(struct ibv_flow_spec_eth) + 7) / 8];
	struct ibv_flow_attr *attr = (void *)((uint8_t *)buf + 4);
	struct ibv_flow_spec_eth *eth = (void *)(attr + 1);
	int ret;

	RTE_BUILD_BUG_ON((4 + sizeof(struct ibv_flow_attr)) % 8 != 0);
	if (port->nb_flows == MLX4R_MAX_FLOWS)
		return -ENOSPC;
	memset(buf, 0, sizeof(buf));
	attr->type = type;
	attr->size = sizeof(*attr);
	attr->port = port->port_num;
	if (dst != NULL) {
		attr->num_of_specs = 1;
		attr->size += sizeof(*eth);
		eth->type = IBV_FLOW_SPEC_ETH;
		eth->size = sizeof(*eth);
		memcpy(eth->val.dst_mac, dst->addr_bytes, RTE_ETHER_ADDR_LEN);
		memset(eth->mask.dst_mac, 0xff, RTE_ETHER_ADDR_LEN);
	}
	ret = mlx4r_hw_create_flow(port->rss_qp, attr,
				   &port->flows[port->nb_flows]);
	if (ret < 0) {
		DRV_LOG(ERR, "%s port %u: cannot add a steering rule (type %d): %s",
			port->dev->name, port->port_num, type, strerror(-ret));
		return ret;
	}
	port->nb_flows++;
	return 0;
}

int
mlx4r_flow_sync(struct mlx4r_port *port)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	unsigned int i;
	int ret = 0;

	mlx4r_flow_flush(port);
	if (port->rss_qp == NULL)
		return 0;
	if (data->promiscuous) {
		ret = mlx4r_flow_add(port, IBV_FLOW_ATTR_ALL_DEFAULT, NULL);
		goto out;
	}
	for (i = 0; i < MLX4R_MAX_MAC && ret == 0; i++) {
		if (!rte_is_zero_ether_addr(&data->mac_addrs[i]))
			ret = mlx4r_flow_add(port, IBV_FLOW_ATTR_NORMAL,
					     &data->mac_addrs[i]);
	}
	if (ret == 0)
		ret = mlx4r_flow_add(port, IBV_FLOW_ATTR_NORMAL, &bcast);
	if (ret == 0 && data->all_multicast)
		ret = mlx4r_flow_add(port, IBV_FLOW_ATTR_MC_DEFAULT, NULL);
out:
	if (ret < 0)
		mlx4r_flow_flush(port);
	return ret;
}

void
mlx4r_rss_stop(struct mlx4r_port *port)
{
	mlx4r_flow_flush(port);
	if (port->rss_qp != NULL) {
		mlx4r_hw_destroy_qp(port->rss_qp);
		port->rss_qp = NULL;
	}
	if (port->ind != NULL) {
		mlx4r_hw_destroy_ind_table(port->ind);
		port->ind = NULL;
	}
}

/*
 * Build the indirection table from the RETA (one entry per RETA entry;
 * with RSS off, one entry: queue 0), the hash QP and the rules.
 */
int
mlx4r_rss_start(struct mlx4r_port *port)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	struct mlx4r_hw_wq *wqs[MLX4R_RETA_SIZE];
	struct ibv_rx_hash_conf conf;
	struct ibv_qp_attr mod;
	bool rss = data->dev_conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS &&
		   data->nb_rx_queues > 1;
	uint32_t i, n = rss ? MLX4R_RETA_SIZE : 1;
	int ret;

	for (i = 0; i < n; i++) {
		const struct mlx4r_rxq *rxq =
			data->rx_queues[rss ? port->reta[i] : 0];

		wqs[i] = rxq->wq;
	}
	ret = mlx4r_hw_create_ind_table(port->dev->ctx, rte_log2_u32(n), wqs,
					&port->ind);
	if (ret < 0) {
		DRV_LOG(ERR, "%s port %u: cannot create the indirection table: %s",
			port->dev->name, port->port_num, strerror(-ret));
		goto error;
	}
	memset(&conf, 0, sizeof(conf));
	conf.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	conf.rx_hash_key_len = MLX4R_RSS_KEY_LEN;
	conf.rx_hash_key = port->rss_key;
	conf.rx_hash_fields_mask = rss ? mlx4r_rss_hf_to_fields(port->rss_hf) :
				   0;
	ret = mlx4r_hw_create_rss_qp(port->dev->pd, port->ind, &conf,
				     &port->rss_qp);
	if (ret < 0) {
		DRV_LOG(ERR, "%s port %u: cannot create the hash QP: %s",
			port->dev->name, port->port_num, strerror(-ret));
		goto error;
	}
	memset(&mod, 0, sizeof(mod));
	mod.qp_state = IBV_QPS_INIT;
	mod.port_num = port->port_num;
	ret = mlx4r_hw_modify_qp(port->rss_qp, &mod,
				 IBV_QP_STATE | IBV_QP_PORT);
	if (ret == 0) {
		mod.qp_state = IBV_QPS_RTR;
		ret = mlx4r_hw_modify_qp(port->rss_qp, &mod, IBV_QP_STATE);
	}
	if (ret < 0) {
		DRV_LOG(ERR, "%s port %u: hash QP to ready: %s",
			port->dev->name, port->port_num, strerror(-ret));
		goto error;
	}
	ret = mlx4r_flow_sync(port);
	if (ret < 0)
		goto error;
	return 0;
error:
	mlx4r_rss_stop(port);
	return ret;
}
