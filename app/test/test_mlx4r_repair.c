/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Queues in error, repaired without a device reset (mlx4r_repair.c): a Tx
 * error CQE (a bad lkey), a QP error event, a receive WQ in error (which
 * mlx4_ib never reports by event: only its CQEs say it), the other queues
 * forwarding meanwhile, and a device reset where a repair fails or cannot
 * be done (a command failing, the RSS QP in error). Every mbuf of the
 * failed and flushed WQEs is accounted for; the generation says whether
 * the device was reset.
 *
 * The suite links the driver whole: a case makes a bad lkey by spoiling a
 * queue's lkey cache (what a stale registration would do), and reads a
 * queue's counters and the RSS QP through mlx4r.h.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_io.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "test.h"
#include "test_common.h"

#include "mlx4r.h"
#include "mlx4r_core.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 4095
#define NB_DESC 256
#define BURST 32
#define HCA "net_mlx4r_rp"

static struct rte_mempool *mp;
static uint16_t p1;

static int
suite_setup(void)
{
	mp = rte_pktmbuf_pool_create("repair_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return mp == NULL ? TEST_FAILED : TEST_SUCCESS;
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
	rte_vdev_uninit(HCA);
}

/* Probe, then configure and start @p nq queue pairs (RSS over them). */
static int
hca_up(const char *args, uint16_t nq)
{
	struct rte_eth_conf conf;
	uint16_t q;

	TEST_ASSERT_SUCCESS(rte_vdev_init(HCA, args), "probe %s", args);
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(HCA, &p1), "port");
	memset(&conf, 0, sizeof(conf));
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4;
	}
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, nq, nq, &conf), "conf");
	for (q = 0; q < nq; q++) {
		TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, q, NB_DESC,
				    SOCKET_ID_ANY, NULL, mp), "rxq %u", q);
		TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, q, NB_DESC,
				    SOCKET_ID_ANY, NULL), "txq %u", q);
	}
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	return TEST_SUCCESS;
}

/* Stop and remove: every mbuf back in the pool. */
static int
hca_down(void)
{
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit(HCA), "remove");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "mbufs still in use after remove");
	return TEST_SUCCESS;
}

static uint64_t
xstat(const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(p1, name, &id) == 0)
		rte_eth_xstats_get_by_id(p1, &id, &v, 1);
	return v;
}

static struct mlx4r_txq *
txq_of(uint16_t q)
{
	return mlx4r_port_txq(mlx4r_port_of(&rte_eth_devices[p1]), q);
}

static struct mlx4r_rxq *
rxq_of(uint16_t q)
{
	return mlx4r_port_rxq(mlx4r_port_of(&rte_eth_devices[p1]), q);
}

static uint32_t
generation(void)
{
	struct rte_pmd_mlx4r_reset_state st;

	if (rte_pmd_mlx4r_reset_state_get(p1, &st) != 0)
		return 0;
	return st.generation;
}

/* The number the next frame of make_frames() carries (payload bytes). */
static uint32_t next_seq;
#define SEQ_OFF 40

/*
 * Frames to our own MAC (loopback: they come back), flow @p flow, each
 * numbered (next_seq, at SEQ_OFF).
 */
static int
make_frames(struct rte_mbuf **m, unsigned int n, uint8_t flow)
{
	struct rte_ether_addr mac;
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "mac");
	TEST_ASSERT_SUCCESS(rte_pktmbuf_alloc_bulk(mp, m, n), "alloc");
	for (i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], 64);

		TEST_ASSERT_NOT_NULL(p, "append");
		memset(p, 0, 64);
		memcpy(p, &mac, RTE_ETHER_ADDR_LEN);
		p[12] = 0x08; /* IPv4, source address varies with the flow */
		p[14] = 0x45;
		p[26] = 10;
		p[29] = flow;
		p[30] = 10;
		p[33] = 1;
		memcpy(p + SEQ_OFF, &next_seq, sizeof(next_seq));
		next_seq++;
	}
	return TEST_SUCCESS;
}

/* Receive on every Rx queue for a while; frames freed; how many. */
static unsigned int
drain_rx(unsigned int want, unsigned int tries)
{
	struct rte_mbuf *r[BURST];
	unsigned int got = 0, t;
	uint16_t q, k;

	for (t = 0; t < tries && got < want; t++) {
		for (q = 0; q < rte_eth_devices[p1].data->nb_rx_queues; q++) {
			k = rte_eth_rx_burst(p1, q, r, BURST);
			got += k;
			rte_pktmbuf_free_bulk(r, k);
		}
		rte_delay_us_sleep(100);
	}
	return got;
}

/*
 * n frames out of Tx queue @p q and back: all of them, each the one sent,
 * in order (one flow: one Rx queue)? A repair posts the WQ again from
 * WQE 0 while its CQ goes on, so a burst that took a CQE's buffer from
 * the wrong WQE returns a stale buffer: its number says so.
 */
static int
traffic(uint16_t q, unsigned int n)
{
	struct rte_mbuf *m[BURST], *r[BURST];
	uint32_t seq = next_seq, got = 0, v;
	unsigned int t;
	uint16_t sent, k, i, rq;

	TEST_ASSERT(n <= BURST, "n");
	TEST_ASSERT_EQUAL(make_frames(m, n, 1), TEST_SUCCESS, "frames");
	sent = rte_eth_tx_burst(p1, q, m, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	TEST_ASSERT_EQUAL(sent, n, "sent");
	rte_eth_tx_burst(p1, q, NULL, 0); /* completions */
	for (t = 0; t < 2000 && got < n; t++) {
		for (rq = 0; rq < rte_eth_devices[p1].data->nb_rx_queues;
		     rq++) {
			k = rte_eth_rx_burst(p1, rq, r, BURST);
			for (i = 0; i < k; i++) {
				memcpy(&v, rte_pktmbuf_mtod_offset(r[i],
					const uint8_t *, SEQ_OFF), sizeof(v));
				if (r[i]->pkt_len != 64 || v != seq + got) {
					rte_pktmbuf_free_bulk(r, k);
					TEST_FAIL("frame %u back: %u bytes, number %u, %u wanted",
						  got, r[i]->pkt_len, v,
						  seq + got);
				}
				got++;
			}
			rte_pktmbuf_free_bulk(r, k);
		}
		if (got < n)
			rte_delay_us_sleep(100);
	}
	TEST_ASSERT_EQUAL(got, n, "frames back");
	return TEST_SUCCESS;
}

/* Wait until Tx (Rx) queue @p q was repaired @p n times. */
static int
wait_repairs(bool tx, uint16_t q, uint64_t n)
{
	unsigned int i;

	for (i = 0; i < 20000; i++) {
		if ((tx ? txq_of(q)->repairs : rxq_of(q)->repairs) >= n &&
		    !__atomic_load_n(tx ? &txq_of(q)->barred :
				     &rxq_of(q)->barred, __ATOMIC_ACQUIRE))
			return TEST_SUCCESS;
		if (tx)
			rte_eth_tx_burst(p1, q, NULL, 0);
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("%s queue %u: %" PRIu64 " repairs, %u wanted", tx ? "Tx" :
		  "Rx", q, tx ? txq_of(q)->repairs : rxq_of(q)->repairs,
		  (unsigned int)n);
}

/*
 * Spoil a Tx queue's lkey cache: what the device then reads is an lkey
 * nobody registered (a stale registration), and it completes the WQE in
 * error (local protection error), moving the QP to error and flushing
 * what follows.
 */
static void
spoil_lkeys(struct mlx4r_txq *txq)
{
	unsigned int i;

	for (i = 0; i < MLX4R_MR_CACHE; i++)
		txq->mr.e[i].lkey_be = rte_cpu_to_be_32(0x00dead80);
}

/*
 * A Tx error CQE (bad lkey): the queue refuses bursts, is repaired
 * (RESET -> RTS) without a device reset, every mbuf of the failed and
 * flushed WQEs freed and counted, traffic again on the same queue.
 */
static int
test_tx_error_cqe(void)
{
	struct rte_mbuf *m[BURST];
	struct rte_eth_stats st;
	struct mlx4r_txq *txq;
	uint64_t base, oerr;
	uint16_t sent;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	/* what the Rx ring holds; the Tx ring is to be emptied */
	base = rxq_of(0)->nb_wqe * rxq_of(0)->sges;
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	oerr = st.oerrors;
	txq = txq_of(0);
	spoil_lkeys(txq);
	TEST_ASSERT_EQUAL(make_frames(m, 8, 1), TEST_SUCCESS, "frames");
	sent = rte_eth_tx_burst(p1, 0, m, 8);
	TEST_ASSERT_EQUAL(sent, 8, "posted: the driver cannot know");
	TEST_ASSERT_EQUAL(wait_repairs(true, 0, 1), TEST_SUCCESS, "repaired");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL_U(xstat("tx_queue_repairs"), 1, "xstat repairs");
	TEST_ASSERT_EQUAL_U(xstat("tx_queue_flushed_packets"), 8,
			    "the failed frame and the 7 flushed");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.oerrors - oerr, 8, "oerrors");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), base,
			    "every mbuf of the ring freed, none twice");
	TEST_ASSERT_EQUAL(drain_rx(1, 20), 0, "nothing sent");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "and again");
	return hca_down();
}

/*
 * A QP error event (a local work queue catastrophic error, which mlx4_ib
 * does report for a QP): repaired without a device reset too.
 */
static int
test_tx_qp_fatal(void)
{
	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_QP_ERROR, 0), "qp error");
	TEST_ASSERT_EQUAL(wait_repairs(true, 0, 1), TEST_SUCCESS, "repaired");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	return hca_down();
}

/*
 * A receive WQ in error: no event (mlx4_ib drops WQ events), its WQEs
 * flushed: the Rx burst sees it in its CQEs, the WQ goes back through
 * RESET to ready with the same mbufs, no mbuf lost, no device reset.
 */
static int
test_rx_error(void)
{
	struct mlx4r_emu_dev *emu = NULL;
	struct rte_eth_stats st;
	struct mlx4r_rxq *rxq;
	uint64_t base;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	base = rte_mempool_in_use_count(mp);
	rxq = rxq_of(0);
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(emu, rxq->wq->wq_num),
			    "WQ to error");
	TEST_ASSERT_EQUAL(drain_rx(1, 10), 0, "the flushes are no frames");
	TEST_ASSERT_EQUAL(wait_repairs(false, 0, 1), TEST_SUCCESS,
			  "repaired");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL_U(xstat("rx_queue_repairs"), 1, "xstat repairs");
	TEST_ASSERT_EQUAL_U(xstat("rx_queue_flushed_wqes"), NB_DESC,
			    "every posted WQE flushed");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.ierrors, NB_DESC, "ierrors");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), base,
			    "the ring keeps its mbufs, posted again");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	return hca_down();
}

/*
 * What a forwarding secondary killed inside mlx4r_queue_fault(), after
 * it marked its queue in error but before it asked for the repair,
 * leaves: fault set, the error CQE not consumed, no request, no bar. The
 * next burst meets the same CQE and must do what the dead one did not;
 * it used to return at once on fault set, and the queue stayed in error
 * for ever with no repair (and no device reset: nothing asked for one).
 */
static int
test_rx_error_after_dead_reporter(void)
{
	struct mlx4r_emu_dev *emu;
	struct mlx4r_rxq *rxq;
	uint64_t base;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	base = rte_mempool_in_use_count(mp);
	rxq = rxq_of(0);
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(emu, rxq->wq->wq_num),
			    "WQ to error");
	/* the dead reporter's one store */
	__atomic_store_n(&rxq->fault, 1, __ATOMIC_RELAXED);
	TEST_ASSERT_EQUAL(drain_rx(1, 10), 0, "the flushes are no frames");
	TEST_ASSERT_EQUAL(wait_repairs(false, 0, 1), TEST_SUCCESS,
			  "repaired after the next burst met the CQE again");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL_U(xstat("rx_queue_repairs"), 1, "one repair");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), base,
			    "the ring keeps its mbufs, posted again");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	return hca_down();
}

/* Bursts on Tx queue 1 (lcore 1) while queue 0 is repaired. */
static volatile bool fwd_stop;
static uint64_t fwd_sent;

static int
fwd_lcore(void *arg)
{
	struct rte_mbuf *m[BURST];
	unsigned int i;

	RTE_SET_USED(arg);
	while (!fwd_stop) {
		uint16_t n;

		if (rte_pktmbuf_alloc_bulk(mp, m, BURST) != 0)
			continue;
		for (i = 0; i < BURST; i++)
			rte_pktmbuf_append(m[i], 64);
		n = rte_eth_tx_burst(p1, 1, m, BURST);
		__atomic_fetch_add(&fwd_sent, n, __ATOMIC_RELAXED);
		if (n < BURST)
			rte_pktmbuf_free_bulk(m + n, BURST - n);
	}
	return 0;
}

/* Stop the forwarding lcore (also when a case fails half-way). */
static void
fwd_join(unsigned int lcore)
{
	fwd_stop = true;
	rte_eal_wait_lcore(lcore);
}

/*
 * The repair of one queue bars that queue only: another lcore keeps
 * sending on the port's other queue, which is never refused.
 */
static int
test_others_keep_forwarding(void)
{
	struct rte_mbuf *m[BURST];
	unsigned int lcore;
	uint64_t before, during;
	int ret;

	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE)
		TEST_SKIP("needs a second lcore");
	TEST_ASSERT_EQUAL(hca_up("wire=none", 2), TEST_SUCCESS, "up");
	/* queue 0's lkey cache warm, to spoil it */
	TEST_ASSERT_EQUAL(make_frames(m, 4, 1), TEST_SUCCESS, "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 4), 4, "warm-up");
	fwd_stop = false;
	fwd_sent = 0;
	TEST_ASSERT_SUCCESS(rte_eal_remote_launch(fwd_lcore, NULL, lcore),
			    "launch");
	while (__atomic_load_n(&fwd_sent, __ATOMIC_RELAXED) < 1000)
		rte_delay_us_sleep(100);
	spoil_lkeys(txq_of(0));
	ret = make_frames(m, 4, 1);
	if (ret == TEST_SUCCESS && rte_eth_tx_burst(p1, 0, m, 4) != 4)
		ret = TEST_FAILED;
	before = __atomic_load_n(&fwd_sent, __ATOMIC_RELAXED);
	if (ret == TEST_SUCCESS)
		ret = wait_repairs(true, 0, 1);
	during = __atomic_load_n(&fwd_sent, __ATOMIC_RELAXED) - before;
	rte_delay_us_sleep(10000);
	fwd_join(lcore);
	TEST_ASSERT_EQUAL(ret, TEST_SUCCESS, "queue 0 repaired");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL_U(__atomic_load_n(&txq_of(1)->refused,
					    __ATOMIC_RELAXED), 0,
			    "queue 1 never refused a burst");
	TEST_ASSERT_EQUAL_U(txq_of(1)->repairs, 0, "queue 1 untouched");
	printf("  queue 1 sent %" PRIu64 " frames while queue 0 was repaired\n",
	       during);
	return hca_down();
}

/*
 * A repair that fails (a command failing) falls back to a device reset,
 * and so does an error of the RSS QP, which no per-queue repair covers.
 */
static int
test_repair_fails(void)
{
	struct mlx4r_emu_dev *emu;
	struct rte_mbuf *m[BURST];
	uint32_t gen;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_MODIFY_QP,
						1, EIO, 0), "modify fails");
	spoil_lkeys(txq_of(0));
	TEST_ASSERT_EQUAL(make_frames(m, 4, 1), TEST_SUCCESS, "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 4), 4, "posted");
	for (i = 0; i < 30000 && generation() < 2; i++) {
		rte_eth_tx_burst(p1, 0, NULL, 0);
		rte_delay_us_sleep(100);
	}
	TEST_ASSERT_EQUAL(generation(), 2, "the device was reset");
	TEST_ASSERT_EQUAL_U(xstat("tx_queue_repairs"), 0, "not repaired");
	for (i = 0; i < 30000 && txq_of(0)->barred; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after the reset");
	/* the RSS QP */
	gen = generation();
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(emu,
			    mlx4r_port_of(&rte_eth_devices[p1])->rss_qp->qpn),
			    "RSS QP to error");
	for (i = 0; i < 30000 && generation() == gen; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL(generation(), gen + 1, "the device was reset");
	for (i = 0; i < 30000 && txq_of(0)->barred; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after the reset");
	return hca_down();
}

/*
 * A QP error event about a queue the application has since stopped: the
 * soak's finding (a Tx QP's QP_FATAL, the port stopped and started
 * again before the event was handled, the new RSS QP at the freed QP's
 * address taken for the QP in error: a device reset nobody asked for).
 * The event names a QP by its handle; the handle must mean nothing once
 * the QP is destroyed: libibverbs makes ibv_destroy_qp wait for the
 * acknowledgement of every event read for the QP (cmd_qp.c
 * ibv_cmd_destroy_qp), uverbs drops those not read yet (uverbs_main.c
 * ib_uverbs_release_uevent()), and the driver forgets the handle once the
 * destroy returned. Each round stops and starts the port at once after
 * the fault, so that the event is read before, during or after the
 * destroy: none may reset the device, nor leave a queue barred.
 */
static int
test_qp_event_of_stopped_queue(void)
{
	unsigned int round, i;
	int ret;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	for (round = 0; round < 300; round++) {
		ret = rte_pmd_mlx4r_inject_fault(p1,
				RTE_PMD_MLX4R_FAULT_QP_ERROR, 0);
		TEST_ASSERT(ret == 0 || ret == -EBUSY,
			    "round %u: qp error: %d", round, ret);
		TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "round %u: stop",
				    round);
		TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "round %u: start",
				    round);
		if (round % 16 == 0)
			rte_delay_us_sleep(200);
	}
	/* what is left of the events is handled by now */
	rte_delay_us_sleep(20000);
	for (i = 0; i < 30000 && txq_of(0)->barred; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL(generation(), 1,
			  "no device reset for the QP errors of stopped queues");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	return hca_down();
}

/*
 * The driver's half of the rule above, white-box: a QP error the
 * interrupt thread kept (dev->qp_errs) names a QP by its handle; once
 * the QP is destroyed the handle is taken out (mlx4r_dev_destroy_qp()),
 * the others stay. The control thread is not asked to repair meanwhile
 * (no request is made), so the list is as the destroy left it.
 */
static int
test_destroyed_qp_forgotten(void)
{
	static int other; /* a handle no QP of ours has */
	struct mlx4r_dev *dev;
	void *kept[8];
	unsigned int n;
	void *qp;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	dev = mlx4r_port_of(&rte_eth_devices[p1])->dev;
	qp = txq_of(0)->qp;
	TEST_ASSERT_NOT_NULL(qp, "a Tx QP");
	rte_spinlock_lock(&dev->qp_err_lock);
	TEST_ASSERT_EQUAL(dev->nb_qp_errs, 0, "nothing kept yet");
	dev->qp_errs[dev->nb_qp_errs++] = qp;
	dev->qp_errs[dev->nb_qp_errs++] = &other;
	rte_spinlock_unlock(&dev->qp_err_lock);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop: the QP destroyed");
	n = mlx4r_dev_take_qp_errors(dev, kept, RTE_DIM(kept));
	TEST_ASSERT_EQUAL(n, 1, "the destroyed QP's handle taken out");
	TEST_ASSERT(kept[0] == &other, "the other kept");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	return hca_down();
}

/*
 * What the interrupt thread does for a QP_FATAL (mlx4r_dev_async_events()):
 * the handle kept, a repair asked for.
 */
static void
event_kept(struct mlx4r_dev *dev, void *qp)
{
	rte_spinlock_lock(&dev->qp_err_lock);
	dev->qp_errs[dev->nb_qp_errs++] = qp;
	rte_spinlock_unlock(&dev->qp_err_lock);
	dev->events->request(dev, MLX4R_REQ_REPAIR);
}

/*
 * A QP error event that comes after the queue was repaired (its flush
 * CQEs, met by a burst, came first) names a QP the device holds as
 * working: ignored, not repaired again (which would drop what was posted
 * since), when the device says so (query_qp_state: QUERY_QP); taken as
 * it is when the device cannot say (the query fails).
 */
static int
test_stale_qp_event_ignored(void)
{
	struct mlx4r_emu_dev *emu;
	struct mlx4r_dev *dev;
	struct mlx4r_txq *txq;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	dev = mlx4r_port_of(&rte_eth_devices[p1])->dev;
	txq = txq_of(0);
	/* a QP_FATAL kept for a QP in RTS */
	event_kept(dev, txq->qp);
	for (i = 0; i < 20000 && txq->stale_events == 0; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL_U(txq->stale_events, 1, "found stale");
	TEST_ASSERT_EQUAL_U(txq->repairs, 0, "not repaired");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	/* the device cannot say: the event is taken as it is (no burst) */
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_QUERY_QP, 1,
						EIO, 0), "query fails");
	event_kept(dev, txq->qp);
	for (i = 0; i < 20000 && txq->repairs == 0; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL_U(txq->repairs, 1, "repaired");
	TEST_ASSERT_EQUAL_U(txq->stale_events, 1, "not found stale");
	for (i = 0; i < 20000 && txq->barred; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after the repair");
	return hca_down();
}

/*
 * A Tx repair with the CQ in its third pass: libmlx4's clean at the QP's
 * RESET (emu_cq_libmlx4_clean(), after __mlx4_cq_clean()) counts from its
 * own index 0 the entries that look like the first pass's, those of this
 * third pass, and writes that small index into the CQ's doorbell record.
 * The repair must write the driver's index again, or the device takes
 * the CQ for full at its next CQE (an overrun: CQ_ERR, a device reset).
 */
static int
test_repair_after_cq_wraps(void)
{
	struct mlx4r_txq *txq;
	struct rte_mbuf *m[BURST];
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	txq = txq_of(0);
	for (i = 0; i < 100000; i++) {
		uint32_t pass = txq->cq_ci / txq->cqe_cnt;

		if (pass >= 2 && pass % 2 == 0 && txq->cq_ci % txq->cqe_cnt > 0)
			break;
		TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "round %u",
				  i);
	}
	TEST_ASSERT(txq->cq_ci / txq->cqe_cnt >= 2, "the CQ wrapped twice");
	spoil_lkeys(txq);
	TEST_ASSERT_EQUAL(make_frames(m, 4, 1), TEST_SUCCESS, "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 4), 4, "posted");
	TEST_ASSERT_EQUAL(wait_repairs(true, 0, 1), TEST_SUCCESS, "repaired");
	for (i = 0; i < 8; i++)
		TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS,
				  "after the repair, round %u", i);
	TEST_ASSERT_EQUAL(generation(), 1, "no CQ overrun, no device reset");
	return hca_down();
}

/*
 * A flush CQE that comes late: the QP in error flushes its WQEs when the
 * device gets to them, here while the repair's RESET is still under way
 * (a MODIFY_QP that takes 300 ms; the WQEs' doorbell rung meanwhile, as
 * a device that had not yet taken it would). The repair reads the CQEs
 * once the QP is in RESET, so it finds these too: one repair. Read
 * before the RESET, the late CQEs stayed past the
 * consumer index and a burst after the repair took them for a new error
 * (a second repair).
 */
static int
test_late_flush_cqe(void)
{
	struct mlx4r_emu_dev *emu;
	struct rte_mbuf *m[BURST];
	struct mlx4r_txq *txq;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", 1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	emu = mlx4r_emu_dev_lookup(HCA);
	txq = txq_of(0);
	/* 4 WQEs posted, their doorbell lost: the device has not got them */
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_lost_doorbell(emu, txq->qp->qpn,
							   1), "lose it");
	TEST_ASSERT_EQUAL(make_frames(m, 4, 1), TEST_SUCCESS, "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 4), 4, "posted");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_MODIFY_QP, 1,
						0, 300), "a slow RESET");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(emu, txq->qp->qpn),
			    "QP in error");
	/* the repair is in its RESET: the device takes the doorbell now */
	rte_delay_us_sleep(100000);
	rte_write32(txq->doorbell_qpn, txq->sdb);
	mlx4r_hw_hook_call(&txq->hook);
	TEST_ASSERT_EQUAL(wait_repairs(true, 0, 1), TEST_SUCCESS, "repaired");
	for (i = 0; i < 4; i++)
		TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS,
				  "after the repair, round %u", i);
	TEST_ASSERT_EQUAL_U(txq_of(0)->repairs, 1,
			    "one repair: no late CQE taken for a new error");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	return hca_down();
}

/* The CQE at Rx queue @p rxq's consumer index, once software owns it. */
static struct mlx4_cqe *
rx_cqe_ready(struct mlx4r_rxq *rxq)
{
	uint32_t ci = rxq->cq_ci;
	struct mlx4_cqe *cqe = (struct mlx4_cqe *)(rxq->cqes +
		((size_t)(ci & rxq->cqe_mask) << rxq->cqe_shift) +
		rxq->cqe_off);

	if (!(cqe->owner_sr_opcode & MLX4_CQE_OWNER_MASK) !=
	    !(ci & rxq->cqe_cnt))
		return NULL;
	rte_io_rmb();
	return cqe;
}

/*
 * A success CQE whose byte count exceeds what its WQE holds by @p over
 * bytes, on a port of @p nq queues (1: the burst's one-segment loop; 2:
 * RSS, the hash reported, the general loop). A card completes such a
 * frame with a length error instead, so the CQ is not to be trusted:
 * the burst takes no frame from it (the bytes past the WQE's buffers
 * would have been the next WQEs' mbufs, or past the burst's replacement
 * array), bars the queue, and the repair puts it back with the same
 * mbufs, no device reset.
 */
static int
rx_oversized(uint16_t nq, uint32_t over)
{
	struct rte_mbuf *m[BURST], *r[BURST];
	struct mlx4_cqe *cqe = NULL;
	struct rte_eth_stats st;
	struct mlx4r_rxq *rxq = NULL;
	uint64_t base;
	unsigned int t;
	uint16_t q = 0;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback", nq), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(traffic(0, 8), TEST_SUCCESS, "before");
	TEST_ASSERT_EQUAL(make_frames(m, 1, 1), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 1), 1, "sent");
	for (t = 0; t < 20000 && cqe == NULL; t++) {
		rte_eth_tx_burst(p1, 0, NULL, 0); /* completions */
		for (q = 0; q < nq && cqe == NULL; q++) {
			rxq = rxq_of(q);
			cqe = rx_cqe_ready(rxq);
		}
		if (cqe == NULL)
			rte_delay_us_sleep(100);
	}
	TEST_ASSERT_NOT_NULL(cqe, "the frame's CQE");
	q--;
	/* no Tx burst from here on: what the Tx ring holds stays */
	base = rte_mempool_in_use_count(mp);
	TEST_ASSERT_EQUAL(nq == 1 || rxq->rss_hash, true,
			  "the loop meant: %u queues, hash %u", nq,
			  rxq->rss_hash);
	cqe->byte_cnt = rte_cpu_to_be_32(rxq->seg_first_len +
					 (rxq->sges - 1) * rxq->seg_len +
					 over);
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, q, r, BURST), 0,
			  "no frame from a CQE of %u bytes too many", over);
	TEST_ASSERT_EQUAL(wait_repairs(false, q, 1), TEST_SUCCESS,
			  "repaired");
	TEST_ASSERT_EQUAL(generation(), 1, "no device reset");
	TEST_ASSERT_EQUAL_U(xstat("rx_queue_flushed_wqes"), 1,
			    "the one WQE lost");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.ierrors, 1, "ierrors");
	TEST_ASSERT_EQUAL_U(st.ipackets, 8, "no frame received");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), base,
			    "the frame's mbuf posted again, no other taken");
	TEST_ASSERT_EQUAL(traffic(0, BURST), TEST_SUCCESS, "after");
	return hca_down();
}

static int
test_rx_oversized_cqe(void)
{
	static const uint32_t over[] = { 1, 0x7fff0000 };
	unsigned int i;
	uint16_t nq;

	for (nq = 1; nq <= 2; nq++)
		for (i = 0; i < RTE_DIM(over); i++)
			TEST_ASSERT_EQUAL(rx_oversized(nq, over[i]),
					  TEST_SUCCESS, "%u queues, %u over",
					  nq, over[i]);
	return TEST_SUCCESS;
}

static struct unit_test_suite repair_suite = {
	.suite_name = "mlx4r queue repair",
	.setup = suite_setup,
	.teardown = suite_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(NULL, case_teardown, test_tx_error_cqe),
		TEST_CASE_ST(NULL, case_teardown, test_tx_qp_fatal),
		TEST_CASE_ST(NULL, case_teardown, test_rx_error),
		TEST_CASE_ST(NULL, case_teardown,
			     test_rx_error_after_dead_reporter),
		TEST_CASE_ST(NULL, case_teardown, test_others_keep_forwarding),
		TEST_CASE_ST(NULL, case_teardown, test_repair_fails),
		TEST_CASE_ST(NULL, case_teardown,
			     test_qp_event_of_stopped_queue),
		TEST_CASE_ST(NULL, case_teardown, test_destroyed_qp_forgotten),
		TEST_CASE_ST(NULL, case_teardown, test_stale_qp_event_ignored),
		TEST_CASE_ST(NULL, case_teardown, test_repair_after_cq_wraps),
		TEST_CASE_ST(NULL, case_teardown, test_late_flush_cqe),
		TEST_CASE_ST(NULL, case_teardown, test_rx_oversized_cqe),
		TEST_CASES_END()
	},
};

static int
mlx4r_repair_autotest(void)
{
	return unit_test_suite_runner(&repair_suite);
}

REGISTER_TEST_COMMAND(mlx4r_repair_autotest, mlx4r_repair_autotest);
