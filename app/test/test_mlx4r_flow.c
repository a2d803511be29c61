/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * rte_flow on mlx4r (issue 14): the items, actions, attributes and limits
 * of upstream net_mlx4 (drivers/net/mlx4/mlx4_flow.c), on the emulated
 * device through the ethdev API. Frames go out of the port and come back
 * on its loopback wire, through the device's steering: each test checks
 * the queue a frame lands in (or that it is dropped), the errno and error
 * type of refused rules, priorities, flush, isolated mode, and the rules
 * across stop/start and a proactive reset.
 */

#include <errno.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_pmd_mlx4r.h>

#include "test.h"
#include "test_common.h"
#include "mlx4r.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 2047
#define HCA "net_mlx4r_flow"
#define NB_RXQ 4
#define WAIT_MS 5000 /* for the device to come back */

static struct rte_mempool *mp;
static uint16_t p1;
static struct rte_ether_addr own;

static int
fl_setup(void)
{
	mp = rte_pktmbuf_pool_create("flow_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return mp == NULL ? TEST_FAILED : TEST_SUCCESS;
}

static void
fl_teardown(void)
{
	rte_mempool_free(mp);
	mp = NULL;
}

static int
port_config(uint16_t nb_rxq)
{
	struct rte_eth_conf conf;
	uint16_t q;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, nb_rxq, 1, &conf),
			    "configure");
	for (q = 0; q < nb_rxq; q++)
		TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, q, 128,
				    SOCKET_ID_ANY, NULL, mp), "rxq %u", q);
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	return TEST_SUCCESS;
}

/* A HCA with @p devargs, its port configured with NB_RXQ queues, not started. */
static int
hca_with(const char *devargs)
{
	if (rte_vdev_init(HCA, devargs) != 0 ||
	    rte_eth_dev_get_port_by_name(HCA, &p1) != 0 ||
	    rte_eth_macaddr_get(p1, &own) != 0)
		return TEST_FAILED;
	return port_config(NB_RXQ);
}

/* On a loopback wire. */
static int
hca_up(void)
{
	return hca_with("wire=loopback");
}

static void
hca_down(void)
{
	rte_vdev_uninit(HCA);
}

/* A frame to send: what the tests vary; zero fields take the default. */
struct frame {
	const struct rte_ether_addr *dst; /* default: the port's MAC */
	uint16_t vlan;                    /* VLAN ID; default: untagged */
	uint8_t proto;                    /* default IPPROTO_UDP */
	uint32_t sip, dip;                /* default 10.0.0.1, 10.1.0.1 */
	uint16_t sport, dport;            /* default 1024, 5000 */
};

#define FRAME(...) (&(const struct frame){ __VA_ARGS__ })

static struct rte_mbuf *
frame_build(const struct frame *fr)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t proto = fr->proto != 0 ? fr->proto : IPPROTO_UDP;
	uint32_t sip = fr->sip != 0 ? fr->sip : RTE_IPV4(10, 0, 0, 1);
	uint32_t dip = fr->dip != 0 ? fr->dip : RTE_IPV4(10, 1, 0, 1);
	uint16_t sport = fr->sport != 0 ? fr->sport : 1024;
	uint16_t dport = fr->dport != 0 ? fr->dport : 5000;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	uint8_t *p, *l4;
	uint16_t off = sizeof(*eh);

	if (m == NULL || rte_pktmbuf_append(m, 80) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 80);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = fr->dst != NULL ? *fr->dst : own;
	eh->src_addr = (struct rte_ether_addr){
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
	if (fr->vlan == 0) {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	} else {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(fr->vlan);
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		off += sizeof(*vh);
	}
	ip = (struct rte_ipv4_hdr *)(p + off);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(80 - off);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(sip);
	ip->dst_addr = rte_cpu_to_be_32(dip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	l4 = (uint8_t *)(ip + 1);
	if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(dport);
		u->dgram_len = rte_cpu_to_be_16(80 - off - sizeof(*ip));
	} else {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(dport);
		t->data_off = 0x50;
	}
	return m;
}

/* Frames the device dropped (no rule, or a rule to the drop QP). */
static uint64_t
dev_dropped(void)
{
	struct mlx4r_emu_port_stats st;

	if (mlx4r_emu_port_stats(mlx4r_emu_dev_lookup(HCA), 1, &st) != 0)
		return UINT64_MAX;
	return st.rx_dropped;
}

#define Q_NONE -1  /* received by no queue */
#define Q_MANY -2  /* by more than one, or more than once */

/*
 * Send one frame on the loopback wire: the queue that received it, Q_NONE
 * or Q_MANY; -3 when it could not be sent.
 */
static int
rx_queue_of(const struct frame *fr)
{
	struct rte_mbuf *m[1], *rx[8];
	int got = Q_NONE, tries;
	uint16_t q, k;

	m[0] = frame_build(fr);
	if (m[0] == NULL)
		return -3;
	if (rte_eth_tx_burst(p1, 0, m, 1) != 1) {
		rte_pktmbuf_free(m[0]);
		return -3;
	}
	for (tries = 0; tries < 16; tries++) {
		for (q = 0; q < NB_RXQ; q++) {
			k = rte_eth_rx_burst(p1, q, rx, RTE_DIM(rx));
			if (k == 0)
				continue;
			rte_pktmbuf_free_bulk(rx, k);
			got = got == Q_NONE && k == 1 ? (int)q : Q_MANY;
		}
	}
	return got;
}

#define EXPECT_Q(fr, want, what) \
	TEST_ASSERT_EQUAL(rx_queue_of(fr), (want), what)

/* Objects alive on the emulated device of the HCA (rules among them). */
static uint32_t
emu_objects(void)
{
	struct mlx4r_emu_dev_info info;

	if (mlx4r_emu_dev_info(mlx4r_emu_dev_lookup(HCA), &info) != 0)
		return UINT32_MAX;
	return info.nb_objects;
}

/* Ask for a proactive reset and wait until the device is back. */
static int
reset_and_wait(void)
{
	struct rte_pmd_mlx4r_reset_state st;

	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "reset request");
	return test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE,
			       st.generation + 1, WAIT_MS);
}

/*
 * Rule builders: ETH (destination @p dst or none), VLAN, IPV4, UDP/TCP as
 * testpmd's "is" makes them (the whole field in the mask).
 */
struct rule {
	struct rte_flow_attr attr;
	struct rte_flow_item pat[6];
	struct rte_flow_action act[3];
	struct rte_flow_item_eth eth, eth_m;
	struct rte_flow_item_vlan vlan, vlan_m;
	struct rte_flow_item_ipv4 ip, ip_m;
	struct rte_flow_item_udp udp, udp_m;
	struct rte_flow_item_tcp tcp, tcp_m;
	struct rte_flow_action_queue queue;
	struct rte_flow_action_rss rss;
	uint16_t rss_q[8];
	unsigned int n;
};

static void
rule_init(struct rule *r, uint32_t priority)
{
	memset(r, 0, sizeof(*r));
	r->attr.ingress = 1;
	r->attr.priority = priority;
}

static void
rule_eth(struct rule *r, const struct rte_ether_addr *dst)
{
	struct rte_flow_item *it = &r->pat[r->n++];

	it->type = RTE_FLOW_ITEM_TYPE_ETH;
	if (dst != NULL) {
		r->eth.hdr.dst_addr = *dst;
		memset(&r->eth_m.hdr.dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
		it->spec = &r->eth;
		it->mask = &r->eth_m;
	}
}

static void
rule_vlan(struct rule *r, uint16_t vid)
{
	struct rte_flow_item *it = &r->pat[r->n++];

	it->type = RTE_FLOW_ITEM_TYPE_VLAN;
	r->vlan.hdr.vlan_tci = rte_cpu_to_be_16(vid);
	r->vlan_m.hdr.vlan_tci = RTE_BE16(0x0fff);
	it->spec = &r->vlan;
	it->mask = &r->vlan_m;
}

/* IPV4 on source @p sip and/or destination @p dip (0: not matched). */
static void
rule_ipv4(struct rule *r, uint32_t sip, uint32_t dip)
{
	struct rte_flow_item *it = &r->pat[r->n++];

	it->type = RTE_FLOW_ITEM_TYPE_IPV4;
	if (sip == 0 && dip == 0)
		return;
	r->ip.hdr.src_addr = rte_cpu_to_be_32(sip);
	r->ip.hdr.dst_addr = rte_cpu_to_be_32(dip);
	r->ip_m.hdr.src_addr = sip != 0 ? RTE_BE32(0xffffffff) : 0;
	r->ip_m.hdr.dst_addr = dip != 0 ? RTE_BE32(0xffffffff) : 0;
	it->spec = &r->ip;
	it->mask = &r->ip_m;
}

/* UDP or TCP on source @p sp and/or destination @p dp (0: not matched). */
static void
rule_l4(struct rule *r, uint8_t proto, uint16_t sp, uint16_t dp)
{
	struct rte_flow_item *it = &r->pat[r->n++];
	struct rte_udp_hdr *v, *m;

	if (proto == IPPROTO_UDP) {
		it->type = RTE_FLOW_ITEM_TYPE_UDP;
		v = &r->udp.hdr;
		m = &r->udp_m.hdr;
		it->spec = &r->udp;
		it->mask = &r->udp_m;
	} else {
		it->type = RTE_FLOW_ITEM_TYPE_TCP;
		v = (struct rte_udp_hdr *)&r->tcp.hdr;
		m = (struct rte_udp_hdr *)&r->tcp_m.hdr;
		it->spec = &r->tcp;
		it->mask = &r->tcp_m;
	}
	if (sp == 0 && dp == 0) {
		it->spec = NULL;
		it->mask = NULL;
		return;
	}
	v->src_port = rte_cpu_to_be_16(sp);
	v->dst_port = rte_cpu_to_be_16(dp);
	m->src_port = sp != 0 ? RTE_BE16(0xffff) : 0;
	m->dst_port = dp != 0 ? RTE_BE16(0xffff) : 0;
}

static void
act_queue(struct rule *r, uint16_t q)
{
	r->queue.index = q;
	r->act[0] = (struct rte_flow_action){
		.type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &r->queue };
}

static void
act_rss(struct rule *r, uint16_t first, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && i < RTE_DIM(r->rss_q); i++)
		r->rss_q[i] = first + i;
	r->rss.queue_num = n;
	r->rss.queue = r->rss_q;
	r->rss.types = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	r->act[0] = (struct rte_flow_action){
		.type = RTE_FLOW_ACTION_TYPE_RSS, .conf = &r->rss };
}

static void
act_drop(struct rule *r)
{
	r->act[0] = (struct rte_flow_action){
		.type = RTE_FLOW_ACTION_TYPE_DROP };
}

/* The acceptance rule of issue 14: eth / ipv4 / udp dst is 4789 -> queue 1. */
static void
rule_vxlan(struct rule *r)
{
	rule_init(r, 0);
	rule_eth(r, NULL);
	rule_ipv4(r, 0, 0);
	rule_l4(r, IPPROTO_UDP, 0, 4789);
	act_queue(r, 1);
}

static struct rte_flow *
rule_create(struct rule *r, struct rte_flow_error *err)
{
	return rte_flow_create(p1, &r->attr, r->pat, r->act, err);
}

static int
rule_validate(struct rule *r, struct rte_flow_error *err)
{
	return rte_flow_validate(p1, &r->attr, r->pat, r->act, err);
}

/*
 * The acceptance rule of issue 14: eth / ipv4 / udp dst is 4789 to queue
 * 1. Only UDP to 4789 on the port's address goes to queue 1; the rest goes
 * by the internal rules (RSS off: queue 0). Destroyed, everything goes to
 * queue 0 and the device has the objects it had.
 */
static int
test_flow_queue(void)
{
	static const struct rte_ether_addr other = {
		.addr_bytes = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 } };
	struct rte_flow_error err;
	struct rte_flow *f;
	struct rule r;
	uint32_t objs;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	objs = emu_objects();
	rule_vxlan(&r);
	TEST_ASSERT_SUCCESS(rule_validate(&r, &err), "validate: %s",
			    err.message);
	f = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f, "create: %s", err.message);
	EXPECT_Q(FRAME(.dport = 4789), 1, "UDP to 4789: queue 1");
	EXPECT_Q(FRAME(.dport = 5000), 0, "UDP to 5000: queue 0");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .dport = 4789), 0,
		 "TCP to 4789: queue 0");
	/*
	 * The rule is on the port's own MAC (what mlx4_en does for an L3
	 * rule without a MAC): in promiscuous mode, UDP to 4789 for another
	 * address still goes by the internal rules.
	 */
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promiscuous");
	EXPECT_Q(FRAME(.dst = &other, .dport = 4789), 0,
		 "another MAC: not the rule's");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_disable(p1), "promiscuous");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f, &err), "destroy");
	EXPECT_Q(FRAME(.dport = 4789), 0, "rule gone: queue 0");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "rule, table, QP gone");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* ETH destination, VLAN, IPv4 source/destination, TCP ports. */
static int
test_flow_items(void)
{
	static const struct rte_ether_addr grp = {
		.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x07 } };
	struct rte_flow_error err;
	struct rte_flow *f[3];
	struct rule r;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_vlan(&r, 100);
	act_queue(&r, 2);
	f[0] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[0], "eth / vlan: %s", err.message);
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_ipv4(&r, RTE_IPV4(10, 0, 0, 9), 0);
	rule_l4(&r, IPPROTO_TCP, 1234, 0);
	act_queue(&r, 3);
	f[1] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[1], "eth / ipv4 src / tcp src: %s",
			     err.message);
	/* a multicast group the port did not join, by a rule of its own */
	rule_init(&r, 0);
	rule_eth(&r, &grp);
	act_queue(&r, 1);
	f[2] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[2], "eth dst group: %s", err.message);

	EXPECT_Q(FRAME(.vlan = 100), 2, "VLAN 100: queue 2");
	EXPECT_Q(FRAME(.vlan = 200), 0, "VLAN 200: internal");
	EXPECT_Q(FRAME(.dport = 0), 0, "untagged: internal");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .sip = RTE_IPV4(10, 0, 0, 9),
		       .sport = 1234), 3, "TCP from 10.0.0.9:1234: queue 3");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .sip = RTE_IPV4(10, 0, 0, 8),
		       .sport = 1234), 0, "another source address");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .sip = RTE_IPV4(10, 0, 0, 9),
		       .sport = 1235), 0, "another source port");
	EXPECT_Q(FRAME(.sip = RTE_IPV4(10, 0, 0, 9), .sport = 1234), 0,
		 "UDP, not TCP");
	EXPECT_Q(FRAME(.dst = &grp), 1, "the group: queue 1");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[2], &err), "destroy");
	EXPECT_Q(FRAME(.dst = &grp), Q_NONE, "group not joined: nothing");
	/*
	 * eth alone: the promiscuous default rule, which takes what no other
	 * rule takes (a ConnectX-3's ALL_DEFAULT), whatever its level.
	 */
	rule_init(&r, 0);
	rule_eth(&r, NULL);
	act_queue(&r, 1);
	f[2] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[2], "eth: %s", err.message);
	EXPECT_Q(FRAME(.dst = &grp), 1, "the default rule: an unjoined group");
	EXPECT_Q(FRAME(.dport = 0), 0, "the port's MAC: its internal rule");
	TEST_ASSERT_SUCCESS(rte_flow_flush(p1, &err), "flush");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* RSS over queues 2..3: UDP flows spread over both, and only them. */
static int
test_flow_rss(void)
{
	struct rte_flow_error err;
	struct rte_flow *f;
	struct rule r;
	unsigned int hits[NB_RXQ] = { 0 };
	uint16_t sp;
	int q;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_ipv4(&r, 0, 0);
	rule_l4(&r, IPPROTO_UDP, 0, 0);
	act_rss(&r, 2, 2);
	f = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f, "rss: %s", err.message);
	for (sp = 0; sp < 32; sp++) {
		q = rx_queue_of(FRAME(.sport = 1024 + 7 * sp,
				      .sip = RTE_IPV4(10, 0, 0, 1 + sp)));
		TEST_ASSERT(q >= 0, "frame %u: %d", sp, q);
		hits[q]++;
	}
	TEST_ASSERT(hits[0] == 0 && hits[1] == 0,
		    "only queues 2 and 3 (%u, %u)", hits[0], hits[1]);
	TEST_ASSERT(hits[2] > 0 && hits[3] > 0,
		    "both queues of the context (%u, %u)", hits[2], hits[3]);
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f, &err), "destroy");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* A rule to UDP port @p dport on the port's MAC, RSS over first..first+n-1
 * (@p n 0: QUEUE @p first). */
static struct rte_flow *
rule_udp_to(uint16_t dport, uint16_t first, uint32_t n)
{
	struct rte_flow_error err;
	struct rule r;

	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_ipv4(&r, 0, 0);
	rule_l4(&r, IPPROTO_UDP, 0, dport);
	if (n == 0)
		act_queue(&r, first);
	else
		act_rss(&r, first, n);
	return rule_create(&r, &err);
}

/* Where the frames to each rule of test_flow_rss_shared go. */
static int
rss_shared_steering(const char *when)
{
	int q;

	q = rx_queue_of(FRAME(.dport = 5000));
	TEST_ASSERT(q == 2 || q == 3, "%s: 5000 on 2..3: %d", when, q);
	q = rx_queue_of(FRAME(.dport = 6000, .sport = 1111));
	TEST_ASSERT(q == 2 || q == 3, "%s: 6000 on 2..3: %d", when, q);
	q = rx_queue_of(FRAME(.dport = 7000));
	TEST_ASSERT(q == 0 || q == 1, "%s: 7000 on 0..1: %d", when, q);
	EXPECT_Q(FRAME(.dport = 8000), 1, "queue 1");
	EXPECT_Q(FRAME(.dport = 9000), 1, "queue 1 too");
	return TEST_SUCCESS;
}

/*
 * Rules of the same queues, key and hash fields share one RSS context
 * (an indirection table and a hash QP), as upstream's mlx4_rss_get: a
 * second one adds only its rule to the device; other queues (or QUEUE
 * rather than RSS) get their own context; the context goes with its last
 * rule. The sharing stays through a stop and start and a proactive reset.
 */
static int
test_flow_rss_shared(void)
{
	struct rte_flow_error err;
	struct rte_flow *f[5];
	uint32_t o0, one, ctx;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	o0 = emu_objects();
	f[0] = rule_udp_to(5000, 2, 2);
	TEST_ASSERT_NOT_NULL(f[0], "RSS 2..3");
	ctx = emu_objects() - o0; /* a rule, its table and hash QP */
	f[1] = rule_udp_to(6000, 2, 2);
	TEST_ASSERT_NOT_NULL(f[1], "RSS 2..3 again");
	one = emu_objects() - o0 - ctx;
	TEST_ASSERT_EQUAL(one, 1, "the same context: the rule alone (%u of %u)",
			  one, ctx);
	f[2] = rule_udp_to(7000, 0, 2);
	TEST_ASSERT_NOT_NULL(f[2], "RSS 0..1");
	TEST_ASSERT_EQUAL(emu_objects() - o0, 2 * ctx + 1,
			  "other queues: a context of their own");
	f[3] = rule_udp_to(8000, 1, 0);
	f[4] = rule_udp_to(9000, 1, 0);
	TEST_ASSERT(f[3] != NULL && f[4] != NULL, "QUEUE 1 twice");
	TEST_ASSERT_EQUAL(emu_objects() - o0, 3 * ctx + 2,
			  "QUEUE 1: one context for both");
	TEST_ASSERT_EQUAL(rss_shared_steering("created"), TEST_SUCCESS,
			  "steering");
	TEST_ASSERT_SUCCESS(reset_and_wait(), "reset");
	TEST_ASSERT_EQUAL(emu_objects() - o0, 3 * ctx + 2,
			  "shared again after the reset");
	TEST_ASSERT_EQUAL(rss_shared_steering("after the reset"), TEST_SUCCESS,
			  "steering");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(emu_objects() - o0, 3 * ctx + 2,
			  "shared again after stop and start");
	/* the first rule leaves: its context stays for the other */
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[0], &err), "destroy");
	TEST_ASSERT_EQUAL(emu_objects() - o0, 3 * ctx + 1, "the rule only");
	EXPECT_Q(FRAME(.dport = 5000), 0, "5000: internal rules");
	{
		int q = rx_queue_of(FRAME(.dport = 6000, .sport = 1111));

		TEST_ASSERT(q == 2 || q == 3, "6000 still on 2..3: %d", q);
	}
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[1], &err), "destroy");
	TEST_ASSERT_EQUAL(emu_objects() - o0, 2 * ctx + 1,
			  "the last rule: the context goes");
	TEST_ASSERT_SUCCESS(rte_flow_flush(p1, &err), "flush");
	TEST_ASSERT_EQUAL(emu_objects(), o0, "every context gone");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* DROP, and a rule without a fate (upstream: drop), through the drop QP. */
static int
test_flow_drop(void)
{
	struct rte_flow_error err;
	struct rte_flow *f[2];
	struct rule r;
	uint64_t d;
	uint32_t objs;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	objs = emu_objects();
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_ipv4(&r, 0, RTE_IPV4(10, 9, 9, 9));
	act_drop(&r);
	f[0] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[0], "drop: %s", err.message);
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_ipv4(&r, 0, RTE_IPV4(10, 9, 9, 8));
	f[1] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[1], "no action: %s", err.message);
	d = dev_dropped();
	EXPECT_Q(FRAME(.dip = RTE_IPV4(10, 9, 9, 9)), Q_NONE, "dropped");
	EXPECT_Q(FRAME(.dip = RTE_IPV4(10, 9, 9, 8)), Q_NONE,
		 "dropped (no fate)");
	TEST_ASSERT_EQUAL(dev_dropped(), d + 2, "the device dropped both");
	EXPECT_Q(FRAME(.dip = RTE_IPV4(10, 9, 9, 7)), 0, "another address");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[0], &err), "destroy");
	EXPECT_Q(FRAME(.dip = RTE_IPV4(10, 9, 9, 9)), 0, "no longer dropped");
	EXPECT_Q(FRAME(.dip = RTE_IPV4(10, 9, 9, 8)), Q_NONE,
		 "the other still is (shared drop QP kept)");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[1], &err), "destroy");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "drop QP and CQ gone");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * Priorities: the lower level wins whatever the order of creation; rules
 * of one level by age; every rule before the internal ones (level 0xfff).
 */
static int
test_flow_priority(void)
{
	struct rte_flow_error err;
	struct rte_flow *f[3];
	struct rule r;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	/* level 2: TCP to port 80, queue 2 (created first) */
	rule_init(&r, 2);
	rule_eth(&r, &own);
	rule_ipv4(&r, 0, 0);
	rule_l4(&r, IPPROTO_TCP, 0, 80);
	act_queue(&r, 2);
	f[0] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[0], "level 2: %s", err.message);
	/* level 1: every IPv4 frame from 10.0.0.5, queue 1 */
	rule_init(&r, 1);
	rule_eth(&r, &own);
	rule_ipv4(&r, RTE_IPV4(10, 0, 0, 5), 0);
	act_queue(&r, 1);
	f[1] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[1], "level 1: %s", err.message);
	/* level 2 again, younger: TCP from 10.0.0.6, queue 3 */
	rule_init(&r, 2);
	rule_eth(&r, &own);
	rule_ipv4(&r, RTE_IPV4(10, 0, 0, 6), 0);
	act_queue(&r, 3);
	f[2] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[2], "level 2, younger: %s", err.message);
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .dport = 80,
		       .sip = RTE_IPV4(10, 0, 0, 5)), 1,
		 "both match: level 1 wins although younger");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .dport = 80,
		       .sip = RTE_IPV4(10, 0, 0, 6)), 2,
		 "both level 2: the older wins");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .dport = 81,
		       .sip = RTE_IPV4(10, 0, 0, 6)), 3, "only the younger");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .dport = 80), 2,
		 "level 2 before the internal rules");
	TEST_ASSERT_SUCCESS(rte_flow_flush(p1, &err), "flush");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* What a refused rule answers: rte_errno, error type, errno of create. */
struct refusal {
	const char *what;
	int err;
	enum rte_flow_error_type type;
};

static int
expect_refused(struct rule *r, const struct refusal *x)
{
	struct rte_flow_error err;
	struct rte_flow *f;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = rule_validate(r, &err);
	TEST_ASSERT_EQUAL(ret, -x->err, "%s: validate %d (%s)", x->what, ret,
			  err.message != NULL ? err.message : "");
	TEST_ASSERT_EQUAL((int)err.type, (int)x->type, "%s: type %d",
			  x->what, err.type);
	TEST_ASSERT_NOT_NULL(err.message, "%s: a message", x->what);
	rte_errno = 0;
	f = rule_create(r, &err);
	TEST_ASSERT_NULL(f, "%s: created", x->what);
	TEST_ASSERT_EQUAL(rte_errno, x->err, "%s: rte_errno %d", x->what,
			  rte_errno);
	TEST_ASSERT_EQUAL((int)err.type, (int)x->type, "%s: create type",
			  x->what);
	return TEST_SUCCESS;
}

#define REFUSED(r, what_, err_, type_) do { \
	const struct refusal x_ = { (what_), (err_), \
				    RTE_FLOW_ERROR_TYPE_ ## type_ }; \
	if (expect_refused((r), &x_) != TEST_SUCCESS) \
		return TEST_FAILED; \
} while (0)

/* A valid base: eth dst own / ipv4 / udp src 7 -> queue 0. */
static void
base(struct rule *r, uint32_t priority)
{
	rule_init(r, priority);
	rule_eth(r, &own);
	rule_ipv4(r, 0, 0);
	rule_l4(r, IPPROTO_UDP, 7, 0);
	act_queue(r, 0);
}

/*
 * Everything upstream's mlx4_flow_prepare refuses, with its errno and
 * error type; nothing is left behind on the device.
 */
static int
test_flow_errors(void)
{
	static const uint8_t key16[16];
	struct rte_flow_error err;
	struct rte_flow_action_mark mark = { .id = 1 };
	struct rte_flow_item_ipv6 ip6;
	struct rte_flow *f;
	struct rule r;
	uint32_t objs;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	objs = emu_objects();
	base(&r, 0);
	TEST_ASSERT_SUCCESS(rule_validate(&r, &err), "the base is valid: %s",
			    err.message);
	/* attributes */
	base(&r, 0);
	r.attr.group = 1;
	REFUSED(&r, "group", ENOTSUP, ATTR_GROUP);
	base(&r, 0x1000);
	REFUSED(&r, "priority 0x1000", ENOTSUP, ATTR_PRIORITY);
	base(&r, 0);
	r.attr.egress = 1;
	REFUSED(&r, "egress", ENOTSUP, ATTR_EGRESS);
	base(&r, 0);
	r.attr.ingress = 0; /* ethdev refuses both itself (EINVAL) */
	r.attr.transfer = 1;
	REFUSED(&r, "transfer", ENOTSUP, ATTR_TRANSFER);
	base(&r, 0);
	r.attr.ingress = 0;
	REFUSED(&r, "not ingress", ENOTSUP, ATTR_INGRESS);
	/* the internal rules' level: valid, refused outside isolated mode */
	base(&r, 0xfff);
	TEST_ASSERT_SUCCESS(rule_validate(&r, &err), "level 0xfff validates");
	rte_errno = 0;
	TEST_ASSERT_NULL(rule_create(&r, &err), "level 0xfff created");
	TEST_ASSERT_EQUAL(rte_errno, EACCES, "level 0xfff: EACCES");
	/* items */
	base(&r, 0);
	memset(&r.eth_m.hdr.src_addr, 0xff, RTE_ETHER_ADDR_LEN);
	REFUSED(&r, "source MAC", ENOTSUP, ITEM);
	base(&r, 0);
	r.eth_m.hdr.dst_addr.addr_bytes[5] = 0;
	REFUSED(&r, "partial destination MAC", ENOTSUP, ITEM);
	base(&r, 0);
	r.pat[0].mask = NULL; /* the default mask has the source MAC */
	REFUSED(&r, "default ETH mask", ENOTSUP, ITEM);
	base(&r, 0);
	memset(&r.eth, 0, sizeof(r.eth));
	memset(&r.eth_m, 0, sizeof(r.eth_m));
	r.eth.hdr.dst_addr.addr_bytes[0] = 1;
	r.eth_m.hdr.dst_addr.addr_bytes[0] = 1;
	REFUSED(&r, "all multicast then IPv4", ENOTSUP, ITEM);
	r.eth.hdr.dst_addr.addr_bytes[0] = 0;
	REFUSED(&r, "all but multicast", ENOTSUP, ITEM);
	base(&r, 0);
	r.pat[1].spec = NULL;
	r.pat[1].mask = &r.ip_m;
	REFUSED(&r, "mask without spec", EINVAL, ITEM);
	base(&r, 0);
	r.ip_m.hdr.dst_addr = RTE_BE32(0xffffff00);
	r.pat[1].spec = &r.ip;
	r.pat[1].mask = &r.ip_m;
	REFUSED(&r, "partial IPv4 address", ENOTSUP, ITEM);
	base(&r, 0);
	r.ip_m.hdr.next_proto_id = 0xff;
	r.pat[1].spec = &r.ip;
	r.pat[1].mask = &r.ip_m;
	REFUSED(&r, "IPv4 protocol field", ENOTSUP, ITEM);
	base(&r, 0);
	r.udp_m.hdr.src_port = RTE_BE16(0x00ff);
	REFUSED(&r, "partial UDP port", ENOTSUP, ITEM);
	base(&r, 1);
	r.udp_m.hdr.dst_port = RTE_BE16(0xffff);
	REFUSED(&r, "UDP destination port at level 1", ENOTSUP, ITEM);
	rule_init(&r, 0);
	rule_eth(&r, &own);
	r.pat[r.n++].type = RTE_FLOW_ITEM_TYPE_VLAN;
	act_queue(&r, 0);
	REFUSED(&r, "VLAN without VID", ENOTSUP, ITEM);
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_vlan(&r, 5);
	r.vlan_m.hdr.vlan_tci = RTE_BE16(0x00ff);
	act_queue(&r, 0);
	REFUSED(&r, "partial VID", ENOTSUP, ITEM);
	rule_init(&r, 0);
	rule_ipv4(&r, 0, 0);
	act_queue(&r, 0);
	REFUSED(&r, "no ETH first", ENOTSUP, ITEM);
	rule_init(&r, 0);
	rule_eth(&r, &own);
	memset(&ip6, 0, sizeof(ip6));
	r.pat[r.n++] = (struct rte_flow_item){
		.type = RTE_FLOW_ITEM_TYPE_IPV6 };
	act_queue(&r, 0);
	REFUSED(&r, "IPv6", ENOTSUP, ITEM);
	/* actions */
	base(&r, 0);
	act_queue(&r, NB_RXQ);
	REFUSED(&r, "queue beyond the port's", ENOTSUP, ACTION);
	base(&r, 0);
	r.act[1] = (struct rte_flow_action){
		.type = RTE_FLOW_ACTION_TYPE_DROP };
	REFUSED(&r, "two fates", ENOTSUP, ACTION);
	base(&r, 0);
	r.act[0] = (struct rte_flow_action){
		.type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark };
	REFUSED(&r, "MARK", ENOTSUP, ACTION);
	base(&r, 0);
	act_rss(&r, 0, 3);
	REFUSED(&r, "RSS over 3 queues", ENOTSUP, ACTION);
	base(&r, 0);
	act_rss(&r, 1, 2);
	REFUSED(&r, "RSS from queue 1 of 2", ENOTSUP, ACTION);
	base(&r, 0);
	act_rss(&r, 0, 2);
	r.rss_q[1] = 3;
	REFUSED(&r, "RSS on queues 0, 3", ENOTSUP, ACTION);
	base(&r, 0);
	act_rss(&r, 0, 2);
	r.rss.key = key16;
	r.rss.key_len = sizeof(key16);
	REFUSED(&r, "16-byte key", ENOTSUP, ACTION);
	base(&r, 0);
	act_rss(&r, 0, 2);
	r.rss.level = 1;
	REFUSED(&r, "inner RSS", ENOTSUP, ACTION);
	base(&r, 0);
	act_rss(&r, 0, 2);
	r.rss.func = RTE_ETH_HASH_FUNCTION_SIMPLE_XOR;
	REFUSED(&r, "XOR hash", ENOTSUP, ACTION);
	base(&r, 0);
	act_rss(&r, 0, 2);
	r.rss.types = RTE_ETH_RSS_IPV6_EX;
	REFUSED(&r, "IPv6 extension hash", ENOTSUP, ACTION);
	/* a handle of nothing */
	TEST_ASSERT_EQUAL(rte_flow_destroy(p1, (struct rte_flow *)&r, &err),
			  -EINVAL, "destroy of a foreign handle");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "nothing left on the device");
	base(&r, 0);
	f = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f, "the base is created: %s", err.message);
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f, &err), "destroy");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * Isolated mode: the internal rules go, the application's steer alone
 * (and may take level 0xfff); leaving it is refused while a rule holds
 * that level, then puts the internal rules back.
 */
static int
test_flow_isolate(void)
{
	struct rte_flow_error err;
	struct rte_flow *f[2];
	struct rule r;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	rule_vxlan(&r);
	f[0] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[0], "create: %s", err.message);
	TEST_ASSERT_SUCCESS(rte_flow_isolate(p1, 1, &err), "isolate");
	EXPECT_Q(FRAME(.dport = 4789), 1, "isolated: the rule");
	EXPECT_Q(FRAME(.dport = 5000), Q_NONE, "isolated: no internal rule");
	base(&r, 0xfff);
	f[1] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[1], "level 0xfff when isolated: %s",
			     err.message);
	EXPECT_Q(FRAME(.sport = 7), 0, "the level-0xfff rule");
	TEST_ASSERT_EQUAL(rte_flow_isolate(p1, 0, &err), -EACCES,
			  "leaving with a level-0xfff rule");
	EXPECT_Q(FRAME(.dport = 5000), Q_NONE, "still isolated");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[1], &err), "destroy");
	TEST_ASSERT_SUCCESS(rte_flow_isolate(p1, 0, &err), "leave");
	EXPECT_Q(FRAME(.dport = 5000), 0, "internal rules back");
	EXPECT_Q(FRAME(.dport = 4789), 1, "the rule still first");
	/* set while stopped: applied at start */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_flow_isolate(p1, 1, &err), "isolate stopped");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	EXPECT_Q(FRAME(.dport = 5000), Q_NONE, "isolated from the start");
	EXPECT_Q(FRAME(.dport = 4789), 1, "the rule");
	TEST_ASSERT_SUCCESS(rte_flow_isolate(p1, 0, &err), "leave");
	TEST_ASSERT_SUCCESS(rte_flow_flush(p1, &err), "flush");
	EXPECT_Q(FRAME(.dport = 4789), 0, "flushed");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * The rules stay: created on a stopped port, applied at its start; kept
 * through stop/start and a proactive reset with the same handles, which
 * destroy takes afterwards; a rule whose queue a reconfigure removed
 * drops, as upstream's mlx4_flow_toggle.
 */
static int
test_flow_kept(void)
{
	struct rte_flow_error err;
	struct rte_flow *f[2];
	struct rule r;
	uint32_t objs;
	uint64_t d;

	objs = emu_objects();
	rule_vxlan(&r);
	f[0] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[0], "create on a stopped port: %s",
			     err.message);
	TEST_ASSERT_EQUAL(emu_objects(), objs, "nothing on the device yet");
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_ipv4(&r, 0, 0);
	rule_l4(&r, IPPROTO_TCP, 0, 443);
	act_rss(&r, 2, 2);
	r.rss.types = 0;
	f[1] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[1], "RSS rule: %s", err.message);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	EXPECT_Q(FRAME(.dport = 4789), 1, "applied at start");
	TEST_ASSERT(rx_queue_of(FRAME(.proto = IPPROTO_TCP, .dport = 443)) >=
		    2, "RSS rule applied at start");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start again");
	EXPECT_Q(FRAME(.dport = 4789), 1, "kept through stop/start");
	TEST_ASSERT_SUCCESS(reset_and_wait(), "proactive reset");
	EXPECT_Q(FRAME(.dport = 4789), 1, "kept through a proactive reset");
	TEST_ASSERT(rx_queue_of(FRAME(.proto = IPPROTO_TCP, .dport = 443)) >=
		    2, "RSS rule kept through the reset");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[1], &err),
			    "the handle from before the reset");
	/* fewer queues: the rule's queue is gone, its frames are dropped */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(port_config(1), "one queue");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	d = dev_dropped();
	EXPECT_Q(FRAME(.dport = 4789), Q_NONE, "queue 1 gone: dropped");
	TEST_ASSERT_EQUAL(dev_dropped(), d + 1, "by the device");
	EXPECT_Q(FRAME(.dport = 5000), 0, "the rest to queue 0");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(port_config(NB_RXQ), "four queues");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	EXPECT_Q(FRAME(.dport = 4789), 1, "queue 1 back: steered again");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[0], &err), "destroy");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "stopped: nothing left");
	return TEST_SUCCESS;
}

/*
 * The device refuses a rule (its steering table full: -ENOMEM, Linux
 * mlx4 cmd.c mlx4_status_to_errno CMD_STAT_EXCEED_LIM; then a command
 * that fails): create answers its errno with type UNSPECIFIED, as
 * upstream's mlx4_flow_create, and leaves nothing. A start the device
 * refuses (here its first rule, an internal one: the fault takes the
 * next command) fails with its errno with an application rule waiting,
 * and the next start puts that rule on.
 */
static int
test_flow_device_refuses(void)
{
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);
	struct rte_flow_error err;
	struct rte_flow *f;
	struct rule r;
	uint32_t objs;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	objs = emu_objects();
	base(&r, 0);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_CREATE_FLOW,
						1, ENOMEM, 0), "fault");
	rte_errno = 0;
	memset(&err, 0, sizeof(err));
	TEST_ASSERT_NULL(rule_create(&r, &err), "refused by the device");
	TEST_ASSERT_EQUAL(rte_errno, ENOMEM, "its errno (%d)", rte_errno);
	TEST_ASSERT_EQUAL((int)err.type, (int)RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
			  "type UNSPECIFIED");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "its RSS context gone");
	/* the drop QP's creation refused */
	act_drop(&r);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_CREATE_QP,
						1, EIO, 0), "fault");
	rte_errno = 0;
	TEST_ASSERT_NULL(rule_create(&r, &err), "no drop QP");
	TEST_ASSERT_EQUAL(rte_errno, EIO, "its errno");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "its CQ gone");
	/* at start */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	f = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f, "create on a stopped port: %s", err.message);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_CREATE_FLOW,
						1, ENOMEM, 0), "fault");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -ENOMEM,
			  "the start fails with the device's errno");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start again");
	EXPECT_Q(FRAME(.sport = 7), Q_NONE, "the rule on, dropping");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f, &err), "destroy");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * The hash QP of a rule goes to error (a local work queue catastrophic
 * error, QP_FATAL): it cannot be repaired alone, as the port's RSS QP
 * cannot; the device is reset and the rule steers again.
 */
static int
test_flow_qp_error(void)
{
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);
	struct rte_pmd_mlx4r_reset_state st;
	const struct mlx4r_port *port;
	struct rte_flow_error err;
	struct rte_flow *f;
	struct rule r;
	uint32_t gen, qpn;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	port = rte_eth_devices[p1].data->dev_private;
	rule_vxlan(&r);
	f = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f, "create: %s", err.message);
	EXPECT_Q(FRAME(.dport = 4789), 1, "steered");
	/* the rule's hash QP: the next number the device gave after the RSS QP */
	qpn = port->rss_qp->qpn + 1;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	gen = st.generation;
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(emu, qpn),
			    "QP 0x%x to error", qpn);
	TEST_ASSERT_SUCCESS(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE,
					    gen + 1, WAIT_MS),
			    "the device was reset");
	EXPECT_Q(FRAME(.dport = 4789), 1, "steered again");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f, &err), "destroy");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * Passive mode: the rules stay through the application's reset (its
 * acknowledgement); one is created while the device is away; all go on
 * the device at the next start, with the same handles.
 */
static int
test_flow_passive(void)
{
	struct rte_flow_error err;
	struct rte_flow *f[2];
	struct rule r;

	rule_vxlan(&r);
	f[0] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[0], "create: %s", err.message);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	EXPECT_Q(FRAME(.dport = 4789), 1, "steered");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 1), "fatal");
	TEST_ASSERT_SUCCESS(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_DRAINING,
					    0, WAIT_MS),
			    "waiting for the acknowledgement");
	rte_errno = 0;
	TEST_ASSERT_NULL(rule_create(&r, &err), "create before the ack");
	TEST_ASSERT_EQUAL(rte_errno, EBUSY, "EBUSY during the reset");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "acknowledged");
	/* the reset port takes rules in software */
	rule_init(&r, 0);
	rule_eth(&r, &own);
	rule_ipv4(&r, 0, 0);
	rule_l4(&r, IPPROTO_TCP, 0, 80);
	act_queue(&r, 2);
	f[1] = rule_create(&r, &err);
	TEST_ASSERT_NOT_NULL(f[1], "create on the reset port: %s",
			     err.message);
	TEST_ASSERT_SUCCESS(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2,
					    WAIT_MS), "the device is back");
	TEST_ASSERT_SUCCESS(port_config(NB_RXQ), "configure again");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	EXPECT_Q(FRAME(.dport = 4789), 1, "the rule from before the reset");
	EXPECT_Q(FRAME(.proto = IPPROTO_TCP, .dport = 80), 2,
		 "the rule made while the device was away");
	EXPECT_Q(FRAME(.dport = 5000), 0, "the rest");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[0], &err),
			    "the handle from before the reset");
	TEST_ASSERT_SUCCESS(rte_flow_destroy(p1, f[1], &err), "destroy");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

static int
hca_passive(void)
{
	return hca_with("wire=loopback,recovery=passive");
}

/* Closing a port with rules frees them (the device checks its objects). */
static int
test_flow_close(void)
{
	struct rte_flow_error err;
	struct rule r;

	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	base(&r, 0);
	TEST_ASSERT_NOT_NULL(rule_create(&r, &err), "create");
	act_drop(&r);
	TEST_ASSERT_NOT_NULL(rule_create(&r, &err), "create drop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p1), "close with rules");
	return TEST_SUCCESS;
}

/* gen_dport: the generator's UDP destination port, 1..65535. */
static int
test_gen_dport_devarg(void)
{
	TEST_ASSERT(rte_vdev_init("net_mlx4r_flowg", "gen_dport=0") != 0,
		    "gen_dport=0 refused");
	TEST_ASSERT(rte_vdev_init("net_mlx4r_flowg", "gen_dport=65536") != 0,
		    "gen_dport=65536 refused");
	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_flowg", "gen_dport=4789"),
			    "gen_dport=4789");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_flowg"), "uninit");
	return TEST_SUCCESS;
}

static struct unit_test_suite mlx4r_flow_suite = {
	.suite_name = "mlx4r rte_flow",
	.setup = fl_setup,
	.teardown = fl_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(hca_up, hca_down, test_flow_queue),
		TEST_CASE_ST(hca_up, hca_down, test_flow_items),
		TEST_CASE_ST(hca_up, hca_down, test_flow_rss),
		TEST_CASE_ST(hca_up, hca_down, test_flow_rss_shared),
		TEST_CASE_ST(hca_up, hca_down, test_flow_drop),
		TEST_CASE_ST(hca_up, hca_down, test_flow_priority),
		TEST_CASE_ST(hca_up, hca_down, test_flow_errors),
		TEST_CASE_ST(hca_up, hca_down, test_flow_isolate),
		TEST_CASE_ST(hca_up, hca_down, test_flow_kept),
		TEST_CASE_ST(hca_up, hca_down, test_flow_close),
		TEST_CASE_ST(hca_up, hca_down, test_flow_device_refuses),
		TEST_CASE_ST(hca_up, hca_down, test_flow_qp_error),
		TEST_CASE_ST(hca_passive, hca_down, test_flow_passive),
		TEST_CASE(test_gen_dport_devarg),
		TEST_CASES_END()
	}
};

static int
mlx4r_flow_autotest(void)
{
	return unit_test_suite_runner(&mlx4r_flow_suite);
}

REGISTER_TEST_COMMAND(mlx4r_flow_autotest, mlx4r_flow_autotest);
