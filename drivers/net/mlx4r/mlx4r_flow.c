/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Receive steering of a port: the RSS indirection table over the Rx
 * queues' WQs, the hash QP that uses it, and the flow rules that send
 * frames to that QP (a raw QP receives nothing without one): one rule per
 * MAC address of the port, per multicast address of its list and one for
 * broadcast (each once per filtered VLAN when VLAN filtering is on), and
 * the promiscuous or all-multicast default rule when that mode is on.
 *
 * Changes are made before they break anything: a filter change creates
 * the rules it adds before it destroys those it drops, and an RSS change
 * builds the new table, QP and rules before it destroys the old ones
 * (upstream's mlx4_flow_internal also creates new internal rules before it
 * cleans up the stale ones). When a step fails, what was built goes, the
 * port keeps the objects it had and receives what it received before, and
 * the call returns the error.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
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

static void
mlx4r_flow_destroy_all(struct mlx4r_hw_flow **flows, unsigned int n)
{
	while (n > 0)
		mlx4r_hw_destroy_flow(flows[--n]);
}

/* Create one rule on @p qp: ALL_DEFAULT/MC_DEFAULT, or NORMAL on a MAC. */
static int
mlx4r_flow_create(struct mlx4r_port *port, struct mlx4r_hw_qp *qp,
		  const struct mlx4r_flow_spec *spec, struct mlx4r_hw_flow **out)
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
	memset(buf, 0, sizeof(buf));
	attr->type = spec->type;
	attr->size = sizeof(*attr);
	attr->port = port->port_num;
	/*
	 * The lowest priority, as upstream's mlx4_flow_internal gives its
	 * rules (MLX4_FLOW_PRIORITY_LAST): the application's rte_flow rules
	 * (mlx4r_flow_api.c), at 0..0xffe, come first.
	 */
	attr->priority = MLX4R_FLOW_PRIO_LAST;
	if (spec->type == IBV_FLOW_ATTR_NORMAL) {
		attr->num_of_specs = 1;
		attr->size += sizeof(*eth);
		eth->type = IBV_FLOW_SPEC_ETH;
		eth->size = sizeof(*eth);
		memcpy(eth->val.dst_mac, spec->mac.addr_bytes,
		       RTE_ETHER_ADDR_LEN);
		memset(eth->mask.dst_mac, 0xff, RTE_ETHER_ADDR_LEN);
		/*
		 * The VLAN ID under the 12-bit mask, as upstream's
		 * mlx4_flow_internal asks (vlan_mask .tci 0x0fff); mlx4_ib
		 * hands vlan_tag and its mask to the card (Linux mlx4 main.c
		 * parse_flow_attr, IB_FLOW_SPEC_ETH), which then takes only
		 * frames tagged with that ID.
		 */
		if (spec->vlan != MLX4R_NO_VLAN) {
			eth->val.vlan_tag = rte_cpu_to_be_16(spec->vlan);
			eth->mask.vlan_tag = RTE_BE16(0x0fff);
		}
	}
	if (spec->type == IBV_FLOW_ATTR_ALL_DEFAULT) {
		/*
		 * Promiscuous: an Ethernet spec under an all-zero mask, whose
		 * value names a multicast destination (ff:00:00:00:00:00), as
		 * upstream's mlx4_flow_merge_eth makes it. A PF's card
		 * ignores it under that mask; on a VF the PF's resource
		 * tracker takes a rule only with an Ethernet header whose
		 * unicast destination is the VF's, and passes multicast ones
		 * (Linux resource_tracker.c
		 * mlx4_QP_FLOW_STEERING_ATTACH_wrapper,
		 * validate_eth_header_mac): without a spec the rule is
		 * refused with EINVAL.
		 */
		attr->num_of_specs = 1;
		attr->size += sizeof(*eth);
		eth->type = IBV_FLOW_SPEC_ETH;
		eth->size = sizeof(*eth);
		eth->val.dst_mac[0] = 0xff;
	}
	ret = mlx4r_hw_create_flow(qp, attr, out);
	if (ret < 0)
		DRV_LOG(ERR, MLX4R_PORT_FMT ": cannot add a steering rule (type %d): %s",
			MLX4R_PORT_ARGS(port), spec->type,
			strerror(-ret));
	return ret;
}

static bool
mlx4r_flow_spec_eq(const struct mlx4r_flow_spec *a,
		   const struct mlx4r_flow_spec *b)
{
	if (a->type != b->type)
		return false;
	return a->type != IBV_FLOW_ATTR_NORMAL ||
	       (rte_is_same_ether_addr(&a->mac, &b->mac) && a->vlan == b->vlan);
}

/* The next VLAN ID >= @p vlan the port filters on, or 4096. */
static uint16_t
mlx4r_flow_next_vlan(const struct rte_eth_dev_data *data, uint16_t vlan)
{
	for (; vlan < RTE_ETHER_MAX_VLAN_ID + 1; vlan++)
		if (data->vlan_filter_conf.ids[vlan / 64] &
		    RTE_BIT64(vlan % 64))
			break;
	return vlan;
}

/*
 * The rules the port's filter asks for into @p w (MLX4R_MAX_FLOWS
 * entries); returns how many, or -ENOMEM beyond MLX4R_MAX_FLOWS. Its MAC
 * addresses, its multicast list and broadcast always, in promiscuous and
 * all-multicast mode too: ALL_DEFAULT and MC_DEFAULT are the device's
 * default rules, which catch only what no other rule matched, and the
 * kernel netdev's own rules for the port's MAC and broadcast (mlx4_en,
 * MLX4_DOMAIN_NIC) would take those frames first (see the emulated
 * device's emu_steer). Upstream's mlx4_flow_internal keeps them the same
 * way: MAC + broadcast + catch-all, its multicast list being the tail of
 * its MAC slots (mlx4_set_mc_addr_list).
 *
 * VLAN filtering (RTE_ETH_RX_OFFLOAD_VLAN_FILTER with at least one VLAN
 * ID set, and not promiscuous) makes every address rule one rule per
 * VLAN ID: only frames tagged with a filtered ID reach the port, untagged
 * ones no longer do. With the offload on and no ID set, the rules carry
 * no VLAN and everything passes. Both as upstream's mlx4_flow_internal
 * (rule_vlan, mlx4_flow_internal_next_vlan).
 */
static int
mlx4r_flow_wanted(const struct mlx4r_port *port, struct mlx4r_flow_spec *w)
{
	const struct rte_eth_dev_data *data = port->eth_dev->data;
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_ether_addr addr[MLX4R_MAX_MAC + MLX4R_MAX_MC + 1];
	unsigned int i, j, nb_addr = 0, n = 0;
	uint16_t vlan = MLX4R_NO_VLAN;

	/* isolated mode: only the application's rules (mlx4_flow_sync) */
	if (port->isolated)
		return 0;
	for (i = 0; i < MLX4R_MAX_MAC + port->nb_mc + 1; i++) {
		const struct rte_ether_addr *mac =
			i < MLX4R_MAX_MAC ? &data->mac_addrs[i] :
			i < MLX4R_MAX_MAC + port->nb_mc ?
			&port->mc[i - MLX4R_MAX_MAC] : &bcast;

		if (rte_is_zero_ether_addr(mac))
			continue;
		for (j = 0; j < nb_addr; j++)
			if (rte_is_same_ether_addr(&addr[j], mac))
				break;
		if (j == nb_addr) /* the same address twice: one rule */
			addr[nb_addr++] = *mac;
	}
	if ((data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_VLAN_FILTER) &&
	    !data->promiscuous) {
		vlan = mlx4r_flow_next_vlan(data, 0);
		if (vlan > RTE_ETHER_MAX_VLAN_ID)
			vlan = MLX4R_NO_VLAN; /* none set: rules without */
	}
	do {
		if (n + nb_addr + 1 > MLX4R_MAX_FLOWS) {
			DRV_LOG(ERR, MLX4R_PORT_FMT ": %u addresses on the filtered VLANs need more than %u steering rules",
				MLX4R_PORT_ARGS(port), nb_addr,
				MLX4R_MAX_FLOWS);
			return -ENOMEM;
		}
		for (i = 0; i < nb_addr; i++)
			w[n++] = (struct mlx4r_flow_spec){
				.type = IBV_FLOW_ATTR_NORMAL,
				.mac = addr[i],
				.vlan = vlan,
			};
		if (vlan != MLX4R_NO_VLAN) {
			vlan = mlx4r_flow_next_vlan(data, vlan + 1);
			if (vlan > RTE_ETHER_MAX_VLAN_ID)
				vlan = MLX4R_NO_VLAN;
		}
	} while (vlan != MLX4R_NO_VLAN);
	if (data->promiscuous)
		w[n++] = (struct mlx4r_flow_spec){
			.type = IBV_FLOW_ATTR_ALL_DEFAULT,
			.vlan = MLX4R_NO_VLAN };
	else if (data->all_multicast)
		w[n++] = (struct mlx4r_flow_spec){
			.type = IBV_FLOW_ATTR_MC_DEFAULT,
			.vlan = MLX4R_NO_VLAN };
	return n;
}

/* Create every rule of @p w on @p qp; on failure none is left. */
static int
mlx4r_flow_create_all(struct mlx4r_port *port, struct mlx4r_hw_qp *qp,
		      const struct mlx4r_flow_spec *w, unsigned int n,
		      struct mlx4r_hw_flow **flows)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = mlx4r_flow_create(port, qp, &w[i], &flows[i]);
		if (ret < 0) {
			mlx4r_flow_destroy_all(flows, i);
			return ret;
		}
	}
	return 0;
}

/*
 * Bring the rules of a running port to what its filter asks for: the
 * rules it keeps stay, the new ones are created, and only then the ones it
 * drops go. On failure the rules created here go and the port keeps the
 * rules it had: it receives what it received before.
 */
/* Scratch of a rule change: up to MLX4R_MAX_FLOWS of each. */
struct mlx4r_flow_scratch {
	struct mlx4r_flow_spec want[MLX4R_MAX_FLOWS]; /* rules asked for */
	struct mlx4r_hw_flow *got[MLX4R_MAX_FLOWS];   /* rule of each */
	struct mlx4r_hw_flow *fresh[MLX4R_MAX_FLOWS]; /* created here */
	bool kept[MLX4R_MAX_FLOWS];                   /* old rule kept */
};

int
mlx4r_flow_sync(struct mlx4r_port *port)
{
	struct mlx4r_flow_scratch *sc;
	unsigned int n, i, j, nb_fresh = 0;
	int ret;

	if (port->rss_qp == NULL)
		return 0;
	sc = calloc(1, sizeof(*sc)); /* too large for a thread's stack */
	if (sc == NULL)
		return -ENOMEM;
	ret = mlx4r_flow_wanted(port, sc->want);
	if (ret < 0)
		goto out;
	n = ret;
	for (i = 0; i < n; i++) {
		for (j = 0; j < port->nb_flows; j++)
			if (!sc->kept[j] &&
			    mlx4r_flow_spec_eq(&port->flow_spec[j],
					       &sc->want[i]))
				break;
		if (j < port->nb_flows) {
			sc->kept[j] = true;
			sc->got[i] = port->flows[j];
			continue;
		}
		ret = mlx4r_flow_create(port, port->rss_qp, &sc->want[i],
					&sc->got[i]);
		if (ret < 0) {
			mlx4r_flow_destroy_all(sc->fresh, nb_fresh);
			goto out;
		}
		sc->fresh[nb_fresh++] = sc->got[i];
	}
	for (j = 0; j < port->nb_flows; j++)
		if (!sc->kept[j])
			mlx4r_hw_destroy_flow(port->flows[j]);
	memcpy(port->flows, sc->got, n * sizeof(sc->got[0]));
	memcpy(port->flow_spec, sc->want, n * sizeof(sc->want[0]));
	port->nb_flows = n;
	ret = 0;
out:
	free(sc);
	return ret;
}

/* The internal rules, the hash QP and the table go (flows first). */
void
mlx4r_rss_stop(struct mlx4r_port *port)
{
	mlx4r_flow_destroy_all(port->flows, port->nb_flows);
	port->nb_flows = 0;
	if (port->rss_qp != NULL) {
		mlx4r_dev_destroy_qp(port->dev, port->rss_qp);
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
	DRV_LOG(ERR, MLX4R_PORT_FMT ": cannot close the WQ number range of %u Rx queues: %s",
		MLX4R_PORT_ARGS(port), data->nb_rx_queues, strerror(-ret));
	return ret;
}

/*
 * Build the indirection table the RETA stands for (with RSS off, one
 * entry: queue 0) and the hash QP over it, ready to receive; nothing is
 * left on failure.
 */
static int
mlx4r_rss_build(struct mlx4r_port *port, struct mlx4r_hw_ind_table **ind,
		struct mlx4r_hw_qp **qp)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	bool rss = data->dev_conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS;
	uint16_t first = 0;
	uint32_t n = 1;
	int ret;

	*ind = NULL;
	*qp = NULL;
	if (rss) {
		ret = mlx4r_rss_reta_table(port, port->reta, &first, &n);
		if (ret < 0)
			return ret;
	}
	return mlx4r_rss_ctx_build(port, first, n, port->rss_key,
				   rss ? mlx4r_rss_hf_to_fields(port->rss_hf) :
				   0, ind, qp);
}

/*
 * An RSS context: the indirection table over Rx queues first..first+n-1
 * (n a power of two, first a multiple of n) and a hash QP over it with
 * @p key (MLX4R_RSS_KEY_LEN bytes) and verbs hash @p fields, ready to
 * receive; nothing is left on failure. Upstream's mlx4_rss_attach makes
 * the same pair for each of its contexts.
 */
int
mlx4r_rss_ctx_build(struct mlx4r_port *port, uint16_t first, uint32_t n,
		    const uint8_t *key, uint64_t fields,
		    struct mlx4r_hw_ind_table **ind, struct mlx4r_hw_qp **qp)
{
	struct mlx4r_hw_wq *wqs[MLX4R_RETA_SIZE];
	struct ibv_rx_hash_conf conf;
	struct ibv_qp_attr mod;
	uint32_t i;
	int ret;

	*ind = NULL;
	*qp = NULL;
	if (n == 0 || n > MLX4R_RETA_SIZE || !rte_is_power_of_2(n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		const struct mlx4r_rxq *rxq = mlx4r_port_rxq(port, first + i);

		if (rxq == NULL || rxq->wq == NULL)
			return -EINVAL;
		wqs[i] = rxq->wq;
		if (wqs[i]->wq_num != wqs[0]->wq_num + i) {
			DRV_LOG(ERR, MLX4R_PORT_FMT ": the WQ numbers of Rx queues %u..%u are not consecutive (0x%x then 0x%x)",
				MLX4R_PORT_ARGS(port), first,
				first + n - 1, wqs[0]->wq_num, wqs[i]->wq_num);
			return -ERANGE;
		}
	}
	ret = mlx4r_hw_create_ind_table(port->dev->ctx, rte_log2_u32(n), wqs,
					ind);
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT ": cannot create the indirection table: %s",
			MLX4R_PORT_ARGS(port), strerror(-ret));
		*ind = NULL;
		return ret;
	}
	memset(&conf, 0, sizeof(conf));
	conf.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	conf.rx_hash_key_len = MLX4R_RSS_KEY_LEN;
	conf.rx_hash_key = (uint8_t *)(uintptr_t)key;
	conf.rx_hash_fields_mask = fields;
	ret = mlx4r_hw_create_rss_qp(port->dev->pd, *ind, &conf, qp);
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT ": cannot create the hash QP: %s",
			MLX4R_PORT_ARGS(port), strerror(-ret));
		*qp = NULL;
		goto error;
	}
	memset(&mod, 0, sizeof(mod));
	mod.qp_state = IBV_QPS_INIT;
	mod.port_num = port->port_num;
	ret = mlx4r_hw_modify_qp(*qp, &mod, IBV_QP_STATE | IBV_QP_PORT);
	if (ret == 0) {
		mod.qp_state = IBV_QPS_RTR;
		ret = mlx4r_hw_modify_qp(*qp, &mod, IBV_QP_STATE);
	}
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT ": hash QP to ready: %s",
			MLX4R_PORT_ARGS(port), strerror(-ret));
		goto error;
	}
	return 0;
error:
	if (*qp != NULL)
		mlx4r_dev_destroy_qp(port->dev, *qp);
	mlx4r_hw_destroy_ind_table(*ind);
	*qp = NULL;
	*ind = NULL;
	return ret;
}

/* What a port receives through. */
struct mlx4r_rss_objs {
	struct mlx4r_hw_ind_table *ind;               /* table */
	struct mlx4r_hw_qp *qp;                       /* hash QP over it */
	struct mlx4r_hw_flow *flows[MLX4R_MAX_FLOWS]; /* rules to the QP */
	struct mlx4r_flow_spec spec[MLX4R_MAX_FLOWS]; /* what they match */
	unsigned int nb_flows;                        /* rules */
};

/*
 * Build the table, the hash QP and the rules on it into @p nw; nothing is
 * left on failure.
 */
static int
mlx4r_rss_build_all(struct mlx4r_port *port, struct mlx4r_rss_objs *nw)
{
	int ret;

	ret = mlx4r_rss_build(port, &nw->ind, &nw->qp);
	if (ret < 0)
		return ret;
	ret = mlx4r_flow_wanted(port, nw->spec);
	if (ret >= 0) {
		nw->nb_flows = ret;
		ret = mlx4r_flow_create_all(port, nw->qp, nw->spec,
					    nw->nb_flows, nw->flows);
	}
	if (ret < 0) {
		mlx4r_dev_destroy_qp(port->dev, nw->qp);
		mlx4r_hw_destroy_ind_table(nw->ind);
	}
	return ret;
}

static void
mlx4r_rss_install(struct mlx4r_port *port, const struct mlx4r_rss_objs *nw)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	uint8_t hashed = data->dev_conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS &&
			 mlx4r_rss_hf_to_fields(port->rss_hf) != 0;
	uint16_t i;

	/*
	 * Whether the CQE's hash means anything: a plain store the bursts
	 * read once per burst; one burst with the previous value is what a
	 * frame hashed by the previous QP looks like anyway.
	 */
	for (i = 0; i < data->nb_rx_queues; i++) {
		struct mlx4r_rxq *rxq = mlx4r_port_rxq(port, i);

		if (rxq != NULL)
			rxq->rss_hash = hashed;
	}
	port->ind = nw->ind;
	port->rss_qp = nw->qp;
	memcpy(port->flows, nw->flows, nw->nb_flows * sizeof(nw->flows[0]));
	memcpy(port->flow_spec, nw->spec, nw->nb_flows * sizeof(nw->spec[0]));
	port->nb_flows = nw->nb_flows;
}

int
mlx4r_rss_start(struct mlx4r_port *port)
{
	struct mlx4r_rss_objs *nw;
	int ret;

	nw = calloc(1, sizeof(*nw)); /* too large for a thread's stack */
	if (nw == NULL)
		return -ENOMEM;
	ret = mlx4r_rss_build_all(port, nw);
	if (ret == 0)
		mlx4r_rss_install(port, nw);
	free(nw);
	return ret;
}

/*
 * A running port's RETA, key or hash fields changed: build the new table,
 * QP and rules beside the old ones, then switch and destroy the old. A
 * frame meanwhile goes through one set or the other. On failure the port
 * keeps its old objects and receives as before.
 */
int
mlx4r_rss_update(struct mlx4r_port *port)
{
	struct mlx4r_rss_objs *nw;
	int ret;

	nw = calloc(1, sizeof(*nw)); /* too large for a thread's stack */
	if (nw == NULL)
		return -ENOMEM;
	ret = mlx4r_rss_build_all(port, nw);
	if (ret == 0) {
		/* the application's rules have contexts of their own */
		mlx4r_rss_stop(port);
		mlx4r_rss_install(port, nw);
	}
	free(nw);
	return ret;
}
