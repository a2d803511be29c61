/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The coordinated soft reset through public interfaces: ethdev, the
 * driver's rte_pmd_mlx4r.h, ethdev events, mempool counts, the heap.
 * Proactive and passive modes, errno per phase, configuration replay,
 * queue addresses, generation, failure with RECOVERY_FAILED then INTR_RMV,
 * coalescing, late clients, close during each phase, and bursts on
 * another lcore while the main lcore resets the device again and again.
 *
 * The suite links the driver whole, so a case may look at a queue through
 * mlx4r.h where no public call says what it needs (the address of a queue,
 * an lcore "stuck" inside a burst).
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "test.h"
#include "test_common.h"

#include "mlx4r.h"
#include "mlx4r_core.h"
#include "mlx4r_quiesce.h"
#include "mlx4r_reset.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 4095
#define BURST 32
#define HCA "net_mlx4r_r0"
#define HCA_PORT2 "net_mlx4r_r0_port2"
#define WAIT_MS 5000

static struct rte_mempool *mp;
static uint16_t p1, p2;
static uint64_t heap_base;

static int
suite_setup(void)
{
	mp = rte_pktmbuf_pool_create("reset_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return TEST_FAILED;
	test_ev_register(true, NULL);
	/* a first probe allocates what ethdev keeps for the process */
	if (rte_vdev_init(HCA, "") != 0 || rte_vdev_uninit(HCA) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
suite_teardown(void)
{
	test_ev_register(false, NULL);
	rte_mempool_free(mp);
	mp = NULL;
}

/* Probe HCA with @p args; p1 (and p2 with two ports). */
static int
hca_up(const char *args)
{
	heap_base = test_heap_allocated();
	test_ev_clear();
	TEST_ASSERT_SUCCESS(rte_vdev_init(HCA, args), "probe %s", args);
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(HCA, &p1), "p1");
	if (rte_eth_dev_get_port_by_name(HCA_PORT2, &p2) != 0)
		p2 = UINT16_MAX;
	return TEST_SUCCESS;
}

/* Remove the HCA: every mbuf and every heap byte back. */
static int
hca_down(void)
{
	TEST_ASSERT_SUCCESS(rte_vdev_uninit(HCA), "remove");
	return test_nothing_leaked(mp, heap_base);
}

static void
case_teardown(void)
{
	/* a failed case may leave the HCA: remove it for the next one */
	rte_vdev_uninit(HCA);
	/* and an emulated device a case configured itself */
	mlx4r_emu_dev_destroy(HCA);
}

/* Configure @p port with @p conf and @p nq queue pairs of 256, start it. */
static int
port_up_conf(uint16_t port, uint16_t nq, const struct rte_eth_conf *conf)
{
	uint16_t q;

	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(port, nq, nq, conf),
			    "configure %u", port);
	for (q = 0; q < nq; q++) {
		TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(port, q, 256,
				    SOCKET_ID_ANY, NULL, mp), "rxq %u", q);
		TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(port, q, 256,
				    SOCKET_ID_ANY, NULL), "txq %u", q);
	}
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(port), "start %u", port);
	return TEST_SUCCESS;
}

static int
port_up(uint16_t port, uint16_t nq, bool rss)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4 |
						   RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	}
	return port_up_conf(port, nq, &conf);
}

static int
test_devargs_and_mode(void)
{
	struct rte_eth_dev_info info;

	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "recovery=sometimes"), "bad mode");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "recovery_attempts=0"), "0");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "reset_deadline_ms=x"), "x");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "reinit_timeout_ms=0"), "0 ms");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "fault=melt@10"), "fault");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "fault=fatal"), "no @");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "catas_time_pct=0"), "0 %%");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "catas_time_pct=1001"), "1001 %%");
	TEST_ASSERT_FAIL(rte_vdev_init(HCA, "backend=verbs,catas_time_pct=50"),
			 "emulated device only");
	TEST_ASSERT_EQUAL(hca_up(""), TEST_SUCCESS, "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT_EQUAL(info.err_handle_mode,
			  RTE_ETH_ERROR_HANDLE_MODE_PROACTIVE, "default");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");
	TEST_ASSERT_EQUAL(hca_up("recovery=passive,recovery_attempts=2,reset_deadline_ms=50,fault=link_flap/10@100000"),
			  TEST_SUCCESS, "probe passive");
	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT_EQUAL(info.err_handle_mode,
			  RTE_ETH_ERROR_HANDLE_MODE_PASSIVE, "passive");
	TEST_ASSERT_EQUAL(rte_pmd_mlx4r_reset(RTE_MAX_ETHPORTS), -ENODEV,
			  "bad port");
	TEST_ASSERT_EQUAL(rte_pmd_mlx4r_inject_fault(p1, 99, 0), -EINVAL,
			  "bad fault");
	TEST_ASSERT_EQUAL(rte_pmd_mlx4r_inject_fault(p1,
			  RTE_PMD_MLX4R_FAULT_QP_ERROR, 0), -EINVAL,
			  "no Tx queue yet");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");
	/* the emulated device's timeline at Linux's own pace */
	TEST_ASSERT_EQUAL(hca_up("catas_time_pct=100,recovery_attempts=1,reinit_timeout_ms=1"),
			  TEST_SUCCESS, "probe");
	{
		struct mlx4r_emu_dev_info info;
		struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);

		TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fatal(emu, 0), "fatal");
		TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu, &info), "info");
		TEST_ASSERT(info.catas_next_ms > MLX4R_EMU_CATAS_UNLOAD_MS / 2,
			    "dying for %u ms", info.catas_next_ms);
	}
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_FAILED, 1, 3000),
			  TEST_SUCCESS, "no device within 1 ms");
	return hca_down();
}

/*
 * Proactive recovery from a catastrophic error: events in order,
 * configuration replayed, queue addresses kept, generation +1, mbufs back,
 * traffic again. The device goes the way Linux takes it: DEVICE_FATAL
 * once detected, dying (opens refused), absent, then back.
 */
static int
test_proactive_fatal(void)
{
	struct rte_eth_rss_reta_entry64 reta[1];
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_ether_addr extra = {{ 0x02, 0, 0, 0, 0, 0x77 }};
	struct rte_eth_dev_data *data;
	void *rxq0, *rxq1, *txq0;
	struct mlx4r_reset *rst;
	uint64_t inuse;
	uint16_t mtu;
	int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 2, true), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_set_mtu(p1, 1600), "mtu");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promisc");
	TEST_ASSERT_SUCCESS(rte_eth_allmulticast_enable(p1), "allmulti");
	TEST_ASSERT_SUCCESS(rte_eth_dev_mac_addr_add(p1, &extra, 0), "mac");
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = 1; /* one a ConnectX-3 can express */
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_update(p1, reta, 64), "reta");
	data = rte_eth_devices[p1].data;
	rxq0 = data->rx_queues[0];
	rxq1 = data->rx_queues[1];
	txq0 = data->tx_queues[0];
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "before");
	inuse = rte_mempool_in_use_count(mp);

	/* detected (DEVICE_FATAL) 100 ms after the chip stopped */
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 100), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 5000),
			  TEST_SUCCESS, "recovered");
	rst = mlx4r_port_of(&rte_eth_devices[p1])->dev->reset;
	/*
	 * DEVICE_FATAL, or the health check's firmware command, which
	 * waited for the detection and failed with it
	 */
	TEST_ASSERT(rst->hist[0].trigger & (MLX4R_REQ_FATAL | MLX4R_REQ_HEALTH),
		    "started by the error (trigger %#x)", rst->hist[0].trigger);
	/* RECOVERY_SUCCESS is raised after LIVE: give it a moment */
	test_ev_wait(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, 1000);
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_ERR_RECOVERING), 1,
			  "ERR_RECOVERING");
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS), 1,
			  "RECOVERY_SUCCESS");
	TEST_ASSERT(test_ev_next(p1, RTE_ETH_EVENT_ERR_RECOVERING, -1) <
		    test_ev_next(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, -1), "order");
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_INTR_RESET), 0,
			  "no INTR_RESET in proactive mode");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL(st.generation, 2, "generation");
	TEST_ASSERT_EQUAL_U(st.started, 1, "started");
	TEST_ASSERT_EQUAL_U(st.succeeded, 1, "succeeded");
	TEST_ASSERT_EQUAL_U(st.failed, 0, "failed");
	TEST_ASSERT_GT_U(st.last_us, 0, "last time");
	/* configuration replayed, queues at the same addresses */
	TEST_ASSERT(data->rx_queues[0] == rxq0 && data->rx_queues[1] == rxq1 &&
		    data->tx_queues[0] == txq0, "queue addresses changed");
	TEST_ASSERT_EQUAL(data->dev_started, 1, "started");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_mtu(p1, &mtu), "mtu");
	TEST_ASSERT_EQUAL(mtu, 1600, "mtu kept");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_get(p1), 1, "promisc kept");
	TEST_ASSERT_EQUAL(rte_eth_allmulticast_get(p1), 1, "allmulti kept");
	TEST_ASSERT(rte_is_same_ether_addr(&data->mac_addrs[1], &extra),
		    "extra MAC kept");
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_query(p1, reta, 64), "reta");
	TEST_ASSERT_EQUAL(reta[0].reta[0], 1, "reta kept");
	TEST_ASSERT_EQUAL(reta[0].reta[63], 1, "reta kept");
	TEST_ASSERT_EQUAL(data->nb_rx_queues, 2, "queues kept");
	/*
	 * Every mbuf the rings held was counted: the posted Rx buffers kept
	 * and posted again (2 x 256), the Tx frames waiting for completion
	 * back to the pool; only the Rx rings hold mbufs now: none leaked,
	 * none freed twice.
	 */
	TEST_ASSERT_EQUAL_U(st.mbufs_kept, 2 * 256, "Rx buffers kept");
	TEST_ASSERT_EQUAL_U(st.mbufs_reclaimed + st.mbufs_kept, inuse,
			    "all counted");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 2 * 256,
			    "mbufs in use after recovery");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "after");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0, "after stop");
	return hca_down();
}

/* First data segment of WQE @p w of @p rxq (the driver's view). */
static const struct mlx4_wqe_data_seg *
rx_dseg(const struct mlx4r_rxq *rxq, uint32_t w)
{
	return (const struct mlx4_wqe_data_seg *)
		(rxq->wqes + ((size_t)w << rxq->wqe_shift));
}

/*
 * A proactive reset keeps the posted Rx buffers: the same mbufs, in the
 * same slots, posted into the new WQ with the new context's lkeys, and
 * frames received after it land in them with their data; none is freed
 * (mbufs_kept, mbufs_reclaimed, the pool's count). A passive reset's
 * application releases its queues: nothing kept there.
 */
static int
test_proactive_keeps_rx_buffers(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_mbuf *before[256], *m[BURST], *r[BURST];
	struct rte_ether_addr mac;
	struct mlx4r_rxq *rxq;
	uint32_t lkey_before, w, i, got = 0, tries;
	uint64_t addr_before;
	uint16_t sent;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "before");
	rxq = rte_eth_devices[p1].data->rx_queues[0];
	TEST_ASSERT_EQUAL_U(rxq->nb_wqe * rxq->sges, 256, "ring size");
	memcpy(before, rxq->elts, sizeof(before));
	lkey_before = rx_dseg(rxq, 0)->lkey;
	addr_before = rx_dseg(rxq, 0)->addr;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "reset");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 5000),
			  TEST_SUCCESS, "recovered");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.mbufs_kept, 256, "kept");
	TEST_ASSERT(st.last_quiesce_us <= st.last_us,
		    "quiescence %" PRIu64 " us within the reset's %" PRIu64,
		    st.last_quiesce_us, st.last_us);
	TEST_ASSERT(memcmp(before, rxq->elts, sizeof(before)) == 0,
		    "the same mbufs in the same slots");
	/* a new context: new keys, rewritten in every descriptor */
	TEST_ASSERT(rx_dseg(rxq, 0)->lkey != lkey_before,
		    "lkey 0x%x not rewritten", rte_be_to_cpu_32(lkey_before));
	TEST_ASSERT_EQUAL_U(rx_dseg(rxq, 0)->addr, addr_before, "address");
	for (w = 1; w < rxq->nb_wqe; w++)
		TEST_ASSERT_EQUAL_U(rx_dseg(rxq, w)->lkey,
				    rx_dseg(rxq, 0)->lkey, "lkey of WQE %u", w);
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 256,
			    "only the Rx ring holds mbufs");
	/* frames land in the kept buffers, with their bytes */
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "mac");
	TEST_ASSERT_SUCCESS(rte_pktmbuf_alloc_bulk(mp, m, BURST), "alloc");
	for (i = 0; i < BURST; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], 100);

		TEST_ASSERT_NOT_NULL(p, "append");
		memset(p, i, 100);
		memcpy(p, &mac, RTE_ETHER_ADDR_LEN);
	}
	sent = rte_eth_tx_burst(p1, 0, m, BURST);
	TEST_ASSERT_EQUAL(sent, BURST, "sent");
	for (tries = 0; tries < 1000 && got < BURST; tries++) {
		uint16_t k = rte_eth_rx_burst(p1, 0, r + got, BURST - got);

		got += k;
		rte_eth_tx_burst(p1, 0, NULL, 0);
		rte_delay_us_sleep(50);
	}
	TEST_ASSERT_EQUAL(got, BURST, "received");
	for (i = 0; i < got; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(r[i], const uint8_t *);
		uint32_t j, k;

		for (k = 0; k < RTE_DIM(before) && before[k] != r[i]; k++)
			;
		TEST_ASSERT(k < RTE_DIM(before), "frame %u in a kept buffer", i);
		TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(r[i]), 100, "length");
		for (j = RTE_ETHER_ADDR_LEN; j < 100; j++)
			TEST_ASSERT_EQUAL(d[j], d[RTE_ETHER_ADDR_LEN],
					  "frame %u byte %u", i, j);
	}
	rte_pktmbuf_free_bulk(r, got);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0, "after stop");
	return hca_down();
}

/*
 * The application stops a port while the reset waits for the device
 * (REINIT, after DRAINING kept its Rx buffers for the replay): the stop
 * gives them back at once, counted reclaimed, and the replay leaves the
 * port stopped; started again later, it fills its rings anew.
 */
static int
test_stop_returns_kept_buffers(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int kept, left;
	int ret;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	/*
	 * The device held in its error (ERROR, then GONE) until the port
	 * was stopped: "while the reset waits for the device" by
	 * construction. With a reappear delay of 300 ms instead, a loaded
	 * machine (ASan, two suites and two busy loops on two cores) let
	 * the emulated device come back before the control thread took the
	 * fatal event: the reset never waited in REINIT.
	 */
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	ret = test_wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1, 2000);
	kept = rte_mempool_in_use_count(mp);
	if (ret == TEST_SUCCESS)
		ret = rte_eth_dev_stop(p1);
	left = rte_mempool_in_use_count(mp);
	test_device_hold(HCA, false);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS,
			  "waiting for the device, then stopped");
	TEST_ASSERT_EQUAL_U(kept, 256,
			    "the Rx ring's buffers kept for the replay");
	TEST_ASSERT_EQUAL_U(left, 0, "kept buffers back at the stop");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 5000),
			  TEST_SUCCESS, "recovered");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.mbufs_kept, 0, "none posted again");
	TEST_ASSERT_EQUAL_U(st.mbufs_reclaimed, 256, "all reclaimed");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0, "not replayed");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/* Control calls during a proactive recovery: -EBUSY; stats still work. */
static int
test_proactive_ebusy(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_eth_stats stats;
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *xs;
	struct rte_mbuf *held[5], *got[32];
	int n, i, found = 0;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	/*
	 * In REINIT until released (the device held in its error), then a
	 * slow firmware reset that the reset's time shows.
	 */
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW, 300), "slow");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(rte_pmd_mlx4r_inject_fault(p1,
			  RTE_PMD_MLX4R_FAULT_FATAL, 0), -EALREADY, "again");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1, 1000),
			  TEST_SUCCESS, "in REINIT");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_enable(p1), -EBUSY, "promisc");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mtu(p1, 1000), -EBUSY, "mtu");
	/* the real burst, through ethdev: refused by the bar (counted) */
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, 0, NULL, 0), 0, "rx barred");
	/*
	 * An lcore that cached the burst functions and queues before the
	 * reset is refused by the barred flag too.
	 */
	TEST_ASSERT_SUCCESS(rte_pktmbuf_alloc_bulk(mp, held, RTE_DIM(held)),
			    "mbufs");
	TEST_ASSERT_EQUAL(mlx4r_tx_burst(rte_eth_devices[p1].data->tx_queues[0],
					 held, RTE_DIM(held)), 0,
			  "a barred Tx queue takes nothing");
	TEST_ASSERT_EQUAL(mlx4r_rx_burst(rte_eth_devices[p1].data->rx_queues[0],
					 got, RTE_DIM(got)), 0,
			  "a barred Rx queue gives nothing");
	rte_pktmbuf_free_bulk(held, RTE_DIM(held));
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &stats), "stats");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, false), TEST_SUCCESS, "release");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 3000),
			  TEST_SUCCESS, "back");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promisc after");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_GE_U(st.last_us, 300000, "slow firmware reset timed");
	/* the reset xstats */
	n = rte_eth_xstats_get_names(p1, NULL, 0);
	TEST_ASSERT(n > 0, "xstats");
	names = calloc(n, sizeof(*names));
	xs = calloc(n, sizeof(*xs));
	TEST_ASSERT(names != NULL && xs != NULL, "calloc");
	TEST_ASSERT_EQUAL(rte_eth_xstats_get_names(p1, names, n), n, "names");
	TEST_ASSERT_EQUAL(rte_eth_xstats_get(p1, xs, n), n, "values");
	for (i = 0; i < n; i++) {
		if (strcmp(names[i].name, "reset_succeeded") == 0 &&
		    xs[i].value == 1)
			found++;
		if (strcmp(names[i].name, "reset_generation") == 0 &&
		    xs[i].value == 2)
			found++;
		if (strcmp(names[i].name, "reset_worst_us") == 0 &&
		    xs[i].value >= 300000)
			found++;
		if (strcmp(names[i].name, "tx_refused_packets") == 0 &&
		    xs[i].value == RTE_DIM(held))
			found++;
		/* rte_eth_rx_burst() and the direct call above */
		if (strcmp(names[i].name, "rx_refused_bursts") == 0 &&
		    xs[i].value == 2)
			found++;
	}
	free(names);
	free(xs);
	TEST_ASSERT_EQUAL(found, 5, "reset and refused xstats");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * After its reset a real device is absent for a while (rdma-core does not
 * list it): the driver polls for it until reinit_timeout_ms without
 * spending attempts, and gives up after that.
 */
static int
test_reappear_slow(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct mlx4r_emu_dev_info info;
	struct mlx4r_emu_dev *emu;
	int ret;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW, 300), "absent");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 5000),
			  TEST_SUCCESS, "back once the device reappeared");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.succeeded, 1, "one recovery");
	TEST_ASSERT_EQUAL_U(st.restarts, 0, "no attempt spent on absence");
	TEST_ASSERT_GE_U(st.last_us, 300000, "waited for the device");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic after");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1,"
				 "reinit_timeout_ms=100"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW, 2000), "absent");
	/*
	 * "Before the device came back" by construction, not by a stopwatch:
	 * the emulated device is held where its error is (ERROR, then GONE)
	 * until the driver gave up, so a driver that waited for the device
	 * instead of reinit_timeout_ms would never reach FAILED.
	 */
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_NOT_NULL(emu, "emulated device");
	mlx4r_emu_fault_catas_hold(emu, true);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	ret = test_wait_phase(p1, RTE_PMD_MLX4R_RESET_FAILED, 1, 3000);
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu, &info), "emu info");
	mlx4r_emu_fault_catas_hold(emu, false);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS,
			  "gives up after reinit_timeout_ms, device absent");
	TEST_ASSERT(info.catas == MLX4R_EMU_CATAS_ERROR ||
		    info.catas == MLX4R_EMU_CATAS_GONE,
		    "the device had not come back (%d)", info.catas);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.failed, 1, "failed");
	/* a lower bound: the driver waited its own timeout first */
	TEST_ASSERT_GE_U(st.last_us, 100000, "failed after the timeout");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * The device never comes back: FAILED after recovery_attempts, events
 * ERR_RECOVERING, RECOVERY_FAILED, INTR_RMV (removal events enabled),
 * -EIO afterwards, stop and close still work and leak nothing.
 */
static int
test_proactive_failed(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_eth_conf conf;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=2"),
			  TEST_SUCCESS, "probe");
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rmv = 1;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, &conf), TEST_SUCCESS,
			  "up with removal events");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_REINIT_FAIL, 10), "reinit");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_FAILED, 1, 3000),
			  TEST_SUCCESS, "failed");
	test_ev_wait(p1, RTE_ETH_EVENT_INTR_RMV, 1000);
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_RECOVERY_FAILED), 1,
			  "RECOVERY_FAILED");
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_INTR_RMV), 1, "RMV");
	TEST_ASSERT(test_ev_next(p1, RTE_ETH_EVENT_ERR_RECOVERING, -1) <
		    test_ev_next(p1, RTE_ETH_EVENT_RECOVERY_FAILED, -1) &&
		    test_ev_next(p1, RTE_ETH_EVENT_RECOVERY_FAILED, -1) <
		    test_ev_next(p1, RTE_ETH_EVENT_INTR_RMV, -1), "order");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.failed, 1, "failed count");
	TEST_ASSERT_EQUAL_U(st.restarts, 1, "one retry");
	TEST_ASSERT_EQUAL(st.generation, 1, "generation unchanged");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_enable(p1), -EIO, "-EIO");
	TEST_ASSERT_EQUAL(rte_eth_tx_queue_setup(p1, 0, 256, SOCKET_ID_ANY,
						 NULL), -EBUSY,
			  "ethdev: started port");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "rings reclaimed at failure");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop works");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -EIO, "start -EIO");
	return hca_down();
}

/*
 * Coalescing: repeated operator requests merge into a running reset; a
 * fault of the device while it comes back (a command failing during the
 * replay, a reopen failing) restarts the attempt instead of failing.
 */
static int
test_coalesce_and_restart(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	int i;

	/*
	 * The first reset is held in BARRED by an lcore "inside" a burst
	 * (up to the 10 s deadline) while the other nine requests are
	 * posted: whatever the scheduler does between them, they find a
	 * reset pending or running and merge (before, the loop raced a
	 * reset of about a millisecond and a preempted test made three).
	 */
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,reset_deadline_ms=10000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	test_stick_rxq(p1, true);
	for (i = 0; i < 10; i++)
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request %d", i);
	test_stick_rxq(p1, false);
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 5000),
			  TEST_SUCCESS, "live");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.started, 1, "10 requests held: one reset");
	TEST_ASSERT_EQUAL_U(st.coalesced, 9, "nine requests coalesced");
	TEST_ASSERT_EQUAL_U(st.started, st.succeeded, "all succeeded");

	/* a reopen that fails once: restarted, not failed */
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_REINIT_FAIL, 1), "reinit");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE,
				     st.generation + 1, 3000),
			  TEST_SUCCESS, "live after a failed reopen");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.restarts, 1, "restarted once");
	TEST_ASSERT_EQUAL_U(st.failed, 0, "not failed");

	/*
	 * A command failing while the device comes back (armed now: a
	 * device in error fails commands before counting injected faults),
	 * and an operator request while it comes back slowly.
	 */
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_CMD_FAIL, 1), "cmd fail");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW, 100), "slow");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1, 1000),
			  TEST_SUCCESS, "reinit");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request meanwhile");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, false), TEST_SUCCESS, "release");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE,
				     st.generation + 1, 3000),
			  TEST_SUCCESS, "live after a command failure");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_GE_U(st.restarts, 2, "restarted again");
	TEST_ASSERT_EQUAL_U(st.failed, 0, "not failed");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * The health check sees what query_device never shows: the kernel answers
 * QUERY_DEVICE from a copy, but a firmware command (QUERY_PORT) fails with
 * EIO on a device in error. Here DEVICE_FATAL never comes: only the
 * firmware command says it.
 */
static int
test_health_check(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct mlx4r_emu_dev *emu;
	struct mlx4r_reset *rst;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_NOT_NULL(emu, "emulated device");
	/* the firmware fails QUERY_PORT until the reset began */
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_QUERY_PORT,
						1000000, EIO, 0),
			    "QUERY_PORT EIO");
	for (i = 0; i < 30000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st),
				    "state");
		if (st.started > 0)
			break;
		rte_delay_us_sleep(100);
	}
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, 0, 0, 0, 0), "clear");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 3000),
			  TEST_SUCCESS, "reset by the health check");
	rst = mlx4r_port_of(&rte_eth_devices[p1])->dev->reset;
	TEST_ASSERT_EQUAL(rst->hist[0].trigger, MLX4R_REQ_HEALTH,
			  "trigger");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * The async fd of a disassociated device on Linux 4.5 to 5.6 stays ready
 * for ever (EPOLLERR, EIO to read): the interrupt handler stops watching
 * it instead of being called in a loop, and asks for a reset. Passive
 * mode keeps the old context open while the application has not
 * acknowledged, long after the kernel disassociated it.
 */
static int
test_async_fd_closed(void)
{
	struct mlx4r_emu_dev_conf conf = {
		.nb_ports = 1,
		.legacy_disassoc = true,
	};
	struct mlx4r_dev *dev;
	uint64_t wakeups;

	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create(HCA, &conf), "device");
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive,reset_deadline_ms=5000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	dev = mlx4r_port_of(&rte_eth_devices[p1])->dev;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	test_ev_wait(p1, RTE_ETH_EVENT_INTR_RESET, 2000);
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_INTR_RESET), 1, "event");
	/* the emulated kernel disassociates the context after 20 ms */
	rte_delay_us_sleep(300000);
	wakeups = __atomic_load_n(&dev->async_wakeups, __ATOMIC_RELAXED);
	TEST_ASSERT(wakeups < 20, "the handler ran %" PRIu64 " times", wakeups);
	TEST_ASSERT(__atomic_load_n(&dev->async_ended, __ATOMIC_RELAXED),
		    "the end of the event stream was seen");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "ack");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 5000),
			  TEST_SUCCESS, "recovered");
	TEST_ASSERT(!__atomic_load_n(&dev->async_ended, __ATOMIC_RELAXED),
		    "the new context's stream is watched");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up again");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");
	return mlx4r_emu_dev_destroy(HCA) == 0 ? TEST_SUCCESS : TEST_FAILED;
}

/*
 * The kernel's own timeline (catas_time_pct 100: dying 200 ms, absent
 * 2 s): the driver waits for the device without spending attempts, and
 * paces its reopens rather than scan for it every few milliseconds.
 */
static int
test_reappear_paced(void)
{
	struct mlx4r_emu_dev_conf conf = {
		.nb_ports = 1,
		.catas_time_pct = 100,
	};
	struct rte_pmd_mlx4r_reset_state st;
	struct mlx4r_emu_dev_info before, after;
	struct mlx4r_emu_dev *emu;

	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create(HCA, &conf), "device");
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu, &before), "info");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 6000),
			  TEST_SUCCESS, "back after the kernel's reload");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu, &after), "info");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.restarts, 0, "no attempt spent waiting");
	TEST_ASSERT_GE_U(st.last_us, (MLX4R_EMU_CATAS_UNLOAD_MS +
				      MLX4R_EMU_CATAS_RELOAD_MS) * 1000u,
			 "waited for the device");
	TEST_ASSERT(after.opens - before.opens <= 20,
		    "%" PRIu64 " opens while the device was away",
		    after.opens - before.opens);
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");
	return mlx4r_emu_dev_destroy(HCA) == 0 ? TEST_SUCCESS : TEST_FAILED;
}

/*
 * A Tx QP in error (QP_FATAL) is repaired without a reset of the HCA
 * (mlx4r_repair.c; mlx4r_repair_autotest has the cases): the reset
 * machine stays LIVE, the generation stays, no event is raised.
 */
static int
test_queue_error(void)
{
	struct mlx4r_txq *txq;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_QP_ERROR, 0), "qp error");
	txq = rte_eth_devices[p1].data->tx_queues[0];
	/* repaired, then unbarred */
	for (i = 0; i < 20000 && (txq->repairs == 0 ||
	     __atomic_load_n(&txq->barred, __ATOMIC_ACQUIRE)); i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL_U(txq->repairs, 1, "repaired");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 1, 100),
			  TEST_SUCCESS, "live");
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_ERR_RECOVERING), 0,
			  "no reset event");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	{
		struct rte_pmd_mlx4r_reset_state st;

		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st),
				    "state");
		TEST_ASSERT_EQUAL(st.generation, 1, "no device reset");
		TEST_ASSERT_EQUAL_U(st.started, 0, "no reset started");
	}
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/* Faults a port survives without a reset: a link flap, a lost doorbell. */
static int
test_no_reset_faults(void)
{
	struct rte_pmd_mlx4r_reset_state st;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_LINK_FLAP, 20), "flap");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_LOST_DOORBELL, 1), "doorbell");
	rte_delay_us_sleep(300000); /* three health checks */
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL(st.phase, RTE_PMD_MLX4R_RESET_LIVE, "live");
	TEST_ASSERT_EQUAL_U(st.started, 0, "no reset");
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_ERR_RECOVERING), 0,
			  "no event");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/* Wait (at most WAIT_MS) for the link of @p port to be @p status. */
static int
wait_link(uint16_t port, uint16_t status)
{
	struct rte_eth_link link;
	unsigned int i;

	for (i = 0; i < WAIT_MS; i++) {
		TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(port, &link),
				    "link");
		if (link.link_status == status)
			return TEST_SUCCESS;
		rte_delay_us_sleep(1000);
	}
	TEST_FAIL("link %s after %u ms", status ? "not up" : "not down",
		  WAIT_MS);
}

/*
 * An operator's reset while a link flap runs (issue 13: the link stayed
 * DOWN for good): the device reopened by the reset still tells the port
 * when the link comes back. Event order: LSC down, ERR_RECOVERING,
 * RECOVERY_SUCCESS, LSC up; the link is up, traffic passes.
 */
static int
test_reset_during_link_flap(void)
{
	struct rte_eth_conf conf;
	int down, rec, ok, up = -1;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.lsc = 1;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, &conf), TEST_SUCCESS,
			  "up with link events");
	TEST_ASSERT_EQUAL(wait_link(p1, RTE_ETH_LINK_UP), TEST_SUCCESS,
			  "up after start");
	/* long enough for the reset to end while the link is down */
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_LINK_FLAP, 1000), "flap");
	TEST_ASSERT_EQUAL(wait_link(p1, RTE_ETH_LINK_DOWN), TEST_SUCCESS,
			  "down in the flap");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "reset");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2,
				     WAIT_MS), TEST_SUCCESS, "live again");
	TEST_ASSERT_EQUAL(wait_link(p1, RTE_ETH_LINK_UP), TEST_SUCCESS,
			  "up again after the flap");
	/* the event order, and an LSC up raised after the recovery */
	down = test_ev_next(p1, RTE_ETH_EVENT_INTR_LSC, -1);
	rec = test_ev_next(p1, RTE_ETH_EVENT_ERR_RECOVERING, -1);
	ok = test_ev_next(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, -1);
	TEST_ASSERT(down >= 0 && rec > down && ok > rec,
		    "LSC down (%d), ERR_RECOVERING (%d), RECOVERY_SUCCESS (%d)",
		    down, rec, ok);
	for (i = 0; i < WAIT_MS && up < 0; i++) {
		up = test_ev_next(p1, RTE_ETH_EVENT_INTR_LSC, ok);
		if (up < 0)
			rte_delay_us_sleep(1000);
	}
	TEST_ASSERT(up > ok, "LSC up after RECOVERY_SUCCESS (%d, %d)", up, ok);
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * The log of a reset (issue 13): the trigger without a stray space, each
 * port named by its ethdev port id and physical port, the generation the
 * state says.
 */
/*
 * The lines test_log_lines() wants in @p log; on a miss, @p why says
 * which. The injected catastrophic error reaches the control thread by
 * the device's fatal event or by the health check's failing command,
 * whichever comes first (under load, at times the health check: the
 * kernel raises the event from its catastrophic-error poll, mlx4_core
 * catas.c poll_catas(), and a command already fails), so the trigger is
 * either or both.
 */
static int
log_lines_check(const char *log, const char **why)
{
	static const char *const trigger[] = {
		"fatal", "health", "fatal, health",
	};
	static char want[128];
	unsigned int k;

	for (k = 0; k < RTE_DIM(trigger); k++) {
		snprintf(want, sizeof(want),
			 "reset 1 started (%s), passive mode", trigger[k]);
		if (strstr(log, want) != NULL)
			break;
	}
	if (k == RTE_DIM(trigger)) {
		*why = "\"reset 1 started (fatal|health), passive mode\" logged, without a stray space";
		return TEST_FAILED;
	}
	if (strstr(log, "( ") != NULL || strstr(log, " )") != NULL) {
		*why = "no space inside parentheses";
		return TEST_FAILED;
	}
	snprintf(want, sizeof(want),
		 HCA ": port %u (physical port 2) acknowledged the reset\n", p2);
	if (strstr(log, want) == NULL) {
		*why = want;
		return TEST_FAILED;
	}
	snprintf(want, sizeof(want),
		 HCA ": port %u (physical port 1) acknowledged the reset (last)",
		 p1);
	if (strstr(log, want) == NULL) {
		*why = want;
		return TEST_FAILED;
	}
	if (strstr(log, "live again, generation 2,") == NULL) {
		*why = "live again, generation 2,";
		return TEST_FAILED;
	}
	return TEST_SUCCESS;
}

static int
test_log_lines(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	const char *why = "";
	char *log;
	bool logged;
	int i, ret;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect,recovery=passive"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, 1, false), TEST_SUCCESS, "up 2");
	TEST_ASSERT_EQUAL(test_log_capture_start(), TEST_SUCCESS, "log stream");
	rte_pmd_mlx4r_inject_fault(p1, RTE_PMD_MLX4R_FAULT_FATAL, 0);
	test_ev_wait(p2, RTE_ETH_EVENT_INTR_RESET, 2000);
	rte_eth_dev_reset(p2);
	rte_eth_dev_reset(p1);
	i = test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, WAIT_MS);
	/*
	 * The control thread logs "live again" after it published LIVE
	 * (mlx4r_reset.c mlx4r_run_reset()): wait for the line itself.
	 */
	logged = test_log_capture_wait("live again, generation 2,", WAIT_MS);
	log = test_log_capture_stop();
	TEST_ASSERT_NOT_NULL(log, "the captured log");
	if (i != TEST_SUCCESS || !logged) {
		printf("log of the reset:\n%s", log);
		free(log);
		TEST_FAIL("live (%d) and \"live again, generation 2,\" logged (%d)",
			  i, logged);
	}
	printf("log of the reset:\n%s", log);
	ret = log_lines_check(log, &why);
	free(log);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "%s", why);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL(st.generation, 2, "generation");
	return hca_down();
}

/*
 * Passive mode, two ports: INTR_RESET on each; each port's
 * rte_eth_dev_reset() is its acknowledgement and returns at once, and the
 * port's queue setup and start say -EAGAIN until the device is back
 * (RECOVERY_SUCCESS); the last acknowledgement lets the device reset.
 */
static int
test_passive_two_ports(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_eth_conf conf;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect,recovery=passive"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, 1, false), TEST_SUCCESS, "up 2");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p2, BURST), TEST_SUCCESS, "before");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	test_ev_wait(p2, RTE_ETH_EVENT_INTR_RESET, 2000);
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_INTR_RESET), 1, "p1");
	TEST_ASSERT_EQUAL(test_ev_count(p2, RTE_ETH_EVENT_INTR_RESET), 1, "p2");
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_ERR_RECOVERING), 0,
			  "no proactive events");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_enable(p1), -EBUSY,
			  "a started port waits for its reset");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "ack 1");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL(st.phase, RTE_PMD_MLX4R_RESET_DRAINING,
			  "waiting for port 2");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf),
			    "configure is software-only");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 0, 256, SOCKET_ID_ANY,
						 NULL, mp), -EAGAIN,
			  "queue setup before the device is back");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -EAGAIN, "start");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p2), "ack 2 (last)");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 2000),
			  TEST_SUCCESS, "live");
	test_ev_wait(p2, RTE_ETH_EVENT_RECOVERY_SUCCESS, 2000);
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS), 1,
			  "outcome on port 1");
	TEST_ASSERT_EQUAL(test_ev_count(p2, RTE_ETH_EVENT_RECOVERY_SUCCESS), 1,
			  "outcome on port 2");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL(st.generation, 2, "generation");
	TEST_ASSERT_EQUAL_U(st.late_clients, 0, "no late client");
	TEST_ASSERT_EQUAL_U(st.mbufs_kept, 0, "passive: nothing kept");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "every mbuf back while reset");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up 1 again");
	TEST_ASSERT_EQUAL(port_up(p2, 1, false), TEST_SUCCESS, "up 2 again");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p2, BURST), TEST_SUCCESS, "after");
	TEST_ASSERT_EQUAL(test_traffic(mp, p2, p1, BURST), TEST_SUCCESS, "after");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop");
	return hca_down();
}

/* testpmd's sequence on a one-port HCA: stop, reset, start. */
static int
test_passive_one_port(void)
{
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
	test_ev_wait(p1, RTE_ETH_EVENT_INTR_RESET, 2000);
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_INTR_RESET), 1, "event");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "port stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "port reset");
	/* the acknowledgement returns at once; the outcome says "back" */
	test_ev_wait(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, 2000);
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS), 1,
			  "outcome");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "port start");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/* A port that never acknowledges: reset at the deadline, counted, named. */
static int
test_passive_late_client(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	uint64_t t0;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect,recovery=passive,reset_deadline_ms=200"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, 1, false), TEST_SUCCESS, "up 2");
	t0 = rte_get_timer_cycles();
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_DRAINING, 1,
				     1000), TEST_SUCCESS, "draining");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "only port 1 acks");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, 2000),
			  TEST_SUCCESS, "live without port 2");
	TEST_ASSERT(rte_get_timer_cycles() - t0 >=
		    rte_get_timer_hz() / 5, "not before the deadline");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p2, &st), "state");
	TEST_ASSERT_EQUAL_U(st.late_clients, 1, "late client counted");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "late port's rings reclaimed too");
	/* the late port: barred until stopped, then works */
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p2, 0, NULL, 0), 0, "barred");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop late port");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p2), "start late port");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up 1 again");
	TEST_ASSERT_EQUAL(test_traffic(mp, p2, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop");
	return hca_down();
}

/* An lcore "inside a burst" until cleared (simulated on lcore 1). */
static uint8_t *stuck_marker;

static int
unstick_later(void *arg)
{
	RTE_SET_USED(arg);
	rte_delay_us_sleep(100000);
	__atomic_store_n(stuck_marker, 0, __ATOMIC_RELEASE);
	return 0;
}

/*
 * A secondary process that dies inside a burst (mlx4r_quiesce.c, "A
 * secondary that dies"): a marker of its tag counts while it lives (an
 * operator's reset is cancelled, as for any lcore that does not leave)
 * and stops counting once it exited: the next reset completes, the
 * marker reads 0, the stop returns. The secondary is a child process,
 * named by its pid, start time and PID namespace as a secondary names
 * itself in its command-file request (mlx4r_mp.c). Fails without the
 * tags: the second reset is cancelled too (then the stop never returns).
 */
static int
test_dead_secondary_marker(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct mlx4r_rxq *rxq;
	unsigned int i;
	int status, ret;
	pid_t child;
	uint8_t tag;

	child = fork();
	TEST_ASSERT(child >= 0, "fork: %s", strerror(errno));
	if (child == 0) {
		pause();
		_exit(0);
	}
	tag = mlx4r_quiesce_tag_secondary(child, mlx4r_proc_start_time(child),
					  mlx4r_pidns_id());
	if (tag == MLX4R_TAG_UNTRACKED) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		TEST_SKIP("no pidfd_open() here (Linux < 5.3)");
	}
	TEST_ASSERT(tag >= MLX4R_TAG_FIRST_SECONDARY, "a secondary's tag (%u)",
		    tag);
	TEST_ASSERT_EQUAL(mlx4r_quiesce_tag_secondary(child,
			  mlx4r_proc_start_time(child), mlx4r_pidns_id()), tag,
			  "the same process, the same tag (another port)");
	TEST_ASSERT_EQUAL(mlx4r_quiesce_tag_secondary(child, 1,
			  mlx4r_pidns_id()), MLX4R_TAG_UNTRACKED,
			  "another start time: not that process");
	TEST_ASSERT_EQUAL(mlx4r_quiesce_tag_secondary(child,
			  mlx4r_proc_start_time(child), mlx4r_pidns_id() + 1),
			  MLX4R_TAG_UNTRACKED, "another PID namespace");
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,reset_deadline_ms=100"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	/* the child's lcore inside a burst of Rx queue 0 */
	rxq = rte_eth_devices[p1].data->rx_queues[0];
	__atomic_store_n(&rxq->in_burst, tag, __ATOMIC_RELAXED);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "operator, alive");
	for (i = 0; i < WAIT_MS; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st),
				    "state");
		if (st.cancelled != 0)
			break;
		rte_delay_us_sleep(1000);
	}
	TEST_ASSERT_EQUAL_U(st.cancelled, 1, "cancelled: the process lives");
	TEST_ASSERT_EQUAL_U(st.late_clients, 1, "the port was late");
	TEST_ASSERT_EQUAL(st.generation, 1, "not reset");
	TEST_ASSERT_EQUAL(__atomic_load_n(&rxq->in_burst, __ATOMIC_RELAXED),
			  tag, "a live lcore's marker is left alone");
	/* it dies inside the burst */
	TEST_ASSERT_SUCCESS(kill(child, SIGKILL), "kill");
	TEST_ASSERT_EQUAL(waitpid(child, &status, 0), child, "waitpid");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "operator, dead");
	ret = test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, WAIT_MS);
	if (ret != TEST_SUCCESS) /* or the teardown's stop waits for ever */
		__atomic_store_n(&rxq->in_burst, 0, __ATOMIC_RELEASE);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS,
			  "the reset completes: live, generation 2");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.succeeded, 1, "succeeded");
	TEST_ASSERT_EQUAL_U(st.cancelled, 1, "not cancelled again");
	TEST_ASSERT_EQUAL_U(st.late_clients, 1, "no late client more");
	TEST_ASSERT_EQUAL(__atomic_load_n(&rxq->in_burst, __ATOMIC_RELAXED),
			  0, "the dead process's marker cleared");
	/* and again with the marker set after its death: the stop too */
	__atomic_store_n(&rxq->in_burst, tag, __ATOMIC_RELAXED);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "the stop returns");
	TEST_ASSERT_EQUAL(__atomic_load_n(&rxq->in_burst, __ATOMIC_RELAXED),
			  0, "cleared by the stop");
	return hca_down();
}

/*
 * Close (remove) during each phase wins and leaks nothing: BARRED (an
 * lcore inside a burst), DRAINING (passive, nobody acks), REINIT (the
 * device held in its error), FAILED, and at random points of proactive resets.
 */
static int
test_close_during_phases(void)
{
	struct mlx4r_rxq *rxq;
	unsigned int lcore, i;

	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		TEST_SKIP("needs a second lcore");
	/* BARRED: quiescence cannot be proven while the lcore is inside */
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,reset_deadline_ms=5000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	rxq = rte_eth_devices[p1].data->rx_queues[0];
	__atomic_store_n(&rxq->in_burst, 1, __ATOMIC_RELAXED);
	stuck_marker = &rxq->in_burst;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_BARRED, 1, 1000),
			  TEST_SUCCESS, "barred");
	TEST_ASSERT_SUCCESS(rte_eal_remote_launch(unstick_later, NULL, lcore),
			    "launch");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop waits for the burst");
	TEST_ASSERT_EQUAL(rte_eal_wait_lcore(lcore), 0, "lcore");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "close in BARRED");

	/* DRAINING */
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive,reset_deadline_ms=10000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_DRAINING, 1,
				     1000), TEST_SUCCESS, "draining");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "close in DRAINING");

	/* REINIT: the device held in its error, removed with the HCA */
	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1, 1000),
			  TEST_SUCCESS, "reinit");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "close in REINIT");

	/* FAILED */
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_REINIT_FAIL, 5), "reinit");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_FAILED, 1, 2000),
			  TEST_SUCCESS, "failed");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "close in FAILED");

	/* anywhere: remove (stop + close) at random points of a reset */
	for (i = 0; i < 20; i++) {
		TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS,
				  "probe %u", i);
		TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
		rte_delay_us_sleep((i * 7919) % 3000);
		TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "remove %u", i);
	}
	return TEST_SUCCESS;
}

/*
 * Control calls from another thread during each phase of a proactive reset
 * (issue 14): each one answers the errno table of mlx4r_reset.rst (-EBUSY
 * for what needs the device or changes the configuration; stop, close and
 * the queries work), and once the device is back the port is in exactly
 * the state the application last asked for (ethdev's view and the
 * driver's agree) and forwards. The phase is held open while the call is
 * made and checked to be still on when it returned. Two ports: the calls
 * go to p1, p2 holds BARRED (an lcore inside its burst), DRAINING (its
 * ERR_RECOVERING callback) and RESETTING (its LSC callback, which the
 * removal of the interrupt handler waits for); REINIT is the device held
 * in its error (test_device_hold).
 */
static volatile int hold_type = -1;	/**< event type hold_cb holds */
static volatile bool hold_in, hold_release;

static int
hold_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(ret);
	if (port != p2 || (int)__atomic_load_n(&hold_type, __ATOMIC_ACQUIRE) !=
			  (int)type)
		return 0;
	/*
	 * Other side: the case's thread, which waits for hold_in (acquire)
	 * before its calls and sets hold_release (release) after them;
	 * the callback's thread (control or interrupt) is held meanwhile.
	 */
	__atomic_store_n(&hold_in, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&hold_release, __ATOMIC_ACQUIRE))
		rte_delay_us_sleep(100);
	__atomic_store_n(&hold_type, -1, __ATOMIC_RELEASE);
	return 0;
}

static const enum rte_eth_event_type hold_types[] = {
	RTE_ETH_EVENT_ERR_RECOVERING,
	RTE_ETH_EVENT_INTR_LSC,
};

static int
hold_wait_in(void)
{
	unsigned int i;

	for (i = 0; i < WAIT_MS * 10; i++) {
		if (__atomic_load_n(&hold_in, __ATOMIC_ACQUIRE))
			return TEST_SUCCESS;
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("callback not called");
}

/* Hold p1's reset in phase @p ph (a request or a fatal error). */
static int
phase_hold(enum rte_pmd_mlx4r_reset_phase ph)
{
	unsigned int i;

	__atomic_store_n(&hold_in, false, __ATOMIC_RELAXED);
	__atomic_store_n(&hold_release, false, __ATOMIC_RELAXED);
	for (i = 0; i < RTE_DIM(hold_types); i++)
		rte_eth_dev_callback_register(p2, hold_types[i], hold_cb, NULL);
	switch (ph) {
	case RTE_PMD_MLX4R_RESET_BARRED:
		test_stick_rxq(p2, true);
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
		break;
	case RTE_PMD_MLX4R_RESET_DRAINING:
		__atomic_store_n(&hold_type, RTE_ETH_EVENT_ERR_RECOVERING,
				 __ATOMIC_RELEASE);
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
		TEST_ASSERT_EQUAL(hold_wait_in(), TEST_SUCCESS, "held");
		break;
	case RTE_PMD_MLX4R_RESET_RESETTING:
		__atomic_store_n(&hold_type, RTE_ETH_EVENT_INTR_LSC,
				 __ATOMIC_RELEASE);
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p2,
				    RTE_PMD_MLX4R_FAULT_LINK_FLAP, 20), "flap");
		TEST_ASSERT_EQUAL(hold_wait_in(), TEST_SUCCESS, "held");
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
		break;
	default: /* REINIT: the device held in its error */
		TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS,
				  "hold");
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
		break;
	}
	return test_wait_phase(p2, ph, 1, WAIT_MS);
}

static void
phase_release(void)
{
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);
	unsigned int i;

	test_stick_rxq(p2, false);
	/* REINIT's hold; no emulated device: the HCA was removed */
	if (emu != NULL)
		mlx4r_emu_fault_catas_hold(emu, false);
	__atomic_store_n(&hold_release, true, __ATOMIC_RELEASE);
	/* the callback returns before the reset goes on */
	for (i = 0; i < RTE_DIM(hold_types); i++)
		while (rte_eth_dev_callback_unregister(p2, hold_types[i],
						       hold_cb, NULL) == -EAGAIN)
			rte_delay_us_sleep(100);
}

/* ethdev's queue states of p1 (what testpmd's "start" reads). */
static int
qstates(uint16_t port, uint8_t *rx, uint8_t *tx)
{
	struct rte_eth_rxq_info ri;
	struct rte_eth_txq_info ti;

	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_info_get(port, 0, &ri), "rxq info");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_info_get(port, 0, &ti), "txq info");
	*rx = ri.queue_state;
	*tx = ti.queue_state;
	return TEST_SUCCESS;
}

static int call_stop(uint16_t p) { return rte_eth_dev_stop(p); }
static int call_start(uint16_t p) { return rte_eth_dev_start(p); }
/* ethdev closes only a stopped port: stop, then close (both work) */
static int
call_close(uint16_t p)
{
	int ret = rte_eth_dev_stop(p);

	return ret != 0 ? ret : rte_eth_dev_close(p);
}

static int call_rxq_stop(uint16_t p) { return rte_eth_dev_rx_queue_stop(p, 0); }
static int call_rxq_start(uint16_t p) { return rte_eth_dev_rx_queue_start(p, 0); }
static int call_txq_stop(uint16_t p) { return rte_eth_dev_tx_queue_stop(p, 0); }
static int call_mtu(uint16_t p) { return rte_eth_dev_set_mtu(p, 1400); }
static int call_promisc_off(uint16_t p) { return rte_eth_promiscuous_disable(p); }

/* testpmd's "start" during a reset: it reads the queue states. */
static int
call_qstates(uint16_t p)
{
	uint8_t rx = 0xff, tx = 0xff;

	if (qstates(p, &rx, &tx) != TEST_SUCCESS)
		return -EIO;
	return rx == RTE_ETH_QUEUE_STATE_STARTED &&
	       tx == RTE_ETH_QUEUE_STATE_STARTED ? 0 : -ENOTRECOVERABLE;
}

static int
call_configure(uint16_t p)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	return rte_eth_dev_configure(p, 1, 1, &conf);
}

static int
call_rxq_setup(uint16_t p)
{
	return rte_eth_rx_queue_setup(p, 0, 256, SOCKET_ID_ANY, NULL, mp);
}

static int
call_flow_create(uint16_t p)
{
	struct rte_flow_attr attr = { .ingress = 1 };
	struct rte_flow_item pat[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	struct rte_flow_action_queue q = { .index = 0 };
	struct rte_flow_action act[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	struct rte_flow_error err;
	struct rte_flow *f = rte_flow_create(p, &attr, pat, act, &err);

	if (f != NULL) {
		rte_flow_destroy(p, f, &err);
		return 0;
	}
	return -rte_errno;
}

/* What p1 must be once the device is back. */
enum after {
	A_STARTED,	/* started, every queue started */
	A_STOPPED,	/* stopped, configured, its queues set up */
	A_UNCONFIGURED, /* a refused configure: ethdev's rollback */
	A_NO_RXQ,	/* a refused set-up: ethdev released the queue first */
	A_RXQ_STOPPED,	/* started, Rx queue 0 stopped by the application */
	A_CLOSED,
};

static const struct phase_call {
	const char *name;
	int (*fn)(uint16_t port);
	bool stopped;	/* the port stopped before the reset */
	bool rxq_stopped; /* its Rx queue 0 stopped before the reset */
	int want;	/* the answer during the reset */
	enum after after;
} phase_calls[] = {
	{ "stop", call_stop, false, false, 0, A_STOPPED },
	{ "start (started)", call_start, false, false, 0, A_STARTED },
	{ "queue states", call_qstates, false, false, 0, A_STARTED },
	{ "rx queue stop", call_rxq_stop, false, false, -EBUSY, A_STARTED },
	{ "tx queue stop", call_txq_stop, false, false, -EBUSY, A_STARTED },
	{ "rx queue start", call_rxq_start, false, true, -EBUSY,
	  A_RXQ_STOPPED },
	{ "stop (rx queue stopped)", call_stop, false, true, 0, A_STOPPED },
	{ "mtu", call_mtu, false, false, -EBUSY, A_STARTED },
	{ "promiscuous off", call_promisc_off, false, false, -EBUSY,
	  A_STARTED },
	{ "flow create", call_flow_create, false, false, -EBUSY, A_STARTED },
	{ "close", call_close, false, false, 0, A_CLOSED },
	{ "start", call_start, true, false, -EBUSY, A_STOPPED },
	{ "configure", call_configure, true, false, -EBUSY, A_UNCONFIGURED },
	{ "rx queue setup", call_rxq_setup, true, false, -EBUSY, A_NO_RXQ },
};

struct call_arg {
	const struct phase_call *c;
	int ret;
};

static void *
call_thread(void *arg)
{
	struct call_arg *a = arg;

	a->ret = a->c->fn(p1);
	return NULL;
}

static int
wait_link_up(uint16_t port)
{
	struct rte_eth_link l;
	unsigned int i;

	for (i = 0; i < WAIT_MS * 10; i++) {
		TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(port, &l), "link");
		if (l.link_status == RTE_ETH_LINK_UP)
			return TEST_SUCCESS;
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("port %u: link down", port);
}

/* p1 as @p after says, then made to forward (set up again if need be). */
static int
check_after(enum after after)
{
	struct rte_eth_dev_data *d = rte_eth_devices[p1].data;
	uint8_t rx, tx;
	uint16_t mtu;

	/* RESETTING was held by p2's link flap (20 ms down): its end */
	TEST_ASSERT_EQUAL(wait_link_up(p2), TEST_SUCCESS, "p2 link");
	if (after == A_CLOSED)
		return test_traffic(mp, p2, p2, BURST);
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_mtu(p1, &mtu), "mtu");
	TEST_ASSERT_EQUAL(mtu, RTE_ETHER_MTU, "MTU as the application left it");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_get(p1), 1, "promiscuous kept");
	switch (after) {
	case A_STARTED:
	case A_RXQ_STOPPED:
		TEST_ASSERT_EQUAL(d->dev_started, 1, "started");
		TEST_ASSERT_EQUAL(qstates(p1, &rx, &tx), TEST_SUCCESS, "states");
		TEST_ASSERT_EQUAL(rx, after == A_STARTED ?
				  RTE_ETH_QUEUE_STATE_STARTED :
				  RTE_ETH_QUEUE_STATE_STOPPED, "Rx queue state");
		TEST_ASSERT_EQUAL(tx, RTE_ETH_QUEUE_STATE_STARTED,
				  "Tx queue state");
		if (after == A_RXQ_STOPPED) {
			/* stopped by the application: still, and barred */
			TEST_ASSERT_EQUAL(mlx4r_port_rxq(mlx4r_port_of(
					  &rte_eth_devices[p1]), 0)->stopped, 1,
					  "stopped in the driver too");
			TEST_ASSERT_SUCCESS(call_rxq_start(p1), "queue start");
		}
		break;
	case A_STOPPED:
		TEST_ASSERT_EQUAL(d->dev_started, 0, "stopped");
		TEST_ASSERT_EQUAL(qstates(p1, &rx, &tx), TEST_SUCCESS, "states");
		TEST_ASSERT(rx == RTE_ETH_QUEUE_STATE_STOPPED &&
			    tx == RTE_ETH_QUEUE_STATE_STOPPED,
			    "queue states of a stopped port: %u %u", rx, tx);
		TEST_ASSERT_EQUAL(mlx4r_port_of(&rte_eth_devices[p1])->started,
				  false, "stopped in the driver too");
		TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start after");
		break;
	case A_UNCONFIGURED:
		TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -EINVAL,
				  "not configured");
		TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "again");
		break;
	default: /* A_NO_RXQ */
		TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -EINVAL,
				  "Rx queue released");
		TEST_ASSERT_SUCCESS(call_rxq_setup(p1), "set up again");
		TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
		break;
	}
	return test_traffic(mp, p1, p1, BURST);
}

static int
calls_in_phase(enum rte_pmd_mlx4r_reset_phase ph, const struct phase_call *c)
{
	struct call_arg a = { .c = c, .ret = INT_MIN };
	struct rte_eth_conf conf;
	pthread_t t;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=loopback,reset_deadline_ms=10000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up 1");
	/* p2 raises LSC events (RESETTING is held by its callback) */
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.lsc = 1;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p2, 1, 1, &conf), "conf 2");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p2, 0, 256, SOCKET_ID_ANY,
						   NULL, mp), "rxq 2");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p2, 0, 256, SOCKET_ID_ANY,
						   NULL), "txq 2");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p2), "start 2");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promiscuous");
	if (c->stopped)
		TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop before");
	if (c->rxq_stopped)
		TEST_ASSERT_SUCCESS(call_rxq_stop(p1), "rx queue stop before");
	TEST_ASSERT_EQUAL(phase_hold(ph), TEST_SUCCESS, "hold %d", ph);
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, call_thread, &a), "thread");
	TEST_ASSERT_SUCCESS(pthread_join(t, NULL), "join");
	TEST_ASSERT_EQUAL(test_wait_phase(p2, ph, 1, 1), TEST_SUCCESS,
			  "%s returned after phase %d ended", c->name, ph);
	phase_release();
	TEST_ASSERT_EQUAL(a.ret, c->want, "phase %d: %s: %d (%s)", ph, c->name,
			  a.ret, rte_strerror(-a.ret));
	TEST_ASSERT_EQUAL(test_wait_phase(p2, RTE_PMD_MLX4R_RESET_LIVE, 2,
					  WAIT_MS), TEST_SUCCESS, "back");
	TEST_ASSERT_EQUAL(check_after(c->after), TEST_SUCCESS,
			  "phase %d: after %s", ph, c->name);
	return hca_down();
}

static int
test_calls_during_phases_end_as_asked(void)
{
	static const enum rte_pmd_mlx4r_reset_phase phases[] = {
		RTE_PMD_MLX4R_RESET_BARRED,
		RTE_PMD_MLX4R_RESET_DRAINING,
		RTE_PMD_MLX4R_RESET_RESETTING,
		RTE_PMD_MLX4R_RESET_REINIT,
	};
	unsigned int i, j;

	for (i = 0; i < RTE_DIM(phases); i++)
		for (j = 0; j < RTE_DIM(phase_calls); j++)
			TEST_ASSERT_EQUAL(calls_in_phase(phases[i],
							 &phase_calls[j]),
					  TEST_SUCCESS, "phase %d, %s",
					  phases[i], phase_calls[j].name);
	return TEST_SUCCESS;
}

/* Bursts on lcore 1 while the main lcore resets the device. */
static volatile bool stress_stop;
static uint64_t stress_rx, stress_tx;

static int
stress_lcore(void *arg)
{
	uint16_t port = *(uint16_t *)arg;
	struct rte_mbuf *m[BURST], *r[BURST];
	struct rte_ether_addr mac;
	unsigned int i;

	rte_eth_macaddr_get(port, &mac);
	while (!stress_stop) {
		uint16_t n, k;

		if (rte_pktmbuf_alloc_bulk(mp, m, BURST) == 0) {
			for (i = 0; i < BURST; i++) {
				uint8_t *p = (uint8_t *)
					rte_pktmbuf_append(m[i], 64);

				if (p == NULL)
					continue;
				memset(p, 0x11, 64);
				memcpy(p, &mac, RTE_ETHER_ADDR_LEN);
			}
			n = rte_eth_tx_burst(port, 0, m, BURST);
			stress_tx += n;
			if (n < BURST)
				rte_pktmbuf_free_bulk(m + n, BURST - n);
		}
		k = rte_eth_rx_burst(port, 0, r, BURST);
		stress_rx += k;
		rte_pktmbuf_free_bulk(r, k);
	}
	return 0;
}

static int
test_stress_bursts_during_resets(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int lcore, i, nb = 40;
	uint64_t rx_mid;

	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		TEST_SKIP("needs a second lcore");
	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1, false), TEST_SUCCESS, "up");
	stress_stop = false;
	stress_rx = 0;
	stress_tx = 0;
	TEST_ASSERT_SUCCESS(rte_eal_remote_launch(stress_lcore, &p1, lcore),
			    "launch");
	for (i = 0; i < nb; i++) {
		if (i % 4 == 3)
			TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal %u", i);
		else
			TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1),
					    "request %u", i);
		TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE,
					     i + 2, WAIT_MS), TEST_SUCCESS,
				  "reset %u", i);
		rte_delay_us_sleep(2000);
	}
	rx_mid = __atomic_load_n(&stress_rx, __ATOMIC_RELAXED);
	rte_delay_us_sleep(50000);
	stress_stop = true;
	TEST_ASSERT_EQUAL(rte_eal_wait_lcore(lcore), 0, "lcore");
	TEST_ASSERT_GT_U(stress_rx, rx_mid, "traffic after the last reset");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.succeeded, nb, "every reset succeeded");
	TEST_ASSERT_EQUAL(st.generation, nb + 1, "generation");
	printf("  %u resets under bursts: last %" PRIu64 " us, worst %" PRIu64
	       " us; lcore sent %" PRIu64 ", received %" PRIu64
	       ", mbufs reclaimed %" PRIu64 "\n", nb, st.last_us, st.worst_us,
	       stress_tx, stress_rx, st.mbufs_reclaimed);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "every mbuf accounted for");
	return hca_down();
}

static struct unit_test_suite reset_suite = {
	.suite_name = "mlx4r reset",
	.setup = suite_setup,
	.teardown = suite_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(NULL, case_teardown, test_devargs_and_mode),
		TEST_CASE_ST(NULL, case_teardown, test_proactive_fatal),
		TEST_CASE_ST(NULL, case_teardown, test_proactive_keeps_rx_buffers),
		TEST_CASE_ST(NULL, case_teardown, test_stop_returns_kept_buffers),
		TEST_CASE_ST(NULL, case_teardown, test_proactive_ebusy),
		TEST_CASE_ST(NULL, case_teardown, test_proactive_failed),
		TEST_CASE_ST(NULL, case_teardown, test_reappear_slow),
		TEST_CASE_ST(NULL, case_teardown, test_health_check),
		TEST_CASE_ST(NULL, case_teardown, test_async_fd_closed),
		TEST_CASE_ST(NULL, case_teardown, test_reappear_paced),
		TEST_CASE_ST(NULL, case_teardown, test_coalesce_and_restart),
		TEST_CASE_ST(NULL, case_teardown, test_queue_error),
		TEST_CASE_ST(NULL, case_teardown, test_no_reset_faults),
		TEST_CASE_ST(NULL, case_teardown, test_reset_during_link_flap),
		TEST_CASE_ST(NULL, case_teardown, test_log_lines),
		TEST_CASE_ST(NULL, case_teardown, test_passive_two_ports),
		TEST_CASE_ST(NULL, case_teardown, test_passive_one_port),
		TEST_CASE_ST(NULL, case_teardown, test_passive_late_client),
		TEST_CASE_ST(NULL, case_teardown, test_close_during_phases),
		TEST_CASE_ST(NULL, case_teardown, test_dead_secondary_marker),
		TEST_CASE_ST(NULL, case_teardown,
			     test_calls_during_phases_end_as_asked),
		TEST_CASE_ST(NULL, case_teardown,
			     test_stress_bursts_during_resets),
		TEST_CASES_END()
	},
};

static int
mlx4r_reset_autotest(void)
{
	return unit_test_suite_runner(&reset_suite);
}

REGISTER_TEST_COMMAND(mlx4r_reset_autotest, mlx4r_reset_autotest);
