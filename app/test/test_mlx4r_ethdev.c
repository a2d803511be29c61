/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The control path of a net_mlx4r port through the ethdev API, on the
 * emulated device: limits, configuration errors, descriptor rounding,
 * start/stop, link, traffic over the loopback mode and the xconnect and
 * none wires, statistics, and every mbuf back in its pool.
 */

#include <errno.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "test.h"
#include "test_common.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 2047
#define BURST 32

static struct rte_mempool *mp;
static uint16_t p1, p2;	/* the two ports of net_mlx4r_e0 */

static int
ethdev_setup(void)
{
	mp = rte_pktmbuf_pool_create("ethdev_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
ethdev_teardown(void)
{
	rte_mempool_free(mp);
	mp = NULL;
}

static int
hca_setup(void)
{
	if (rte_vdev_init("net_mlx4r_e0", "ports=2,wire=xconnect") != 0)
		return TEST_FAILED;
	if (rte_eth_dev_get_port_by_name("net_mlx4r_e0", &p1) != 0 ||
	    rte_eth_dev_get_port_by_name("net_mlx4r_e0_port2", &p2) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
hca_teardown(void)
{
	rte_vdev_uninit("net_mlx4r_e0");
}

/* configure + one Rx and one Tx queue + start */
static int
port_up(uint16_t port, uint32_t lpbk)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.lpbk_mode = lpbk;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(port, 1, 1, &conf),
			    "configure port %u", port);
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(port, 0, 256, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(port), "start port %u", port);
	return TEST_SUCCESS;
}

/* n frames of len bytes to the MAC of port dst; byte 14 is the index */
static int
alloc_frames(struct rte_mbuf **m, unsigned int n, uint16_t len, uint16_t dst)
{
	struct rte_ether_addr mac;
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(dst, &mac), "MAC");
	TEST_ASSERT_SUCCESS(rte_pktmbuf_alloc_bulk(mp, m, n), "alloc");
	for (i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], len);

		TEST_ASSERT_NOT_NULL(p, "append");
		memset(p, (int)i, len);
		memcpy(p, &mac, RTE_ETHER_ADDR_LEN);
	}
	return TEST_SUCCESS;
}

static int
test_dev_info(void)
{
	struct rte_eth_dev_info info;

	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT_STR_EQUAL(info.driver_name, "net_mlx4r", "driver name");
	TEST_ASSERT_EQUAL(info.max_rx_queues, 16, "max Rx queues");
	TEST_ASSERT_EQUAL(info.max_tx_queues, 16, "max Tx queues");
	TEST_ASSERT_EQUAL(info.min_mtu, RTE_ETHER_MIN_MTU, "min MTU");
	TEST_ASSERT_EQUAL(info.max_mtu, 9600, "max MTU");
	TEST_ASSERT_EQUAL(info.rx_desc_lim.nb_max, 8192, "Rx desc max");
	/* rings are powers of two of at least 64: say so (issue 13) */
	TEST_ASSERT_EQUAL(info.rx_desc_lim.nb_min, 64, "Rx desc min");
	TEST_ASSERT_EQUAL(info.rx_desc_lim.nb_align, 64, "Rx desc alignment");
	TEST_ASSERT_EQUAL(info.tx_desc_lim.nb_max, 8192, "Tx desc max");
	TEST_ASSERT_EQUAL(info.tx_desc_lim.nb_min, 64, "Tx desc min");
	TEST_ASSERT_EQUAL(info.tx_desc_lim.nb_align, 64, "Tx desc alignment");
	TEST_ASSERT_EQUAL(info.max_mac_addrs, 16, "MAC addresses");
	/* features/mlx4r.ini: Speed capabilities = P (no speed setting) */
	TEST_ASSERT_EQUAL(info.speed_capa, RTE_ETH_LINK_SPEED_1G |
			  RTE_ETH_LINK_SPEED_10G | RTE_ETH_LINK_SPEED_20G |
			  RTE_ETH_LINK_SPEED_40G | RTE_ETH_LINK_SPEED_56G,
			  "speeds of a ConnectX-3 port");
	/* Link status event, Removal event */
	TEST_ASSERT(*info.dev_flags & RTE_ETH_DEV_INTR_LSC,
		    "LSC interrupts");
	TEST_ASSERT(*info.dev_flags & RTE_ETH_DEV_INTR_RMV,
		    "removal interrupts");
	return TEST_SUCCESS;
}

static int
test_configure_errors(void)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(p1, 17, 1, &conf), -EINVAL,
			  "17 Rx queues");
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(p1, 1, 17, &conf), -EINVAL,
			  "17 Tx queues");
	conf.lpbk_mode = 2;
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(p1, 1, 1, &conf), -EINVAL,
			  "loopback mode 2");
	conf.lpbk_mode = 0;
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_VMDQ_ONLY;
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(p1, 1, 1, &conf), -EINVAL,
			  "VMDq");
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 2, 2, &conf),
			    "2 + 2 queues");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 2, 64, SOCKET_ID_ANY,
						 NULL, mp), -EINVAL,
			  "Rx queue 2 of 2");
	TEST_ASSERT_EQUAL(rte_eth_tx_queue_setup(p1, 2, 64, SOCKET_ID_ANY,
						 NULL), -EINVAL,
			  "Tx queue 2 of 2");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 0, 64, SOCKET_ID_ANY,
						 NULL, NULL), -EINVAL,
			  "Rx queue without mempool");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 0, 16384, SOCKET_ID_ANY,
						 NULL, mp), -EINVAL,
			  "more descriptors than the limit");
	return TEST_SUCCESS;
}

static int
test_desc_rounding(void)
{
	struct rte_eth_rxq_info rxi;
	struct rte_eth_txq_info txi;
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 2, 2, &conf), "cfg");
	/* below nb_min, or not a multiple of nb_align: refused by ethdev */
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 0, 32, SOCKET_ID_ANY,
						 NULL, mp), -EINVAL, "32 Rx desc");
	TEST_ASSERT_EQUAL(rte_eth_tx_queue_setup(p1, 0, 1, SOCKET_ID_ANY,
						 NULL), -EINVAL, "1 Tx desc");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 0, 100, SOCKET_ID_ANY,
						 NULL, mp), -EINVAL, "100 Rx desc");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 192, SOCKET_ID_ANY,
						   NULL, mp), "rxq 0");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 1, 0, SOCKET_ID_ANY,
						   NULL, mp), "rxq 1");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 64, SOCKET_ID_ANY,
						   NULL), "txq 0");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 1, 4096, SOCKET_ID_ANY,
						   NULL), "txq 1");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_info_get(p1, 0, &rxi), "rxi 0");
	TEST_ASSERT_EQUAL(rxi.nb_desc, 256, "192 rounds up to 256");
	TEST_ASSERT_EQUAL(rxi.mp, mp, "mempool reported");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_info_get(p1, 1, &rxi), "rxi 1");
	TEST_ASSERT_EQUAL(rxi.nb_desc, 512, "0 means the default");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_info_get(p1, 0, &txi), "txi 0");
	TEST_ASSERT_EQUAL(txi.nb_desc, 64, "the minimum");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_info_get(p1, 1, &txi), "txi 1");
	TEST_ASSERT_EQUAL(txi.nb_desc, 4096, "a power of two stays");
	return TEST_SUCCESS;
}

static int
test_start_stop_link(void)
{
	struct rte_eth_link link;

	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, RTE_ETH_LINK_DOWN,
			  "down before start");
	TEST_ASSERT_EQUAL(port_up(p1, 0), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start again is a no-op");
	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, RTE_ETH_LINK_UP, "up when started");
	TEST_ASSERT_EQUAL(link.link_speed, RTE_ETH_SPEED_NUM_40G, "40G");
	TEST_ASSERT_EQUAL(link.link_duplex, RTE_ETH_LINK_FULL_DUPLEX, "full");
	TEST_ASSERT_EQUAL(rte_eth_dev_close(p1), -EINVAL,
			  "ethdev refuses to close a started port");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop again is a no-op");
	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, RTE_ETH_LINK_DOWN,
			  "down after stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "restart");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

static int
test_loopback_traffic(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST * 2];
	struct rte_eth_stats st;
	unsigned int base = rte_mempool_in_use_count(mp);
	uint16_t n, i;

	TEST_ASSERT_EQUAL(port_up(p1, 1), TEST_SUCCESS, "up in loopback");
	TEST_ASSERT_EQUAL(alloc_frames(tx, BURST, 100, p1), TEST_SUCCESS,
			  "frames");
	n = rte_eth_tx_burst(p1, 0, tx, BURST);
	TEST_ASSERT_EQUAL(n, BURST, "all sent");
	n = rte_eth_rx_burst(p1, 0, rx, RTE_DIM(rx));
	TEST_ASSERT_EQUAL(n, BURST, "all looped back");
	for (i = 0; i < n; i++) {
		TEST_ASSERT_EQUAL(rx[i]->port, p1, "mbuf port");
		TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[i]), 100, "length");
		TEST_ASSERT_EQUAL(*rte_pktmbuf_mtod_offset(rx[i], uint8_t *,
							   14), i,
				  "order and content");
	}
	rte_pktmbuf_free_bulk(rx, n);
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p2, 0, rx, 1), 0,
			  "nothing reaches the other port (not even started)");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.opackets, BURST, "opackets");
	TEST_ASSERT_EQUAL_U(st.obytes, BURST * 100, "obytes");
	TEST_ASSERT_EQUAL_U(st.ipackets, BURST, "ipackets");
	TEST_ASSERT_EQUAL_U(st.ibytes, BURST * 100, "ibytes");
	TEST_ASSERT_EQUAL_U(st.q_ipackets[0], BURST, "queue 0 ipackets");
	TEST_ASSERT_EQUAL_U(st.q_opackets[0], BURST, "queue 0 opackets");
	TEST_ASSERT_SUCCESS(rte_eth_stats_reset(p1), "reset");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.ipackets + st.opackets + st.ibytes + st.obytes,
			    0, "zero after reset");

	/* frames left in the rings go back to the pool at stop */
	TEST_ASSERT_EQUAL(alloc_frames(tx, BURST, 60, p1), TEST_SUCCESS,
			  "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, BURST), BURST, "sent");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base,
			  "mbufs back in the pool");
	return TEST_SUCCESS;
}

static int
test_cross_connect(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	struct rte_eth_stats st;
	unsigned int base = rte_mempool_in_use_count(mp);

	TEST_ASSERT_EQUAL(port_up(p1, 0), TEST_SUCCESS, "port 1 up");
	TEST_ASSERT_EQUAL(port_up(p2, 0), TEST_SUCCESS, "port 2 up");
	TEST_ASSERT_EQUAL(alloc_frames(tx, BURST, 64, p2), TEST_SUCCESS,
			  "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, BURST), BURST, "sent");
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, 0, rx, BURST), 0,
			  "port 1 does not hear itself");
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p2, 0, rx, BURST), BURST,
			  "port 2 receives what port 1 sent");
	rte_pktmbuf_free_bulk(rx, BURST);
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p2, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.ipackets, BURST, "port 2 ipackets");
	TEST_ASSERT_EQUAL_U(st.opackets, 0, "port 2 opackets");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "pool baseline");
	return TEST_SUCCESS;
}

/*
 * A one-port HCA on wire=none: frames leave and are dropped by the
 * device; their mbufs return at completion (every min(64, ring/4) TXBBs)
 * or at stop at the latest.
 */
static int
test_no_peer(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	unsigned int base = rte_mempool_in_use_count(mp), i;
	struct rte_eth_stats st;
	uint16_t p;

	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_e1", "wire=none"),
			    "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_e1", &p),
			    "port");
	TEST_ASSERT_EQUAL(port_up(p, 0), TEST_SUCCESS, "up");
	for (i = 0; i < 8; i++) {
		TEST_ASSERT_EQUAL(alloc_frames(tx, BURST, 64, p), TEST_SUCCESS,
				  "frames");
		TEST_ASSERT_EQUAL(rte_eth_tx_burst(p, 0, tx, BURST), BURST,
				  "sent");
	}
	/* 256 posted on a ring of 256: completions have freed most */
	TEST_ASSERT(rte_mempool_in_use_count(mp) - base < 256 + 8 * BURST,
		    "completions free Tx mbufs (%u in use)",
		    rte_mempool_in_use_count(mp) - base);
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p, 0, rx, BURST), 0, "no Rx");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.opackets, 8 * BURST, "opackets");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base,
			  "every mbuf back after stop");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_e1"), "remove");
	return TEST_SUCCESS;
}

static int
test_modes_mac_mtu(void)
{
	struct rte_ether_addr mac = {
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x42 } }, got;
	struct rte_eth_conf conf;
	uint16_t mtu;

	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promisc on");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_get(p1), 1, "promisc state");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_disable(p1), "promisc off");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_get(p1), 0, "promisc state");
	TEST_ASSERT_SUCCESS(rte_eth_allmulticast_enable(p1), "allmulti on");
	TEST_ASSERT_EQUAL(rte_eth_allmulticast_get(p1), 1, "allmulti state");
	TEST_ASSERT_SUCCESS(rte_eth_allmulticast_disable(p1), "allmulti off");
	TEST_ASSERT_SUCCESS(rte_eth_dev_default_mac_addr_set(p1, &mac), "MAC");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &got), "get MAC");
	TEST_ASSERT(rte_is_same_ether_addr(&mac, &got), "MAC stored");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mtu(p1, 9000), -EINVAL,
			  "ethdev wants a configured port");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mtu(p1, 9000), "MTU 9000");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_mtu(p1, &mtu), "get MTU");
	TEST_ASSERT_EQUAL(mtu, 9000, "MTU stored");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mtu(p1, 9601), -EINVAL, "MTU > max");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mtu(p1, 67), -EINVAL, "MTU < min");
	return TEST_SUCCESS;
}

#define NDEV "net_mlx4r_nd"

/* A one-port HCA in loopback on an emulated device configured here. */
static int
nd_hca_up(const struct mlx4r_emu_dev_conf *conf, uint16_t *port)
{
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create(NDEV, conf), "device");
	TEST_ASSERT_SUCCESS(rte_vdev_init(NDEV, "wire=loopback"), "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(NDEV, port), "port");
	return TEST_SUCCESS;
}

static void
nd_hca_down(void)
{
	rte_vdev_uninit(NDEV);
	mlx4r_emu_dev_destroy(NDEV);
}

/* Send n frames of len bytes to the port itself; how many came back. */
static unsigned int
nd_loop(uint16_t port, unsigned int n, uint16_t len)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	unsigned int got = 0;
	int tries;

	if (n > BURST || alloc_frames(tx, n, len, port) != TEST_SUCCESS)
		return UINT32_MAX;
	if (rte_eth_tx_burst(port, 0, tx, n) != n)
		return UINT32_MAX;
	for (tries = 0; tries < 8; tries++) {
		uint16_t k = rte_eth_rx_burst(port, 0, rx, BURST);

		rte_pktmbuf_free_bulk(rx, k);
		got += k;
	}
	return got;
}

/*
 * mlx4_en's interface must be up for the port to receive (Linux
 * en_netdev.c mlx4_en_stop_port: mlx4_CLOSE_PORT): the driver brings it
 * up at probe and at start, as upstream net_mlx4 does at probe, and reads
 * its MTU at probe (mlx4_mtu_get).
 */
static int
test_netdev_up(void)
{
	struct mlx4r_emu_dev_conf ec;
	struct mlx4r_emu_netdev_info ni;
	struct mlx4r_emu_port_stats st;
	struct mlx4r_emu_dev *emu;
	struct rte_eth_link link;
	uint16_t p, mtu;
	int ret = TEST_FAILED;

	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create(NDEV, &ec), "device");
	emu = mlx4r_emu_dev_lookup(NDEV);
	/* created down; an MTU of 2000 configured on it beforehand */
	if (mlx4r_emu_netdev_set_mtu(emu, 1, 2000) != 0 ||
	    rte_vdev_init(NDEV, "wire=loopback") != 0 ||
	    rte_eth_dev_get_port_by_name(NDEV, &p) != 0)
		goto out;
	if (mlx4r_emu_netdev_info(emu, 1, &ni) != 0 || !ni.up) {
		printf("the netdev is not up after probe\n");
		goto out;
	}
	if (rte_eth_dev_get_mtu(p, &mtu) != 0 || mtu != 2000) {
		printf("MTU %u read at probe, 2000 expected\n", mtu);
		goto out;
	}
	if (port_up(p, 0) != TEST_SUCCESS || nd_loop(p, 8, 100) != 8) {
		printf("no traffic with the netdev up\n");
		goto out;
	}
	/* an administrator takes it down: nothing comes in, link down */
	mlx4r_emu_netdev_set_up(emu, 1, false);
	if (nd_loop(p, 8, 100) != 0 ||
	    mlx4r_emu_port_stats(emu, 1, &st) != 0 || st.rx_port_down != 8) {
		printf("frames received with the netdev down\n");
		goto out;
	}
	if (rte_eth_link_get_nowait(p, &link) != 0 ||
	    link.link_status != RTE_ETH_LINK_DOWN) {
		printf("link up with the netdev down\n");
		goto out;
	}
	/* a restart brings it up again */
	if (rte_eth_dev_stop(p) != 0 || rte_eth_dev_start(p) != 0 ||
	    mlx4r_emu_netdev_info(emu, 1, &ni) != 0 || !ni.up ||
	    nd_loop(p, 8, 100) != 8) {
		printf("start did not bring the netdev up\n");
		goto out;
	}
	if (rte_eth_link_get_nowait(p, &link) != 0 ||
	    link.link_status != RTE_ETH_LINK_UP) {
		printf("link down after start\n");
		goto out;
	}
	ret = rte_eth_dev_stop(p) == 0 ? TEST_SUCCESS : TEST_FAILED;
out:
	nd_hca_down();
	return ret;
}

/*
 * The port's MTU is its netdev's: mtu_set sets it (SIOCSIFMTU, as
 * upstream's mlx4_mtu_set), what the netdev refuses is refused, and the
 * port drops frames above MTU + 14 + 8 (mlx4_SET_PORT_general).
 */
static int
test_netdev_mtu(void)
{
	struct mlx4r_emu_dev_conf ec;
	struct mlx4r_emu_netdev_info ni;
	struct mlx4r_emu_port_stats st;
	struct mlx4r_emu_dev *emu;
	struct rte_eth_conf conf;
	uint16_t p, mtu;
	int ret = TEST_FAILED;

	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	ec.max_mtu = 4000; /* the port's eth_mtu_cap */
	if (nd_hca_up(&ec, &p) != TEST_SUCCESS)
		goto out;
	emu = mlx4r_emu_dev_lookup(NDEV);
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(p, 1, 1, &conf) != 0 ||
	    rte_eth_dev_set_mtu(p, 1800) != 0 ||
	    mlx4r_emu_netdev_info(emu, 1, &ni) != 0 || ni.mtu != 1800) {
		printf("MTU 1800 not set on the netdev\n");
		goto out;
	}
	if (rte_eth_dev_set_mtu(p, 9000) != -EINVAL ||
	    rte_eth_dev_get_mtu(p, &mtu) != 0 || mtu != 1800) {
		printf("the netdev's refusal of 9000 not passed on\n");
		goto out;
	}
	if (rte_eth_rx_queue_setup(p, 0, 256, SOCKET_ID_ANY, NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(p, 0, 256, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(p) != 0)
		goto out;
	/* 1800 + 22 bytes come in; one more is dropped by the port */
	if (nd_loop(p, 4, 1800 + 22) != 4 || nd_loop(p, 4, 1800 + 23) != 0 ||
	    mlx4r_emu_port_stats(emu, 1, &st) != 0 || st.rx_oversize != 4) {
		printf("MTU not applied by the port\n");
		goto out;
	}
	/* an MTU the netdev had lost (e.g. a reset) is set again at start */
	if (rte_eth_dev_stop(p) != 0 ||
	    mlx4r_emu_netdev_set_mtu(emu, 1, 1500) != 0 ||
	    rte_eth_dev_start(p) != 0 ||
	    mlx4r_emu_netdev_info(emu, 1, &ni) != 0 || ni.mtu != 1800) {
		printf("start did not set the MTU again\n");
		goto out;
	}
	ret = rte_eth_dev_stop(p) == 0 ? TEST_SUCCESS : TEST_FAILED;
out:
	nd_hca_down();
	return ret;
}

/* The link speed is what ethtool says of the netdev, not a fixed 40G. */
static int
test_netdev_speed(void)
{
	struct mlx4r_emu_dev_conf ec;
	struct rte_eth_link link;
	uint16_t p;
	int ret = TEST_FAILED;

	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	ec.speed = 10000;
	if (nd_hca_up(&ec, &p) != TEST_SUCCESS || port_up(p, 0) != TEST_SUCCESS)
		goto out;
	if (rte_eth_link_get_nowait(p, &link) != 0 ||
	    link.link_status != RTE_ETH_LINK_UP ||
	    link.link_speed != RTE_ETH_SPEED_NUM_10G ||
	    link.link_duplex != RTE_ETH_LINK_FULL_DUPLEX) {
		printf("link %u Mb/s, status %u: 10G up expected\n",
		       link.link_speed, link.link_status);
		goto out;
	}
	ret = rte_eth_dev_stop(p) == 0 ? TEST_SUCCESS : TEST_FAILED;
out:
	nd_hca_down();
	return ret;
}

static struct unit_test_suite ethdev_suite = {
	.suite_name = "mlx4r ethdev operations",
	.setup = ethdev_setup,
	.teardown = ethdev_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(hca_setup, hca_teardown, test_dev_info),
		TEST_CASE_ST(hca_setup, hca_teardown, test_configure_errors),
		TEST_CASE_ST(hca_setup, hca_teardown, test_desc_rounding),
		TEST_CASE_ST(hca_setup, hca_teardown, test_start_stop_link),
		TEST_CASE_ST(hca_setup, hca_teardown, test_loopback_traffic),
		TEST_CASE_ST(hca_setup, hca_teardown, test_cross_connect),
		TEST_CASE(test_no_peer),
		TEST_CASE_ST(hca_setup, hca_teardown, test_modes_mac_mtu),
		TEST_CASE(test_netdev_up),
		TEST_CASE(test_netdev_mtu),
		TEST_CASE(test_netdev_speed),
		TEST_CASES_END()
	}
};

static int
mlx4r_ethdev_autotest(void)
{
	return unit_test_suite_runner(&ethdev_suite);
}

REGISTER_TEST_COMMAND(mlx4r_ethdev_autotest, mlx4r_ethdev_autotest);
