/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * What a burst may be handed, and how long what it was handed stays
 * valid: the fast path against every queue pointer ethdev can give it
 * (NULL, ethdev's dummy queue object, a torn pair of burst function and
 * queue array), rte_eth_fp_ops left to ethdev, and an application lcore
 * that keeps polling while another thread stops, resets and reconfigures
 * the port (issue 12, items 1 and 2 and its acceptance).
 *
 * The suite links the driver whole: a case calls the bursts directly with
 * a pointer it loaded earlier, as an lcore that cached it would.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "test.h"
#include "test_common.h"

#include "mlx4r.h"
#include "rte_pmd_mlx4r.h"

#define NB_MBUF 4095
#define BURST 32
#define NB_DESC 256
#define HCA "net_mlx4r_l0"
#define WAIT_MS 5000

static struct rte_mempool *mp;
static uint16_t p1;
static uint64_t heap_base;

static int
suite_setup(void)
{
	mp = rte_pktmbuf_pool_create("lifetime_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return TEST_FAILED;
	/* a first probe allocates what ethdev keeps for the process */
	if (rte_vdev_init(HCA, "") != 0 || rte_vdev_uninit(HCA) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
suite_teardown(void)
{
	rte_mempool_free(mp);
	mp = NULL;
}

static void
case_teardown(void)
{
	/* a failed case may leave the HCA: remove it for the next one */
	rte_vdev_uninit(HCA);
}

static int
hca_up(const char *args)
{
	heap_base = test_heap_allocated();
	TEST_ASSERT_SUCCESS(rte_vdev_init(HCA, args), "probe %s", args);
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(HCA, &p1), "p1");
	return TEST_SUCCESS;
}

/* Remove the HCA: every mbuf and every heap byte back. */
static int
hca_down(void)
{
	TEST_ASSERT_SUCCESS(rte_vdev_uninit(HCA), "remove");
	return test_nothing_leaked(mp, heap_base);
}

/* Configure @p nq queue pairs and set them up (no start). */
static int
port_setup(uint16_t port, uint16_t nq)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret != 0)
		return ret;
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, NB_DESC, SOCKET_ID_ANY,
					     NULL, mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, NB_DESC,
						     SOCKET_ID_ANY, NULL);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int
port_up(uint16_t port, uint16_t nq)
{
	TEST_ASSERT_SUCCESS(port_setup(port, nq), "set up port %u", port);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(port), "start %u", port);
	return TEST_SUCCESS;
}

/* Frames of 64 bytes addressed to @p port, from mp. */
static int
frames(uint16_t port, struct rte_mbuf **m, unsigned int n)
{
	struct rte_ether_addr mac;
	unsigned int i;

	if (rte_eth_macaddr_get(port, &mac) != 0 ||
	    rte_pktmbuf_alloc_bulk(mp, m, n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], 64);

		if (p == NULL) {
			rte_pktmbuf_free_bulk(m, n);
			return -1;
		}
		memset(p, 0x3c, 64);
		memcpy(p, &mac, RTE_ETHER_ADDR_LEN);
	}
	return 0;
}

/*
 * Item 1: the bursts refuse, without a store, every queue pointer that is
 * not one of their queues: NULL, ethdev's dummy queue object (two bytes in
 * 22.11, ethdev_private.c), the torn pair "real burst function + ethdev's
 * dummy queue array" through rte_eth_rx/tx_burst(), and a queue of the
 * other direction.
 */
static int
test_burst_foreign_queue_pointers(void)
{
	struct rte_eth_fp_ops *fo, saved;
	struct rte_eth_dev_data *data;
	struct rte_mbuf *m[4], *r[BURST];
	uint8_t dummy_rx[2], dummy_tx[2];
	void *drxq, *dtxq;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	data = rte_eth_devices[p1].data;
	fo = &rte_eth_fp_ops[p1];
	/* after the stop, ethdev's dummy queue array (eth_dev_fp_ops_reset) */
	drxq = fo->rxq.data[0];
	dtxq = fo->txq.data[0];
	TEST_ASSERT(drxq != NULL && drxq != data->rx_queues[0] &&
		    dtxq != NULL && dtxq != data->tx_queues[0],
		    "ethdev's dummy queues in rte_eth_fp_ops after stop");
	memcpy(dummy_rx, drxq, sizeof(dummy_rx));
	memcpy(dummy_tx, dtxq, sizeof(dummy_tx));
	TEST_ASSERT_SUCCESS(frames(p1, m, RTE_DIM(m)), "mbufs");

	TEST_ASSERT_EQUAL(mlx4r_rx_burst(NULL, r, BURST), 0, "Rx NULL");
	TEST_ASSERT_EQUAL(mlx4r_tx_burst(NULL, m, RTE_DIM(m)), 0, "Tx NULL");
	TEST_ASSERT_EQUAL(mlx4r_rx_burst(drxq, r, BURST), 0, "Rx dummy");
	TEST_ASSERT_EQUAL(mlx4r_tx_burst(dtxq, m, RTE_DIM(m)), 0, "Tx dummy");
	/* the torn pair a polling lcore can load during a stop or a start */
	saved = *fo;
	fo->rx_pkt_burst = mlx4r_rx_burst;
	fo->tx_pkt_burst = mlx4r_tx_burst;
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, 0, r, BURST), 0, "Rx torn");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, RTE_DIM(m)), 0,
			  "Tx torn");
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, 7, r, BURST), 0,
			  "Rx torn, queue never set up");
	*fo = saved;
	TEST_ASSERT_BUFFERS_ARE_EQUAL(dummy_rx, drxq, sizeof(dummy_rx),
				      "ethdev's dummy Rx queue was written");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(dummy_tx, dtxq, sizeof(dummy_tx),
				      "ethdev's dummy Tx queue was written");

	/* a queue of the other direction */
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(mlx4r_rx_burst(data->tx_queues[0], r, BURST), 0,
			  "Rx burst on a Tx queue");
	TEST_ASSERT_EQUAL(mlx4r_tx_burst(data->rx_queues[0], m, RTE_DIM(m)),
			  0, "Tx burst on an Rx queue");
	/* nothing was taken: the frames are still the caller's, and work */
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, RTE_DIM(m)), RTE_DIM(m),
			  "the same frames on the real queue");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0, "mbufs back");
	return hca_down();
}

/*
 * Item 1: the driver leaves rte_eth_fp_ops to ethdev. During a reset the
 * entry stays what start made it (the real bursts and queue arrays), and
 * the bar refuses; a stop during a reset leaves ethdev's dummy pair in
 * place when the reset ends (the driver used to write its burst
 * functions back next to ethdev's dummy queue array).
 */
static int
test_fp_ops_left_to_ethdev(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_eth_dev_data *data;
	struct rte_eth_fp_ops *fo, snap;
	struct rte_mbuf *r[BURST];

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1), TEST_SUCCESS, "up");
	data = rte_eth_devices[p1].data;
	fo = &rte_eth_fp_ops[p1];
	TEST_ASSERT(fo->rx_pkt_burst == mlx4r_rx_burst &&
		    fo->tx_pkt_burst == mlx4r_tx_burst &&
		    fo->rxq.data == data->rx_queues &&
		    fo->txq.data == data->tx_queues, "started: real pair");
	snap = *fo;
	/* a catastrophic error, the device held in it: REINIT lasts */
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1, 1000),
			  TEST_SUCCESS, "in REINIT");
	TEST_ASSERT(memcmp(fo, &snap, sizeof(snap)) == 0,
		    "rte_eth_fp_ops written during the reset");
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, 0, r, BURST), 0, "barred");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, false), TEST_SUCCESS, "release");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, WAIT_MS),
			  TEST_SUCCESS, "live");
	TEST_ASSERT(memcmp(fo, &snap, sizeof(snap)) == 0,
		    "rte_eth_fp_ops written by the reset");

	/* a stop during the reset: it waits for the phase, ethdev's pair stays */
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 2, 1000),
			  TEST_SUCCESS, "in REINIT");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop during the reset");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, false), TEST_SUCCESS, "release");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 3, WAIT_MS),
			  TEST_SUCCESS, "live");
	TEST_ASSERT(fo->rx_pkt_burst != mlx4r_rx_burst &&
		    fo->tx_pkt_burst != mlx4r_tx_burst &&
		    fo->rxq.data != data->rx_queues &&
		    fo->txq.data != data->tx_queues,
		    "stopped port: ethdev's dummy pair, not a torn one");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_EQUAL_U(st.succeeded, 2, "both resets ended LIVE");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT(memcmp(fo, &snap, sizeof(snap)) == 0,
		    "start: the real pair again");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * Item 2: queue structures are type-stable. A released queue stays at its
 * address, barred: a burst through a pointer loaded before its release is
 * refused and counted there, touching nothing else. The next set-up of the
 * index reuses the same structure, whatever the allocator did meanwhile:
 * after a reconfigure, a reset of the port's software state
 * (rte_eth_dev_reset() while live) and a passive reset of the device.
 */
static int
test_queues_type_stable(void)
{
	struct rte_eth_dev_data *data;
	struct rte_eth_conf conf;
	struct mlx4r_rxq *rxq0, *rxq1;
	struct mlx4r_txq *txq0, *txq1;
	struct rte_mbuf *m[4], *r[BURST];
	void *squat;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 2), TEST_SUCCESS, "up");
	data = rte_eth_devices[p1].data;
	rxq0 = data->rx_queues[0];
	rxq1 = data->rx_queues[1];
	txq0 = data->tx_queues[0];
	txq1 = data->tx_queues[1];
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");

	/* one queue pair: ethdev releases index 1 */
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf),
			    "configure 1 queue");
	/* what the allocator would hand out next now sits on anything freed */
	squat = rte_malloc("squat", sizeof(struct mlx4r_rxq),
			   RTE_CACHE_LINE_SIZE);
	TEST_ASSERT_NOT_NULL(squat, "rte_malloc");
	TEST_ASSERT_SUCCESS(frames(p1, m, RTE_DIM(m)), "mbufs");
	TEST_ASSERT_EQUAL(mlx4r_rx_burst(rxq1, r, BURST), 0,
			  "Rx burst on a released queue");
	TEST_ASSERT_EQUAL(mlx4r_tx_burst(txq1, m, RTE_DIM(m)), 0,
			  "Tx burst on a released queue");
	TEST_ASSERT_EQUAL_U(__atomic_load_n(&rxq1->refused, __ATOMIC_RELAXED),
			    1, "refused by the released Rx queue itself");
	TEST_ASSERT_EQUAL_U(__atomic_load_n(&txq1->refused, __ATOMIC_RELAXED),
			    RTE_DIM(m), "refused by the released Tx queue");
	rte_pktmbuf_free_bulk(m, RTE_DIM(m));

	/* two again: the same structures, though the allocator moved on */
	TEST_ASSERT_SUCCESS(port_setup(p1, 2), "set up 2 queues");
	rte_free(squat);
	TEST_ASSERT(data->rx_queues[0] == rxq0 && data->rx_queues[1] == rxq1 &&
		    data->tx_queues[0] == txq0 && data->tx_queues[1] == txq1,
		    "reconfigure moved a queue structure");
	TEST_ASSERT_EQUAL_U(__atomic_load_n(&rxq1->refused, __ATOMIC_RELAXED),
			    0, "a new set-up starts its counters at 0");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");

	/* rte_eth_dev_reset() of a live port: its queues are released */
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "software reset");
	TEST_ASSERT_EQUAL(mlx4r_rx_burst(rxq0, r, BURST), 0, "released");
	TEST_ASSERT_SUCCESS(port_setup(p1, 2), "set up after the reset");
	TEST_ASSERT(data->rx_queues[0] == rxq0 && data->tx_queues[1] == txq1,
		    "dev_reset moved a queue structure");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");

	/* a passive reset of the device: the port acknowledges with dev_reset */
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "reset");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_DRAINING, 1, 1000),
			  TEST_SUCCESS, "draining");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "acknowledge");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, WAIT_MS),
			  TEST_SUCCESS, "live");
	TEST_ASSERT_EQUAL(mlx4r_tx_burst(txq0, NULL, 0), 0, "released");
	TEST_ASSERT_SUCCESS(port_setup(p1, 2), "set up after the reset");
	TEST_ASSERT(data->rx_queues[1] == rxq1 && data->tx_queues[0] == txq0,
		    "a passive reset moved a queue structure");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * Item 2: the reset, stop, close and statistics walk the driver's own
 * list of a port's queues, never ethdev's rx_queues[]/tx_queues[]: ethdev
 * frees those of a stopped port without the driver's lock. The case puts a
 * stopped port's arrays in the state eth_dev_rx_queue_config(dev, 0)
 * leaves them in between its rte_free() and its count update (NULL, the
 * count still 2), then resets the HCA and reads the port's statistics.
 */
static int
test_walks_use_driver_list(void)
{
	struct rte_eth_xstat_name *names;
	struct rte_eth_dev_data *d2;
	struct rte_eth_xstat *xs;
	struct rte_eth_stats st;
	void **rxa, **txa;
	uint16_t p2;
	int n;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect"), TEST_SUCCESS,
			  "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(HCA "_port2", &p2),
			    "p2");
	TEST_ASSERT_EQUAL(port_up(p1, 1), TEST_SUCCESS, "up 1");
	TEST_ASSERT_SUCCESS(port_setup(p2, 2), "port 2 set up, stopped");
	n = rte_eth_xstats_get_names(p2, NULL, 0);
	TEST_ASSERT(n > 0, "xstats");
	names = calloc(n, sizeof(*names));
	xs = calloc(n, sizeof(*xs));
	TEST_ASSERT(names != NULL && xs != NULL, "calloc");
	d2 = rte_eth_devices[p2].data;
	rxa = d2->rx_queues;
	txa = d2->tx_queues;
	d2->rx_queues = NULL;
	d2->tx_queues = NULL;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "reset");
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2, WAIT_MS),
			  TEST_SUCCESS, "live");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p2, &st), "stats");
	TEST_ASSERT_EQUAL(rte_eth_xstats_get_names(p2, names, n), n, "names");
	TEST_ASSERT_EQUAL(rte_eth_xstats_get(p2, xs, n), n, "xstats");
	TEST_ASSERT_SUCCESS(rte_eth_stats_reset(p2), "stats reset");
	d2->rx_queues = rxa;
	d2->tx_queues = txa;
	free(names);
	free(xs);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p2), "start 2");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p2, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop 2");
	return hca_down();
}

/*
 * The acceptance of issue 12: an application lcore keeps polling port p1
 * while the main lcore resets the device, and stops, starts, resets and
 * reconfigures the port, in every order, outside the ethdev contract.
 * Nothing may crash or touch freed memory; every mbuf is back in its pool
 * at the end. The lcore polls three ways: through ethdev, through the
 * queue pointers it loaded earlier (direct calls, as an lcore that cached
 * them would), and through the fast-path entry as rte_eth_rx_burst()
 * reads it.
 *
 * ethdev itself limits the first way: eth_dev_fp_ops_reset()
 * (lib/ethdev/ethdev_private.c), run by rte_eth_dev_stop(), assigns the
 * whole rte_eth_fp_ops entry from a compound literal, which Debian's
 * build of librte_ethdev.so.23 compiles to "rep stos" (the 128-byte entry
 * zeroed) followed by the stores of the dummy functions and queue arrays:
 * an lcore inside rte_eth_rx_burst() at that moment can load a NULL burst
 * function or a NULL queue array, and crash in ethdev's inline code,
 * whatever the driver does (this test, polling through rte_eth_tx_burst()
 * across stops, did: a call to address 0). So the lcore goes through
 * ethdev only while the port is reset by the driver alone (phase 1); while
 * the main lcore also stops and starts the port (phase 2) it reads the
 * entry with the loads of rte_eth_rx_burst() and skips a NULL, the one
 * thing only ethdev could fix, and keeps every pairing the driver must
 * survive: the real burst with ethdev's dummy queue array, the dummy burst
 * with the real queues, a queue released since.
 */
static struct {
	uint16_t port;
	bool ethdev;      /* poll through rte_eth_rx/tx_burst() */
	bool quit;        /* main -> lcore (atomics) */
	uint64_t loops;   /* lcore only, read after it returned */
	uint64_t rx;
	uint64_t tx;
	uint64_t direct;  /* direct calls with a cached pointer */
	uint64_t foreign; /* ... that was not a live queue of ours */
	uint64_t null;    /* ethdev's zeroed entry seen */
} poll;

static bool
ours(void *q, uint8_t tag)
{
	return q != NULL && *(const uint8_t *)q == tag;
}

/* One burst as rte_eth_rx/tx_burst() makes it, but for a NULL. */
static uint16_t
poll_fp(uint16_t port, bool tx, struct rte_mbuf **m, uint16_t n)
{
	struct rte_eth_fp_ops *p = &rte_eth_fp_ops[port];
	void **data = __atomic_load_n(tx ? &p->txq.data : &p->rxq.data,
				      __ATOMIC_RELAXED);
	void *q;

	if (data == NULL) {
		poll.null++;
		return 0;
	}
	q = __atomic_load_n(&data[0], __ATOMIC_RELAXED);
	if (tx) {
		eth_tx_burst_t fn = __atomic_load_n(&p->tx_pkt_burst,
						    __ATOMIC_RELAXED);

		if (fn != NULL)
			return fn(q, m, n);
	} else {
		eth_rx_burst_t fn = __atomic_load_n(&p->rx_pkt_burst,
						    __ATOMIC_RELAXED);

		if (fn != NULL)
			return fn(q, m, n);
	}
	poll.null++;
	return 0;
}

/* Send 8 frames one of three ways; free what was not taken. */
static unsigned int
poll_tx(uint16_t port, int how, void *txq)
{
	struct rte_mbuf *m[8];
	uint16_t n;

	if (frames(port, m, RTE_DIM(m)) != 0)
		return 0;
	if (how == 0)
		n = rte_eth_tx_burst(port, 0, m, RTE_DIM(m));
	else if (how == 1)
		n = poll_fp(port, true, m, RTE_DIM(m));
	else
		n = mlx4r_tx_burst(txq, m, RTE_DIM(m));
	if (n < RTE_DIM(m))
		rte_pktmbuf_free_bulk(m + n, RTE_DIM(m) - n);
	return n;
}

static int
poll_lcore(void *arg)
{
	struct rte_mbuf *r[BURST];
	uint16_t port = poll.port;
	void *rxq = NULL, *txq = NULL;
	uint16_t n;

	RTE_SET_USED(arg);
	while (!__atomic_load_n(&poll.quit, __ATOMIC_RELAXED)) {
		/* refresh the cached pointers now and then, as ethdev has them */
		if (poll.loops % 64 == 0) {
			void **rd = __atomic_load_n(&rte_eth_fp_ops[port].rxq.data,
						    __ATOMIC_RELAXED);
			void **td = __atomic_load_n(&rte_eth_fp_ops[port].txq.data,
						    __ATOMIC_RELAXED);

			rxq = rd != NULL ? __atomic_load_n(&rd[0],
							   __ATOMIC_RELAXED) : NULL;
			txq = td != NULL ? __atomic_load_n(&td[0],
							   __ATOMIC_RELAXED) : NULL;
		}
		poll.loops++;
		if (poll.ethdev) {
			n = rte_eth_rx_burst(port, 0, r, BURST);
			poll.rx += n;
			rte_pktmbuf_free_bulk(r, n);
			poll.tx += poll_tx(port, 0, NULL);
		}
		n = poll_fp(port, false, r, BURST);
		poll.rx += n;
		rte_pktmbuf_free_bulk(r, n);
		poll.tx += poll_tx(port, 1, NULL);
		n = mlx4r_rx_burst(rxq, r, BURST);
		poll.rx += n;
		rte_pktmbuf_free_bulk(r, n);
		poll.tx += poll_tx(port, 2, txq);
		poll.direct += 2;
		poll.foreign += !ours(rxq, MLX4R_RXQ_TAG) +
				!ours(txq, MLX4R_TXQ_TAG);
	}
	return 0;
}

/*
 * Back to started, whatever a reset in progress answers meanwhile. A
 * proactive port is reconfigured only once the device is live: a
 * configure that fails (-EBUSY) makes ethdev free the port's queue arrays
 * (eth_dev_rx_queue_config(dev, 0)), which an lcore that loaded
 * rte_eth_fp_ops before the stop may still index: ethdev's hazard again,
 * not the driver's.
 */
static int
bring_up(uint16_t port, bool passive)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < WAIT_MS; i++) {
		if (rte_eth_devices[port].data->dev_started)
			return TEST_SUCCESS;
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(port, &st),
				    "state");
		TEST_ASSERT(st.phase != RTE_PMD_MLX4R_RESET_FAILED,
			    "the device failed");
		if (st.phase != RTE_PMD_MLX4R_RESET_LIVE) {
			if (!passive) {
				rte_delay_us_sleep(200);
				continue;
			}
			/* passive: the port's acknowledgement */
			rte_eth_dev_reset(port);
		}
		ret = port_setup(port, 1);
		if (ret == 0)
			ret = rte_eth_dev_start(port);
		if (ret == 0)
			return TEST_SUCCESS;
		TEST_ASSERT(ret == -EBUSY || ret == -EAGAIN,
			    "set-up or start: %d, not a reset's -EBUSY/-EAGAIN",
			    ret);
		rte_delay_us_sleep(1000);
	}
	TEST_FAIL("port %u not started again in %u ms (last %d)", port,
		  WAIT_MS, ret);
}

static int
poll_across_control_calls(const char *mode, bool passive)
{
	struct rte_pmd_mlx4r_reset_state st;
	char args[128];
	unsigned int lcore, i, resets1, steps[5] = { 0 };
	uint64_t t_end;
	int ret = TEST_SUCCESS;

	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		TEST_SKIP("needs a second lcore (-l 0-1)");
	snprintf(args, sizeof(args),
		 "wire=loopback,recovery=%s,reset_deadline_ms=500", mode);
	TEST_ASSERT_EQUAL(hca_up(args), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, 1), TEST_SUCCESS, "up");
	memset(&poll, 0, sizeof(poll));
	poll.port = p1;
	poll.ethdev = true;
	TEST_ASSERT_SUCCESS(rte_eal_remote_launch(poll_lcore, NULL, lcore),
			    "launch");

	/*
	 * Phase 1: the driver resets the device under the lcore, which polls
	 * through ethdev too (nothing rewrites rte_eth_fp_ops). A passive port
	 * nobody acknowledges is reset at the deadline and stays barred.
	 */
	for (resets1 = 0; resets1 < (passive ? 4u : 20u); resets1++) {
		int r = resets1 % 3 == 2 ?
			rte_pmd_mlx4r_inject_fault(p1,
						   RTE_PMD_MLX4R_FAULT_FATAL, 0) :
			rte_pmd_mlx4r_reset(p1);

		/* a failure stops the lcore first (below), then reports */
		if (r != 0 || test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE,
					 resets1 + 2, WAIT_MS) != TEST_SUCCESS) {
			printf("  reset %u: request %d, or not live again\n",
			       resets1, r);
			ret = TEST_FAILED;
			break;
		}
		rte_delay_us_sleep(1000);
	}

	/*
	 * Phase 2: the main lcore also stops, starts, resets and reconfigures
	 * the port, during device resets or not.
	 */
	__atomic_store_n(&poll.ethdev, false, __ATOMIC_RELAXED);
	t_end = rte_get_timer_cycles() + rte_get_timer_hz() * 3 / 2;
	for (i = 0; ret == TEST_SUCCESS && rte_get_timer_cycles() < t_end;
	     i++) {
		unsigned int step = i % RTE_DIM(steps);

		steps[step]++;
		switch (step) {
		case 0: /* stop, start */
			rte_eth_dev_stop(p1);
			break;
		case 1: /* stop, reset the port, reconfigure */
			rte_eth_dev_stop(p1);
			rte_eth_dev_reset(p1);
			break;
		case 2: /* reset the device */
			ret = rte_pmd_mlx4r_reset(p1);
			rte_delay_us_sleep(300);
			break;
		case 3: /* reset the device and stop the port meanwhile */
			ret = rte_pmd_mlx4r_reset(p1);
			rte_delay_us_sleep(i % 300);
			rte_eth_dev_stop(p1);
			break;
		default: /* reset the device and the port meanwhile */
			ret = rte_pmd_mlx4r_reset(p1);
			rte_delay_us_sleep(i % 300);
			rte_eth_dev_reset(p1);
			break;
		}
		if (ret != 0) {
			printf("  step %u: rte_pmd_mlx4r_reset() = %d\n", i, ret);
			ret = TEST_FAILED;
			break;
		}
		ret = bring_up(p1, passive);
		if (ret != TEST_SUCCESS)
			break;
	}
	__atomic_store_n(&poll.quit, true, __ATOMIC_RELAXED);
	TEST_ASSERT_EQUAL(rte_eal_wait_lcore(lcore), 0, "lcore");
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "step %u", i);
	TEST_ASSERT_EQUAL(test_wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 0, WAIT_MS),
			  TEST_SUCCESS, "live at the end");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	printf("  %s: %u device resets, then %u steps (stop/start %u, port reset %u, device reset %u, reset+stop %u, reset+port reset %u); resets %"
	       PRIu64 " ok %" PRIu64 " failed %" PRIu64 "; lcore %" PRIu64
	       " loops, rx %" PRIu64 ", tx %" PRIu64 ", %" PRIu64
	       " direct calls, %" PRIu64 " on NULL or a dummy, %" PRIu64
	       " NULL entries of ethdev skipped\n",
	       mode, resets1, i, steps[0], steps[1], steps[2], steps[3],
	       steps[4], st.started, st.succeeded, st.failed, poll.loops,
	       poll.rx, poll.tx, poll.direct, poll.foreign, poll.null);
	TEST_ASSERT_EQUAL_U(st.failed, 0, "no reset failed");
	TEST_ASSERT_GE_U(st.succeeded, resets1, "resets ran");
	TEST_ASSERT_GT_U(poll.rx, 0, "traffic flowed");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "every mbuf back in its pool");
	return hca_down();
}

static int
test_poll_across_control_calls_proactive(void)
{
	return poll_across_control_calls("proactive", false);
}

static int
test_poll_across_control_calls_passive(void)
{
	return poll_across_control_calls("passive", true);
}

static struct unit_test_suite lifetime_suite = {
	.suite_name = "mlx4r queue pointers and lifetimes",
	.setup = suite_setup,
	.teardown = suite_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(NULL, case_teardown,
			     test_burst_foreign_queue_pointers),
		TEST_CASE_ST(NULL, case_teardown, test_fp_ops_left_to_ethdev),
		TEST_CASE_ST(NULL, case_teardown, test_queues_type_stable),
		TEST_CASE_ST(NULL, case_teardown, test_walks_use_driver_list),
		TEST_CASE_ST(NULL, case_teardown,
			     test_poll_across_control_calls_proactive),
		TEST_CASE_ST(NULL, case_teardown,
			     test_poll_across_control_calls_passive),
		TEST_CASES_END()
	},
};

static int
mlx4r_lifetime_autotest(void)
{
	return unit_test_suite_runner(&lifetime_suite);
}

REGISTER_TEST_COMMAND(mlx4r_lifetime_autotest, mlx4r_lifetime_autotest);
