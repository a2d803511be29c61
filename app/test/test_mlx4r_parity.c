/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The rows of upstream net_mlx4's feature list that mlx4r adds to its own
 * (issue 14), on the emulated device through the ethdev API: multicast
 * MAC filter, VLAN filter, FW version, link up/down, and each one across
 * a stop/start and a proactive reset.
 */

#include <errno.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_net_crc.h>
#include <rte_pmd_mlx4r.h>

#include "test.h"
#include "test_common.h"
#include "mlx4r.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 2047
#define HCA "net_mlx4r_par"

static struct rte_mempool *mp;
static uint16_t p1;

static const struct rte_ether_addr grp1 = {
	.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
static const struct rte_ether_addr grp2 = {
	.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 } };
static const struct rte_ether_addr grp3 = {
	.addr_bytes = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x03 } };

static int
par_setup(void)
{
	mp = rte_pktmbuf_pool_create("par_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return mp == NULL ? TEST_FAILED : TEST_SUCCESS;
}

static void
par_teardown(void)
{
	rte_mempool_free(mp);
	mp = NULL;
}

static int
hca_loopback(void)
{
	if (rte_vdev_init(HCA, "wire=loopback") != 0 ||
	    rte_eth_dev_get_port_by_name(HCA, &p1) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
hca_down(void)
{
	rte_vdev_uninit(HCA);
}

static int
port_up_offloads(uint16_t port, uint64_t rx_offloads)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = rx_offloads;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(port, 1, 1, &conf),
			    "configure port %u", port);
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(port, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(port, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(port), "start port %u", port);
	return TEST_SUCCESS;
}

/*
 * A 64-byte frame to @p dst, tagged with VLAN ID @p vlan unless it is
 * UINT16_MAX.
 */
static struct rte_mbuf *
make_frame(const struct rte_ether_addr *dst, uint16_t vlan)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	uint8_t *p;

	if (m == NULL || rte_pktmbuf_append(m, 64) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0x5a, 64);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = *dst;
	eh->src_addr = (struct rte_ether_addr){
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
	if (vlan == UINT16_MAX) {
		eh->ether_type = rte_cpu_to_be_16(0x88b5);
	} else {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(vlan);
		vh->eth_proto = rte_cpu_to_be_16(0x88b5);
	}
	return m;
}

/*
 * Send one frame to @p dst (VLAN @p vlan) on the loopback wire; how many
 * frames came back (-1 when it could not be sent).
 */
static int
loop_one(const struct rte_ether_addr *dst, uint16_t vlan)
{
	struct rte_mbuf *m[1], *rx[4];
	int got = 0, tries;

	m[0] = make_frame(dst, vlan);
	if (m[0] == NULL)
		return -1;
	if (rte_eth_tx_burst(p1, 0, m, 1) != 1) {
		rte_pktmbuf_free(m[0]);
		return -1;
	}
	for (tries = 0; tries < 16; tries++) {
		uint16_t k = rte_eth_rx_burst(p1, 0, rx, RTE_DIM(rx));

		rte_pktmbuf_free_bulk(rx, k);
		got += k;
	}
	return got;
}

#define EXPECT(dst, vlan, want, what) \
	TEST_ASSERT_EQUAL(loop_one((dst), (vlan)), (want), what)

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
reset_and_wait(uint16_t port)
{
	struct rte_pmd_mlx4r_reset_state st;
	uint32_t gen;
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(port, &st), "state");
	TEST_ASSERT_EQUAL(st.proactive, 1, "proactive mode");
	gen = st.generation;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(port), "reset request");
	for (i = 0; i < 50000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(port, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_LIVE && st.generation > gen)
			return TEST_SUCCESS;
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("no new generation after the reset (phase %d)", st.phase);
}

/*
 * Multicast MAC filter (set_mc_addr_list): one steering rule per address
 * of the list, as upstream's mlx4_flow_internal makes for each of its MAC
 * slots; a new list replaces the old one; the limits and errno of
 * upstream's mlx4_set_mc_addr_list (-EINVAL beyond 128 slots, -EBUSY over
 * a unicast slot in use); a failed change keeps the old list and rules.
 */
static int
test_mc_addr_list(void)
{
	struct rte_ether_addr list[MLX4R_MAX_MC + 1];
	struct rte_ether_addr extra = {
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x42 } };
	struct rte_ether_addr own;
	struct mlx4r_emu_dev *emu;
	unsigned int base = rte_mempool_in_use_count(mp), i;
	uint32_t objs;

	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_NOT_NULL(emu, "emulated device");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	EXPECT(&grp1, UINT16_MAX, 0, "a group not in the list is filtered");
	list[0] = grp1;
	list[1] = grp2;
	objs = emu_objects();
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, list, 2), "set");
	TEST_ASSERT_EQUAL(emu_objects(), objs + 2, "one rule per address");
	EXPECT(&grp1, UINT16_MAX, 1, "first group received");
	EXPECT(&grp2, UINT16_MAX, 1, "second group received");
	EXPECT(&grp3, UINT16_MAX, 0, "another group still filtered");
	EXPECT(&own, UINT16_MAX, 1, "own MAC still received");
	/* a new list replaces the old one */
	list[0] = grp3;
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, list, 2), "set");
	EXPECT(&grp1, UINT16_MAX, 0, "a group no longer listed is filtered");
	EXPECT(&grp3, UINT16_MAX, 1, "the new group received");
	EXPECT(&grp2, UINT16_MAX, 1, "the kept group received");
	TEST_ASSERT_EQUAL(emu_objects(), objs + 2, "still one rule each");
	/* upstream's limits and errno */
	for (i = 0; i < RTE_DIM(list); i++)
		list[i] = (struct rte_ether_addr){
			.addr_bytes = { 0x01, 0x00, 0x5e, 0x01, i >> 8, i } };
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mc_addr_list(p1, list,
						       MLX4R_MAX_MC + 1),
			  -EINVAL, "more than 128 slots");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mc_addr_list(p1, NULL, 1), -EINVAL,
			  "no list");
	TEST_ASSERT_SUCCESS(rte_eth_dev_mac_addr_add(p1, &extra, 0),
			    "a unicast address in slot 1");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mc_addr_list(p1, list, 127), -EBUSY,
			  "127 groups would take the unicast slot 1");
	EXPECT(&grp3, UINT16_MAX, 1, "the list is unchanged after -EBUSY");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, list, 126),
			    "126 groups fit beside two unicast addresses");
	EXPECT(&list[125], UINT16_MAX, 1, "the last group received");
	EXPECT(&grp3, UINT16_MAX, 0, "the old list is gone");
	EXPECT(&extra, UINT16_MAX, 1, "the unicast address kept");
	TEST_ASSERT_EQUAL(emu_objects(), objs + 127, "126 + 1 unicast rules");
	/* a change the device refuses leaves the old list and rules */
	list[0] = grp1;
	list[1] = grp2;
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, list, 1), "one");
	objs = emu_objects();
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_CREATE_FLOW,
						1, ENOMEM, 0), "fault");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mc_addr_list(p1, &list[1], 1),
			  -ENOMEM,
			  "a rule refused");
	mlx4r_emu_fault_cmd(emu, 0, 0, 1, 0);
	TEST_ASSERT_EQUAL(emu_objects(), objs, "rules as before");
	EXPECT(&grp1, UINT16_MAX, 1, "the old group still received");
	EXPECT(&grp2, UINT16_MAX, 0, "the refused group filtered");
	/* an empty list */
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, NULL, 0), "none");
	EXPECT(&grp1, UINT16_MAX, 0, "no group after an empty list");
	TEST_ASSERT_EQUAL(emu_objects(), objs - 1, "its rule gone");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "mbufs back");
	return TEST_SUCCESS;
}

/*
 * The list is the port's: set while stopped it is steered at start, it
 * survives a stop/start, and a proactive reset replays it.
 */
static int
test_mc_addr_list_persists(void)
{
	struct rte_ether_addr list[2] = { grp1, grp3 };
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, list, 2),
			    "set on a stopped port");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	EXPECT(&grp1, UINT16_MAX, 1, "steered at start");
	EXPECT(&grp3, UINT16_MAX, 1, "steered at start");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start again");
	EXPECT(&grp1, UINT16_MAX, 1, "after a stop/start");
	TEST_ASSERT_EQUAL(reset_and_wait(p1), TEST_SUCCESS, "reset");
	EXPECT(&grp1, UINT16_MAX, 1, "replayed by the reset");
	EXPECT(&grp3, UINT16_MAX, 1, "replayed by the reset");
	EXPECT(&grp2, UINT16_MAX, 0, "nothing else");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

#define BCAST (&(const struct rte_ether_addr){ \
	.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } })

/*
 * VLAN filter (RTE_ETH_RX_OFFLOAD_VLAN_FILTER) through steering, as
 * upstream's mlx4_flow_internal does it: with at least one VLAN ID set,
 * each address rule becomes one rule per ID, and only frames tagged with
 * a filtered ID reach the port (untagged ones no longer do); with none
 * set, everything passes; promiscuous mode ignores the filter. A change
 * the device refuses leaves the filter as it was.
 */
static int
test_vlan_filter(void)
{
	struct rte_ether_addr own, list[1] = { grp1 };
	struct rte_eth_dev_info info;
	struct mlx4r_emu_dev *emu;
	unsigned int base = rte_mempool_in_use_count(mp);
	uint32_t objs;

	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_FILTER,
		    "VLAN filter in the port's capabilities");
	TEST_ASSERT(!(info.rx_queue_offload_capa &
		      RTE_ETH_RX_OFFLOAD_VLAN_FILTER), "a port offload");
	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(rte_eth_dev_vlan_filter(p1, 100, 1), -ENOSYS,
			  "ethdev: not without the offload");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(port_up_offloads(p1, RTE_ETH_RX_OFFLOAD_VLAN_FILTER),
			  TEST_SUCCESS, "up with the VLAN filter");
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	EXPECT(&own, UINT16_MAX, 1, "no VLAN set: untagged passes");
	EXPECT(&own, 100, 1, "no VLAN set: tagged passes");
	objs = emu_objects();
	TEST_ASSERT_SUCCESS(rte_eth_dev_vlan_filter(p1, 100, 1), "VLAN 100");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "MAC and broadcast on VLAN 100");
	EXPECT(&own, 100, 1, "VLAN 100 received");
	EXPECT(BCAST, 100, 1, "broadcast on VLAN 100 received");
	EXPECT(&own, 200, 0, "VLAN 200 filtered");
	EXPECT(&own, UINT16_MAX, 0, "untagged filtered");
	EXPECT(BCAST, UINT16_MAX, 0, "untagged broadcast filtered");
	EXPECT(&own, (5 << 13) | 100, 1, "the priority bits do not matter");
	TEST_ASSERT_SUCCESS(rte_eth_dev_vlan_filter(p1, 200, 1), "VLAN 200");
	TEST_ASSERT_EQUAL(emu_objects(), objs + 2, "two rules per VLAN");
	EXPECT(&own, 200, 1, "VLAN 200 received");
	EXPECT(&own, 100, 1, "VLAN 100 still received");
	/* the multicast list is filtered per VLAN too */
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, list, 1), "list");
	EXPECT(&grp1, 200, 1, "a listed group on a filtered VLAN");
	EXPECT(&grp1, UINT16_MAX, 0, "a listed group untagged");
	TEST_ASSERT_EQUAL(emu_objects(), objs + 4, "three rules per VLAN");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, NULL, 0), "none");
	/* refused by the device: the filter stays as it was */
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_CREATE_FLOW,
						1, ENOMEM, 0), "fault");
	TEST_ASSERT_EQUAL(rte_eth_dev_vlan_filter(p1, 300, 1), -ENOMEM,
			  "VLAN 300 refused");
	mlx4r_emu_fault_cmd(emu, 0, 0, 1, 0);
	TEST_ASSERT_EQUAL(emu_objects(), objs + 2, "rules as before");
	EXPECT(&own, 300, 0, "VLAN 300 filtered");
	EXPECT(&own, 100, 1, "VLAN 100 still received");
	TEST_ASSERT(!(rte_eth_devices[p1].data->vlan_filter_conf.ids[300 / 64] &
		      RTE_BIT64(300 % 64)), "VLAN 300 not in the filter");
	/* promiscuous mode ignores the filter, as upstream */
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promiscuous");
	EXPECT(&own, 300, 1, "promiscuous: any VLAN");
	EXPECT(&own, UINT16_MAX, 1, "promiscuous: untagged");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_disable(p1), "promisc off");
	EXPECT(&own, 300, 0, "filtered again");
	TEST_ASSERT_SUCCESS(rte_eth_dev_vlan_filter(p1, 100, 0), "VLAN 100 off");
	EXPECT(&own, 100, 0, "VLAN 100 filtered once removed");
	EXPECT(&own, 200, 1, "VLAN 200 kept");
	/* the offload turned off on the running port */
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_vlan_offload(p1, 0), "filter off");
	EXPECT(&own, UINT16_MAX, 1, "untagged again without the filter");
	EXPECT(&own, 100, 1, "any VLAN without the filter");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_vlan_offload(p1,
			RTE_ETH_VLAN_FILTER_OFFLOAD), "filter on");
	EXPECT(&own, UINT16_MAX, 0, "untagged filtered again");
	EXPECT(&own, 200, 1, "VLAN 200 still set");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "mbufs back");
	return TEST_SUCCESS;
}

/*
 * The filter is ethdev's (vlan_filter_conf): set on a stopped port it is
 * steered at start, and a proactive reset replays it. A filter needing
 * more rules than a port holds fails the start with -ENOMEM.
 */
static int
test_vlan_filter_persists(void)
{
	struct rte_ether_addr own;
	struct rte_eth_conf conf;
	uint16_t v;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_VLAN_FILTER;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	/* own MAC + broadcast on 2048 VLANs, and no room for the last one */
	for (v = 1; v <= MLX4R_MAX_FLOWS / 2; v++)
		TEST_ASSERT_SUCCESS(rte_eth_dev_vlan_filter(p1, v, 1),
				    "VLAN %u on a stopped port", v);
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -ENOMEM,
			  "4096 address rules and a port holds 4096 rules");
	TEST_ASSERT_SUCCESS(rte_eth_dev_vlan_filter(p1, 1, 0), "one less");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start with 4094 rules");
	EXPECT(&own, MLX4R_MAX_FLOWS / 2, 1, "the last VLAN steered at start");
	EXPECT(&own, 1, 0, "the removed VLAN filtered");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	for (v = 3; v <= MLX4R_MAX_FLOWS / 2; v++)
		TEST_ASSERT_SUCCESS(rte_eth_dev_vlan_filter(p1, v, 0),
				    "VLAN %u off", v);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start with VLAN 2");
	EXPECT(&own, 2, 1, "VLAN 2 received");
	EXPECT(&own, 3, 0, "VLAN 3 filtered");
	TEST_ASSERT_EQUAL(reset_and_wait(p1), TEST_SUCCESS, "reset");
	EXPECT(&own, 2, 1, "VLAN 2 received after the reset");
	EXPECT(&own, 3, 0, "VLAN 3 filtered after the reset");
	EXPECT(&own, UINT16_MAX, 0, "untagged filtered after the reset");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

static int
rxq_state(uint16_t port, uint16_t q)
{
	struct rte_eth_rxq_info qi;

	if (rte_eth_rx_queue_info_get(port, q, &qi) != 0)
		return -1;
	return qi.queue_state;
}

static int
txq_state(uint16_t port, uint16_t q)
{
	struct rte_eth_txq_info qi;

	if (rte_eth_tx_queue_info_get(port, q, &qi) != 0)
		return -1;
	return qi.queue_state;
}

/* Send @p n frames to the port's MAC without polling. */
static int
send_n(unsigned int n)
{
	struct rte_ether_addr own;
	struct rte_mbuf *m[8];
	unsigned int i;

	TEST_ASSERT(n <= RTE_DIM(m), "n");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	for (i = 0; i < n; i++) {
		m[i] = make_frame(&own, UINT16_MAX);
		TEST_ASSERT_NOT_NULL(m[i], "frame");
	}
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, n), n, "sent");
	return TEST_SUCCESS;
}

/*
 * Rx/Tx queue stop and start on a running port: a stopped Rx queue
 * receives nothing (its WQ in RESET: the device drops what is steered to
 * it), the frames it had and nobody polled are dropped and counted, its
 * mbufs stay posted; a stopped Tx queue sends nothing; both work again
 * once started; a port restart starts every queue again; every mbuf back.
 */
static int
test_queue_start_stop(void)
{
	struct rte_ether_addr own;
	unsigned int base = rte_mempool_in_use_count(mp);
	uint64_t v;

	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	EXPECT(&own, UINT16_MAX, 1, "traffic");
	TEST_ASSERT_EQUAL(rxq_state(p1, 0), RTE_ETH_QUEUE_STATE_STARTED, "Rx");
	/* frames the application has not polled when it stops the queue */
	TEST_ASSERT_EQUAL(send_n(3), TEST_SUCCESS, "3 frames");
	v = xstat(p1, "rx_queue_flushed_wqes");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_stop(p1, 0), "Rx stop");
	TEST_ASSERT_EQUAL(rxq_state(p1, 0), RTE_ETH_QUEUE_STATE_STOPPED,
			  "Rx queue stopped");
	TEST_ASSERT_EQUAL_U(xstat(p1, "rx_queue_flushed_wqes") - v, 3,
			    "the unpolled frames dropped, counted");
	v = xstat(p1, "rx_steering_dropped");
	EXPECT(&own, UINT16_MAX, 0, "a stopped Rx queue receives nothing");
	TEST_ASSERT_EQUAL_U(xstat(p1, "rx_steering_dropped") - v, 1,
			    "the device dropped the frame");
	TEST_ASSERT(xstat(p1, "rx_refused_bursts") > 0,
		    "the bursts on it refused");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_start(p1, 0), "Rx start");
	TEST_ASSERT_EQUAL(rxq_state(p1, 0), RTE_ETH_QUEUE_STATE_STARTED,
			  "Rx queue started");
	EXPECT(&own, UINT16_MAX, 1, "received again");
	EXPECT(&own, UINT16_MAX, 1, "and again");
	/* Tx */
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_stop(p1, 0), "Tx stop");
	TEST_ASSERT_EQUAL(txq_state(p1, 0), RTE_ETH_QUEUE_STATE_STOPPED,
			  "Tx queue stopped");
	v = xstat(p1, "tx_refused_packets");
	EXPECT(&own, UINT16_MAX, -1, "a stopped Tx queue sends nothing");
	TEST_ASSERT_EQUAL_U(xstat(p1, "tx_refused_packets") - v, 1,
			    "the packet refused, counted");
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_start(p1, 0), "Tx start");
	TEST_ASSERT_EQUAL(txq_state(p1, 0), RTE_ETH_QUEUE_STATE_STARTED,
			  "Tx queue started");
	EXPECT(&own, UINT16_MAX, 1, "sent again");
	/* a port restart starts every queue */
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_stop(p1, 0), "Rx stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_stop(p1, 0), "Tx stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "port stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "mbufs back");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "port start");
	TEST_ASSERT_EQUAL(rxq_state(p1, 0), RTE_ETH_QUEUE_STATE_STARTED,
			  "Rx queue started with the port");
	TEST_ASSERT_EQUAL(txq_state(p1, 0), RTE_ETH_QUEUE_STATE_STARTED,
			  "Tx queue started with the port");
	EXPECT(&own, UINT16_MAX, 1, "traffic after the port restart");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "port stop");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_queue_start(p1, 0), -EINVAL,
			  "ethdev: not on a stopped port");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "mbufs back");
	return TEST_SUCCESS;
}

/*
 * Deferred start (rx/tx_deferred_start): the queue stays stopped at each
 * port start until the application starts it; a queue stopped (deferred
 * or not) stays stopped across a proactive reset, which replays the port
 * around it.
 */
static int
test_queue_deferred_reset(void)
{
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	struct rte_eth_conf conf;
	struct rte_ether_addr own;
	unsigned int base = rte_mempool_in_use_count(mp);

	memset(&conf, 0, sizeof(conf));
	memset(&rxc, 0, sizeof(rxc));
	memset(&txc, 0, sizeof(txc));
	rxc.rx_deferred_start = 1;
	txc.tx_deferred_start = 1;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   &rxc, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   &txc), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	TEST_ASSERT_EQUAL(rxq_state(p1, 0), RTE_ETH_QUEUE_STATE_STOPPED,
			  "deferred Rx queue stopped at start");
	TEST_ASSERT_EQUAL(txq_state(p1, 0), RTE_ETH_QUEUE_STATE_STOPPED,
			  "deferred Tx queue stopped at start");
	EXPECT(&own, UINT16_MAX, -1, "nothing sent");
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_start(p1, 0), "Tx start");
	EXPECT(&own, UINT16_MAX, 0, "sent, not received");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_start(p1, 0), "Rx start");
	EXPECT(&own, UINT16_MAX, 1, "both started");
	/* stopped across a reset */
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_stop(p1, 0), "Rx stop");
	TEST_ASSERT_EQUAL(reset_and_wait(p1), TEST_SUCCESS, "reset");
	TEST_ASSERT_EQUAL(rxq_state(p1, 0), RTE_ETH_QUEUE_STATE_STOPPED,
			  "the Rx queue still stopped after the reset");
	TEST_ASSERT_EQUAL(txq_state(p1, 0), RTE_ETH_QUEUE_STATE_STARTED,
			  "the Tx queue still started after the reset");
	EXPECT(&own, UINT16_MAX, 0, "still nothing received");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_start(p1, 0), "Rx start");
	EXPECT(&own, UINT16_MAX, 1, "received after its start");
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_stop(p1, 0), "Tx stop");
	TEST_ASSERT_EQUAL(reset_and_wait(p1), TEST_SUCCESS, "reset");
	TEST_ASSERT_EQUAL(txq_state(p1, 0), RTE_ETH_QUEUE_STATE_STOPPED,
			  "the Tx queue still stopped after the reset");
	EXPECT(&own, UINT16_MAX, -1, "still nothing sent");
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_start(p1, 0), "Tx start");
	EXPECT(&own, UINT16_MAX, 1, "traffic again");
	/* the next port start stops the deferred queues again */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(rxq_state(p1, 0), RTE_ETH_QUEUE_STATE_STOPPED,
			  "deferred again at the next start");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "mbufs back");
	return TEST_SUCCESS;
}

/* Send @p n frames to the port's MAC in bursts of 32, without polling. */
static int
send_many(unsigned int n)
{
	while (n > 0) {
		unsigned int k = RTE_MIN(n, 8u);

		TEST_ASSERT_EQUAL(send_n(k), TEST_SUCCESS, "frames");
		n -= k;
	}
	return TEST_SUCCESS;
}

/*
 * Rx descriptor status and queue count: DONE for each frame the device
 * completed and nobody polled, AVAIL for the posted WQEs after them,
 * -EINVAL past the ring; UNAVAIL and 0 on a stopped queue.
 */
static int
test_rx_descriptor_status(void)
{
	struct rte_mbuf *rx[8];
	unsigned int base = rte_mempool_in_use_count(mp);

	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_count(p1, 0), 0, "empty");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 0),
			  RTE_ETH_RX_DESC_AVAIL, "posted, nothing in it");
	TEST_ASSERT_EQUAL(send_n(3), TEST_SUCCESS, "3 frames");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_count(p1, 0), 3, "3 to poll");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 0),
			  RTE_ETH_RX_DESC_DONE, "first frame");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 2),
			  RTE_ETH_RX_DESC_DONE, "third frame");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 3),
			  RTE_ETH_RX_DESC_AVAIL, "after them");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 127),
			  RTE_ETH_RX_DESC_AVAIL, "the last descriptor");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 128), -EINVAL,
			  "past the ring of 128");
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, 0, rx, 1), 1, "poll one");
	rte_pktmbuf_free(rx[0]);
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_count(p1, 0), 2, "2 left");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 2),
			  RTE_ETH_RX_DESC_AVAIL, "one less DONE");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_stop(p1, 0), "Rx stop");
	TEST_ASSERT_EQUAL(rte_eth_rx_descriptor_status(p1, 0, 0),
			  RTE_ETH_RX_DESC_UNAVAIL, "a stopped queue");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_count(p1, 0), 0, "stopped: 0");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_queue_start(p1, 0), "Rx start");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_count(p1, 0), 0, "started empty");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "mbufs back");
	return TEST_SUCCESS;
}

/*
 * Tx descriptor status, in TXBBs from the producer index: a slot whose
 * last WQE is still the device's is FULL, DONE once a CQE completes it
 * (reaped or not) or when it was never used; -EINVAL past the usable
 * ring; UNAVAIL on a stopped queue.
 */
static int
test_tx_descriptor_status(void)
{
	const struct mlx4r_txq *txq;
	unsigned int base = rte_mempool_in_use_count(mp);
	uint32_t cnt, t;
	struct rte_mbuf *rx[32];
	uint16_t k;

	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	txq = rte_eth_devices[p1].data->tx_queues[0];
	cnt = txq->txbb_cnt;
	t = txq->comp_thresh;
	TEST_ASSERT(t > 34 && t < txq->txbb_max, "completion threshold %u", t);
	TEST_ASSERT_EQUAL(rte_eth_tx_descriptor_status(p1, 0, 0),
			  RTE_ETH_TX_DESC_DONE, "never used");
	TEST_ASSERT_EQUAL(rte_eth_tx_descriptor_status(p1, 0, txq->txbb_max),
			  -EINVAL, "past the usable ring");
	/* t - 1 frames: no completion asked for yet, all the device's */
	TEST_ASSERT_EQUAL(send_many(t - 1), TEST_SUCCESS, "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_descriptor_status(p1, 0, cnt - (t - 1)),
			  RTE_ETH_TX_DESC_FULL, "the first frame's slot");
	TEST_ASSERT_EQUAL(rte_eth_tx_descriptor_status(p1, 0, cnt - t),
			  RTE_ETH_TX_DESC_DONE, "the slot before it: unused");
	/* the t-th asks for a CQE, which completes all of them */
	TEST_ASSERT_EQUAL(send_n(2), TEST_SUCCESS, "two more");
	TEST_ASSERT_EQUAL(rte_eth_tx_descriptor_status(p1, 0, cnt - (t + 1)),
			  RTE_ETH_TX_DESC_DONE, "completed, not yet reaped");
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_stop(p1, 0), "Tx stop");
	TEST_ASSERT_EQUAL(rte_eth_tx_descriptor_status(p1, 0, 0),
			  RTE_ETH_TX_DESC_UNAVAIL, "a stopped queue");
	TEST_ASSERT_SUCCESS(rte_eth_dev_tx_queue_start(p1, 0), "Tx start");
	TEST_ASSERT_EQUAL(rte_eth_tx_descriptor_status(p1, 0, 0),
			  RTE_ETH_TX_DESC_DONE, "a new QP: every slot free");
	do {
		k = rte_eth_rx_burst(p1, 0, rx, RTE_DIM(rx));
		rte_pktmbuf_free_bulk(rx, k);
	} while (k > 0);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "mbufs back");
	return TEST_SUCCESS;
}

/*
 * FW version from the device's attributes (ibv_device_attr.fw_ver, the
 * emulated ConnectX-3's 2.42.5000), upstream's mlx4_fw_version_get
 * contract: 0, or the size needed with the NUL when the buffer is short;
 * the same after a reset.
 */
static int
test_fw_version(void)
{
	char buf[64], small[4];

	TEST_ASSERT_SUCCESS(rte_eth_dev_fw_version_get(p1, buf, sizeof(buf)),
			    "fw_version_get");
	TEST_ASSERT(strcmp(buf, "2.42.5000") == 0, "version %s", buf);
	TEST_ASSERT_EQUAL(rte_eth_dev_fw_version_get(p1, small, sizeof(small)),
			  (int)strlen("2.42.5000") + 1, "size needed");
	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(reset_and_wait(p1), TEST_SUCCESS, "reset");
	memset(buf, 0, sizeof(buf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_fw_version_get(p1, buf, sizeof(buf)),
			    "after the reset");
	TEST_ASSERT(strcmp(buf, "2.42.5000") == 0, "version %s", buf);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

static int
link_status(uint16_t port)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(port, &link) != 0)
		return -1;
	return link.link_status;
}

static int
netdev_up(void)
{
	struct mlx4r_emu_netdev_info ni;

	if (mlx4r_emu_netdev_info(mlx4r_emu_dev_lookup(HCA), 1, &ni) != 0)
		return -1;
	return ni.up;
}

/* Frames the emulated port dropped while closed (netdev down). */
static uint64_t
port_down_drops(void)
{
	struct mlx4r_emu_port_stats st;

	if (mlx4r_emu_port_stats(mlx4r_emu_dev_lookup(HCA), 1, &st) != 0)
		return UINT64_MAX;
	return st.rx_port_down;
}

/*
 * set link-down/up: the netdev's IFF_UP, as upstream's mlx4_dev_set_link;
 * with the interface down mlx4_en closes the port: nothing received, link
 * down. The link stays down through a port restart and a
 * proactive reset until set up.
 */
static int
test_link_up_down(void)
{
	struct rte_ether_addr own;
	uint64_t v;

	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	TEST_ASSERT_EQUAL(link_status(p1), RTE_ETH_LINK_UP, "link up");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_link_down(p1), "link down");
	TEST_ASSERT_EQUAL(netdev_up(), 0, "the netdev is down");
	TEST_ASSERT_EQUAL(link_status(p1), RTE_ETH_LINK_DOWN, "link down");
	v = port_down_drops();
	EXPECT(&own, UINT16_MAX, 0, "no traffic with the link down");
	TEST_ASSERT_EQUAL_U(port_down_drops() - v, 1,
			    "the closed port dropped the frame");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(netdev_up(), 0, "still down after a restart");
	TEST_ASSERT_EQUAL(link_status(p1), RTE_ETH_LINK_DOWN, "link down");
	EXPECT(&own, UINT16_MAX, 0, "still no traffic");
	TEST_ASSERT_EQUAL(reset_and_wait(p1), TEST_SUCCESS, "reset");
	TEST_ASSERT_EQUAL(netdev_up(), 0, "still down after a reset");
	TEST_ASSERT_EQUAL(link_status(p1), RTE_ETH_LINK_DOWN, "link down");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_link_up(p1), "link up");
	TEST_ASSERT_EQUAL(netdev_up(), 1, "the netdev is up");
	TEST_ASSERT_EQUAL(link_status(p1), RTE_ETH_LINK_UP, "link up");
	EXPECT(&own, UINT16_MAX, 1, "traffic again");
	/* on a stopped port: recorded, the netdev follows */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_link_down(p1), "down, stopped");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(link_status(p1), RTE_ETH_LINK_DOWN, "started down");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_link_up(p1), "link up");
	EXPECT(&own, UINT16_MAX, 1, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

static int
fc_mode(uint16_t port)
{
	struct rte_eth_fc_conf fc;
	int ret;

	memset(&fc, 0xff, sizeof(fc));
	ret = rte_eth_dev_flow_ctrl_get(port, &fc);
	if (ret != 0)
		return ret;
	if (fc.autoneg != 0)
		return -100; /* mlx4_en never negotiates pause */
	return fc.mode;
}

static int
fc_set(uint16_t port, enum rte_eth_fc_mode mode, uint8_t autoneg)
{
	struct rte_eth_fc_conf fc;

	memset(&fc, 0, sizeof(fc));
	fc.mode = mode;
	fc.autoneg = autoneg;
	return rte_eth_dev_flow_ctrl_set(port, &fc);
}

/*
 * Flow control: the netdev's pause parameters, as upstream's
 * mlx4_flow_ctrl_get/set: mlx4_en's default is pause both ways, autoneg
 * is never on and refused (-EINVAL, mlx4_en_set_pauseparam). A
 * catastrophic reset makes the netdev anew with the defaults: the replay
 * sets the application's choice again.
 */
static int
test_flow_ctrl(void)
{
	struct mlx4r_emu_netdev_info ni;
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i;
	uint32_t gen;

	TEST_ASSERT_EQUAL(fc_mode(p1), RTE_ETH_FC_FULL, "default: both ways");
	TEST_ASSERT_SUCCESS(fc_set(p1, RTE_ETH_FC_NONE, 0), "none");
	TEST_ASSERT_EQUAL(fc_mode(p1), RTE_ETH_FC_NONE, "none read back");
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_info(emu, 1, &ni), "netdev");
	TEST_ASSERT(!ni.rx_pause && !ni.tx_pause, "the port has no pause");
	TEST_ASSERT_SUCCESS(fc_set(p1, RTE_ETH_FC_RX_PAUSE, 0), "rx");
	TEST_ASSERT_EQUAL(fc_mode(p1), RTE_ETH_FC_RX_PAUSE, "rx read back");
	TEST_ASSERT_SUCCESS(fc_set(p1, RTE_ETH_FC_TX_PAUSE, 0), "tx");
	TEST_ASSERT_EQUAL(fc_mode(p1), RTE_ETH_FC_TX_PAUSE, "tx read back");
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_info(emu, 1, &ni), "netdev");
	TEST_ASSERT(!ni.rx_pause && ni.tx_pause, "the port sends pause only");
	TEST_ASSERT_EQUAL(fc_set(p1, RTE_ETH_FC_FULL, 1), -EINVAL,
			  "autoneg refused by mlx4_en");
	TEST_ASSERT_EQUAL(fc_set(p1, (enum rte_eth_fc_mode)7, 0), -EINVAL,
			  "an unknown mode");
	TEST_ASSERT_EQUAL(fc_mode(p1), RTE_ETH_FC_TX_PAUSE, "unchanged");
	/* a catastrophic error: the netdev made anew, the choice replayed */
	TEST_ASSERT_SUCCESS(fc_set(p1, RTE_ETH_FC_NONE, 0), "none");
	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	gen = st.generation;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 1), "fatal");
	for (i = 0; i < 50000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_LIVE && st.generation > gen)
			break;
		rte_delay_us_sleep(100);
	}
	TEST_ASSERT(st.generation > gen, "recovered");
	TEST_ASSERT_EQUAL(fc_mode(p1), RTE_ETH_FC_NONE,
			  "flow control replayed on the new netdev");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* One frame of 64 bytes to the port's MAC, back: its length and bytes. */
static int
loop_frame(uint8_t *out, uint32_t *len)
{
	struct rte_ether_addr own;
	struct rte_mbuf *m[1], *rx[1];
	int tries;

	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	m[0] = make_frame(&own, UINT16_MAX);
	TEST_ASSERT_NOT_NULL(m[0], "frame");
	memcpy(out, rte_pktmbuf_mtod(m[0], uint8_t *), 64);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 1), 1, "sent");
	for (tries = 0; tries < 16; tries++)
		if (rte_eth_rx_burst(p1, 0, rx, 1) == 1)
			break;
	TEST_ASSERT(tries < 16, "received");
	*len = rx[0]->pkt_len;
	TEST_ASSERT(rx[0]->nb_segs == 1 && *len <= 128, "one segment");
	memcpy(out + 64, rte_pktmbuf_mtod(rx[0], uint8_t *), *len);
	rte_pktmbuf_free(rx[0]);
	return TEST_SUCCESS;
}

/*
 * CRC keeping (RTE_ETH_RX_OFFLOAD_KEEP_CRC), offered when the firmware
 * keeps the FCS (IBV_RAW_PACKET_CAP_SCATTER_FCS): the WQ scatters the
 * frame's FCS after it (IBV_WQ_FLAGS_SCATTER_FCS) and the mbuf holds it,
 * 4 more bytes, the CRC-32 of the frame; stripped otherwise; kept after a
 * proactive reset.
 */
static int
test_keep_crc(void)
{
	struct rte_eth_dev_info info;
	uint8_t b[64 + 128];
	uint32_t len, crc;

	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_KEEP_CRC,
		    "KEEP_CRC offered");
	TEST_ASSERT(info.rx_queue_offload_capa & RTE_ETH_RX_OFFLOAD_KEEP_CRC,
		    "a queue offload");
	TEST_ASSERT_EQUAL(port_up_offloads(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(loop_frame(b, &len), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL_U(len, 64, "the FCS stripped by default");
	TEST_ASSERT(memcmp(b, b + 64, 64) == 0, "the frame");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(port_up_offloads(p1, RTE_ETH_RX_OFFLOAD_KEEP_CRC),
			  TEST_SUCCESS, "up, keeping the CRC");
	TEST_ASSERT_EQUAL(loop_frame(b, &len), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL_U(len, 64 + RTE_ETHER_CRC_LEN, "the FCS kept");
	TEST_ASSERT(memcmp(b, b + 64, 64) == 0, "the frame, then");
	crc = rte_net_crc_calc(b, 64, RTE_NET_CRC32_ETH);
	TEST_ASSERT(b[128] == (crc & 0xff) && b[129] == ((crc >> 8) & 0xff) &&
		    b[130] == ((crc >> 16) & 0xff) && b[131] == crc >> 24,
		    "its CRC-32, least significant byte first (%08x)", crc);
	TEST_ASSERT_EQUAL(reset_and_wait(p1), TEST_SUCCESS, "reset");
	TEST_ASSERT_EQUAL(loop_frame(b, &len), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL_U(len, 64 + RTE_ETHER_CRC_LEN, "kept after reset");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

#define NOFCS "net_mlx4r_par_nofcs"

/*
 * Firmware without FCS_KEEP: no KEEP_CRC offered (ethdev refuses it), and
 * Linux 6.1 mlx4_ib refuses every WQ there (qp.c mlx4_ib_create_wq:
 * -EOPNOTSUPP), so the port cannot start, as upstream could not.
 */
static int
test_keep_crc_missing(void)
{
	struct mlx4r_emu_dev_conf ec;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t p;
	int ret;

	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	ec.no_fcs_keep = true;
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create(NOFCS, &ec), "device");
	ret = rte_vdev_init(NOFCS, "wire=loopback");
	if (ret == 0)
		ret = rte_eth_dev_get_port_by_name(NOFCS, &p);
	if (ret == 0)
		ret = rte_eth_dev_info_get(p, &info);
	if (ret == 0 && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_KEEP_CRC))
		ret = -1000;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_KEEP_CRC;
	if (ret == 0 && rte_eth_dev_configure(p, 1, 1, &conf) != -EINVAL)
		ret = -1001;
	conf.rxmode.offloads = 0;
	if (ret == 0)
		ret = rte_eth_dev_configure(p, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(p, 0, 128, SOCKET_ID_ANY, NULL,
					     mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(p, 0, 128, SOCKET_ID_ANY, NULL);
	if (ret == 0 && rte_eth_dev_start(p) != -EOPNOTSUPP)
		ret = -1002;
	rte_vdev_uninit(NOFCS);
	mlx4r_emu_dev_destroy(NOFCS);
	TEST_ASSERT_SUCCESS(ret, "no KEEP_CRC, no WQ (%d)", ret);
	return TEST_SUCCESS;
}

static int
hca_passive(void)
{
	if (rte_vdev_init(HCA, "wire=loopback,recovery=passive") != 0 ||
	    rte_eth_dev_get_port_by_name(HCA, &p1) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

/*
 * Passive mode: a catastrophic error, the application's port reset (its
 * acknowledgement), then its configure, set-up and start. What ethdev and
 * the port keep through rte_eth_dev_reset() is applied at that start: the
 * multicast list, the VLAN IDs, the flow control, a link set down (here
 * set while the device is away, recorded).
 */
static int
test_passive_kept(void)
{
	struct rte_ether_addr own, list[1] = { grp1 };
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_eth_conf conf;
	unsigned int i;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_VLAN_FILTER;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_vlan_filter(p1, 100, 1), "VLAN 100");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mc_addr_list(p1, list, 1), "list");
	TEST_ASSERT_SUCCESS(fc_set(p1, RTE_ETH_FC_NONE, 0), "no pause");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	EXPECT(&grp1, 100, 1, "the group on VLAN 100");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 1), "fatal");
	for (i = 0; i < 50000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_DRAINING)
			break;
		rte_delay_us_sleep(100);
	}
	TEST_ASSERT_EQUAL(st.phase, RTE_PMD_MLX4R_RESET_DRAINING,
			  "waiting for the acknowledgement");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "acknowledged");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_link_down(p1),
			    "link down, while the device is away or back");
	for (i = 0; i < 50000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_LIVE && st.generation > 1)
			break;
		rte_delay_us_sleep(100);
	}
	TEST_ASSERT(st.generation > 1, "the device is back");
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(netdev_up(), 0, "the link set down kept");
	TEST_ASSERT_EQUAL(fc_mode(p1), RTE_ETH_FC_NONE,
			  "flow control kept (the new netdev had pause on)");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_link_up(p1), "link up");
	EXPECT(&grp1, 100, 1, "the group on VLAN 100 kept");
	EXPECT(&grp1, UINT16_MAX, 0, "untagged filtered: the VLAN kept");
	EXPECT(&own, 200, 0, "another VLAN filtered");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

static struct unit_test_suite mlx4r_parity_suite = {
	.suite_name = "mlx4r features of upstream net_mlx4",
	.setup = par_setup,
	.teardown = par_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(hca_loopback, hca_down, test_mc_addr_list),
		TEST_CASE_ST(hca_loopback, hca_down,
			     test_mc_addr_list_persists),
		TEST_CASE_ST(hca_loopback, hca_down, test_vlan_filter),
		TEST_CASE_ST(hca_loopback, hca_down,
			     test_vlan_filter_persists),
		TEST_CASE_ST(hca_loopback, hca_down, test_queue_start_stop),
		TEST_CASE_ST(hca_loopback, hca_down,
			     test_queue_deferred_reset),
		TEST_CASE_ST(hca_loopback, hca_down,
			     test_rx_descriptor_status),
		TEST_CASE_ST(hca_loopback, hca_down,
			     test_tx_descriptor_status),
		TEST_CASE_ST(hca_loopback, hca_down, test_fw_version),
		TEST_CASE_ST(hca_loopback, hca_down, test_link_up_down),
		TEST_CASE_ST(hca_loopback, hca_down, test_flow_ctrl),
		TEST_CASE_ST(hca_loopback, hca_down, test_keep_crc),
		TEST_CASE(test_keep_crc_missing),
		TEST_CASE_ST(hca_passive, hca_down, test_passive_kept),
		TEST_CASES_END()
	}
};

static int
mlx4r_parity_autotest(void)
{
	return unit_test_suite_runner(&mlx4r_parity_suite);
}

REGISTER_TEST_COMMAND(mlx4r_parity_autotest, mlx4r_parity_autotest);
