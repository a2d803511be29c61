/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * rte_flow: the application's steering rules, with upstream net_mlx4's
 * items, actions, limits and answers (DPDK 22.11 drivers/net/mlx4/
 * mlx4_flow.c, read for the rules, not copied):
 *
 * - attributes: ingress only, group 0, priority 0..0xfff
 *   (MLX4_FLOW_PRIORITY_LAST; 0xfff is the internal rules' and taken only
 *   in isolated mode: EACCES otherwise, mlx4_flow_toggle);
 * - pattern: ETH, then VLAN and/or IPV4, then UDP or TCP
 *   (mlx4_flow_proc_item_list); VOID anywhere; masks only on what the
 *   device matches (ETH destination, VLAN ID, IPv4 addresses, L4 ports)
 *   and whole fields only, but the all-multicast ETH mask
 *   (mlx4_flow_merge_*); UDP destination port only at priority 0
 *   (mlx4_flow_merge_udp: the firmware ignores the priority of such rules);
 * - actions: one fate of QUEUE, RSS (2^k consecutive queues from a
 *   multiple of 2^k, the 40-byte key, Toeplitz, level 0) or DROP; none
 *   means DROP (mlx4_flow_prepare);
 * - errors: ENOTSUP with the type of the attribute, item or action that
 *   was refused, EINVAL for a mask or last without spec
 *   (mlx4_flow_item_check), the device's errno with type HANDLE when it
 *   refuses the rule (mlx4_flow_toggle).
 *
 * One difference, deliberate: an ETH item that matches every destination
 * (no spec, or a zero destination mask) followed by L3/L4 items. Upstream validates it and then refuses it at create ("mlx4 does
 * not support additional matching criteria combined with indiscriminate
 * matching on Ethernet headers", the second pass of mlx4_flow_prepare).
 * mlx4r makes it a rule on the port's own MAC address, as mlx4_en does
 * for an ethtool L3/L4 rule without a MAC (Linux en_ethtool.c
 * mlx4_en_ethtool_add_mac_rule_by_ipv4): "eth / ipv4 / udp dst is 4789"
 * then steers what the port receives on its address.
 *
 * Rules that steer to the same queues with the same hash key and fields
 * share one RSS context (indirection table and hash QP,
 * mlx4r_rss_ctx_build()), counted by the rules on it (rss_get()), as
 * upstream's mlx4_rss_get shares one per distinct queue set, key and
 * fields (mlx4_rxq.c, refcnt): a hash QP and a table per rule would spend
 * a QP number of the device's range and an indirection table on each;
 * DROP rules share one drop QP (a raw
 * QP without receive queue: frames steered to it are discarded, upstream's
 * mlx4_drop_get). A rule whose queues no longer exist (fewer Rx queues
 * after a reconfigure) drops, as upstream's mlx4_flow_toggle does.
 *
 * The rules live in the port (rte_flows, creation order) and are on the
 * device while the port runs: mlx4r_rss_start() puts them on after the
 * internal rules (mlx4r_flow.c), mlx4r_rss_stop() takes them off. A
 * stop/start and a reset (proactive: the control thread's stop and start
 * of the port; passive: the application's start) put them back: the
 * handles the application holds stay valid (RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP).
 *
 * Locking: every op runs under the control lock (the reset machine's:
 * mlx4r_gate.c's rte_flow_ops take it), so it never overlaps a phase of a
 * reset nor another op.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_flow.h>
#include <rte_flow_driver.h>

#include <ethdev_driver.h>

#include "mlx4r.h"

/*
 * Upstream's messages about the last priority print it through
 * MLX4_STR_EXPAND(MLX4_FLOW_PRIORITY_LAST), UINT32_C(0xfff): "0xfffU".
 * mlx4r prints the same (what testpmd shows is compared side by side).
 */
#define MLX4R_FLOW_PRIO_MSG_MAX "maximum priority level is 0xfffU"
#define MLX4R_FLOW_PRIO_MSG_RESERVED \
	"priority level 0xfffU is reserved when not in isolated mode"

/* Room for the attribute and the largest spec list (ETH, IPV4, TCP/UDP). */
#define MLX4R_FLOW_ATTR_BUF 256

struct rte_flow {
	TAILQ_ENTRY(rte_flow) next;
	uint32_t priority;            /* attr->priority */
	uint8_t drop;                 /* fate DROP */
	uint8_t own_mac;              /* ETH spec on the port's MAC */
	uint16_t queue_first;         /* QUEUE/RSS: first queue */
	uint32_t queue_num;           /* and how many (2^k) */
	uint64_t fields;              /* verbs hash fields (RSS) */
	uint8_t key[MLX4R_RSS_KEY_LEN]; /* hash key (RSS) */
	struct ibv_flow_spec_eth *eth; /* the ETH spec in buf, or NULL */
	/*
	 * The verbs attribute and its specs, 4 bytes into an 8-aligned
	 * buffer as in mlx4r_flow.c (mlx4r_flow_create()).
	 */
	uint64_t buf[MLX4R_FLOW_ATTR_BUF / 8];
	/* on the device (the port runs) */
	struct mlx4r_hw_flow *hw;     /* the rule, NULL when off */
	struct mlx4r_flow_rss *rss;   /* its RSS context, or NULL */
	bool on_drop;                 /* rule on the drop QP */
};

/*
 * An RSS context on the device, shared by the rules on it that steer to
 * the same queues with the same key and hash fields (upstream's struct
 * mlx4_rss). Made by the first rule that goes on the device, destroyed
 * with the last that leaves it: a stop, a reset and a start take every
 * rule off and put them back, so the rules share again after them.
 */
struct mlx4r_flow_rss {
	LIST_ENTRY(mlx4r_flow_rss) next;
	uint32_t refs;                /* rules on it */
	uint16_t first;               /* queues first..first+n-1 */
	uint32_t n;
	uint64_t fields;              /* verbs hash fields */
	uint8_t key[MLX4R_RSS_KEY_LEN];
	struct mlx4r_hw_ind_table *ind;
	struct mlx4r_hw_qp *qp;       /* hash QP over ind */
};

static struct ibv_flow_attr *
flow_attr(struct rte_flow *flow)
{
	return (struct ibv_flow_attr *)((uint8_t *)flow->buf + 4);
}

/*
 * Parsing. One pass over attributes, pattern and actions fills @p f
 * (a zeroed rule); nothing is allocated on the device.
 */

/* What the pattern said so far. */
struct flow_parse {
	struct rte_flow *f;
	uint8_t *spec;           /* where the next spec goes */
	bool eth_any;            /* ETH matches every destination */
	bool allmulti;           /* ETH matches all multicast */
	bool vlan;               /* a VLAN item */
	bool l3;                 /* an IPV4 item (and maybe L4) */
	enum rte_flow_item_type last; /* previous item (END: none) */
};

static const struct rte_flow_item_eth eth_support = {
	.hdr.dst_addr.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};
static const struct rte_flow_item_vlan vlan_support = {
	.hdr.vlan_tci = RTE_BE16(0x0fff),
};
static const struct rte_flow_item_ipv4 ipv4_support = {
	.hdr = {
		.src_addr = RTE_BE32(0xffffffff),
		.dst_addr = RTE_BE32(0xffffffff),
	},
};
static const struct rte_flow_item_udp udp_support = {
	.hdr = { .src_port = RTE_BE16(0xffff), .dst_port = RTE_BE16(0xffff) },
};
static const struct rte_flow_item_tcp tcp_support = {
	.hdr = { .src_port = RTE_BE16(0xffff), .dst_port = RTE_BE16(0xffff) },
};

static int
item_err(struct rte_flow_error *error, int err,
	 const struct rte_flow_item *item, const char *msg)
{
	return rte_flow_error_set(error, err, RTE_FLOW_ERROR_TYPE_ITEM, item,
				  msg);
}

/*
 * The checks of upstream's mlx4_flow_item_check: mask and last need a
 * spec; the mask may only cover what @p support covers; last may not
 * widen the match. Returns the mask to use (item's or @p dflt), NULL
 * without a spec, or ERR (with rte_errno set) through @p ret.
 */
static const void *
item_mask(const struct rte_flow_item *item, const void *support,
	  const void *dflt, size_t size, struct rte_flow_error *error,
	  int *ret)
{
	const uint8_t *mask, *sup = support;
	const uint8_t *spec = item->spec, *last = item->last;
	size_t i;

	*ret = 0;
	if (item->spec == NULL) {
		if (item->mask != NULL || item->last != NULL)
			*ret = rte_flow_error_set(error, EINVAL,
				RTE_FLOW_ERROR_TYPE_ITEM, item,
				"\"mask\" or \"last\" field provided without a corresponding \"spec\"");
		return NULL;
	}
	mask = item->mask != NULL ? item->mask : dflt;
	for (i = 0; i < size; i++) {
		if ((mask[i] | sup[i]) != sup[i]) {
			*ret = item_err(error, ENOTSUP, item,
					"unsupported field found in \"mask\"");
			return NULL;
		}
		if (last != NULL && (spec[i] & mask[i]) != (last[i] & mask[i])) {
			*ret = item_err(error, ENOTSUP, item,
					"range between \"spec\" and \"last\" is larger than \"mask\"");
			return NULL;
		}
	}
	return mask;
}

/* A field of @p n bytes that is neither empty nor full. */
static bool
partial(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i, ones = 0, zeros = 0;

	for (i = 0; i < n; i++) {
		ones += b[i] == 0xff;
		zeros += b[i] == 0;
	}
	return ones != n && zeros != n;
}

static void *
spec_add(struct flow_parse *p, size_t size)
{
	struct ibv_flow_attr *attr = flow_attr(p->f);
	void *s = p->spec;

	memset(s, 0, size);
	attr->num_of_specs++;
	attr->size += size;
	p->spec += size;
	return s;
}

static int
parse_eth(struct flow_parse *p, const struct rte_flow_item *item,
	  struct rte_flow_error *error)
{
	const struct rte_flow_item_eth *spec = item->spec;
	const struct rte_flow_item_eth *mask;
	struct ibv_flow_spec_eth *eth;
	unsigned int i, sum = 0;
	int ret;

	mask = item_mask(item, &eth_support, &rte_flow_item_eth_mask,
			 sizeof(eth_support), error, &ret);
	if (ret != 0)
		return ret;
	eth = spec_add(p, sizeof(*eth));
	eth->type = IBV_FLOW_SPEC_ETH;
	eth->size = sizeof(*eth);
	p->f->eth = eth;
	if (mask != NULL)
		for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
			sum += mask->hdr.dst_addr.addr_bytes[i];
	if (sum == 0) {
		p->eth_any = true;
		return 0;
	}
	if (sum == 1 && mask->hdr.dst_addr.addr_bytes[0] == 1) {
		if (!(spec->hdr.dst_addr.addr_bytes[0] & 1))
			return item_err(error, ENOTSUP, item,
					"mlx4 does not support the explicit exclusion of all multicast traffic");
		p->allmulti = true;
		return 0;
	}
	if (sum != 0xff * RTE_ETHER_ADDR_LEN)
		return item_err(error, ENOTSUP, item,
				"mlx4 does not support matching partial Ethernet fields");
	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		eth->val.dst_mac[i] = spec->hdr.dst_addr.addr_bytes[i];
		eth->mask.dst_mac[i] = 0xff;
	}
	return 0;
}

static int
parse_vlan(struct flow_parse *p, const struct rte_flow_item *item,
	   struct rte_flow_error *error)
{
	const struct rte_flow_item_vlan *spec = item->spec;
	const struct rte_flow_item_vlan *mask;
	int ret;

	mask = item_mask(item, &vlan_support, &rte_flow_item_vlan_mask,
			 sizeof(vlan_support), error, &ret);
	if (ret != 0)
		return ret;
	if (mask == NULL || mask->hdr.vlan_tci == 0)
		return item_err(error, ENOTSUP, item,
				"mlx4 cannot match all VLAN traffic while excluding non-VLAN traffic, TCI VID must be specified");
	if (mask->hdr.vlan_tci != RTE_BE16(0x0fff))
		return item_err(error, ENOTSUP, item,
				"mlx4 does not support partial TCI VID matching");
	/* the VLAN of the ETH spec (mlx4_ib: vlan_tag of IB_FLOW_SPEC_ETH) */
	p->f->eth->val.vlan_tag = spec->hdr.vlan_tci & RTE_BE16(0x0fff);
	p->f->eth->mask.vlan_tag = RTE_BE16(0x0fff);
	p->vlan = true;
	return 0;
}

static int
parse_ipv4(struct flow_parse *p, const struct rte_flow_item *item,
	   struct rte_flow_error *error)
{
	const struct rte_flow_item_ipv4 *spec = item->spec;
	const struct rte_flow_item_ipv4 *mask;
	struct ibv_flow_spec_ipv4 *ip;
	int ret;

	mask = item_mask(item, &ipv4_support, &rte_flow_item_ipv4_mask,
			 sizeof(ipv4_support), error, &ret);
	if (ret != 0)
		return ret;
	if (mask != NULL &&
	    (partial(&mask->hdr.src_addr, 4) || partial(&mask->hdr.dst_addr, 4)))
		return item_err(error, ENOTSUP, item,
				"mlx4 does not support matching partial IPv4 fields");
	ip = spec_add(p, sizeof(*ip));
	ip->type = IBV_FLOW_SPEC_IPV4;
	ip->size = sizeof(*ip);
	p->l3 = true;
	if (mask == NULL)
		return 0;
	ip->mask.src_ip = mask->hdr.src_addr;
	ip->mask.dst_ip = mask->hdr.dst_addr;
	ip->val.src_ip = spec->hdr.src_addr & mask->hdr.src_addr;
	ip->val.dst_ip = spec->hdr.dst_addr & mask->hdr.dst_addr;
	return 0;
}

static int
parse_l4(struct flow_parse *p, const struct rte_flow_item *item,
	 struct rte_flow_error *error)
{
	bool udp = item->type == RTE_FLOW_ITEM_TYPE_UDP;
	/* the UDP and TCP items start with the same two ports */
	const struct rte_udp_hdr *spec = item->spec;
	const struct rte_udp_hdr *mask;
	struct ibv_flow_spec_tcp_udp *l4;
	int ret;

	RTE_BUILD_BUG_ON(offsetof(struct rte_flow_item_tcp, hdr.dst_port) !=
			 offsetof(struct rte_flow_item_udp, hdr.dst_port));
	if (udp)
		mask = item_mask(item, &udp_support, &rte_flow_item_udp_mask,
				 sizeof(udp_support), error, &ret);
	else
		mask = item_mask(item, &tcp_support, &rte_flow_item_tcp_mask,
				 sizeof(tcp_support), error, &ret);
	if (ret != 0)
		return ret;
	if (mask != NULL &&
	    (partial(&mask->src_port, 2) || partial(&mask->dst_port, 2)))
		return item_err(error, ENOTSUP, item, udp ?
				"mlx4 does not support matching partial UDP fields" :
				"mlx4 does not support matching partial TCP fields");
	if (udp && mask != NULL && mask->dst_port != 0 && p->f->priority != 0)
		return item_err(error, ENOTSUP, item,
				"combining UDP destination port matching with a nonzero priority level is not supported");
	l4 = spec_add(p, sizeof(*l4));
	l4->type = udp ? IBV_FLOW_SPEC_UDP : IBV_FLOW_SPEC_TCP;
	l4->size = sizeof(*l4);
	if (mask == NULL)
		return 0;
	l4->mask.src_port = mask->src_port;
	l4->mask.dst_port = mask->dst_port;
	l4->val.src_port = spec->src_port & mask->src_port;
	l4->val.dst_port = spec->dst_port & mask->dst_port;
	return 0;
}

/* Which item may follow @p prev (upstream's next_item lists). */
static bool
item_follows(enum rte_flow_item_type prev, enum rte_flow_item_type t)
{
	switch (prev) {
	case RTE_FLOW_ITEM_TYPE_END:
		return t == RTE_FLOW_ITEM_TYPE_ETH;
	case RTE_FLOW_ITEM_TYPE_ETH:
		return t == RTE_FLOW_ITEM_TYPE_VLAN ||
		       t == RTE_FLOW_ITEM_TYPE_IPV4;
	case RTE_FLOW_ITEM_TYPE_VLAN:
		return t == RTE_FLOW_ITEM_TYPE_IPV4;
	case RTE_FLOW_ITEM_TYPE_IPV4:
		return t == RTE_FLOW_ITEM_TYPE_UDP ||
		       t == RTE_FLOW_ITEM_TYPE_TCP;
	default:
		return false;
	}
}

static int
parse_pattern(struct flow_parse *p, const struct rte_flow_item pattern[],
	      struct rte_flow_error *error)
{
	const struct rte_flow_item *item;
	int ret;

	if (pattern == NULL)
		return rte_flow_error_set(error, EINVAL,
					  RTE_FLOW_ERROR_TYPE_ITEM_NUM, NULL,
					  "NULL pattern");
	for (item = pattern; item->type != RTE_FLOW_ITEM_TYPE_END; item++) {
		if (item->type == RTE_FLOW_ITEM_TYPE_VOID)
			continue;
		/*
		 * Nothing after the all-multicast ETH item, nothing but VLAN
		 * after an ETH item on any destination that a VLAN did not
		 * follow (upstream: promisc, allmulti); IPV4 there: the
		 * port's own MAC (the difference in the file comment).
		 */
		if (p->allmulti)
			return item_err(error, ENOTSUP, item,
					"mlx4 does not support additional matching criteria combined with indiscriminate matching on Ethernet headers");
		if (!item_follows(p->last, item->type))
			return item_err(error, ENOTSUP, item,
					"item not supported");
		switch (item->type) {
		case RTE_FLOW_ITEM_TYPE_ETH:
			ret = parse_eth(p, item, error);
			break;
		case RTE_FLOW_ITEM_TYPE_VLAN:
			ret = parse_vlan(p, item, error);
			break;
		case RTE_FLOW_ITEM_TYPE_IPV4:
			ret = parse_ipv4(p, item, error);
			break;
		default:
			ret = parse_l4(p, item, error);
			break;
		}
		if (ret != 0)
			return ret;
		p->last = item->type;
	}
	return 0;
}

static int
action_err(struct rte_flow_error *error, const struct rte_flow_action *a,
	   const char *msg)
{
	return rte_flow_error_set(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
				  a, msg);
}

static int
parse_rss(struct mlx4r_port *port, struct rte_flow *f,
	  const struct rte_flow_action *a, struct rte_flow_error *error)
{
	const struct rte_flow_action_rss *rss = a->conf;
	uint16_t nb_rxq = port->eth_dev->data->nb_rx_queues;
	uint32_t i;

	if (rss == NULL)
		return action_err(error, a, "RSS action without configuration");
	for (i = 0; i < rss->queue_num; i++)
		if (rss->queue[i] >= nb_rxq)
			return action_err(error, a,
					  "queue index target beyond number of configured Rx queues");
	if (!rte_is_power_of_2(rss->queue_num))
		return action_err(error, a,
				  "for RSS, mlx4 requires the number of queues to be a power of two");
	if (rss->key_len != 0 && rss->key_len != MLX4R_RSS_KEY_LEN)
		return action_err(error, a,
				  "mlx4 supports exactly one RSS hash key length: 40");
	for (i = 1; i < rss->queue_num; i++)
		if (rss->queue[i] != rss->queue[i - 1] + 1)
			return action_err(error, a,
					  "mlx4 requires RSS contexts to use consecutive queue indices only");
	if (rss->queue[0] % rss->queue_num != 0)
		return action_err(error, a,
				  "mlx4 requires the first queue of a RSS context to be aligned on a multiple of the context size");
	if (rss->func != RTE_ETH_HASH_FUNCTION_DEFAULT &&
	    rss->func != RTE_ETH_HASH_FUNCTION_TOEPLITZ)
		return action_err(error, a,
				  "the only supported RSS hash function is Toeplitz");
	if (rss->level != 0)
		return action_err(error, a,
				  "a nonzero RSS encapsulation level is not supported");
	/* 0: every type the device hashes (upstream's hw_rss_sup) */
	if (rss->types & ~(uint64_t)MLX4R_RSS_OFFLOADS)
		return action_err(error, a,
				  "unsupported RSS hash type requested");
	f->fields = mlx4r_rss_hf_to_fields(rss->types != 0 ? rss->types :
					   MLX4R_RSS_OFFLOADS);
	memcpy(f->key, rss->key_len != 0 && rss->key != NULL ? rss->key :
	       port->rss_key, MLX4R_RSS_KEY_LEN);
	f->queue_first = rss->queue[0];
	f->queue_num = rss->queue_num;
	return 0;
}

static int
parse_actions(struct mlx4r_port *port, struct rte_flow *f,
	      const struct rte_flow_action actions[],
	      struct rte_flow_error *error)
{
	const struct rte_flow_action *a;
	const struct rte_flow_action_queue *queue;
	bool fate = false;
	int ret;

	if (actions == NULL)
		return rte_flow_error_set(error, EINVAL,
					  RTE_FLOW_ERROR_TYPE_ACTION_NUM, NULL,
					  "NULL action list");
	for (a = actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
		if (a->type == RTE_FLOW_ACTION_TYPE_VOID)
			continue;
		if (fate)
			return action_err(error, a,
					  "cannot combine several fate-deciding actions, choose between DROP, QUEUE or RSS");
		fate = true;
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_DROP:
			f->drop = 1;
			break;
		case RTE_FLOW_ACTION_TYPE_QUEUE:
			queue = a->conf;
			if (queue == NULL ||
			    queue->index >= port->eth_dev->data->nb_rx_queues)
				return action_err(error, a,
						  "queue target index beyond number of configured Rx queues");
			/* a context of one queue, without hashing */
			f->queue_first = queue->index;
			f->queue_num = 1;
			f->fields = 0;
			memcpy(f->key, port->rss_key, MLX4R_RSS_KEY_LEN);
			break;
		case RTE_FLOW_ACTION_TYPE_RSS:
			ret = parse_rss(port, f, a, error);
			if (ret != 0)
				return ret;
			break;
		default:
			return action_err(error, a, "action not supported");
		}
	}
	if (!fate)
		f->drop = 1; /* when fate is unknown, drop (upstream) */
	return 0;
}

static int
flow_parse(struct mlx4r_port *port, const struct rte_flow_attr *attr,
	   const struct rte_flow_item pattern[],
	   const struct rte_flow_action actions[], struct rte_flow *f,
	   struct rte_flow_error *error)
{
	struct ibv_flow_attr *ia = flow_attr(f);
	struct flow_parse p = {
		.f = f,
		.spec = (uint8_t *)(ia + 1),
		.last = RTE_FLOW_ITEM_TYPE_END,
	};
	int ret;

	RTE_BUILD_BUG_ON((4 + sizeof(struct ibv_flow_attr)) % 8 != 0);
	RTE_BUILD_BUG_ON(4 + sizeof(struct ibv_flow_attr) +
			 sizeof(struct ibv_flow_spec_eth) +
			 sizeof(struct ibv_flow_spec_ipv4) +
			 sizeof(struct ibv_flow_spec_tcp_udp) >
			 MLX4R_FLOW_ATTR_BUF);
	if (attr == NULL)
		return rte_flow_error_set(error, EINVAL,
					  RTE_FLOW_ERROR_TYPE_ATTR, NULL,
					  "NULL attribute");
	if (attr->group)
		return rte_flow_error_set(error, ENOTSUP,
					  RTE_FLOW_ERROR_TYPE_ATTR_GROUP, NULL,
					  "groups are not supported");
	if (attr->priority > MLX4R_FLOW_PRIO_LAST)
		return rte_flow_error_set(error, ENOTSUP,
					  RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY,
					  NULL, MLX4R_FLOW_PRIO_MSG_MAX);
	if (attr->egress)
		return rte_flow_error_set(error, ENOTSUP,
					  RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, NULL,
					  "egress is not supported");
	if (attr->transfer)
		return rte_flow_error_set(error, ENOTSUP,
					  RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER,
					  NULL, "transfer is not supported");
	if (!attr->ingress)
		return rte_flow_error_set(error, ENOTSUP,
					  RTE_FLOW_ERROR_TYPE_ATTR_INGRESS,
					  NULL, "only ingress is supported");
	f->priority = attr->priority;
	ia->type = IBV_FLOW_ATTR_NORMAL;
	ia->size = sizeof(*ia);
	ia->priority = attr->priority;
	ia->port = port->port_num;
	ret = parse_pattern(&p, pattern, error);
	if (ret != 0)
		return ret;
	/*
	 * What an ETH item on every destination or all multicast becomes
	 * (upstream's mlx4_flow_merge_eth and _vlan): alone, the device's
	 * default rules ALL_DEFAULT and MC_DEFAULT, without specs; with a
	 * VLAN only, a rule on that VLAN for any destination; with L3/L4,
	 * the port's own MAC (file comment).
	 */
	if (p.allmulti || (p.eth_any && !p.vlan && !p.l3)) {
		ia->type = p.allmulti ? IBV_FLOW_ATTR_MC_DEFAULT :
			   IBV_FLOW_ATTR_ALL_DEFAULT;
		ia->num_of_specs = 0;
		ia->size = sizeof(*ia);
		f->eth = NULL;
	} else if (p.eth_any && p.l3) {
		f->own_mac = 1;
	}
	return parse_actions(port, f, actions, error);
}

/*
 * The device side.
 */

static int
drop_get(struct mlx4r_port *port, struct mlx4r_hw_qp **qp)
{
	struct mlx4r_hw_qp_attr qattr;
	int ret;

	if (port->drop_refs == 0) {
		/*
		 * A raw QP left in RESET with no receive queue: the device
		 * discards what a rule steers to it (upstream's
		 * mlx4_drop_get, the emulated device's emu_rx_deliver).
		 */
		ret = mlx4r_hw_create_cq(port->dev->ctx, 1, &port->drop_cq);
		if (ret < 0)
			return ret;
		memset(&qattr, 0, sizeof(qattr));
		qattr.send_cq = port->drop_cq;
		qattr.cap.max_send_wr = 1;
		qattr.cap.max_send_sge = 1;
		ret = mlx4r_hw_create_qp(port->dev->pd, &qattr, &port->drop_qp);
		if (ret < 0) {
			mlx4r_hw_destroy_cq(port->drop_cq);
			port->drop_cq = NULL;
			return ret;
		}
	}
	port->drop_refs++;
	*qp = port->drop_qp;
	return 0;
}

static void
drop_put(struct mlx4r_port *port)
{
	if (--port->drop_refs != 0)
		return;
	mlx4r_dev_destroy_qp(port->dev, port->drop_qp);
	mlx4r_hw_destroy_cq(port->drop_cq);
	port->drop_qp = NULL;
	port->drop_cq = NULL;
}

/*
 * The RSS context of rule @p f: the one of the same queues, key and
 * fields when the port has it, else a new one (upstream's mlx4_rss_get
 * and mlx4_rss_attach in one: mlx4r makes a context's device objects
 * with it).
 */
static int
rss_get(struct mlx4r_port *port, const struct rte_flow *f,
	struct mlx4r_flow_rss **out)
{
	struct mlx4r_flow_rss *r;
	int ret;

	LIST_FOREACH(r, &port->flow_rss, next) {
		if (r->first == f->queue_first && r->n == f->queue_num &&
		    r->fields == f->fields &&
		    memcmp(r->key, f->key, sizeof(r->key)) == 0) {
			r->refs++;
			*out = r;
			return 0;
		}
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	ret = mlx4r_rss_ctx_build(port, f->queue_first, f->queue_num, f->key,
				  f->fields, &r->ind, &r->qp);
	if (ret < 0) {
		free(r);
		return ret;
	}
	r->refs = 1;
	r->first = f->queue_first;
	r->n = f->queue_num;
	r->fields = f->fields;
	memcpy(r->key, f->key, sizeof(r->key));
	LIST_INSERT_HEAD(&port->flow_rss, r, next);
	*out = r;
	return 0;
}

/* A rule leaves @p r; the last one destroys it (its rule is gone). */
static void
rss_put(struct mlx4r_port *port, struct mlx4r_flow_rss *r)
{
	if (--r->refs != 0)
		return;
	LIST_REMOVE(r, next);
	mlx4r_dev_destroy_qp(port->dev, r->qp);
	mlx4r_hw_destroy_ind_table(r->ind);
	free(r);
}

static void
flow_off(struct mlx4r_port *port, struct rte_flow *f)
{
	if (f->hw != NULL) {
		mlx4r_hw_destroy_flow(f->hw);
		f->hw = NULL;
	}
	if (f->rss != NULL) {
		rss_put(port, f->rss);
		f->rss = NULL;
	}
	if (f->on_drop) {
		f->on_drop = false;
		drop_put(port);
	}
}

/* Put @p f on the device; nothing is left on failure. */
static int
flow_on(struct mlx4r_port *port, struct rte_flow *f,
	struct rte_flow_error *error)
{
	struct rte_eth_dev_data *data = port->eth_dev->data;
	struct mlx4r_hw_qp *qp = NULL;
	uint32_t i;
	bool missing = false;
	int ret;

	if (f->hw != NULL)
		return 0;
	if (!f->drop) {
		/* a target queue gone (reconfigured): drop (upstream) */
		for (i = 0; i < f->queue_num; i++) {
			struct mlx4r_rxq *rxq =
				mlx4r_port_rxq(port, f->queue_first + i);

			if (f->queue_first + i >= data->nb_rx_queues ||
			    rxq == NULL || rxq->wq == NULL)
				missing = true;
		}
	}
	if (f->drop || missing) {
		ret = drop_get(port, &qp);
		if (ret < 0)
			goto error;
		f->on_drop = true;
	} else {
		ret = rss_get(port, f, &f->rss);
		if (ret < 0)
			goto error;
		qp = f->rss->qp;
	}
	if (f->own_mac) {
		memcpy(f->eth->val.dst_mac, data->mac_addrs[0].addr_bytes,
		       RTE_ETHER_ADDR_LEN);
		memset(f->eth->mask.dst_mac, 0xff, RTE_ETHER_ADDR_LEN);
	}
	ret = mlx4r_hw_create_flow(qp, flow_attr(f), &f->hw);
	if (ret == 0)
		return 0;
	f->hw = NULL;
error:
	flow_off(port, f);
	DRV_LOG(ERR, MLX4R_PORT_FMT ": the device refused a flow rule: %s",
		MLX4R_PORT_ARGS(port), strerror(-ret));
	return rte_flow_error_set(error, -ret, RTE_FLOW_ERROR_TYPE_HANDLE, f,
				  "flow rule rejected by device");
}

static bool
port_runs(const struct mlx4r_port *port)
{
	return port->started && port->rss_qp != NULL;
}

int
mlx4r_flow_api_start(struct mlx4r_port *port)
{
	struct rte_flow *f;
	int ret;

	TAILQ_FOREACH(f, &port->rte_flows, next) {
		ret = flow_on(port, f, NULL);
		if (ret < 0) {
			mlx4r_flow_api_stop(port);
			return ret;
		}
	}
	return 0;
}

void
mlx4r_flow_api_stop(struct mlx4r_port *port)
{
	struct rte_flow *f;

	TAILQ_FOREACH(f, &port->rte_flows, next)
		flow_off(port, f);
}

bool
mlx4r_flow_api_has_qp(const struct mlx4r_port *port, const void *qp)
{
	const struct mlx4r_flow_rss *r;

	if (qp == NULL)
		return false;
	if (qp == (const void *)port->drop_qp)
		return true;
	LIST_FOREACH(r, &port->flow_rss, next)
		if (qp == (const void *)r->qp)
			return true;
	return false;
}

void
mlx4r_flow_api_clean(struct mlx4r_port *port)
{
	struct rte_flow *f;

	while ((f = TAILQ_FIRST(&port->rte_flows)) != NULL) {
		flow_off(port, f);
		TAILQ_REMOVE(&port->rte_flows, f, next);
		free(f);
	}
}

/*
 * The ops, called by mlx4r_gate.c's rte_flow_ops under the control lock
 * (creating and isolating only while the device is live, or on a port
 * the application reset in passive mode: software then, applied at its
 * start).
 */

int
mlx4r_flow_api_validate(struct mlx4r_port *port,
			const struct rte_flow_attr *attr,
			const struct rte_flow_item pattern[],
			const struct rte_flow_action actions[],
			struct rte_flow_error *error)
{
	struct rte_flow *f;
	int ret;

	f = calloc(1, sizeof(*f)); /* too large for a control stack */
	if (f == NULL)
		return rte_flow_error_set(error, ENOMEM,
					  RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
					  NULL, "out of memory");
	ret = flow_parse(port, attr, pattern, actions, f, error);
	free(f);
	return ret;
}

struct rte_flow *
mlx4r_flow_api_create(struct mlx4r_port *port,
		      const struct rte_flow_attr *attr,
		      const struct rte_flow_item pattern[],
		      const struct rte_flow_action actions[],
		      struct rte_flow_error *error)
{
	struct rte_flow *f;
	int ret;

	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		rte_flow_error_set(error, ENOMEM,
				   RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
				   "flow rule handle allocation failure");
		return NULL;
	}
	ret = flow_parse(port, attr, pattern, actions, f, error);
	/*
	 * The last priority is the internal rules' (mlx4_flow_toggle:
	 * EACCES outside isolated mode); refused at once, stopped or not.
	 * A refusal of the device, or this one, reaches the application as
	 * upstream's mlx4_flow_create gives it: type UNSPECIFIED, the
	 * message kept.
	 */
	if (ret == 0 && !port->isolated && f->priority == MLX4R_FLOW_PRIO_LAST)
		ret = rte_flow_error_set(error, EACCES,
					 RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
					 NULL, MLX4R_FLOW_PRIO_MSG_RESERVED);
	if (ret == 0 && port_runs(port)) {
		ret = flow_on(port, f, error);
		if (ret != 0 && error != NULL)
			error->type = RTE_FLOW_ERROR_TYPE_UNSPECIFIED;
	}
	if (ret != 0) {
		free(f);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&port->rte_flows, f, next);
	return f;
}

int
mlx4r_flow_api_destroy(struct mlx4r_port *port, struct rte_flow *flow,
		       struct rte_flow_error *error)
{
	const struct rte_flow *g;

	/* the application may hand anything: only a rule of the port */
	TAILQ_FOREACH(g, &port->rte_flows, next)
		if (g == flow)
			break;
	if (flow == NULL || g == NULL)
		return rte_flow_error_set(error, EINVAL,
					  RTE_FLOW_ERROR_TYPE_HANDLE, flow,
					  "not a flow rule of this port");
	flow_off(port, flow);
	TAILQ_REMOVE(&port->rte_flows, flow, next);
	free(flow);
	return 0;
}

/*
 * Isolated mode (upstream's mlx4_flow_isolate): the internal rules go
 * (mlx4r_flow_wanted() asks for none), only the application's rules steer.
 * Leaving it puts them back; refused (EACCES) while a rule holds the
 * internal rules' priority, which upstream would refuse at its next
 * mlx4_flow_sync.
 */
int
mlx4r_flow_api_isolate(struct mlx4r_port *port, int enable,
		       struct rte_flow_error *error)
{
	struct rte_flow *f;
	bool old = port->isolated;
	int ret;

	if (!!enable == old)
		return 0;
	if (!enable) {
		TAILQ_FOREACH(f, &port->rte_flows, next)
			if (f->priority == MLX4R_FLOW_PRIO_LAST)
				return rte_flow_error_set(error, EACCES,
					RTE_FLOW_ERROR_TYPE_HANDLE, f,
					MLX4R_FLOW_PRIO_MSG_RESERVED);
	}
	port->isolated = !!enable;
	ret = port_runs(port) ? mlx4r_flow_sync(port) : 0;
	if (ret != 0) {
		port->isolated = old;
		return rte_flow_error_set(error, -ret,
					  RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
					  NULL, "cannot change the internal rules");
	}
	return 0;
}
