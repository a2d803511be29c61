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
 * What a ConnectX-3 can do with a RETA.
 *
 * The card hashes a frame into WQ base_wqn + (hash & (size - 1)) of its
 * indirection table: the table is a run of 2^k WQs with consecutive
 * numbers, the first aligned to 2^k (Linux mlx4_ib qp.c
 * mlx4_ib_create_rwq_ind_table refuses anything else). The port's Rx WQs
 * are created in queue order from one WQN range aligned to the next power
 * of two of the queue count (mlx4r_dev_start), so queue q has number
 * base + q, and the tables the card can express are exactly the runs of
 * 2^k queues starting at a multiple of 2^k. ethdev's RETA of 64 entries
 * (entry = hash & 63) expresses one of them when entry i names queue
 * first + i % 2^k; any other RETA cannot be programmed.
 */
int
mlx4r_rss_reta_table(const struct mlx4r_port *port, const uint16_t *reta,
		     uint16_t *first, uint32_t *count)
{
	uint16_t nb_rxq = port->eth_dev->data->nb_rx_queues;
	uint32_t n, i;

	/* the run the RETA starts with, then whether it only repeats it */
	for (i = 1; i < MLX4R_RETA_SIZE && reta[i] == reta[0] + i; i++)
		;
	n = rte_align32prevpow2(i);
	for (i = 0; i < MLX4R_RETA_SIZE && reta[i] == reta[0] + i % n; i++)
		;
	if (i < MLX4R_RETA_SIZE) {
		DRV_LOG(ERR, "port %u: RETA entry %u is queue %u, not %u: ConnectX-3 can only spread over 2^k queues in order (entry i to first + i %% 2^k, first a multiple of 2^k)",
			port->eth_dev->data->port_id, i, reta[i],
			reta[0] + i % n);
		return -EINVAL;
	}
	if (reta[0] % n != 0 || reta[0] + n > nb_rxq) {
		DRV_LOG(ERR, "port %u: RETA spreads over queues %u..%u: ConnectX-3 needs the first of 2^k queues to be a multiple of 2^k (of %u queues)",
			port->eth_dev->data->port_id, reta[0],
			reta[0] + n - 1, nb_rxq);
		return -EINVAL;
	}
	*first = reta[0];
	*count = n;
	return 0;
}

/*
 * Close the port's WQN range (called once its Rx WQs exist). A range the
 * port leaves open, with fewer WQs than numbers, would make the next WQ
 * of the other port of the shared context fail: mlx4_ib_alloc_wqn refuses
 * a new range (> 1) while the newest one is open. A WQ created and
 * destroyed at once takes the next number and leaves the range dirty:
 * it hands out no more numbers (mlx4_ib_release_wqn), as upstream's
 * placeholder WQs in mlx4_rss_init rely on.
 */
int
mlx4r_rss_range_close(struct mlx4r_port *port)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_hw_wq_attr wattr;
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_wq *wq;
	int ret;

	if (rte_is_power_of_2(data->nb_rx_queues))
		return 0; /* full */
	ret = mlx4r_hw_create_cq(dev->ctx, 1, &cq);
	if (ret < 0)
		goto error;
	memset(&wattr, 0, sizeof(wattr));
	wattr.cq = cq;
	wattr.max_wr = 1;
	wattr.max_sge = 1;
	ret = mlx4r_hw_create_wq(dev->pd, &wattr, &wq);
	if (ret == 0)
		mlx4r_hw_destroy_wq(wq);
	mlx4r_hw_destroy_cq(cq);
	if (ret == 0)
		return 0;
error:
	DRV_LOG(ERR, "%s port %u: cannot close the WQ number range of %u Rx queues: %s",
		dev->name, port->port_num, data->nb_rx_queues, strerror(-ret));
	return ret;
}

/*
 * Build the indirection table the RETA stands for (with RSS off, one
 * entry: queue 0), the hash QP and the rules.
 */
int
mlx4r_rss_start(struct mlx4r_port *port)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	struct mlx4r_hw_wq *wqs[MLX4R_RETA_SIZE];
	struct ibv_rx_hash_conf conf;
	struct ibv_qp_attr mod;
	bool rss = data->dev_conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS;
	uint16_t first = 0;
	uint32_t i, n = 1;
	int ret;

	if (rss) {
		ret = mlx4r_rss_reta_table(port, port->reta, &first, &n);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < n; i++) {
		const struct mlx4r_rxq *rxq = data->rx_queues[first + i];

		wqs[i] = rxq->wq;
		if (wqs[i]->wq_num != wqs[0]->wq_num + i) {
			DRV_LOG(ERR, "%s port %u: the WQ numbers of Rx queues %u..%u are not consecutive (0x%x then 0x%x)",
				port->dev->name, port->port_num, first,
				first + n - 1, wqs[0]->wq_num, wqs[i]->wq_num);
			return -ERANGE;
		}
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
