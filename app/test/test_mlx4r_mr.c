/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Memory registration of net_mlx4r on the emulated ConnectX-3 (which pins
 * pages and checks lkeys as Linux and the card do): only the pools the
 * queues use are registered; a Tx burst registers a pool it meets for the
 * first time; a buffer is served by a range only if it lies in it whole;
 * every MR is deregistered at close, and registered again after a reset;
 * and (in EAL's dynamic memory mode) memory freed and mapped again is not
 * sent with the stale lkey of its old MR.
 *
 * mlx4r_mr_autotest runs in legacy memory (--no-huge); mlx4r_mr_huge_autotest
 * needs hugepages (EAL's dynamic memory, which frees memory and raises
 * rte_mem_event callbacks) and skips without them.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include "test.h"
#include "mlx4r.h"
#include "emu/mlx4r_emu.h"
#include "rte_pmd_mlx4r.h"

#define HCA "net_mlx4r_mr"
#define BURST 32
#define NB_MBUF 511

static struct rte_mempool *rx_mp;
static uint16_t p1;

static int
mr_setup(void)
{
	rx_mp = rte_pktmbuf_pool_create("mr_rx", NB_MBUF, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return rx_mp != NULL ? TEST_SUCCESS : TEST_FAILED;
}

static void
mr_teardown(void)
{
	rte_mempool_free(rx_mp);
	rx_mp = NULL;
}

/* The emulated device is the test's, so that it outlives the vdev. */
static int
hca_up(void)
{
	mlx4r_emu_dev_destroy(HCA);
	if (mlx4r_emu_dev_create(HCA, NULL) != 0)
		return TEST_FAILED;
	if (rte_vdev_init(HCA, "wire=loopback") != 0)
		return TEST_FAILED;
	if (rte_eth_dev_get_port_by_name(HCA, &p1) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
hca_down(void)
{
	rte_vdev_uninit(HCA);
	mlx4r_emu_dev_destroy(HCA);
}

static int
port_up(void)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "conf");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, 0, NULL, rx_mp),
			    "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, 0, NULL),
			    "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
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

static struct mlx4r_emu_dev *
emu(void)
{
	return mlx4r_emu_dev_lookup(HCA);
}

struct range {
	uintptr_t start, end;
};

static void
range_of_chunk(struct rte_mempool *mp, void *arg,
	       struct rte_mempool_memhdr *h, unsigned int idx)
{
	struct range *r = arg;

	RTE_SET_USED(mp);
	RTE_SET_USED(idx);
	if (r->start == 0 || (uintptr_t)h->addr < r->start)
		r->start = (uintptr_t)h->addr;
	if ((uintptr_t)h->addr + h->len > r->end)
		r->end = (uintptr_t)h->addr + h->len;
}

/* The span of a pool's memory chunks. */
static struct range
pool_range(struct rte_mempool *mp)
{
	struct range r = { 0, 0 };

	rte_mempool_mem_iter(mp, range_of_chunk, &r);
	return r;
}

static int
pinned(struct rte_mempool *mp)
{
	struct range r = pool_range(mp);

	return mlx4r_emu_mr_pinning(emu(), (void *)r.start, r.end - r.start);
}

/*
 * Send n 64-byte frames from @p mp to the port itself (loopback) and
 * receive them. @return the number received, payload checked.
 */
static unsigned int
loop_frames(struct rte_mempool *mp, unsigned int n, unsigned int seed)
{
	struct rte_mbuf *m[BURST], *r[BURST];
	struct rte_ether_addr mac;
	unsigned int i, got = 0, tries, sent = 0;

	if (n > BURST || rte_eth_macaddr_get(p1, &mac) != 0 ||
	    rte_pktmbuf_alloc_bulk(mp, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eh = (struct rte_ether_hdr *)
			rte_pktmbuf_append(m[i], 64);

		eh->dst_addr = mac;
		memset(&eh->src_addr, 0x02, sizeof(eh->src_addr));
		eh->ether_type = rte_cpu_to_be_16(0x88b5);
		memset(eh + 1, (int)(seed + i), 64 - sizeof(*eh));
	}
	for (tries = 0; tries < 100 && sent < n; tries++)
		sent += rte_eth_tx_burst(p1, 0, m + sent, n - sent);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	for (tries = 0; tries < 100 && got < sent; tries++) {
		uint16_t k = rte_eth_rx_burst(p1, 0, r, BURST), j;

		for (j = 0; j < k; j++) {
			const uint8_t *p = rte_pktmbuf_mtod_offset(r[j],
				const uint8_t *, sizeof(struct rte_ether_hdr));

			if (r[j]->pkt_len == 64 &&
			    p[0] == (uint8_t)(seed + got))
				got++;
		}
		rte_pktmbuf_free_bulk(r, k);
	}
	return got;
}

/*
 * Only the pools the queues use are pinned, not every pool of the process
 * (the driver used to register them all at each start).
 */
static int
test_mr_no_global_pinning(void)
{
	struct rte_mempool *idle, *late;

	idle = rte_pktmbuf_pool_create("mr_idle", NB_MBUF, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	TEST_ASSERT_NOT_NULL(idle, "idle pool");
	TEST_ASSERT_EQUAL(port_up(), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(loop_frames(rx_mp, 8, 1), 8, "frames of the Rx pool");
	TEST_ASSERT_GE_U(pinned(rx_mp), 1, "the Rx pool is registered");
	TEST_ASSERT_EQUAL(pinned(idle), 0, "a pool no queue used is not");
	/* a port restart does not register it either */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	late = rte_pktmbuf_pool_create("mr_late", NB_MBUF, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	TEST_ASSERT_NOT_NULL(late, "late pool");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(pinned(idle), 0, "idle pool after a restart");
	TEST_ASSERT_EQUAL(pinned(late), 0, "late pool after a restart");
	rte_eth_dev_stop(p1);
	rte_mempool_free(late);
	rte_mempool_free(idle);
	return TEST_SUCCESS;
}

/*
 * A pool created after the port started: its first Tx burst registers it
 * (the driver used to drop those frames until the port restarted).
 */
static int
test_mr_tx_new_pool(void)
{
	struct rte_mempool *tx_mp;
	uint64_t ondemand;

	TEST_ASSERT_EQUAL(port_up(), TEST_SUCCESS, "up");
	tx_mp = rte_pktmbuf_pool_create("mr_tx", NB_MBUF, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	TEST_ASSERT_NOT_NULL(tx_mp, "Tx pool");
	TEST_ASSERT_EQUAL(pinned(tx_mp), 0, "not registered before use");
	TEST_ASSERT_EQUAL(loop_frames(tx_mp, BURST, 3), BURST,
			  "every frame of the new pool delivered");
	ondemand = xstat("tx_mr_registered_on_demand");
	TEST_ASSERT_GE_U(ondemand, 1, "registered by the burst");
	TEST_ASSERT_GE_U(pinned(tx_mp), 1, "now pinned");
	TEST_ASSERT_EQUAL_U(xstat("tx_unregistered_memory_dropped"), 0,
			    "nothing dropped");
	TEST_ASSERT_EQUAL(loop_frames(tx_mp, BURST, 5), BURST, "again");
	TEST_ASSERT_EQUAL_U(xstat("tx_mr_registered_on_demand"), ondemand,
			    "registered once");
	rte_eth_dev_stop(p1);
	rte_mempool_free(tx_mp);
	return TEST_SUCCESS;
}

static void
ext_free(void *addr, void *opaque)
{
	RTE_SET_USED(addr);
	RTE_SET_USED(opaque);
}

/*
 * A buffer that starts in a registered range but ends past it is not
 * served by that range (the driver used to match the start address only,
 * and the device failed the WQE, the queue in error); a buffer in no pool
 * cannot be registered: dropped and counted.
 */
static int
test_mr_whole_buffer(void)
{
	struct rte_mbuf_ext_shared_info shinfo;
	struct rte_mbuf *m;
	struct range r;
	uint16_t sent;

	TEST_ASSERT_EQUAL(port_up(), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(loop_frames(rx_mp, 4, 7), 4, "frames");
	r = pool_range(rx_mp);
	memset(&shinfo, 0, sizeof(shinfo));
	shinfo.free_cb = ext_free;
	rte_mbuf_ext_refcnt_set(&shinfo, 1);
	m = rte_pktmbuf_alloc(rx_mp);
	TEST_ASSERT_NOT_NULL(m, "mbuf");
	/* 64 bytes of which the last 32 lie past the pool's memory */
	rte_pktmbuf_attach_extbuf(m, (void *)(r.end - 32), 0, 64, &shinfo);
	m->data_off = 0;
	m->data_len = 64;
	m->pkt_len = 64;
	sent = rte_eth_tx_burst(p1, 0, &m, 1);
	TEST_ASSERT_EQUAL(sent, 1, "taken (and dropped)");
	TEST_ASSERT_EQUAL_U(xstat("tx_unregistered_memory_dropped"), 1,
			    "dropped and counted");
	TEST_ASSERT_EQUAL(loop_frames(rx_mp, 4, 9), 4, "the queue still works");
	TEST_ASSERT_EQUAL_U(xstat("tx_queue_repairs"), 0,
			    "the QP never went to error");
	rte_eth_dev_stop(p1);
	return TEST_SUCCESS;
}

static int
wait_live(uint32_t gen)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i;

	for (i = 0; i < 30000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_LIVE &&
		    st.generation >= gen)
			return TEST_SUCCESS;
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("not live again (phase %d generation %u)", st.phase,
		  st.generation);
}

/*
 * A reset registers again, with the new context, what was registered
 * (new lkeys, no new on-demand registration); the close deregisters every
 * MR before the PD and the context: none left for close_device to
 * destroy.
 */
static int
test_mr_reset_and_close(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct mlx4r_emu_dev_info a, b;
	struct rte_mempool *tx_mp;
	uint64_t ondemand;

	TEST_ASSERT_EQUAL(port_up(), TEST_SUCCESS, "up");
	tx_mp = rte_pktmbuf_pool_create("mr_tx2", NB_MBUF, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	TEST_ASSERT_NOT_NULL(tx_mp, "Tx pool");
	TEST_ASSERT_EQUAL(loop_frames(tx_mp, 8, 11), 8, "frames");
	ondemand = xstat("tx_mr_registered_on_demand");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu(), &a), "info");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "reset");
	TEST_ASSERT_EQUAL(wait_live(st.generation + 1), TEST_SUCCESS, "live");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu(), &b), "info");
	TEST_ASSERT_EQUAL(b.nb_mrs, a.nb_mrs, "as many MRs after the reset");
	TEST_ASSERT_EQUAL_U(b.mrs_registered, a.mrs_registered + a.nb_mrs,
			    "each registered again once");
	TEST_ASSERT_EQUAL(loop_frames(tx_mp, 8, 13), 8, "frames after");
	TEST_ASSERT_EQUAL(loop_frames(rx_mp, 8, 15), 8, "Rx pool frames");
	TEST_ASSERT_EQUAL_U(xstat("tx_mr_registered_on_demand"), ondemand,
			    "no new registration by the burst");
	TEST_ASSERT_EQUAL_U(xstat("tx_unregistered_memory_dropped"), 0,
			    "nothing dropped");
	rte_vdev_uninit(HCA);
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu(), &b), "info");
	TEST_ASSERT_EQUAL(b.nb_mrs, 0, "no MR left");
	TEST_ASSERT_EQUAL_U(b.mrs_deregistered, b.mrs_registered,
			    "every MR deregistered");
	TEST_ASSERT_EQUAL_U(b.objects_leaked, a.objects_leaked,
			    "none left for close_device");
	rte_mempool_free(tx_mp);
	return TEST_SUCCESS;
}

/*
 * The rings of a queue's CQ and QP or WQ are asked for on the queue's
 * node (mlx4r_hw_ctx.buf_socket, which the verbs backend hands libmlx4's
 * allocators, MLX4DV_SET_CTX_ATTR_BUF_ALLOCATORS), and the context is
 * back to the device's node after them.
 */
static int
test_rings_on_queue_socket(void)
{
	struct mlx4r_emu_dev_info a, b;
	int node = rte_socket_id_by_idx(0);
	struct mlx4r_hw_ctx *ctx;
	struct rte_eth_conf conf;

	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu(), &a), "info");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "conf");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, node, NULL,
						   rx_mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, node, NULL),
			    "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu(), &b), "info");
	TEST_ASSERT_EQUAL_U(b.rings_socket_set - a.rings_socket_set, 4,
			    "Rx CQ and WQ, Tx CQ and QP on the queues' node");
	TEST_ASSERT_EQUAL(b.last_ring_socket, node, "node %d", node);
	ctx = mlx4r_port_of(&rte_eth_devices[p1])->dev->ctx;
	TEST_ASSERT_EQUAL(ctx->buf_socket, SOCKET_ID_ANY,
			  "back to the device's node after them");
	rte_eth_dev_stop(p1);
	return TEST_SUCCESS;
}

static struct unit_test_suite mr_suite = {
	.suite_name = "mlx4r memory registration",
	.setup = mr_setup,
	.teardown = mr_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(hca_up, hca_down, test_mr_no_global_pinning),
		TEST_CASE_ST(hca_up, hca_down, test_mr_tx_new_pool),
		TEST_CASE_ST(hca_up, hca_down, test_mr_whole_buffer),
		TEST_CASE_ST(hca_up, hca_down, test_mr_reset_and_close),
		TEST_CASE_ST(hca_up, hca_down, test_rings_on_queue_socket),
		TEST_CASES_END()
	}
};

static int
mlx4r_mr_autotest(void)
{
	return unit_test_suite_runner(&mr_suite);
}

REGISTER_TEST_COMMAND(mlx4r_mr_autotest, mlx4r_mr_autotest);

/*
 * Dynamic memory: freeing a pool unmaps its pages (RTE_MEM_EVENT_FREE).
 * Its MR must go with it: a pool created later at the same addresses is
 * other memory, which the old MR does not reach (it pins the old pages;
 * the emulated device fails its lkey with a local protection error).
 */
static int
huge_setup(void)
{
	if (!rte_eal_has_hugepages() ||
	    rte_eal_process_type() != RTE_PROC_PRIMARY) {
		printf("skipped: needs EAL's dynamic memory (hugepages)\n");
		return TEST_SKIPPED;
	}
	return mr_setup();
}

static int
test_mr_freed_memory(void)
{
	struct rte_mempool *a, *b;
	struct mlx4r_emu_dev_info info;
	struct range ra, rb;

	TEST_ASSERT_EQUAL(port_up(), TEST_SUCCESS, "up");
	/* 2047 mbufs of 2 KB: more than a 2 MB page of their own */
	a = rte_pktmbuf_pool_create("mr_a", 2047, 0, 0,
				    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	TEST_ASSERT_NOT_NULL(a, "pool a");
	ra = pool_range(a);
	TEST_ASSERT_EQUAL(loop_frames(a, BURST, 17), BURST, "frames of a");
	TEST_ASSERT_GE_U(pinned(a), 1, "a registered");
	printf("pool a: %u memory chunks, %d MR(s)\n", a->nb_mem_chunks,
	       pinned(a));
	/* the Tx ring may still hold mbufs of a: stop returns them */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(a), 0, "a all back");
	rte_mempool_free(a);
	TEST_ASSERT_GE_U(xstat("mr_dropped_memory_freed"), 1,
			 "the MR over a dropped when a was freed");
	TEST_ASSERT_EQUAL(mlx4r_emu_mr_pinning(emu(), (void *)ra.start,
					       ra.end - ra.start), 0,
			  "nothing pins the freed memory");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(emu(), &info), "info");
	TEST_ASSERT_EQUAL_U(info.mrs_unmapped, 0,
			    "no MR left over unmapped memory");
	b = rte_pktmbuf_pool_create("mr_b", 2047, 0, 0,
				    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	TEST_ASSERT_NOT_NULL(b, "pool b");
	rb = pool_range(b);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	printf("pool a at [%#" PRIxPTR ", %#" PRIxPTR "), b at [%#" PRIxPTR
	       ", %#" PRIxPTR ")\n", ra.start, ra.end, rb.start, rb.end);
	TEST_ASSERT_EQUAL(loop_frames(b, BURST, 19), BURST, "frames of b");
	TEST_ASSERT_EQUAL_U(xstat("tx_queue_repairs"), 0,
			    "no stale lkey: the QP never went to error");
	rte_eth_dev_stop(p1);
	rte_mempool_free(b);
	return TEST_SUCCESS;
}

static struct unit_test_suite mr_huge_suite = {
	.suite_name = "mlx4r memory registration, dynamic memory",
	.setup = huge_setup,
	.teardown = mr_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(hca_up, hca_down, test_mr_freed_memory),
		TEST_CASES_END()
	}
};

static int
mlx4r_mr_huge_autotest(void)
{
	return unit_test_suite_runner(&mr_huge_suite);
}

REGISTER_TEST_COMMAND(mlx4r_mr_huge_autotest, mlx4r_mr_huge_autotest);
